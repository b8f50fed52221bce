//! A tape-based reverse-mode automatic differentiation framework: a [`Tensor`] is a row-major matrix
//! on a [`Backend`] ([`Cpu`] in f32 or f64; the `gpu` crate's CUDA backend in f32), a [`Tape`]
//! records the ops applied to its [`Var`]s in order, and [`Tape::backward`] walks that list once in
//! reverse, sending each op's output gradient `ȳ` through the op's vector-Jacobian product (VJP) to
//! its inputs.
//!
//! - [`ops`]: every op, one family per file, whose module doc states the forward, the VJP and, where
//!   it is not obvious, its derivation (`docs/math-to-code.md` is the table of all of them). The
//!   project's book (`scripts/book.sh`, then `book/index.html`) renders that math with KaTeX: its
//!   chapter "The ops, from their sources" (`docs/ops.md`) is these module docs.
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
//! # A two-layer network, its loss, backward and a gradient check
//!
//! `h = tanh(x·W₁ + 1·b₁ᵀ)`, `f = h·W₂ + 1·b₂ᵀ` and the multinomial negative log-likelihood of the
//! targets `t` (Eq. 2 of Liang et al. 2018), averaged over the rows:
//! `L = −(1/n) Σ_r Σ_i t_ri · log softmax(f_r)_i`. One backward pass gives `∂L/∂θ` for the four
//! parameters at once; the checker then compares every one of their entries with central finite
//! differences, as the property tests do for every op.
//!
//! ```
//! use autograd::gradcheck::{check_jacobian, Tolerance};
//! use autograd::{Cpu, Tape, Tensor, Var};
//!
//! let cpu = Cpu::<f64>::new();
//! // Two rows of three features, four hidden units, three classes.
//! let x = Tensor::from_f64(&cpu, 2, 3, &[0.5, -1.0, 0.25, 1.5, 0.0, -0.5])?;
//! let t = Tensor::from_f64(&cpu, 2, 3, &[1.0, 0.0, 2.0, 0.0, 1.0, 0.0])?; // clicks per class
//! let w1 = [0.1, -0.3, 0.2, 0.5, -0.4, 0.6, 0.1, -0.2, 0.3, 0.2, -0.5, 0.4];
//! let w1 = Tensor::from_f64(&cpu, 3, 4, &w1)?;
//! let b1 = Tensor::from_f64(&cpu, 1, 4, &[0.01, -0.02, 0.03, 0.0])?;
//! let w2 = [0.7, -0.1, 0.2, -0.3, 0.4, 0.1, 0.2, 0.2, -0.6, 0.5, -0.4, 0.3];
//! let w2 = Tensor::from_f64(&cpu, 4, 3, &w2)?;
//! let b2 = Tensor::from_f64(&cpu, 1, 3, &[0.0, 0.1, -0.1])?;
//!
//! // The loss of parameters `p = [W₁, b₁, W₂, b₂]` on a tape.
//! fn loss<'t>(tape: &'t Tape<Cpu<f64>>, x: &Tensor<Cpu<f64>>, t: &Tensor<Cpu<f64>>,
//!             p: &[Var<'t, Cpu<f64>>]) -> autograd::Result<Var<'t, Cpu<f64>>> {
//!     let h = tape.constant(x.clone()).dense(&p[0], &p[1])?.tanh()?;
//!     let log_pi = h.dense(&p[2], &p[3])?.log_softmax_rows()?;
//!     log_pi.mul(&tape.constant(t.clone()))?.sum_rows()?.mean()?.neg()
//! }
//!
//! // Forward on a tape, then backward: one gradient per parameter, shaped as the parameter.
//! let tape = Tape::new(&cpu);
//! let params: Vec<_> = [&w1, &b1, &w2, &b2]
//!     .iter()
//!     .map(|p| tape.variable((*p).clone()))
//!     .collect();
//! let l = loss(&tape, &x, &t, &params)?;
//! let grads = tape.backward(&l)?;
//! let g_w2 = grads.wrt(&params[2]).unwrap();
//! assert_eq!(g_w2.shape(), [4, 3]);
//!
//! // One entry by hand: (L(W₂ + εe₀₀) − L(W₂ − εe₀₀)) / 2ε against ∂L/∂(W₂)₀₀ from backward.
//! let at = |shift: f64| -> autograd::Result<f64> {
//!     let mut w = w2.to_vec()?;
//!     w[0] += shift;
//!     let tape = Tape::no_grad(&cpu);
//!     let w = Tensor::from_f64(&cpu, 4, 3, &w)?;
//!     let p = [&w1, &b1, &w, &b2].map(|p| tape.constant(p.clone()));
//!     Ok(loss(&tape, &x, &t, &p)?.value().to_vec()?[0])
//! };
//! let eps = 1e-6;
//! let numeric = (at(eps)? - at(-eps)?) / (2.0 * eps);
//! let analytic = g_w2.to_vec()?[0];
//! assert!((numeric - analytic).abs() < 1e-8, "{numeric} vs {analytic}");
//!
//! // Every entry of every parameter's gradient, by the checker.
//! let report = check_jacobian(&[w1, b1, w2, b2], Tolerance::default(), |tape, p| {
//!     loss(tape, &x, &t, p)
//! })?;
//! assert!(report.passed, "{report}");
//! assert_eq!(report.compared, 12 + 4 + 12 + 3);
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
