//! AP@k, averaged over users as MAP@k: precision at each hit, RecBole's `MAP` for one user.

/// `AP@k = Σ_{r=1..k} [ω(r) ∈ H] · P@r / min(k, |H|)` with `P@r = |{ω(1), …, ω(r)} ∩ H| / r`;
/// `None` when `H` is empty. MAP@k is its mean over users.
///
/// The denominator `min(k, |H|)` is RecBole's (its code, `actual_len`, though its doc writes
/// `min(|R̂(u)|, K)`) and matches our Recall@k: a user with more than `k` held-out items can reach 1.
/// Some libraries divide by `|H|` or by the number of hits instead. `heldout` is `H`, sorted ascending
/// (as a CSR row is); only the first `k` entries of `ranked` count.
pub fn average_precision_at_k(ranked: &[u32], heldout: &[u32], k: usize) -> Option<f64> {
    if heldout.is_empty() {
        return None;
    }
    let mut hits = 0usize;
    let mut sum = 0.0;
    for (i, item) in ranked.iter().take(k).enumerate() {
        if heldout.binary_search(item).is_ok() {
            hits += 1;
            sum += hits as f64 / (i + 1) as f64;
        }
    }
    Some(sum / k.min(heldout.len()) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn average_precision_sums_precision_at_each_hit_over_min_of_k_and_heldout_count() {
        // H = {1, 4, 9}; ranking 4, 2, 9, 0, 1: hits at ranks 1, 3, 5.
        // k = 5: (1/1 + 2/3 + 3/5) / min(5, 3) = (1 + 2/3 + 3/5) / 3.
        let got = average_precision_at_k(&[4, 2, 9, 0, 1], &[1, 4, 9], 5).unwrap();
        assert!(close(got, (1.0 + 2.0 / 3.0 + 0.6) / 3.0), "{got}");
        // k = 2 < |H| = 3: only rank 1 hits, (1/1) / 2.
        assert_eq!(
            average_precision_at_k(&[4, 2, 9, 0, 1], &[1, 4, 9], 2),
            Some(0.5)
        );
        // |H| = 1 < k = 4, hit at rank 2: (1/2) / 1.
        assert_eq!(average_precision_at_k(&[7, 3, 1, 0], &[3], 4), Some(0.5));
    }

    #[test]
    fn average_precision_is_zero_without_hits_and_undefined_without_heldout_items() {
        assert_eq!(average_precision_at_k(&[0, 1], &[5], 2), Some(0.0));
        assert_eq!(average_precision_at_k(&[0, 1], &[], 2), None);
    }
}
