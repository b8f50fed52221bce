//! The `vae data` commands fail with a clear message, never a panic, on what a user gets wrong, and
//! say what they keep that a user may not expect.

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

/// `u.data` rows: users `0..users`, each clicking (5 stars) items `0..clicks`.
fn u_data(users: usize, clicks: usize) -> String {
    let mut text = String::new();
    for u in 0..users {
        for i in 0..clicks {
            text += &format!("{u}\t{i}\t5\t0\n");
        }
    }
    text
}

fn prepare(input: &std::path::Path, out: &std::path::Path, flags: &[&str]) -> Output {
    let mut args = vec![
        "data",
        "prepare",
        "--input",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(flags);
    vae(&args, None)
}

#[test]
fn prepare_refuses_an_empty_split_naming_the_flag_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("u.data");
    let out = dir.path().join("out");
    std::fs::write(&input, u_data(10, 6)).unwrap();
    let run = |flags: &[&str]| prepare(&input, &out, flags);
    fails_saying(
        &run(&["--heldout-users", "0"]),
        "--heldout-users 0 gives 0 validation and 0 test users out of 10",
    );
    // int(0.05 · 10) = 0.
    fails_saying(
        &run(&["--heldout-frac", "0.05"]),
        "--heldout-frac 0.05 gives 0 validation and 0 test users out of 10",
    );
    // Users with 4 clicks hold none out.
    std::fs::write(&input, u_data(10, 4)).unwrap();
    fails_saying(
        &run(&["--heldout-users", "2", "--min-user-clicks", "1"]),
        "validation_te.csv would have no clicks",
    );
    assert!(!out.exists());
}

#[test]
fn prepare_and_stats_count_repeated_clicks_and_keep_them() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("u.data");
    let out = dir.path().join("out");
    std::fs::write(&input, u_data(6, 6) + "0\t0\t5\t1\n0\t0\t4\t2\n").unwrap();
    let done = prepare(&input, &out, &["--heldout-users", "1"]);
    let stdout = String::from_utf8_lossy(&done.stdout);
    assert!(done.status.success(), "{stdout}");
    assert!(
        stdout.contains(
            "2 clicks repeat a (user, item) pair clicked before: kept, as the paper's notebook keeps them"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("there are 38 watching events"), "{stdout}");
    let stats = vae(&["data", "stats", out.to_str().unwrap()], None);
    let stdout = String::from_utf8_lossy(&stats.stdout);
    assert!(
        stdout.contains("kept as the notebook keeps them: 2"),
        "{stdout}"
    );
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
