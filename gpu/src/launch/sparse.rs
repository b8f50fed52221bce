//! The launches of gpu/kernels/sparse.cu: CSR × dense, Xᵀ·D, the multinomial likelihood, and the
//! fill at a CSR matrix's entries.

use super::{launch, len_is, rows_config};
use crate::csr::CudaCsr;
use crate::{Cuda, CudaBuffer};
use autograd::Result;

/// `csr_matmul`: C = X·B.
pub(crate) fn csr_matmul(
    g: &Cuda,
    x: &CudaCsr,
    b: &CudaBuffer,
    n: usize,
    c: &mut CudaBuffer,
) -> Result<()> {
    const OP: &str = "csr_matmul";
    len_is(OP, "B", b.len(), x.cols * n)?;
    len_is(OP, "C", c.len(), x.rows * n)?;
    if x.rows == 0 || n == 0 {
        return Ok(());
    }
    launch!(g, "csr_matmul", rows_config(x.rows);
        &x.indptr, &x.indices, &x.values, x.rows as u64, b, n as u64, c)
}

/// `csr_t_matmul_acc`: C ← C + Xᵀ·D, or C = Xᵀ·D (`accumulate` false: every element written).
fn csr_t_matmul(
    g: &Cuda,
    x: &CudaCsr,
    d: &CudaBuffer,
    n: usize,
    accumulate: bool,
    c: &mut CudaBuffer,
) -> Result<()> {
    const OP: &str = "csr_t_matmul_acc";
    len_is(OP, "D", d.len(), x.rows * n)?;
    len_is(OP, "C", c.len(), x.cols * n)?;
    if x.cols == 0 || n == 0 {
        return Ok(());
    }
    launch!(g, "csr_t_matmul_acc", rows_config(x.cols);
        &x.t_indptr, &x.t_rows, &x.t_values, x.cols as u64, d, n as u64, accumulate as i32, c)
}

pub(crate) fn csr_t_matmul_acc(
    g: &Cuda,
    x: &CudaCsr,
    d: &CudaBuffer,
    n: usize,
    c: &mut CudaBuffer,
) -> Result<()> {
    csr_t_matmul(g, x, d, n, true, c)
}

/// Xᵀ·D into a fresh buffer, written whole by the kernel (no zero fill first).
pub(crate) fn csr_t_matmul_new(
    g: &Cuda,
    x: &CudaCsr,
    d: &CudaBuffer,
    n: usize,
) -> Result<CudaBuffer> {
    let mut c = g.take::<f32>(x.cols * n)?;
    csr_t_matmul(g, x, d, n, false, &mut c)?;
    Ok(c)
}

/// `multinomial_nll_rows`: ℓ[u] = N_u·lse_u − Σ_i t[u, i]·z[u, i], and lse for the backward.
pub(crate) fn multinomial_nll_rows(
    g: &Cuda,
    z: &CudaBuffer,
    t: &CudaCsr,
    loss: &mut CudaBuffer,
    lse: &mut CudaBuffer,
) -> Result<()> {
    const OP: &str = "multinomial_nll_rows";
    len_is(OP, "z", z.len(), t.rows * t.cols)?;
    len_is(OP, "loss", loss.len(), t.rows)?;
    len_is(OP, "lse", lse.len(), t.rows)?;
    if t.rows == 0 {
        return Ok(());
    }
    launch!(g, "multinomial_nll_rows", rows_config(t.rows);
        z, &t.indptr, &t.indices, &t.values, t.rows as u64, t.cols as u64, loss, lse)
}

/// `multinomial_nll_rows_backward`: z̄[u, i] = ℓ̄[u]·(softmax(z)[u, i]·N_u − t[u, i]).
pub(crate) fn multinomial_nll_rows_backward(
    g: &Cuda,
    z: &CudaBuffer,
    lse: &CudaBuffer,
    t: &CudaCsr,
    dloss: &CudaBuffer,
    dz: &mut CudaBuffer,
) -> Result<()> {
    const OP: &str = "multinomial_nll_rows_backward";
    len_is(OP, "z", z.len(), t.rows * t.cols)?;
    len_is(OP, "dz", dz.len(), t.rows * t.cols)?;
    len_is(OP, "lse", lse.len(), t.rows)?;
    len_is(OP, "dloss", dloss.len(), t.rows)?;
    if t.rows == 0 {
        return Ok(());
    }
    launch!(g, "multinomial_nll_rows_backward", rows_config(t.rows);
        z, lse, &t.indptr, &t.indices, &t.values, dloss, t.rows as u64, t.cols as u64, dz)
}

/// `fill_csr_pattern`: y[r, c] = v at every stored (r, c) of X.
pub(crate) fn fill_csr_pattern(
    g: &Cuda,
    x: &CudaCsr,
    value: f64,
    y: &mut CudaBuffer,
) -> Result<()> {
    const OP: &str = "fill_csr_pattern";
    len_is(OP, "y", y.len(), x.rows * x.cols)?;
    if x.rows == 0 || x.cols == 0 {
        return Ok(());
    }
    launch!(g, "fill_csr_pattern", rows_config(x.rows);
        &x.indptr, &x.indices, x.rows as u64, x.cols as u64, value as f32, y)
}
