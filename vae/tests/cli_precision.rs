//! `--precision bf16`: refused where the backend has no bf16 GEMMs, naming the flag; recorded in
//! config.json; kept by `--resume` (a run stopped and resumed ends as one never stopped); and it
//! reaches the GEMMs (the run differs from its f32 twin).

use std::path::Path;
use std::process::{Command, Output};

fn vae(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vae"))
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("the vae binary runs")
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn fails_saying(out: &Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "expected failure, got success");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "{needle:?} not in:\n{stderr}");
    }
}

fn synth(dir: &Path) -> String {
    let data = dir.join("data");
    ok(vae(&[
        "data",
        "synth",
        "--out",
        data.to_str().unwrap(),
        "--users",
        "300",
        "--heldout-users",
        "40",
        "--items",
        "120",
        "--mean-clicks",
        "10",
        "--seed",
        "4",
    ]));
    data.to_str().unwrap().to_string()
}

fn config(run: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(run.join("config.json")).unwrap()).unwrap()
}

fn read(run: &Path, file: &str) -> Vec<u8> {
    std::fs::read(run.join(file)).unwrap()
}

#[test]
fn bf16_is_refused_where_there_are_no_bf16_gemms_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let run = run.to_str().unwrap();
    let out = vae(&[
        "train",
        "--data",
        "/nonexistent",
        "--out",
        run,
        "--device",
        "sim",
        "--precision",
        "bf16",
    ]);
    fails_saying(&out, &["--precision bf16", "--device sim", "CPU backend"]);
    let out = vae(&[
        "bench",
        "--device",
        "sim",
        "--precision",
        "bf16",
        "--data",
        "/nonexistent",
    ]);
    fails_saying(&out, &["--precision bf16", "--device sim"]);
    let out = vae(&[
        "train",
        "--data",
        "/nonexistent",
        "--out",
        run,
        "--model",
        "ease",
        "--precision",
        "bf16",
    ]);
    fails_saying(&out, &["--precision applies to --model vae|dae"]);
}

#[test]
fn a_bf16_run_records_its_precision_resumes_in_it_and_differs_from_f32() {
    let dir = tempfile::tempdir().unwrap();
    let data = synth(dir.path());
    let p = |name: &str| dir.path().join(name);
    let train = |run: &Path, precision: &str, epochs: &str| {
        ok(vae(&[
            "train",
            "--data",
            &data,
            "--out",
            run.to_str().unwrap(),
            "--model",
            "dae",
            "--dims",
            "24",
            "--batch-size",
            "50",
            "--epochs",
            epochs,
            "--precision",
            precision,
        ]))
    };
    train(&p("bf16"), "bf16", "2");
    train(&p("f32"), "f32", "2");
    assert_eq!(config(&p("bf16"))["precision"], "bf16");
    assert_eq!(config(&p("f32"))["precision"], "f32");
    // The operands' rounding shows in the losses.
    assert_ne!(
        read(&p("bf16"), "metrics.jsonl"),
        read(&p("f32"), "metrics.jsonl")
    );

    // One epoch, then --resume alone to two: the bf16 run of two epochs, byte for byte.
    train(&p("resumed"), "bf16", "1");
    let resumed = p("resumed");
    let resume = [
        "train",
        "--data",
        &data,
        "--resume",
        resumed.to_str().unwrap(),
    ];
    fails_saying(
        &vae(&[&resume[..], &["--precision", "f32"]].concat()),
        &["--precision", "config.json"],
    );
    ok(vae(&[&resume[..], &["--epochs", "2"]].concat()));
    assert_eq!(config(&resumed)["precision"], "bf16");
    for file in [
        "metrics.jsonl",
        "results.json",
        "best.safetensors",
        "last.safetensors",
    ] {
        assert!(
            read(&resumed, file) == read(&p("bf16"), file),
            "{file} differs"
        );
    }
}
