//! A tape-based reverse-mode automatic differentiation framework: a [`Tensor`] is a row-major matrix
//! on a [`Backend`] ([`Cpu`] in f32 or f64; the `gpu` crate's CUDA backend in f32), a [`Tape`]
//! records the ops applied to its [`Var`]s in order, and [`Tape::backward`] walks that list once in
//! reverse, sending each op's output gradient `ȳ` through the op's vector-Jacobian product (VJP) to
//! its inputs.
//!
//! - [`ops`]: every op, one family per file, whose module doc states the forward, the VJP and, where
//!   it is not obvious, its derivation (`docs/math-to-code.md` is the table of all of them).
//! - [`optim`]: Adam and SGD over [`Parameter`]s, which live outside the tape.
//! - [`gradcheck`]: each VJP against central finite differences in f64; the `gradcheck` binary
//!   prints every op's analytic and numeric Jacobians side by side.
//!
//! ```
//! use autograd::{Cpu, Tape, Tensor};
//!
//! let cpu = Cpu::<f64>::new();
//! let tape = Tape::new(&cpu);
//! let x = tape.variable(Tensor::from_f64(&cpu, 1, 3, &[1.0, -2.0, 0.5])?);
//! let loss = x.square()?.sum()?; // Σ x²
//! let grads = tape.backward(&loss)?;
//! assert_eq!(grads.wrt(&x).unwrap().to_vec()?, vec![2.0, -4.0, 1.0]); // 2x
//! # Ok::<(), autograd::Error>(())
//! ```
//!
//! # Checking the gradient of your own function
//!
//! As with `torch.autograd.gradcheck`: write the function as a closure of the tape and its inputs,
//! and [`gradcheck::check_jacobian`] compares every entry of its Jacobian with respect to every
//! input, the analytic one from backward passes, the numeric one from central differences. For a
//! scalar loss of a larger graph, [`gradcheck::check_projection`] compares random projections
//! `vᵀ·J·u` instead (how whole models are checked).
//!
//! ```
//! use autograd::gradcheck::{check_jacobian, check_projection, Tolerance};
//! use autograd::{Cpu, Tensor};
//!
//! let cpu = Cpu::<f64>::new();
//! let x = Tensor::from_f64(&cpu, 2, 3, &[0.1, -0.4, 0.7, 0.3, 0.2, -0.5])?;
//! let w = Tensor::from_f64(&cpu, 3, 2, &[0.5, -0.2, 0.1, 0.9, -0.7, 0.3])?;
//! // f(x, W) = log_softmax(tanh(x·W)), row by row: a 2 × 2 output of a 2 × 3 and a 3 × 2 input.
//! let report = check_jacobian(&[x.clone(), w.clone()], Tolerance::default(), |_tape, v| {
//!     v[0].matmul(&v[1])?.tanh()?.log_softmax_rows()
//! })?;
//! assert!(report.passed, "{report}");
//! assert_eq!(report.compared, 4 * (6 + 6)); // every ∂y_k/∂x_j and ∂y_k/∂W_j
//! // The scalar Σ tanh(x·W), by 5 random projections (seed 7).
//! let fast = check_projection(&[x, w], Tolerance::default(), 7, 5, |_tape, v| {
//!     v[0].matmul(&v[1])?.tanh()?.sum()
//! })?;
//! assert!(fast.passed, "{fast}");
//! # Ok::<(), autograd::Error>(())
//! ```
//!
//! `println!("{report}")` prints the verdict, the largest absolute and relative errors, and the
//! *worst* entry: the one closest to failing, whose `|analytic − numeric|` uses the largest share
//! of its allowance `atol + rtol·|numeric|` (the check passes when that share is at most 1).
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
