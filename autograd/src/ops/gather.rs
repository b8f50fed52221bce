//! Row gather: the embedding lookup of NCF.
//!
//! Forward: `y_r = E[idx_r, :]`, `E: [V, d]`, `y: [len(idx), d]`.
//! VJP: `Ē[v, :] = Σ_{r : idx_r = v} ȳ_r` — a scatter-add; rows looked up twice get both gradients.
//!
//! Where it runs (one hop from here to each loop and its test):
//! - CPU loop: `autograd/src/backend/cpu/rows.rs` · `gather_rows`, `scatter_add_rows`
//! - CUDA kernel: `gpu/kernels/rows.cu` · `gather_rows`, `scatter_add_rows`
//! - GPU parity test: `gpu/tests/parity.rs` ·
//!   `gather_and_scatter_with_repeated_rows_match_the_f64_reference`

use super::registry::{Dims, Domain, OpCheck};
use super::{alloc, wrap};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::rng::{draw, RngKey};
use crate::tape::Var;
use crate::tensor::fmt_shape;
use std::sync::Arc;

impl<'t, B: Backend> Var<'t, B> {
    /// The rows `index` of the table `self`.
    pub fn gather_rows(&self, index: &[usize]) -> Result<Var<'t, B>> {
        let rows = self.rows();
        if let Some(&bad) = index.iter().find(|&&i| i >= rows) {
            return Err(Error::index(
                "gather_rows",
                format!("row {bad} of a table {}", fmt_shape(self.shape())),
            ));
        }
        let index: Arc<Vec<u32>> = Arc::new(index.iter().map(|&i| i as u32).collect());
        let backend = self.backend();
        let (table_shape, cols) = (self.shape(), self.cols());
        let shape = [index.len(), cols];
        let mut y = alloc(backend, shape)?;
        backend.gather_rows(self.value().buffer(), cols, &index, &mut y)?;
        Ok(self.tape().record(
            "gather_rows",
            &[self],
            wrap(backend, shape, y),
            move |gy, _| {
                let backend = gy.backend();
                let mut gt = alloc(backend, table_shape)?;
                backend.scatter_add_rows(gy.buffer(), cols, &index, &mut gt)?;
                Ok(vec![Some(wrap(backend, table_shape, gt))])
            },
        ))
    }
}

pub(crate) fn checks() -> Vec<OpCheck> {
    vec![OpCheck {
        name: "gather_rows",
        shapes: |d: Dims| vec![[d.k, d.n]],
        domain: Domain::Any,
        build: |_, x, d| {
            // m lookups into k rows: with m > k some rows repeat, exercising the scatter-add.
            let key = RngKey::new(d.seed, 3);
            let index: Vec<usize> = (0..d.m)
                .map(|i| draw(key, i as u64)[0] as usize % d.k)
                .collect();
            x[0].gather_rows(&index)
        },
    }]
}
