//! The launches of gpu/kernels/rows.cu: broadcasts, row reductions, log-softmax, L2 normalisation,
//! column copies, row gathers and scatters.

use super::{
    elementwise_config, ensure, launch, len_is, memset_zeros, rows_config, rows_of, to_u32,
};
use crate::launch::memory::upload;
use crate::{Cuda, CudaBuffer};
use autograd::{Error, Result};

/// `add_row_vector`: y[r, :] ← y[r, :] + v.
pub(crate) fn add_row_vector(
    g: &Cuda,
    v: &CudaBuffer,
    cols: usize,
    y: &mut CudaBuffer,
) -> Result<()> {
    const OP: &str = "add_row_vector";
    len_is(OP, "v", v.len(), cols)?;
    rows_of(OP, y.len(), cols)?;
    if y.is_empty() || cols == 0 {
        return Ok(());
    }
    let n = y.len();
    launch!(g, "add_row_vector", elementwise_config(n); v, cols as u64, y, n as u64)
}

/// `sum_rows`: s[r] = α·Σ_c x[r, c].
pub(crate) fn sum_rows(
    g: &Cuda,
    x: &CudaBuffer,
    cols: usize,
    alpha: f64,
    s: &mut CudaBuffer,
) -> Result<()> {
    const OP: &str = "sum_rows";
    let rows = rows_of(OP, x.len(), cols)?;
    if cols == 0 {
        // Σ over no columns: zeros for however many rows `s` stands for.
        return memset_zeros(g, OP, s);
    }
    len_is(OP, "s", s.len(), rows)?;
    if rows == 0 {
        return Ok(());
    }
    launch!(g, "sum_rows", rows_config(rows); x, rows as u64, cols as u64, alpha, s)
}

/// `sum_cols_acc`: s[c] ← β·s[c] + Σ_r x[r, c].
pub(crate) fn sum_cols_acc(
    g: &Cuda,
    x: &CudaBuffer,
    cols: usize,
    beta: f64,
    s: &mut CudaBuffer,
) -> Result<()> {
    const OP: &str = "sum_cols_acc";
    let rows = rows_of(OP, x.len(), cols)?;
    len_is(OP, "s", s.len(), cols)?;
    if cols == 0 {
        return Ok(());
    }
    launch!(g, "sum_cols_acc", elementwise_config(cols); x, rows as u64, cols as u64, beta, s)
}

/// `broadcast_col`: y[r, c] = α·v[r].
pub(crate) fn broadcast_col(
    g: &Cuda,
    v: &CudaBuffer,
    cols: usize,
    alpha: f64,
    y: &mut CudaBuffer,
) -> Result<()> {
    const OP: &str = "broadcast_col";
    let rows = rows_of(OP, y.len(), cols)?;
    if cols == 0 {
        return Ok(());
    }
    len_is(OP, "v", v.len(), rows)?;
    if y.is_empty() {
        return Ok(());
    }
    let n = y.len();
    launch!(g, "broadcast_col", elementwise_config(n); v, cols as u64, alpha as f32, y, n as u64)
}

/// `copy_cols`: dst[r, dst_col..+width] = src[r, src_col..+width] for every row.
#[allow(clippy::too_many_arguments)]
pub(crate) fn copy_cols(
    g: &Cuda,
    src: &CudaBuffer,
    src_cols: usize,
    src_col: usize,
    dst: &mut CudaBuffer,
    dst_cols: usize,
    dst_col: usize,
    width: usize,
) -> Result<()> {
    const OP: &str = "copy_cols";
    let rows = rows_of(OP, dst.len(), dst_cols)?;
    ensure(
        OP,
        src_col + width <= src_cols && dst_col + width <= dst_cols,
        || format!("columns {src_col}+{width} of {src_cols} into {dst_col}+{width} of {dst_cols}"),
    )?;
    ensure(OP, src.len() >= rows * src_cols, || {
        format!(
            "source of {} elements has fewer than {rows} rows of {src_cols}",
            src.len()
        )
    })?;
    if rows == 0 || width == 0 {
        return Ok(());
    }
    let [sc, s0, dc, d0, w, r] =
        [src_cols, src_col, dst_cols, dst_col, width, rows].map(|v| v as u64);
    launch!(g, "copy_cols", elementwise_config(rows * width); src, sc, s0, dst, dc, d0, w, r)
}

/// `log_softmax_rows`: y[r, :] = x[r, :] − log Σ_c exp x[r, c].
pub(crate) fn log_softmax_rows(
    g: &Cuda,
    x: &CudaBuffer,
    cols: usize,
    y: &mut CudaBuffer,
) -> Result<()> {
    const OP: &str = "log_softmax_rows";
    let rows = rows_of(OP, x.len(), cols)?;
    len_is(OP, "y", y.len(), x.len())?;
    if rows == 0 {
        return Ok(());
    }
    launch!(g, "log_softmax_rows", rows_config(rows); x, rows as u64, cols as u64, y)
}

/// `log_softmax_rows_backward`: x̄ = ȳ − exp(y)·Σ ȳ, row by row.
pub(crate) fn log_softmax_rows_backward(
    g: &Cuda,
    y: &CudaBuffer,
    dy: &CudaBuffer,
    cols: usize,
    dx: &mut CudaBuffer,
) -> Result<()> {
    const OP: &str = "log_softmax_rows_backward";
    let rows = rows_of(OP, y.len(), cols)?;
    len_is(OP, "dy", dy.len(), y.len())?;
    len_is(OP, "dx", dx.len(), y.len())?;
    if rows == 0 {
        return Ok(());
    }
    launch!(g, "log_softmax_rows_backward", rows_config(rows);
        y, dy, rows as u64, cols as u64, dx)
}

/// `l2_normalize_rows`: n[r] = √max(‖x[r, :]‖², ε), y[r, :] = x[r, :]/n[r]. With no columns the rows
/// are those of `norms`, each √ε, as on the CPU.
pub(crate) fn l2_normalize_rows(
    g: &Cuda,
    x: &CudaBuffer,
    cols: usize,
    eps: f64,
    y: &mut CudaBuffer,
    norms: &mut CudaBuffer,
) -> Result<()> {
    const OP: &str = "l2_normalize_rows";
    let rows = if cols == 0 {
        norms.len()
    } else {
        rows_of(OP, x.len(), cols)?
    };
    len_is(OP, "y", y.len(), x.len())?;
    len_is(OP, "norms", norms.len(), rows)?;
    if rows == 0 {
        return Ok(());
    }
    launch!(g, "l2_normalize_rows", rows_config(rows);
        x, rows as u64, cols as u64, eps, y, norms)
}

/// `l2_normalize_rows_backward`: x̄ = (ȳ − y·⟨y, ȳ⟩)/n, row by row; x̄ = ȳ/n where the forward
/// clamped the norm to √ε.
pub(crate) fn l2_normalize_rows_backward(
    g: &Cuda,
    y: &CudaBuffer,
    norms: &CudaBuffer,
    dy: &CudaBuffer,
    cols: usize,
    eps: f64,
    dx: &mut CudaBuffer,
) -> Result<()> {
    const OP: &str = "l2_normalize_rows_backward";
    let rows = rows_of(OP, y.len(), cols)?;
    len_is(OP, "dy", dy.len(), y.len())?;
    len_is(OP, "dx", dx.len(), y.len())?;
    if rows == 0 {
        return Ok(());
    }
    len_is(OP, "norms", norms.len(), rows)?;
    launch!(g, "l2_normalize_rows_backward", rows_config(rows);
        y, norms, dy, rows as u64, cols as u64, eps, dx)
}

/// Every index names a row of a table of `table_rows`.
fn indices_in(op: &'static str, index: &[u32], table_rows: usize) -> Result<()> {
    match index.iter().find(|&&i| i as usize >= table_rows) {
        Some(&bad) => Err(Error::Index {
            op,
            detail: format!("row {bad} of a table of {table_rows}"),
        }),
        None => Ok(()),
    }
}

/// `gather_rows`: y[r, :] = table[index[r], :]. Rows of no columns: nothing to gather, as on the CPU.
pub(crate) fn gather_rows(
    g: &Cuda,
    table: &CudaBuffer,
    cols: usize,
    index: &[u32],
    y: &mut CudaBuffer,
) -> Result<()> {
    const OP: &str = "gather_rows";
    let table_rows = rows_of(OP, table.len(), cols)?;
    len_is(OP, "y", y.len(), index.len() * cols)?;
    if cols == 0 {
        return Ok(());
    }
    indices_in(OP, index, table_rows)?;
    if y.is_empty() {
        return Ok(());
    }
    let idx = upload(g, index)?;
    let n = y.len();
    launch!(g, "gather_rows", elementwise_config(n); table, cols as u64, &idx, y, n as u64)
}

/// `scatter_add_rows`: table[index[r], :] += dy[r, :], repeats in increasing r.
pub(crate) fn scatter_add_rows(
    g: &Cuda,
    dy: &CudaBuffer,
    cols: usize,
    index: &[u32],
    table: &mut CudaBuffer,
) -> Result<()> {
    const OP: &str = "scatter_add_rows";
    let table_rows = rows_of(OP, table.len(), cols)?;
    len_is(OP, "dy", dy.len(), index.len() * cols)?;
    if index.is_empty() || cols == 0 {
        return Ok(());
    }
    indices_in(OP, index, table_rows)?;
    to_u32(OP, index.len())?;
    // Group the rows by destination; the stable sort keeps each group in increasing row order,
    // the order the CPU accumulates repeats in.
    let mut order: Vec<u32> = (0..index.len() as u32).collect();
    order.sort_by_key(|&r| index[r as usize]);
    let (mut starts, mut dests) = (Vec::new(), Vec::new());
    for (k, &r) in order.iter().enumerate() {
        if dests.last() != Some(&index[r as usize]) {
            dests.push(index[r as usize]);
            starts.push(k as u32);
        }
    }
    starts.push(order.len() as u32);
    let groups = dests.len();
    let (order, starts, dests) = (upload(g, &order)?, upload(g, &starts)?, upload(g, &dests)?);
    launch!(g, "scatter_add_rows", rows_config(groups);
        dy, cols as u64, &order, &starts, &dests, groups as u64, table)
}
