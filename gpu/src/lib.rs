//! The CUDA backend of autograd: [`Cuda`] implements `autograd::Backend` with `f32` elements.
//!
//! cudarc loads the driver, NVRTC and cuBLAS at run time (`dynamic-loading`), so this crate builds
//! and its CPU tests pass on machines without CUDA; [`Cuda::new`] says which library or device is
//! missing. The kernels (gpu/kernels/*.cu) are compiled by NVRTC on first use for the device's
//! compute capability; GEMM is cuBLAS sgemm; buffers come from a caching allocator; all work is
//! queued on one stream, and only `download` waits for it.
//!
//! [`Cuda::simulated`] runs the same kernels and the same host code without a GPU: the kernels
//! compiled for the CPU by g++ (gpu/sim/), cuBLAS emulated, every launch checked against a device's
//! limits and the kernel's parameter types.
//!
//! Where to look: `backend.rs` maps each `autograd::Backend` primitive to its launch in
//! `launch/<family>.rs`, which queues the kernel of `kernels/<family>.cu`; `engine/` runs it on the
//! driver or the simulator.

mod alloc;
mod backend;
mod csr;
mod device;
mod engine;
mod error;
pub mod kernels;
mod launch;
pub mod libs;

pub use alloc::{DeviceBuf, Pooled};
pub use csr::CudaCsr;
pub use device::Cuda;
pub use error::Error;

/// A device array of `f32`, the backend's `Buffer`.
pub type CudaBuffer = DeviceBuf<f32>;
