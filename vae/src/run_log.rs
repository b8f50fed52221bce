//! `metrics.jsonl`: one JSON object per epoch.

use crate::checkpoint::{write_atomic, CheckpointError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// One epoch of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    pub epoch: usize,
    pub train_loss: f64,
    pub beta: f64,
    pub validation: BTreeMap<String, f64>,
    pub seconds: f64,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CheckpointError + '_ {
    move |source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Appends one record (a line) to `path`.
pub fn append(path: &Path, r: &EpochRecord) -> Result<(), CheckpointError> {
    let line = serde_json::to_string(r).map_err(|e| CheckpointError::Corrupt {
        path: path.into(),
        detail: e.to_string(),
    })?;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io(path))?;
    writeln!(f, "{line}").map_err(io(path))
}

/// Replaces the file with `records`, atomically.
pub fn write_all(path: &Path, records: &[EpochRecord]) -> Result<(), CheckpointError> {
    let mut text = String::new();
    for r in records {
        let line = serde_json::to_string(r).map_err(|e| CheckpointError::Corrupt {
            path: path.into(),
            detail: e.to_string(),
        })?;
        text += &line;
        text.push('\n');
    }
    write_atomic(path, text.as_bytes())
}

/// Every record of `path`; a malformed line is an error naming `file:line`.
pub fn read(path: &Path) -> Result<Vec<EpochRecord>, CheckpointError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| CheckpointError::Corrupt {
                path: path.into(),
                detail: format!("line {}: {e}", i + 1),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_a_bad_line_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.jsonl");
        let r = EpochRecord {
            epoch: 0,
            train_loss: 1.5,
            beta: 0.1,
            validation: BTreeMap::from([("ndcg@100".into(), 0.3)]),
            seconds: 2.0,
        };
        append(&path, &r).unwrap();
        append(
            &path,
            &EpochRecord {
                epoch: 1,
                ..r.clone()
            },
        )
        .unwrap();
        assert_eq!(read(&path).unwrap().len(), 2);
        std::fs::write(&path, "{\"epoch\": 0}\n").unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(
            err.contains("metrics.jsonl") && err.contains("line 1"),
            "{err}"
        );
    }
}
