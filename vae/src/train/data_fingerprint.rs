//! What a run was trained on: the SHA-256 of each data file, recorded under `data` in the run's
//! `config.json` (`{"train.csv": "9f2c…", "unique_sid.txt": "…"}`) and checked by `--resume` (every
//! file) and by `vae eval` (the item list), so that a run is never continued, or scored, on other
//! data that merely has the same number of items. Contents, not paths: a folder moved or copied with
//! the same bytes is the same data.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::error::{Result, TrainError};
use crate::data::pro_sg::CLICK_FILES;

/// File name (or role, such as `ratings`) → SHA-256 of its bytes, in hex.
pub type DataFingerprint = BTreeMap<String, String>;

/// The item list of a `pro_sg` folder, whose order is the models' column order.
pub const ITEMS: &str = "unique_sid.txt";

/// The files of the `pro_sg` folder `dir` that exist, under their names.
pub fn pro_sg_files(dir: &Path) -> Vec<(String, PathBuf)> {
    std::iter::once(ITEMS)
        .chain(CLICK_FILES)
        .map(|n| (n.to_string(), dir.join(n)))
        .filter(|(_, p)| p.is_file())
        .collect()
}

fn sha256_of(path: &Path) -> Result<String> {
    let io = |source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// The fingerprint of `files`.
pub fn of_files(files: &[(String, PathBuf)]) -> Result<DataFingerprint> {
    files
        .iter()
        .map(|(key, path)| Ok((key.clone(), sha256_of(path)?)))
        .collect()
}

/// Checks that each of `files` whose key `recorded` holds has the recorded bytes, in the order of
/// `files` (so the item list is named first); `config` is the file the record came from (for the
/// message). A recorded file absent from `files` is refused too; keys not recorded (runs from
/// before the record) are not checked.
pub fn verify(
    recorded: &DataFingerprint,
    files: &[(String, PathBuf)],
    config: &Path,
) -> Result<()> {
    for (key, path) in files {
        let Some(want) = recorded.get(key) else {
            continue;
        };
        if &sha256_of(path)? != want {
            return Err(TrainError::Invalid(format!(
                "{}: not the data the run was trained on (its SHA-256 differs from the one {} \
                 records for {key}); give the run's own data",
                path.display(),
                config.display()
            )));
        }
    }
    if let Some(key) = recorded.keys().find(|k| files.iter().all(|(f, _)| f != *k)) {
        return Err(TrainError::Invalid(format!(
            "the run was trained with a {key} that this data lacks ({} records it)",
            config.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_bytes_elsewhere_pass_and_one_changed_file_is_named() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        for dir in [a.path(), b.path()] {
            std::fs::write(dir.join(ITEMS), "10\n20\n").unwrap();
            std::fs::write(dir.join("train.csv"), "uid,sid\n0,0\n0,1\n").unwrap();
        }
        let recorded = of_files(&pro_sg_files(a.path())).unwrap();
        assert_eq!(recorded.len(), 2);
        let config = a.path().join("config.json");
        verify(&recorded, &pro_sg_files(b.path()), &config).unwrap();
        // Same size, other order of items.
        std::fs::write(b.path().join(ITEMS), "20\n10\n").unwrap();
        let err = verify(&recorded, &pro_sg_files(b.path()), &config)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!("{}: not the data", b.path().join(ITEMS).display()))
                && err.contains("config.json"),
            "{err}"
        );
        std::fs::remove_file(b.path().join(ITEMS)).unwrap();
        let err = verify(&recorded, &pro_sg_files(b.path()), &config)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unique_sid.txt that this data lacks"), "{err}");
    }
}
