//! What can stop a sweep, each naming the flag, file or point.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A grid flag or value that is not accepted; `flag` is as `vae sweep` spells it.
    #[error("--{flag}: {detail}")]
    Grid { flag: String, detail: String },
    /// A grid file that does not parse, or holds something other than lists of values.
    #[error("{}: {detail}", path.display())]
    GridFile { path: PathBuf, detail: String },
    /// The sweep folder holds another grid; `differs` names what differs.
    #[error(
        "{}: this sweep folder holds another grid ({differs}); give the same command to continue \
         it, another --out, or --overwrite to start this grid there (only the sweep's own files \
         and point folders are replaced)",
        dir.display()
    )]
    OtherGrid { dir: PathBuf, differs: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Checkpoint(#[from] crate::checkpoint::CheckpointError),
    #[error(transparent)]
    Train(#[from] crate::train::TrainError),
    #[error(transparent)]
    Plot(#[from] crate::plots::PlotError),
    #[error("{}: {detail}", path.display())]
    Invalid { path: PathBuf, detail: String },
}

pub type Result<T> = std::result::Result<T, SweepError>;

/// An I/O error's mapper naming `path`.
pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> SweepError + '_ {
    move |source| SweepError::Io {
        path: path.to_path_buf(),
        source,
    }
}
