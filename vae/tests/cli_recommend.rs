//! `vae recommend` answers for exactly the items the user clicked, given as a list or a file (for
//! ids that hold a comma), and says so when there is nothing to answer.

mod common;

use common::{fails_saying, ok, synth, vae, vae_cmd};
use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

/// `vae ARGS` with `stdin` on its standard input.
fn vae_reading(args: &[&str], stdin: &str) -> Output {
    let mut child = vae_cmd()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the vae binary runs");
    // A command that does not read its input closes the pipe first; that is no failure here.
    let _ = child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(stdin.as_bytes());
    child.wait_with_output().expect("the vae binary runs")
}

/// A one-epoch Mult-DAE over 40 synthetic items in `dir/run`; the run folder and its item ids.
fn trained_run(dir: &Path) -> (String, Vec<String>) {
    let data = synth(dir);
    let run = dir.join("run").to_str().unwrap().to_string();
    ok(&vae_cmd()
        .args(["train", "--data", &data, "--model", "dae"])
        .args(["--dims", "12", "--epochs", "1", "--batch-size", "50"])
        .args(["--out", &run])
        .output()
        .expect("the vae binary runs"));
    let items = std::fs::read_to_string(dir.join("run/items.txt")).unwrap();
    (run, items.lines().map(str::to_string).collect())
}

/// The ids `vae recommend` printed, one a line (`  1. ID  (score S)`).
fn recommended(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .map(|l| {
            let (_, rest) = l.split_once(". ").expect("a ranked line");
            let (id, score) = rest.rsplit_once("  (score ").expect("a score");
            assert!(!score.contains("inf"), "{l}");
            id.to_string()
        })
        .collect()
}

#[test]
fn a_repeated_id_counts_once_in_what_is_left_to_recommend() {
    let dir = tempfile::tempdir().unwrap();
    let (run, items) = trained_run(dir.path());
    let (a, b) = (items[0].as_str(), items[1].as_str());
    let clicked = format!("{a},{a},{b}");
    let out = ok(&vae(&[
        "recommend",
        "--checkpoint",
        &run,
        "--items",
        &clicked,
        "--top",
        "40",
    ]));
    let got = recommended(&out);
    assert_eq!(got.len(), 38, "{out}");
    assert!(!got.iter().any(|id| id == a || id == b), "{out}");
}

#[test]
fn nothing_to_recommend_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (run, items) = trained_run(dir.path());
    let every = items.join(",");
    fails_saying(
        &vae(&["recommend", "--checkpoint", &run, "--items", &every]),
        &["--items", "every one of the model's 40 items"],
    );
    fails_saying(
        &vae(&[
            "recommend",
            "--checkpoint",
            &run,
            "--items",
            &items[0],
            "--top",
            "0",
        ]),
        &["--top", "must be at least 1"],
    );
}

#[test]
fn ids_holding_a_comma_are_given_in_a_file_or_on_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let (run, mut items) = trained_run(dir.path());
    // MovieLens-1M's ids are titles; the model only sees their columns.
    items[0] = "American President, The (1995)".into();
    items[1] = "Twelve Monkeys (1995)".into();
    std::fs::write(Path::new(&run).join("items.txt"), items.join("\n") + "\n").unwrap();
    let list = format!("{}\n\n  {}  \n", items[0], items[1]);
    let file = dir.path().join("clicked.txt");
    std::fs::write(&file, &list).unwrap();
    for (source, stdin) in [(file.to_str().unwrap(), ""), ("-", list.as_str())] {
        let args = [
            "recommend",
            "--checkpoint",
            &run,
            "--items-file",
            source,
            "--top",
            "40",
        ];
        let out = ok(&vae_reading(&args, stdin));
        let got = recommended(&out);
        assert_eq!(got.len(), 38, "{source}: {out}");
        assert!(
            !got.contains(&items[0]) && !got.contains(&items[1]),
            "{out}"
        );
    }
    fails_saying(
        &vae(&["recommend", "--checkpoint", &run, "--items", &items[0]]),
        &[
            "--items: American President is not an item",
            "--items splits at commas",
            "--items-file",
        ],
    );
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "\n \n").unwrap();
    fails_saying(
        &vae(&[
            "recommend",
            "--checkpoint",
            &run,
            "--items-file",
            empty.to_str().unwrap(),
        ]),
        &["--items-file", "no item ids"],
    );
    fails_saying(
        &vae(&[
            "recommend",
            "--checkpoint",
            &run,
            "--items",
            &items[2],
            "--items-file",
            file.to_str().unwrap(),
        ]),
        &["--items", "--items-file"],
    );
}

#[test]
fn items_are_trimmed_and_an_empty_id_is_refused_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let (run, items) = trained_run(dir.path());
    let spaced = format!(" {} , {}", items[0], items[1]);
    let out = ok(&vae(&[
        "recommend",
        "--checkpoint",
        &run,
        "--items",
        &spaced,
        "--top",
        "40",
    ]));
    assert_eq!(recommended(&out).len(), 38, "{out}");
    let gap = format!("{},,{}", items[0], items[1]);
    for given in ["", " ", gap.as_str()] {
        fails_saying(
            &vae(&["recommend", "--checkpoint", &run, "--items", given]),
            &["--items", "an empty id"],
        );
    }
}

#[test]
fn an_ncf_run_is_refused_saying_which_models_fold_in_a_new_user() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), r#"{"model": "neumf"}"#).unwrap();
    let run = dir.path().to_str().unwrap();
    fails_saying(
        &vae(&["recommend", "--checkpoint", run, "--items", "1"]),
        &["a neumf run", "--model vae|dae"],
    );
}
