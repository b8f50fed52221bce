//! The `k` highest-scoring items of one row, by partial selection: a bounded heap over one pass of
//! the scores (`O(I + k log k)` expected, never a sort of all `I` items), then a sort of the `k` kept.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// The indices of the `min(k, scores.len())` highest scores, best first.
///
/// The order is total and deterministic: higher score first; equal scores (`-0.0` equals `0.0`) by
/// the lower item index first; NaN below every number, −∞ included. The notebook's
/// `bn.argpartition` leaves the order among tied scores unspecified; fixing it makes every metric
/// reproducible across thread counts and machines.
pub fn top_k(scores: &[f32], k: usize) -> Vec<u32> {
    let k = k.min(scores.len());
    if k == 0 {
        return Vec::new();
    }
    // A max-heap of the *worst* kept entry: the root is the entry the next better item evicts.
    let mut heap: BinaryHeap<Worst> = BinaryHeap::with_capacity(k);
    let mut items = scores.iter().enumerate();
    for (item, &score) in items.by_ref().take(k) {
        heap.push(Worst {
            score,
            item: item as u32,
        });
    }
    let mut threshold = heap.peek().map_or(f32::NEG_INFINITY, |w| w.score);
    for (item, &score) in items {
        // Items arrive in increasing index order, so an item that only ties the threshold loses the
        // tie-break and is skipped: strictly better is the only way in.
        if score > threshold || (threshold.is_nan() && !score.is_nan()) {
            if let Some(mut root) = heap.peek_mut() {
                *root = Worst {
                    score,
                    item: item as u32,
                };
            }
            threshold = heap.peek().map_or(f32::NEG_INFINITY, |w| w.score);
        }
    }
    // Ascending in `Worst`'s order is best first.
    heap.into_sorted_vec().into_iter().map(|w| w.item).collect()
}

/// An entry ordered so that the greater of two is the one ranked lower.
#[derive(Clone, Copy)]
struct Worst {
    score: f32,
    item: u32,
}

/// Descending score with NaN below everything, then ascending item.
fn rank_order(a: &Worst, b: &Worst) -> Ordering {
    let by_score = match b.score.partial_cmp(&a.score) {
        Some(o) => o,
        None => a.score.is_nan().cmp(&b.score.is_nan()),
    };
    by_score.then(a.item.cmp(&b.item))
}

impl Ord for Worst {
    fn cmp(&self, other: &Self) -> Ordering {
        rank_order(self, other)
    }
}
impl PartialOrd for Worst {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Worst {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Worst {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition, by a full sort: what the heap must reproduce.
    fn top_k_by_sorting(scores: &[f32], k: usize) -> Vec<u32> {
        let mut all: Vec<Worst> = scores
            .iter()
            .enumerate()
            .map(|(i, &score)| Worst {
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
    fn top_k_matches_a_full_sort_on_many_tied_rows() {
        // Few distinct values force ties everywhere; a small LCG keeps the test free of RNG crates.
        let mut state = 12345u64;
        for n in [1usize, 2, 7, 64, 500] {
            let scores: Vec<f32> = (0..n)
                .map(|_| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                    ((state >> 33) % 5) as f32 - 2.0
                })
                .collect();
            for k in [1, 2, 3, 10, n] {
                assert_eq!(
                    top_k(&scores, k),
                    top_k_by_sorting(&scores, k),
                    "n {n}, k {k}"
                );
            }
        }
    }
}
