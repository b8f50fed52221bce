//! Loading a `pro_sg` folder into click matrices, through a cache that is never trusted blindly.

use std::path::Path;

use vae::data::cache::CACHE_FILE;
use vae::data::{pro_sg, synth, CacheStatus, Dataset, SynthConfig};

fn tiny_folder(dir: &Path) {
    let config = SynthConfig {
        users: 60,
        heldout_users: 10,
        items: 40,
        mean_clicks: 9.0,
        ..SynthConfig::default()
    };
    let split = synth(&config).unwrap();
    let stats = vae::data::SplitStats::synthetic(&split, &config, None);
    pro_sg::write(dir, &split, &stats).unwrap();
}

#[test]
fn second_load_hits_the_cache_and_equals_the_parsed_folder() {
    let dir = tempfile::tempdir().unwrap();
    tiny_folder(dir.path());
    let (first, status) = Dataset::load_with_status(dir.path()).unwrap();
    assert!(matches!(status, CacheStatus::Rebuilt(_)), "{status:?}");
    let (second, status) = Dataset::load_with_status(dir.path()).unwrap();
    assert_eq!(status, CacheStatus::Hit);
    assert_eq!(first, second);
    assert_eq!(second, Dataset::load_uncached(dir.path()).unwrap());
    assert_eq!((second.train.rows(), second.n_items), (40, 40));
    assert_eq!(second.validation.first_uid, 40);
    assert_eq!(second.test.first_uid, 50);
    assert_eq!(second.test.fold_in.rows(), 10);
}

#[test]
fn a_corrupt_cache_is_rebuilt_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    tiny_folder(dir.path());
    let good = Dataset::load(dir.path()).unwrap();
    let cache = dir.path().join(CACHE_FILE);
    let mut bytes = std::fs::read(&cache).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(&cache, &bytes).unwrap();
    let (d, status) = Dataset::load_with_status(dir.path()).unwrap();
    assert!(
        matches!(&status, CacheStatus::Rebuilt(r) if r.contains("checksum")),
        "{status:?}"
    );
    assert_eq!(d, good);
    std::fs::write(&cache, &bytes[..100]).unwrap();
    let (d, status) = Dataset::load_with_status(dir.path()).unwrap();
    assert!(matches!(status, CacheStatus::Rebuilt(_)), "{status:?}");
    assert_eq!(d, good);
}

#[test]
fn a_stale_cache_is_rebuilt_when_a_text_file_changes() {
    let dir = tempfile::tempdir().unwrap();
    tiny_folder(dir.path());
    let before = Dataset::load(dir.path()).unwrap();
    // Drop the last training click: the folder is still valid, and different.
    let train = dir.path().join("train.csv");
    let text = std::fs::read_to_string(&train).unwrap();
    let cut = text.trim_end().rfind('\n').unwrap() + 1;
    std::fs::write(&train, &text[..cut]).unwrap();
    let (after, status) = Dataset::load_with_status(dir.path()).unwrap();
    assert!(
        matches!(&status, CacheStatus::Rebuilt(r) if r.contains("stale")),
        "{status:?}"
    );
    assert_eq!(after.train.nnz() + 1, before.train.nnz());
}

#[test]
fn a_cache_is_rebuilt_when_a_file_is_replaced_keeping_its_size_and_mtime() {
    let dir = tempfile::tempdir().unwrap();
    tiny_folder(dir.path());
    let before = Dataset::load(dir.path()).unwrap();
    // What `cp -p` of other data does: same size, same modification time, other bytes. Here two
    // clicks of different users trade items of the same width.
    let train = dir.path().join("train.csv");
    let meta = std::fs::metadata(&train).unwrap();
    let mut lines: Vec<(String, String)> = std::fs::read_to_string(&train)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let (u, s) = l.split_once(',').unwrap();
            (u.to_string(), s.to_string())
        })
        .collect();
    let (a, b) = (0..lines.len())
        .flat_map(|a| (a + 1..lines.len()).map(move |b| (a, b)))
        .find(|&(a, b)| {
            let (x, y) = (&lines[a], &lines[b]);
            x.0 != y.0 && x.1 != y.1 && x.1.len() == y.1.len()
        })
        .unwrap();
    let s = lines[a].1.clone();
    lines[a].1 = std::mem::replace(&mut lines[b].1, s);
    let text: String = std::iter::once("uid,sid\n".to_string())
        .chain(lines.iter().map(|(u, s)| format!("{u},{s}\n")))
        .collect();
    std::fs::write(&train, text).unwrap();
    let file = std::fs::File::options().write(true).open(&train).unwrap();
    file.set_modified(meta.modified().unwrap()).unwrap();
    drop(file);
    let now = std::fs::metadata(&train).unwrap();
    assert_eq!(
        (now.len(), now.modified().unwrap()),
        (meta.len(), meta.modified().unwrap())
    );

    let (after, status) = Dataset::load_with_status(dir.path()).unwrap();
    let note = status.note().unwrap_or_default();
    assert!(
        note.contains("files changed since the cache was made (train.csv)"),
        "{status:?}"
    );
    assert_ne!(after, before);
    assert_eq!(after, Dataset::load_uncached(dir.path()).unwrap());
}

/// A folder as the notebook writes it: only its six files, validation uids after the training ones.
fn notebook_folder(dir: &Path, train: &str) {
    std::fs::write(dir.join("unique_sid.txt"), "50\n7\n1\n").unwrap();
    std::fs::write(dir.join("train.csv"), train).unwrap();
    std::fs::write(dir.join("validation_tr.csv"), "uid,sid\n2,0\n2,1\n3,2\n").unwrap();
    std::fs::write(dir.join("validation_te.csv"), "uid,sid\n3,0\n").unwrap();
    std::fs::write(dir.join("test_tr.csv"), "uid,sid\n4,1\n").unwrap();
    std::fs::write(dir.join("test_te.csv"), "uid,sid\n4,2\n").unwrap();
}

#[test]
fn a_notebook_folder_imports_with_rows_aligned_from_the_first_uid() {
    let dir = tempfile::tempdir().unwrap();
    notebook_folder(dir.path(), "uid,sid\n0,0\n0,2\n1,1\n1,1\n");
    let d = Dataset::load(dir.path()).unwrap();
    assert_eq!(d.train.to_dense(0.0), vec![1.0, 0.0, 1.0, 0.0, 2.0, 0.0]);
    assert_eq!(d.validation.first_uid, 2);
    assert_eq!(
        d.validation.fold_in.to_dense(0.0),
        vec![1.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    );
    assert_eq!(
        d.validation.heldout.to_dense(0.0),
        vec![0.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    );
    assert_eq!((d.test.fold_in.rows(), d.test.heldout.nnz()), (1, 1));
    assert_eq!(d.item_id(0), Some("50"));
    assert_eq!(d.item_id(3), None);
}

#[test]
fn an_item_index_over_the_catalog_is_an_error_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    notebook_folder(dir.path(), "uid,sid\n0,0\n\n1,3\n");
    let err = Dataset::load(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("train.csv:4: item index 3 is not below the 3 items of unique_sid.txt"),
        "{err}"
    );
}

#[test]
fn a_folder_with_an_empty_split_is_refused_naming_the_file() {
    for (file, why) in [
        ("validation_tr.csv", "no validation user to fold in"),
        ("validation_te.csv", "no validation user has held-out items"),
        ("test_tr.csv", "no test user to fold in"),
        ("test_te.csv", "no test user has held-out items"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        notebook_folder(dir.path(), "uid,sid\n0,0\n1,1\n");
        std::fs::write(dir.path().join(file), "uid,sid\n").unwrap();
        let err = Dataset::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains(&format!("{file}: no clicks: {why}")),
            "{file}: {err}"
        );
    }
}

#[test]
fn a_huge_user_id_is_an_error_not_a_huge_allocation() {
    let dir = tempfile::tempdir().unwrap();
    notebook_folder(dir.path(), "uid,sid\n0,0\n4000000000,1\n");
    let err = Dataset::load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("expected dense 0-based uids"), "{err}");
}
