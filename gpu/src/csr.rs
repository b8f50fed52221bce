//! A CSR matrix on the device, with its transpose.

use crate::alloc::DeviceBuf;
use crate::CudaBuffer;

/// A CSR matrix on the device, with its transpose: `Xᵀ·D` walks `Xᵀ`'s rows so it needs no atomics
/// and sums in the CPU's order (see sparse.cu). The transpose is built on the host at upload, a
/// counting sort of `nnz` entries.
#[derive(Debug)]
pub struct CudaCsr {
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) indptr: DeviceBuf<u32>,
    pub(crate) indices: DeviceBuf<u32>,
    pub(crate) values: CudaBuffer,
    pub(crate) t_indptr: DeviceBuf<u32>,
    pub(crate) t_rows: DeviceBuf<u32>,
    pub(crate) t_values: CudaBuffer,
}

impl CudaCsr {
    pub fn rows(&self) -> usize {
        self.rows
    }
    pub fn cols(&self) -> usize {
        self.cols
    }
}
