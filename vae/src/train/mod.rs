//! Training and evaluating Mult-VAE and Mult-DAE as the authors' notebook does, on any backend.

pub mod config;
pub mod data_fingerprint;
pub mod error;
pub mod evaluate;
pub mod loss_sums;
pub mod memory;
pub mod run;
pub mod run_dir;
pub mod run_lock;
pub mod trainer;

pub use config::{LrSchedule, ModelKind, Precision, TrainConfig};
pub use error::{Result, TrainError};
pub use evaluate::{evaluate, Evaluation, Scorer};
pub use memory::MemoryEstimate;
pub use run::{train, Progress, Quiet, RunOptions, Start};
pub use run_dir::{Results, RunDir};
pub use trainer::{build_model, EpochSummary, PhaseTimes, Trainer};
