//! The in-memory data set the models consume, loaded from a `pro_sg` folder (ours or the notebook's).

use std::path::Path;

use autograd::CsrMatrix;

use super::cache;
use super::click_matrix::click_matrix;
use super::error::{DataError, Result};
use super::pro_sg::{read_clicks, read_ids, CLICK_FILES};
use super::split::Click;

/// Fold-in and held-out click matrices of the same users, row for row (the notebook's
/// `load_tr_te_data`): row `r` is the user with `uid = first_uid + r`.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldoutPair {
    /// `uid` of row 0.
    pub first_uid: u32,
    /// Clicks the model sees (`*_tr.csv`).
    pub fold_in: CsrMatrix<f32>,
    /// Clicks it must rank (`*_te.csv`).
    pub heldout: CsrMatrix<f32>,
}

/// A split in memory: users × items click matrices with 1.0 per click.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Columns of every matrix (`len(unique_sid)`).
    pub n_items: usize,
    /// Raw item id of each column.
    pub unique_sid: Vec<String>,
    /// Training users (the notebook's `load_train_data`: `uid.max() + 1` rows).
    pub train: CsrMatrix<f32>,
    /// Validation users.
    pub validation: HeldoutPair,
    /// Test users.
    pub test: HeldoutPair,
}

/// What [`Dataset::load_with_status`] did with the binary cache.
#[derive(Debug, Clone, PartialEq)]
pub enum CacheStatus {
    /// The cache matched the files and its checksum: nothing was parsed.
    Hit,
    /// The cache was missing, stale or corrupt (the reason); the files were parsed and the cache
    /// rewritten.
    Rebuilt(String),
    /// The files were parsed but the cache could not be written (a read-only folder): the reason.
    NotWritten(String),
}

impl CacheStatus {
    /// The line to show a user, when there is something to say: why the text files were parsed.
    pub fn note(&self) -> Option<String> {
        match self {
            CacheStatus::Hit => None,
            CacheStatus::Rebuilt(why) => Some(format!(
                "parsed the text files and wrote the binary cache {}: {why}",
                cache::CACHE_FILE
            )),
            CacheStatus::NotWritten(why) => Some(format!(
                "parsed the text files; the binary cache could not be written ({why})"
            )),
        }
    }
}

impl Dataset {
    /// Loads `dir`, through the binary cache beside the files when it is valid, rebuilding it when it
    /// is not.
    pub fn load(dir: &Path) -> Result<Self> {
        Self::load_with_status(dir).map(|(d, _)| d)
    }

    /// [`Dataset::load`], also saying what happened to the cache.
    pub fn load_with_status(dir: &Path) -> Result<(Self, CacheStatus)> {
        let fingerprint = cache::fingerprint(dir)?;
        let reason = match cache::read(dir, &fingerprint) {
            // A cache is only written from a folder that passed `check_splits`.
            Ok(d) => return Ok((d, CacheStatus::Hit)),
            Err(reason) => reason,
        };
        let d = Self::load_uncached(dir)?;
        let status = match cache::write(dir, &fingerprint, &d) {
            Ok(()) => CacheStatus::Rebuilt(reason),
            Err(e) => CacheStatus::NotWritten(e.to_string()),
        };
        Ok((d, status))
    }

    /// Parses the folder's text files, ignoring any cache.
    pub fn load_uncached(dir: &Path) -> Result<Self> {
        let unique_sid = read_ids(&dir.join("unique_sid.txt"))?;
        let n_items = unique_sid.len();
        let [train, vtr, vte, ttr, tte] = CLICK_FILES.map(|f| dir.join(f));
        let train_path = train.display().to_string();
        let train_clicks = read_clicks(&train, n_items)?;
        let Some(max) = train_clicks.iter().map(|c| c.0).max() else {
            return Err(DataError::Empty(format!("{train_path} has no clicks")));
        };
        let rows = max as usize + 1;
        check_span(&train_path, rows, train_clicks.len())?;
        let train =
            click_matrix(rows, n_items, 0, &train_clicks).map_err(|source| DataError::Matrix {
                file: train_path,
                source,
            })?;
        let d = Dataset {
            n_items,
            unique_sid,
            train,
            validation: load_pair(&vtr, &vte, n_items)?,
            test: load_pair(&ttr, &tte, n_items)?,
        };
        d.check_splits(dir)?;
        Ok(d)
    }

    /// Refuses a held-out split without clicks before any training: an empty held-out file would make
    /// training fail only at its end (a mean over no user), an empty fold-in file would give
    /// validation or test scores that mean nothing.
    fn check_splits(&self, dir: &Path) -> Result<()> {
        // An empty train.csv was refused while reading it: it sets the number of rows.
        let [_, vtr, vte, ttr, tte] = CLICK_FILES;
        let parts = [
            (
                vtr,
                &self.validation.fold_in,
                "no validation user to fold in",
            ),
            (
                vte,
                &self.validation.heldout,
                "no validation user has held-out items",
            ),
            (ttr, &self.test.fold_in, "no test user to fold in"),
            (tte, &self.test.heldout, "no test user has held-out items"),
        ];
        match parts.iter().find(|(_, m, _)| m.nnz() == 0) {
            Some((file, _, why)) => Err(DataError::Format {
                file: dir.join(file).display().to_string(),
                message: format!(
                    "no clicks: {why}; prepare the folder again with more held-out users \
                     (`vae data prepare --heldout-users`)"
                ),
            }),
            None => Ok(()),
        }
    }

    /// The raw id of the item in column `col`.
    pub fn item_id(&self, col: usize) -> Option<&str> {
        self.unique_sid.get(col).map(String::as_str)
    }
}

/// Rows are `uid − first_uid` over the span of ids, so a corrupt id (say 4·10⁹) would allocate
/// gigabytes before anything could fail; real folders have at least one click per row.
fn check_span(file: &str, rows: usize, clicks: usize) -> Result<()> {
    if rows > clicks {
        return Err(DataError::Format {
            file: file.to_string(),
            message: format!(
                "uids span {rows} users but there are only {clicks} clicks: expected dense 0-based uids"
            ),
        });
    }
    Ok(())
}

fn load_pair(tr: &Path, te: &Path, n_items: usize) -> Result<HeldoutPair> {
    let (tr_clicks, te_clicks) = (read_clicks(tr, n_items)?, read_clicks(te, n_items)?);
    let uids = || tr_clicks.iter().chain(&te_clicks).map(|c: &Click| c.0);
    let (first, rows) = match (uids().min(), uids().max()) {
        (Some(lo), Some(hi)) => (lo, (hi - lo) as usize + 1),
        _ => (0, 0),
    };
    let name = format!("{} + {}", tr.display(), te.display());
    check_span(&name, rows, tr_clicks.len() + te_clicks.len())?;
    let matrix = |path: &Path, clicks: &[Click]| {
        click_matrix(rows, n_items, first, clicks).map_err(|source| DataError::Matrix {
            file: path.display().to_string(),
            source,
        })
    };
    Ok(HeldoutPair {
        first_uid: first,
        fold_in: matrix(tr, &tr_clicks)?,
        heldout: matrix(te, &te_clicks)?,
    })
}
