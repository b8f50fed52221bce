//! The multinomial negative log-likelihood fused with log-softmax: `−log p_θ(x_u | z_u)` of Liang et
//! al. (2018, Eq. 2, arXiv:1802.05814v1), up to the constant multinomial coefficient.
//!
//! Forward: `ℓ_u = −Σ_i x_ui · log softmax(z_u)_i = N_u · lse(z_u) − Σ_i x_ui z_ui`, with
//! `N_u = Σ_i x_ui` and `lse(z_u) = log Σ_i exp z_ui`; `x` is the sparse click row, so the sum over
//! items touches only clicks; the output is `[m, 1]`.
//! VJP: `z̄_ui = ℓ̄_u · (N_u · softmax(z_u)_i − x_ui)`: one pass over the logits, no `[m, I]`
//! log-softmax kept. No gradient for the targets `x`.
//!
//! Derivation (one row). `∂lse/∂z_i = softmax(z)_i` (as in the log-softmax), and `Σ_j x_j z_j` has
//! gradient `x`, so `∂ℓ/∂z_i = N·softmax(z)_i − x_i`. It is the log-softmax's VJP with
//! `ȳ = −ℓ̄·x`: `ȳ_i − softmax_i Σ_j ȳ_j = −ℓ̄x_i + softmax_i·ℓ̄N`. The row's `lse` is all the
//! backward keeps: `softmax(z)_i = exp(z_i − lse)`. The gradient sums to zero over the items (`N` of
//! probability mass given, `N` clicks taken away), so shifting a row of logits changes nothing. A row
//! of −∞ has `lse = −∞`, as in the log-softmax, and a NaN loss and gradient.
//!
//! Where it runs (one hop from here to each loop and its test):
//! - CPU loop: `autograd/src/backend/cpu/sparse.rs` · `multinomial_nll_rows`,
//!   `multinomial_nll_rows_backward`
//! - CUDA kernel: `gpu/kernels/sparse.cu` · `multinomial_nll_rows`, `multinomial_nll_rows_backward`
//! - GPU parity test: `gpu/tests/parity.rs` · `multinomial_nll_and_its_vjp_match_the_f64_reference`

use super::csr_matmul::{random_csr, SparseTensor};
use super::registry::{Dims, Domain, OpCheck};
use super::{alloc, wrap};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::tape::Var;
use crate::tensor::fmt_shape;

impl<'t, B: Backend> Var<'t, B> {
    /// `ℓ_u = −Σ_i x_ui · log softmax(z_u)_i` for each row `u` of the logits `self`, `[m, 1]`.
    pub fn multinomial_nll(&self, targets: &SparseTensor<B>) -> Result<Var<'t, B>> {
        const OP: &str = "multinomial_nll";
        if !targets.backend().same_device(self.backend()) {
            return Err(Error::BackendMix {
                op: OP,
                lhs: self.backend().device_name(),
                rhs: targets.backend().device_name(),
            });
        }
        if targets.shape() != self.shape() {
            return Err(Error::shape(
                OP,
                format!(
                    "logits {} with targets {}",
                    fmt_shape(self.shape()),
                    fmt_shape(targets.shape())
                ),
            ));
        }
        let backend = self.backend();
        let shape = self.shape();
        let mut loss = alloc(backend, [shape[0], 1])?;
        let mut lse = alloc(backend, [shape[0], 1])?;
        backend.multinomial_nll_rows(self.value().buffer(), targets.csr(), &mut loss, &mut lse)?;
        let (z, t) = (self.value().clone(), targets.clone());
        Ok(self.tape().record(
            OP,
            &[self],
            wrap(backend, [shape[0], 1], loss),
            move |gl, _| {
                let backend = gl.backend();
                let mut gz = alloc(backend, shape)?;
                backend.multinomial_nll_rows_backward(
                    z.buffer(),
                    &lse,
                    t.csr(),
                    gl.buffer(),
                    &mut gz,
                )?;
                Ok(vec![Some(wrap(backend, shape, gz))])
            },
        ))
    }
}

pub(crate) fn checks() -> Vec<OpCheck> {
    vec![OpCheck {
        name: "multinomial_nll",
        shapes: |d: Dims| vec![[d.m, d.n]],
        domain: Domain::Any,
        build: |tape, x, d| {
            let t = random_csr(d.m, d.n, d.seed, true);
            x[0].multinomial_nll(&SparseTensor::new(tape.backend(), &t)?)
        },
    }]
}
