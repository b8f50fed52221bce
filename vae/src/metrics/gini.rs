//! The Gini index of how often each item is recommended over a whole split, RecBole's `GiniIndex`.

/// `Gini@k = Σ_{j=1..n} (2j − n − 1) · c_(j) / (n · Σ_j c_(j))`, where `c_(1) ≤ … ≤ c_(n)` are the
/// counts `counts[i]` (how many users' top `k` hold item `i`) sorted ascending over all `n = |I|`
/// items, those never recommended included (as zeros).
///
/// 0 when every item is recommended equally often; `1 − 1/n` when one item fills every list. RecBole's
/// `n` is its `num_items`, which counts its padding item 0: `|I| + 1` in our terms; we use `|I|`. 0
/// when nothing was recommended.
pub fn gini_index(counts: &[u64]) -> f64 {
    let n = counts.len() as f64;
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return 0.0;
    }
    let mut sorted = counts.to_vec();
    sorted.sort_unstable();
    let weighted: f64 = sorted
        .iter()
        .enumerate()
        .map(|(j, &c)| (2.0 * (j + 1) as f64 - n - 1.0) * c as f64)
        .sum();
    weighted / (n * total as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn gini_is_zero_for_equal_counts_and_one_minus_one_over_n_for_a_single_item() {
        assert_eq!(gini_index(&[2, 2, 2]), 0.0);
        assert!(close(gini_index(&[0, 5, 0, 0]), 0.75));
        assert_eq!(gini_index(&[0, 0]), 0.0);
    }

    #[test]
    fn gini_of_a_hand_computed_spread_matches_the_formula() {
        // Counts 3, 0, 1 sorted: 0, 1, 3 with weights 2j − 4 = −2, 0, 2: (0 + 0 + 6) / (3 · 4) = 1/2.
        assert!(close(gini_index(&[3, 0, 1]), 0.5));
    }
}
