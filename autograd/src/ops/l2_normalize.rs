//! Row-wise L2 normalisation: the first step of the Mult-VAE encoder (each user's click row scaled to
//! unit length, as `tf.nn.l2_normalize(x, 1)` in the authors' notebook).
//!
//! Forward: `y_r = x_r / n_r`, `n_r = √max(‖x_r‖², ε)`, `ε = 10⁻¹²` (TensorFlow's default), so an
//! empty row stays zero instead of dividing by zero.
//! VJP: `x̄_r = (ȳ_r − y_r·⟨y_r, ȳ_r⟩) / ‖x_r‖` where `‖x_r‖² > ε`; `x̄_r = ȳ_r / √ε` where
//! `‖x_r‖² ≤ ε` (the clamp). Both are `… / n_r`: the backward drops the `⟨y_r, ȳ_r⟩` term exactly
//! where the forward clamped.
//!
//! Derivation. Where `‖x‖² > ε`, `n = ‖x‖` and `∂n/∂x = xᵀ/‖x‖ = yᵀ`, so
//! `∂y/∂x = I/n − x·yᵀ/n² = (I − y·yᵀ)/n`, a symmetric matrix: `x̄ = (∂y/∂x)ᵀ·ȳ = (ȳ − y⟨y, ȳ⟩)/n`.
//! `I − y·yᵀ` projects onto the tangent plane of the unit sphere at `y`: the part of `ȳ` along `y`
//! is dropped, since stretching `x` along itself does not move `y`. Where `‖x‖² ≤ ε`, `n = √ε` is a
//! constant, `y = x/√ε` is linear and `x̄ = ȳ/√ε`. At `‖x‖² = ε` the two sides differ; the backward
//! takes the clamped side (test: `vjp_inside_the_norm_clamp_is_the_gradient_over_sqrt_eps`).
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
                    L2_EPS,
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

#[cfg(test)]
mod tests {
    use crate::gradcheck::{check_jacobian, Tolerance};
    use crate::{Cpu, Tensor};

    /// A row shorter than `√ε = 10⁻⁶` is divided by the constant `√ε`: its Jacobian is `I/√ε`, not
    /// the tangent projection `(I − y·yᵀ)/√ε`, which differs by `y·yᵀ/√ε ≈ 10⁵` here. The finite
    /// differences step by `10⁻¹⁰`, so they stay inside the clamp; the second row is not clamped.
    #[test]
    fn vjp_inside_the_norm_clamp_is_the_gradient_over_sqrt_eps() {
        let x = Tensor::from_f64(&Cpu::new(), 2, 2, &[3e-7, -4e-7, 0.3, -0.4]).unwrap();
        let tol = Tolerance {
            eps: 1e-10,
            ..Tolerance::default()
        };
        let report = check_jacobian(&[x], tol, |_, v| v[0].l2_normalize_rows()).unwrap();
        assert!(report.passed, "{report}");
        let j = &report.jacobians[0].analytic;
        // ∂y₀/∂x₀ = 1/√ε on the clamped row, ∂y₀/∂x₁ = 0.
        assert!((j[0] - 1e6).abs() < 1e-6 && j[1] == 0.0, "{j:?}");
    }
}
