//! A tape-based reverse-mode automatic differentiation framework.
pub mod csr;
pub mod error;

pub use csr::CsrMatrix;
pub use error::{Error, Result};
pub mod backend;
pub mod param;
pub mod profile;
pub mod real;
pub mod rng;
pub mod tape;
pub mod tensor;

pub use backend::cpu::Cpu;
pub use backend::Backend;
pub use param::Parameter;
pub use rng::RngKey;
pub use tape::{Gradients, Tape, Var};
pub use tensor::Tensor;
pub mod gradcheck;
pub mod graph;
pub mod init;
pub mod ops;
pub mod optim;
