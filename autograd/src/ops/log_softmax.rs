//! Row-wise log-softmax: the decoder's output `log π(z)` over all items.
//!
//! Forward: `y_ri = x_ri − log Σ_j exp x_rj` (the maximum subtracted first, so nothing overflows;
//! a row of −∞ has log-sum-exp −∞ and `y` NaN, the softmax being undefined there).
//! VJP: `x̄_ri = ȳ_ri − softmax(x_r)_i · Σ_j ȳ_rj`, with `softmax(x_r) = exp(y_r)`.
//!
//! Derivation (one row, `s = softmax(x)`). `∂/∂x_j log Σ_k e^{x_k} = e^{x_j} / Σ_k e^{x_k} = s_j`, so
//! `∂y_i/∂x_j = δ_ij − s_j` and `x̄_j = Σ_i ȳ_i (δ_ij − s_j) = ȳ_j − s_j Σ_i ȳ_i`. Every output
//! depends on every input through the shared normaliser, so the Jacobian is dense, yet its product
//! with `ȳ` costs one sum per row; and `s = exp(y)` comes from the saved output, so the input need
//! not be kept.
//!
//! Where it runs (one hop from here to each loop and its test):
//! - CPU loop: `autograd/src/backend/cpu/rows.rs` · `log_softmax_rows`, `log_softmax_rows_backward`
//! - CUDA kernel: `gpu/kernels/rows.cu` · `log_softmax_rows`, `log_softmax_rows_backward`
//! - GPU parity test: `gpu/tests/parity.rs` · `log_softmax_and_its_vjp_match_the_f64_reference`

use super::registry::{Dims, Domain, OpCheck};
use super::{alloc, wrap};
use crate::backend::Backend;
use crate::error::Result;
use crate::tape::Var;

impl<'t, B: Backend> Var<'t, B> {
    /// `log softmax` of every row.
    pub fn log_softmax_rows(&self) -> Result<Var<'t, B>> {
        let backend = self.backend();
        let (shape, cols) = (self.shape(), self.cols());
        let mut y = alloc(backend, shape)?;
        backend.log_softmax_rows(self.value().buffer(), cols, &mut y)?;
        let y = wrap(backend, shape, y);
        let saved = y.clone();
        Ok(self
            .tape()
            .record("log_softmax_rows", &[self], y, move |gy, _| {
                let backend = gy.backend();
                let mut gx = alloc(backend, shape)?;
                backend.log_softmax_rows_backward(saved.buffer(), gy.buffer(), cols, &mut gx)?;
                Ok(vec![Some(wrap(backend, shape, gx))])
            }))
    }
}

pub(crate) fn checks() -> Vec<OpCheck> {
    vec![OpCheck {
        name: "log_softmax_rows",
        shapes: |d: Dims| vec![[d.m, d.n]],
        domain: Domain::Any,
        build: |_, x, _| x[0].log_softmax_rows(),
    }]
}
