//! The simulated device: gpu/kernels/*.cu compiled for the host CPU by the system C++ compiler,
//! with gpu/sim/cuda_sim.h giving the CUDA built-ins their meaning, loaded as a shared library and
//! launched through the same argument lists as the driver. It refuses what a GPU refuses: launch
//! dimensions over the device limits, dynamic shared memory beyond 48 KiB, and an argument whose
//! kind differs from the kernel's parameter (a `float` for a `double`, a buffer the kernel writes
//! passed as read-only).
//!
//! The library is built once per machine and kept under the temporary directory, named by a hash
//! of every source and flag; set `GPU_SIM_CACHE` to put it elsewhere, `CXX` to use another compiler.

pub(super) mod blas;
mod host_mem;

pub(crate) use host_mem::HostMem;

use super::{Arg, EngineError, EngineResult, Mem};
use crate::error::Error;
use crate::kernels::{COMMON, FILES};
use cudarc::driver::LaunchConfig;
use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

const HEADER: &str = include_str!("../../../sim/cuda_sim.h");
const RUNTIME: &str = include_str!("../../../sim/runtime.cpp");

/// The compiler flags: IEEE arithmetic with no multiply–add contracted into one rounding (as NVRTC
/// runs with `--fmad=false`), no fast-math.
const FLAGS: &[&str] = &[
    "-std=c++20",
    "-O2",
    "-fPIC",
    "-ffp-contract=off",
    "-fno-fast-math",
    "-pthread",
];

/// The device limits of every GPU since compute capability 3.0 (H100 included).
pub(crate) const MAX_THREADS_PER_BLOCK: u64 = 1024;
pub(crate) const MAX_BLOCK: [u32; 3] = [1024, 1024, 64];
pub(crate) const MAX_GRID: [u32; 3] = [i32::MAX as u32, 65_535, 65_535];
pub(crate) const MAX_SHARED_BYTES: u32 = 48 * 1024;

/// `sim::Launch` of cuda_sim.h.
#[repr(C)]
struct SimLaunch {
    grid: [u32; 3],
    block: [u32; 3],
    shared_bytes: u32,
}

type Entry = unsafe extern "C" fn(
    *const SimLaunch,
    *mut *mut c_void,
    *const c_char,
    *mut c_char,
    usize,
) -> c_int;

/// The loaded kernels: one entry point per kernel name.
pub(crate) struct SimEngine {
    entries: HashMap<&'static str, Entry>,
    // Keeps the entries valid; never unloaded while the process runs.
    _library: Arc<libloading::Library>,
}

/// One value slot per argument, as cuLaunchKernel's `kernelParams[i]` points at argument i.
#[repr(C)]
union Slot {
    ptr: *mut c_void,
    f32: f32,
    f64: f64,
    i32: i32,
    u32: u32,
    u64: u64,
}

impl SimEngine {
    /// Builds (or finds) the kernel library and loads it; once per process.
    pub(crate) fn open() -> Result<SimEngine, Error> {
        static LIBRARY: OnceLock<Mutex<Option<Arc<libloading::Library>>>> = OnceLock::new();
        let mut slot = LIBRARY
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let library = match &*slot {
            Some(l) => l.clone(),
            None => {
                let path = build()?;
                // SAFETY: our own library; its initialisers are the C++ runtime's.
                let l =
                    unsafe { libloading::Library::new(&path) }.map_err(|e| Error::Simulator {
                        detail: format!("could not load {}: {e}", path.display()),
                    })?;
                let l = Arc::new(l);
                *slot = Some(l.clone());
                l
            }
        };
        let mut entries = HashMap::new();
        for file in FILES {
            for &name in file.functions {
                let symbol = format!("sim_entry_{name}\0");
                // SAFETY: SIM_ENTRY defines every entry with exactly the `Entry` signature.
                let f: Entry = unsafe { library.get::<Entry>(symbol.as_bytes()) }
                    .map(|s| *s)
                    .map_err(|e| Error::Simulator {
                        detail: format!("kernel {name} of {} has no entry: {e}", file.name),
                    })?;
                entries.insert(name, f);
            }
        }
        Ok(SimEngine {
            entries,
            _library: library,
        })
    }

    pub(crate) fn launch(&self, name: &str, cfg: LaunchConfig, args: &[Arg]) -> EngineResult<()> {
        check_limits(name, &cfg)?;
        let entry = self.entries.get(name).ok_or_else(|| {
            EngineError(format!(
                "kernel {name} is not listed in gpu/src/kernels.rs FILES"
            ))
        })?;
        let mut slots: Vec<Slot> = args
            .iter()
            .map(|a| match a {
                Arg::F32s(b, _) => Slot {
                    ptr: host_ptr(b.mem()),
                },
                Arg::U32s(b, _) => Slot {
                    ptr: host_ptr(b.mem()),
                },
                Arg::F32(v) => Slot { f32: *v },
                Arg::F64(v) => Slot { f64: *v },
                Arg::I32(v) => Slot { i32: *v },
                Arg::U32(v) => Slot { u32: *v },
                Arg::U64(v) => Slot { u64: *v },
            })
            .collect();
        let mut params: Vec<*mut c_void> = slots
            .iter_mut()
            .map(|s| s as *mut Slot as *mut c_void)
            .collect();
        let codes: String = args.iter().map(Arg::code).chain(['\0']).collect();
        let launch = SimLaunch {
            grid: [cfg.grid_dim.0, cfg.grid_dim.1, cfg.grid_dim.2],
            block: [cfg.block_dim.0, cfg.block_dim.1, cfg.block_dim.2],
            shared_bytes: cfg.shared_mem_bytes,
        };
        let mut err = vec![0 as c_char; 1024];
        // SAFETY: `params` points at one slot per argument, alive for the call; the entry checks the
        // kinds against the kernel's parameters before it reads them; the buffers' lengths were
        // checked by the backend against the sizes passed.
        let rc = unsafe {
            entry(
                &launch,
                params.as_mut_ptr(),
                codes.as_ptr() as *const c_char,
                err.as_mut_ptr(),
                err.len(),
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            // SAFETY: the entry wrote a NUL-terminated message into `err`.
            let msg = unsafe { CStr::from_ptr(err.as_ptr()) };
            Err(EngineError(format!("{name}: {}", msg.to_string_lossy())))
        }
    }
}

fn host_ptr<T: crate::alloc::Pooled>(m: &Mem<T>) -> *mut c_void {
    match m {
        Mem::Host(h) => h.as_ptr() as *mut c_void,
        // Engine::launch refuses driver memory before it gets here.
        Mem::Driver(_) => unreachable!("driver memory passed to the simulator"),
    }
}

/// What cuLaunchKernel would answer with CUDA_ERROR_INVALID_VALUE: each block and grid dimension
/// within the device's limits, at most 1024 threads a block, dynamic shared memory within 48 KiB.
pub(crate) fn check_limits(name: &str, cfg: &LaunchConfig) -> EngineResult<()> {
    let grid = [cfg.grid_dim.0, cfg.grid_dim.1, cfg.grid_dim.2];
    let block = [cfg.block_dim.0, cfg.block_dim.1, cfg.block_dim.2];
    let refuse = |why: String| {
        Err(EngineError(format!(
            "{name}: launch of grid {grid:?} × block {block:?} refused: {why}"
        )))
    };
    for (axis, (&g, &max)) in ["x", "y", "z"].iter().zip(grid.iter().zip(&MAX_GRID)) {
        if g == 0 || g > max {
            return refuse(format!("grid {axis} is {g}, a device allows 1 to {max}"));
        }
    }
    for (axis, (&b, &max)) in ["x", "y", "z"].iter().zip(block.iter().zip(&MAX_BLOCK)) {
        if b == 0 || b > max {
            return refuse(format!("block {axis} is {b}, a device allows 1 to {max}"));
        }
    }
    let threads: u64 = block.iter().map(|&b| b as u64).product();
    if threads > MAX_THREADS_PER_BLOCK {
        return refuse(format!(
            "{threads} threads a block, a device allows {MAX_THREADS_PER_BLOCK}"
        ));
    }
    if cfg.shared_mem_bytes > MAX_SHARED_BYTES {
        return refuse(format!(
            "{} bytes of dynamic shared memory, a device allows {MAX_SHARED_BYTES} without opt-in",
            cfg.shared_mem_bytes
        ));
    }
    if cfg.shared_mem_bytes > 0 {
        return refuse("dynamic shared memory is not simulated (no kernel uses it)".into());
    }
    Ok(())
}

/// 64-bit FNV-1a: a stable name for a set of sources (std's hasher may change between releases).
fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in p.as_bytes().iter().chain([0u8].iter()) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// One translation unit per kernel file: the built-ins, common.cuh, the file, then an entry per
/// kernel. `#line` keeps the compiler's messages pointing at the .cu file's own lines.
fn translation_unit(file: &crate::kernels::KernelFile) -> String {
    let entries: String = file
        .functions
        .iter()
        .map(|f| format!("SIM_ENTRY({f})\n"))
        .collect();
    format!(
        "#include \"cuda_sim.h\"\n#line 1 \"common.cuh\"\n{COMMON}\n#line 1 \"{}\"\n{}\n{entries}",
        file.name, file.source
    )
}

fn compiler() -> String {
    std::env::var("CXX").unwrap_or_else(|_| "g++".into())
}

/// The path of the kernel library, compiling it first if no build of these sources exists.
fn build() -> Result<PathBuf, Error> {
    let cxx = compiler();
    let units: Vec<(String, String)> = FILES
        .iter()
        .map(|f| (f.name.replace(".cu", ".cpp"), translation_unit(f)))
        .collect();
    let mut parts: Vec<&str> = vec![HEADER, RUNTIME, &cxx];
    parts.extend(FLAGS);
    parts.extend(units.iter().map(|(_, s)| s.as_str()));
    let key = format!("{:016x}", fnv1a(&parts));
    let root = std::env::var_os("GPU_SIM_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("autograd-gpu-sim"));
    let dir = root.join(&key);
    let library = dir.join("kernels.so");
    if library.exists() {
        return Ok(library);
    }
    let fail = |detail: String| Error::Simulator { detail };
    // Built in a private folder, then renamed into place: two processes building at once each get
    // a complete library, and a killed build leaves no half-written one under the final name.
    let work = root.join(format!("{key}.tmp-{}", std::process::id()));
    std::fs::create_dir_all(&work)
        .map_err(|e| fail(format!("cannot create {}: {e}", work.display())))?;
    let write = |name: &str, text: &str| {
        std::fs::write(work.join(name), text)
            .map_err(|e| fail(format!("cannot write {}: {e}", work.join(name).display())))
    };
    write("cuda_sim.h", HEADER)?;
    write("runtime.cpp", RUNTIME)?;
    for (name, text) in &units {
        write(name, text)?;
    }
    // One compiler per unit at once, then one link.
    let mut children = Vec::new();
    for name in std::iter::once("runtime.cpp").chain(units.iter().map(|(n, _)| n.as_str())) {
        let child = Command::new(&cxx)
            .args(FLAGS)
            .arg("-c")
            .arg(name)
            .arg("-o")
            .arg(format!("{name}.o"))
            .current_dir(&work)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| {
                fail(format!(
                    "cannot run the C++ compiler `{cxx}` ({e}): the simulated device compiles \
                     gpu/kernels with it; install g++ (Debian: apt install g++) or set CXX"
                ))
            })?;
        children.push((name.to_string(), child));
    }
    for (name, child) in children {
        let out = child
            .wait_with_output()
            .map_err(|e| fail(format!("{cxx} on {name}: {e}")))?;
        if !out.status.success() {
            return Err(fail(format!(
                "{cxx} could not compile {name} (from gpu/kernels) for the simulator:\n{}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
    }
    let objects: Vec<String> = std::iter::once("runtime.cpp".to_string())
        .chain(units.iter().map(|(n, _)| n.clone()))
        .map(|n| format!("{n}.o"))
        .collect();
    run_link(&cxx, &work, &objects)?;
    std::fs::rename(&work, &dir).or_else(|e| {
        // Another process finished first: use its build.
        if dir.join("kernels.so").exists() {
            let _ = std::fs::remove_dir_all(&work);
            Ok(())
        } else {
            Err(fail(format!(
                "cannot move {} into place: {e}",
                work.display()
            )))
        }
    })?;
    Ok(library)
}

fn run_link(cxx: &str, work: &Path, objects: &[String]) -> Result<(), Error> {
    let out = Command::new(cxx)
        .args(FLAGS)
        .arg("-shared")
        .args(objects)
        .arg("-o")
        .arg("kernels.so")
        .current_dir(work)
        .output()
        .map_err(|e| Error::Simulator {
            detail: format!("cannot run `{cxx}` to link the simulator's kernels: {e}"),
        })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(Error::Simulator {
            detail: format!(
                "{cxx} could not link the simulator's kernels:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::KernelArg;
    use crate::Cuda;

    fn cfg(grid: (u32, u32, u32), block: (u32, u32, u32), shared: u32) -> LaunchConfig {
        LaunchConfig {
            grid_dim: grid,
            block_dim: block,
            shared_mem_bytes: shared,
        }
    }

    #[test]
    fn launches_a_gpu_would_refuse_are_refused() {
        let ok = [
            cfg((1, 1, 1), (1, 1, 1), 0),
            cfg((i32::MAX as u32, 65_535, 65_535), (1024, 1, 1), 0),
        ];
        for c in ok {
            assert!(check_limits("k", &c).is_ok(), "{c:?}");
        }
        let refused = [
            (cfg((0, 1, 1), (256, 1, 1), 0), "grid x is 0"),
            (cfg((1 << 31, 1, 1), (256, 1, 1), 0), "grid x is 2147483648"),
            (cfg((1, 65_536, 1), (256, 1, 1), 0), "grid y is 65536"),
            (cfg((1, 1, 65_536), (256, 1, 1), 0), "grid z is 65536"),
            (cfg((1, 1, 1), (1025, 1, 1), 0), "block x is 1025"),
            (cfg((1, 1, 1), (1, 1, 65), 0), "block z is 65"),
            (cfg((1, 1, 1), (512, 4, 1), 0), "2048 threads a block"),
            (
                cfg((1, 1, 1), (256, 1, 1), 49_153),
                "49153 bytes of dynamic shared memory",
            ),
        ];
        for (c, why) in refused {
            let e = check_limits("k", &c).expect_err(why).0;
            assert!(e.contains(why), "{e}");
        }
    }

    #[test]
    fn an_argument_of_the_wrong_kind_is_refused_naming_the_kernel() {
        let g = Cuda::simulated().unwrap();
        let x = g.take::<f32>(4).unwrap();
        let mut y = g.take::<f32>(4).unwrap();
        let one = cfg((1, 1, 1), (256, 1, 1), 0);
        // axpy(float alpha, const float* x, float* y, u64 n): alpha passed as a double.
        let e = g
            .engine()
            .launch(
                "axpy",
                one,
                &[1.0f64.arg(), (&x).arg(), (&mut y).arg(), 4u64.arg()],
            )
            .unwrap_err()
            .0;
        assert!(
            e.contains("kernel axpy takes arguments of kinds \"fRWq\"") && e.contains("\"dRWq\""),
            "{e}"
        );
        // y, which the kernel writes, passed as read-only.
        let e = g
            .engine()
            .launch(
                "axpy",
                one,
                &[1.0f32.arg(), (&x).arg(), (&y).arg(), 4u64.arg()],
            )
            .unwrap_err()
            .0;
        assert!(e.contains("\"fRRq\""), "{e}");
        // The right list runs.
        let args = [1.0f32.arg(), (&x).arg(), (&mut y).arg(), 4u64.arg()];
        g.engine().launch("axpy", one, &args).unwrap();
    }

    #[test]
    fn fresh_buffers_hold_nan_and_reused_ones_are_poisoned_again() {
        let g = Cuda::simulated().unwrap();
        let b = g.take::<f32>(10).unwrap();
        assert!(g.engine().download(&b).unwrap().iter().all(|v| v.is_nan()));
        let mut z = b;
        g.engine().memset_zeros(&mut z).unwrap();
        drop(z);
        let again = g.take::<f32>(10).unwrap();
        assert!(g
            .engine()
            .download(&again)
            .unwrap()
            .iter()
            .all(|v| v.is_nan()));
        let idx = g.take::<u32>(3).unwrap();
        assert_eq!(g.engine().download(&idx).unwrap(), vec![u32::MAX; 3]);
    }

    #[test]
    fn the_library_key_changes_with_any_source() {
        assert_ne!(fnv1a(&["a", "b"]), fnv1a(&["ab"]));
        assert_ne!(fnv1a(&["a"]), fnv1a(&["b"]));
        assert_eq!(fnv1a(&["kernel"]), fnv1a(&["kernel"]));
    }
}
