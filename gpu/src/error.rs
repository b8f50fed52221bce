//! What can stop the CUDA backend from starting, each with what to do about it.

/// Why [`crate::Cuda::new`] (or compiling the kernels) failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A shared library cudarc loads at run time is not on the loader's path.
    #[error(
        "{what} ({file}) not found: {hint}; if it is installed, add its directory to \
         LD_LIBRARY_PATH (e.g. `export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$LD_LIBRARY_PATH`)"
    )]
    MissingLibrary {
        what: &'static str,
        file: &'static str,
        hint: &'static str,
    },
    /// The driver loaded but there is no device with this ordinal.
    #[error("no CUDA device {ordinal}: the driver sees {count} device(s){detail}")]
    NoDevice {
        ordinal: usize,
        count: usize,
        detail: String,
    },
    /// NVRTC rejected a kernel file (its log attached) or is too old for the device.
    #[error("NVRTC could not compile gpu/kernels/{file} for {arch}: {log}")]
    Compile {
        file: &'static str,
        arch: String,
        log: String,
    },
    /// The simulated device could not be built or loaded (no C++ compiler, a compile error).
    #[error("the simulated GPU is unavailable: {detail}")]
    Simulator { detail: String },
    /// A driver, cuBLAS or NVRTC call failed.
    #[error("CUDA error in {op}: {detail}")]
    Cuda { op: &'static str, detail: String },
}

impl Error {
    pub(crate) fn cuda(op: &'static str, e: impl std::fmt::Debug) -> Self {
        Error::Cuda {
            op,
            detail: format!("{e:?}"),
        }
    }
}

/// The backend trait speaks `autograd::Error`: a device failure there is a `Device` error.
impl From<Error> for autograd::Error {
    fn from(e: Error) -> Self {
        let op = match &e {
            Error::Cuda { op, .. } => op,
            _ => "cuda",
        };
        autograd::Error::Device {
            op,
            detail: e.to_string(),
        }
    }
}

/// A failed engine call (driver, cuBLAS or simulator) inside primitive `op`, as the trait's error.
pub(crate) fn device(op: &'static str) -> impl Fn(crate::engine::EngineError) -> autograd::Error {
    move |e| autograd::Error::Device { op, detail: e.0 }
}
