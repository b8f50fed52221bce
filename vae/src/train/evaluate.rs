//! Evaluation as in the notebook: fold-in rows through the model in evaluation mode (no dropout,
//! `z = μ`), fold-in items masked to −∞, then the ranking metrics against the held-out items.

use super::error::Result;
use crate::data::HeldoutPair;
use crate::metrics::Evaluator;
use crate::vae_cf::Recommender;
use autograd::Backend;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The mean of each metric over the users that have held-out items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub metrics: BTreeMap<String, f64>,
    /// The notebook's error bars: the standard error of each mean.
    pub std_errs: BTreeMap<String, f64>,
    pub users_evaluated: usize,
    /// Users left out because they have no held-out item.
    pub users_skipped: usize,
}

/// Scores `pair`'s fold-in rows in batches of `batch_size` and averages the metrics.
pub fn evaluate<B: Backend<Elem = f32>>(
    model: &dyn Recommender<B>,
    pair: &HeldoutPair,
    evaluator: &Evaluator,
    batch_size: usize,
) -> Result<Evaluation> {
    let rows = pair.fold_in.rows();
    let mut acc = evaluator.accumulator();
    for start in (0..rows).step_by(batch_size.max(1)) {
        let idx: Vec<usize> = (start..(start + batch_size).min(rows)).collect();
        let fold_in = pair.fold_in.select_rows(&idx)?;
        let heldout = pair.heldout.select_rows(&idx)?;
        let mut scores = model.scores(&fold_in)?.into_vec()?;
        let batch = evaluator.evaluate_batch(&mut scores, fold_in.cols(), &fold_in, &heldout)?;
        acc.add(&batch)?;
    }
    let r = acc.report()?;
    Ok(Evaluation {
        metrics: r.means,
        std_errs: r.std_errs,
        users_evaluated: r.users_evaluated,
        users_skipped: r.users_skipped,
    })
}
