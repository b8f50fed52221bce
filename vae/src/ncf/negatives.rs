//! Negative sampling (He et al. 2017, §4.1 and the reference code's `get_train_instances`): items a
//! user never interacted with, drawn uniformly.
//!
//! Training negatives: `n` per training positive, with replacement, re-drawn every epoch; the draw for
//! positive `p` of epoch `e` is keyed by `(seed, e)` and counts from `p·2²⁴`, so an epoch's sample is
//! a pure function of the seed and the epoch. Evaluation negatives: `m` distinct items per user (99 in
//! the paper), drawn once.

use super::error::{NcfError, Result};
use super::leave_one_out::LeaveOneOut;
use super::random::{below, EVAL_NEGATIVE_STREAM, TRAIN_NEGATIVE_STREAM};
use crate::seed::derive_seed;
use autograd::rng::{draw, RngKey};

/// Rejection draws allowed per positive: a user who saw all but one of `I` items needs `I` on average.
const DRAWS_PER_POSITIVE: u64 = 1 << 24;

/// What training negatives are drawn against: the positives, and for each user the items never to be
/// drawn as that user's negatives (sorted).
#[derive(Debug, Clone, Copy)]
pub struct Interactions<'a> {
    pub n_items: usize,
    /// Training positives `(user, item)`.
    pub train: &'a [(u32, u32)],
    /// `seen[u]`: the items user `u` must never get as a negative, sorted.
    pub seen: &'a [Vec<u32>],
}

impl Interactions<'_> {
    fn has_seen(&self, user: u32, item: u32) -> bool {
        self.seen[user as usize].binary_search(&item).is_ok()
    }
}

impl LeaveOneOut {
    /// The training positives, every item a user interacted with (the test item too) kept out of
    /// their negatives.
    pub fn interactions(&self) -> Interactions<'_> {
        Interactions {
            n_items: self.n_items,
            train: &self.train,
            seen: &self.seen,
        }
    }
}

/// `per_positive` negatives for each training positive, in the order of `split.train`:
/// entries `[p·n, (p + 1)·n)` belong to positive `p`. A user who has seen every item gets none.
pub fn training_negatives(
    split: Interactions<'_>,
    per_positive: usize,
    seed: u64,
    epoch: usize,
) -> Result<Vec<(u32, u32)>> {
    let key = RngKey::new(derive_seed(seed, TRAIN_NEGATIVE_STREAM), epoch as u64);
    let mut out = Vec::with_capacity(split.train.len() * per_positive);
    for (p, &(u, _)) in split.train.iter().enumerate() {
        if split.seen[u as usize].len() >= split.n_items {
            continue;
        }
        let mut counter = p as u64 * DRAWS_PER_POSITIVE;
        for _ in 0..per_positive {
            loop {
                if counter == (p as u64 + 1) * DRAWS_PER_POSITIVE {
                    return Err(NcfError::Data(format!(
                        "no unseen item found for user index {u} in {DRAWS_PER_POSITIVE} draws"
                    )));
                }
                let j = below(draw(key, counter)[0], split.n_items) as u32;
                counter += 1;
                if !split.has_seen(u, j) {
                    out.push((u, j));
                    break;
                }
            }
        }
    }
    Ok(out)
}

/// `count` distinct unseen items for each user (all of them when fewer remain), drawn once from
/// `seed`; row `u` belongs to user `u`.
pub fn evaluation_negatives(split: &LeaveOneOut, count: usize, seed: u64) -> Vec<Vec<u32>> {
    let base = derive_seed(seed, EVAL_NEGATIVE_STREAM);
    (0..split.n_users)
        .map(|u| {
            let seen = &split.seen[u];
            let unseen = split.n_items - seen.len();
            if unseen <= count {
                return (0..split.n_items as u32)
                    .filter(|i| seen.binary_search(i).is_err())
                    .collect();
            }
            let key = RngKey::new(base, u as u64);
            let mut chosen: Vec<u32> = Vec::with_capacity(count);
            let mut counter = 0u64;
            while chosen.len() < count {
                let j = below(draw(key, counter)[0], split.n_items) as u32;
                counter += 1;
                if seen.binary_search(&j).is_err() && !chosen.contains(&j) {
                    chosen.push(j);
                }
            }
            chosen
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Ratings;
    use crate::ncf::leave_one_out::leave_one_out;

    /// 30 users over 50 items; user u saw items u..u+20 (mod 50), plus user 29 saw all but item 3.
    fn split() -> LeaveOneOut {
        let mut r = Ratings::new(false);
        for u in 0..30 {
            let items: Vec<usize> = if u == 29 {
                (0..50).filter(|&i| i != 3).collect()
            } else {
                (u..u + 20).map(|i| i % 50).collect()
            };
            for i in items {
                r.push("t", 1, &format!("u{u}"), &format!("i{i}"), None)
                    .unwrap();
            }
        }
        leave_one_out(&r).unwrap()
    }

    #[test]
    fn training_negatives_are_never_items_the_user_interacted_with() {
        let s = split();
        let neg = training_negatives(s.interactions(), 4, 9, 0).unwrap();
        assert_eq!(neg.len(), 4 * s.train.len());
        for (p, chunk) in neg.chunks(4).enumerate() {
            let (u, _) = s.train[p];
            for &(nu, j) in chunk {
                assert_eq!(nu, u);
                assert!(!s.has_seen(u, j), "user {u} saw item {j}");
                assert!(j != s.test[u as usize], "the held-out item is no negative");
            }
        }
        let last_user: Vec<u32> = neg
            .iter()
            .filter(|&&(u, _)| u == 29)
            .map(|&(_, j)| j)
            .collect();
        assert!(!last_user.is_empty() && last_user.iter().all(|&j| j == 3));
    }

    #[test]
    fn training_negatives_are_redrawn_each_epoch_and_seeded() {
        let s = split();
        let e0 = training_negatives(s.interactions(), 4, 9, 0).unwrap();
        assert_eq!(e0, training_negatives(s.interactions(), 4, 9, 0).unwrap());
        assert_ne!(e0, training_negatives(s.interactions(), 4, 9, 1).unwrap());
        assert_ne!(e0, training_negatives(s.interactions(), 4, 10, 0).unwrap());
    }

    #[test]
    fn evaluation_negatives_are_distinct_unseen_and_fixed_by_the_seed() {
        let s = split();
        let neg = evaluation_negatives(&s, 25, 4);
        assert_eq!(neg, evaluation_negatives(&s, 25, 4));
        assert_ne!(neg, evaluation_negatives(&s, 25, 5));
        for (u, items) in neg.iter().enumerate() {
            let mut sorted = items.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), items.len(), "distinct");
            assert!(items.iter().all(|&j| !s.has_seen(u as u32, j)));
            let expected = if u == 29 { 1 } else { 25 };
            assert_eq!(items.len(), expected, "user {u}");
        }
    }
}
