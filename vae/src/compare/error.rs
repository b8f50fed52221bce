//! Why two groups of runs cannot be compared, each naming the runs and the file at fault.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error(transparent)]
    Run(#[from] crate::train::TrainError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A run folder without `test_users.csv` (trained before runs wrote it).
    #[error(
        "{}: no test_users.csv (the run is older than per-user metrics); write one with \
         `vae eval --checkpoint {} --data DIR --per-user FILE` and give FILE instead",
        run.display(),
        run.display()
    )]
    NoPerUser { run: PathBuf },
    /// A group argument that names no run (`a,,b` or an empty string).
    #[error("group {group:?}: an empty run path; give run folders (or per-user CSV files) joined by commas")]
    EmptyPath { group: String },
    /// Two runs whose `config.json` record different bytes for one data file.
    #[error(
        "{a} and {b} were not evaluated on the same split: their config.json record different \
         SHA-256 for {file} ({hash_a}… and {hash_b}…); compare runs of one split"
    )]
    DifferentData {
        file: String,
        a: String,
        b: String,
        hash_a: String,
        hash_b: String,
    },
    /// Two runs scored on different users.
    #[error(
        "{a} and {b} hold different users ({n_a} and {n_b}): uid {uid} is in {only_in} only; \
         compare runs evaluated on the same split"
    )]
    DifferentUsers {
        a: String,
        b: String,
        n_a: usize,
        n_b: usize,
        uid: u32,
        only_in: String,
    },
    #[error("{0}: no metric is measured by every run; nothing to compare")]
    NoCommonMetric(String),
    #[error("{0}: no user to compare")]
    NoUsers(String),
}

pub type Result<T> = std::result::Result<T, CompareError>;
