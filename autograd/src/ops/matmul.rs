//! Matrix product.
//!
//! Forward: `Y = A·B`, `A: [m, k]`, `B: [k, n]`, `Y: [m, n]`.
//! VJP: `Ā = Ȳ·Bᵀ`, `B̄ = Aᵀ·Ȳ` — both as GEMMs with a transpose flag, never a copied transpose.
//!
//! Precision: the backend's [`GemmPrecision`](crate::backend::GemmPrecision), as for `dense`
//! (f32 by default; bf16 operands with f32 sums on a CPU backend made so).
//!
//! Where it runs (one hop from here to each loop and its test):
//! - CPU loop: `autograd/src/backend/cpu/gemm.rs` · `gemm_new` (f32:
//!   `autograd/src/backend/cpu/sgemm/mod.rs` · `sgemm_with`; bf16:
//!   `autograd/src/backend/cpu/bgemm/mod.rs` · `bgemm_with`)
//! - CUDA kernel: cuBLAS sgemm (no kernel file: the row-major operand swap)
//! - GPU parity test: `gpu/tests/parity.rs` ·
//!   `gemm_matches_the_f64_reference_for_every_transpose_flag`

use super::registry::{Dims, Domain, OpCheck};
use super::{same_device, wrap};
use crate::backend::{Backend, Gemm};
use crate::error::{Error, Result};
use crate::tape::Var;
use crate::tensor::{fmt_shape, Tensor};

/// `C = α·op(A)·op(B)` as a new tensor of shape `[m, n]`.
pub(crate) fn gemm<B: Backend>(
    a: &Tensor<B>,
    b: &Tensor<B>,
    trans_a: bool,
    trans_b: bool,
    shape: [usize; 2],
    k: usize,
) -> Result<Tensor<B>> {
    let backend = a.backend();
    let g = Gemm {
        m: shape[0],
        n: shape[1],
        k,
        trans_a,
        trans_b,
        alpha: 1.0,
        beta: 0.0,
    };
    let c = backend.gemm_new(g, a.buffer(), b.buffer())?;
    Ok(wrap(backend, shape, c))
}

/// The gradients of `Y = A·B` for the inputs that need one.
pub(crate) fn matmul_vjp<B: Backend>(
    a: &Tensor<B>,
    b: &Tensor<B>,
    gy: &Tensor<B>,
    needs: &[bool],
) -> Result<[Option<Tensor<B>>; 2]> {
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    // Ā = Ȳ·Bᵀ: [m, n]·[n, k]
    let ga = if needs[0] {
        Some(gemm(gy, b, false, true, [m, k], n)?)
    } else {
        None
    };
    // B̄ = Aᵀ·Ȳ: [k, m]·[m, n]
    let gb = if needs[1] {
        Some(gemm(a, gy, true, false, [k, n], m)?)
    } else {
        None
    };
    Ok([ga, gb])
}

impl<'t, B: Backend> Var<'t, B> {
    /// `Y = A·B`.
    pub fn matmul(&self, rhs: &Var<'t, B>) -> Result<Var<'t, B>> {
        same_device("matmul", self, rhs.value())?;
        if self.cols() != rhs.rows() {
            return Err(Error::shape(
                "matmul",
                format!("{} · {}", fmt_shape(self.shape()), fmt_shape(rhs.shape())),
            ));
        }
        let (a, b) = (self.value().clone(), rhs.value().clone());
        let y = gemm(&a, &b, false, false, [a.rows(), b.cols()], a.cols())?;
        Ok(self
            .tape()
            .record("matmul", &[self, rhs], y, move |gy, needs| {
                Ok(matmul_vjp(&a, &b, gy, needs)?.into())
            }))
    }
}

pub(crate) fn checks() -> Vec<OpCheck> {
    vec![OpCheck {
        name: "matmul",
        shapes: |d: Dims| vec![[d.m, d.k], [d.k, d.n]],
        domain: Domain::Any,
        build: |_, x, _| x[0].matmul(&x[1]),
    }]
}
