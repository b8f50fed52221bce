//! Neural Collaborative Filtering (He et al., "Neural Collaborative Filtering", WWW 2017): GMF, MLP
//! and NeuMF on the autograd ops, with the paper's implicit-feedback protocol and an explicit-rating
//! one.
//!
//! Models ([`Gmf`], [`Mlp`], [`NeuMf`]) score a (user, item) pair from embeddings looked up by
//! `gather_rows` (whose VJP is the scatter-add into the tables):
//! - GMF: `s_ui = hᵀ(p_u ⊙ q_i) + b`;
//! - MLP: `z₁ = [p_u ‖ q_i]`, `z_l = ReLU(W_lᵀ z_{l−1} + b_l)`, `s_ui = hᵀ z_L + b`;
//! - NeuMF: `s_ui = hᵀ[p^G_u ⊙ q^G_i ‖ z_L^M] + b`, optionally started from trained GMF and MLP with
//!   `h = [α h^GMF ‖ (1 − α) h^MLP]`.
//!
//! Protocols ([`Protocol`]):
//! - implicit (the paper, §4.1): [`leave_one_out`], BCE on `σ(s_ui)` against positives and
//!   [`training_negatives`] re-drawn every epoch; HR@10 and NDCG@10 of the held-out item among 99
//!   [`evaluation_negatives`] ([`sampled_ranks`]) and among every item not trained on
//!   ([`full_ranks`], Krichene & Rendle 2020), [`Ranking`] choosing which picks the best epoch; the
//!   [`popularity`] baseline beside;
//! - explicit: [`explicit_split`] holds out 20% of ratings; MSE of `s_ui` against the rating; RMSE and
//!   MAE, with the global-mean and [`item_means`] baselines beside;
//! - held-out users ([`HeldOutUsers`]): Mult-VAE's split and metrics, trained as the implicit
//!   protocol on every click but the held-out ones, so NeuMF is measured as Mult-VAE is.
//!
//! [`train_ncf`] runs either end to end; [`NcfTrainer`] is the same loop one epoch at a time;
//! [`run::train`] is a whole run in its run folder, fresh or resumed.

mod baselines;
mod config;
mod error;
mod evaluate;
mod explicit;
mod gmf;
mod held_out_users;
mod init;
mod leave_one_out;
mod mlp;
mod model;
mod negatives;
mod neumf;
mod random;
mod ranking;
pub mod run;
mod train;

pub use baselines::{item_means, popularity};
pub use config::{Learner, NcfConfig, NcfModelKind, Protocol, Ranking};
pub use error::{NcfError, Result};
pub use evaluate::{full_ranks, hit_ratio_ndcg, rmse_mae, sampled_ranks, ItemScorer, Scorer};
pub use explicit::{explicit_split, ExplicitSplit, Rated};
pub use gmf::Gmf;
pub use held_out_users::HeldOutUsers;
pub use leave_one_out::{leave_one_out, LeaveOneOut};
pub use mlp::Mlp;
pub use model::{Batch, NcfModel, Objective};
pub use negatives::{evaluation_negatives, training_negatives, Interactions};
pub use neumf::NeuMf;
pub use ranking::{hit_ratio, ndcg, rank_of};
pub use train::{
    build_ncf, final_metrics, train_ncf, train_ncf_on, Measurement, NcfData, NcfEpoch, NcfObserver,
    NcfRun, NcfTrainer,
};
