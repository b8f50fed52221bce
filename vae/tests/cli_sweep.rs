//! `vae sweep` as a user runs it: a sweep killed (SIGKILL, the sweep and its `vae train` children)
//! and continued writes the sweep.csv an uninterrupted one writes (seconds aside); another grid on
//! the folder is refused; the paper's anneal-then-rerun caps the rerun at the first run's β.

mod common;

use common::{ok, refused, vae_cmd, Synth};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// 200 training users in batches of 50, 40 items.
const DATA: Synth = Synth {
    users: 240,
    ..Synth::SMALL
};

/// A sweep of `--model dae --dims 8:16 --seed 1,2`: four points of `epochs` epochs, one at a time.
fn sweep(data: &Path, out: &Path, seeds: &str, epochs: usize) -> Command {
    let mut c = vae_cmd();
    c.arg("sweep").arg("--data").arg(data).arg("--out").arg(out);
    c.args(["--model", "dae", "--dims", "8:16", "--seed", seeds]);
    c.args(["--epochs", &epochs.to_string(), "--batch-size", "50"]);
    c.args(["--eval-batch-size", "10", "--jobs", "1", "--threads", "1"]);
    c
}

/// sweep.csv without its last column (seconds, the one wall-clock figure).
fn csv_without_seconds(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("sweep.csv"))
        .unwrap()
        .lines()
        .map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n")
        .collect()
}

fn finished(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().join("results.json").exists())
                .count()
        })
        .unwrap_or(0)
}

/// The pids whose parent is `pid`, from /proc.
fn children(pid: u32) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/stat"))
                .ok()
                .and_then(|s| {
                    s.rsplit(") ")
                        .next()?
                        .split(' ')
                        .nth(1)?
                        .parse::<u32>()
                        .ok()
                })
                == Some(pid)
        })
        .collect()
}

#[test]
fn a_sweep_killed_and_continued_writes_the_csv_of_an_uninterrupted_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = DATA.write(dir.path(), "data");
    let whole = dir.path().join("whole");
    ok(&sweep(&data, &whole, "1,2", 40).output().unwrap());
    assert_eq!(finished(&whole), 4);

    let cut = dir.path().join("cut");
    let mut child = sweep(&data, &cut, "1,2", 40)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let began = Instant::now();
    // Once the first point has finished, the second is training.
    while finished(&cut) == 0 {
        assert!(
            began.elapsed() < Duration::from_secs(120),
            "no point finished"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    // The sweep frozen first, so that it starts nothing new while its child is killed.
    // SAFETY: kill(2) on our own child and on its children.
    unsafe { libc::kill(child.id() as i32, libc::SIGSTOP) };
    for c in children(child.id()) {
        unsafe { libc::kill(c, libc::SIGKILL) };
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let done = finished(&cut);
    assert!(done < 4, "the sweep finished before it was killed");

    let said = ok(&sweep(&data, &cut, "1,2", 40).output().unwrap());
    assert!(
        said.contains(&format!("{done} of 4 points already finished, skipped")),
        "{said}"
    );
    assert_eq!(csv_without_seconds(&cut), csv_without_seconds(&whole));
    // And once finished, the same command trains nothing.
    let again = ok(&sweep(&data, &cut, "1,2", 40).output().unwrap());
    assert!(again.contains("4 of 4 points already finished"), "{again}");
    for name in [
        "table.md",
        "figure2_validation_ndcg.png",
        "figure3_latent_size.svg",
    ] {
        assert!(cut.join(name).exists(), "{name}");
    }
}

#[test]
fn another_grid_on_a_sweep_folder_is_refused_naming_what_differs() {
    let dir = tempfile::tempdir().unwrap();
    let data = DATA.write(dir.path(), "data");
    let out = dir.path().join("sweep");
    ok(&sweep(&data, &out, "1", 2).output().unwrap());
    let csv = std::fs::read(out.join("sweep.csv")).unwrap();
    let said = refused(&sweep(&data, &out, "1,3", 2).output().unwrap());
    assert!(
        said.contains("holds another grid (--seed 1 : 3 here, 1 there)"),
        "{said}"
    );
    assert_eq!(std::fs::read(out.join("sweep.csv")).unwrap(), csv);
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    ok(&sweep(&data, &out, "1,3", 2)
        .arg("--overwrite")
        .output()
        .unwrap());
    assert_eq!(finished(&out), 4);
    assert!(out.join("notes.txt").exists());
}

#[test]
fn a_bad_grid_value_is_refused_naming_its_flag() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let said = refused(
        &vae_cmd()
            .args(["sweep", "--data", "nowhere", "--out"])
            .arg(&out)
            .args(["--dropout", "0.5,1.5"])
            .output()
            .unwrap(),
    );
    assert!(said.contains("--dropout: 1.5: must be in [0, 1)"), "{said}");
    let said = refused(
        &vae_cmd()
            .args(["sweep", "--data", "nowhere", "--out"])
            .arg(&out)
            .args(["--model", "dae", "--anneal-cap", "0.2,0.5"])
            .output()
            .unwrap(),
    );
    assert!(
        said.contains("--anneal-cap applies to --model vae, and the grid's models are dae"),
        "{said}"
    );
    assert!(!out.exists(), "a refused sweep wrote its folder");
}

#[test]
fn anneal_then_rerun_caps_the_rerun_at_beta_at_the_first_runs_best_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let data = DATA.write(dir.path(), "data");
    let out = dir.path().join("sweep");
    let mut c = vae_cmd();
    c.arg("sweep")
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(&out);
    c.args([
        "--model", "vae", "--dims", "8", "--seed", "1", "--epochs", "6",
    ]);
    c.args(["--batch-size", "50", "--total-anneal-steps", "30"]);
    c.args(["--eval-batch-size", "10", "--anneal-then-rerun"]);
    ok(&c.output().unwrap());
    let json = |p: PathBuf| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    let first = out
        .join("model=vae,dims=8,batch-size=50,epochs=6,total-anneal-steps=30,seed=1,phase=anneal");
    let rerun = out
        .join("model=vae,dims=8,batch-size=50,epochs=6,total-anneal-steps=30,seed=1,phase=rerun");
    assert_eq!(
        json(first.join("config.json"))["anneal"]["Linear"]["cap"],
        1.0
    );
    let beta = json(first.join("results.json"))["beta_at_best"]
        .as_f64()
        .unwrap();
    assert!(beta > 0.0 && beta < 1.0, "β at the best epoch {beta}");
    assert_eq!(
        json(rerun.join("config.json"))["anneal"]["Linear"]["cap"].as_f64(),
        Some(beta)
    );
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].starts_with(
            "point,phase,model,dims,batch-size,epochs,total-anneal-steps,seed,anneal-cap,"
        ),
        "{csv}"
    );
    assert!(
        lines[1].contains(",anneal,") && lines[1].contains(",1.0,"),
        "{csv}"
    );
    assert!(
        lines[2].contains(",rerun,") && lines[2].contains(&format!(",{beta},")),
        "{csv}"
    );
}
