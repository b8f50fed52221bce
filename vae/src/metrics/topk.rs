//! The `k` highest-scoring items of one row by partial selection, never a sort of all `I` items.
//!
//! Split the row into `m ≥ k` blocks and take the `k`-th largest block maximum, `t`: `k` items score
//! at least `t`, so no item scoring below `t` can be in the top `k`. One vectorised pass finds `t`,
//! a second keeps the few items scoring `≥ t` (about 1 % of a row of 20,108 with `k = 100` when
//! scores are in no particular item order),
//! `select_nth_unstable_by` finds the top `k` among them, and only those `k` are sorted.

use std::cmp::Ordering;

/// Scores handled together: the width of the packed compares and maxima.
const LANES: usize = 16;

/// The indices of the `min(k, scores.len())` highest scores, best first.
///
/// The order is total and deterministic: higher score first; equal scores (`-0.0` equals `0.0`) by
/// the lower item index first; NaN below every number, −∞ included. The notebook's
/// `bn.argpartition` leaves the order among tied scores unspecified; fixing it makes every metric
/// reproducible across thread counts and machines.
pub fn top_k(scores: &[f32], k: usize) -> Vec<u32> {
    top_k_and_first_nan(scores, k).0
}

/// [`top_k`], and the index of the first NaN score if there is one: the scan sees every NaN anyway
/// (NaN passes the threshold test), so the evaluator needs no separate pass to reject NaN rows.
pub(super) fn top_k_and_first_nan(scores: &[f32], k: usize) -> (Vec<u32>, Option<usize>) {
    let k = k.min(scores.len());
    if k == 0 {
        return (Vec::new(), scores.iter().position(|s| s.is_nan()));
    }
    let t = threshold(scores, k);
    let mut kept: Vec<Entry> = Vec::with_capacity(4 * k);
    let mut first_nan = None;
    let mut keep = |item: usize, score: f32| {
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
fn threshold(scores: &[f32], k: usize) -> f32 {
    let blocks = (2 * k).min(scores.len() / 8);
    if blocks < k {
        return f32::NEG_INFINITY;
    }
    let mut maxima: Vec<f32> = scores
        .chunks(scores.len() / blocks)
        .map(block_max)
        .collect();
    let (_, kth, _) = maxima.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
    *kth
}

/// The largest score of `block` ignoring NaN (−∞ if none), in `LANES` independent lanes so that it
/// compiles to packed `max` instructions.
fn block_max(block: &[f32]) -> f32 {
    let mut lanes = [f32::NEG_INFINITY; LANES];
    let groups = block.chunks_exact(LANES);
    let tail = groups.remainder();
    for group in groups {
        for (m, &s) in lanes.iter_mut().zip(group) {
            *m = if s > *m { s } else { *m };
        }
    }
    tail.iter()
        .chain(&lanes)
        .fold(f32::NEG_INFINITY, |m, &s| if s > m { s } else { m })
}

/// Whether a score may be in the top `k` given the threshold `t`. NaN is kept as well, so rows with
/// NaN stay exact (NaN then ranks last); `|` rather than `||` keeps the test branch-free.
#[inline]
fn may_rank(score: f32, t: f32) -> bool {
    (score >= t) | score.is_nan()
}

#[derive(Clone, Copy)]
struct Entry {
    score: f32,
    item: u32,
}

/// The ranking order, best first: descending score with NaN below everything, then ascending item.
fn rank_order(a: &Entry, b: &Entry) -> Ordering {
    let by_score = match b.score.partial_cmp(&a.score) {
        Some(o) => o,
        None => a.score.is_nan().cmp(&b.score.is_nan()),
    };
    by_score.then(a.item.cmp(&b.item))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition, by a full sort: what the heap must reproduce.
    fn top_k_by_sorting(scores: &[f32], k: usize) -> Vec<u32> {
        let mut all: Vec<Entry> = scores
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
