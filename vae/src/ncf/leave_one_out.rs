//! The implicit-feedback protocol's split (He et al. 2017, §4.1): each user's latest interaction is
//! the test item, every other distinct (user, item) pair is a training positive.
//!
//! "Latest" is the largest timestamp; ties, and tables without timestamps, go to the row that comes
//! later in the file, so the split is a function of the table alone.

use super::error::{NcfError, Result};
use crate::data::Ratings;

/// The leave-one-out split of an interaction table.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaveOneOut {
    pub n_users: usize,
    pub n_items: usize,
    /// Training positives `(user, item)`, distinct, sorted by user then item.
    pub train: Vec<(u32, u32)>,
    /// The held-out item of each user (every user of the table has one).
    pub test: Vec<u32>,
    /// All items each user interacted with (training and test), sorted: the items never drawn as
    /// negatives for that user.
    pub seen: Vec<Vec<u32>>,
}

impl LeaveOneOut {
    /// Whether `user` ever interacted with `item`.
    pub fn has_seen(&self, user: u32, item: u32) -> bool {
        self.seen[user as usize].binary_search(&item).is_ok()
    }
}

/// Splits `ratings` (every row an interaction, whatever its rating).
pub fn leave_one_out(ratings: &Ratings) -> Result<LeaveOneOut> {
    let (n_users, n_items) = (ratings.users.len(), ratings.items.len());
    if ratings.is_empty() {
        return Err(NcfError::Data("no interactions to split".into()));
    }
    let time = |k: usize| ratings.timestamp.as_ref().map_or(0.0, |t| t[k]);
    // The latest row of each user: the largest (timestamp, row) pair.
    let mut latest: Vec<Option<usize>> = vec![None; n_users];
    let mut seen: Vec<Vec<u32>> = vec![Vec::new(); n_users];
    for k in 0..ratings.len() {
        let u = ratings.user[k] as usize;
        seen[u].push(ratings.item[k]);
        if latest[u].is_none_or(|j| time(k) >= time(j)) {
            latest[u] = Some(k);
        }
    }
    let mut test = Vec::with_capacity(n_users);
    let mut train = Vec::with_capacity(ratings.len());
    for (u, items) in seen.iter_mut().enumerate() {
        items.sort_unstable();
        items.dedup();
        let Some(k) = latest[u] else {
            return Err(NcfError::Data(format!(
                "user {} has no interaction",
                ratings.users.get(u as u32)
            )));
        };
        let held_out = ratings.item[k];
        test.push(held_out);
        train.extend(
            items
                .iter()
                .filter(|&&i| i != held_out)
                .map(|&i| (u as u32, i)),
        );
    }
    Ok(LeaveOneOut {
        n_users,
        n_items,
        train,
        test,
        seen,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[(&str, &str, f64)]) -> Ratings {
        let mut r = Ratings::new(true).with_timestamps();
        for (k, (u, i, t)) in rows.iter().enumerate() {
            r.push_timed("t", k + 1, u, i, Some(4.0), Some(*t)).unwrap();
        }
        r
    }

    #[test]
    fn leave_one_out_holds_out_each_users_latest_item_by_timestamp() {
        let r = table(&[
            ("a", "x", 30.0),
            ("a", "y", 10.0),
            ("b", "y", 5.0),
            ("a", "z", 20.0),
            ("b", "x", 1.0),
        ]);
        let s = leave_one_out(&r).unwrap();
        // Interned ids: users a = 0, b = 1; items x = 0, y = 1, z = 2.
        assert_eq!(s.test, [0, 1]);
        assert_eq!(s.train, [(0, 1), (0, 2), (1, 0)]);
        assert!(s.has_seen(0, 0) && s.has_seen(1, 1) && !s.has_seen(1, 2));
    }

    #[test]
    fn leave_one_out_breaks_timestamp_ties_by_the_later_row_and_drops_repeats() {
        let r = table(&[
            ("a", "x", 7.0),
            ("a", "y", 7.0),
            ("a", "x", 3.0),
            ("a", "z", 1.0),
        ]);
        let s = leave_one_out(&r).unwrap();
        assert_eq!(s.test, [1], "x and y tie at t = 7; y comes later");
        assert_eq!(s.train, [(0, 0), (0, 2)], "x once, though rated twice");
        let mut no_time = Ratings::new(false);
        for (u, i) in [("a", "x"), ("a", "y"), ("a", "z")] {
            no_time.push("t", 1, u, i, None).unwrap();
        }
        assert_eq!(leave_one_out(&no_time).unwrap().test, [2], "file order");
    }
}
