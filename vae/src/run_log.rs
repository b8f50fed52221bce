//! `metrics.jsonl`: one JSON object per epoch, appended as training goes, read back for plots and
//! resumption.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// One epoch of training: a line of `metrics.jsonl`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct EpochRecord {
    /// Epoch number, from 1.
    pub epoch: usize,
    /// Mean training loss over the epoch's mini-batches, `NLL + β·KL` (Eq. 12).
    pub train_loss: f64,
    /// β at the end of the epoch, `min(anneal_cap, updates / total_anneal_steps)` or the constant.
    pub beta: f64,
    /// Validation metrics keyed by name, e.g. `"ndcg@100"`.
    pub validation: BTreeMap<String, f64>,
    /// Wall-clock seconds of the epoch, validation included.
    pub seconds: f64,
}

/// A JSON-lines file that could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum RunLogError {
    /// The file could not be opened, written or read.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A line is not a valid record, e.g. `metrics.jsonl:7: missing field `beta``.
    #[error("{}:{line}: {source}", path.display())]
    Malformed {
        path: PathBuf,
        line: usize,
        source: serde_json::Error,
    },
    /// A record could not be turned into JSON (a map with non-string keys, ...).
    #[error("{}: cannot serialise the record: {source}", path.display())]
    Serialize {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// The epoch with the highest `validation[metric]` (the earliest on ties), or `None` if no record
/// has that metric as a number. Training selects its best epoch this way with `"ndcg@100"`.
pub fn best_epoch<'a>(records: &'a [EpochRecord], metric: &str) -> Option<&'a EpochRecord> {
    records
        .iter()
        .filter(|r| r.validation.get(metric).is_some_and(|v| !v.is_nan()))
        .fold(None, |best: Option<&EpochRecord>, r| match best {
            Some(b) if b.validation[metric] >= r.validation[metric] => Some(b),
            _ => Some(r),
        })
}

/// Appends `record` as one line to the JSON-lines file at `path` (created if missing) and syncs it
/// to disk, so a crash after an epoch never loses that epoch's line.
pub fn append_jsonl<T: Serialize>(path: &Path, record: &T) -> Result<(), RunLogError> {
    let mut line = serde_json::to_string(record).map_err(|source| RunLogError::Serialize {
        path: path.to_path_buf(),
        source,
    })?;
    line.push('\n');
    let io = |source| RunLogError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io)?;
    file.write_all(line.as_bytes()).map_err(io)?;
    file.sync_data().map_err(io)
}

/// Reads every record of the JSON-lines file at `path`; blank lines are skipped, and a malformed
/// line is an error naming `file:line` (from 1).
pub fn read_jsonl<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, RunLogError> {
    let io = |source| RunLogError::Io {
        path: path.to_path_buf(),
        source,
    };
    let reader = BufReader::new(File::open(path).map_err(io)?);
    let mut records = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(io)?;
        if line.trim().is_empty() {
            continue;
        }
        let record = serde_json::from_str(&line).map_err(|source| RunLogError::Malformed {
            path: path.to_path_buf(),
            line: i + 1,
            source,
        })?;
        records.push(record);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(epoch: usize, ndcg: f64) -> EpochRecord {
        EpochRecord {
            epoch,
            train_loss: 500.0 - epoch as f64,
            beta: 0.01 * epoch as f64,
            validation: BTreeMap::from([
                ("ndcg@100".to_string(), ndcg),
                ("recall@20".to_string(), ndcg * 0.9),
            ]),
            seconds: 1.5,
        }
    }

    #[test]
    fn appended_records_read_back_equal_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.jsonl");
        let records: Vec<EpochRecord> = (1..=3).map(|e| record(e, 0.1 * e as f64)).collect();
        for r in &records {
            append_jsonl(&path, r).unwrap();
        }
        assert_eq!(read_jsonl::<EpochRecord>(&path).unwrap(), records);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 3);
    }

    #[test]
    fn malformed_line_is_an_error_naming_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.jsonl");
        append_jsonl(&path, &record(1, 0.3)).unwrap();
        std::fs::write(
            &path,
            std::fs::read_to_string(&path).unwrap() + "\n{\"epoch\": 2, \"train_l",
        )
        .unwrap();
        let err = read_jsonl::<EpochRecord>(&path).unwrap_err();
        assert!(
            matches!(err, RunLogError::Malformed { line: 3, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("metrics.jsonl:3:"), "{err}");
    }

    #[test]
    fn missing_file_is_an_error_naming_the_file() {
        let err = read_jsonl::<EpochRecord>(Path::new("no/such/metrics.jsonl")).unwrap_err();
        assert!(
            err.to_string().starts_with("no/such/metrics.jsonl:"),
            "{err}"
        );
    }

    #[test]
    fn best_epoch_is_the_earliest_maximum() {
        let records = vec![
            record(1, 0.2),
            record(2, 0.4),
            record(3, 0.4),
            record(4, 0.1),
        ];
        assert_eq!(best_epoch(&records, "ndcg@100").map(|r| r.epoch), Some(2));
        assert_eq!(best_epoch(&records, "ndcg@5"), None);
        assert_eq!(best_epoch(&[], "ndcg@100"), None);
    }
}
