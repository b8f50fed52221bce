//! Click data: loading rating files, the paper's split (the authors' notebook, dawenl/vae_cf
//! `VAE_ML20M_WWW2018.ipynb`, reproduced bit for bit), the notebook's `pro_sg` folder format, and the
//! in-memory click matrices and mini-batches the models consume.
//!
//! The flow: [`load()`] a rating file → [`split()`] it → [`pro_sg::write`] the folder →
//! [`Dataset::load`] it (through a checksummed binary cache) → [`ShuffledBatches`] of training rows.

pub mod batches;
pub mod cache;
mod click_matrix;
pub mod dataset;
pub mod error;
pub mod fetch;
pub mod ids;
mod lines;
pub mod load;
pub mod numpy_rng;
pub mod preset;
pub mod pro_sg;
pub mod ratings;
pub mod split;
pub mod stats;
pub mod synth;

pub use batches::{EpochBatches, ShuffledBatches};
pub use dataset::{CacheStatus, Dataset, HeldoutPair};
pub use error::{DataError, Result};
pub use ids::IdTable;
pub use load::{input_files, load, load_files, load_reader, DelimitedFormat, Format, LoadOptions};
pub use numpy_rng::NumpyRandomState;
pub use preset::{PaperFigures, Preset};
pub use pro_sg::SplitStats;
pub use ratings::Ratings;
pub use split::{split, Click, Heldout, Split, SplitConfig, SplitCounts};
pub use synth::{synth, SynthConfig};
