//! What the CLI tests share: running the binary, reading what it said, a synthetic split, a folder's
//! bytes.
#![allow(dead_code)] // each test binary uses its own part

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `vae` binary, without backtraces in its messages: for a test that spawns it, feeds its
/// standard input or signals it.
pub fn vae_cmd() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vae"));
    c.env("RUST_BACKTRACE", "0");
    c
}

/// `vae ARGS`, without backtraces in its messages.
pub fn vae(args: &[&str]) -> Output {
    vae_cmd().args(args).output().expect("the vae binary runs")
}

/// All a command said: its standard output, then its standard error.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The standard output of a command that must succeed (all it said in the panic otherwise).
pub fn ok(out: &Output) -> String {
    assert!(out.status.success(), "{}", text(out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// All a command said, which must be a refusal.
pub fn refused(out: &Output) -> String {
    assert!(!out.status.success(), "accepted:\n{}", text(out));
    text(out)
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

/// The flags of a `vae data synth` split.
#[derive(Debug, Clone, Copy)]
pub struct Synth {
    /// `--users`: all users, the held-out ones included.
    pub users: usize,
    /// `--heldout-users`: how many users each of validation and test gets.
    pub heldout_users: usize,
    /// `--items`.
    pub items: usize,
    /// `--mean-clicks`: clicks per user, on average.
    pub mean_clicks: usize,
    /// `--seed`.
    pub seed: u64,
}

impl Synth {
    /// 200 users (20 held out for validation, 20 for test) over 40 items, 8 clicks a user on
    /// average, seed 2.
    pub const SMALL: Synth = Synth {
        users: 200,
        heldout_users: 20,
        items: 40,
        mean_clicks: 8,
        seed: 2,
    };

    /// Writes the split to `dir/name`; its path.
    pub fn write(self, dir: &Path, name: &str) -> PathBuf {
        let data = dir.join(name);
        ok(&vae_cmd()
            .args(["data", "synth", "--out"])
            .arg(&data)
            .args(["--users", &self.users.to_string()])
            .args(["--heldout-users", &self.heldout_users.to_string()])
            .args(["--items", &self.items.to_string()])
            .args(["--mean-clicks", &self.mean_clicks.to_string()])
            .args(["--seed", &self.seed.to_string()])
            .output()
            .expect("the vae binary runs"));
        data
    }
}

/// [`Synth::SMALL`] in `dir/data`; its path.
pub fn synth(dir: &Path) -> String {
    Synth::SMALL
        .write(dir, "data")
        .to_str()
        .unwrap()
        .to_string()
}

/// Every file of the folder `dir`, by name.
pub fn folder_bytes(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

/// A pro_sg split of four users and three clicked items among `items` listed in `unique_sid.txt`,
/// in `dir/data`: the smallest data a model sized by its item count refuses or accepts.
pub fn four_users_among(dir: &Path, items: usize) -> PathBuf {
    let data = dir.join("data");
    std::fs::create_dir(&data).unwrap();
    let sids: String = (0..items).map(|i| format!("{i}\n")).collect();
    std::fs::write(data.join("unique_sid.txt"), sids).unwrap();
    for (name, rows) in [
        ("train.csv", "uid,sid\n0,0\n0,1\n1,1\n1,2\n"),
        ("validation_tr.csv", "uid,sid\n2,0\n"),
        ("validation_te.csv", "uid,sid\n2,1\n"),
        ("test_tr.csv", "uid,sid\n3,1\n"),
        ("test_te.csv", "uid,sid\n3,2\n"),
    ] {
        std::fs::write(data.join(name), rows).unwrap();
    }
    data
}
