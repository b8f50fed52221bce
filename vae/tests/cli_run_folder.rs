//! The run folder is the user's: a real `vae train` never replaces a run without `--overwrite`, two
//! processes never write one folder together, and a damaged checkpoint, another data set or a
//! broken history is refused up front, naming the file, instead of trusted.

mod common;

use common::{folder_bytes, ok, refused, vae_cmd, Synth};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use vae::checkpoint;

/// 200 training users in batches of 50, 40 items.
const DATA: Synth = Synth {
    users: 240,
    ..Synth::SMALL
};

fn train(data: &Path, out: &Path, epochs: usize) -> Command {
    let mut c = vae_cmd();
    c.arg("train").arg("--data").arg(data).arg("--out").arg(out);
    c.args(["--model", "dae", "--dims", "8", "--batch-size", "50"]);
    c.args(["--epochs", &epochs.to_string(), "--eval-batch-size", "10"]);
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

fn eval(data: &Path, run: &Path) -> Command {
    let mut c = vae_cmd();
    c.arg("eval")
        .arg("--data")
        .arg(data)
        .arg("--checkpoint")
        .arg(run);
    c
}

fn recommend(run: &Path, item: &str) -> Command {
    let mut c = vae_cmd();
    c.arg("recommend")
        .arg("--checkpoint")
        .arg(run)
        .args(["--items", item]);
    c
}

fn first_item(data: &Path) -> String {
    std::fs::read_to_string(data.join("unique_sid.txt"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn out_onto_a_finished_run_is_refused_and_keeps_it_until_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let data = DATA.write(dir.path(), "data");
    let run = dir.path().join("run");
    ok(&train(&data, &run, 3).output().unwrap());
    let finished = folder_bytes(&run);
    let msg = refused(
        &train(&data, &run, 1)
            .args(["--seed", "9"])
            .output()
            .unwrap(),
    );
    assert!(
        msg.contains("not empty (a run: config.json, metrics.jsonl")
            && msg.contains(&format!(
                "`vae train --data {} --resume {}`",
                data.display(),
                run.display()
            ))
            && msg.contains("--overwrite"),
        "{msg}"
    );
    assert!(folder_bytes(&run) == finished, "the finished run changed");

    // --overwrite replaces the run, and keeps a file that is not the run's.
    std::fs::write(run.join("notes.txt"), "mine").unwrap();
    ok(&train(&data, &run, 1)
        .args(["--seed", "9", "--overwrite"])
        .output()
        .unwrap());
    let config = std::fs::read_to_string(run.join("config.json")).unwrap();
    assert!(config.contains("\"seed\": 9"), "{config}");
    assert_eq!(
        std::fs::read_to_string(run.join("notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(
        std::fs::read_to_string(run.join("metrics.jsonl"))
            .unwrap()
            .lines()
            .count(),
        1
    );

    // A folder of other files is refused too, and left as it was.
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("paper.pdf"), "x").unwrap();
    let msg = refused(&train(&data, &other, 1).output().unwrap());
    assert!(msg.contains("not empty (paper.pdf)"), "{msg}");
    assert_eq!(folder_bytes(&other).len(), 1);
}

/// A child process killed (SIGKILL) when dropped, so that a failed assertion leaves none running.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_second_train_on_a_locked_folder_is_refused_at_once_and_kill_9_frees_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let data = DATA.write(dir.path(), "data");
    let run = dir.path().join("run");
    // Long enough to be running throughout; a checkpoint after every update.
    let holder = Killed(
        train(&data, &run, 100_000)
            .args(["--checkpoint-every", "1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let holder_pid = holder.0.id();
    let started = Instant::now();
    while !run.join("last.safetensors").exists() {
        assert!(started.elapsed() < Duration::from_secs(60), "no checkpoint");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut overwrite = train(&data, &run, 1);
    overwrite.arg("--overwrite");
    for mut second in [resume(&data, &run), overwrite] {
        let asked = Instant::now();
        let msg = refused(&second.output().unwrap());
        assert!(asked.elapsed() < Duration::from_secs(2), "took {asked:?}");
        assert!(
            msg.contains(&format!("process {holder_pid} is training")) && msg.contains("lock"),
            "{msg}"
        );
    }
    drop(holder);

    // The kernel dropped the killed holder's lock: a resume takes it and trains.
    let mut next = Killed(
        resume(&data, &run)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = next.0.stdout.take().unwrap();
    let said = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find(|l| l.contains("resuming at epoch"));
    drop(next);
    assert!(said.is_some(), "the resume did not start");
}

/// Flips one bit of `path` at `at`.
fn flip(path: &Path, at: usize) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[at] ^= 0x10;
    std::fs::write(path, bytes).unwrap();
}

/// A byte of each tensor of a safetensors file, and one of its metadata's value of `key`.
fn positions(path: &Path, key: &str) -> Vec<(String, usize)> {
    let bytes = std::fs::read(path).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: BTreeMap<String, serde_json::Value> =
        serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    let pattern = format!("\"{key}\":\"");
    let epoch = bytes
        .windows(pattern.len())
        .position(|w| w == pattern.as_bytes())
        .unwrap()
        + pattern.len();
    let mut at = vec![("the metadata".to_string(), epoch)];
    for (name, v) in &header {
        if let Some(start) = v["data_offsets"][0].as_u64() {
            at.push((format!("tensor {name}"), 8 + n + start as usize + 1));
        }
    }
    at
}

#[test]
fn a_flipped_bit_in_a_checkpoint_is_refused_by_eval_recommend_and_resume() {
    let dir = tempfile::tempdir().unwrap();
    let data = DATA.write(dir.path(), "data");
    let run = dir.path().join("run");
    ok(&train(&data, &run, 2).output().unwrap());
    let item = first_item(&data);
    let best = run.join("best.safetensors");
    let good = std::fs::read(&best).unwrap();
    let cases = positions(&best, "epoch");
    assert_eq!(cases.len(), 5, "{cases:?}");
    for (what, at) in cases {
        flip(&best, at);
        for cmd in [
            &mut eval(&data, &run),
            &mut recommend(&run, &item),
            resume(&data, &run).args(["--epochs", "3"]),
        ] {
            let msg = refused(&cmd.output().unwrap());
            assert!(
                msg.contains("best.safetensors: ")
                    && msg.contains(&format!("{what} does not match")),
                "{what}: {msg}"
            );
        }
        std::fs::write(&best, &good).unwrap();
    }
    let last = run.join("last.safetensors");
    let (what, at) = positions(&last, "next_epoch").pop().unwrap();
    flip(&last, at);
    let msg = refused(
        &resume(&data, &run)
            .args(["--epochs", "3"])
            .output()
            .unwrap(),
    );
    assert!(
        msg.contains("last.safetensors: ") && msg.contains(&format!("{what} does not match")),
        "{msg}"
    );
}

#[test]
fn a_non_finite_weight_or_a_link_to_a_device_is_refused_naming_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let data = DATA.write(dir.path(), "data");
    let run = dir.path().join("run");
    ok(&train(&data, &run, 1).output().unwrap());
    let best = run.join("best.safetensors");
    let mut ck = checkpoint::load(&best).unwrap();
    ck.tensors.get_mut("decoder.0.bias").unwrap().data[3] = f32::NAN;
    let tensors: Vec<_> = ck.tensors.values().cloned().collect();
    checkpoint::save(&best, &tensors, &ck.metadata).unwrap();
    let msg = refused(&eval(&data, &run).output().unwrap());
    assert!(
        msg.contains("best.safetensors: tensor decoder.0.bias holds NaN at index 3"),
        "{msg}"
    );

    std::fs::remove_file(&best).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &best).unwrap();
    let asked = Instant::now();
    let msg = refused(&eval(&data, &run).output().unwrap());
    assert!(asked.elapsed() < Duration::from_secs(10));
    assert!(
        msg.contains("best.safetensors: not a valid safetensors file: not a regular file"),
        "{msg}"
    );
}

/// A copy of the folder `from` at `to`, with `edit` applied to its file `name`.
fn copy_with(from: &Path, to: &Path, name: &str, edit: impl Fn(String) -> String) {
    std::fs::create_dir(to).unwrap();
    for (file, bytes) in folder_bytes(from) {
        if !file.starts_with('.') {
            std::fs::write(to.join(&file), bytes).unwrap();
        }
    }
    let path = to.join(name);
    std::fs::write(&path, edit(std::fs::read_to_string(&path).unwrap())).unwrap();
}

#[test]
fn a_resume_or_eval_on_other_data_of_the_same_item_count_is_refused_and_a_moved_copy_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let data = DATA.write(dir.path(), "data");
    let run = dir.path().join("run");
    ok(&train(&data, &run, 1).output().unwrap());

    // One click fewer: the same items, other data.
    let fewer = dir.path().join("fewer");
    copy_with(&data, &fewer, "train.csv", |t| {
        let lines: Vec<&str> = t.lines().collect();
        lines[..lines.len() - 1].join("\n") + "\n"
    });
    let msg = refused(
        &resume(&fewer, &run)
            .args(["--epochs", "2"])
            .output()
            .unwrap(),
    );
    assert!(
        msg.contains("fewer/train.csv: not the data the run was trained on"),
        "{msg}"
    );
    // The items in another order: the same count, other columns.
    let swapped = dir.path().join("swapped");
    copy_with(&data, &swapped, "unique_sid.txt", |t| {
        let mut lines: Vec<&str> = t.lines().collect();
        lines.swap(0, 1);
        lines.join("\n") + "\n"
    });
    let msg = refused(&eval(&swapped, &run).output().unwrap());
    assert!(
        msg.contains("swapped/unique_sid.txt: not the data the run was trained on"),
        "{msg}"
    );

    let moved = dir.path().join("moved");
    copy_with(&data, &moved, "train.csv", |t| t);
    ok(&eval(&moved, &run).output().unwrap());
    ok(&resume(&moved, &run)
        .args(["--epochs", "2"])
        .output()
        .unwrap());
}

#[test]
fn a_resume_without_its_history_is_refused_before_training_and_a_bad_line_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let data = DATA.write(dir.path(), "data");
    let run = dir.path().join("run");
    ok(&train(&data, &run, 2).output().unwrap());
    let metrics = run.join("metrics.jsonl");
    let history = std::fs::read_to_string(&metrics).unwrap();
    let last = std::fs::read(run.join("last.safetensors")).unwrap();

    std::fs::remove_file(&metrics).unwrap();
    let msg = refused(
        &resume(&data, &run)
            .args(["--epochs", "4"])
            .output()
            .unwrap(),
    );
    assert!(
        msg.contains("metrics.jsonl: missing, but the checkpoint has trained 2 epoch(s)"),
        "{msg}"
    );
    assert_eq!(std::fs::read(run.join("last.safetensors")).unwrap(), last);

    let first = history.lines().next().unwrap();
    std::fs::write(&metrics, format!("{first}\n")).unwrap();
    let msg = refused(
        &resume(&data, &run)
            .args(["--epochs", "4"])
            .output()
            .unwrap(),
    );
    assert!(msg.contains("no line for epoch(s) 1 of the 2"), "{msg}");

    std::fs::write(&metrics, format!("{{\"epoch\": oops}}\n{history}")).unwrap();
    let msg = refused(
        &resume(&data, &run)
            .args(["--epochs", "4"])
            .output()
            .unwrap(),
    );
    assert!(
        msg.contains("metrics.jsonl:1: not a record of the run log")
            && !msg.contains("safetensors"),
        "{msg}"
    );
    assert_eq!(std::fs::read(run.join("last.safetensors")).unwrap(), last);
}
