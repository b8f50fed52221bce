//! Element-wise sum, difference and product of two tensors of one shape (no broadcasting: a shape
//! mismatch is an error, never a silent expansion).
//!
//! | op  | forward       | `ā`       | `b̄`        |
//! |-----|---------------|-----------|------------|
//! | add | `c = a + b`   | `c̄`       | `c̄`        |
//! | sub | `c = a − b`   | `c̄`       | `−c̄`       |
//! | mul | `c = a ⊙ b`   | `c̄ ⊙ b`   | `c̄ ⊙ a`    |
//!
//! Where it runs (one hop from here to each loop and its test):
//! - CPU loop: `autograd/src/backend/cpu/elementwise.rs` · `binary`, `unary` (sub's b̄ = −c̄)
//! - CUDA kernel: `gpu/kernels/elementwise.cu` · `binary`, `unary_forward`
//! - GPU parity test: `gpu/tests/parity.rs` · `binary_maps_and_axpy_match_the_f64_reference`

use super::registry::{Dims, Domain, OpCheck};
use super::{alloc, same_shape, wrap};
use crate::backend::{Backend, Binary, Unary};
use crate::error::Result;
use crate::tape::Var;
use crate::tensor::Tensor;

pub(crate) fn apply<B: Backend>(op: Binary, a: &Tensor<B>, b: &Tensor<B>) -> Result<Tensor<B>> {
    let backend = a.backend();
    let mut c = alloc(backend, a.shape())?;
    backend.binary(op, a.buffer(), b.buffer(), &mut c)?;
    Ok(wrap(backend, a.shape(), c))
}

pub(crate) fn map<B: Backend>(op: Unary, x: &Tensor<B>) -> Result<Tensor<B>> {
    let backend = x.backend();
    let mut y = alloc(backend, x.shape())?;
    backend.unary(op, x.buffer(), &mut y)?;
    Ok(wrap(backend, x.shape(), y))
}

impl<'t, B: Backend> Var<'t, B> {
    /// `c = a + b`.
    pub fn add(&self, rhs: &Var<'t, B>) -> Result<Var<'t, B>> {
        same_shape("add", "+", self, rhs)?;
        let c = apply(Binary::Add, self.value(), rhs.value())?;
        Ok(self.tape().record("add", &[self, rhs], c, |gc, needs| {
            Ok(vec![
                needs[0].then(|| gc.clone()),
                needs[1].then(|| gc.clone()),
            ])
        }))
    }

    /// `c = a − b`.
    pub fn sub(&self, rhs: &Var<'t, B>) -> Result<Var<'t, B>> {
        same_shape("sub", "−", self, rhs)?;
        let c = apply(Binary::Sub, self.value(), rhs.value())?;
        Ok(self.tape().record("sub", &[self, rhs], c, |gc, needs| {
            let gb = if needs[1] {
                Some(map(Unary::Neg, gc)?)
            } else {
                None
            };
            Ok(vec![needs[0].then(|| gc.clone()), gb])
        }))
    }

    /// `c = a ⊙ b`.
    pub fn mul(&self, rhs: &Var<'t, B>) -> Result<Var<'t, B>> {
        same_shape("mul", "⊙", self, rhs)?;
        let (a, b) = (self.value().clone(), rhs.value().clone());
        let c = apply(Binary::Mul, &a, &b)?;
        Ok(self
            .tape()
            .record("mul", &[self, rhs], c, move |gc, needs| {
                let ga = if needs[0] {
                    Some(apply(Binary::Mul, gc, &b)?)
                } else {
                    None
                };
                let gb = if needs[1] {
                    Some(apply(Binary::Mul, gc, &a)?)
                } else {
                    None
                };
                Ok(vec![ga, gb])
            }))
    }
}

pub(crate) fn checks() -> Vec<OpCheck> {
    let shapes = |d: Dims| vec![[d.m, d.n], [d.m, d.n]];
    vec![
        OpCheck {
            name: "add",
            shapes,
            domain: Domain::Any,
            build: |_, x, _| x[0].add(&x[1]),
        },
        OpCheck {
            name: "sub",
            shapes,
            domain: Domain::Any,
            build: |_, x, _| x[0].sub(&x[1]),
        },
        OpCheck {
            name: "mul",
            shapes,
            domain: Domain::Any,
            build: |_, x, _| x[0].mul(&x[1]),
        },
    ]
}
