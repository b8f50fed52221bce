//! Recall@k normalised by `min(k, |H|)`, the notebook's `Recall_at_k_batch` for one user.

/// `Recall@k = |{ω(1), …, ω(k)} ∩ H| / min(k, |H|)` for one user, or `None` when `H` is empty.
///
/// The denominator is `min(k, |H|)`, not `|H|`: as in the paper, a user with more than `k` held-out
/// items can still reach 1. `heldout` is `H`, sorted ascending (as a CSR row is); only the first `k`
/// entries of `ranked` count.
pub fn recall_at_k(ranked: &[u32], heldout: &[u32], k: usize) -> Option<f64> {
    if heldout.is_empty() {
        return None;
    }
    Some(hits_in_top_k(ranked, heldout, k) as f64 / k.min(heldout.len()) as f64)
}

/// `|{ω(1), …, ω(k)} ∩ H|`, the numerator Recall@k and Precision@k share; `heldout` sorted ascending.
pub(super) fn hits_in_top_k(ranked: &[u32], heldout: &[u32], k: usize) -> usize {
    ranked
        .iter()
        .take(k)
        .filter(|item| heldout.binary_search(item).is_ok())
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recall_divides_hits_by_min_of_k_and_heldout_count() {
        // H = {1, 4, 9}, top 4 = 4, 2, 9, 0: 2 hits / min(4, 3) = 2/3.
        assert_eq!(recall_at_k(&[4, 2, 9, 0], &[1, 4, 9], 4), Some(2.0 / 3.0));
        // k = 2 < |H| = 3: 1 hit (item 4) / 2.
        assert_eq!(recall_at_k(&[4, 2, 9, 0], &[1, 4, 9], 2), Some(0.5));
        // |H| = 6 > k = 2, both of the top 2 held out: recall 1, not 2/6.
        assert_eq!(recall_at_k(&[3, 5], &[0, 1, 2, 3, 4, 5], 2), Some(1.0));
    }

    #[test]
    fn recall_is_undefined_without_heldout_items() {
        assert_eq!(recall_at_k(&[1, 2], &[], 2), None);
        assert_eq!(recall_at_k(&[1, 2], &[7], 2), Some(0.0));
    }
}
