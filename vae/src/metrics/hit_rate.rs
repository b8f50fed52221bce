//! HR@k (hit rate): whether any held-out item is in the top `k`, RecBole's `Hit` for one user.

/// `HR@k = [∃ r ≤ k : ω(r) ∈ H]`, 1 or 0; `None` when `H` is empty.
///
/// `heldout` is `H`, sorted ascending (as a CSR row is); only the first `k` entries of `ranked` count.
pub fn hit_rate_at_k(ranked: &[u32], heldout: &[u32], k: usize) -> Option<f64> {
    if heldout.is_empty() {
        return None;
    }
    let hit = ranked
        .iter()
        .take(k)
        .any(|item| heldout.binary_search(item).is_ok());
    Some(if hit { 1.0 } else { 0.0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_rate_is_one_with_any_hit_in_the_top_k_however_many() {
        assert_eq!(hit_rate_at_k(&[4, 1, 3], &[1, 3], 3), Some(1.0));
        assert_eq!(hit_rate_at_k(&[4, 1, 3], &[3], 3), Some(1.0));
        assert_eq!(hit_rate_at_k(&[4, 1, 3], &[3], 2), Some(0.0));
        assert_eq!(hit_rate_at_k(&[4, 1, 3], &[], 2), None);
    }
}
