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
