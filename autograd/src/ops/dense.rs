//! Dense (fully connected) layer with a bias broadcast over rows.
//!
//! Forward: `Y = X·W + 1·bᵀ`, `X: [m, k]`, `W: [k, n]`, `b: [1, n]`, `Y: [m, n]`.
//! VJP: `X̄ = Ȳ·Wᵀ`, `W̄ = Xᵀ·Ȳ`, `b̄ = 1ᵀ·Ȳ` (column sums of `Ȳ`).

use super::matmul::{gemm, matmul_vjp};
use super::registry::{Dims, Domain, OpCheck};
use super::{alloc, same_device, wrap};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::tape::Var;
use crate::tensor::{fmt_shape, Tensor};

/// `b̄ = 1ᵀ·Ȳ`: the column sums of the output gradient, shaped `[1, n]`.
pub(crate) fn bias_grad<B: Backend>(gy: &Tensor<B>) -> Result<Tensor<B>> {
    let backend = gy.backend();
    let mut gb = alloc(backend, [1, gy.cols()])?;
    backend.sum_cols_acc(gy.buffer(), gy.cols(), 0.0, &mut gb)?;
    Ok(wrap(backend, [1, gy.cols()], gb))
}

impl<'t, B: Backend> Var<'t, B> {
    /// `Y = X·W + b`, the bias `b` (`[1, n]`) added to every row.
    pub fn dense(&self, w: &Var<'t, B>, b: &Var<'t, B>) -> Result<Var<'t, B>> {
        same_device("dense", self, w.value())?;
        same_device("dense", self, b.value())?;
        if self.cols() != w.rows() || b.shape() != [1, w.cols()] {
            return Err(Error::shape(
                "dense",
                format!(
                    "{} · {} + {}",
                    fmt_shape(self.shape()),
                    fmt_shape(w.shape()),
                    fmt_shape(b.shape())
                ),
            ));
        }
        let (x, wv) = (self.value().clone(), w.value().clone());
        let mut y = gemm(&x, &wv, false, false, [x.rows(), wv.cols()], x.cols())?;
        let backend = self.backend();
        let buf = y.buffer_mut().expect("a fresh tensor is not shared");
        backend.add_row_vector(b.value().buffer(), wv.cols(), buf)?;
        Ok(self
            .tape()
            .record("dense", &[self, w, b], y, move |gy, needs| {
                let [gx, gw] = matmul_vjp(&x, &wv, gy, needs)?;
                let gb = if needs[2] { Some(bias_grad(gy)?) } else { None };
                Ok(vec![gx, gw, gb])
            }))
    }
}

pub(crate) fn checks() -> Vec<OpCheck> {
    vec![OpCheck {
        name: "dense",
        shapes: |d: Dims| vec![[d.m, d.k], [d.k, d.n], [1, d.n]],
        domain: Domain::Any,
        build: |_, x, _| x[0].dense(&x[1], &x[2]),
    }]
}
