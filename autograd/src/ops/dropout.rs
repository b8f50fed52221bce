//! Inverted dropout (Srivastava et al. 2014), as applied to the encoder input in Mult-VAE.
//!
//! Forward (training): `y = x ⊙ m / q` with `m_i ∈ {0, 1}`, `m_i = 1` with probability `q`, drawn by
//! the counter-based generator of [`crate::rng`] from `(seed, step, i)`; so the CPU and the GPU drop
//! the same elements. Evaluation: `y = x`.
//! `q` is `1 − p` rounded to a multiple of 2⁻²⁴, `q = round((1 − p)·2²⁴)/2²⁴`, because the mask
//! compares 24-bit integers; the scale is `1/q` ([`crate::rng::keep_scale`]), not `1/(1 − p)`, so
//! `E[y] = x` holds exactly. The two differ by at most 2⁻²⁵/q relative (none at `p = 0.5`).
//! VJP: `x̄ = ȳ ⊙ m / q` — the same mask, regenerated from the key rather than stored.
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
    /// Drops each element with probability `p` (to 2⁻²⁵) and scales the survivors by the inverse of
    /// the exact keep probability when `train`; the identity otherwise.
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

#[cfg(test)]
mod tests {
    use crate::rng::RngKey;
    use crate::{Cpu, Tape, Tensor};

    /// At `p = 0.2` the mask keeps with `q = round(0.8·2²⁴)/2²⁴ = 13,421,773/2²⁴`, a little over 0.8:
    /// the survivors are scaled by `2²⁴/13,421,773 ≈ 1.2499999814`, not by `1/0.8 = 1.25`.
    #[test]
    fn survivors_are_scaled_by_the_inverse_of_the_exact_keep_probability() {
        let tape = Tape::new(&Cpu::<f64>::new());
        let x = tape.constant(Tensor::full(&Cpu::new(), 1, 64, 1.0).unwrap());
        let y = x.dropout(0.2, RngKey::new(3, 1), true).unwrap();
        let y = y.value().to_vec().unwrap();
        let scale = 16_777_216.0 / 13_421_773.0;
        assert!(y.iter().all(|&v| v == 0.0 || v == scale), "{y:?}");
        assert!(y.iter().any(|&v| v != 0.0), "{y:?}");
    }
}
