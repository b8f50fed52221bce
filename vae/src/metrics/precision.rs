//! Precision@k: the share of the top `k` that is held out, RecBole's `Precision` for one user.

/// `Precision@k = |{ω(1), …, ω(k)} ∩ H| / k`; `None` when `H` is empty.
///
/// The denominator is `k` even when `|H| < k` (so a user with one held-out item scores at most
/// `1/k`), as in RecBole; Recall@k is the metric normalised by `min(k, |H|)`. `heldout` is `H`, sorted
/// ascending (as a CSR row is); only the first `k` entries of `ranked` count.
pub fn precision_at_k(ranked: &[u32], heldout: &[u32], k: usize) -> Option<f64> {
    if heldout.is_empty() {
        return None;
    }
    Some(super::recall::hits_in_top_k(ranked, heldout, k) as f64 / k as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_divides_hits_by_k_even_with_fewer_heldout_items() {
        // H = {1, 4, 9}, top 4 = 4, 2, 9, 0: 2 hits / 4.
        assert_eq!(precision_at_k(&[4, 2, 9, 0], &[1, 4, 9], 4), Some(0.5));
        // |H| = 1 < k = 4, a hit at rank 1: 1/4, not 1.
        assert_eq!(precision_at_k(&[3, 2, 1, 0], &[3], 4), Some(0.25));
        assert_eq!(precision_at_k(&[3, 2, 1, 0], &[], 4), None);
    }
}
