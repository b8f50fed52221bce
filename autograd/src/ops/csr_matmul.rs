//! Sparse × dense product: the encoder's first layer applied to a batch of click rows without ever
//! densifying them.
//!
//! Forward: `Y = X·W`, `X: [m, k]` sparse (CSR, a constant: data has no gradient), `W: [k, n]`.
//! VJP: `W̄ = Xᵀ·Ȳ`, touching only the rows of `W̄` that belong to clicked items. No gradient for `X`.
//!
//! Where it runs (one hop from here to each loop and its test):
//! - CPU loop: `autograd/src/backend/cpu/sparse.rs` · `csr_matmul`, `csr_t_matmul_new`
//! - CUDA kernel: `gpu/kernels/sparse.cu` · `csr_matmul`, `csr_t_matmul_acc`
//! - GPU parity test: `gpu/tests/parity.rs` · `csr_products_match_the_f64_reference`

use super::registry::{Dims, Domain, OpCheck};
use super::{alloc, same_device, wrap};
use crate::backend::Backend;
use crate::csr::CsrMatrix;
use crate::error::{Error, Result};
use crate::real::Real;
use crate::rng::{draw, RngKey};
use crate::tape::Var;
use crate::tensor::fmt_shape;
use std::sync::Arc;

/// A sparse matrix resident on a backend, shared cheaply between the forward and the VJP.
#[derive(Debug)]
pub struct SparseTensor<B: Backend> {
    backend: B,
    shape: [usize; 2],
    csr: Arc<B::Csr>,
}

impl<B: Backend> Clone for SparseTensor<B> {
    fn clone(&self) -> Self {
        SparseTensor {
            backend: self.backend.clone(),
            shape: self.shape,
            csr: self.csr.clone(),
        }
    }
}

impl<B: Backend> SparseTensor<B> {
    /// Moves a (validated) CSR matrix to the backend.
    pub fn new(backend: &B, m: &CsrMatrix<B::Elem>) -> Result<Self> {
        Ok(SparseTensor {
            backend: backend.clone(),
            shape: [m.rows(), m.cols()],
            csr: Arc::new(backend.upload_csr(m)?),
        })
    }
    pub fn shape(&self) -> [usize; 2] {
        self.shape
    }
    pub fn rows(&self) -> usize {
        self.shape[0]
    }
    pub fn cols(&self) -> usize {
        self.shape[1]
    }
    pub fn csr(&self) -> &B::Csr {
        &self.csr
    }
    pub fn backend(&self) -> &B {
        &self.backend
    }
}

/// `Y = X·W` with `X` sparse.
pub fn csr_matmul<'t, B: Backend>(x: &SparseTensor<B>, w: &Var<'t, B>) -> Result<Var<'t, B>> {
    const OP: &str = "csr_matmul";
    if !x.backend.same_device(w.backend()) {
        return Err(Error::BackendMix {
            op: OP,
            lhs: x.backend.device_name(),
            rhs: w.backend().device_name(),
        });
    }
    same_device(OP, w, w.value())?;
    if x.cols() != w.rows() {
        return Err(Error::shape(
            OP,
            format!("{} (sparse) · {}", fmt_shape(x.shape), fmt_shape(w.shape())),
        ));
    }
    let backend = w.backend();
    let (n, shape) = (w.cols(), [x.rows(), w.cols()]);
    let mut y = alloc(backend, shape)?;
    backend.csr_matmul(x.csr(), w.value().buffer(), n, &mut y)?;
    let (xs, w_shape) = (x.clone(), w.shape());
    Ok(w.tape()
        .record(OP, &[w], wrap(backend, shape, y), move |gy, _| {
            let backend = gy.backend();
            let gw = backend.csr_t_matmul_new(xs.csr(), gy.buffer(), n)?;
            Ok(vec![Some(wrap(backend, w_shape, gw))])
        }))
}

/// A random `rows × cols` sparse matrix for checks: each entry present with probability ½, values
/// standard normal (or counts 1 or 2 with `counts`), keyed by `seed`.
pub(crate) fn random_csr<T: Real>(
    rows: usize,
    cols: usize,
    seed: u64,
    counts: bool,
) -> CsrMatrix<T> {
    let key = RngKey::new(seed, 0xC5A);
    let mut triplets = Vec::new();
    for r in 0..rows {
        for c in 0..cols {
            let w = draw(key, (r * cols + c) as u64);
            if w[0] & 1 == 1 {
                let v = if counts {
                    1.0 + (w[1] & 1) as f64
                } else {
                    crate::rng::standard_normal(key, (r * cols + c) as u64)
                };
                triplets.push((r, c, T::of(v)));
            }
        }
    }
    CsrMatrix::from_triplets(rows, cols, &triplets).expect("entries are in range by construction")
}

pub(crate) fn checks() -> Vec<OpCheck> {
    vec![OpCheck {
        name: "csr_matmul",
        shapes: |d: Dims| vec![[d.k, d.n]],
        domain: Domain::Any,
        build: |tape, x, d| {
            let csr = random_csr(d.m, d.k, d.seed, false);
            csr_matmul(&SparseTensor::new(tape.backend(), &csr)?, &x[0])
        },
    }]
}
