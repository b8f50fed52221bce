//! NDCG@k with binary gain, the notebook's `NDCG_binary_at_k_batch` for one user.

/// `NDCG@k = DCG@k / IDCG@k` for one user, or `None` when the user has no held-out item.
///
/// `DCG@k = Σ_{r=1..k} [ω(r) ∈ H] / log2(r + 1)` over the ranked items `ω(1), ω(2), …` (best first),
/// and `IDCG@k = Σ_{r=1..min(|H|, k)} 1 / log2(r + 1)`, the DCG of a ranking with every held-out item
/// on top. `heldout` is `H`, sorted ascending (as a CSR row is). Only the first `k` entries of `ranked`
/// count; fewer are allowed (a catalogue smaller than `k`).
pub fn ndcg_at_k(ranked: &[u32], heldout: &[u32], k: usize) -> Option<f64> {
    if heldout.is_empty() {
        return None;
    }
    let dcg: f64 = ranked
        .iter()
        .take(k)
        .enumerate()
        .filter(|(_, item)| heldout.binary_search(item).is_ok())
        .map(|(i, _)| discount(i + 1))
        .sum();
    let idcg: f64 = (1..=heldout.len().min(k)).map(discount).sum();
    Some(dcg / idcg)
}

/// `1 / log2(rank + 1)`, rank from 1: the notebook's `tp = 1. / np.log2(np.arange(2, k + 2))`.
fn discount(rank: usize) -> f64 {
    1.0 / ((rank + 1) as f64).log2()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn ndcg_of_hits_at_ranks_one_and_three_is_the_hand_computed_value() {
        // H = {5, 7}; ranking 5, 2, 7, 9: hits at ranks 1 and 3.
        // DCG = 1/log2 2 + 1/log2 4 = 1 + 0.5 = 1.5; IDCG = 1/log2 2 + 1/log2 3 = 1 + 0.6309297535714575.
        let got = ndcg_at_k(&[5, 2, 7, 9], &[5, 7], 4).unwrap();
        assert!(close(got, 1.5 / 1.630_929_753_571_457_5), "{got}");
        // At k = 2 only rank 1 hits: DCG = 1, IDCG over min(2, 2) = 2 ranks.
        let got = ndcg_at_k(&[5, 2, 7, 9], &[5, 7], 2).unwrap();
        assert!(close(got, 1.0 / 1.630_929_753_571_457_5), "{got}");
    }

    #[test]
    fn ndcg_ideal_dcg_uses_min_of_heldout_count_and_k() {
        // |H| = 5 > k = 2: IDCG = 1 + 1/log2 3, so two hits on top give exactly 1.
        assert_eq!(ndcg_at_k(&[1, 2, 3], &[1, 2, 3, 4, 5], 2), Some(1.0));
        // |H| = 1 < k = 3: IDCG = 1; a hit at rank 2 gives 1/log2 3.
        let got = ndcg_at_k(&[8, 4, 6], &[4], 3).unwrap();
        assert!(close(got, 1.0 / 3f64.log2()), "{got}");
    }

    #[test]
    fn ndcg_is_zero_without_hits_and_undefined_without_heldout_items() {
        assert_eq!(ndcg_at_k(&[0, 1, 2], &[7], 3), Some(0.0));
        assert_eq!(ndcg_at_k(&[0, 1, 2], &[], 3), None);
    }
}
