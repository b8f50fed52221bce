//! Item coverage@k over a whole split, RecBole's `ItemCoverage`.

/// `Coverage@k = |⋃_u {ω_u(1), …, ω_u(k)}| / |I|`: the share of the catalogue that appears in at least
/// one user's top `k`. `counts[i]` is how many of those lists hold item `i`, over all `|I|` items.
///
/// RecBole divides by its `num_items`, which counts its padding item 0 as well: `|I| + 1` in our terms.
/// We divide by the catalogue, `|I|`.
pub fn item_coverage(counts: &[u64]) -> f64 {
    let covered = counts.iter().filter(|&&c| c > 0).count();
    covered as f64 / counts.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_is_the_share_of_items_recommended_at_least_once() {
        assert_eq!(item_coverage(&[3, 0, 1, 0]), 0.5);
        assert_eq!(item_coverage(&[0, 0, 0, 2, 0]), 0.2);
        assert_eq!(item_coverage(&[1, 1]), 1.0);
    }
}
