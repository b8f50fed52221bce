//! The non-learned predictors reported beside every NCF result.
//!
//! - Popularity (implicit): `s_ui = |{u' : (u', i) ∈ train}|`, the item's number of training
//!   positives, the same for every user.
//! - Global mean (explicit): `r̂_ui = μ`, the mean training rating.
//! - Item mean (explicit, the rating analogue of popularity): `r̂_ui = mean of i's training ratings`,
//!   `μ` for an item without any.

use super::explicit::ExplicitSplit;
use super::leave_one_out::LeaveOneOut;

/// Each item's number of training positives.
pub fn popularity(split: &LeaveOneOut) -> Vec<f64> {
    let mut count = vec![0.0; split.n_items];
    for &(_, i) in &split.train {
        count[i as usize] += 1.0;
    }
    count
}

/// Each item's mean training rating, `μ` for items never rated in training.
pub fn item_means(split: &ExplicitSplit) -> Vec<f64> {
    let mut sum = vec![0.0; split.n_items];
    let mut n = vec![0usize; split.n_items];
    for r in &split.train {
        sum[r.item as usize] += r.rating;
        n[r.item as usize] += 1;
    }
    let mu = split.global_mean();
    sum.iter()
        .zip(&n)
        .map(|(&s, &c)| if c == 0 { mu } else { s / c as f64 })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ncf::explicit::Rated;

    #[test]
    fn item_means_fall_back_to_the_global_mean() {
        let rated = |user, item, rating| Rated { user, item, rating };
        let s = ExplicitSplit {
            n_users: 2,
            n_items: 3,
            train: vec![rated(0, 0, 4.0), rated(1, 0, 2.0), rated(0, 1, 5.0)],
            test: vec![],
        };
        assert_eq!(s.global_mean(), 11.0 / 3.0);
        assert_eq!(item_means(&s), [3.0, 5.0, 11.0 / 3.0]);
    }
}
