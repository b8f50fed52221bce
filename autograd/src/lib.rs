//! A tape-based reverse-mode automatic differentiation framework.
pub mod csr;
pub mod error;

pub use csr::CsrMatrix;
pub use error::{Error, Result};
