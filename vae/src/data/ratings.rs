//! The table every loader produces: one row per rating event, in file order.

use super::error::{DataError, Result};
use super::ids::IdTable;

/// Rating events in file order: `user[k]` rated `item[k]` with `rating[k]`. Ids are interned; the raw
/// strings stay in [`Ratings::users`] and [`Ratings::items`]. Twelve to twenty bytes a row, so ML-20M's
/// 20M rows take about 400 MB.
#[derive(Debug, Default, Clone)]
pub struct Ratings {
    /// Raw user ids.
    pub users: IdTable,
    /// Raw item ids.
    pub items: IdTable,
    /// Interned user of each row.
    pub user: Vec<u32>,
    /// Interned item of each row.
    pub item: Vec<u32>,
    /// The rating of each row; `None` for formats without ratings, whose every row is a click.
    /// Kept in f64 because the notebook compares pandas' float64 column with 3.5.
    pub rating: Option<Vec<f64>>,
    /// Malformed lines skipped under `--skip-invalid`.
    pub skipped: usize,
}

impl Ratings {
    /// An empty table; `with_rating` says whether rows carry a rating.
    pub fn new(with_rating: bool) -> Self {
        Ratings {
            rating: with_rating.then(Vec::new),
            ..Ratings::default()
        }
    }

    /// Appends one row; `file` and `line` name it in the error if the id tables are full or the
    /// rating's presence does not match the table.
    pub fn push(
        &mut self,
        file: &str,
        line: usize,
        user: &str,
        item: &str,
        rating: Option<f64>,
    ) -> Result<()> {
        let full = || DataError::parse(file, line, "more than 2^32 distinct ids");
        let u = self.users.intern(user).ok_or_else(full)?;
        let i = self.items.intern(item).ok_or_else(full)?;
        match (&mut self.rating, rating) {
            (Some(r), Some(v)) => r.push(v),
            (None, None) => {}
            _ => {
                return Err(DataError::parse(
                    file,
                    line,
                    "rating present on some rows only",
                ))
            }
        }
        self.user.push(u);
        self.item.push(i);
        Ok(())
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.user.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.user.is_empty()
    }
}
