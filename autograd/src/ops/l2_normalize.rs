//! Row-wise L2 normalisation: the first step of the Mult-VAE encoder (each user's click row scaled to
//! unit length, as `tf.nn.l2_normalize(x, 1)` in the authors' notebook).
//!
//! Forward: `y_r = x_r / n_r`, `n_r = √max(‖x_r‖², ε)`, `ε = 10⁻¹²` (TensorFlow's default), so an
//! empty row stays zero instead of dividing by zero.
//! VJP: `x̄_r = (ȳ_r − y_r·⟨y_r, ȳ_r⟩) / n_r` (where the clamp is active the exact derivative is
//! `ȳ_r / n_r`; the formula agrees there up to `y_r ≈ 0`).
//!
//! Where it runs (one hop from here to each loop and its test):
//! - CPU loop: `autograd/src/backend/cpu/rows.rs` · `l2_normalize_rows`,
//!   `l2_normalize_rows_backward`
//! - CUDA kernel: `gpu/kernels/rows.cu` · `l2_normalize_rows`, `l2_normalize_rows_backward`
//! - GPU parity test: `gpu/tests/parity.rs` ·
//!   `l2_normalisation_and_its_vjp_match_the_f64_reference`

use super::registry::{Dims, Domain, OpCheck};
use super::{alloc, wrap};
use crate::backend::{Backend, L2_EPS};
use crate::error::Result;
use crate::tape::Var;

impl<'t, B: Backend> Var<'t, B> {
    /// Each row divided by its Euclidean norm.
    pub fn l2_normalize_rows(&self) -> Result<Var<'t, B>> {
        let backend = self.backend();
        let (shape, cols) = (self.shape(), self.cols());
        let mut y = alloc(backend, shape)?;
        let mut norms = alloc(backend, [shape[0], 1])?;
        backend.l2_normalize_rows(self.value().buffer(), cols, L2_EPS, &mut y, &mut norms)?;
        let y = wrap(backend, shape, y);
        let saved = y.clone();
        Ok(self
            .tape()
            .record("l2_normalize_rows", &[self], y, move |gy, _| {
                let backend = gy.backend();
                let mut gx = alloc(backend, shape)?;
                backend.l2_normalize_rows_backward(
                    saved.buffer(),
                    &norms,
                    gy.buffer(),
                    cols,
                    &mut gx,
                )?;
                Ok(vec![Some(wrap(backend, shape, gx))])
            }))
    }
}

pub(crate) fn checks() -> Vec<OpCheck> {
    vec![OpCheck {
        name: "l2_normalize_rows",
        shapes: |d: Dims| vec![[d.m, d.n]],
        domain: Domain::Any,
        build: |_, x, _| x[0].l2_normalize_rows(),
    }]
}
