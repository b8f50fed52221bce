//! Synthetic click data with ML-20M's shape by default, or any of the paper's three
//! ([`super::preset::Preset::synth`]), for scale work (`vae data synth`): item popularity follows a
//! Zipf law, user activity a log-normal law floored at the preset's minimum clicks, and the
//! result is a `pro_sg` folder split as the notebook splits (training users, then validation and test
//! users with 20% of their clicks held out).

use serde::{Deserialize, Serialize};

use super::error::{DataError, Result};
use super::numpy_rng::NumpyRandomState;
use super::split::{fold_in_split, Click, Split, SplitCounts};

/// Shape of the synthetic data; [`Default`] is ML-20M after the notebook's filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SynthConfig {
    /// All users: training + validation + test (ML-20M: 136,677).
    pub users: usize,
    /// Users in each of validation and test (10,000).
    pub heldout_users: usize,
    /// Items (ML-20M's `unique_sid`: 20,108).
    pub items: usize,
    /// Mean clicks per user (ML-20M: 10,000,054 / 136,677 ≈ 73.2).
    pub mean_clicks: f64,
    /// Zipf exponent of item popularity: `p(rank k) ∝ k^−a`. 0.6 gives the top item ~0.8% of all
    /// clicks, about ML-20M's most clicked film.
    pub zipf: f64,
    /// σ of log-activity; 1.2 puts the median near ML-20M's 35 clicks for a mean of 73.
    pub activity_sigma: f64,
    /// Seed of every random draw.
    pub seed: u32,
    /// Clicks per user are at least this: the preset's user filter (the notebook's `min_uc = 5`;
    /// MSD's 20 songs).
    #[serde(default = "default_min_clicks")]
    pub min_clicks: usize,
}

fn default_min_clicks() -> usize {
    5
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            users: 136_677,
            heldout_users: 10_000,
            items: 20_108,
            mean_clicks: 73.2,
            zipf: 0.6,
            activity_sigma: 1.2,
            seed: 98765,
            min_clicks: default_min_clicks(),
        }
    }
}

/// Generates a data set of `config`'s shape. `uid`s are dense (training users first) and `sid = k`
/// is the item of popularity rank `k`; raw ids are the decimal indices.
pub fn synth(config: &SynthConfig) -> Result<Split> {
    let c = config;
    if c.min_clicks == 0 || c.items < 2 * c.min_clicks {
        return Err(DataError::Invalid(format!(
            "{} items and at least {} clicks per user: need at least one click and twice as many items",
            c.items, c.min_clicks
        )));
    }
    if 2 * c.heldout_users >= c.users {
        return Err(DataError::Invalid(format!(
            "{} validation + {} test users leave no training users out of {}",
            c.heldout_users, c.heldout_users, c.users
        )));
    }
    let valid = c.mean_clicks.is_finite()
        && c.mean_clicks > 0.0
        && c.zipf.is_finite()
        && c.zipf >= 0.0
        && c.activity_sigma.is_finite()
        && c.activity_sigma >= 0.0;
    if !valid {
        return Err(DataError::Invalid(
            "mean clicks, zipf and sigma must be finite, mean positive".into(),
        ));
    }
    let mut rng = NumpyRandomState::new(c.seed);
    // Cumulative Zipf weights: an item is the first rank whose cumulative weight exceeds u·total.
    let mut cdf = Vec::with_capacity(c.items);
    let mut total = 0.0;
    for k in 1..=c.items {
        total += (k as f64).powf(-c.zipf);
        cdf.push(total);
    }
    // E[exp(N(μ, σ²))] = exp(μ + σ²/2) = mean clicks.
    let mu = c.mean_clicks.ln() - c.activity_sigma * c.activity_sigma / 2.0;
    // Rejection of repeats stays cheap while a user holds at most half the items.
    let max_clicks = c.items / 2;
    let mut seen = vec![u32::MAX; c.items];
    let mut clicks: Vec<Click> =
        Vec::with_capacity((c.users as f64 * c.mean_clicks * 1.05) as usize);
    for u in 0..c.users as u32 {
        let z = standard_normal(&mut rng);
        let n =
            ((mu + c.activity_sigma * z).exp().round() as usize).clamp(c.min_clicks, max_clicks);
        let mut drawn = 0;
        while drawn < n {
            let x = rng.next_f64() * total;
            let item = cdf.partition_point(|&w| w <= x).min(c.items - 1);
            if seen[item] != u {
                seen[item] = u;
                clicks.push((u, item as u32));
                drawn += 1;
            }
        }
    }
    let n_train = (c.users - 2 * c.heldout_users) as u32;
    let n_val_end = n_train + c.heldout_users as u32;
    let train_end = clicks.partition_point(|&(u, _)| u < n_train);
    let val_end = clicks.partition_point(|&(u, _)| u < n_val_end);
    let keyed = |part: &[Click]| part.iter().map(|&(u, s)| (u, (u, s))).collect::<Vec<_>>();
    let (validation_tr, validation_te) =
        fold_in_split(&keyed(&clicks[train_end..val_end]), 0.2, c.seed);
    let (test_tr, test_te) = fold_in_split(&keyed(&clicks[val_end..]), 0.2, c.seed);
    let n_clicks = clicks.len();
    clicks.truncate(train_end);
    let counts = SplitCounts {
        input_rows: n_clicks,
        skipped_lines: 0,
        clicks: n_clicks,
        // Each user's items are drawn without replacement.
        repeated_clicks: 0,
        users: c.users,
        items: c.items,
        train_users: n_train as usize,
        heldout_users: c.heldout_users,
    };
    Ok(Split {
        unique_sid: (0..c.items).map(|i| i.to_string()).collect(),
        unique_uid: (0..c.users).map(|u| u.to_string()).collect(),
        train: clicks,
        validation_tr,
        validation_te,
        test_tr,
        test_te,
        counts,
    })
}

/// A standard normal draw by Box–Muller (one of the pair is enough here).
fn standard_normal(rng: &mut NumpyRandomState) -> f64 {
    let u1 = 1.0 - rng.next_f64();
    let u2 = rng.next_f64();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> SynthConfig {
        SynthConfig {
            users: 300,
            heldout_users: 50,
            items: 120,
            mean_clicks: 12.0,
            ..SynthConfig::default()
        }
    }

    #[test]
    fn tiny_synth_has_the_requested_shape_and_at_least_five_clicks_per_user() {
        let s = synth(&tiny()).unwrap();
        assert_eq!(s.counts.train_users, 200);
        assert_eq!(s.unique_sid.len(), 120);
        let mut per_user = vec![0usize; 300];
        for parts in [
            &s.train,
            &s.validation_tr,
            &s.validation_te,
            &s.test_tr,
            &s.test_te,
        ] {
            for &(u, i) in parts.iter() {
                assert!(i < 120);
                per_user[u as usize] += 1;
            }
        }
        assert!(per_user.iter().all(|&n| n >= 5), "{per_user:?}");
        let mean = s.counts.clicks as f64 / 300.0;
        assert!((8.0..18.0).contains(&mean), "mean clicks {mean}");
        // 20% held out of each held-out user, every one of them with ≥ 5 clicks.
        assert!(s.validation_te.len() * 5 <= s.validation_tr.len() + s.validation_te.len());
        assert!(!s.test_te.is_empty());
    }

    #[test]
    fn popular_items_get_more_clicks_than_rare_ones() {
        let s = synth(&tiny()).unwrap();
        let mut count = vec![0usize; 120];
        s.train.iter().for_each(|&(_, i)| count[i as usize] += 1);
        let (head, tail) = count.split_at(60);
        assert!(count[0] > count[119], "{count:?}");
        assert!(
            head.iter().sum::<usize>() > tail.iter().sum::<usize>(),
            "{count:?}"
        );
    }

    #[test]
    fn same_seed_same_data_other_seed_other_data() {
        assert_eq!(synth(&tiny()).unwrap(), synth(&tiny()).unwrap());
        let other = SynthConfig { seed: 1, ..tiny() };
        assert_ne!(synth(&tiny()).unwrap().train, synth(&other).unwrap().train);
    }

    #[test]
    fn every_user_has_at_least_min_clicks() {
        let c = SynthConfig {
            min_clicks: 20,
            ..tiny()
        };
        let s = synth(&c).unwrap();
        let mut per_user = vec![0usize; 300];
        for parts in [
            &s.train,
            &s.validation_tr,
            &s.validation_te,
            &s.test_tr,
            &s.test_te,
        ] {
            parts.iter().for_each(|&(u, _)| per_user[u as usize] += 1);
        }
        assert_eq!(per_user.iter().min(), Some(&20), "{per_user:?}");
    }

    #[test]
    fn too_many_heldout_users_is_an_error() {
        let c = SynthConfig {
            heldout_users: 150,
            ..tiny()
        };
        assert!(synth(&c).is_err());
    }
}
