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
    /// The time of each row, in the file's unit (seconds for MovieLens and RecBole); `None` for
    /// formats without one. NCF's leave-one-out split holds out each user's latest row by this.
    pub timestamp: Option<Vec<f64>>,
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

    /// The same table with a timestamp on every row (rows are then added by [`Ratings::push_timed`]).
    pub fn with_timestamps(mut self) -> Self {
        self.timestamp = Some(Vec::new());
        self
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
        self.push_timed(file, line, user, item, rating, None)
    }

    /// [`Ratings::push`] with the row's timestamp, whose presence must match the table's too.
    pub fn push_timed(
        &mut self,
        file: &str,
        line: usize,
        user: &str,
        item: &str,
        rating: Option<f64>,
        timestamp: Option<f64>,
    ) -> Result<()> {
        if self.rating.is_some() != rating.is_some() {
            return Err(DataError::parse(
                file,
                line,
                "rating present on some rows only",
            ));
        }
        if self.timestamp.is_some() != timestamp.is_some() {
            return Err(DataError::parse(
                file,
                line,
                "timestamp present on some rows only",
            ));
        }
        let full = || DataError::parse(file, line, "more than 2^32 distinct ids");
        let u = self.users.intern(user).ok_or_else(full)?;
        let i = self.items.intern(item).ok_or_else(full)?;
        if let (Some(r), Some(v)) = (&mut self.rating, rating) {
            r.push(v);
        }
        if let (Some(t), Some(v)) = (&mut self.timestamp, timestamp) {
            t.push(v);
        }
        self.user.push(u);
        self.item.push(i);
        Ok(())
    }

    /// Appends every row of `other` (read from `file`), its ids interned into this table's.
    pub fn append(&mut self, other: &Ratings, file: &str) -> Result<()> {
        if self.rating.is_some() != other.rating.is_some()
            || self.timestamp.is_some() != other.timestamp.is_some()
        {
            return Err(DataError::Format {
                file: file.to_string(),
                message:
                    "its rows do not carry the same fields (rating, timestamp) as the files before"
                        .into(),
            });
        }
        let full = || DataError::Format {
            file: file.to_string(),
            message: "more than 2^32 distinct ids across the files".into(),
        };
        let remap = |mine: &mut IdTable, theirs: &IdTable| -> Result<Vec<u32>> {
            (0..theirs.len() as u32)
                .map(|i| mine.intern(theirs.get(i)).ok_or_else(full))
                .collect()
        };
        let users = remap(&mut self.users, &other.users)?;
        let items = remap(&mut self.items, &other.items)?;
        self.user
            .extend(other.user.iter().map(|&u| users[u as usize]));
        self.item
            .extend(other.item.iter().map(|&i| items[i as usize]));
        if let (Some(a), Some(b)) = (&mut self.rating, &other.rating) {
            a.extend_from_slice(b);
        }
        if let (Some(a), Some(b)) = (&mut self.timestamp, &other.timestamp) {
            a.extend_from_slice(b);
        }
        self.skipped += other.skipped;
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
