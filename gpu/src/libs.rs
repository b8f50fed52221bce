//! Are the CUDA libraries loadable? cudarc with `dynamic-loading` opens them on first use and panics
//! when one is missing; asking first turns that panic into an [`Error`] that says what to install.

use crate::error::Error;

/// The NVIDIA driver's `libcuda`: device, memory, streams, kernel launches.
pub fn driver() -> Result<(), Error> {
    // SAFETY: only tries to dlopen the candidate names; loads no symbol.
    if unsafe { cudarc::driver::sys::is_culib_present() } {
        Ok(())
    } else {
        Err(Error::MissingLibrary {
            what: "the CUDA driver library",
            file: "libcuda.so.1",
            hint: "install the NVIDIA driver (it ships libcuda) or run on a machine with an NVIDIA GPU",
        })
    }
}

/// NVRTC, the run-time CUDA C++ compiler that builds gpu/kernels/*.cu. It needs no GPU.
pub fn nvrtc() -> Result<(), Error> {
    // SAFETY: as above.
    if unsafe { cudarc::nvrtc::sys::is_culib_present() } {
        Ok(())
    } else {
        Err(Error::MissingLibrary {
            what: "NVRTC, the CUDA run-time compiler",
            file: "libnvrtc.so.13, or .so.12 for CUDA 12",
            hint:
                "install the CUDA toolkit, or `pip install nvidia-cuda-nvrtc` (see .ci/nvrtc.sh, \
                   which prints the directory to use)",
        })
    }
}

/// cuBLAS (which itself needs cuBLASLt from the same directory) for GEMM.
pub fn cublas() -> Result<(), Error> {
    // SAFETY: as above.
    if unsafe { cudarc::cublas::sys::is_culib_present() } {
        Ok(())
    } else {
        Err(Error::MissingLibrary {
            what: "cuBLAS",
            file: "libcublas.so.13, or .so.12 for CUDA 12",
            hint: "install the CUDA toolkit's cuBLAS (libcublas and libcublasLt), or \
                   `pip install nvidia-cublas`",
        })
    }
}
