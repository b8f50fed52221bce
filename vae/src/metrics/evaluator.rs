//! One evaluation batch: mask the fold-in items, rank, and score every user against the held-out items.

use autograd::backend::cpu::top_k::top_k_rows;
use autograd::backend::TopK;
use autograd::CsrMatrix;
use rayon::prelude::*;

use super::{
    average_precision_at_k, hit_rate_at_k, mrr_at_k, ndcg_at_k, precision_at_k, recall_at_k,
    ListMetricsAccumulator, Metric, MetricKind, MetricsAccumulator, MetricsError, Result,
};

/// Computes a fixed list of metrics (by default NDCG@100, Recall@20, Recall@50) batch by batch.
///
/// Per-user metrics (NDCG, Recall, MRR, HR, Precision, MAP) are computed per row here and averaged by
/// [`MetricsAccumulator`]; list-level metrics (coverage, Gini, average popularity) are computed from
/// the same top-`k` rankings, which each batch hands on ([`BatchMetrics::recommended`]) to
/// [`ListMetricsAccumulator`].
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluator {
    metrics: Vec<Metric>,
    per_user: Vec<Metric>,
}

/// The metrics of one batch, per user, in the batch's row order.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchMetrics {
    /// The per-user metrics, in the evaluator's order.
    pub metrics: Vec<Metric>,
    /// The rows of the batch that were evaluated (those with a held-out item), increasing.
    pub evaluated_rows: Vec<usize>,
    /// `values[u][m]`: metric `metrics[m]` of the batch row `evaluated_rows[u]`.
    pub values: Vec<Vec<f64>>,
    /// The top `min(k, items)` items of each evaluated row, best first, `k` the largest cut-off of
    /// the list-level metrics; empty when the evaluator has none.
    pub recommended: Vec<Vec<u32>>,
    /// Rows left out because they have no held-out item.
    pub users_skipped: usize,
}

impl Default for Evaluator {
    /// The notebook's metrics: NDCG@100, Recall@20, Recall@50.
    fn default() -> Self {
        Evaluator {
            per_user: Metric::defaults(),
            metrics: Metric::defaults(),
        }
    }
}

impl Evaluator {
    /// An evaluator of `metrics`, in that order; the list must be non-empty and without repeats.
    pub fn new(metrics: Vec<Metric>) -> Result<Self> {
        if metrics.is_empty() {
            return Err(MetricsError::MetricList("no metric given".into()));
        }
        for (i, m) in metrics.iter().enumerate() {
            if metrics[..i].contains(m) {
                return Err(MetricsError::MetricList(format!("{m} is listed twice")));
            }
        }
        let per_user = metrics
            .iter()
            .copied()
            .filter(|m| !m.kind.is_list_level())
            .collect();
        Ok(Evaluator { metrics, per_user })
    }

    /// The metrics, in the order given.
    pub fn metrics(&self) -> &[Metric] {
        &self.metrics
    }

    /// The per-user metrics (the list without coverage, Gini and average popularity), in the order
    /// [`BatchMetrics::values`] holds them.
    pub fn per_user_metrics(&self) -> &[Metric] {
        &self.per_user
    }

    /// An empty accumulator of the per-user metrics of this evaluator's batches.
    pub fn accumulator(&self) -> MetricsAccumulator {
        MetricsAccumulator::new(&self.per_user)
    }

    /// An empty accumulator of the list-level metrics of this evaluator's batches, over a catalogue
    /// whose item `i` was clicked `popularity[i]` times in training ([`super::item_popularity`]).
    pub fn list_accumulator(&self, popularity: &[u64]) -> ListMetricsAccumulator {
        ListMetricsAccumulator::new(&self.metrics, popularity)
    }

    /// How deep [`BatchMetrics::recommended`] keeps each ranking: the largest list-level `k`, or 0.
    fn list_k(&self) -> usize {
        self.metrics
            .iter()
            .filter(|m| m.kind.is_list_level())
            .map(|m| m.k)
            .max()
            .unwrap_or(0)
    }

    /// The longest ranking any metric reads: the `k` to rank once per row (the top `k` of a total
    /// order is a prefix of its top `k_max`, so each metric cuts its own).
    pub fn k_max(&self) -> usize {
        self.metrics.iter().map(|m| m.k).max().unwrap_or(0)
    }

    /// Evaluates a batch of `B = fold_in.rows()` users on the host.
    ///
    /// `scores` is the model's output, `B × n_items` row-major. Every stored entry of `fold_in`
    /// (the notebook's `X_pred[data_tr.nonzero()] = -np.inf`) is set to −∞ in `scores`, in place;
    /// every stored entry of `heldout` is a held-out item with gain 1, whatever its value. Rows run in
    /// parallel; the result does not depend on the thread count.
    ///
    /// Errors: shapes that disagree (naming all of them), or a NaN score (naming row and item).
    pub fn evaluate_batch(
        &self,
        scores: &mut [f32],
        n_items: usize,
        fold_in: &CsrMatrix<f32>,
        heldout: &CsrMatrix<f32>,
    ) -> Result<BatchMetrics> {
        let rows = fold_in.rows();
        if n_items == 0
            || scores.len() != rows * n_items
            || fold_in.cols() != n_items
            || heldout.rows() != rows
            || heldout.cols() != n_items
        {
            return Err(MetricsError::Shape {
                op: "evaluate_batch",
                detail: format!(
                    "{} scores for {n_items} items, fold-in [{}, {}], held-out [{}, {}]; \
                     expected scores of length rows × items, fold-in and held-out both [rows, items] \
                     with items ≥ 1",
                    scores.len(),
                    fold_in.rows(),
                    fold_in.cols(),
                    heldout.rows(),
                    heldout.cols()
                ),
            });
        }
        scores
            .par_chunks_mut(n_items)
            .enumerate()
            .for_each(|(row, row_scores)| {
                for &item in fold_in.row(row).0 {
                    row_scores[item as usize] = f32::NEG_INFINITY;
                }
            });
        self.evaluate_ranked(&top_k_rows(scores, n_items, self.k_max()), heldout)
    }

    /// Evaluates a batch whose rows are already ranked, fold-in items masked (by
    /// [`autograd::Backend::top_k_rows`] on the scores' device, `k` = [`Evaluator::k_max`]): every
    /// stored entry of `heldout` is a held-out item with gain 1.
    ///
    /// Errors: a ranking of other rows or another length than `heldout` and the metrics ask for, or a
    /// NaN score (naming the first such row and its first NaN item).
    pub fn evaluate_ranked(&self, ranked: &TopK, heldout: &CsrMatrix<f32>) -> Result<BatchMetrics> {
        let rows = heldout.rows();
        let k = self.k_max().min(heldout.cols());
        if ranked.rows() != rows || ranked.k != k || ranked.items.len() != rows * k {
            return Err(MetricsError::Shape {
                op: "evaluate_ranked",
                detail: format!(
                    "{} rows ranked {} deep ({} items), held-out [{rows}, {}]; expected the held-out \
                     rows, each ranked min(k_max = {}, items) = {k} deep",
                    ranked.rows(),
                    ranked.k,
                    ranked.items.len(),
                    heldout.cols(),
                    self.k_max()
                ),
            });
        }
        if let Some((row, item)) = ranked
            .first_nan
            .iter()
            .enumerate()
            .find_map(|(row, nan)| nan.map(|item| (row, item as usize)))
        {
            return Err(MetricsError::NanScore { row, item });
        }
        let list_k = self.list_k();
        let per_row: Vec<Option<(Vec<f64>, &[u32])>> = (0..rows)
            .into_par_iter()
            .map(|row| {
                let held = heldout.row(row).0;
                if held.is_empty() {
                    return None;
                }
                let ranked = ranked.row(row);
                let values = self
                    .per_user
                    .iter()
                    .map(|m| {
                        let value = match m.kind {
                            MetricKind::Ndcg => ndcg_at_k(ranked, held, m.k),
                            MetricKind::Recall => recall_at_k(ranked, held, m.k),
                            MetricKind::Mrr => mrr_at_k(ranked, held, m.k),
                            MetricKind::HitRate => hit_rate_at_k(ranked, held, m.k),
                            MetricKind::Precision => precision_at_k(ranked, held, m.k),
                            MetricKind::Map => average_precision_at_k(ranked, held, m.k),
                            MetricKind::Coverage
                            | MetricKind::Gini
                            | MetricKind::AveragePopularity => None,
                        };
                        value.unwrap_or(f64::NAN)
                    })
                    .collect();
                Some((values, &ranked[..list_k.min(ranked.len())]))
            })
            .collect();

        let mut batch = BatchMetrics {
            metrics: self.per_user.clone(),
            evaluated_rows: Vec::with_capacity(rows),
            values: Vec::with_capacity(rows),
            recommended: Vec::new(),
            users_skipped: 0,
        };
        for (row, values) in per_row.into_iter().enumerate() {
            match values {
                Some((values, top)) => {
                    batch.evaluated_rows.push(row);
                    batch.values.push(values);
                    if list_k > 0 {
                        batch.recommended.push(top.to_vec());
                    }
                }
                None => batch.users_skipped += 1,
            }
        }
        Ok(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csr(rows: usize, cols: usize, entries: &[(usize, usize)]) -> CsrMatrix<f32> {
        let triplets: Vec<(usize, usize, f32)> =
            entries.iter().map(|&(r, c)| (r, c, 1.0)).collect();
        CsrMatrix::from_triplets(rows, cols, &triplets).unwrap()
    }

    fn metrics(specs: &str) -> Evaluator {
        Evaluator::new(Metric::parse_list(specs).unwrap()).unwrap()
    }

    #[test]
    fn fold_in_items_are_masked_in_place_and_never_ranked() {
        // Item 0 scores highest but was clicked in the fold-in part; held out is item 2.
        let mut scores = vec![9.0, 1.0, 5.0, 3.0];
        let fold_in = csr(1, 4, &[(0, 0)]);
        let heldout = csr(1, 4, &[(0, 2)]);
        let batch = metrics("ndcg@1,recall@1")
            .evaluate_batch(&mut scores, 4, &fold_in, &heldout)
            .unwrap();
        assert_eq!(scores[0], f32::NEG_INFINITY);
        assert_eq!(batch.values, vec![vec![1.0, 1.0]]);
    }

    #[test]
    fn batch_of_hand_computed_users_gives_the_formulas_values() {
        // 6 items. User 0: fold-in {0}, held-out {1, 3, 5}; ranking after masking 5, 2, 1, 4, 3, 0.
        //   NDCG@3: hits at ranks 1, 3 → (1 + 1/2) / (1 + 1/log2 3 + 1/2); Recall@2: 1 / min(2, 3).
        // User 1: no fold-in, held-out {4}; ranking 0, 1, 2, 3, 4, 5 → no hit in the top 3 or 2.
        // User 2: fold-in {2}, held-out {} → skipped and counted.
        let mut scores = vec![
            0.9, 0.5, 0.6, 0.1, 0.3, 0.8, //
            0.6, 0.5, 0.4, 0.3, 0.2, 0.1, //
            0.1, 0.2, 0.3, 0.4, 0.5, 0.6,
        ];
        let fold_in = csr(3, 6, &[(0, 0), (2, 2)]);
        let heldout = csr(3, 6, &[(0, 1), (0, 3), (0, 5), (1, 4)]);
        let batch = metrics("ndcg@3,recall@2")
            .evaluate_batch(&mut scores, 6, &fold_in, &heldout)
            .unwrap();
        let ndcg_user0 = 1.5 / (1.5 + 1.0 / 3f64.log2());
        assert_eq!(batch.evaluated_rows, vec![0, 1]);
        assert_eq!(batch.users_skipped, 1);
        assert!((batch.values[0][0] - ndcg_user0).abs() < 1e-12);
        assert_eq!(batch.values[0][1], 0.5);
        assert_eq!(batch.values[1], vec![0.0, 0.0]);

        let mut acc = metrics("ndcg@3,recall@2").accumulator();
        acc.add(&batch).unwrap();
        let report = acc.report().unwrap();
        assert!((report.means["ndcg@3"] - ndcg_user0 / 2.0).abs() < 1e-12);
        assert_eq!(report.means["recall@2"], 0.25);
        assert_eq!((report.users_evaluated, report.users_skipped), (2, 1));
    }

    #[test]
    fn tied_scores_rank_the_lower_item_first() {
        // All scores tie: the ranking is 0, 1, 2, 3; held-out {1} sits at rank 2.
        let mut scores = vec![0.5; 4];
        let fold_in = csr(1, 4, &[]);
        let heldout = csr(1, 4, &[(0, 1)]);
        let batch = metrics("ndcg@2,recall@1")
            .evaluate_batch(&mut scores, 4, &fold_in, &heldout)
            .unwrap();
        assert!((batch.values[0][0] - 1.0 / 3f64.log2()).abs() < 1e-12);
        assert_eq!(batch.values[0][1], 0.0);
    }

    #[test]
    fn every_metric_of_tied_scores_and_fewer_heldout_items_than_k_is_the_hand_computed_value() {
        // 5 items, training popularity 4, 3, 2, 1, 0.
        // User 0: scores tie at 0.5 except item 4 (0.9) → ranking 4, 0, 1, 2, 3 (ties: lower item
        //   first); fold-in {0} masked → 4, 1, 2, 3, 0. Held-out {2, 3}: hits at ranks 3 and 4.
        // User 1: all scores tie, no fold-in → ranking 0, 1, 2, 3, 4; held-out {0}: hit at rank 1.
        // At k = 4 both users have fewer held-out items than k.
        let mut scores = vec![
            0.5, 0.5, 0.5, 0.5, 0.9, //
            0.1, 0.1, 0.1, 0.1, 0.1,
        ];
        let fold_in = csr(2, 5, &[(0, 0)]);
        let heldout = csr(2, 5, &[(0, 2), (0, 3), (1, 0)]);
        let ev = metrics("mrr@4,hr@1,precision@4,map@4,coverage@2,gini@2,avgpop@4,ndcg@4");
        let batch = ev
            .evaluate_batch(&mut scores, 5, &fold_in, &heldout)
            .unwrap();
        assert_eq!(batch.recommended, vec![vec![4, 1, 2, 3], vec![0, 1, 2, 3]]);
        // MRR@4: 1/3, 1. HR@1: 0, 1. Precision@4: 2/4, 1/4.
        // MAP@4: (1/3 + 2/4) / min(4, 2) = 5/12; 1/1 / min(4, 1) = 1.
        // NDCG@4: (1/log2 4 + 1/log2 5) / (1 + 1/log2 3); 1.
        let ndcg0 = (0.5 + 1.0 / 5f64.log2()) / (1.0 + 1.0 / 3f64.log2());
        let want = [
            [1.0 / 3.0, 0.0, 0.5, 5.0 / 12.0, ndcg0],
            [1.0, 1.0, 0.25, 1.0, 1.0],
        ];
        for (got, want) in batch.values.iter().zip(want) {
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() < 1e-12, "{got:?} vs {want:?}");
            }
        }
        let mut acc = ev.accumulator();
        acc.add(&batch).unwrap();
        let report = acc.report().unwrap();
        assert!((report.means["mrr@4"] - 2.0 / 3.0).abs() < 1e-12);
        assert!((report.means["map@4"] - 17.0 / 24.0).abs() < 1e-12);
        assert_eq!(report.means["precision@4"], 0.375);
        assert!(!report.means.contains_key("coverage@2"));
        // Top 2: {4, 1} and {0, 1} → counts 1, 2, 0, 0, 1; coverage 3/5.
        //   Sorted 0, 0, 1, 1, 2, weights 2j − 6 = −4, −2, 0, 2, 4: (0 + 2 + 8) / (5 · 4) = 1/2.
        // AvgPop@4: (0 + 3 + 2 + 1) / 4 = 1.5 and (4 + 3 + 2 + 1) / 4 = 2.5, mean 2.
        let mut lists = ev.list_accumulator(&[4, 3, 2, 1, 0]);
        lists.add(&batch).unwrap();
        let l = lists.report();
        assert_eq!(l.values["coverage@2"], 0.6);
        assert_eq!(l.values["gini@2"], 0.5);
        assert_eq!(l.values["avgpop@4"], 2.0);
    }

    #[test]
    fn without_list_metrics_no_ranking_is_kept() {
        let batch = metrics("ndcg@2")
            .evaluate_batch(&mut [0.1, 0.2], 2, &csr(1, 2, &[]), &csr(1, 2, &[(0, 1)]))
            .unwrap();
        assert!(batch.recommended.is_empty());
    }

    #[test]
    fn k_beyond_the_catalogue_ranks_every_item() {
        // 3 items, k = 100: all held-out items are ranked, so recall is |H| / min(100, |H|) = 1.
        let mut scores = vec![0.1, 0.2, 0.3];
        let fold_in = csr(1, 3, &[]);
        let heldout = csr(1, 3, &[(0, 0), (0, 1)]);
        let batch = metrics("recall@100,ndcg@100")
            .evaluate_batch(&mut scores, 3, &fold_in, &heldout)
            .unwrap();
        // Hits at ranks 2 and 3: DCG = 1/log2 3 + 1/2, IDCG = 1 + 1/log2 3.
        let ndcg = (1.0 / 3f64.log2() + 0.5) / (1.0 + 1.0 / 3f64.log2());
        assert_eq!(batch.values[0][0], 1.0);
        assert!((batch.values[0][1] - ndcg).abs() < 1e-12);
    }

    #[test]
    fn mismatched_shapes_are_errors_naming_every_shape() {
        let ev = Evaluator::default();
        let fold_in = csr(2, 4, &[]);
        let heldout = csr(3, 4, &[]);
        let err = ev
            .evaluate_batch(&mut [0.0; 8], 4, &fold_in, &heldout)
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("fold-in [2, 4]") && msg.contains("held-out [3, 4]"),
            "{msg}"
        );
        let err = ev
            .evaluate_batch(&mut [0.0; 7], 4, &fold_in, &csr(2, 4, &[]))
            .unwrap_err();
        assert!(err.to_string().contains("7 scores for 4 items"), "{err}");
        assert!(ev
            .evaluate_batch(&mut [], 0, &csr(0, 0, &[]), &csr(0, 0, &[]))
            .is_err());
    }

    #[test]
    fn a_ranking_of_other_rows_or_another_depth_is_a_shape_error() {
        let ev = metrics("ndcg@3,recall@1");
        let heldout = csr(2, 5, &[(0, 1)]);
        let ranked = |rows: usize, k: usize| TopK {
            k,
            items: (0..rows * k).map(|i| (i % k) as u32).collect(),
            first_nan: vec![None; rows],
        };
        // Row 0 ranks 0, 1, 2 with item 1 held out (rank 2); row 1 holds nothing out.
        let batch = ev.evaluate_ranked(&ranked(2, 3), &heldout).unwrap();
        assert_eq!((batch.evaluated_rows, batch.users_skipped), (vec![0], 1));
        assert!((batch.values[0][0] - 1.0 / 3f64.log2()).abs() < 1e-12);
        assert_eq!(batch.values[0][1], 0.0);
        for (rows, k) in [(1, 3), (3, 3), (2, 2), (2, 5)] {
            let err = ev.evaluate_ranked(&ranked(rows, k), &heldout).unwrap_err();
            assert!(
                matches!(err, MetricsError::Shape { .. }),
                "{rows} rows, k {k}: {err}"
            );
        }
    }

    #[test]
    fn nan_scores_are_reported_with_row_and_item() {
        let mut scores = vec![0.0, 1.0, 0.5, f32::NAN];
        let err = Evaluator::default()
            .evaluate_batch(&mut scores, 2, &csr(2, 2, &[]), &csr(2, 2, &[(1, 0)]))
            .unwrap_err();
        assert_eq!(err, MetricsError::NanScore { row: 1, item: 1 });
    }

    #[test]
    fn metric_lists_must_be_non_empty_and_distinct() {
        assert!(Evaluator::new(vec![]).is_err());
        let twice = Metric::parse_list("ndcg@10,NDCG@10").unwrap();
        assert!(Evaluator::new(twice).is_err());
    }

    #[test]
    fn results_do_not_depend_on_the_thread_count() {
        let (rows, items) = (64, 300);
        let mut state = 7u64;
        let scores: Vec<f32> = (0..rows * items)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                ((state >> 40) % 50) as f32
            })
            .collect();
        let entries = |offset: usize| -> Vec<(usize, usize)> {
            (0..rows)
                .flat_map(|r| (0..items).map(move |c| (r, c)))
                .filter(|(r, c)| (r * 7 + c * 3 + offset) % 11 == 4)
                .collect()
        };
        let fold_in = csr(rows, items, &entries(1));
        let heldout = csr(rows, items, &entries(5));
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut s = scores.clone();
            pool.install(|| {
                Evaluator::default()
                    .evaluate_batch(&mut s, items, &fold_in, &heldout)
                    .unwrap()
            })
        };
        assert_eq!(run(1), run(3));
    }
}
