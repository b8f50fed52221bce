//! Binary cross-entropy on logits, the loss of NCF's implicit-feedback protocol.
//!
//! Forward: `L = (1/N) Σ_i [max(z_i, 0) − z_i t_i + log(1 + e^{−|z_i|})]`, which equals
//! `−(1/N) Σ_i [t_i log σ(z_i) + (1 − t_i) log(1 − σ(z_i))]` without overflow; `[1, 1]`.
//! VJP: `z̄_i = L̄ · (σ(z_i) − t_i) / N`. Targets `t` are data: no gradient.
//!
//! Where it runs (one hop from here to each loop and its test):
//! - CPU loop: `autograd/src/backend/cpu/bce.rs` · `bce_with_logits`, `bce_with_logits_backward`;
//!   `autograd/src/backend/cpu/rows.rs` · `sum_rows`, `broadcast_col`
//! - CUDA kernel: `gpu/kernels/bce.cu` · `bce_with_logits`, `bce_with_logits_backward`;
//!   `gpu/kernels/rows.cu` · `sum_rows`, `broadcast_col`
//! - GPU parity test: `gpu/tests/parity.rs` ·
//!   `binary_cross_entropy_and_its_vjp_match_the_f64_reference`

use super::binary::apply;
use super::registry::{Dims, Domain, OpCheck};
use super::{alloc, same_device, wrap};
use crate::backend::{Backend, Binary};
use crate::error::{Error, Result};
use crate::rng::{draw, RngKey};
use crate::tape::Var;
use crate::tensor::{fmt_shape, Tensor};

impl<'t, B: Backend> Var<'t, B> {
    /// The mean binary cross-entropy of the logits `self` against targets in [0, 1].
    pub fn bce_with_logits(&self, targets: &Tensor<B>) -> Result<Var<'t, B>> {
        same_device("bce_with_logits", self, targets)?;
        if targets.shape() != self.shape() {
            return Err(Error::shape(
                "bce_with_logits",
                format!(
                    "logits {} with targets {}",
                    fmt_shape(self.shape()),
                    fmt_shape(targets.shape())
                ),
            ));
        }
        let backend = self.backend();
        let n = self.value().len();
        let mut each = alloc(backend, self.shape())?;
        backend.bce_with_logits(self.value().buffer(), targets.buffer(), &mut each)?;
        let mut loss = alloc(backend, [1, 1])?;
        backend.sum_rows(&each, n, 1.0 / n.max(1) as f64, &mut loss)?;
        let (z, t) = (self.value().clone(), targets.clone());
        Ok(self.tape().record(
            "bce_with_logits",
            &[self],
            wrap(backend, [1, 1], loss),
            move |gl, _| {
                let backend = gl.backend();
                let mut gz = alloc(backend, z.shape())?;
                backend.bce_with_logits_backward(
                    z.buffer(),
                    t.buffer(),
                    1.0 / n.max(1) as f64,
                    &mut gz,
                )?;
                // Scale by L̄, read on the device: spread it over z's shape and multiply.
                let mut spread = alloc(backend, z.shape())?;
                backend.broadcast_col(gl.buffer(), z.len(), 1.0, &mut spread)?;
                let gz = apply(
                    Binary::Mul,
                    &wrap(backend, z.shape(), gz),
                    &wrap(backend, z.shape(), spread),
                )?;
                Ok(vec![Some(gz)])
            },
        ))
    }
}

pub(crate) fn checks() -> Vec<OpCheck> {
    vec![OpCheck {
        name: "bce_with_logits",
        shapes: |d: Dims| vec![[d.m, d.n]],
        domain: Domain::Any,
        build: |tape, x, d| {
            let key = RngKey::new(d.seed, 4);
            let t: Vec<f64> = (0..d.m * d.n)
                .map(|i| (draw(key, i as u64)[0] & 1) as f64)
                .collect();
            x[0].bce_with_logits(&Tensor::from_f64(tape.backend(), d.m, d.n, &t)?)
        },
    }]
}
