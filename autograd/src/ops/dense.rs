//! Dense (fully connected) layer, and the bias broadcast over rows on its own.
//!
//! dense — Forward: `Y = X·W + 1·bᵀ`, `X: [m, k]`, `W: [k, n]`, `b: [1, n]`, `Y: [m, n]`.
//! VJP: `X̄ = Ȳ·Wᵀ`, `W̄ = Xᵀ·Ȳ`, `b̄ = 1ᵀ·Ȳ` (column sums of `Ȳ`).
//!
//! add_bias — Forward: `Y = X + 1·bᵀ` (after a sparse product, which has no bias of its own).
//! VJP: `X̄ = Ȳ`, `b̄ = 1ᵀ·Ȳ`.
//!
//! Precision: the three GEMMs (`X·W`, `Ȳ·Wᵀ`, `Xᵀ·Ȳ`) round their operands to the backend's
//! [`GemmPrecision`](crate::backend::GemmPrecision): f32 by default; on a CPU backend made with
//! `with_gemm_precision(Bf16)` both operands are rounded to bf16 and every product summed in f32
//! (`autograd/src/backend/cpu/bgemm/`). The bias, its gradient and everything outside the GEMMs
//! stay f32. The setting belongs to the backend the tensors were made on, not to the op: a model
//! built on a bf16 backend computes every dense layer and `matmul` that way, forward and backward.
//!
//! Where it runs (one hop from here to each loop and its test):
//! - CPU loop: `autograd/src/backend/cpu/gemm.rs` · `gemm_new` (f32:
//!   `autograd/src/backend/cpu/sgemm/mod.rs` · `sgemm_with`; bf16:
//!   `autograd/src/backend/cpu/bgemm/mod.rs` · `bgemm_with`); `autograd/src/backend/cpu/rows.rs`
//!   · `sum_cols_acc`, `add_row_vector`; `autograd/src/backend/cpu/elementwise.rs` · `axpy`
//! - CUDA kernel: cuBLAS sgemm; `gpu/kernels/rows.cu` · `add_row_vector`, `sum_cols_acc`;
//!   `gpu/kernels/elementwise.cu` · `axpy`
//! - GPU parity test: `gpu/tests/parity.rs` ·
//!   `gemm_matches_the_f64_reference_for_every_transpose_flag`,
//!   `broadcasts_and_reductions_match_the_f64_reference`,
//!   `binary_maps_and_axpy_match_the_f64_reference`

use super::matmul::matmul_vjp;
use super::registry::{Dims, Domain, OpCheck};
use super::{alloc, same_device, wrap};
use crate::backend::{Backend, Gemm};
use crate::error::{Error, Result};
use crate::tape::Var;
use crate::tensor::{fmt_shape, Tensor};

/// `b̄ = 1ᵀ·Ȳ`: the column sums of the output gradient, shaped `[1, n]`.
pub(crate) fn bias_grad<B: Backend>(gy: &Tensor<B>) -> Result<Tensor<B>> {
    let backend = gy.backend();
    let mut gb = alloc(backend, [1, gy.cols()])?;
    backend.sum_cols_acc(gy.buffer(), gy.cols(), 0.0, &mut gb)?;
    Ok(wrap(backend, [1, gy.cols()], gb))
}

impl<'t, B: Backend> Var<'t, B> {
    /// `Y = X·W + b`, the bias `b` (`[1, n]`) added to every row.
    pub fn dense(&self, w: &Var<'t, B>, b: &Var<'t, B>) -> Result<Var<'t, B>> {
        same_device("dense", self, w.value())?;
        same_device("dense", self, b.value())?;
        if self.cols() != w.rows() || b.shape() != [1, w.cols()] {
            return Err(Error::shape(
                "dense",
                format!(
                    "{} · {} + {}",
                    fmt_shape(self.shape()),
                    fmt_shape(w.shape()),
                    fmt_shape(b.shape())
                ),
            ));
        }
        let (x, wv) = (self.value().clone(), w.value().clone());
        let backend = self.backend();
        let g = Gemm {
            m: x.rows(),
            n: wv.cols(),
            k: x.cols(),
            trans_a: false,
            trans_b: false,
            alpha: 1.0,
            beta: 0.0,
        };
        // The bias is added by the GEMM's epilogue where the backend can (the CPU), with the bits
        // of the product followed by the addition.
        let y = backend.gemm_bias_new(g, x.buffer(), wv.buffer(), b.value().buffer())?;
        let y = wrap(backend, [g.m, g.n], y);
        Ok(self
            .tape()
            .record("dense", &[self, w, b], y, move |gy, needs| {
                let [gx, gw] = matmul_vjp(&x, &wv, gy, needs)?;
                let gb = if needs[2] { Some(bias_grad(gy)?) } else { None };
                Ok(vec![gx, gw, gb])
            }))
    }
}

impl<'t, B: Backend> Var<'t, B> {
    /// `Y = X + b`, the bias `b` (`[1, n]`) added to every row.
    pub fn add_bias(&self, b: &Var<'t, B>) -> Result<Var<'t, B>> {
        same_device("add_bias", self, b.value())?;
        if b.shape() != [1, self.cols()] {
            return Err(Error::shape(
                "add_bias",
                format!("{} + {}", fmt_shape(self.shape()), fmt_shape(b.shape())),
            ));
        }
        let backend = self.backend();
        let mut y = alloc(backend, self.shape())?;
        backend.axpy(1.0, self.value().buffer(), &mut y)?;
        backend.add_row_vector(b.value().buffer(), self.cols(), &mut y)?;
        let y = wrap(backend, self.shape(), y);
        Ok(self
            .tape()
            .record("add_bias", &[self, b], y, move |gy, needs| {
                let gb = if needs[1] { Some(bias_grad(gy)?) } else { None };
                Ok(vec![needs[0].then(|| gy.clone()), gb])
            }))
    }
}

pub(crate) fn checks() -> Vec<OpCheck> {
    vec![
        OpCheck {
            name: "dense",
            shapes: |d: Dims| vec![[d.m, d.k], [d.k, d.n], [1, d.n]],
            domain: Domain::Any,
            build: |_, x, _| x[0].dense(&x[1], &x[2]),
        },
        OpCheck {
            name: "add_bias",
            shapes: |d: Dims| vec![[d.m, d.n], [1, d.n]],
            domain: Domain::Any,
            build: |_, x, _| x[0].add_bias(&x[1]),
        },
    ]
}
