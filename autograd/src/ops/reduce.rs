//! Sums and means, over everything or per row.
//!
//! | op        | forward                         | shape     | VJP                          |
//! |-----------|---------------------------------|-----------|------------------------------|
//! | sum       | `s = Σ_{r,c} x_rc`              | `[1, 1]`  | `x̄_rc = s̄`                   |
//! | mean      | `s = (1/mn) Σ_{r,c} x_rc`       | `[1, 1]`  | `x̄_rc = s̄ / mn`              |
//! | sum_rows  | `s_r = Σ_c x_rc`                | `[m, 1]`  | `x̄_rc = s̄_r`                 |
//! | mean_rows | `s_r = (1/n) Σ_c x_rc`          | `[m, 1]`  | `x̄_rc = s̄_r / n`             |
//!
//! Where it runs (one hop from here to each loop and its test):
//! - CPU loop: `autograd/src/backend/cpu/rows.rs` · `sum_rows`, `broadcast_col`
//! - CUDA kernel: `gpu/kernels/rows.cu` · `sum_rows`, `broadcast_col`
//! - GPU parity test: `gpu/tests/parity.rs` · `broadcasts_and_reductions_match_the_f64_reference`,
//!   `reductions_are_bit_identical_from_run_to_run`

use super::registry::{Dims, Domain, OpCheck};
use super::{alloc, wrap};
use crate::backend::Backend;
use crate::error::Result;
use crate::tape::Var;
use crate::tensor::Tensor;

/// `s_r = α·Σ_c x_rc` over rows `cols` wide (a whole tensor is one row of `len` columns).
fn row_sums<B: Backend>(x: &Tensor<B>, cols: usize, alpha: f64) -> Result<Tensor<B>> {
    let backend = x.backend();
    let rows = x.len() / cols.max(1);
    let mut s = alloc(backend, [rows, 1])?;
    backend.sum_rows(x.buffer(), cols, alpha, &mut s)?;
    Ok(wrap(backend, [rows, 1], s))
}

impl<'t, B: Backend> Var<'t, B> {
    /// Reduces rows `cols` wide with weight `alpha`, recorded as `name`; the VJP spreads `alpha·s̄`
    /// back over each row.
    pub(crate) fn reduce(&self, name: &'static str, cols: usize, alpha: f64) -> Result<Var<'t, B>> {
        let shape = self.shape();
        let s = row_sums(self.value(), cols, alpha)?;
        Ok(self.tape().record(name, &[self], s, move |gs, _| {
            let backend = gs.backend();
            let mut gx = alloc(backend, shape)?;
            backend.broadcast_col(gs.buffer(), cols, alpha, &mut gx)?;
            Ok(vec![Some(wrap(backend, shape, gx))])
        }))
    }

    /// `Σ_{r,c} x_rc` as a `[1, 1]` tensor.
    pub fn sum(&self) -> Result<Var<'t, B>> {
        self.reduce("sum", self.value().len(), 1.0)
    }
    /// The mean of all elements, `[1, 1]`.
    pub fn mean(&self) -> Result<Var<'t, B>> {
        let n = self.value().len();
        self.reduce("mean", n, 1.0 / n.max(1) as f64)
    }
    /// `Σ_c x_rc` for each row, `[m, 1]`.
    pub fn sum_rows(&self) -> Result<Var<'t, B>> {
        self.reduce("sum_rows", self.cols(), 1.0)
    }
    /// The mean of each row, `[m, 1]`.
    pub fn mean_rows(&self) -> Result<Var<'t, B>> {
        self.reduce("mean_rows", self.cols(), 1.0 / self.cols().max(1) as f64)
    }
}

pub(crate) fn checks() -> Vec<OpCheck> {
    let shapes = |d: Dims| vec![[d.m, d.n]];
    let check = |name, build| OpCheck {
        name,
        shapes,
        domain: Domain::Any,
        build,
    };
    vec![
        check("sum", |_, x, _| x[0].sum()),
        check("mean", |_, x, _| x[0].mean()),
        check("sum_rows", |_, x, _| x[0].sum_rows()),
        check("mean_rows", |_, x, _| x[0].mean_rows()),
    ]
}
