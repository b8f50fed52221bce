//! Allocation and the copies between host and device, and the CSR upload with its transpose.

use super::{memset_zeros, to_u32};
use crate::alloc::{DeviceBuf, Pooled};
use crate::csr::CudaCsr;
use crate::error::device;
use crate::{Cuda, CudaBuffer};
use autograd::{CsrMatrix, Result};

pub(crate) fn zeros(g: &Cuda, len: usize) -> Result<CudaBuffer> {
    let mut buf = g.take::<f32>(len)?;
    memset_zeros(g, "zeros", &mut buf)?;
    Ok(buf)
}

pub(crate) fn upload<T: Pooled>(g: &Cuda, host: &[T]) -> Result<DeviceBuf<T>> {
    let mut buf = g.take::<T>(host.len())?;
    g.engine()
        .upload(host, &mut buf)
        .map_err(device("upload"))?;
    Ok(buf)
}

/// The one synchronisation point of the backend: the host is about to read the data.
pub(crate) fn download<T: Pooled>(g: &Cuda, buf: &DeviceBuf<T>) -> Result<Vec<T>> {
    g.engine().download(buf).map_err(device("download"))
}

pub(crate) fn upload_csr(g: &Cuda, m: &CsrMatrix<f32>) -> Result<CudaCsr> {
    const OP: &str = "upload_csr";
    let (rows, cols, nnz) = (m.rows(), m.cols(), m.nnz());
    to_u32(OP, nnz)?;
    to_u32(OP, cols)?;
    let indptr: Vec<u32> = m.indptr().iter().map(|&p| p as u32).collect();
    // Xᵀ by counting sort over the columns; scanning the rows in order leaves each column's
    // entries in increasing row order, the order the CPU adds them in.
    let mut t_indptr = vec![0u32; cols + 1];
    for &c in m.indices() {
        t_indptr[c as usize + 1] += 1;
    }
    for c in 0..cols {
        t_indptr[c + 1] += t_indptr[c];
    }
    let mut next: Vec<u32> = t_indptr[..cols].to_vec();
    let (mut t_rows, mut t_values) = (vec![0u32; nnz], vec![0f32; nnz]);
    for r in 0..rows {
        let (cs, vs) = m.row(r);
        for (&c, &v) in cs.iter().zip(vs) {
            let slot = &mut next[c as usize];
            t_rows[*slot as usize] = r as u32;
            t_values[*slot as usize] = v;
            *slot += 1;
        }
    }
    Ok(CudaCsr {
        rows,
        cols,
        indptr: upload(g, &indptr)?,
        indices: upload(g, m.indices())?,
        values: upload(g, m.values())?,
        t_indptr: upload(g, &t_indptr)?,
        t_rows: upload(g, &t_rows)?,
        t_values: upload(g, &t_values)?,
    })
}
