//! The `k` highest-scoring columns of each row by partial selection, never a sort of all `I` items.
//!
//! Split the row into `m ≥ k` blocks and take the `k`-th largest block maximum, `t`: `k` items score
//! at least `t`, so no item scoring below `t` can be in the top `k`. One vectorised pass finds `t`,
//! a second keeps the few items scoring `≥ t` (about 1 % of a row of 20,108 with `k = 100` when
//! scores are in no particular item order),
//! `select_nth_unstable_by` finds the top `k` among them, and only those `k` are sorted.

use super::TopK;
use crate::real::Real;
use rayon::prelude::*;
use std::cmp::Ordering;

/// Scores handled together: the width of the packed compares and maxima.
const LANES: usize = 16;

/// [`top_k`] of every `cols`-wide row of `scores`, rows in parallel, with each row's first NaN: the
/// CPU's [`crate::Backend::top_k_rows`].
pub fn top_k_rows<T: Real>(scores: &[T], cols: usize, k: usize) -> TopK {
    let k = k.min(cols);
    if cols == 0 {
        return TopK {
            k,
            items: Vec::new(),
            first_nan: Vec::new(),
        };
    }
    let per_row: Vec<(Vec<u32>, Option<usize>)> = scores
        .par_chunks(cols)
        .map(|row| top_k_and_first_nan(row, k))
        .collect();
    let mut items = Vec::with_capacity(per_row.len() * k);
    let mut first_nan = Vec::with_capacity(per_row.len());
    for (ranked, nan) in per_row {
        items.extend(ranked);
        first_nan.push(nan.map(|c| c as u32));
    }
    TopK {
        k,
        items,
        first_nan,
    }
}

/// The indices of the `min(k, scores.len())` highest scores, best first.
///
/// The order is total and deterministic: higher score first; equal scores (`-0.0` equals `0.0`) by
/// the lower item index first; NaN below every number, −∞ included. The notebook's
/// `bn.argpartition` leaves the order among tied scores unspecified; fixing it makes every metric
/// reproducible across thread counts and machines.
pub fn top_k<T: Real>(scores: &[T], k: usize) -> Vec<u32> {
    top_k_and_first_nan(scores, k).0
}

/// [`top_k`], and the index of the first NaN score if there is one: the scan sees every NaN anyway
/// (NaN passes the threshold test), so the evaluator needs no separate pass to reject NaN rows.
fn top_k_and_first_nan<T: Real>(scores: &[T], k: usize) -> (Vec<u32>, Option<usize>) {
    let k = k.min(scores.len());
    if k == 0 {
        return (Vec::new(), scores.iter().position(|s| s.is_nan()));
    }
    let t = threshold(scores, k);
    let mut kept: Vec<Entry<T>> = Vec::with_capacity(4 * k);
    let mut first_nan = None;
    let mut keep = |item: usize, score: T| {
        if may_rank(score, t) {
            if score.is_nan() && first_nan.is_none() {
                first_nan = Some(item);
            }
            kept.push(Entry {
                score,
                item: item as u32,
            });
        }
    };
    let lanes = scores.chunks_exact(LANES);
    let tail = lanes.remainder();
    for (c, lane) in lanes.enumerate() {
        // Most groups hold no candidate; one branch per group instead of per score.
        if lane.iter().fold(false, |any, &s| any | may_rank(s, t)) {
            for (j, &score) in lane.iter().enumerate() {
                keep(c * LANES + j, score);
            }
        }
    }
    let start = scores.len() - tail.len();
    for (j, &score) in tail.iter().enumerate() {
        keep(start + j, score);
    }
    if kept.len() > k {
        kept.select_nth_unstable_by(k - 1, rank_order);
        kept.truncate(k);
    }
    kept.sort_unstable_by(rank_order);
    (kept.into_iter().map(|e| e.item).collect(), first_nan)
}

/// A score that at least `k` items reach: the `k`-th largest of the maxima of `m ∈ [k, 2k]` blocks
/// of `scores`, or −∞ (keep everything) when blocks of 8 scores or more cannot be formed. NaN is
/// skipped; a block of NaN only gives −∞, which can only lower the threshold.
fn threshold<T: Real>(scores: &[T], k: usize) -> T {
    let blocks = (2 * k).min(scores.len() / 8);
    if blocks < k {
        return T::neg_infinity();
    }
    let mut maxima: Vec<T> = scores
        .chunks(scores.len() / blocks)
        .map(block_max)
        .collect();
    // The maxima are never NaN, so the order is total (−0 and +0 may tie either way: both pass `≥`
    // the same).
    let (_, kth, _) =
        maxima.select_nth_unstable_by(k - 1, |a, b| b.partial_cmp(a).unwrap_or(Ordering::Equal));
    *kth
}

/// The largest score of `block` ignoring NaN (−∞ if none), in `LANES` independent lanes so that it
/// compiles to packed `max` instructions.
fn block_max<T: Real>(block: &[T]) -> T {
    let mut lanes = [T::neg_infinity(); LANES];
    let groups = block.chunks_exact(LANES);
    let tail = groups.remainder();
    for group in groups {
        for (m, &s) in lanes.iter_mut().zip(group) {
            *m = if s > *m { s } else { *m };
        }
    }
    tail.iter()
        .chain(&lanes)
        .fold(T::neg_infinity(), |m, &s| if s > m { s } else { m })
}

/// Whether a score may be in the top `k` given the threshold `t`. NaN is kept as well, so rows with
/// NaN stay exact (NaN then ranks last); `|` rather than `||` keeps the test branch-free.
#[inline]
fn may_rank<T: Real>(score: T, t: T) -> bool {
    (score >= t) | score.is_nan()
}

#[derive(Clone, Copy)]
struct Entry<T> {
    score: T,
    item: u32,
}

/// The ranking order, best first: descending score with NaN below everything, then ascending item.
fn rank_order<T: Real>(a: &Entry<T>, b: &Entry<T>) -> Ordering {
    let by_score = match b.score.partial_cmp(&a.score) {
        Some(o) => o,
        None => a.score.is_nan().cmp(&b.score.is_nan()),
    };
    by_score.then(a.item.cmp(&b.item))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition, by a full sort: what the selection must reproduce.
    fn top_k_by_sorting(scores: &[f32], k: usize) -> Vec<u32> {
        let mut all: Vec<Entry<f32>> = scores
            .iter()
            .enumerate()
            .map(|(i, &score)| Entry {
                score,
                item: i as u32,
            })
            .collect();
        all.sort_by(rank_order);
        all.into_iter().take(k).map(|w| w.item).collect()
    }

    #[test]
    fn top_k_orders_by_score_then_lower_index() {
        let scores = [0.1, 0.9, 0.5, 0.9, f32::NEG_INFINITY, 0.5, 0.7];
        assert_eq!(top_k(&scores, 4), vec![1, 3, 6, 2]);
        assert_eq!(top_k(&scores, 5), vec![1, 3, 6, 2, 5]);
        assert_eq!(top_k(&scores, 100), vec![1, 3, 6, 2, 5, 0, 4]);
        assert_eq!(top_k(&scores, 0), Vec::<u32>::new());
    }

    #[test]
    fn top_k_treats_signed_zeros_as_ties_and_nan_as_lowest() {
        assert_eq!(top_k(&[0.0, -0.0, 0.0], 3), vec![0, 1, 2]);
        assert_eq!(top_k(&[-0.0, 0.0], 1), vec![0]);
        let scores = [f32::NAN, f32::NEG_INFINITY, 1.0, f32::NAN];
        assert_eq!(top_k(&scores, 4), vec![2, 1, 0, 3]);
        assert_eq!(top_k(&scores, 1), vec![2]);
    }

    #[test]
    fn top_k_stays_exact_when_blocks_hold_nan_and_minus_infinity() {
        // Long enough for the block threshold; whole blocks of NaN and of −∞ (masked items).
        let mut scores: Vec<f32> = (0..4000).map(|i| ((i * 37) % 101) as f32).collect();
        scores[..200].fill(f32::NAN);
        scores[1000..1500].fill(f32::NEG_INFINITY);
        for k in [1, 5, 50, 3990, 4000] {
            assert_eq!(top_k(&scores, k), top_k_by_sorting(&scores, k), "k {k}");
        }
        assert_eq!(top_k_and_first_nan(&scores, 5).1, Some(0));
        scores[..200].fill(1.0);
        assert_eq!(top_k_and_first_nan(&scores, 5).1, None);
        let all_nan = vec![f32::NAN; 1000];
        assert_eq!(top_k(&all_nan, 3), vec![0, 1, 2]);
    }

    #[test]
    fn top_k_rows_ranks_each_row_alone_and_names_its_first_nan() {
        let scores = [0.5f32, f32::NAN, 0.5, 2.0, 1.0, 0.0, -0.0, f32::NAN];
        let top = top_k_rows(&scores, 4, 3);
        assert_eq!(
            (top.k, top.row(0), top.row(1)),
            (3, &[3, 0, 2][..], &[0, 1, 2][..])
        );
        assert_eq!(top.first_nan, vec![Some(1), Some(3)]);
        // k beyond the row: every column, NaN last.
        let all = top_k_rows(&scores, 4, 9);
        assert_eq!(all.k, 4);
        assert_eq!(all.items, vec![3, 0, 2, 1, 0, 1, 2, 3]);
        let wide: Vec<f64> = scores.iter().map(|&s| s as f64).collect();
        assert_eq!(top_k_rows(&wide, 4, 9), all);
        assert_eq!(top_k_rows(&wide, 4, 0).first_nan, all.first_nan);
        assert!(top_k_rows::<f32>(&[], 0, 5).items.is_empty());
    }

    #[test]
    fn top_k_matches_a_full_sort_on_many_tied_rows() {
        // Few distinct values force ties everywhere; a small LCG keeps the test free of RNG crates.
        let mut state = 12345u64;
        for n in [1usize, 2, 7, 64, 500, 5000] {
            let scores: Vec<f32> = (0..n)
                .map(|_| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                    ((state >> 33) % 5) as f32 - 2.0
                })
                .collect();
            for k in [1, 2, 3, 10, 100, n] {
                assert_eq!(
                    top_k(&scores, k),
                    top_k_by_sorting(&scores, k),
                    "n {n}, k {k}"
                );
            }
        }
    }
}
