//! GEMM through cuBLAS `sgemm` (emulated by the simulator with the same argument rules).

use super::ensure;
use crate::engine::Sgemm;
use crate::error::device;
use crate::{Cuda, CudaBuffer};
use autograd::backend::Gemm;
use autograd::{Error, Result};

/// The cuBLAS arguments of the row-major `C = α·op(A)·op(B) + β·C`. cuBLAS is column-major, and a
/// row-major matrix read column-major is its transpose, so the row-major product is computed as the
/// column-major `Cᵀ = op(B)ᵀ·op(A)ᵀ`: the operands swap, keep their own transpose flags, and every
/// leading dimension is a row-major row length.
pub(crate) fn column_major(g: Gemm) -> Result<Sgemm> {
    const OP: &str = "gemm";
    let Gemm { m, n, k, .. } = g;
    let dim = |v: usize| {
        i32::try_from(v).map_err(|_| Error::Invalid {
            op: OP,
            detail: format!("dimension {v} exceeds cuBLAS's 32-bit sizes"),
        })
    };
    // A leading dimension is at least 1 even for an empty matrix (cuBLAS's rule).
    let ld = |v: usize| dim(v.max(1));
    Ok(Sgemm {
        transa: g.trans_b,
        transb: g.trans_a,
        m: dim(n)?,
        n: dim(m)?,
        k: dim(k)?,
        alpha: g.alpha as f32,
        lda: ld(if g.trans_b { k } else { n })?,
        ldb: ld(if g.trans_a { m } else { k })?,
        beta: g.beta as f32,
        ldc: ld(n)?,
    })
}

/// `C ← α·op(A)·op(B) + β·C` (row-major); with k = 0, `C ← β·C`.
pub(crate) fn gemm(
    g: &Cuda,
    spec: Gemm,
    a: &CudaBuffer,
    b: &CudaBuffer,
    c: &mut CudaBuffer,
) -> Result<()> {
    const OP: &str = "gemm";
    let Gemm { m, n, k, .. } = spec;
    ensure(
        OP,
        a.len() >= m * k && b.len() >= k * n && c.len() >= m * n,
        || {
            format!(
                "m={m} n={n} k={k} with buffers of {}, {}, {}",
                a.len(),
                b.len(),
                c.len()
            )
        },
    )?;
    if m == 0 || n == 0 {
        return Ok(());
    }
    let cfg = column_major(spec)?;
    // Operands swapped: cuBLAS's A is our B (see `column_major`).
    g.engine().sgemm(cfg, g.tf32(), b, a, c).map_err(device(OP))
}

/// `op(A)·op(B)` into a fresh buffer: β = 0, so cuBLAS never reads C and no zero fill is queued.
pub(crate) fn gemm_new(g: &Cuda, spec: Gemm, a: &CudaBuffer, b: &CudaBuffer) -> Result<CudaBuffer> {
    let mut c = g.take::<f32>(spec.m * spec.n)?;
    let spec = Gemm {
        alpha: 1.0,
        beta: 0.0,
        ..spec
    };
    gemm(g, spec, a, b, &mut c)?;
    Ok(c)
}
