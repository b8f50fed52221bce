//! A real `vae train` process killed (SIGKILL) or interrupted (SIGINT) at several points, then
//! resumed with `--resume` alone, leaves the same run folder, byte for byte, as a run that was never
//! stopped (`timings.jsonl` aside, the one file that holds wall-clock times).

mod common;

use common::{folder_bytes, ok, text, vae_cmd, Synth};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// 600 training users in batches of 50: 12 steps an epoch; 200 validation users in batches of 2,
/// so that validation is most of an epoch's last stretch.
const DATA: Synth = Synth {
    users: 1000,
    heldout_users: 200,
    items: 1500,
    mean_clicks: 20,
    seed: 3,
};

const STEPS: usize = 12;

fn train(data: &Path, out: &Path) -> Command {
    let mut c = vae_cmd();
    c.arg("train").arg("--data").arg(data).arg("--out").arg(out);
    c.args(["--dims", "100,50", "--batch-size", "50", "--epochs", "3"]);
    c.args(["--total-anneal-steps", "20", "--eval-batch-size", "2"]);
    c.args(["--checkpoint-every", "1"]);
    c
}

fn resume(data: &Path, run: &Path) -> Command {
    let mut c = vae_cmd();
    c.arg("train")
        .arg("--data")
        .arg(data)
        .arg("--resume")
        .arg(run);
    c
}

/// Every file of a run folder but `timings.jsonl`.
fn run_bytes(run: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = folder_bytes(run);
    files.remove("timings.jsonl");
    files
}

fn assert_same_folder(expected: &BTreeMap<String, Vec<u8>>, run: &Path, what: &str) {
    let got = run_bytes(run);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "{what}"
    );
    for (name, bytes) in expected {
        assert!(&got[name] == bytes, "{what}: {name} differs");
    }
}

/// Where to stop the process.
#[derive(Debug, Clone, Copy)]
enum Point {
    /// While a new `last.safetensors` exists only as its temporary file (checked with the
    /// process frozen by SIGSTOP, so that it is not renamed in between).
    BeforeRename,
    /// Once `last.safetensors` holds the state after `step` steps of `epoch`, or a later one (a
    /// poll may miss a checkpoint that the next one replaces at once).
    Checkpoint { epoch: usize, step: usize },
    /// Once `metrics.jsonl` has `lines` lines.
    Logged { lines: usize },
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(child.id() as i32, sig) }, 0);
}

/// Waits until the kernel reports the process stopped ('T' in /proc/PID/stat), or gone ('Z').
fn wait_stopped(child: &Child) {
    let stat = format!("/proc/{}/stat", child.id());
    while !std::fs::read_to_string(&stat)
        .unwrap_or_default()
        .rsplit(") ")
        .next()
        .is_some_and(|rest| rest.starts_with('T') || rest.starts_with('Z'))
    {
        std::thread::sleep(Duration::from_micros(100));
    }
}

fn temporary_exists(run: &Path) -> bool {
    std::fs::read_dir(run).is_ok_and(|d| {
        d.flatten().any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".last.safetensors.tmp-")
        })
    })
}

/// The epoch and step `last.safetensors` was written at, from its header alone.
fn checkpoint_position(run: &Path) -> Option<(usize, usize)> {
    let mut f = std::fs::File::open(run.join("last.safetensors")).ok()?;
    let mut n = [0u8; 8];
    f.read_exact(&mut n).ok()?;
    let mut header = vec![0u8; u64::from_le_bytes(n) as usize];
    f.read_exact(&mut header).ok()?;
    let json: serde_json::Value = serde_json::from_slice(&header).ok()?;
    let meta = &json["__metadata__"];
    let num = |k: &str| meta[k].as_str()?.parse().ok();
    Some((num("next_epoch")?, num("step")?))
}

fn lines(run: &Path) -> usize {
    std::fs::read_to_string(run.join("metrics.jsonl")).map_or(0, |t| t.lines().count())
}

/// Runs `command` until `point`, then freezes it there and sends it `sig`; returns its output.
fn stop_at(mut command: Command, run: &Path, point: Point, sig: i32) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            panic!("the run ended ({status}) before {point:?}:\n{}", text(&out));
        }
        assert!(Instant::now() < deadline, "{point:?} not reached");
        let reached = match point {
            // Freezing the process at moments of its own and looking: with a checkpoint every
            // update, much of its time is spent writing one, so this soon finds it there however
            // busy the machine (waiting to see the file first would miss it when it is).
            Point::BeforeRename => {
                signal(&child, libc::SIGSTOP);
                wait_stopped(&child);
                let caught = temporary_exists(run);
                if !caught {
                    signal(&child, libc::SIGCONT);
                    std::thread::sleep(Duration::from_millis(1));
                }
                caught
            }
            Point::Checkpoint { epoch, step } => {
                checkpoint_position(run).is_some_and(|at| at >= (epoch, step))
            }
            Point::Logged { lines: n } => lines(run) >= n,
        };
        if reached {
            signal(&child, libc::SIGSTOP);
            wait_stopped(&child);
            signal(&child, sig);
            signal(&child, libc::SIGCONT);
            return child.wait_with_output().unwrap();
        }
    }
}

#[test]
fn a_run_killed_anywhere_and_resumed_writes_the_same_bytes_as_one_never_stopped() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().unwrap();
    let data = DATA.write(dir.path(), "data");
    let straight = dir.path().join("straight");
    ok(&train(&data, &straight).output().unwrap());
    let expected = run_bytes(&straight);

    // One run killed five times, each resume continuing from what the last kill left.
    let run = dir.path().join("killed");
    // (Killed before its first checkpoint, a run has nothing to resume from and says so.)
    let points = [
        Point::Checkpoint { epoch: 0, step: 5 },
        Point::BeforeRename,
        // Killed in the epoch's last step or its validation, after its last mid-epoch checkpoint.
        Point::Checkpoint {
            epoch: 1,
            step: STEPS - 1,
        },
        // Killed after the epoch's line was appended, before or while its checkpoint is written.
        Point::Logged { lines: 2 },
        Point::BeforeRename,
    ];
    for (i, point) in points.into_iter().enumerate() {
        let command = if i == 0 {
            train(&data, &run)
        } else {
            resume(&data, &run)
        };
        let out = stop_at(command, &run, point, libc::SIGKILL);
        assert_eq!(out.status.signal(), Some(libc::SIGKILL), "{point:?}");
    }
    let said = ok(&resume(&data, &run).output().unwrap());
    assert!(said.contains("resuming at epoch"), "{said}");
    assert_same_folder(&expected, &run, "killed five times and resumed");
}

#[test]
fn sigint_saves_mid_epoch_says_how_to_resume_and_the_resume_writes_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let data = DATA.write(dir.path(), "data");
    let straight = dir.path().join("straight");
    ok(&train(&data, &straight).output().unwrap());

    let run = dir.path().join("interrupted");
    let out = stop_at(
        train(&data, &run),
        &run,
        Point::Checkpoint { epoch: 1, step: 3 },
        libc::SIGINT,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    // The step it stops after is one the signal found running: the 4th or a later one.
    let (epoch, step) = stderr
        .split_once("interrupted at epoch ")
        .and_then(|(_, rest)| {
            let (e, rest) = rest.split_once(", step ")?;
            let (s, _) = rest.split_once(';')?;
            Some((e.parse::<usize>().ok()?, s.parse::<usize>().ok()?))
        })
        .unwrap_or_else(|| panic!("no interruption named in:\n{stderr}"));
    assert!((epoch, step) > (1, 3), "{stderr}");
    assert_eq!(checkpoint_position(&run), Some((epoch, step)), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "resume with: vae train --data {} --resume {}",
            data.display(),
            run.display()
        )),
        "{stderr}"
    );
    ok(&resume(&data, &run).output().unwrap());
    assert_same_folder(&run_bytes(&straight), &run, "interrupted by SIGINT");
}
