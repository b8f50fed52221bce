//! The `vae data` commands fail with a clear message, never a panic, on what a user gets wrong.

use std::process::{Command, Output};

fn vae(args: &[&str], path: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vae"));
    c.args(args).env("RUST_BACKTRACE", "0");
    if let Some(p) = path {
        c.env("PATH", p);
    }
    c.output().expect("the vae binary runs")
}

fn fails_saying(out: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "expected failure, got success");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains(needle), "{needle:?} not in:\n{stderr}");
}

#[test]
fn fetch_without_pip_names_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let out = vae(
        &[
            "data",
            "fetch",
            "ml-100k",
            "--out",
            dir.path().to_str().unwrap(),
        ],
        Some(dir.path().to_str().unwrap()),
    );
    fails_saying(&out, "pip not found");
}

#[test]
fn prepare_with_more_heldout_users_than_users_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("u.data");
    let mut text = String::new();
    for u in 0..4 {
        for i in 0..6 {
            text += &format!("{u}\t{i}\t5\t0\n");
        }
    }
    std::fs::write(&input, text).unwrap();
    let out_dir = dir.path().join("out");
    let args = |n: &'static str| {
        [
            "data",
            "prepare",
            "--input",
            input.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--heldout-users",
            n,
        ]
        .map(String::from)
    };
    let run = |n| vae(&args(n).each_ref().map(String::as_str), None);
    fails_saying(&run("2"), "leave no training users out of 4");
    assert!(run("1").status.success());
}

#[test]
fn prepare_with_nothing_left_after_filtering_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("u.data");
    std::fs::write(&input, "1\t2\t3\t0\n1\t3\t5\t0\n").unwrap();
    let out = vae(
        &[
            "data",
            "prepare",
            "--input",
            input.to_str().unwrap(),
            "--out",
            dir.path().join("o").to_str().unwrap(),
        ],
        None,
    );
    fails_saying(&out, "no clicks left after filtering");
}

#[test]
fn prepare_of_an_unknown_format_says_to_pass_format() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("ratings.bin");
    std::fs::write(&input, "x").unwrap();
    let out = vae(
        &[
            "data",
            "prepare",
            "--input",
            input.to_str().unwrap(),
            "--out",
            dir.path().join("o").to_str().unwrap(),
        ],
        None,
    );
    fails_saying(&out, "pass --format");
}

#[test]
fn stats_of_a_missing_folder_names_the_file() {
    let out = vae(&["data", "stats", "/nonexistent/pro_sg"], None);
    fails_saying(&out, "/nonexistent/pro_sg/unique_sid.txt");
}
