//! Mult-VAE for collaborative filtering (Liang et al., WWW 2018): the data pipeline that reproduces the
//! authors' split, and (to come) the models, training and metrics built on the `autograd` crate.
pub mod data;
