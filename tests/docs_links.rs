//! The documents point at real code: every `[path](../path) · function` reference in the docs names
//! a file that exists and a function defined in it, and every registered op has a row in the table.

use std::collections::BTreeSet;
use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

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
    for doc in ["docs/math-to-code.md", "docs/architecture.md", "README.md"] {
        for (path, function) in references(doc) {
            let file = Path::new(ROOT).join(&path);
            assert!(file.exists(), "{doc}: {path} does not exist");
            if function.is_empty() {
                continue;
            }
            let name = function.rsplit("::").next().unwrap();
            let source = std::fs::read_to_string(&file).unwrap();
            assert!(
                source.contains(&format!("fn {name}")),
                "{doc}: {path} has no fn {name}"
            );
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
