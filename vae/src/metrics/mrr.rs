//! MRR@k: the reciprocal rank of the first held-out item in the top `k`, RecBole's `MRR` for one user.

/// `MRR@k = 1 / r*` with `r* = min{r ≤ k : ω(r) ∈ H}`, or 0 when none of the top `k` is held out;
/// `None` when `H` is empty.
///
/// Only the first hit counts: further held-out items in the top `k` change nothing. `heldout` is `H`,
/// sorted ascending (as a CSR row is); only the first `k` entries of `ranked` count.
pub fn mrr_at_k(ranked: &[u32], heldout: &[u32], k: usize) -> Option<f64> {
    if heldout.is_empty() {
        return None;
    }
    let first_hit = ranked
        .iter()
        .take(k)
        .position(|item| heldout.binary_search(item).is_ok());
    Some(first_hit.map_or(0.0, |i| 1.0 / (i + 1) as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mrr_is_the_reciprocal_rank_of_the_first_hit_only() {
        // H = {2, 7}; ranking 9, 7, 2: first hit at rank 2, the hit at rank 3 adds nothing.
        assert_eq!(mrr_at_k(&[9, 7, 2], &[2, 7], 3), Some(0.5));
        // |H| = 1 < k = 4, hit at rank 4.
        assert_eq!(mrr_at_k(&[0, 1, 3, 5], &[5], 4), Some(0.25));
    }

    #[test]
    fn mrr_ignores_hits_below_k_and_is_undefined_without_heldout_items() {
        assert_eq!(mrr_at_k(&[9, 7, 2], &[2, 7], 1), Some(0.0));
        assert_eq!(mrr_at_k(&[9, 7, 2], &[], 3), None);
    }
}
