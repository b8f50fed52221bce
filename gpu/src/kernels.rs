//! The kernel sources (gpu/kernels/*.cu, embedded at build time) and their NVRTC compilation, done
//! once per process and architecture and cached.

use crate::error::Error;
use cudarc::nvrtc::{CompileOptions, Ptx};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// One kernel family: a `.cu` file and the entry points the backend loads from it.
#[derive(Debug)]
pub struct KernelFile {
    pub name: &'static str,
    pub source: &'static str,
    pub functions: &'static [&'static str],
}

/// Helpers every family shares (block reductions, σ, grid-stride loops), prepended to each file.
pub(crate) const COMMON: &str = include_str!("../kernels/common.cuh");

/// The threads per block the reductions in common.cuh are written for (`#define BLOCK`).
pub(crate) const BLOCK: u32 = 256;

/// Every kernel file of the backend.
pub const FILES: &[KernelFile] = &[
    KernelFile {
        name: "elementwise.cu",
        source: include_str!("../kernels/elementwise.cu"),
        functions: &["unary_forward", "unary_backward", "binary", "axpy"],
    },
    KernelFile {
        name: "rows.cu",
        source: include_str!("../kernels/rows.cu"),
        functions: &[
            "add_row_vector",
            "broadcast_col",
            "sum_rows",
            "sum_cols_acc",
            "copy_cols",
            "log_softmax_rows",
            "log_softmax_rows_backward",
            "l2_normalize_rows",
            "l2_normalize_rows_backward",
            "gather_rows",
            "scatter_add_rows",
        ],
    },
    KernelFile {
        name: "sparse.cu",
        source: include_str!("../kernels/sparse.cu"),
        functions: &[
            "csr_matmul",
            "csr_t_matmul_acc",
            "multinomial_nll_rows",
            "multinomial_nll_rows_backward",
            "fill_csr_pattern",
        ],
    },
    KernelFile {
        name: "top_k.cu",
        source: include_str!("../kernels/top_k.cu"),
        functions: &["top_k_rows"],
    },
    KernelFile {
        name: "random.cu",
        source: include_str!("../kernels/random.cu"),
        functions: &["dropout", "gaussian"],
    },
    KernelFile {
        name: "adam.cu",
        source: include_str!("../kernels/adam.cu"),
        functions: &["adam"],
    },
    KernelFile {
        name: "bce.cu",
        source: include_str!("../kernels/bce.cu"),
        functions: &["bce_with_logits", "bce_with_logits_backward"],
    },
];

/// The virtual architecture NVRTC targets for compute capability `major.minor`, e.g. `compute_90`.
/// PTX for it is JIT-compiled by the driver into the device's own code when the module loads.
pub fn arch(major: i32, minor: i32) -> String {
    format!("compute_{major}{minor}")
}

/// PTX of `file` for `arch` (e.g. `"compute_90"`). Checks that NVRTC is loadable first.
pub fn compile(file: &KernelFile, arch: &str) -> Result<Ptx, Error> {
    crate::libs::nvrtc()?;
    let source = format!("{COMMON}\n{}", file.source);
    let opts = CompileOptions {
        // No multiply–add contracted into one fused rounding: every + and × rounds as IEEE f32 does,
        // as on the CPU and in the simulator (g++ -ffp-contract=off). The kernels are bound by
        // memory bandwidth, so the separate rounding costs nothing measurable.
        options: vec![format!("--gpu-architecture={arch}"), "--fmad=false".into()],
        name: Some(file.name.into()),
        ..Default::default()
    };
    let compile_error = |log: String| Error::Compile {
        file: file.name,
        arch: arch.into(),
        log,
    };
    // cudarc panics if a symbol it expects is missing from the loaded libnvrtc (a CUDA 12 library
    // under the cuda-13000 feature, say); report that as a compile error rather than abort.
    let result = std::panic::catch_unwind(|| cudarc::nvrtc::compile_ptx_with_opts(&source, opts))
        .map_err(|_| {
        compile_error(
            "NVRTC library does not match the crate's CUDA version feature (see gpu/README.md)"
                .into(),
        )
    })?;
    result.map_err(|e| match e {
        cudarc::nvrtc::CompileError::CompileError { log, .. } => {
            compile_error(log.to_string_lossy().into_owned())
        }
        other => compile_error(format!("{other:?}")),
    })
}

/// The PTX of every file for `arch`, compiled on the first request and cached for the process.
pub(crate) fn compiled(arch: &str) -> Result<Arc<Vec<Ptx>>, Error> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Vec<Ptx>>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    // Held across the compilation so two threads starting at once compile once.
    let mut cache = cache
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(ptx) = cache.get(arch) {
        return Ok(ptx.clone());
    }
    let ptx = Arc::new(
        FILES
            .iter()
            .map(|f| compile(f, arch))
            .collect::<Result<Vec<_>, _>>()?,
    );
    cache.insert(arch.into(), ptx.clone());
    Ok(ptx)
}
