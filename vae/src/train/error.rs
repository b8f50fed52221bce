//! What can stop a run, each naming where.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error(transparent)]
    Autograd(#[from] autograd::Error),
    #[error(transparent)]
    Data(#[from] crate::data::DataError),
    #[error(transparent)]
    Metrics(#[from] crate::metrics::MetricsError),
    #[error(transparent)]
    Checkpoint(#[from] crate::checkpoint::CheckpointError),
    #[error(transparent)]
    Plot(#[from] crate::plots::PlotError),
    /// NCF's models, protocols or epoch loop (an NCF run's own errors).
    #[error(transparent)]
    Ncf(#[from] crate::ncf::NcfError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `kept` says where the last good state is.
    #[error(
        "training stopped: the loss is {loss} at epoch {epoch}, step {step} (update {update}); {kept}"
    )]
    NonFinite {
        loss: f64,
        epoch: usize,
        step: usize,
        update: u64,
        kept: String,
    },
    /// Stopped on request (SIGINT or SIGTERM) after a step, its state saved in `saved`.
    #[error("interrupted at epoch {epoch}, step {step}; the state is saved in {}", saved.display())]
    Interrupted {
        epoch: usize,
        step: usize,
        saved: PathBuf,
    },
    /// Another process trains in the run folder.
    #[error(
        "{}: {holder} is training in this run folder (it holds the folder's lock); wait for it to \
         end or stop it, or give another folder",
        dir.display()
    )]
    Locked { dir: PathBuf, holder: String },
    /// A fresh run's folder is not empty; `what` says how to go on.
    #[error(
        "{}: the folder is not empty ({found}); {what}",
        dir.display()
    )]
    NotEmpty {
        dir: PathBuf,
        found: String,
        what: String,
    },
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T> = std::result::Result<T, TrainError>;
