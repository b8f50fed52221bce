//! The popularity baseline: every user is scored by the items' training clicks,
//!
//! `s_ui = φ(i) = Σ_{v ∈ train} x_vi`,
//!
//! the same for all users; evaluation masks each user's fold-in items, so each gets the most
//! clicked items they have not seen. Ties rank the lower item index first, as every ranking here
//! does (`autograd::backend::cpu::top_k`).

use crate::train::Scorer;
use autograd::{Backend, CsrMatrix, Tensor};

/// The training click count of each item, on the backend that scores with it.
pub struct Popularity<B: Backend> {
    backend: B,
    counts: Vec<f32>,
}

impl<B: Backend<Elem = f32>> Popularity<B> {
    /// `φ(i)`: the stored entries of column `i` of `train` ([`crate::metrics::item_popularity`],
    /// which average popularity reads), as f32 (exact below 2²⁴ clicks an item).
    pub fn fit(backend: &B, train: &CsrMatrix<f32>) -> Self {
        let counts = crate::metrics::item_popularity(train)
            .into_iter()
            .map(|c| c as f32)
            .collect();
        Popularity::from_counts(backend, counts)
    }

    /// The model with these counts (from a checkpoint).
    pub fn from_counts(backend: &B, counts: Vec<f32>) -> Self {
        Popularity {
            backend: backend.clone(),
            counts,
        }
    }

    /// `φ`, one value per item.
    pub fn counts(&self) -> &[f32] {
        &self.counts
    }
}

impl<B: Backend<Elem = f32>> Scorer<B> for Popularity<B> {
    /// `φ` in every row.
    fn scores(&self, fold_in: &CsrMatrix<f32>) -> autograd::Result<Tensor<B>> {
        let (rows, n) = (fold_in.rows(), self.counts.len());
        if fold_in.cols() != n {
            return Err(autograd::Error::Shape {
                op: "popularity scores",
                detail: format!("fold-in of {} items, model of {n}", fold_in.cols()),
            });
        }
        Tensor::from_vec(&self.backend, rows, n, &self.counts.repeat(rows))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::top_k;
    use autograd::Cpu;

    #[test]
    fn popularity_ranks_by_training_clicks_ties_to_the_lower_index() {
        // Clicks per item: 0 → 1, 1 → 3, 2 → 1, 3 → 3, 4 → 0.
        let clicks = [
            (0, 1),
            (1, 1),
            (2, 1),
            (0, 3),
            (1, 3),
            (2, 3),
            (0, 0),
            (1, 2),
        ];
        let triplets: Vec<_> = clicks.iter().map(|&(u, i)| (u, i, 1.0f32)).collect();
        let train = CsrMatrix::from_triplets(3, 5, &triplets).unwrap();
        let model = Popularity::fit(&Cpu::<f32>::new(), &train);
        assert_eq!(model.counts(), &[1.0, 3.0, 1.0, 3.0, 0.0]);
        let fold_in = CsrMatrix::from_triplets(2, 5, &[(1, 1, 1.0f32)]).unwrap();
        let scores = model.scores(&fold_in).unwrap().to_vec().unwrap();
        assert_eq!(&scores[..5], &scores[5..], "the same scores for every user");
        assert_eq!(top_k(&scores[..5], 5), vec![1, 3, 0, 2, 4]);
    }
}
