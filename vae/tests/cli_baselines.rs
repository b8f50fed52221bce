//! `vae train --model popularity|ease` writes a run folder that `vae eval` and `vae recommend` read
//! as they read a Mult-VAE run, and an EASE fit that cannot fit in memory is refused before it
//! allocates, naming the item count.

mod common;

use common::{fails_saying, four_users_among, ok, synth, vae};
use std::path::Path;

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The ids `vae recommend` printed, one a line (`  1. ID  (score S)`).
fn recommended(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .map(|l| {
            let (_, rest) = l.split_once(". ").expect("a ranked line");
            rest.rsplit_once("  (score ")
                .expect("a score")
                .0
                .to_string()
        })
        .collect()
}

#[test]
fn popularity_and_ease_train_evaluate_and_recommend_through_the_run_folder() {
    let dir = tempfile::tempdir().unwrap();
    let data = synth(dir.path());
    let k = "ndcg@100,recall@20,mrr@10,coverage@10";
    for (model, extra) in [
        ("popularity", vec![]),
        ("ease", vec!["--lambda", "1,10,100"]),
    ] {
        let run = dir.path().join(model);
        let run_s = run.to_str().unwrap();
        let mut args = vec![
            "train", "--model", model, "--data", &data, "--out", run_s, "--k", k,
        ];
        args.extend(&extra);
        ok(&vae(&args));
        for file in [
            "config.json",
            "items.txt",
            "best.safetensors",
            "results.json",
            "test_users.csv",
        ] {
            assert!(run.join(file).is_file(), "{model}: no {file}");
        }
        let config = json(&run.join("config.json"));
        assert_eq!(config["model"], model);
        assert!(config["data"]["train.csv"].is_string(), "{config}");
        let results = json(&run.join("results.json"));
        if model == "ease" {
            let grid = results["grid"].as_array().unwrap();
            assert_eq!(grid.len(), 3);
            let best = grid
                .iter()
                .max_by(|a, b| {
                    let v = |r: &serde_json::Value| r["validation"]["ndcg@100"].as_f64().unwrap();
                    v(a).total_cmp(&v(b))
                })
                .unwrap();
            assert_eq!(results["lambda"], best["lambda"]);
            assert_eq!(results["validation"], best["validation"]);
        }
        // `vae eval` scores the test users with best.safetensors as the run did.
        let eval: serde_json::Value =
            serde_json::from_str(&ok(&vae(&["eval", "--checkpoint", run_s, "--data", &data])))
                .unwrap();
        assert_eq!(eval["metrics"], results["test"], "{model}");
        // A new user: the top items, none of those clicked.
        let items: Vec<String> = std::fs::read_to_string(run.join("items.txt"))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        let clicked = format!("{},{}", items[0], items[1]);
        let out = ok(&vae(&[
            "recommend",
            "--checkpoint",
            run_s,
            "--items",
            &clicked,
            "--top",
            "5",
        ]));
        let top = recommended(&out);
        assert_eq!(top.len(), 5, "{out}");
        assert!(
            !top.contains(&items[0]) && !top.contains(&items[1]),
            "{out}"
        );
        // The same folder again is refused, without pointing to a resume that a fit lacks.
        let again = vae(&["train", "--model", model, "--data", &data, "--out", run_s]);
        fails_saying(&again, &["not empty", "--overwrite"]);
        assert!(!String::from_utf8_lossy(&again.stderr).contains("--resume"));
    }
}

#[test]
fn popularity_recommends_the_most_clicked_training_items_first() {
    let dir = tempfile::tempdir().unwrap();
    let data = synth(dir.path());
    let run = dir.path().join("pop");
    ok(&vae(&[
        "train",
        "--model",
        "popularity",
        "--data",
        &data,
        "--out",
        run.to_str().unwrap(),
    ]));
    let ids: Vec<String> = std::fs::read_to_string(Path::new(&data).join("unique_sid.txt"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let mut counts = vec![0usize; ids.len()];
    for line in std::fs::read_to_string(Path::new(&data).join("train.csv"))
        .unwrap()
        .lines()
        .skip(1)
    {
        let sid: usize = line.split(',').nth(1).unwrap().parse().unwrap();
        counts[sid] += 1;
    }
    // Most clicks first, the lower column first among ties; the clicked item left out.
    let mut order: Vec<usize> = (1..ids.len()).collect();
    order.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then(a.cmp(&b)));
    let out = ok(&vae(&[
        "recommend",
        "--checkpoint",
        run.to_str().unwrap(),
        "--items",
        &ids[0],
        "--top",
        "10",
    ]));
    let expected: Vec<String> = order[..10].iter().map(|&c| ids[c].clone()).collect();
    assert_eq!(recommended(&out), expected, "{out}");
}

#[test]
fn baselines_refuse_the_flags_of_training_and_ease_refuses_to_resume() {
    let dir = tempfile::tempdir().unwrap();
    let data = synth(dir.path());
    let run = dir.path().join("run");
    let run = run.to_str().unwrap();
    for (flag, value) in [("--epochs", "3"), ("--seed", "1"), ("--batch-size", "10")] {
        fails_saying(
            &vae(&[
                "train", "--model", "ease", "--data", &data, "--out", run, flag, value,
            ]),
            &[flag, "not --model ease"],
        );
    }
    fails_saying(
        &vae(&[
            "train",
            "--model",
            "popularity",
            "--data",
            &data,
            "--out",
            run,
            "--lambda",
            "5",
        ]),
        &["--lambda applies to --model ease"],
    );
    ok(&vae(&[
        "train", "--model", "ease", "--data", &data, "--out", run,
    ]));
    fails_saying(
        &vae(&["train", "--data", &data, "--resume", run]),
        &["closed form", "--overwrite"],
    );
}

#[test]
fn an_ease_fit_too_large_for_the_memory_is_refused_naming_the_item_count() {
    // The refusal reads MemAvailable (Linux).
    if !std::fs::read_to_string("/proc/meminfo").is_ok_and(|m| m.contains("MemAvailable:")) {
        return;
    }
    // 400,000 items: EASE's n × n matrices take ~2.9 TiB.
    let dir = tempfile::tempdir().unwrap();
    let data = four_users_among(dir.path(), 400_000);
    let run = dir.path().join("run");
    let out = vae(&[
        "train",
        "--model",
        "ease",
        "--data",
        data.to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
    ]);
    fails_saying(&out, &["EASE needs ~", "TiB for 400000 items", "available"]);
    assert!(!run.join("config.json").exists(), "nothing is written");
}
