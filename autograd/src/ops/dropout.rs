//! Inverted dropout (Srivastava et al. 2014), as applied to the encoder input in Mult-VAE.
//!
//! Forward (training): `y = x ⊙ m / (1 − p)` with `m_i ∈ {0, 1}`, `m_i = 1` with probability `1 − p`,
//! drawn by the counter-based generator of [`crate::rng`] from `(seed, step, i)`; so the CPU and the GPU
//! drop the same elements. Evaluation: `y = x`.
//! VJP: `x̄ = ȳ ⊙ m / (1 − p)` — the same mask, regenerated from the key rather than stored.
//!
//! Where it runs (one hop from here to each loop and its test):
//! - CPU loop: `autograd/src/backend/cpu/random.rs` · `dropout` (forward and backward)
//! - CUDA kernel: `gpu/kernels/random.cu` · `dropout`
//! - GPU parity test: `gpu/tests/parity.rs` · `dropout_masks_are_identical_to_the_cpu_masks`

use super::registry::{Dims, Domain, OpCheck};
use super::{alloc, wrap};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::rng::RngKey;
use crate::tape::Var;

impl<'t, B: Backend> Var<'t, B> {
    /// Drops each element with probability `p` and scales the survivors by `1/(1 − p)` when `train`;
    /// the identity otherwise.
    pub fn dropout(&self, p: f64, key: RngKey, train: bool) -> Result<Var<'t, B>> {
        if !(0.0..1.0).contains(&p) {
            return Err(Error::invalid(
                "dropout",
                format!("p = {p} is outside [0, 1)"),
            ));
        }
        if !train || p == 0.0 {
            return Ok(self.clone());
        }
        let backend = self.backend();
        let shape = self.shape();
        let mut y = alloc(backend, shape)?;
        backend.dropout(key, p, self.value().buffer(), &mut y)?;
        Ok(self
            .tape()
            .record("dropout", &[self], wrap(backend, shape, y), move |gy, _| {
                let backend = gy.backend();
                let mut gx = alloc(backend, shape)?;
                backend.dropout(key, p, gy.buffer(), &mut gx)?;
                Ok(vec![Some(wrap(backend, shape, gx))])
            }))
    }
}

pub(crate) fn checks() -> Vec<OpCheck> {
    vec![OpCheck {
        name: "dropout",
        shapes: |d: Dims| vec![[d.m, d.n]],
        domain: Domain::Any,
        // The mask is a function of the key, so it is held fixed across the finite differences.
        build: |_, x, d| x[0].dropout(0.5, RngKey::new(d.seed, 1), true),
    }]
}
