//! Every kernel file compiles with NVRTC, for each architecture we target. NVRTC needs no GPU, so
//! this runs on CI (`.ci/nvrtc.sh` installs it); elsewhere it skips when NVRTC is missing, except
//! under `CI=true`, where a skip would hide a broken kernel.

use gpu::kernels::{self, FILES};

/// Turing (T4), Ampere (A100), Hopper (H100): the oldest NVRTC 13 supports, and the ones we run on.
const ARCHS: &[(i32, i32)] = &[(7, 5), (8, 0), (9, 0)];

#[test]
fn every_kernel_file_compiles_with_nvrtc_and_exports_its_functions() {
    if let Err(e) = gpu::libs::nvrtc() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but NVRTC is missing, so the kernels cannot be checked: {e}");
        }
        eprintln!("skipping the NVRTC compile test: {e}");
        return;
    }
    let mut failures = Vec::new();
    for &(major, minor) in ARCHS {
        let arch = kernels::arch(major, minor);
        for file in FILES {
            match kernels::compile(file, &arch) {
                Ok(ptx) => {
                    let text = ptx.to_src();
                    for f in file.functions {
                        // Every name the backend loads must be an entry point of the PTX.
                        if !text.contains(&format!(".entry {f}(")) {
                            failures.push(format!("{} ({arch}): no entry point {f}", file.name));
                        }
                    }
                    let shared = static_shared_bytes(&text);
                    // The parse must see what is there: sum_rows has one double[256].
                    if file.name == "rows.cu" && shared.get("sum_rows") != Some(&2048) {
                        failures.push(format!(
                            "rows.cu ({arch}): shared memory misread: {shared:?}"
                        ));
                    }
                    for (kernel, &bytes) in &shared {
                        // What a launch may use without opting in; the simulator cannot measure
                        // static shared arrays, so this check stands for it.
                        if bytes > 48 * 1024 {
                            failures.push(format!(
                                "{} ({arch}): {kernel} declares {bytes} bytes of shared memory, \
                                 over the 48 KiB a block gets without opt-in",
                                file.name
                            ));
                        }
                    }
                    eprintln!(
                        "compiled {} for {arch}: {} bytes of PTX",
                        file.name,
                        text.len()
                    );
                }
                Err(e) => failures.push(e.to_string()),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Bytes of static shared memory each kernel declares, from the PTX: a `__shared__` array of kernel
/// `k` is a module-level `.shared .align A .b8 _ZZ<len>kE<len>name[N];` (its mangled local name).
fn static_shared_bytes(ptx: &str) -> std::collections::BTreeMap<String, usize> {
    let mut per_kernel = std::collections::BTreeMap::new();
    for line in ptx
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with(".shared"))
    {
        let Some(name) = line.split_whitespace().last() else {
            continue;
        };
        let (Some(open), Some(close)) = (name.find('['), name.find(']')) else {
            continue;
        };
        let Ok(count) = name[open + 1..close].parse::<usize>() else {
            continue;
        };
        let width = if line.contains(".b8") {
            1
        } else if line.contains(".b32") {
            4
        } else {
            8
        };
        let Some(rest) = name.strip_prefix("_ZZ") else {
            continue;
        };
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let Ok(len) = digits.parse::<usize>() else {
            continue;
        };
        let kernel = rest[digits.len()..digits.len() + len].to_string();
        *per_kernel.entry(kernel).or_insert(0) += count * width;
    }
    per_kernel
}

#[test]
fn static_shared_memory_is_read_from_the_ptx() {
    let ptx = ".shared .align 8 .b8 _ZZ8sum_rowsE2sh[2048];\n\
               .shared .align 4 .b8 _ZZ16log_softmax_rowsE3shm[1024];\n\
               .shared .align 8 .b8 _ZZ16log_softmax_rowsE2sh[2048];";
    let got = static_shared_bytes(ptx);
    assert_eq!(got["sum_rows"], 2048);
    assert_eq!(got["log_softmax_rows"], 3072);
}

#[test]
fn every_kernel_file_is_listed_for_compilation() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("kernels");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("gpu/kernels exists")
        .map(|e| {
            e.expect("readable entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".cu"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = FILES.iter().map(|f| f.name.to_string()).collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "gpu/kernels/*.cu and kernels::FILES differ"
    );
}
