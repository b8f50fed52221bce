//! `vae train` refuses bad values where they are parsed, naming the flag, and `--resume` refuses
//! every flag that would change the run, naming it.

mod common;

use common::{fails_saying, synth, vae};
use std::path::Path;

#[test]
fn out_of_range_values_are_refused_naming_the_flag() {
    // The data folder does not exist: each flag must be refused before it is read.
    let base = [
        "train",
        "--data",
        "/nonexistent",
        "--out",
        "/nonexistent/run",
    ];
    for (flag, value, reason) in [
        ("--dropout", "1.5", "must be in [0, 1)"),
        ("--dropout", "-0.1", "must be in [0, 1)"),
        ("--lr", "nan", "must be a finite number"),
        ("--lr", "0", "must be positive"),
        ("--l2", "-1", "must not be negative"),
        ("--beta", "inf", "must be a finite number"),
        ("--anneal-cap", "-0.2", "must not be negative"),
        ("--batch-size", "0", "must be at least 1"),
        ("--epochs", "0", "must be at least 1"),
        ("--dims", "600,0", "must be at least 1"),
        ("--eval-batch-size", "0", "must be at least 1"),
        ("--k", "ndcg@100,auc@5", "auc@5"),
        ("--checkpoint-every", "0", "--checkpoint-every"),
    ] {
        // `--flag=value`, so that a negative value is not taken for a flag.
        let given = format!("{flag}={value}");
        let out = vae(&[&base[..], &[given.as_str()]].concat());
        fails_saying(&out, &[flag, reason]);
    }
}

#[test]
fn metrics_without_an_ndcg_are_refused_naming_k() {
    let dir = tempfile::tempdir().unwrap();
    let data = synth(dir.path());
    let run = dir.path().join("run");
    let out = vae(&[
        "train",
        "--data",
        &data,
        "--out",
        run.to_str().unwrap(),
        "--k",
        "recall@20",
    ]);
    fails_saying(&out, &["--k recall@20", "ndcg@K"]);
}

#[test]
fn resume_refuses_flags_that_change_the_run_and_takes_epochs_as_an_extension() {
    let dir = tempfile::tempdir().unwrap();
    let data = synth(dir.path());
    let run = dir.path().join("run");
    let run = run.to_str().unwrap();
    let tiny = ["--model", "dae", "--dims", "12", "--batch-size", "50"];
    let out = vae(&[
        &["train", "--data", &data, "--out", run, "--epochs", "1"],
        &tiny[..],
    ]
    .concat());
    assert!(out.status.success(), "{out:?}");

    let resume = ["train", "--data", &data, "--resume", run];
    for flags in [
        &["--lr", "0.01"][..],
        &["--model", "dae"],
        &["--seed", "1"],
        &["--dropout", "0.2"],
        &["--pretrain"],
    ] {
        fails_saying(
            &vae(&[&resume[..], flags].concat()),
            &[flags[0], "config.json", "only --epochs may be given"],
        );
    }
    fails_saying(
        &vae(&[&resume[..], &["--batch-size", "50", "--k", "ndcg@10"]].concat()),
        &["--batch-size, --k:"],
    );

    // The config.json says dae, [12], batch 50: none of them needs repeating.
    let out = vae(&[&resume[..], &["--epochs", "2"]].concat());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout.contains("the run now goes to 2 epochs instead of 1"),
        "{stdout}"
    );
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(run).join("config.json")).unwrap())
            .unwrap();
    assert_eq!(config["epochs"], 2);
    assert_eq!(config["model"], "dae");
    assert_eq!(
        std::fs::read_to_string(Path::new(run).join("metrics.jsonl"))
            .unwrap()
            .lines()
            .count(),
        2
    );
}

#[test]
fn resume_of_a_folder_that_is_no_run_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = vae(&[
        "train",
        "--data",
        "/nonexistent",
        "--resume",
        dir.path().to_str().unwrap(),
    ]);
    fails_saying(&out, &["not a run folder (no config.json)"]);
}

#[test]
fn negative_values_after_a_space_reach_the_range_check() {
    let base = [
        "train",
        "--data",
        "/nonexistent",
        "--out",
        "/nonexistent/run",
    ];
    for (flag, value, reason) in [
        ("--dropout", "-0.1", "must be in [0, 1)"),
        ("--lr", "-0.001", "must be positive"),
        ("--anneal-cap", "-0.2", "must not be negative"),
        ("--epochs", "-1", "invalid value '-1' for '--epochs"),
        ("--dims", "-600", "invalid value '-600' for '--dims"),
        ("--factors", "-8", "invalid value '-8' for '--factors"),
        ("--threads", "-2", "invalid value '-2' for '--threads"),
    ] {
        fails_saying(&vae(&[&base[..], &[flag, value]].concat()), &[flag, reason]);
    }
}

#[test]
fn metrics_in_any_case_or_spacing_are_kept_in_their_canonical_names() {
    let dir = tempfile::tempdir().unwrap();
    let data = synth(dir.path());
    let run = dir.path().join("run");
    let out = vae(&[
        "train",
        "--data",
        &data,
        "--out",
        run.to_str().unwrap(),
        "--model",
        "dae",
        "--dims",
        "12",
        "--epochs",
        "1",
        "--batch-size",
        "50",
        "--k",
        "Recall@5, NDCG@10",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout.contains("ndcg@10 ") && stdout.contains("recall@5 "),
        "{stdout}"
    );
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("config.json")).unwrap()).unwrap();
    assert_eq!(
        config["metrics"],
        serde_json::json!(["recall@5", "ndcg@10"])
    );
}

#[test]
fn flags_the_model_does_not_read_or_another_flag_overrides_are_refused_naming_both() {
    let base = [
        "train",
        "--data",
        "/nonexistent",
        "--out",
        "/nonexistent/run",
    ];
    for (flags, says) in [
        (
            &["--factors", "8"][..],
            "--factors applies to --model gmf|neumf, not --model vae",
        ),
        (
            &["--model", "mlp", "--factors", "8"],
            "--factors applies to --model gmf|neumf, not --model mlp",
        ),
        (
            &["--model", "dae", "--layers", "8,4"],
            "--layers applies to --model mlp|neumf, not --model dae",
        ),
        (
            &["--model", "dae", "--protocol", "explicit"],
            "--protocol applies to --model gmf|mlp|neumf, not --model dae",
        ),
        (
            &["--learner", "sgd"],
            "--learner applies to --model gmf|mlp|neumf, not --model vae",
        ),
        (
            &["--model", "gmf", "--pretrain"],
            "--pretrain applies to --model neumf, not --model gmf",
        ),
        (
            &["--model", "gmf", "--dims", "10"],
            "--dims applies to --model vae|dae, not --model gmf",
        ),
        (
            &["--model", "neumf", "--dropout", "0.2"],
            "--dropout applies to --model vae|dae, not --model neumf",
        ),
        (
            // NCF reads --k under --protocol heldout only (Mult-VAE's split and metrics).
            &["--model", "mlp", "--k", "ndcg@10"],
            "--k lists the metrics of --protocol heldout",
        ),
        (
            &["--model", "gmf", "--eval-batch-size", "10"],
            "--eval-batch-size applies to --model vae|dae|popularity|ease|itemknn, not --model gmf",
        ),
        (
            &["--model", "dae", "--beta", "0.2"],
            "--beta applies to --model vae, not --model dae",
        ),
        (
            &["--model", "dae", "--anneal-cap", "0.2"],
            "--anneal-cap applies to --model vae, not --model dae",
        ),
        (
            &["--l2", "0.01"],
            "--l2 applies to --model dae, not --model vae",
        ),
        (
            &["--beta", "0.2", "--anneal-cap", "0.3"],
            "--beta fixes β, which --anneal-cap would anneal",
        ),
        (
            &["--beta", "0.2", "--total-anneal-steps", "10"],
            "--beta fixes β, which --total-anneal-steps would anneal",
        ),
        (
            &["--lr-epochs", "3"],
            "--lr-epochs applies to --lr-schedule plateau|step, not --lr-schedule constant (the \
             default)",
        ),
        (
            &["--lr-schedule", "constant", "--lr-epochs", "3"],
            "--lr-epochs applies to --lr-schedule plateau|step, not --lr-schedule constant",
        ),
    ] {
        fails_saying(&vae(&[&base[..], flags].concat()), &[says]);
    }
    // Each model's own flags get as far as the missing data.
    for flags in [
        &[
            "--model",
            "neumf",
            "--factors",
            "4",
            "--layers",
            "8,4",
            "--pretrain",
        ][..],
        &[
            "--model",
            "dae",
            "--l2",
            "0.01",
            "--lr-schedule",
            "step",
            "--lr-epochs",
            "3",
        ],
        &["--beta", "0.2", "--dims", "20,10", "--k", "ndcg@10"],
    ] {
        let out = vae(&[&base[..], flags].concat());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains("/nonexistent"),
            "{flags:?}: {stderr}"
        );
        assert!(!stderr.contains("applies to"), "{flags:?}: {stderr}");
    }
}

#[test]
fn threads_beyond_four_per_core_are_refused_naming_the_flag() {
    let cores = std::thread::available_parallelism().unwrap().get();
    let most = (4 * cores).to_string();
    let too_many = (4 * cores + 1).to_string();
    let train = [
        "train",
        "--data",
        "/nonexistent",
        "--out",
        "/nonexistent/run",
    ];
    for command in [&train[..], &["bench", "--epoch"]] {
        fails_saying(
            &vae(&[command, &["--threads", &too_many]].concat()),
            &[&format!("--threads {too_many}: at most {most}")],
        );
    }
    let out = vae(&[&train[..], &["--threads", &most]].concat());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("/nonexistent"),
        "{stderr}"
    );
}

#[test]
fn a_run_too_large_for_the_memory_is_refused_before_allocating_and_every_run_says_its_estimate() {
    let dir = tempfile::tempdir().unwrap();
    let data = synth(dir.path());
    let run = dir.path().join("run");
    let run = run.to_str().unwrap();
    let small = vae(&[
        "train", "--data", &data, "--out", run, "--model", "dae", "--dims", "12", "--epochs", "1",
    ]);
    let stdout = String::from_utf8_lossy(&small.stdout);
    assert!(small.status.success(), "{small:?}");
    // Among the run's first lines (after the data cache's note, when there is one).
    assert!(
        stdout.lines().take(2).any(|l| l.starts_with("memory: ~")
            && l.contains("(weights ")
            && l.contains(" available")),
        "{stdout}"
    );
    // 2·10¹⁸ weights: no machine holds them; the refusal needs /proc/meminfo (Linux).
    if std::fs::read_to_string("/proc/meminfo").is_ok_and(|m| m.contains("MemAvailable:")) {
        let huge_run = dir.path().join("huge");
        let huge = vae(&[
            "train",
            "--data",
            &data,
            "--out",
            huge_run.to_str().unwrap(),
            "--dims",
            "1000000000,1000000000",
        ]);
        fails_saying(&huge, &["the run needs ~", "PiB (weights", "available"]);
    }
}
