//! The program end to end on tiny synthetic data: `vae train` writes a run folder, `vae eval` reproduces
//! its test metrics, `vae recommend` answers in raw item ids, and bad flags are clear errors.

mod common;

use common::{ok, synth, vae, Synth};
use std::path::Path;

/// [`Synth::SMALL`] on seed 3.
const SEED_3: Synth = Synth {
    seed: 3,
    ..Synth::SMALL
};

#[test]
fn every_metric_of_k_is_in_results_and_vae_eval_reproduces_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    SEED_3.write(dir.path(), "data");
    let k = "ndcg@10,recall@5,mrr@10,hr@10,precision@10,map@10,coverage@10,gini@10,avgpop@10";
    ok(&vae(&[
        "train",
        "--data",
        &p("data"),
        "--model",
        "dae",
        "--dims",
        "12",
        "--epochs",
        "2",
        "--batch-size",
        "50",
        "--k",
        k,
        "--out",
        &p("run"),
    ]));
    let results: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(&p("run")).join("results.json")).unwrap(),
    )
    .unwrap();
    let eval: serde_json::Value = serde_json::from_str(&ok(&vae(&[
        "eval",
        "--checkpoint",
        &p("run"),
        "--data",
        &p("data"),
    ])))
    .unwrap();
    for name in k.split(',') {
        let value = results["test"][name].as_f64();
        assert!(
            value.is_some_and(|v| (0.0..=40.0 * 200.0).contains(&v)),
            "{name}: {}",
            results["test"]
        );
        assert_eq!(eval["metrics"][name], results["test"][name], "{name}");
    }
    // Coverage and Gini are shares of the 40 items; at most every item is covered.
    for name in ["coverage@10", "gini@10", "hr@10", "map@10"] {
        assert!(results["test"][name].as_f64().unwrap() <= 1.0, "{name}");
    }
    assert!(results["test_std_errs"].get("gini@10").is_none());
}

#[test]
fn train_then_eval_then_recommend() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    synth(dir.path());
    let out = ok(&vae(&[
        "train",
        "--data",
        &p("data"),
        "--model",
        "dae",
        "--dims",
        "12",
        "--epochs",
        "3",
        "--batch-size",
        "50",
        "--out",
        &p("run"),
    ]));
    assert!(
        out.contains("best epoch") && out.contains("test: ndcg@100"),
        "{out}"
    );

    let results: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(&p("run")).join("results.json")).unwrap(),
    )
    .unwrap();
    let eval: serde_json::Value = serde_json::from_str(&ok(&vae(&[
        "eval",
        "--checkpoint",
        &p("run"),
        "--data",
        &p("data"),
    ])))
    .unwrap();
    assert_eq!(
        eval["metrics"]["ndcg@100"], results["test"]["ndcg@100"],
        "eval reproduces the run's test figure"
    );
    // `--k` scores the same weights with other metrics; the run's own ones keep their values.
    let other: serde_json::Value = serde_json::from_str(&ok(&vae(&[
        "eval",
        "--checkpoint",
        &p("run"),
        "--data",
        &p("data"),
        "--k",
        "mrr@10,ndcg@100",
    ])))
    .unwrap();
    let names: Vec<&String> = other["metrics"].as_object().unwrap().keys().collect();
    assert_eq!(names, ["mrr@10", "ndcg@100"]);
    assert_eq!(other["metrics"]["ndcg@100"], results["test"]["ndcg@100"]);

    let items = std::fs::read_to_string(Path::new(&p("run")).join("items.txt")).unwrap();
    let first: Vec<&str> = items.lines().take(2).collect();
    let rec = ok(&vae(&[
        "recommend",
        "--checkpoint",
        &p("run"),
        "--items",
        &first.join(","),
        "--top",
        "3",
    ]));
    let lines: Vec<&str> = rec.lines().collect();
    assert_eq!(lines.len(), 3, "{rec}");
    for l in lines {
        let id = l.split_whitespace().nth(1).unwrap();
        assert!(
            items.lines().any(|i| i == id) && !first.contains(&id),
            "{l}"
        );
    }
}

#[test]
fn bad_flags_and_missing_folders_are_clear_errors() {
    let err = |args: &[&str]| {
        let out = vae(args);
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert!(err(&[
        "train",
        "--data",
        "/nonexistent",
        "--out",
        "/tmp/x",
        "--device",
        "tpu"
    ])
    .contains("--device tpu"));
    assert!(err(&[
        "train",
        "--data",
        "/nonexistent/pro_sg",
        "--out",
        "/tmp/never-written"
    ])
    .contains("/nonexistent/pro_sg"));
    assert!(err(&[
        "eval",
        "--checkpoint",
        "/nonexistent/run",
        "--data",
        "/nonexistent/pro_sg"
    ])
    .contains("/nonexistent"));
}

/// `--device sim` trains through the GPU backend on the simulated device and, on this small run,
/// reports the CPU's metrics to the printed digits.
#[test]
fn device_sim_trains_the_gpu_code_path_to_the_cpus_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    SEED_3.write(dir.path(), "data");
    let train = |device: &str| {
        let out = ok(&vae(&[
            "train",
            "--data",
            &p("data"),
            "--dims",
            "12,4",
            "--epochs",
            "2",
            "--batch-size",
            "50",
            "--device",
            device,
            // Every kind of metric, so that the list-level ones read the device's top-k too.
            "--k",
            "ndcg@100,recall@20,mrr@10,hr@10,precision@10,map@10,coverage@10,gini@10,avgpop@10",
            "--out",
            &p(device),
        ]));
        let test = out
            .lines()
            .find(|l| l.contains("best epoch") && l.contains("gini@10"))
            .map(str::to_string);
        test.unwrap_or_else(|| panic!("no test line in:\n{out}"))
    };
    assert_eq!(train("sim"), train("cpu"));
}
