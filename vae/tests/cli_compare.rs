//! `vae compare` on real run folders: two runs of one command differ by exactly zero (and so does
//! a run against its own `vae eval --per-user` file), and runs of another split are refused with
//! the file that differs named.

mod common;

use common::{ok, refused, vae_cmd, Synth};
use std::path::Path;

/// 200 training users, 20 validation users and 20 test users over 40 items.
const DATA: Synth = Synth {
    users: 240,
    ..Synth::SMALL
};

/// A tiny Mult-DAE, two epochs, seed 5.
fn train(data: &Path, out: &Path) -> String {
    ok(&vae_cmd()
        .arg("train")
        .arg("--data")
        .arg(data)
        .arg("--out")
        .arg(out)
        .args(["--model", "dae", "--dims", "8", "--batch-size", "50"])
        .args(["--epochs", "2", "--eval-batch-size", "10", "--seed", "5"])
        .output()
        .unwrap());
    out.display().to_string()
}

fn compare_json(groups: &[&str]) -> serde_json::Value {
    let out = ok(&vae_cmd()
        .arg("compare")
        .args(groups)
        .arg("--json")
        .output()
        .unwrap());
    assert!(!out.contains("NaN"), "{out}");
    serde_json::from_str(&out).unwrap()
}

/// Every metric of every comparison has a mean difference of exactly 0, an interval [0, 0], no t
/// statistic (undefined without spread) and a Wilcoxon p of 1.
fn assert_all_zero(report: &serde_json::Value) {
    let comparisons = report["comparisons"].as_array().unwrap();
    assert!(!comparisons.is_empty());
    for c in comparisons {
        let metrics = c["metrics"].as_array().unwrap();
        assert!(!metrics.is_empty(), "{report}");
        for m in metrics {
            assert_eq!(m["mean_diff"].as_f64(), Some(0.0), "{m}");
            assert_eq!(m["mean_a"], m["mean_b"], "{m}");
            assert_eq!(m["ci95"], serde_json::json!([0.0, 0.0]), "{m}");
            assert!(m["t_test"].is_null(), "{m}");
            assert_eq!(m["wilcoxon"]["p"].as_f64(), Some(1.0), "{m}");
            assert_eq!(m["wilcoxon"]["method"], "all_zero", "{m}");
        }
    }
}

#[test]
fn two_runs_of_one_command_differ_by_exactly_zero() {
    let dir = tempfile::tempdir().unwrap();
    let data = DATA.write(dir.path(), "data");
    let a = train(&data, &dir.path().join("a"));
    let b = train(&data, &dir.path().join("b"));
    let report = compare_json(&[&a, &b]);
    assert!(report["users"].as_u64().unwrap() > 0, "{report}");
    assert!(report["notes"].as_array().unwrap().is_empty(), "{report}");
    assert_all_zero(&report);

    // A group of the two (same seed: noted) and the run's own re-evaluation are the same again.
    let per_user = dir.path().join("a-test.csv");
    ok(&vae_cmd()
        .args(["eval", "--checkpoint", &a, "--data"])
        .arg(&data)
        .arg("--per-user")
        .arg(&per_user)
        .output()
        .unwrap());
    let per_user = per_user.display().to_string();
    let group = format!("{a},{b}");
    let report = compare_json(&[&a, &group, &per_user]);
    assert_eq!(report["comparisons"].as_array().unwrap().len(), 2);
    assert_all_zero(&report);
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("same seed (5)") && notes.contains("records no data fingerprint"),
        "{notes}"
    );

    let table = ok(&vae_cmd().args(["compare", &a, &b]).output().unwrap());
    assert!(
        table.contains("B against A") && table.contains("t n/a"),
        "{table}"
    );
    assert!(!table.contains("NaN"), "{table}");
}

#[test]
fn runs_on_other_splits_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let one = DATA.write(dir.path(), "one");
    let other = Synth { seed: 3, ..DATA }.write(dir.path(), "other");
    let a = train(&one, &dir.path().join("a"));
    let b = train(&other, &dir.path().join("b"));
    let msg = refused(&vae_cmd().args(["compare", &a, &b]).output().unwrap());
    assert!(
        msg.contains("test_tr.csv") && msg.contains(&a) && msg.contains(&b),
        "{msg}"
    );
    assert!(msg.contains("not evaluated on the same split"), "{msg}");
}
