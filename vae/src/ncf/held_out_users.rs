//! NCF on Mult-VAE's split (Liang et al. 2018, §4.2): the same held-out users, fold-in clicks and
//! held-out clicks, and the same metrics, so NeuMF's figures sit in one table with Mult-VAE's.
//!
//! NeuMF has no encoder: it scores a user from the user's embedding `p_u`, not from a click row, so
//! it cannot fold a new user in. Its training set is therefore every click a model may see,
//! `T = train ∪ validation_tr ∪ test_tr` (the training users' clicks and the held-out users' fold-in
//! clicks), with user `uid` the embedding row `uid` (the split numbers users densely: training users
//! first, then validation, then test). Training is the implicit protocol's (BCE on `σ(s_ui)`, 4
//! negatives per positive re-drawn every epoch), each user's negatives drawn from the items not in
//! `T_u`: the held-out items `validation_te`, `test_te` are never looked at, so drawing one as a
//! negative is what a deployed model would do too.
//!
//! Evaluation is the notebook's: for each validation (test) user, every item scored, the fold-in
//! items `*_tr` masked to −∞, the ranking measured against `*_te` by the run's metrics (NDCG@100,
//! Recall@20, Recall@50 by default, any of `--k`). The first NDCG on the validation users picks the
//! best epoch; the test users are measured every epoch beside it (`test.` names) and reported at that
//! epoch, as the VAE reports its test metrics at its best validation epoch.

use super::error::{NcfError, Result};
use super::evaluate::ItemScorer;
use super::negatives::Interactions;
use super::train::Measurement;
use crate::data::{Dataset, HeldoutPair};
use crate::metrics::{item_popularity, Evaluator};
use crate::train::evaluate::{evaluate_batches, Evaluation};
use std::collections::BTreeMap;

/// Pairs scored per call of the item scorer (`⌊this / I⌋` users at a time, at least one).
const PAIRS_PER_CALL: usize = 1 << 17;

/// Mult-VAE's split, as NCF trains and measures on it.
#[derive(Debug, Clone)]
pub struct HeldOutUsers {
    /// Embedding rows: one past the largest `uid`.
    pub n_users: usize,
    pub n_items: usize,
    /// Training positives `(uid, item)`: `train ∪ validation_tr ∪ test_tr`, sorted by user then item.
    pub train: Vec<(u32, u32)>,
    /// Each user's training items, sorted: never drawn as the user's negatives.
    pub seen: Vec<Vec<u32>>,
    pub validation: HeldoutPair,
    pub test: HeldoutPair,
    /// The training users' clicks per item (what average popularity reads, as for Mult-VAE).
    pub popularity: Vec<u64>,
    pub evaluator: Evaluator,
}

impl HeldOutUsers {
    /// The split of `data`, measured by `evaluator`. Refuses a split whose parts share a `uid`.
    pub fn new(data: &Dataset, evaluator: Evaluator) -> Result<Self> {
        let train_rows = data.train.rows() as u32;
        let parts = [
            (0, &data.train, "train.csv"),
            (
                data.validation.first_uid,
                &data.validation.fold_in,
                "validation_tr.csv",
            ),
            (data.test.first_uid, &data.test.fold_in, "test_tr.csv"),
        ];
        let mut spans: Vec<(u32, u32, &str)> = parts
            .iter()
            .map(|&(first, m, file)| (first, first + m.rows() as u32, file))
            .collect();
        spans.sort_unstable();
        for w in spans.windows(2) {
            if w[1].0 < w[0].1 {
                return Err(NcfError::Data(format!(
                    "{} and {} share uids {}..{}: NCF gives each user one embedding",
                    w[0].2,
                    w[1].2,
                    w[1].0,
                    w[0].1.min(w[1].1)
                )));
            }
        }
        debug_assert_eq!(parts[0].0, 0);
        let n_users = spans.iter().map(|s| s.1).max().unwrap_or(train_rows) as usize;
        let mut seen = vec![Vec::new(); n_users];
        for (first, clicks, _) in parts {
            for r in 0..clicks.rows() {
                let items = &mut seen[first as usize + r];
                items.extend_from_slice(clicks.row(r).0);
                items.sort_unstable();
                items.dedup();
            }
        }
        let train = seen
            .iter()
            .enumerate()
            .flat_map(|(u, items)| items.iter().map(move |&i| (u as u32, i)))
            .collect();
        Ok(HeldOutUsers {
            n_users,
            n_items: data.n_items,
            train,
            seen,
            validation: data.validation.clone(),
            test: data.test.clone(),
            popularity: item_popularity(&data.train),
            evaluator,
        })
    }

    /// What training negatives are drawn against.
    pub fn interactions(&self) -> Interactions<'_> {
        Interactions {
            n_items: self.n_items,
            train: &self.train,
            seen: &self.seen,
        }
    }

    /// The validation users' metrics under their plain names, the test users' prefixed `test.`, and
    /// each test user's values; `score_items(users)` gives every item's score for each of `users`.
    pub fn measure(&self, score_items: &mut ItemScorer) -> Result<Measurement> {
        let validation = self.evaluate(&self.validation, score_items)?;
        let test = self.evaluate(&self.test, score_items)?;
        let mut metrics: BTreeMap<String, f64> = validation.metrics;
        metrics.extend(
            test.metrics
                .into_iter()
                .map(|(m, v)| (format!("test.{m}"), v)),
        );
        Ok(Measurement {
            metrics,
            per_user: Some(test.per_user),
        })
    }

    fn evaluate(&self, pair: &HeldoutPair, score_items: &mut ItemScorer) -> Result<Evaluation> {
        let n_items = self.n_items;
        let per_call = (PAIRS_PER_CALL / n_items.max(1)).max(1);
        evaluate_batches(
            pair,
            &self.popularity,
            &self.evaluator,
            per_call,
            |uids, fold_in, heldout| {
                let users: Vec<usize> = uids.map(|u| u as usize).collect();
                let scores = score_items(&users)?;
                if scores.len() != users.len() * n_items {
                    return Err(NcfError::Data(format!(
                        "the item scorer gave {} scores for {} users × {n_items} items",
                        scores.len(),
                        users.len()
                    )));
                }
                let mut scores: Vec<f32> = scores.into_iter().map(|s| s as f32).collect();
                Ok(self
                    .evaluator
                    .evaluate_batch(&mut scores, n_items, fold_in, heldout)?)
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metric;
    use autograd::CsrMatrix;

    fn csr(rows: &[&[u32]], cols: usize) -> CsrMatrix<f32> {
        let triplets: Vec<(usize, usize, f32)> = rows
            .iter()
            .enumerate()
            .flat_map(|(r, items)| items.iter().map(move |&i| (r, i as usize, 1.0)))
            .collect();
        CsrMatrix::from_triplets(rows.len(), cols, &triplets).unwrap()
    }

    /// 2 training users, 1 validation user (uid 2), 2 test users (uids 3, 4), 6 items.
    fn dataset() -> Dataset {
        Dataset {
            n_items: 6,
            unique_sid: (0..6).map(|i| format!("i{i}")).collect(),
            train: csr(&[&[0, 1, 2], &[1, 3]], 6),
            validation: HeldoutPair {
                first_uid: 2,
                fold_in: csr(&[&[0, 4]], 6),
                heldout: csr(&[&[1]], 6),
            },
            test: HeldoutPair {
                first_uid: 3,
                fold_in: csr(&[&[2], &[5, 0]], 6),
                heldout: csr(&[&[3, 4], &[1]], 6),
            },
        }
    }

    fn evaluator() -> Evaluator {
        Evaluator::new(Metric::parse_list("ndcg@2,recall@1").unwrap()).unwrap()
    }

    #[test]
    fn training_positives_are_every_click_but_the_held_out_ones() {
        let h = HeldOutUsers::new(&dataset(), evaluator()).unwrap();
        assert_eq!((h.n_users, h.n_items), (5, 6));
        assert_eq!(
            h.train,
            vec![
                (0, 0),
                (0, 1),
                (0, 2),
                (1, 1),
                (1, 3),
                (2, 0),
                (2, 4),
                (3, 2),
                (4, 0),
                (4, 5)
            ]
        );
        // The held-out items (validation 1; test 3, 4 and 1) are not seen: they may be negatives.
        assert_eq!(h.seen[2], vec![0, 4]);
        assert_eq!(h.seen[3], vec![2]);
        assert_eq!(h.popularity, vec![1, 2, 1, 1, 0, 0]);
    }

    #[test]
    fn a_split_whose_parts_share_a_uid_is_refused_naming_both_files() {
        let mut d = dataset();
        d.test.first_uid = 2;
        let e = HeldOutUsers::new(&d, evaluator()).unwrap_err().to_string();
        assert!(
            e.contains("validation_tr.csv and test_tr.csv share uids 2..3"),
            "{e}"
        );
    }

    #[test]
    fn measure_masks_the_fold_in_and_ranks_each_held_out_user_by_uid() {
        let h = HeldOutUsers::new(&dataset(), evaluator()).unwrap();
        // Score of item i for user u: 10·u + i, so each user ranks its unmasked items high to low.
        let mut calls = Vec::new();
        let m = h
            .measure(&mut |users: &[usize]| {
                calls.push(users.to_vec());
                Ok(users
                    .iter()
                    .flat_map(|&u| (0..6).map(move |i| (10 * u + i) as f64))
                    .collect())
            })
            .unwrap();
        assert_eq!(calls, vec![vec![2], vec![3, 4]]);
        // Validation uid 2: fold-in {0, 4} masked, ranking 5, 3, 2, 1; held-out {1}: no hit in 2.
        assert_eq!(m.metrics["ndcg@2"], 0.0);
        assert_eq!(m.metrics["recall@1"], 0.0);
        // Test uid 3: fold-in {2}, ranking 5, 4, 3, …; held-out {3, 4}: the 2nd is a hit,
        // NDCG@2 = (1/log2 3) / (1 + 1/log2 3); recall@1 = 0/min(1, 2).
        // Test uid 4: fold-in {5, 0}, ranking 4, 3, 2, 1; held-out {1}: no hit.
        let g = 1.0 / 3f64.log2();
        let ndcg3 = g / (1.0 + g);
        assert!((m.metrics["test.ndcg@2"] - ndcg3 / 2.0).abs() < 1e-12);
        assert_eq!(m.metrics["test.recall@1"], 0.0);
        let per_user = m.per_user.unwrap();
        assert_eq!(per_user.uids, vec![3, 4]);
        assert!((per_user.values[0][0] - ndcg3).abs() < 1e-12);
    }
}
