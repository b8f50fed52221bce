//! The CUDA backend of autograd: [`Cuda`] implements `autograd::Backend` with `f32` elements.
//!
//! cudarc loads the driver, NVRTC and cuBLAS at run time (`dynamic-loading`), so this crate builds
//! and its CPU tests pass on machines without CUDA; [`Cuda::new`] says which library or device is
//! missing. The kernels (gpu/kernels/*.cu) are compiled by NVRTC on first use for the device's
//! compute capability; GEMM is cuBLAS sgemm; buffers come from a caching allocator; all work is
//! queued on one stream, and only `download` waits for it.

mod alloc;
mod backend;
mod device;
mod error;
pub mod kernels;
pub mod libs;

pub use alloc::{DeviceBuf, Pooled};
pub use backend::CudaCsr;
pub use device::Cuda;
pub use error::Error;

/// A device array of `f32`, the backend's `Buffer`.
pub type CudaBuffer = DeviceBuf<f32>;
