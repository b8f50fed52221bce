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
//! Beside the notebook's two, RecBole's (`recbole/evaluator/metrics.py`), with `r*` the rank of the
//! first hit in the top `k`, `P@r` the hits in the top `r` over `r`, and `φ(i)` the training clicks of
//! item `i`:
//!
//! - `MRR@k(u) = 1 / r*` (0 without a hit), `HR@k(u) = [r* ≤ k]`,
//! - `Precision@k(u) = Σ_{r=1..k} [ω(r) ∈ H_u] / k`,
//! - `AP@k(u) = Σ_{r=1..k} [ω(r) ∈ H_u] · P@r / min(k, |H_u|)`, MAP@k its mean,
//! - over all evaluated users `U` at once: `Coverage@k = |⋃_u top_k(u)| / |I|`, `Gini@k` of the
//!   number of lists each item is in ([`gini_index`]), `AvgPop@k = mean_u Σ_{r=1..k} φ(ω_u(r)) / k`.
//!
//! Where ours differ from RecBole: Recall divides by `min(k, |H_u|)` (the notebook's), not `|H_u|`;
//! coverage and Gini use the catalogue `|I|`, where RecBole's `num_items` also counts its padding item.
//!
//! Each metric is averaged over the users with at least one held-out item; users with none would give
//! `0 / 0` in the notebook and are left out here and counted ([`MetricsReport::users_skipped`]).
//!
//! Ties in score are broken by the lower item index first (see [`top_k`]), so results never depend
//! on the thread count or on the order in which rows are processed.

mod accumulator;
mod average_precision;
mod coverage;
mod error;
mod evaluator;
mod gini;
mod hit_rate;
mod list_accumulator;
mod metric;
mod mrr;
mod ndcg;
mod per_user;
mod popularity;
mod precision;
mod recall;

pub use accumulator::{MetricsAccumulator, MetricsReport};
pub use autograd::backend::cpu::top_k::top_k;
pub use average_precision::average_precision_at_k;
pub use coverage::item_coverage;
pub use error::MetricsError;
pub use evaluator::{BatchMetrics, Evaluator};
pub use gini::gini_index;
pub use hit_rate::hit_rate_at_k;
pub use list_accumulator::{ListMetricsAccumulator, ListMetricsReport};
pub use metric::{Metric, MetricKind};
pub use mrr::mrr_at_k;
pub use ndcg::ndcg_at_k;
pub use per_user::{PerUserMetrics, PerUserParseError};
pub use popularity::{average_popularity_at_k, item_popularity};
pub use precision::precision_at_k;
pub use recall::recall_at_k;

/// The metrics module's result type.
pub type Result<T> = std::result::Result<T, MetricsError>;
