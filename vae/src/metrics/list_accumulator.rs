//! Metrics of the recommendation lists of a whole split, not means of per-user values: item
//! coverage@k and the Gini index@k need every user's top `k` at once, average popularity@k the
//! training popularity of each recommended item.

use std::collections::BTreeMap;

use super::{
    average_popularity_at_k, gini_index, item_coverage, BatchMetrics, Metric, MetricKind,
    MetricsError, Result,
};

/// Running counts over the evaluated users' top-`k` lists of any number of batches.
///
/// For coverage@k and Gini@k, how many users' top `k` hold each item; for average popularity@k the
/// sum (and sum of squares) of each user's mean popularity, added in batch order in `f64` as
/// [`super::MetricsAccumulator`] does.
#[derive(Debug, Clone, PartialEq)]
pub struct ListMetricsAccumulator {
    metrics: Vec<Metric>,
    popularity: Vec<u64>,
    counts: Vec<Vec<u64>>,
    sums: Vec<f64>,
    sums_of_squares: Vec<f64>,
    users: usize,
}

/// The list-level metrics of a split, keyed by name (`"coverage@10"`, `"gini@10"`, `"avgpop@10"`).
#[derive(Debug, Clone, PartialEq)]
pub struct ListMetricsReport {
    pub values: BTreeMap<String, f64>,
    /// The standard error of average popularity, a mean over users (`std_u / sqrt(n)`, as the
    /// per-user metrics); coverage and Gini are one number of the whole split and have none.
    pub std_errs: BTreeMap<String, f64>,
}

impl ListMetricsAccumulator {
    /// An empty accumulator for the list-level `metrics` (others are ignored) over a catalogue whose
    /// item `i` was clicked `popularity[i]` times in training (see [`super::item_popularity`]);
    /// usually made by [`super::Evaluator::list_accumulator`].
    pub fn new(metrics: &[Metric], popularity: &[u64]) -> Self {
        let metrics: Vec<Metric> = metrics
            .iter()
            .copied()
            .filter(|m| m.kind.is_list_level())
            .collect();
        let counts = metrics
            .iter()
            .map(|m| match m.kind {
                MetricKind::Coverage | MetricKind::Gini => vec![0; popularity.len()],
                _ => Vec::new(),
            })
            .collect();
        ListMetricsAccumulator {
            counts,
            sums: vec![0.0; metrics.len()],
            sums_of_squares: vec![0.0; metrics.len()],
            metrics,
            popularity: popularity.to_vec(),
            users: 0,
        }
    }

    /// Adds the top-`k` lists of one batch's evaluated users ([`BatchMetrics::recommended`]).
    ///
    /// Errors: a list shorter than a metric's `k` where the catalogue is longer, or an item beyond
    /// the catalogue.
    pub fn add(&mut self, batch: &BatchMetrics) -> Result<()> {
        let n_items = self.popularity.len();
        // Checked before anything is counted, so a refused batch leaves the sums as they were.
        for list in &batch.recommended {
            if let Some(&item) = list.iter().find(|&&i| i as usize >= n_items) {
                return Err(MetricsError::Shape {
                    op: "ListMetricsAccumulator::add",
                    detail: format!("item {item} recommended, but the catalogue has {n_items}"),
                });
            }
            if let Some(metric) = self.metrics.iter().find(|m| list.len() < m.k.min(n_items)) {
                return Err(MetricsError::Shape {
                    op: "ListMetricsAccumulator::add",
                    detail: format!(
                        "a list of {} items for {metric} over {n_items} items",
                        list.len()
                    ),
                });
            }
        }
        for list in &batch.recommended {
            for (m, metric) in self.metrics.iter().enumerate() {
                let top = &list[..metric.k.min(list.len())];
                match metric.kind {
                    MetricKind::AveragePopularity => {
                        let v = average_popularity_at_k(top, &self.popularity, metric.k);
                        self.sums[m] += v;
                        self.sums_of_squares[m] += v * v;
                    }
                    _ => {
                        for &item in top {
                            self.counts[m][item as usize] += 1;
                        }
                    }
                }
            }
        }
        self.users += batch.recommended.len();
        Ok(())
    }

    /// The metrics over all lists added so far (0 for every metric when none was).
    pub fn report(&self) -> ListMetricsReport {
        let mut values = BTreeMap::new();
        let mut std_errs = BTreeMap::new();
        for (m, metric) in self.metrics.iter().enumerate() {
            let value = match metric.kind {
                MetricKind::Coverage => item_coverage(&self.counts[m]),
                MetricKind::Gini => gini_index(&self.counts[m]),
                _ => {
                    let n = self.users.max(1) as f64;
                    let mean = self.sums[m] / n;
                    let variance = (self.sums_of_squares[m] / n - mean * mean).max(0.0);
                    std_errs.insert(metric.to_string(), (variance / n).sqrt());
                    mean
                }
            };
            values.insert(metric.to_string(), value);
        }
        ListMetricsReport { values, std_errs }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(recommended: Vec<Vec<u32>>) -> BatchMetrics {
        BatchMetrics {
            metrics: Vec::new(),
            evaluated_rows: (0..recommended.len()).collect(),
            values: vec![Vec::new(); recommended.len()],
            recommended,
            users_skipped: 0,
        }
    }

    #[test]
    fn list_metrics_of_hand_computed_lists_across_batches() {
        // 4 items with training popularity 5, 1, 0, 2. Three users' top 2: [0, 1], [0, 3] | [0, 1].
        // Top 1: item 0 three times. Coverage@1 = 1/4; counts 3, 0, 0, 0 → Gini@1 = 3/4.
        // Top 2: counts 3, 2, 0, 1 → coverage 3/4; sorted 0, 1, 2, 3 with weights −3, −1, 1, 3:
        //   (0 − 1 + 2 + 9) / (4 · 6) = 10/24.
        // AvgPop@2: (5 + 1)/2, (5 + 2)/2, (5 + 1)/2 = 3, 3.5, 3 → mean 19/6.
        let m = Metric::parse_list("coverage@1,gini@1,coverage@2,gini@2,avgpop@2,ndcg@2").unwrap();
        let mut acc = ListMetricsAccumulator::new(&m, &[5, 1, 0, 2]);
        acc.add(&batch(vec![vec![0, 1], vec![0, 3]])).unwrap();
        acc.add(&batch(vec![vec![0, 1]])).unwrap();
        let r = acc.report();
        assert_eq!(r.values.len(), 5, "ndcg@2 is not a list metric: {r:?}");
        assert_eq!(r.values["coverage@1"], 0.25);
        assert_eq!(r.values["gini@1"], 0.75);
        assert_eq!(r.values["coverage@2"], 0.75);
        assert!((r.values["gini@2"] - 10.0 / 24.0).abs() < 1e-12);
        assert!((r.values["avgpop@2"] - 19.0 / 6.0).abs() < 1e-12);
        // Values 3, 3.5, 3: variance 1/18, standard error sqrt(1/18 / 3).
        assert!((r.std_errs["avgpop@2"] - (1.0f64 / 54.0).sqrt()).abs() < 1e-12);
        assert!(!r.std_errs.contains_key("gini@2"));
    }

    #[test]
    fn lists_shorter_than_k_or_items_beyond_the_catalogue_are_shape_errors() {
        let m = Metric::parse_list("coverage@3").unwrap();
        let mut acc = ListMetricsAccumulator::new(&m, &[1; 5]);
        assert!(acc.add(&batch(vec![vec![0, 1]])).is_err());
        assert!(acc.add(&batch(vec![vec![0, 1, 7]])).is_err());
        // A catalogue of 2 items cannot fill a top 3.
        let mut small = ListMetricsAccumulator::new(&m, &[1; 2]);
        small.add(&batch(vec![vec![1, 0]])).unwrap();
        assert_eq!(small.report().values["coverage@3"], 1.0);
    }
}
