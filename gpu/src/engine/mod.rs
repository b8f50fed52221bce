//! What runs the backend's work: the CUDA driver with cuBLAS, or the simulator, which compiles the
//! same gpu/kernels/*.cu for the host CPU and emulates cuBLAS's sgemm. Everything above this module
//! (shape checks, launch configurations, argument lists, the allocator, the copies) is the same code
//! for both, so the simulator tests the host side of the backend too, not only the kernel bodies.

mod driver;
mod sim;

pub(crate) use driver::DriverEngine;
pub(crate) use sim::{HostMem, SimEngine};

use crate::alloc::{DeviceBuf, Pooled};
use cudarc::driver::{CudaSlice, LaunchConfig};

/// The memory behind one buffer: a driver allocation, or host memory for the simulator.
pub(crate) enum Mem<T: Pooled> {
    Driver(CudaSlice<T>),
    Host(HostMem<T>),
}

impl<T: Pooled> Mem<T> {
    /// The elements it holds (its size class, at least the buffer's length).
    pub(crate) fn capacity(&self) -> usize {
        match self {
            Mem::Driver(s) => s.len(),
            Mem::Host(h) => h.len(),
        }
    }
}

/// The device under a [`crate::Cuda`] handle.
pub(crate) enum Engine {
    Driver(DriverEngine),
    Sim(SimEngine),
}

/// Why an engine call failed: the call and what the driver, cuBLAS or the simulator said.
#[derive(Debug)]
pub(crate) struct EngineError(pub String);

pub(crate) type EngineResult<T> = Result<T, EngineError>;

/// Whether a kernel reads or writes a buffer argument (the simulator checks it against the kernel's
/// parameter: `const float*` is read, `float*` written).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
}

/// One kernel argument, in the order of the kernel's parameters.
pub(crate) enum Arg<'a> {
    F32s(&'a DeviceBuf<f32>, Access),
    U32s(&'a DeviceBuf<u32>, Access),
    F32(f32),
    F64(f64),
    I32(i32),
    U32(u32),
    U64(u64),
}

impl Arg<'_> {
    /// The letter the simulator compares with the kernel's parameter type (gpu/sim/cuda_sim.h).
    pub(crate) fn code(&self) -> char {
        match self {
            Arg::F32s(_, Access::Read) => 'R',
            Arg::F32s(_, Access::Write) => 'W',
            Arg::U32s(_, Access::Read) => 'r',
            Arg::U32s(_, Access::Write) => 'w',
            Arg::F32(_) => 'f',
            Arg::F64(_) => 'd',
            Arg::I32(_) => 'i',
            Arg::U32(_) => 'u',
            Arg::U64(_) => 'q',
        }
    }
}

/// What may be passed to `launch!`: a buffer by `&` (the kernel reads it) or `&mut` (writes it), or
/// a scalar of a kernel parameter's exact type.
pub(crate) trait KernelArg<'a> {
    fn arg(self) -> Arg<'a>;
}

impl<'a, T: Pooled> KernelArg<'a> for &'a DeviceBuf<T> {
    fn arg(self) -> Arg<'a> {
        T::arg(self, Access::Read)
    }
}
impl<'a, T: Pooled> KernelArg<'a> for &'a mut DeviceBuf<T> {
    fn arg(self) -> Arg<'a> {
        T::arg(self, Access::Write)
    }
}
macro_rules! scalar_arg {
    ($($t:ty => $v:ident),*) => {$(
        impl<'a> KernelArg<'a> for $t {
            fn arg(self) -> Arg<'a> {
                Arg::$v(self)
            }
        }
    )*};
}
scalar_arg!(f32 => F32, f64 => F64, i32 => I32, u32 => U32, u64 => U64);

/// cuBLAS's column-major `sgemm` arguments: C ← α·op(A)·op(B) + β·C with op(A) m×k, op(B) k×n, C
/// m×n, each stored column by column with its leading dimension.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sgemm {
    pub transa: bool,
    pub transb: bool,
    pub m: i32,
    pub n: i32,
    pub k: i32,
    pub alpha: f32,
    pub lda: i32,
    pub ldb: i32,
    pub beta: f32,
    pub ldc: i32,
}

impl Engine {
    pub(crate) fn alloc<T: Pooled>(&self, capacity: usize) -> EngineResult<Mem<T>> {
        match self {
            Engine::Driver(d) => d.alloc(capacity).map(Mem::Driver),
            Engine::Sim(_) => Ok(Mem::Host(HostMem::filled(capacity, T::POISON))),
        }
    }

    /// Sets the first `len` elements to zero.
    pub(crate) fn memset_zeros<T: Pooled>(&self, buf: &mut DeviceBuf<T>) -> EngineResult<()> {
        let len = buf.len();
        match (self, buf.mem_mut()) {
            (Engine::Driver(d), Mem::Driver(s)) => d.memset_zeros(s, len),
            (Engine::Sim(_), Mem::Host(h)) => {
                h.fill_prefix(len, T::default());
                Ok(())
            }
            _ => Err(foreign()),
        }
    }

    pub(crate) fn upload<T: Pooled>(&self, host: &[T], buf: &mut DeviceBuf<T>) -> EngineResult<()> {
        debug_assert_eq!(host.len(), buf.len());
        match (self, buf.mem_mut()) {
            (Engine::Driver(d), Mem::Driver(s)) => d.upload(host, s),
            (Engine::Sim(_), Mem::Host(h)) => {
                h.copy_from(host);
                Ok(())
            }
            _ => Err(foreign()),
        }
    }

    /// Copies the buffer's `len` elements to the host once the work queued before is done.
    pub(crate) fn download<T: Pooled>(&self, buf: &DeviceBuf<T>) -> EngineResult<Vec<T>> {
        match (self, buf.mem()) {
            (Engine::Driver(d), Mem::Driver(s)) => d.download(s, buf.len()),
            (Engine::Sim(_), Mem::Host(h)) => Ok(h.to_vec(buf.len())),
            _ => Err(foreign()),
        }
    }

    pub(crate) fn synchronize(&self) -> EngineResult<()> {
        match self {
            Engine::Driver(d) => d.synchronize(),
            Engine::Sim(_) => Ok(()),
        }
    }

    /// Queues kernel `name` over `cfg` with `args` (the simulator runs it before returning).
    pub(crate) fn launch(&self, name: &str, cfg: LaunchConfig, args: &[Arg]) -> EngineResult<()> {
        for a in args {
            let driver_mem = match a {
                Arg::F32s(b, _) => Some(matches!(b.mem(), Mem::Driver(_))),
                Arg::U32s(b, _) => Some(matches!(b.mem(), Mem::Driver(_))),
                _ => None,
            };
            if driver_mem.is_some_and(|d| d != matches!(self, Engine::Driver(_))) {
                return Err(foreign());
            }
        }
        match self {
            Engine::Driver(d) => d.launch(name, cfg, args),
            Engine::Sim(s) => s.launch(name, cfg, args),
        }
    }

    /// cuBLAS sgemm on the engine's stream; `a`, `b`, `c` are column-major as `g` describes them.
    pub(crate) fn sgemm(
        &self,
        g: Sgemm,
        tf32: bool,
        a: &DeviceBuf<f32>,
        b: &DeviceBuf<f32>,
        c: &mut DeviceBuf<f32>,
    ) -> EngineResult<()> {
        match self {
            Engine::Driver(d) => d.sgemm(g, a, b, c),
            Engine::Sim(_) => sim::blas::sgemm(g, tf32, a, b, c),
        }
    }

    /// Switches cuBLAS's math mode (TF32 tensor cores or not).
    pub(crate) fn set_tf32(&self, on: bool) -> EngineResult<()> {
        match self {
            Engine::Driver(d) => d.set_tf32(on),
            // The simulator reads the handle's flag at each sgemm.
            Engine::Sim(_) => Ok(()),
        }
    }
}

fn foreign() -> EngineError {
    EngineError(
        "a buffer of another kind of device (driver memory on the simulator or the reverse)".into(),
    )
}
