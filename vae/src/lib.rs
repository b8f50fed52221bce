//! Mult-VAE^PR and Mult-DAE (Liang et al., WWW 2018) and NCF (He et al., WWW 2017) on the `autograd`
//! framework: the data pipeline that reproduces the authors' split, the models, training and metrics.
pub mod checkpoint;
pub mod data;
pub mod metrics;
pub mod models;
pub mod ncf;
pub mod plots;
pub mod run_log;
pub mod train;
