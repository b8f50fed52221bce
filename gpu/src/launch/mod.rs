//! The launches of the CUDA backend, one file per kernel file (`launch/rows.rs` queues the kernels of
//! `gpu/kernels/rows.cu`), plus the copies (`memory.rs`) and cuBLAS (`gemm.rs`). Each primitive
//! checks the lengths it relies on (a kernel that strays past a buffer corrupts device memory
//! silently), then queues one kernel or one cuBLAS call and returns without waiting.
//! `backend.rs` is the table from `autograd::Backend`'s primitives to these functions.

pub(crate) mod adam;
pub(crate) mod bce;
pub(crate) mod elementwise;
pub(crate) mod gemm;
pub(crate) mod memory;
pub(crate) mod random;
pub(crate) mod rows;
pub(crate) mod sparse;
pub(crate) mod top_k;

use crate::error::device;
use crate::kernels::BLOCK;
use crate::Cuda;
use autograd::{Error, Result};
use cudarc::driver::LaunchConfig;

/// Queues kernel `$name` of gpu/kernels with its arguments in the kernel's order: buffers as `&buf`
/// (read) or `&mut buf` (written), scalars of the parameter's exact type (`u64` sizes, `i32` codes,
/// `f32`/`f64` factors). The simulator checks each list against the kernel's parameter types.
macro_rules! launch {
    ($cuda:expr, $name:literal, $cfg:expr; $($arg:expr),* $(,)?) => {{
        use $crate::engine::KernelArg as _;
        let args = [$( ($arg).arg() ),*];
        $cuda
            .engine()
            .launch($name, $cfg, &args)
            .map_err($crate::error::device($name))
    }};
}
pub(crate) use launch;

/// `Err` with `detail` unless `ok`: the shape checks of the primitives.
pub(crate) fn ensure(op: &'static str, ok: bool, detail: impl FnOnce() -> String) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::Shape {
            op,
            detail: detail(),
        })
    }
}

/// `len` equals `want`, for buffer `what` of primitive `op`.
pub(crate) fn len_is(op: &'static str, what: &str, len: usize, want: usize) -> Result<()> {
    ensure(op, len == want, || {
        format!("{what} has {len} elements, expected {want}")
    })
}

/// The rows of a buffer of `len` elements `cols` wide (none when `cols` is 0).
pub(crate) fn rows_of(op: &'static str, len: usize, cols: usize) -> Result<usize> {
    if cols == 0 {
        return Ok(0);
    }
    ensure(op, len.is_multiple_of(cols), || {
        format!("{len} elements are not rows of {cols}")
    })?;
    Ok(len / cols)
}

/// Blocks of a grid-stride loop: the grid stops growing at 65,536 blocks and the loop wraps.
pub(crate) const MAX_STRIDE_BLOCKS: usize = 1 << 16;

/// One thread per element, grid-stride beyond 65,536 blocks.
pub(crate) fn elementwise_config(n: usize) -> LaunchConfig {
    LaunchConfig {
        grid_dim: (
            (n.div_ceil(BLOCK as usize)).clamp(1, MAX_STRIDE_BLOCKS) as u32,
            1,
            1,
        ),
        block_dim: (BLOCK, 1, 1),
        shared_mem_bytes: 0,
    }
}

/// One block of exactly `BLOCK` threads per row (the fixed reduction tree needs that many).
pub(crate) fn rows_config(rows: usize) -> LaunchConfig {
    LaunchConfig {
        grid_dim: (rows.clamp(1, MAX_STRIDE_BLOCKS) as u32, 1, 1),
        block_dim: (BLOCK, 1, 1),
        shared_mem_bytes: 0,
    }
}

/// `v` as a 32-bit index, or an error naming `op`.
pub(crate) fn to_u32(op: &'static str, v: usize) -> Result<u32> {
    u32::try_from(v).map_err(|_| Error::Invalid {
        op,
        detail: format!("{v} exceeds the GPU backend's 32-bit indices"),
    })
}

/// Zeros over the whole buffer.
pub(crate) fn memset_zeros<T: crate::alloc::Pooled>(
    g: &Cuda,
    op: &'static str,
    buf: &mut crate::DeviceBuf<T>,
) -> Result<()> {
    g.engine().memset_zeros(buf).map_err(device(op))
}
