//! The data pipeline's error type: every message says what was expected, and where (`file:line`).

use std::path::{Path, PathBuf};

/// What went wrong while loading, splitting, writing or fetching click data.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The operating system refused a read or write.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A line does not have the shape its format requires.
    #[error("{file}:{line}: {message}")]
    Parse {
        file: String,
        line: usize,
        message: String,
    },
    /// The header lacks a column the format needs.
    #[error("{file}: no column {column:?} in the header (found {found:?})")]
    MissingColumn {
        file: String,
        column: String,
        found: Vec<String>,
    },
    /// The format could not be recognised or is not supported.
    #[error("{file}: {message}")]
    Format { file: String, message: String },
    /// A parameter of the protocol or of a command is outside its domain.
    #[error("invalid argument: {0}")]
    Invalid(String),
    /// Filtering left nothing to work with.
    #[error("empty result: {0}")]
    Empty(String),
    /// An id does not fit the click matrix it indexes.
    #[error("{file}: {source}")]
    Matrix {
        file: String,
        source: autograd::Error,
    },
    /// Downloading or extracting a data set failed.
    #[error("fetch failed: {0}")]
    Fetch(String),
}

/// The data pipeline's result type.
pub type Result<T> = std::result::Result<T, DataError>;

impl DataError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
    pub(crate) fn parse(file: &str, line: usize, message: impl Into<String>) -> Self {
        DataError::Parse {
            file: file.to_string(),
            line,
            message: message.into(),
        }
    }
}
