//! `vae compare`: runs compared user by user from the per-user metrics their folders keep, with
//! a paired t test and a Wilcoxon signed-rank test of the differences ([`paired`]), after checking
//! that they are runs of one split ([`groups`]); [`report`] puts the figures in a table or JSON.

pub mod error;
pub mod groups;
pub mod paired;
pub mod report;

pub use error::{CompareError, Result};
pub use groups::{load, Group, Groups};
pub use paired::{paired, Paired, TTest, Wilcoxon, WilcoxonMethod};
pub use report::{compare, Report};
