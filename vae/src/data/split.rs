//! The paper's protocol (`--protocol vae-cf`): the data section of the authors' notebook
//! (dawenl/vae_cf, `VAE_ML20M_WWW2018.ipynb`), step for step, so that its `pro_sg` files come out
//! byte-identical.

use serde::{Deserialize, Serialize};

use super::error::{DataError, Result};
use super::numpy_rng::NumpyRandomState;
use super::ratings::Ratings;

/// How many users each of validation and test gets.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Heldout {
    /// Exactly this many (`--heldout-users N`; the notebook's `n_heldout_users = 10000`).
    Users(usize),
    /// `int(F · n_users)` (`--heldout-frac F`).
    Fraction(f64),
}

/// The protocol's parameters; [`Default`] is the notebook's ML-20M setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitConfig {
    /// A rating is a click when it is strictly above this (`raw_data['rating'] > 3.5`).
    pub threshold: f64,
    /// Users with fewer clicks are dropped (`filter_triplets(min_uc=5)`).
    pub min_user_clicks: usize,
    /// Items with fewer clicks are dropped first (`min_sc=0`: off).
    pub min_item_clicks: usize,
    /// Validation and test sizes.
    pub heldout: Heldout,
    /// `np.random.seed(98765)`, used for the user permutation and again for each fold-in split.
    pub seed: u32,
    /// Fraction of a held-out user's clicks to hold out (`split_train_test_proportion(test_prop=0.2)`).
    pub test_prop: f64,
}

impl Default for SplitConfig {
    fn default() -> Self {
        SplitConfig {
            threshold: 3.5,
            min_user_clicks: 5,
            min_item_clicks: 0,
            heldout: Heldout::Users(10_000),
            seed: 98765,
            test_prop: 0.2,
        }
    }
}

/// A `(uid, sid)` click: row and column of a click matrix.
pub type Click = (u32, u32);

/// The split, numerized as the notebook's `numerize`: `uid` is the user's position in `unique_uid`
/// (training users first, then validation, then test), `sid` the item's position in `unique_sid`.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// Raw item ids, in order of first appearance among training clicks.
    pub unique_sid: Vec<String>,
    /// Raw user ids in permuted order.
    pub unique_uid: Vec<String>,
    /// Training clicks in file order.
    pub train: Vec<Click>,
    /// Validation fold-in clicks: users in ascending raw id, each user's clicks in file order.
    pub validation_tr: Vec<Click>,
    /// Validation held-out clicks, ordered likewise.
    pub validation_te: Vec<Click>,
    /// Test fold-in clicks.
    pub test_tr: Vec<Click>,
    /// Test held-out clicks.
    pub test_te: Vec<Click>,
    /// What the split counted on its way; `pro_sg` adds the parameters and writes `stats.json`.
    pub counts: SplitCounts,
}

/// The counts of a split that its click lists do not hold: [`super::pro_sg::SplitStats`] is
/// made of these, the lists' lengths and the parameters of the split.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SplitCounts {
    /// Rating rows read.
    pub input_rows: usize,
    /// Malformed lines skipped under `--skip-invalid`.
    pub skipped_lines: usize,
    /// Clicks left after filtering.
    pub clicks: usize,
    /// Of those, clicks on a (user, item) pair the user clicked before.
    pub repeated_clicks: usize,
    /// Users left after filtering.
    pub users: usize,
    /// Items left after filtering (all users' clicks).
    pub items: usize,
    /// Training users.
    pub train_users: usize,
    /// Users in each of validation and test.
    pub heldout_users: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Role {
    Dropped,
    Train,
    Validation,
    Test,
}

/// Splits `ratings` as the notebook does.
pub fn split(ratings: &Ratings, config: &SplitConfig) -> Result<Split> {
    if !(0.0..=1.0).contains(&config.test_prop) {
        return Err(DataError::Invalid(format!(
            "test proportion {} outside [0, 1]",
            config.test_prop
        )));
    }
    let n_users_all = ratings.users.len();
    let n_items_all = ratings.items.len();

    // raw_data = raw_data[raw_data['rating'] > 3.5]
    let mut rows: Vec<u32> = match &ratings.rating {
        Some(r) => (0..ratings.len() as u32)
            .filter(|&k| r[k as usize] > config.threshold)
            .collect(),
        None => (0..ratings.len() as u32).collect(),
    };
    // filter_triplets: items first, then users, each counted on what is left.
    if config.min_item_clicks > 0 {
        let count = counts(rows.iter().map(|&k| ratings.item[k as usize]), n_items_all);
        rows.retain(|&k| {
            count[ratings.item[k as usize] as usize] as usize >= config.min_item_clicks
        });
    }
    if config.min_user_clicks > 0 {
        let count = counts(rows.iter().map(|&k| ratings.user[k as usize]), n_users_all);
        rows.retain(|&k| {
            count[ratings.user[k as usize] as usize] as usize >= config.min_user_clicks
        });
    }
    if rows.is_empty() {
        return Err(DataError::Empty(format!(
            "no clicks left after filtering {} rows (rating > {}, ≥ {} clicks per user, ≥ {} per item)",
            ratings.len(),
            config.threshold,
            config.min_user_clicks,
            config.min_item_clicks
        )));
    }
    let user_count = counts(rows.iter().map(|&k| ratings.user[k as usize]), n_users_all);
    let item_count = counts(rows.iter().map(|&k| ratings.item[k as usize]), n_items_all);
    let n_items = item_count.iter().filter(|&&c| c > 0).count();

    // unique_uid = user_activity.index: the remaining users in ascending id order.
    let ascending: Vec<u32> = ratings
        .users
        .ascending()
        .into_iter()
        .filter(|&u| user_count[u as usize] > 0)
        .collect();
    let n_users = ascending.len();
    // np.random.seed(98765); idx_perm = np.random.permutation(unique_uid.size)
    let perm = NumpyRandomState::new(config.seed).permutation(n_users);
    let unique_uid: Vec<u32> = perm.iter().map(|&p| ascending[p]).collect();

    let heldout = match config.heldout {
        Heldout::Users(n) => n,
        Heldout::Fraction(f) if (0.0..0.5).contains(&f) => (f * n_users as f64) as usize,
        Heldout::Fraction(f) => {
            return Err(DataError::Invalid(format!(
                "held-out fraction {f} outside [0, 0.5): two splits of that size leave no training users"
            )))
        }
    };
    if 2 * heldout >= n_users {
        return Err(DataError::Invalid(format!(
            "{heldout} validation + {heldout} test users leave no training users out of {n_users}"
        )));
    }
    let n_train = n_users - 2 * heldout;
    let mut role = vec![Role::Dropped; n_users_all];
    let mut uid = vec![0u32; n_users_all];
    for (pos, &u) in unique_uid.iter().enumerate() {
        role[u as usize] = if pos < n_train {
            Role::Train
        } else if pos < n_train + heldout {
            Role::Validation
        } else {
            Role::Test
        };
        uid[u as usize] = pos as u32;
    }

    // unique_sid = pd.unique(train_plays['movieId']): order of first appearance.
    const NO_SID: u32 = u32::MAX;
    let mut sid = vec![NO_SID; n_items_all];
    let mut unique_sid = Vec::new();
    let mut train = Vec::new();
    for &k in &rows {
        let (u, i) = (ratings.user[k as usize], ratings.item[k as usize]);
        if role[u as usize] == Role::Train {
            if sid[i as usize] == NO_SID {
                sid[i as usize] = unique_sid.len() as u32;
                unique_sid.push(i);
            }
            train.push((uid[u as usize], sid[i as usize]));
        }
    }

    // Rank of each user in ascending raw-id order: pandas' groupby('userId') visits groups so.
    let mut rank = vec![0u32; n_users_all];
    for (r, &u) in ascending.iter().enumerate() {
        rank[u as usize] = r as u32;
    }
    let heldout_split = |which: Role| {
        // vad_plays.loc[vad_plays['movieId'].isin(unique_sid)], grouped by user, file order within.
        let mut plays: Vec<(u32, Click)> = rows
            .iter()
            .map(|&k| (ratings.user[k as usize], ratings.item[k as usize]))
            .filter(|&(u, i)| role[u as usize] == which && sid[i as usize] != NO_SID)
            .map(|(u, i)| (rank[u as usize], (uid[u as usize], sid[i as usize])))
            .collect();
        plays.sort_by_key(|&(r, _)| r);
        fold_in_split(&plays, config.test_prop, config.seed)
    };
    let (validation_tr, validation_te) = heldout_split(Role::Validation);
    let (test_tr, test_te) = heldout_split(Role::Test);

    let counts = SplitCounts {
        input_rows: ratings.len(),
        skipped_lines: ratings.skipped,
        clicks: rows.len(),
        repeated_clicks: repeated(
            rows.iter()
                .map(|&k| (ratings.user[k as usize], ratings.item[k as usize])),
        ),
        users: n_users,
        items: n_items,
        train_users: n_train,
        heldout_users: heldout,
    };
    Ok(Split {
        unique_sid: unique_sid
            .iter()
            .map(|&i| ratings.items.get(i).to_string())
            .collect(),
        unique_uid: unique_uid
            .iter()
            .map(|&u| ratings.users.get(u).to_string())
            .collect(),
        train,
        validation_tr,
        validation_te,
        test_tr,
        test_te,
        counts,
    })
}

/// The notebook's `split_train_test_proportion`: `plays` are grouped by user (sorted by the group key,
/// each group in file order). Each user with ≥ 5 clicks holds out `int(test_prop · n)` of them, chosen
/// by `np.random.choice(n, size, replace=False)`; the rest, and every click of smaller users, is fold-in.
pub(crate) fn fold_in_split(
    plays: &[(u32, Click)],
    test_prop: f64,
    seed: u32,
) -> (Vec<Click>, Vec<Click>) {
    // vae_cf re-seeds once per split call; we do the same.
    let mut rng = NumpyRandomState::new(seed);
    let (mut tr, mut te) = (Vec::new(), Vec::new());
    let mut held = Vec::new();
    for group in plays.chunk_by(|a, b| a.0 == b.0) {
        let n = group.len();
        if n >= 5 {
            held.clear();
            held.resize(n, false);
            for j in rng.choice_without_replacement(n, (test_prop * n as f64) as usize) {
                held[j] = true;
            }
            for (&(_, click), &h) in group.iter().zip(&held) {
                if h {
                    te.push(click)
                } else {
                    tr.push(click)
                }
            }
        } else {
            tr.extend(group.iter().map(|&(_, c)| c));
        }
    }
    (tr, te)
}

/// How many of `pairs` equal an earlier one.
fn repeated(pairs: impl Iterator<Item = (u32, u32)>) -> usize {
    let mut keys: Vec<u64> = pairs
        .map(|(u, i)| (u64::from(u) << 32) | u64::from(i))
        .collect();
    keys.sort_unstable();
    keys.windows(2).filter(|w| w[0] == w[1]).count()
}

fn counts(ids: impl Iterator<Item = u32>, n: usize) -> Vec<u32> {
    let mut c = vec![0u32; n];
    for i in ids {
        c[i as usize] += 1;
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` users, user `u` rates items `0..clicks(u)` with 5 stars, plus a 1-star row each.
    fn ratings(n: usize, clicks: impl Fn(usize) -> usize) -> Ratings {
        let mut r = Ratings::new(true);
        for u in 0..n {
            for i in 0..clicks(u) {
                r.push(
                    "f",
                    0,
                    &u.to_string(),
                    &format!("i{}", i + u % 3),
                    Some(5.0),
                )
                .unwrap();
            }
            r.push("f", 0, &u.to_string(), "low", Some(1.0)).unwrap();
        }
        r
    }

    fn config(heldout: usize) -> SplitConfig {
        SplitConfig {
            heldout: Heldout::Users(heldout),
            ..SplitConfig::default()
        }
    }

    #[test]
    fn ratings_at_or_below_the_threshold_are_not_clicks() {
        let s = split(&ratings(10, |_| 6), &config(2)).unwrap();
        assert!(!s.unique_sid.iter().any(|i| i == "low"));
        assert_eq!(s.counts.clicks, 60);
    }

    #[test]
    fn users_below_min_user_clicks_are_dropped() {
        let s = split(&ratings(10, |u| if u < 4 { 4 } else { 7 }), &config(1)).unwrap();
        assert_eq!(s.counts.users, 6);
        assert!(s
            .unique_uid
            .iter()
            .all(|u| u.parse::<usize>().unwrap() >= 4));
    }

    #[test]
    fn split_keeps_item_ids_of_training_users_only() {
        let s = split(&ratings(30, |u| 5 + u % 4), &config(5)).unwrap();
        let n = s.unique_sid.len() as u32;
        for part in [&s.validation_tr, &s.validation_te, &s.test_tr, &s.test_te] {
            assert!(part.iter().all(|&(_, sid)| sid < n));
        }
        let train_items: std::collections::HashSet<u32> = s.train.iter().map(|c| c.1).collect();
        assert_eq!(train_items.len(), s.unique_sid.len());
    }

    #[test]
    fn each_heldout_user_holds_out_a_fifth_of_its_clicks() {
        let s = split(&ratings(40, |u| 5 + u % 11), &config(8)).unwrap();
        let count = |part: &[Click], uid: u32| part.iter().filter(|c| c.0 == uid).count();
        for uid in 24..40 {
            let (tr, te) = if uid < 32 {
                (count(&s.validation_tr, uid), count(&s.validation_te, uid))
            } else {
                (count(&s.test_tr, uid), count(&s.test_te, uid))
            };
            assert_eq!(te, (0.2 * (tr + te) as f64) as usize, "uid {uid}");
        }
    }

    #[test]
    fn too_many_heldout_users_or_nothing_left_is_an_error() {
        assert!(split(&ratings(10, |_| 6), &config(5)).is_err());
        let frac = SplitConfig {
            heldout: Heldout::Fraction(0.5),
            ..config(0)
        };
        assert!(split(&ratings(10, |_| 6), &frac).is_err());
        let err = split(&ratings(10, |_| 3), &config(1)).unwrap_err();
        assert!(matches!(err, DataError::Empty(_)), "{err}");
    }
}
