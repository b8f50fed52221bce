//! Evaluation as in the notebook: fold-in rows through the model in evaluation mode (no dropout,
//! `z = μ`), fold-in items masked to −∞, then the ranking metrics against the held-out items. The
//! masking and the ranking run on the scores' device; only the top `k` items of each row (and each
//! row's first NaN) come back to the host. The list-level metrics (coverage, Gini, average
//! popularity) read the same top-`k` items.

use super::error::Result;
use crate::data::HeldoutPair;
use crate::metrics::{BatchMetrics, Evaluator, Metric, MetricKind, MetricsError, PerUserMetrics};
use crate::vae_cf::Recommender;
use autograd::{Backend, CsrMatrix, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The mean of each per-user metric over the users that have held-out items, and the list-level
/// metrics of those users' top-`k` lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub metrics: BTreeMap<String, f64>,
    /// The notebook's error bars: the standard error of each mean (none for coverage and Gini, one
    /// number of the whole split each).
    pub std_errs: BTreeMap<String, f64>,
    pub users_evaluated: usize,
    /// Users left out because they have no held-out item.
    pub users_skipped: usize,
    /// Each evaluated user's per-user metrics (what `test_users.csv` holds).
    #[serde(skip)]
    pub per_user: PerUserMetrics,
}

/// What evaluation asks of a model: scores over every item for a batch of fold-in rows. Mult-VAE
/// and Mult-DAE score through [`Recommender::scores`]; the closed-form baselines
/// ([`crate::baselines`]), which have no training step to offer a [`Recommender`], score directly.
pub trait Scorer<B: Backend> {
    /// `fold_in.rows() × items` scores, higher ranking first.
    fn scores(&self, fold_in: &CsrMatrix<f32>) -> autograd::Result<Tensor<B>>;
}

impl<B: Backend> Scorer<B> for dyn Recommender<B> + '_ {
    fn scores(&self, fold_in: &CsrMatrix<f32>) -> autograd::Result<Tensor<B>> {
        Recommender::scores(self, fold_in)
    }
}

/// The evaluator of a run's `metrics` (as `config.json` spells them), and the name of the first
/// NDCG among them, which picks what a run keeps (`what`: "the best epoch", "λ").
pub fn evaluator_of(metrics: &[String], what: &str) -> Result<(Evaluator, String)> {
    let metrics: Vec<Metric> = metrics
        .iter()
        .map(|m| m.parse::<Metric>())
        .collect::<std::result::Result<_, _>>()?;
    // The evaluations name each metric as it displays, whatever case config.json spells it in.
    let selection = metrics
        .iter()
        .find(|m| m.kind == MetricKind::Ndcg)
        .map(Metric::to_string)
        .ok_or_else(|| {
            super::TrainError::Invalid(format!("the metric list needs an NDCG@k to select {what}"))
        })?;
    Ok((Evaluator::new(metrics)?, selection))
}

/// Scores `pair`'s fold-in rows in batches of `batch_size` and averages the metrics; `popularity[i]`
/// is the training clicks of item `i` ([`crate::metrics::item_popularity`] of the training split),
/// which average popularity reads.
pub fn evaluate<B: Backend<Elem = f32>, M: Scorer<B> + ?Sized>(
    model: &M,
    pair: &HeldoutPair,
    popularity: &[u64],
    evaluator: &Evaluator,
    batch_size: usize,
) -> Result<Evaluation> {
    evaluate_batches(
        pair,
        popularity,
        evaluator,
        batch_size,
        |_, fold_in, heldout| evaluate_scores(evaluator, model.scores(fold_in)?, fold_in, heldout),
    )
}

/// [`evaluate`] with each batch measured by `measure(uids, fold_in, heldout)`: the batch's users
/// are `uids` (`pair.first_uid` counts from row 0), for a model that scores users it has embeddings
/// of rather than their fold-in clicks (NeuMF, [`crate::ncf`]).
pub fn evaluate_batches<E: From<MetricsError> + From<autograd::Error>>(
    pair: &HeldoutPair,
    popularity: &[u64],
    evaluator: &Evaluator,
    batch_size: usize,
    mut measure: impl FnMut(
        std::ops::Range<u32>,
        &CsrMatrix<f32>,
        &CsrMatrix<f32>,
    ) -> std::result::Result<BatchMetrics, E>,
) -> std::result::Result<Evaluation, E> {
    if popularity.len() != pair.fold_in.cols() {
        return Err(MetricsError::Shape {
            op: "evaluate",
            detail: format!(
                "popularity of {} items for a split of {}; expected the training split's items",
                popularity.len(),
                pair.fold_in.cols()
            ),
        }
        .into());
    }
    let rows = pair.fold_in.rows();
    let mut acc = evaluator.accumulator();
    let mut lists = evaluator.list_accumulator(popularity);
    let mut per_user = PerUserMetrics::new(evaluator.per_user_metrics());
    for start in (0..rows).step_by(batch_size.max(1)) {
        let end = (start + batch_size).min(rows);
        let idx: Vec<usize> = (start..end).collect();
        let fold_in = pair.fold_in.select_rows(&idx)?;
        let heldout = pair.heldout.select_rows(&idx)?;
        let uids = pair.first_uid + start as u32..pair.first_uid + end as u32;
        let batch = measure(uids.clone(), &fold_in, &heldout)?;
        acc.add(&batch)?;
        lists.add(&batch)?;
        per_user.add(uids.start, &batch);
    }
    let r = acc.report()?;
    let l = lists.report();
    Ok(Evaluation {
        metrics: r.means.into_iter().chain(l.values).collect(),
        std_errs: r.std_errs.into_iter().chain(l.std_errs).collect(),
        users_evaluated: r.users_evaluated,
        users_skipped: r.users_skipped,
        per_user,
    })
}

/// One batch of `scores` (`fold_in.rows() × items`, on any device) against `heldout`: the fold-in
/// items set to −∞ and every row ranked where the scores are, then the metrics on the host
/// ([`Evaluator::evaluate_ranked`]). The same metrics as [`Evaluator::evaluate_batch`] on the host
/// copy of `scores`.
pub fn evaluate_scores<B: Backend<Elem = f32>>(
    evaluator: &Evaluator,
    scores: Tensor<B>,
    fold_in: &CsrMatrix<f32>,
    heldout: &CsrMatrix<f32>,
) -> Result<BatchMetrics> {
    let backend = scores.backend().clone();
    let cols = scores.cols();
    let shape = [fold_in.rows(), fold_in.cols()];
    if scores.shape() != shape || [heldout.rows(), heldout.cols()] != shape {
        return Err(autograd::Error::Shape {
            op: "evaluate_scores",
            detail: format!(
                "scores [{}, {cols}], fold-in [{}, {}], held-out [{}, {}]; expected all three alike",
                scores.rows(),
                fold_in.rows(),
                fold_in.cols(),
                heldout.rows(),
                heldout.cols()
            ),
        }
        .into());
    }
    let mask = backend.upload_csr(fold_in)?;
    let mut buf = scores.into_buffer()?;
    backend.fill_csr_pattern(&mask, f64::NEG_INFINITY, &mut buf)?;
    let ranked = backend.top_k_rows(&buf, cols, evaluator.k_max())?;
    Ok(evaluator.evaluate_ranked(&ranked, heldout)?)
}
