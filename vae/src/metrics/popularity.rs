//! Item popularity in the training split, and the average popularity of a recommendation list,
//! RecBole's `AveragePopularity` for one user.

use autograd::CsrMatrix;

/// `φ(i)`: how many training rows clicked item `i`, the number of stored entries in column `i` of
/// `train` (RecBole's `data.count_items`, the interactions of item `i` in the training data).
pub fn item_popularity(train: &CsrMatrix<f32>) -> Vec<u64> {
    let mut counts = vec![0u64; train.cols()];
    for row in 0..train.rows() {
        for &item in train.row(row).0 {
            counts[item as usize] += 1;
        }
    }
    counts
}

/// `AvgPop@k(u) = Σ_{r=1..k'} φ(ω(r)) / k'` with `k' = min(k, |ranked|)`: the mean training
/// popularity of the user's top `k`. Its mean over users is RecBole's `AveragePopularity@k`.
pub fn average_popularity_at_k(ranked: &[u32], popularity: &[u64], k: usize) -> f64 {
    let top = &ranked[..k.min(ranked.len())];
    if top.is_empty() {
        return 0.0;
    }
    let sum: u64 = top.iter().map(|&i| popularity[i as usize]).sum();
    sum as f64 / top.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn popularity_counts_the_training_rows_that_clicked_each_item() {
        let train = CsrMatrix::from_triplets(
            3,
            4,
            &[
                (0, 0, 1.0),
                (0, 2, 1.0),
                (1, 2, 1.0),
                (2, 2, 5.0),
                (2, 3, 1.0),
            ],
        )
        .unwrap();
        assert_eq!(item_popularity(&train), vec![1, 0, 3, 1]);
    }

    #[test]
    fn average_popularity_is_the_mean_count_of_the_top_k() {
        let pop = [1, 0, 3, 1];
        // Top 2 of 2, 0, 1: (3 + 1) / 2.
        assert_eq!(average_popularity_at_k(&[2, 0, 1], &pop, 2), 2.0);
        // k = 10 beyond a ranking of 3: (3 + 1 + 0) / 3.
        assert_eq!(average_popularity_at_k(&[2, 0, 1], &pop, 10), 4.0 / 3.0);
    }
}
