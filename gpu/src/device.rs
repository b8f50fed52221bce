//! The device handle: context, the one stream, cuBLAS, the loaded kernels and the allocator.

use crate::alloc::{Allocator, DeviceBuf, Pooled};
use crate::engine::{DriverEngine, Engine, SimEngine};
use crate::error::Error;
use crate::kernels;
use crate::libs;
use cudarc::cublas::CudaBlas;
use cudarc::driver::CudaContext;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The CUDA backend on one device, computing in `f32`. Cheap to clone: clones share the device, the
/// stream, the kernels and the buffer cache. Two handles opened separately are two devices to the
/// tensors, even on the same GPU: each has its own stream and cache, so no ordering holds between
/// them.
#[derive(Clone)]
pub struct Cuda {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) ordinal: usize,
    pub(crate) device: String,
    pub(crate) engine: Arc<Engine>,
    pub(crate) alloc: Arc<Allocator>,
    tf32: AtomicBool,
}

/// `AUTOGRAD_GPU_SYNC=1`: wait after every launch, so a faulting kernel is named by its own op.
fn sync_each_launch() -> bool {
    std::env::var("AUTOGRAD_GPU_SYNC").is_ok_and(|v| v == "1")
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

    /// The simulated device: the same kernels, compiled for the host CPU by the system C++
    /// compiler (g++), run by a scheduler that gives each block's threads CUDA's barrier semantics,
    /// and cuBLAS's sgemm emulated with its argument rules; every launch and copy goes through the
    /// code `Cuda::new`'s device uses. No GPU or CUDA library is needed. Fresh buffers hold NaN.
    /// Slow (one fiber per GPU thread): for tests, not for training.
    pub fn simulated() -> Result<Cuda, Error> {
        let engine = SimEngine::open()?;
        Ok(Self::with_engine(
            0,
            "sim (gpu/kernels on the host CPU)".into(),
            Engine::Sim(engine),
        ))
    }

    fn with_engine(ordinal: usize, device: String, engine: Engine) -> Cuda {
        let engine = Arc::new(engine);
        Cuda {
            inner: Arc::new(Inner {
                ordinal,
                device,
                alloc: Allocator::new(engine.clone()),
                engine,
                tf32: AtomicBool::new(false),
            }),
        }
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
        let engine = Engine::Driver(DriverEngine {
            ctx,
            stream,
            blas,
            functions,
            sync_each: sync_each_launch(),
            staging: Default::default(),
        });
        Ok(Self::with_engine(
            ordinal,
            format!("cuda:{ordinal} ({name}, sm_{major}{minor})"),
            engine,
        ))
    }

    /// The device's ordinal.
    pub fn ordinal(&self) -> usize {
        self.inner.ordinal
    }

    /// Whether this is the simulated device ([`Cuda::simulated`]).
    pub fn is_simulated(&self) -> bool {
        matches!(*self.inner.engine, Engine::Sim(_))
    }

    /// The device's model and compute capability, e.g. `cuda:0 (NVIDIA H100 80GB HBM3, sm_90)`.
    pub fn description(&self) -> &str {
        &self.inner.device
    }

    /// Lets cuBLAS use TF32 tensor cores for GEMM (10-bit mantissa products, f32 accumulation):
    /// several times faster on Ampere and later, relative error about 1e-3 instead of 1e-6. Off by
    /// default. Shared by every clone of this handle; affects GEMMs queued after the call.
    pub fn set_tf32(&self, on: bool) -> Result<(), Error> {
        self.inner.engine.set_tf32(on).map_err(|e| Error::Cuda {
            op: "set_tf32",
            detail: e.0,
        })?;
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
        self.inner.engine.synchronize().map_err(|e| Error::Cuda {
            op: "synchronize",
            detail: e.0,
        })
    }

    pub(crate) fn take<T: Pooled>(&self, len: usize) -> autograd::Result<DeviceBuf<T>> {
        self.inner
            .alloc
            .take(len)
            .map_err(crate::error::device("alloc"))
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.inner.engine
    }
}

impl fmt::Debug for Cuda {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cuda({})", self.inner.device)
    }
}
