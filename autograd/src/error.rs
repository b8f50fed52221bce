//! The one error type of the framework. Every message names the op (or the function) and the shapes
//! or indices at fault, so that `matmul: [500, 600] · [200, 600]` is all a user needs to find the bug.

/// What went wrong, and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// Operand shapes do not fit together, e.g. `shape mismatch in matmul: [500, 600] · [200, 600]`.
    #[error("shape mismatch in {op}: {detail}")]
    Shape { op: &'static str, detail: String },
    /// An index (a row to gather, a column of a CSR matrix) is outside its bound.
    #[error("index out of range in {op}: {detail}")]
    Index { op: &'static str, detail: String },
    /// Tensors from two different devices met in one op.
    #[error("backend mismatch in {op}: {lhs} and {rhs}")]
    BackendMix {
        op: &'static str,
        lhs: String,
        rhs: String,
    },
    /// An argument outside its domain (a dropout probability of 1.5, a non-scalar loss, ...).
    #[error("invalid argument to {op}: {detail}")]
    Invalid { op: &'static str, detail: String },
    /// The device itself failed (a CUDA launch, an allocation).
    #[error("device error in {op}: {detail}")]
    Device { op: &'static str, detail: String },
}

/// The framework's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn shape(op: &'static str, detail: impl Into<String>) -> Self {
        Error::Shape {
            op,
            detail: detail.into(),
        }
    }
    pub(crate) fn index(op: &'static str, detail: impl Into<String>) -> Self {
        Error::Index {
            op,
            detail: detail.into(),
        }
    }
    pub(crate) fn invalid(op: &'static str, detail: impl Into<String>) -> Self {
        Error::Invalid {
            op,
            detail: detail.into(),
        }
    }
}
