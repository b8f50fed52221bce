//! Every differentiable operation: one file per op (or op family), each holding the math as a doc
//! comment, the forward, the vector-Jacobian product, and its entry in the gradient-check registry.
//!
//! Conventions in the doc comments: `ȳ` is the gradient arriving at the output, `x̄` the one sent to
//! input `x`; `⊙` is the element-wise product; shapes are `[rows, cols]`.

pub mod bce;
pub mod binary;
pub mod columns;
pub mod csr_matmul;
pub mod dense;
pub mod dropout;
pub mod gather;
pub mod gaussian;
pub mod l2_normalize;
pub mod log_softmax;
pub mod matmul;
pub mod mse;
pub mod multinomial_nll;
pub mod reduce;
pub mod registry;
pub mod unary;

pub use columns::concat_cols;
pub use csr_matmul::{csr_matmul, SparseTensor};
pub use gaussian::{gaussian, gaussian_kl};
pub use registry::{registry, Dims, Domain, OpCheck};

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::tape::Var;
use crate::tensor::{fmt_shape, Tensor};

/// A fresh zero tensor of `shape` on `backend`, as a buffer to write into.
pub(crate) fn alloc<B: Backend>(backend: &B, shape: [usize; 2]) -> Result<B::Buffer> {
    backend.zeros(shape[0] * shape[1])
}

/// Wraps a buffer written by a primitive.
pub(crate) fn wrap<B: Backend>(backend: &B, shape: [usize; 2], buf: B::Buffer) -> Tensor<B> {
    Tensor::from_buffer(backend, shape, buf)
}

/// Refuses operands of two devices.
pub(crate) fn same_device<B: Backend>(
    op: &'static str,
    a: &Var<'_, B>,
    b: &Tensor<B>,
) -> Result<()> {
    let (da, db) = (a.value().backend(), b.backend());
    if da.same_device(db) {
        Ok(())
    } else {
        Err(Error::BackendMix {
            op,
            lhs: da.device_name(),
            rhs: db.device_name(),
        })
    }
}

/// Requires two operands of one shape: no silent broadcast.
pub(crate) fn same_shape<B: Backend>(
    op: &'static str,
    sym: &str,
    a: &Var<'_, B>,
    b: &Var<'_, B>,
) -> Result<()> {
    same_device(op, a, b.value())?;
    if a.shape() != b.shape() {
        return Err(Error::shape(
            op,
            format!("{} {sym} {}", fmt_shape(a.shape()), fmt_shape(b.shape())),
        ));
    }
    Ok(())
}
