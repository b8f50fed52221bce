//! Mult-VAE^PR and Mult-DAE (Liang et al., WWW 2018) and NCF (He et al., WWW 2017) on the `autograd`
//! framework, laid out as one package of several papers (as Microsoft Recommenders and RecBole are):
//! each paper's models in a folder named for it, [`vae_cf`] and [`ncf`], neither importing the other;
//! above them what both use: the data pipeline that reproduces the authors' split ([`data`]),
//! [`metrics`], the training loop and run folder ([`train`]), [`checkpoint`]s, the [`run_log`], the
//! [`plots`], the [`linear`] layer, the [`seed`]s derived from a run's seed, the paired
//! [`compare`]ison of finished runs, and the closed-form [`baselines`] (popularity, EASE, ItemKNN) beside the
//! models.
pub mod baselines;
pub mod checkpoint;
pub mod compare;
pub mod data;
pub mod linear;
pub mod metrics;
pub mod ncf;
pub mod plots;
pub mod run_log;
pub mod seed;
pub mod sweep;
pub mod train;
pub mod vae_cf;
