//! Ranking metrics exactly as the authors' notebook (dawenl/vae_cf) defines them.
//!
//! For each user `u` of a batch, the model scores all `I` items; the items `u` clicked in the fold-in
//! part are masked to −∞ (they are known, not predictions), and `ω(r)` is the item at rank `r`
//! (`r = 1` is the highest score). With `H_u` the user's held-out items and `[·]` the indicator:
//!
//! - `DCG@k(u)  = Σ_{r=1..k} [ω(r) ∈ H_u] / log2(r + 1)` (binary gain),
//! - `IDCG@k(u) = Σ_{r=1..min(|H_u|, k)} 1 / log2(r + 1)`, `NDCG@k(u) = DCG@k(u) / IDCG@k(u)`,
//! - `Recall@k(u) = Σ_{r=1..k} [ω(r) ∈ H_u] / min(k, |H_u|)`.
//!
//! Each metric is averaged over the users with at least one held-out item; users with none would give
//! `0 / 0` in the notebook and are left out here and counted ([`MetricsReport::users_skipped`]).
//!
//! Ties in score are broken by the lower item index first (see [`top_k`]), so results never depend
//! on the thread count or on the order in which rows are processed.

mod accumulator;
mod error;
mod evaluator;
mod metric;
mod ndcg;
mod recall;

pub use accumulator::{MetricsAccumulator, MetricsReport};
pub use autograd::backend::cpu::top_k::top_k;
pub use error::MetricsError;
pub use evaluator::{BatchMetrics, Evaluator};
pub use metric::{Metric, MetricKind};
pub use ndcg::ndcg_at_k;
pub use recall::recall_at_k;

/// The metrics module's result type.
pub type Result<T> = std::result::Result<T, MetricsError>;
