//! The explicit-rating protocol: a seeded random hold-out of a fraction of the rating events (20% by
//! default) for testing, the rest for training; the models regress the rating.

use super::error::{NcfError, Result};
use super::random::{permutation, SPLIT_STREAM};
use crate::data::Ratings;
use crate::seed::derive_seed;
use autograd::rng::RngKey;

/// One rating event with dense user and item indices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rated {
    pub user: u32,
    pub item: u32,
    pub rating: f64,
}

/// The train and test rating events.
#[derive(Debug, Clone, PartialEq)]
pub struct ExplicitSplit {
    pub n_users: usize,
    pub n_items: usize,
    pub train: Vec<Rated>,
    pub test: Vec<Rated>,
}

impl ExplicitSplit {
    /// The mean training rating `μ` (the global-mean predictor).
    pub fn global_mean(&self) -> f64 {
        self.train.iter().map(|r| r.rating).sum::<f64>() / self.train.len().max(1) as f64
    }
}

/// Holds out `round(test_fraction · N)` events drawn uniformly without replacement (seeded); both
/// parts keep file order.
pub fn explicit_split(ratings: &Ratings, test_fraction: f64, seed: u64) -> Result<ExplicitSplit> {
    let Some(values) = &ratings.rating else {
        return Err(NcfError::Data(
            "the explicit protocol regresses ratings, but these rows carry none (a click-only \
             format); use the implicit protocol"
                .into(),
        ));
    };
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(NcfError::Config(format!(
            "test fraction {test_fraction} must lie strictly between 0 and 1"
        )));
    }
    let n = ratings.len();
    let n_test = (test_fraction * n as f64).round() as usize;
    if n_test == 0 || n_test == n {
        return Err(NcfError::Data(format!(
            "{n} ratings cannot be split {:.0}/{:.0} with both parts non-empty",
            100.0 * (1.0 - test_fraction),
            100.0 * test_fraction
        )));
    }
    let mut is_test = vec![false; n];
    let order = permutation(n, RngKey::new(derive_seed(seed, SPLIT_STREAM), 0));
    for &k in &order[..n_test] {
        is_test[k] = true;
    }
    let (mut train, mut test) = (Vec::with_capacity(n - n_test), Vec::with_capacity(n_test));
    for k in 0..n {
        let r = Rated {
            user: ratings.user[k],
            item: ratings.item[k],
            rating: values[k],
        };
        if is_test[k] {
            test.push(r);
        } else {
            train.push(r);
        }
    }
    Ok(ExplicitSplit {
        n_users: ratings.users.len(),
        n_items: ratings.items.len(),
        train,
        test,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(n: usize) -> Ratings {
        let mut r = Ratings::new(true);
        for k in 0..n {
            r.push(
                "t",
                k + 1,
                &(k % 7).to_string(),
                &(k % 11).to_string(),
                Some((k % 5) as f64),
            )
            .unwrap();
        }
        r
    }

    #[test]
    fn explicit_split_holds_out_a_seeded_fifth_and_keeps_every_event_once() {
        let r = table(1000);
        let s = explicit_split(&r, 0.2, 7).unwrap();
        assert_eq!((s.train.len(), s.test.len()), (800, 200));
        assert_eq!(s, explicit_split(&r, 0.2, 7).unwrap());
        assert_ne!(s.test, explicit_split(&r, 0.2, 8).unwrap().test);
        let total: f64 = s.train.iter().chain(&s.test).map(|x| x.rating).sum();
        assert_eq!(total, r.rating.as_ref().unwrap().iter().sum::<f64>());
    }

    #[test]
    fn explicit_split_refuses_click_only_data_and_bad_fractions() {
        let mut clicks = Ratings::new(false);
        clicks.push("t", 1, "u", "i", None).unwrap();
        assert!(explicit_split(&clicks, 0.2, 1)
            .unwrap_err()
            .to_string()
            .contains("use the implicit protocol"));
        assert!(explicit_split(&table(10), 1.0, 1).is_err());
        assert!(explicit_split(&table(2), 0.1, 1).is_err());
    }
}
