//! `vae train --model itemknn` writes a run folder that `vae eval` and `vae recommend` read as they
//! read an EASE run, `k` chosen on the validation users from `--knn-k`, and a new user's scores are
//! the cosines of RecBole's ItemKNN computed here from `train.csv`; a fit too large for the memory
//! is refused before it allocates, as EASE's is.

mod common;

use common::{fails_saying, four_users_among, ok, synth, vae};
use std::path::Path;

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The `(id, score)` pairs `vae recommend` printed, one a line (`  1. ID  (score S)`).
fn recommended(stdout: &str) -> Vec<(String, f64)> {
    stdout
        .lines()
        .map(|l| {
            let (_, rest) = l.split_once(". ").expect("a ranked line");
            let (id, score) = rest.rsplit_once("  (score ").expect("a score");
            (
                id.to_string(),
                score.trim_end_matches(')').parse().expect("a number"),
            )
        })
        .collect()
}

#[test]
fn itemknn_trains_evaluates_and_recommends_through_the_run_folder_k_picked_on_validation() {
    let dir = tempfile::tempdir().unwrap();
    let data = synth(dir.path());
    let run = dir.path().join("knn");
    let run_s = run.to_str().unwrap();
    ok(&vae(&[
        "train",
        "--model",
        "itemknn",
        "--knn-k",
        "1,5,40",
        "--data",
        &data,
        "--out",
        run_s,
        "--k",
        "ndcg@100,recall@20,coverage@10",
    ]));
    for file in [
        "config.json",
        "items.txt",
        "best.safetensors",
        "results.json",
        "test_users.csv",
    ] {
        assert!(run.join(file).is_file(), "no {file}");
    }
    let config = json(&run.join("config.json"));
    assert_eq!(config["model"], "itemknn");
    assert_eq!(config["knn_k"], serde_json::json!([1, 5, 40]));
    assert_eq!(config["shrink"], 0.0);
    let results = json(&run.join("results.json"));
    let grid = results["knn_grid"].as_array().unwrap();
    assert_eq!(grid.len(), 3);
    // One neighbour an item keeps 40 similarities, at most 40 for the 40 items.
    assert_eq!(grid[0]["stored"], 40);
    let best = grid
        .iter()
        .max_by(|a, b| {
            let v = |r: &serde_json::Value| r["validation"]["ndcg@100"].as_f64().unwrap();
            // The first of equal NDCGs is kept, as the fit keeps it.
            v(a).total_cmp(&v(b)).then(std::cmp::Ordering::Greater)
        })
        .unwrap();
    assert_eq!(results["knn_k"], best["k"]);
    assert_eq!(results["validation"], best["validation"]);
    assert!(results["fit_seconds"].as_f64().unwrap() >= 0.0);
    // `vae eval` scores the test users with best.safetensors as the run did.
    let eval: serde_json::Value =
        serde_json::from_str(&ok(&vae(&["eval", "--checkpoint", run_s, "--data", &data]))).unwrap();
    assert_eq!(eval["metrics"], results["test"]);
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
        top.iter().all(|(id, _)| id != &items[0] && id != &items[1]),
        "{out}"
    );
    let again = vae(&[
        "train", "--model", "itemknn", "--data", &data, "--out", run_s,
    ]);
    fails_saying(&again, &["not empty", "--overwrite"]);
    fails_saying(
        &vae(&["train", "--data", &data, "--resume", run_s]),
        &["closed form", "--overwrite"],
    );
}

/// `G = XᵀX` of `train.csv`, dense, by the column indices `sid`.
fn gram(data: &str, n: usize) -> Vec<f64> {
    let mut users: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for line in std::fs::read_to_string(Path::new(data).join("train.csv"))
        .unwrap()
        .lines()
        .skip(1)
    {
        let mut f = line.split(',').map(|v| v.parse::<usize>().unwrap());
        let (uid, sid) = (f.next().unwrap(), f.next().unwrap());
        users.entry(uid).or_default().push(sid);
    }
    let mut g = vec![0.0; n * n];
    for items in users.values() {
        for &i in items {
            for &j in items {
                g[i * n + j] += 1.0;
            }
        }
    }
    g
}

#[test]
fn a_new_user_of_one_click_is_offered_the_items_of_largest_cosine_with_it() {
    // With k past the item count every similarity is kept, so a user who clicked item a scores
    // each j by s_aj = G_aj / (√(G_aa·G_jj) + shrink).
    let dir = tempfile::tempdir().unwrap();
    let data = synth(dir.path());
    let ids: Vec<String> = std::fs::read_to_string(Path::new(&data).join("unique_sid.txt"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let n = ids.len();
    let g = gram(&data, n);
    let a = 3;
    for shrink in [0.0, 5.0] {
        let run = dir.path().join(format!("knn-{shrink}"));
        ok(&vae(&[
            "train",
            "--model",
            "itemknn",
            "--knn-k",
            "1000",
            "--shrink",
            &shrink.to_string(),
            "--data",
            &data,
            "--out",
            run.to_str().unwrap(),
        ]));
        let cosine: Vec<f64> = (0..n)
            .map(|j| {
                let d = (g[a * n + a] * g[j * n + j]).sqrt() + shrink;
                if j == a || g[a * n + j] == 0.0 {
                    0.0
                } else {
                    g[a * n + j] / d
                }
            })
            .collect();
        let out = ok(&vae(&[
            "recommend",
            "--checkpoint",
            run.to_str().unwrap(),
            "--items",
            &ids[a],
            "--top",
            "10",
        ]));
        let top = recommended(&out);
        assert_eq!(top.len(), 10, "{out}");
        for (id, score) in &top {
            let j = ids.iter().position(|i| i == id).unwrap();
            assert!(
                (score - cosine[j]).abs() < 6e-5,
                "shrink {shrink}: item {id} scored {score}, s_aj = {}",
                cosine[j]
            );
        }
        // No item left out scores above the tenth.
        let tenth = top[9].1;
        for j in (0..n).filter(|&j| j != a && !top.iter().any(|(id, _)| id == &ids[j])) {
            assert!(
                cosine[j] <= tenth + 6e-5,
                "shrink {shrink}: item {} (s {}) is missing from\n{out}",
                ids[j],
                cosine[j]
            );
        }
    }
}

#[test]
fn itemknn_flags_apply_to_itemknn_only_and_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let data = synth(dir.path());
    let run = dir.path().join("run");
    let run = run.to_str().unwrap();
    let train = |extra: &[&str]| {
        let mut args = vec!["train", "--data", &data, "--out", run];
        args.extend(extra);
        vae(&args)
    };
    fails_saying(
        &train(&["--model", "itemknn", "--lambda", "5"]),
        &["--lambda applies to --model ease, not --model itemknn"],
    );
    fails_saying(
        &train(&["--model", "ease", "--knn-k", "5"]),
        &["--knn-k applies to --model itemknn, not --model ease"],
    );
    fails_saying(
        &train(&["--model", "popularity", "--shrink", "1"]),
        &["--shrink applies to --model itemknn"],
    );
    fails_saying(
        &train(&["--model", "itemknn", "--knn-k", "5,0"]),
        &["--knn-k"],
    );
    fails_saying(
        &train(&["--model", "itemknn", "--shrink", "-1"]),
        &["--shrink"],
    );
    fails_saying(
        &train(&["--model", "itemknn", "--epochs", "3"]),
        &["--epochs", "not --model itemknn"],
    );
    assert!(!Path::new(run).join("config.json").exists());
}

#[test]
fn an_itemknn_fit_too_large_for_the_memory_is_refused_before_anything_is_written() {
    // The refusal reads MemAvailable (Linux).
    if !std::fs::read_to_string("/proc/meminfo").is_ok_and(|m| m.contains("MemAvailable:")) {
        return;
    }
    // 400,000 items: the Gram matrix alone takes 596 GiB.
    let dir = tempfile::tempdir().unwrap();
    let data = four_users_among(dir.path(), 400_000);
    let run = dir.path().join("run");
    let out = vae(&[
        "train",
        "--model",
        "itemknn",
        "--data",
        data.to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
    ]);
    fails_saying(
        &out,
        &["ItemKNN needs ~", "GiB for 400000 items", "available"],
    );
    assert!(!run.join("config.json").exists(), "nothing is written");
}
