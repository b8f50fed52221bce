//! The real device: cudarc's driver API on one stream, cuBLAS on the same stream, the kernels NVRTC
//! compiled. cudarc resolves each library function on its first call and panics if the library lacks
//! it, so every call here is guarded: a missing symbol becomes an error naming the call.

use super::{Access, Arg, EngineError, EngineResult, Mem, Sgemm};
use crate::alloc::{DeviceBuf, Pooled};
use cudarc::cublas::sys::{self as blas_sys, cublasOperation_t};
use cudarc::cublas::{CudaBlas, Gemm as _, GemmConfig};
use cudarc::driver::{
    result, CudaContext, CudaFunction, CudaSlice, CudaStream, DevicePtrMut, HostSlice,
    LaunchConfig, PinnedHostSlice, PushKernelArg,
};
use std::collections::HashMap;
use std::fmt::Debug;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

/// Uploads in flight at once through their own pinned buffer (a training step makes about eight:
/// the batch's CSR arrays and its transpose, gather indices).
const STAGING_SLOTS: usize = 16;

/// Page-locked host buffers that uploads are copied through. A copy from pageable memory makes the
/// driver wait for all work queued on the stream before it starts; a copy from pinned memory is
/// queued like a kernel, so uploading a batch does not stall the pipeline. Slot i is reused 16
/// uploads later, after waiting on the event recorded behind its last copy (long done, normally).
#[derive(Default)]
pub(crate) struct Staging {
    ring: Vec<Option<PinnedHostSlice<u8>>>,
    next: usize,
}

pub(crate) struct DriverEngine {
    pub(crate) ctx: Arc<CudaContext>,
    pub(crate) stream: Arc<CudaStream>,
    pub(crate) blas: CudaBlas,
    pub(crate) functions: HashMap<&'static str, CudaFunction>,
    /// Synchronise after every launch and GEMM, so that a kernel's fault is reported by the op that
    /// queued it rather than by the next download (`AUTOGRAD_GPU_SYNC=1`; slow, for debugging).
    pub(crate) sync_each: bool,
    pub(crate) staging: Mutex<Staging>,
}

/// Runs one cudarc call, turning both its error and a panic (a symbol missing from the loaded
/// library) into an error that names `op`.
fn guarded<R, E: Debug>(op: &str, f: impl FnOnce() -> Result<R, E>) -> EngineResult<R> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(e)) => Err(EngineError(format!("{op}: {e:?}"))),
        Err(_) => Err(EngineError(format!(
            "{op}: the loaded CUDA library lacks a function this call needs (a library older than \
             the crate's CUDA version feature; see gpu/README.md)"
        ))),
    }
}

fn op(t: bool) -> cublasOperation_t {
    if t {
        cublasOperation_t::CUBLAS_OP_T
    } else {
        cublasOperation_t::CUBLAS_OP_N
    }
}

impl DriverEngine {
    pub(crate) fn alloc<T: Pooled>(&self, capacity: usize) -> EngineResult<CudaSlice<T>> {
        // SAFETY: the contents are undefined until written; every caller writes before reading.
        guarded("cuMemAlloc", || unsafe { self.stream.alloc::<T>(capacity) })
    }

    pub(crate) fn memset_zeros<T: Pooled>(
        &self,
        s: &mut CudaSlice<T>,
        len: usize,
    ) -> EngineResult<()> {
        if len == 0 {
            return Ok(());
        }
        guarded("cuMemsetD8", || {
            self.stream.memset_zeros(&mut s.slice_mut(..len))
        })
    }

    pub(crate) fn upload<T: Pooled>(&self, host: &[T], s: &mut CudaSlice<T>) -> EngineResult<()> {
        if host.is_empty() {
            return Ok(());
        }
        // SAFETY: `Pooled` types (f32, u32) are plain bytes with no padding.
        let bytes: &[u8] = unsafe {
            std::slice::from_raw_parts(host.as_ptr() as *const u8, std::mem::size_of_val(host))
        };
        let mut staging = self.staging.lock().unwrap_or_else(|p| p.into_inner());
        let i = staging.next;
        staging.next = (i + 1) % STAGING_SLOTS;
        if staging.ring.len() < STAGING_SLOTS {
            staging.ring.resize_with(STAGING_SLOTS, || None);
        }
        let slot = &mut staging.ring[i];
        if slot.as_ref().is_none_or(|p| p.len() < bytes.len()) {
            // SAFETY: the contents are written below before any copy reads them.
            let fresh = guarded("cuMemHostAlloc", || unsafe {
                self.ctx.alloc_pinned::<u8>(bytes.len().next_power_of_two())
            })?;
            *slot = Some(fresh);
        }
        let pinned = slot.as_mut().expect("filled above");
        // Waits for this buffer's previous copy, queued STAGING_SLOTS uploads ago.
        guarded("cuEventSynchronize", || pinned.as_mut_slice())?[..bytes.len()]
            .copy_from_slice(bytes);
        guarded("cuMemcpyHtoDAsync", || {
            self.ctx.bind_to_thread()?;
            // SAFETY: the slice is used on `self.stream` only; dropping `record` records the
            // buffer's event behind the copy, which the next reuse of the slot waits on.
            let (src, record) = unsafe { pinned.stream_synced_slice(&self.stream) };
            let (dst, _ordered) = s.device_ptr_mut(&self.stream);
            let copied = unsafe {
                result::memcpy_htod_async(dst, &src[..bytes.len()], self.stream.cu_stream())
            };
            drop(record);
            copied
        })
    }

    pub(crate) fn download<T: Pooled>(&self, s: &CudaSlice<T>, len: usize) -> EngineResult<Vec<T>> {
        let mut host = vec![T::default(); len];
        if len == 0 {
            return Ok(host);
        }
        guarded("cuMemcpyDtoH", || {
            self.stream.memcpy_dtoh(&s.slice(..len), &mut host)
        })?;
        // The host is about to read the data. A fault of any kernel queued since the last
        // synchronisation surfaces here; AUTOGRAD_GPU_SYNC=1 names the kernel instead.
        guarded(
            "download (a kernel queued earlier may have faulted; rerun with AUTOGRAD_GPU_SYNC=1 to \
             name it)",
            || self.stream.synchronize(),
        )?;
        Ok(host)
    }

    pub(crate) fn synchronize(&self) -> EngineResult<()> {
        guarded("cuStreamSynchronize", || self.stream.synchronize())
    }

    fn after(&self, what: &str) -> EngineResult<()> {
        if self.sync_each {
            guarded(what, || self.stream.synchronize())?;
        }
        Ok(())
    }

    pub(crate) fn launch(&self, name: &str, cfg: LaunchConfig, args: &[Arg]) -> EngineResult<()> {
        let f = self.functions.get(name).ok_or_else(|| {
            EngineError(format!(
                "kernel {name} is not listed in gpu/src/kernels.rs FILES"
            ))
        })?;
        let mut b = self.stream.launch_builder(f);
        for a in args {
            match a {
                Arg::F32s(buf, access) => push_buf(&mut b, buf, *access),
                Arg::U32s(buf, access) => push_buf(&mut b, buf, *access),
                Arg::F32(v) => {
                    b.arg(v);
                }
                Arg::F64(v) => {
                    b.arg(v);
                }
                Arg::I32(v) => {
                    b.arg(v);
                }
                Arg::U32(v) => {
                    b.arg(v);
                }
                Arg::U64(v) => {
                    b.arg(v);
                }
            }
        }
        // SAFETY: the arguments match the kernel's signature in gpu/kernels (same order and types;
        // the simulator checks each launch site's list against the kernel's parameter types), and
        // the backend checked the buffer lengths against the sizes.
        guarded(name, || unsafe { b.launch(cfg) })?;
        self.after(name)
    }

    pub(crate) fn sgemm(
        &self,
        g: Sgemm,
        a: &DeviceBuf<f32>,
        b: &DeviceBuf<f32>,
        c: &mut DeviceBuf<f32>,
    ) -> EngineResult<()> {
        let cfg = GemmConfig {
            transa: op(g.transa),
            transb: op(g.transb),
            m: g.m,
            n: g.n,
            k: g.k,
            alpha: g.alpha,
            lda: g.lda,
            ldb: g.ldb,
            beta: g.beta,
            ldc: g.ldc,
        };
        let (Mem::Driver(a), Mem::Driver(b)) = (a.mem(), b.mem()) else {
            return Err(super::foreign());
        };
        let Mem::Driver(c) = c.mem_mut() else {
            return Err(super::foreign());
        };
        // cuBLAS runs in the calling thread's current context, which cudarc's kernel launches set
        // for themselves but its GEMM does not.
        guarded("cuCtxSetCurrent", || self.ctx.bind_to_thread())?;
        // SAFETY: the backend checked that the dimensions and leading dimensions describe matrices
        // inside the buffers; C does not alias A or B (distinct Rust borrows).
        guarded("cublasSgemm", || unsafe { self.blas.gemm(cfg, a, b, c) })?;
        self.after("cublasSgemm")
    }

    pub(crate) fn set_tf32(&self, on: bool) -> EngineResult<()> {
        let mode = if on {
            blas_sys::cublasMath_t::CUBLAS_TF32_TENSOR_OP_MATH
        } else {
            blas_sys::cublasMath_t::CUBLAS_DEFAULT_MATH
        };
        // SAFETY: the handle is live for as long as `self`.
        guarded("cublasSetMathMode", || unsafe {
            blas_sys::cublasSetMathMode(*self.blas.handle(), mode).result()
        })
    }
}

fn push_buf<'a, T: Pooled>(
    b: &mut cudarc::driver::LaunchArgs<'a>,
    buf: &'a DeviceBuf<T>,
    _access: Access,
) {
    match buf.mem() {
        Mem::Driver(s) => {
            b.arg(s);
        }
        // Engine::launch refuses host memory before it gets here.
        Mem::Host(_) => unreachable!("host memory passed to the driver"),
    }
}

#[cfg(test)]
mod tests {
    use super::guarded;

    #[test]
    fn a_panic_inside_a_driver_call_becomes_an_error_naming_the_call() {
        // What cudarc does when the loaded library lacks a function: it panics on first call.
        let e = guarded("cublasSgemm", || -> Result<(), String> {
            panic!("Expected symbol in library: cublasSgemm_v2")
        })
        .unwrap_err();
        assert!(
            e.0.starts_with("cublasSgemm: the loaded CUDA library lacks"),
            "{}",
            e.0
        );
        let e = guarded("cuMemAlloc", || Err::<(), _>("CUDA_ERROR_OUT_OF_MEMORY")).unwrap_err();
        assert_eq!(e.0, "cuMemAlloc: \"CUDA_ERROR_OUT_OF_MEMORY\"");
        assert_eq!(guarded("ok", || Ok::<_, String>(7)).unwrap(), 7);
    }
}
