//! `vae sweep`: a grid of `vae train` runs, run and tabulated (RecoTour III's `run_experiments.sh`,
//! `all_results.csv` and Table 1, and the write-up's Figures 2 and 3). The [`grid`] gives the
//! [`point`]s; each trains in its own run folder of the [`sweep_dir`], [`execute`]d as `vae train`
//! processes; [`table`] and [`figures`] read the finished run folders.

pub mod error;
pub mod execute;
pub mod figures;
pub mod grid;
pub mod point;
pub mod sweep_dir;
pub mod table;

pub use error::{Result, SweepError};
pub use execute::{Execution, Outcome};
pub use grid::{Grid, GRID_FLAGS};
pub use point::{Phase, Point};
pub use sweep_dir::{SweepDir, SweepSpec};
