//! Mult-VAE^PR, Mult-DAE and NCF on the autograd framework.
pub mod models;
