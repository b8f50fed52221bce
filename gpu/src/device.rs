//! The device handle: context, the one stream, cuBLAS, the loaded kernels and the allocator.

use crate::alloc::{Allocator, DeviceBuf, Pooled};
use crate::error::Error;
use crate::kernels::{self, BLOCK};
use crate::libs;
use cudarc::cublas::{sys as blas_sys, CudaBlas};
use cudarc::driver::{CudaContext, CudaFunction, CudaStream, LaunchConfig};
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The CUDA backend on one device, computing in `f32`. Cheap to clone: clones share the device, the
/// stream, the kernels and the buffer cache.
#[derive(Clone)]
pub struct Cuda {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) ordinal: usize,
    pub(crate) device: String,
    pub(crate) stream: Arc<CudaStream>,
    pub(crate) blas: CudaBlas,
    pub(crate) alloc: Arc<Allocator>,
    functions: HashMap<&'static str, CudaFunction>,
    tf32: AtomicBool,
    pub(crate) ctx: Arc<CudaContext>,
}

impl Cuda {
    /// Opens device `ordinal` (0 for the first GPU). Checks, in order, that the driver, NVRTC and
    /// cuBLAS libraries load and that the device exists, and says which is missing otherwise; then
    /// compiles the kernels for the device (once per process) and loads them.
    pub fn new(ordinal: usize) -> Result<Cuda, Error> {
        libs::driver()?;
        libs::nvrtc()?;
        libs::cublas()?;
        // cudarc panics where a library lacks a symbol it expects (a CUDA 12 driver under the
        // cuda-13000 feature, say); a device that cannot start should be an error, not an abort.
        std::panic::catch_unwind(|| Self::open(ordinal)).unwrap_or_else(|_| {
            Err(Error::Cuda {
                op: "Cuda::new",
                detail: "a CUDA library does not match the crate's CUDA version feature \
                         (cuda-13000 by default; see gpu/README.md)"
                    .into(),
            })
        })
    }

    fn open(ordinal: usize) -> Result<Cuda, Error> {
        let count = CudaContext::device_count().map_err(|e| Error::NoDevice {
            ordinal,
            count: 0,
            detail: format!(" (the driver did not initialise: {e:?})"),
        })? as usize;
        if ordinal >= count {
            return Err(Error::NoDevice {
                ordinal,
                count,
                detail: String::new(),
            });
        }
        let ctx = CudaContext::new(ordinal).map_err(|e| Error::cuda("CudaContext::new", e))?;
        // SAFETY: everything runs on one stream, so the per-buffer events cudarc records to order
        // work across streams are pure overhead.
        unsafe { ctx.disable_event_tracking() };
        let stream = ctx.new_stream().map_err(|e| Error::cuda("new_stream", e))?;
        let blas = CudaBlas::new(stream.clone()).map_err(|e| Error::cuda("CudaBlas::new", e))?;
        let (major, minor) = ctx
            .compute_capability()
            .map_err(|e| Error::cuda("compute_capability", e))?;
        let ptx = kernels::compiled(&kernels::arch(major, minor))?;
        let mut functions = HashMap::new();
        for (file, ptx) in kernels::FILES.iter().zip(ptx.iter()) {
            let module = ctx.load_module(ptx.clone()).map_err(|e| Error::Compile {
                file: file.name,
                arch: kernels::arch(major, minor),
                log: format!(
                    "the driver could not load the PTX ({e:?}); is the driver older than NVRTC?"
                ),
            })?;
            for &name in file.functions {
                let f = module
                    .load_function(name)
                    .map_err(|e| Error::cuda("load_function", e))?;
                functions.insert(name, f);
            }
        }
        let name = ctx.name().unwrap_or_else(|_| "unknown GPU".into());
        Ok(Cuda {
            inner: Arc::new(Inner {
                ordinal,
                device: format!("cuda:{ordinal} ({name}, sm_{major}{minor})"),
                alloc: Allocator::new(stream.clone()),
                stream,
                blas,
                functions,
                tf32: AtomicBool::new(false),
                ctx,
            }),
        })
    }

    /// The device's ordinal.
    pub fn ordinal(&self) -> usize {
        self.inner.ordinal
    }

    /// The device's model and compute capability, e.g. `cuda:0 (NVIDIA H100 80GB HBM3, sm_90)`.
    pub fn description(&self) -> &str {
        &self.inner.device
    }

    /// Lets cuBLAS use TF32 tensor cores for GEMM (10-bit mantissa products, f32 accumulation):
    /// several times faster on Ampere and later, relative error about 1e-3 instead of 1e-6. Off by
    /// default. Shared by every clone of this handle; affects GEMMs queued after the call.
    pub fn set_tf32(&self, on: bool) -> Result<(), Error> {
        let mode = if on {
            blas_sys::cublasMath_t::CUBLAS_TF32_TENSOR_OP_MATH
        } else {
            blas_sys::cublasMath_t::CUBLAS_DEFAULT_MATH
        };
        // SAFETY: the handle is live for as long as `inner`.
        unsafe { blas_sys::cublasSetMathMode(*self.inner.blas.handle(), mode) }
            .result()
            .map_err(|e| Error::cuda("cublasSetMathMode", e))?;
        self.inner.tf32.store(on, Ordering::Relaxed);
        Ok(())
    }

    /// Whether GEMMs use TF32 (see [`Cuda::set_tf32`]).
    pub fn tf32(&self) -> bool {
        self.inner.tf32.load(Ordering::Relaxed)
    }

    /// How many buffers the allocator has requested from the driver so far; a training step after
    /// the first should add none.
    pub fn driver_allocations(&self) -> u64 {
        self.inner.alloc.driver_allocations()
    }

    /// Waits until all queued work is done (for timing; downloads synchronise by themselves).
    pub fn synchronize(&self) -> Result<(), Error> {
        self.inner
            .stream
            .synchronize()
            .map_err(|e| Error::cuda("synchronize", e))
    }

    pub(crate) fn take<T: Pooled>(&self, len: usize) -> autograd::Result<DeviceBuf<T>> {
        self.inner
            .alloc
            .take(len)
            .map_err(crate::error::device("alloc"))
    }

    pub(crate) fn function(&self, name: &'static str) -> &CudaFunction {
        // Every name the backend launches is listed in kernels::FILES and loaded by `open`, which
        // fails otherwise; the NVRTC test checks each name is an entry point of its PTX.
        &self.inner.functions[name]
    }
}

/// One thread per element, grid-stride beyond 65,536 blocks.
pub(crate) fn elementwise_config(n: usize) -> LaunchConfig {
    LaunchConfig {
        grid_dim: ((n.div_ceil(BLOCK as usize)).clamp(1, 1 << 16) as u32, 1, 1),
        block_dim: (BLOCK, 1, 1),
        shared_mem_bytes: 0,
    }
}

/// One block of exactly `BLOCK` threads per row (the fixed reduction tree needs that many).
pub(crate) fn rows_config(rows: usize) -> LaunchConfig {
    LaunchConfig {
        grid_dim: (rows.clamp(1, 1 << 16) as u32, 1, 1),
        block_dim: (BLOCK, 1, 1),
        shared_mem_bytes: 0,
    }
}

impl fmt::Debug for Cuda {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cuda({})", self.inner.device)
    }
}
