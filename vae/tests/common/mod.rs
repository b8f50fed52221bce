//! What the CLI tests share: running the binary, reading what it said, a small synthetic split.
#![allow(dead_code)] // each test binary uses its own part

use std::path::Path;
use std::process::{Command, Output};

/// `vae ARGS`, without backtraces in its messages.
pub fn vae(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vae"))
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("the vae binary runs")
}

/// The standard output of a command that must succeed (its standard error in the panic otherwise).
pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Asserts that a command failed cleanly (no panic) with each of `needles` in its standard error.
pub fn fails_saying(out: &Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "expected failure, got success");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "{needle:?} not in:\n{stderr}");
    }
}

/// A `vae data synth` split of 200 users (20 held out for validation, 20 for test) over 40 items,
/// in `dir/data`; its path.
pub fn synth(dir: &Path) -> String {
    let data = dir.join("data");
    ok(&vae(&[
        "data",
        "synth",
        "--out",
        data.to_str().unwrap(),
        "--users",
        "200",
        "--heldout-users",
        "20",
        "--items",
        "40",
        "--mean-clicks",
        "8",
        "--seed",
        "2",
    ]));
    data.to_str().unwrap().to_string()
}
