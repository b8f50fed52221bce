//! Means over all batches of a split, the numbers a run reports.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{BatchMetrics, Metric, MetricsError, Result};

/// Running sums of each metric over the evaluated users of any number of batches.
///
/// Batches are summed in the order they are added, in `f64`, so a split evaluated in the same batch
/// order always gives the same bits.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsAccumulator {
    metrics: Vec<Metric>,
    sums: Vec<f64>,
    sums_of_squares: Vec<f64>,
    users_evaluated: usize,
    users_skipped: usize,
}

/// The means over a split, keyed by the metric's name (`"ndcg@100"`, `"recall@20"`, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsReport {
    /// `mean_u metric(u)` over the evaluated users.
    pub means: BTreeMap<String, f64>,
    /// The notebook's error bar, `std_u metric(u) / sqrt(n)` (population standard deviation).
    pub std_errs: BTreeMap<String, f64>,
    /// Users with at least one held-out item.
    pub users_evaluated: usize,
    /// Users left out because they have no held-out item.
    pub users_skipped: usize,
}

impl MetricsAccumulator {
    /// An empty accumulator for `metrics`; usually made by [`super::Evaluator::accumulator`].
    pub fn new(metrics: &[Metric]) -> Self {
        MetricsAccumulator {
            metrics: metrics.to_vec(),
            sums: vec![0.0; metrics.len()],
            sums_of_squares: vec![0.0; metrics.len()],
            users_evaluated: 0,
            users_skipped: 0,
        }
    }

    /// Adds the users of one batch; the batch must hold the same metrics in the same order.
    pub fn add(&mut self, batch: &BatchMetrics) -> Result<()> {
        if batch.metrics != self.metrics {
            return Err(MetricsError::AccumulatorMismatch {
                expected: names(&self.metrics),
                found: names(&batch.metrics),
            });
        }
        for user in &batch.values {
            for (m, &v) in user.iter().enumerate() {
                self.sums[m] += v;
                self.sums_of_squares[m] += v * v;
            }
        }
        self.users_evaluated += batch.values.len();
        self.users_skipped += batch.users_skipped;
        Ok(())
    }

    /// The means and standard errors so far; an error if no user has been evaluated.
    pub fn report(&self) -> Result<MetricsReport> {
        if self.users_evaluated == 0 {
            return Err(MetricsError::NoUsersEvaluated {
                skipped: self.users_skipped,
            });
        }
        let n = self.users_evaluated as f64;
        let mut means = BTreeMap::new();
        let mut std_errs = BTreeMap::new();
        for (m, metric) in self.metrics.iter().enumerate() {
            let mean = self.sums[m] / n;
            let variance = (self.sums_of_squares[m] / n - mean * mean).max(0.0);
            means.insert(metric.to_string(), mean);
            std_errs.insert(metric.to_string(), (variance / n).sqrt());
        }
        Ok(MetricsReport {
            means,
            std_errs,
            users_evaluated: self.users_evaluated,
            users_skipped: self.users_skipped,
        })
    }
}

fn names(metrics: &[Metric]) -> String {
    metrics
        .iter()
        .map(Metric::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(metrics: &[Metric], values: Vec<Vec<f64>>, skipped: usize) -> BatchMetrics {
        BatchMetrics {
            metrics: metrics.to_vec(),
            evaluated_rows: (0..values.len()).collect(),
            values,
            recommended: Vec::new(),
            users_skipped: skipped,
        }
    }

    #[test]
    fn accumulator_means_weight_every_user_equally_across_batches() {
        let m = Metric::defaults();
        let mut acc = MetricsAccumulator::new(&m);
        acc.add(&batch(&m, vec![vec![1.0, 0.0, 0.5]], 2)).unwrap();
        acc.add(&batch(
            &m,
            vec![vec![0.0, 1.0, 0.5], vec![0.5, 0.5, 0.5]],
            0,
        ))
        .unwrap();
        let r = acc.report().unwrap();
        assert_eq!(r.means["ndcg@100"], 0.5);
        assert_eq!(r.means["recall@20"], 0.5);
        assert_eq!(r.means["recall@50"], 0.5);
        // Values 1, 0, 0.5: variance 1/6, standard error sqrt(1/6 / 3).
        assert!((r.std_errs["ndcg@100"] - (1.0f64 / 18.0).sqrt()).abs() < 1e-12);
        assert_eq!(r.std_errs["recall@50"], 0.0);
        assert_eq!((r.users_evaluated, r.users_skipped), (3, 2));
    }

    #[test]
    fn accumulator_refuses_other_metrics_and_empty_reports() {
        let m = Metric::defaults();
        let mut acc = MetricsAccumulator::new(&m);
        acc.add(&batch(&m, vec![], 4)).unwrap();
        assert_eq!(
            acc.report(),
            Err(MetricsError::NoUsersEvaluated { skipped: 4 })
        );
        let other = Metric::parse_list("ndcg@10").unwrap();
        assert!(acc.add(&batch(&other, vec![vec![1.0]], 0)).is_err());
    }
}
