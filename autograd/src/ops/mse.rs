//! Mean squared error, the loss of NCF's explicit-rating protocol.
//!
//! Forward: `L = (1/N) Σ_i (a_i − b_i)²` over all `N` elements, `[1, 1]`.
//! VJP: `ā = L̄ · 2(a − b)/N`, `b̄ = −ā`.
//!
//! Where it runs (one hop from here to each loop and its test):
//! - CPU loop: `autograd/src/backend/cpu/elementwise.rs` · `binary`, `unary`;
//!   `autograd/src/backend/cpu/rows.rs` · `sum_rows`, `broadcast_col`
//! - CUDA kernel: `gpu/kernels/elementwise.cu` · `binary`, `unary_forward`; `gpu/kernels/rows.cu` ·
//!   `sum_rows`, `broadcast_col`
//! - GPU parity test: `gpu/tests/parity.rs` · `binary_maps_and_axpy_match_the_f64_reference`,
//!   `broadcasts_and_reductions_match_the_f64_reference`

use super::binary::{apply, map};
use super::registry::{Dims, Domain, OpCheck};
use super::{alloc, same_shape, wrap};
use crate::backend::{Backend, Binary, Unary};
use crate::error::Result;
use crate::tape::Var;

impl<'t, B: Backend> Var<'t, B> {
    /// `(1/N) Σ (self − target)²`.
    pub fn mse(&self, target: &Var<'t, B>) -> Result<Var<'t, B>> {
        same_shape("mse", "vs", self, target)?;
        let backend = self.backend();
        let n = self.value().len();
        let diff = apply(Binary::Sub, self.value(), target.value())?;
        let sq = map(Unary::Square, &diff)?;
        let mut loss = alloc(backend, [1, 1])?;
        backend.sum_rows(sq.buffer(), n, 1.0 / n.max(1) as f64, &mut loss)?;
        Ok(self.tape().record(
            "mse",
            &[self, target],
            wrap(backend, [1, 1], loss),
            move |gl, needs| {
                let backend = gl.backend();
                // L̄ · 2(a − b)/N, with L̄ read on the device.
                let mut spread = alloc(backend, diff.shape())?;
                backend.broadcast_col(
                    gl.buffer(),
                    diff.len(),
                    2.0 / n.max(1) as f64,
                    &mut spread,
                )?;
                let ga = apply(Binary::Mul, &wrap(backend, diff.shape(), spread), &diff)?;
                let gb = if needs[1] {
                    Some(map(Unary::Neg, &ga)?)
                } else {
                    None
                };
                Ok(vec![needs[0].then_some(ga), gb])
            },
        ))
    }
}

pub(crate) fn checks() -> Vec<OpCheck> {
    vec![OpCheck {
        name: "mse",
        shapes: |d: Dims| vec![[d.m, d.n], [d.m, d.n]],
        domain: Domain::Any,
        build: |_, x, _| x[0].mse(&x[1]),
    }]
}
