//! Click data: loading rating files, the paper's split (the authors' notebook, dawenl/vae_cf
//! `VAE_ML20M_WWW2018.ipynb`, reproduced bit for bit), the notebook's `pro_sg` folder format, and the
//! in-memory click matrices and mini-batches the models consume.

pub mod error;
pub mod ids;
mod lines;
pub mod load;
pub mod numpy_rng;
pub mod ratings;

pub use error::{DataError, Result};
pub use ids::IdTable;
pub use load::{load, load_reader, DelimitedFormat, Format, LoadOptions};
pub use numpy_rng::NumpyRandomState;
pub use ratings::Ratings;
pub mod pro_sg;
pub mod split;
pub use split::{split, Heldout, Split, SplitConfig, SplitStats};
pub mod cache;
mod click_matrix;
pub mod dataset;
pub mod fetch;
pub use dataset::{CacheStatus, Dataset, HeldoutPair};
pub mod batches;
pub mod synth;
pub use batches::{EpochBatches, ShuffledBatches};
pub use synth::{synth, SynthConfig};
pub mod stats;
