//! The documents point at real code: every `[path](../path) · function` reference in the docs names
//! a file that exists and a function (or, in a `.cu` file, a CUDA kernel) defined in it; every
//! registered op has a row in the table; every op and optimiser module names its CPU loop, its CUDA
//! kernel and its GPU parity test, each of which exists.

use std::collections::BTreeSet;
use std::path::Path;

/// The repository's root: the docs and every crate are read from there.
const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// `(path, function)` pairs of the form ``[`p`](../p) · `f` `` in a markdown file.
fn references(doc: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(Path::new(ROOT).join(doc)).unwrap();
    let mut refs = Vec::new();
    for (at, _) in text.match_indices("](../") {
        let rest = &text[at + 5..];
        let Some(end) = rest.find(')') else { continue };
        let path = rest[..end].to_string();
        let after = &rest[end + 1..];
        let function = after
            .strip_prefix(" · `")
            .and_then(|s| s.split('`').next())
            .map(str::to_string)
            .unwrap_or_default();
        refs.push((path, function));
    }
    refs
}

#[test]
fn every_path_and_function_named_in_the_docs_exists() {
    assert!(
        references("docs/math-to-code.md").len() >= 29,
        "the reference scan finds too little"
    );
    for doc in [
        "docs/math-to-code.md",
        "docs/architecture.md",
        "docs/step.md",
        "docs/checkpoints.md",
        "README.md",
    ] {
        for (path, function) in references(doc) {
            let file = Path::new(ROOT).join(&path);
            assert!(file.exists(), "{doc}: {path} does not exist");
            if function.is_empty() {
                continue;
            }
            let name = function.rsplit("::").next().unwrap();
            assert!(
                defines(&path, name),
                "{doc}: {path} has no {}",
                what(&path, name)
            );
        }
    }
}

/// Whether the file at `path` defines `name`: a `fn` in Rust, a kernel entry point (`void name(`)
/// in a `.cu` file.
fn defines(path: &str, name: &str) -> bool {
    let source = std::fs::read_to_string(Path::new(ROOT).join(path)).unwrap();
    if path.ends_with(".cu") {
        source.contains(&format!("__global__ void {name}("))
    } else {
        source.contains(&format!("fn {name}"))
    }
}

fn what(path: &str, name: &str) -> String {
    if path.ends_with(".cu") {
        format!("kernel {name}")
    } else {
        format!("fn {name}")
    }
}

/// The module doc (`//!` lines) of a source file, its `- Label: ...` items joined across their
/// continuation lines.
fn doc_items(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut items: Vec<String> = Vec::new();
    for line in text.lines().map_while(|l| l.strip_prefix("//!")) {
        let line = line.trim_start_matches(' ');
        if let Some(item) = line.strip_prefix("- ") {
            items.push(item.to_string());
        } else if let (Some(last), false) = (items.last_mut(), line.is_empty()) {
            last.push(' ');
            last.push_str(line);
        }
    }
    items
}

/// The `(path, name)` pairs of an item: a backticked path (`a/b.rs`, `a/b.cu`) followed by the
/// backticked names defined in it, as many groups as the item has.
fn named_in(item: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut path = None;
    for (i, token) in item.split('`').enumerate() {
        if i % 2 == 0 {
            continue;
        }
        if token.ends_with(".rs") || token.ends_with(".cu") {
            path = Some(token.to_string());
        } else if let Some(p) = &path {
            pairs.push((p.clone(), token.to_string()));
        }
    }
    pairs
}

#[test]
fn every_op_and_optimiser_names_its_cpu_loop_cuda_kernel_and_gpu_parity_test() {
    let mut modules = Vec::new();
    for dir in ["autograd/src/ops", "autograd/src/optim"] {
        for entry in std::fs::read_dir(Path::new(ROOT).join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_string();
            if !["mod.rs", "registry.rs"].contains(&name.as_str()) {
                modules.push(format!("{dir}/{name}"));
            }
        }
    }
    assert!(modules.len() >= 17, "the module scan finds too little");
    for module in modules {
        let items = doc_items(&Path::new(ROOT).join(&module));
        for label in ["CPU loop:", "CUDA kernel:", "GPU parity test:"] {
            let item = items
                .iter()
                .find(|i| i.starts_with(label))
                .unwrap_or_else(|| panic!("{module}: its module doc has no `- {label}` line"));
            let pairs = named_in(item);
            // The GEMM has no kernel file of ours: cuBLAS is named in words.
            assert!(
                !pairs.is_empty() || item.contains("cuBLAS"),
                "{module}: `- {label}` names no file and function"
            );
            for (path, name) in pairs {
                assert!(
                    Path::new(ROOT).join(&path).exists(),
                    "{module}: {path} does not exist"
                );
                assert!(
                    defines(&path, &name),
                    "{module}: {path} has no {}",
                    what(&path, &name)
                );
            }
        }
    }
}

#[test]
fn every_registered_op_has_a_row_in_math_to_code() {
    let text = std::fs::read_to_string(Path::new(ROOT).join("docs/math-to-code.md")).unwrap();
    let rows: BTreeSet<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("| ")?.split(' ').next())
        .collect();
    for check in autograd::ops::registry() {
        assert!(
            rows.contains(check.name),
            "docs/math-to-code.md has no row for {}",
            check.name
        );
    }
}
