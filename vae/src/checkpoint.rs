//! Checkpoints as safetensors files (readable by `safetensors.torch.load_file`), written atomically:
//! a temporary file in the same folder, fsync, rename over the old file, fsync the folder. An
//! interruption at any point leaves either the old checkpoint or the new one, never half of one.
//!
//! The header is written here rather than by the safetensors crate, whose metadata is a `HashMap`
//! serialised in a per-process random order: the same state must give the same bytes, so that a
//! resumed run's folder can be compared byte for byte with an uninterrupted one.
//!
//! Every file carries the SHA-256 of each tensor and of its metadata ([`digest`]); [`load`] checks
//! them, reads no more than the header declares, and refuses NaN and ±inf, so nothing damaged is
//! trusted. A reader opens the file once: a checkpoint replaced while it reads (by rename) does not
//! change what it reads.

pub mod digest;
pub mod training_state;

use safetensors::{Dtype, SafeTensors};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// What can go wrong with a checkpoint, naming the file (and the tensor).
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a valid safetensors file: {detail}")]
    Corrupt { path: PathBuf, detail: String },
    /// A line of a run log (`metrics.jsonl`, `timings.jsonl`) that is not a record.
    #[error("{}:{line}: not a record of the run log: {detail}", path.display())]
    BadLine {
        path: PathBuf,
        line: usize,
        detail: String,
    },
    #[error("{}: cannot write it as JSON: {detail}", path.display())]
    Json { path: PathBuf, detail: String },
    #[error("{}: metadata {key} missing or malformed", path.display())]
    Metadata { path: PathBuf, key: String },
    /// The device failed to hand over or take a tensor.
    #[error(transparent)]
    Device(#[from] autograd::Error),
    #[error("{path}: tensor {name} is missing")]
    Missing { path: PathBuf, name: String },
    #[error("{path}: tensor {name} has shape {found:?} ({dtype}), expected {expected:?} (F32)")]
    Mismatch {
        path: PathBuf,
        name: String,
        found: Vec<usize>,
        dtype: String,
        expected: [usize; 2],
    },
    #[error(
        "{path}: {what} does not match the digest stored with it: the file is damaged (a flipped \
         bit, a partial copy or an edit); use a copy of it or train again"
    )]
    Damaged { path: PathBuf, what: String },
    #[error("{path}: tensor {name} holds {value} at index {index}; a checkpoint must be finite")]
    NonFinite {
        path: PathBuf,
        name: String,
        index: usize,
        value: f32,
    },
}

type Result<T> = std::result::Result<T, CheckpointError>;

/// A row-major f32 tensor with a name such as `encoder.0.weight`.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedTensor {
    pub name: String,
    pub shape: [usize; 2],
    pub data: Vec<f32>,
}

/// A loaded checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    path: PathBuf,
    pub tensors: BTreeMap<String, NamedTensor>,
    /// The metadata as saved, without the digests.
    pub metadata: BTreeMap<String, String>,
    /// Whether the file carried digests (and so was checked against them): those written before
    /// digests were added carry none.
    pub verified: bool,
}

impl Checkpoint {
    /// The data of tensor `name`, which must have `shape`.
    pub fn tensor(&self, name: &str, shape: [usize; 2]) -> Result<&[f32]> {
        let t = self
            .tensors
            .get(name)
            .ok_or_else(|| CheckpointError::Missing {
                path: self.path.clone(),
                name: name.to_string(),
            })?;
        if t.shape != shape {
            return Err(CheckpointError::Mismatch {
                path: self.path.clone(),
                name: name.into(),
                found: t.shape.to_vec(),
                dtype: "F32".into(),
                expected: shape,
            });
        }
        Ok(&t.data)
    }

    /// The metadata `key` read as a `T` (a counter, a score).
    pub fn number<T: std::str::FromStr>(&self, key: &str) -> Result<T> {
        self.metadata
            .get(key)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| CheckpointError::Metadata {
                path: self.path.clone(),
                key: key.to_string(),
            })
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CheckpointError + '_ {
    move |source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    commit_atomic(path, |tmp| {
        let mut f = std::fs::File::create(tmp).map_err(io(tmp))?;
        f.write_all(bytes).map_err(io(tmp))
    })
}

/// Lets `write` fill a temporary file beside `path`, syncs it and renames it over `path`: a crash
/// leaves either the old file or the new one, never half of one.
fn commit_atomic(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let written = write(&tmp).and_then(|()| {
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(io(&tmp))
    });
    if let Err(e) = written {
        // A half-written file would only take the space a full disk lacks.
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path).map_err(io(path))?;
    // The rename itself is durable once the folder is synced.
    if let Ok(d) = std::fs::File::open(dir) {
        d.sync_all().map_err(io(dir))?;
    }
    Ok(())
}

/// Whether `name` is the temporary file of an atomic write (`.NAME.tmp-PID`).
pub fn is_interrupted_write(name: &str) -> bool {
    name.starts_with('.') && name.contains(".tmp-")
}

/// Removes from `dir` the temporary files of atomic writes that an interruption cut short (the old
/// file beside each is whole); returns their paths. Only one process writes a run folder, so any
/// such file there is from a process that has died.
pub fn remove_interrupted_writes(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let path = entry.map_err(io(dir))?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.is_some_and(|n| is_interrupted_write(&n)) {
            std::fs::remove_file(&path).map_err(io(&path))?;
            removed.push(path);
        }
    }
    Ok(removed)
}

/// Writes `value` as pretty JSON, atomically.
pub fn write_json_atomic(path: &Path, value: &impl Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| CheckpointError::Json {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    write_atomic(path, (text + "\n").as_bytes())
}

/// The safetensors header: the metadata, then each tensor's dtype, shape and byte range, keys in
/// sorted order (`BTreeMap`), padded with spaces to a multiple of 8 bytes as the format asks.
fn header(tensors: &[&NamedTensor], metadata: &BTreeMap<String, String>) -> Vec<u8> {
    let mut entries = BTreeMap::new();
    entries.insert("__metadata__".to_string(), serde_json::json!(metadata));
    let mut offset = 0;
    for t in tensors {
        let end = offset + 4 * t.data.len();
        entries.insert(
            t.name.clone(),
            serde_json::json!({"dtype": "F32", "shape": t.shape, "data_offsets": [offset, end]}),
        );
        offset = end;
    }
    let mut bytes = serde_json::to_vec(&entries).unwrap_or_default();
    bytes.resize(bytes.len().next_multiple_of(8), b' ');
    bytes
}

/// Saves f32 tensors and string metadata as a safetensors file, atomically, with the digest of each
/// tensor and of the metadata added to the metadata. Each tensor's little-endian bytes are made a
/// block at a time while the file is written, so a checkpoint of Adam's state (≈ 300 MB at ML-20M's
/// shape) never exists in memory a second time.
pub fn save(
    path: &Path,
    tensors: &[NamedTensor],
    metadata: &BTreeMap<String, String>,
) -> Result<()> {
    for t in tensors {
        if t.data.len() != t.shape[0] * t.shape[1] {
            return Err(CheckpointError::Corrupt {
                path: path.to_path_buf(),
                detail: format!(
                    "{}: {} values for shape {:?}",
                    t.name,
                    t.data.len(),
                    t.shape
                ),
            });
        }
    }
    // The data follows the header's (sorted) order of names.
    let mut sorted: Vec<&NamedTensor> = tensors.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut metadata: BTreeMap<String, String> = metadata
        .iter()
        .filter(|(k, _)| !k.starts_with(digest::PREFIX))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let own = digest::of_metadata(&metadata);
    metadata.insert(digest::METADATA_KEY.to_string(), own);
    for t in &sorted {
        metadata.insert(digest::tensor_key(&t.name), digest::of_values(&t.data));
    }
    let head = header(&sorted, &metadata);
    commit_atomic(path, |tmp| {
        let file = std::fs::File::create(tmp).map_err(io(tmp))?;
        let mut w = BufWriter::new(file);
        w.write_all(&(head.len() as u64).to_le_bytes())
            .and_then(|_| w.write_all(&head))
            .map_err(io(tmp))?;
        for t in &sorted {
            for block in t.data.chunks(1 << 16) {
                let bytes: Vec<u8> = block.iter().flat_map(|v| v.to_le_bytes()).collect();
                w.write_all(&bytes).map_err(io(tmp))?;
            }
        }
        w.flush().map_err(io(tmp))
    })
}

/// safetensors' own bound on a header (100 MB).
const MAX_HEADER: u64 = 100_000_000;

/// The bytes of the safetensors file `path`, read through one handle and no further than its header
/// declares: a link to a device, or a file longer or shorter than its header says, is refused
/// before its data is read.
fn read_bounded(path: &Path) -> Result<Vec<u8>> {
    let corrupt = |detail: String| CheckpointError::Corrupt {
        path: path.to_path_buf(),
        detail,
    };
    let mut file = std::fs::File::open(path).map_err(io(path))?;
    let meta = file.metadata().map_err(io(path))?;
    if !meta.is_file() {
        return Err(corrupt("not a regular file".into()));
    }
    let size = meta.len();
    let mut len = [0u8; 8];
    file.read_exact(&mut len)
        .map_err(|_| corrupt(format!("{size} bytes, too short for a header")))?;
    let n = u64::from_le_bytes(len);
    if n > MAX_HEADER || 8 + n > size {
        return Err(corrupt(format!(
            "its header length field says {n} bytes, the file holds {size}"
        )));
    }
    let mut head = vec![0u8; n as usize];
    file.read_exact(&mut head).map_err(io(path))?;
    let entries: BTreeMap<String, serde_json::Value> = serde_json::from_slice(&head)
        .map_err(|e| corrupt(format!("its header is not JSON: {e}")))?;
    let data_len = entries
        .iter()
        .filter(|(k, _)| *k != "__metadata__")
        .filter_map(|(_, v)| v["data_offsets"][1].as_u64())
        .max()
        .unwrap_or(0);
    let declared = 8 + n + data_len;
    if declared != size {
        return Err(corrupt(format!(
            "the file is {size} bytes, its header declares {declared}"
        )));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    bytes.extend_from_slice(&len);
    bytes.extend_from_slice(&head);
    file.take(data_len)
        .read_to_end(&mut bytes)
        .map_err(io(path))?;
    if bytes.len() as u64 != declared {
        return Err(corrupt(format!(
            "the file ended at {} of its {declared} bytes while it was read",
            bytes.len()
        )));
    }
    Ok(bytes)
}

/// Loads every F32 matrix of a safetensors file, and its metadata, checking the digests the file
/// carries and that every value is finite.
pub fn load(path: &Path) -> Result<Checkpoint> {
    let bytes = read_bounded(path)?;
    let corrupt = |e: safetensors::SafeTensorError| CheckpointError::Corrupt {
        path: path.to_path_buf(),
        detail: e.to_string(),
    };
    let (_, header) = SafeTensors::read_metadata(&bytes).map_err(corrupt)?;
    let mut metadata: BTreeMap<String, String> = header
        .metadata()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    let damaged = |what: String| CheckpointError::Damaged {
        path: path.to_path_buf(),
        what,
    };
    let verified = metadata.keys().any(|k| k.starts_with(digest::PREFIX));
    if verified && metadata.get(digest::METADATA_KEY) != Some(&digest::of_metadata(&metadata)) {
        return Err(damaged("the metadata".into()));
    }
    let st = SafeTensors::deserialize(&bytes).map_err(corrupt)?;
    let mut tensors = BTreeMap::new();
    for (name, view) in st.tensors() {
        if verified
            && metadata.get(&digest::tensor_key(&name)) != Some(&digest::of_bytes(view.data()))
        {
            return Err(damaged(format!("tensor {name}")));
        }
        let shape = view.shape().to_vec();
        let expected = match shape[..] {
            [r, c] => [r, c],
            [n] => [1, n],
            _ => [0, 0],
        };
        if view.dtype() != Dtype::F32 || expected == [0, 0] && !shape.is_empty() {
            return Err(CheckpointError::Mismatch {
                path: path.to_path_buf(),
                name,
                found: shape,
                dtype: format!("{:?}", view.dtype()),
                expected,
            });
        }
        let data: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        if let Some(index) = data.iter().position(|v| !v.is_finite()) {
            return Err(CheckpointError::NonFinite {
                path: path.to_path_buf(),
                name,
                index,
                value: data[index],
            });
        }
        tensors.insert(
            name.clone(),
            NamedTensor {
                name,
                shape: expected,
                data,
            },
        );
    }
    if verified {
        // A digest whose tensor is gone: the header lost an entry.
        if let Some(k) = metadata.keys().find(|k| {
            k.strip_prefix(digest::PREFIX)
                .is_some_and(|n| k.as_str() != digest::METADATA_KEY && !tensors.contains_key(n))
        }) {
            return Err(damaged(format!("the header (no tensor for {k})")));
        }
    }
    metadata.retain(|k, _| !k.starts_with(digest::PREFIX));
    Ok(Checkpoint {
        path: path.to_path_buf(),
        tensors,
        metadata,
        verified,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<NamedTensor> {
        vec![
            NamedTensor {
                name: "encoder.0.weight".into(),
                shape: [2, 3],
                data: vec![1., 2., 3., 4., 5., 6.],
            },
            NamedTensor {
                name: "encoder.0.bias".into(),
                shape: [1, 3],
                data: vec![-1., 0.5, 0.25],
            },
        ]
    }

    #[test]
    fn a_checkpoint_round_trips_tensors_and_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("best.safetensors");
        let meta = BTreeMap::from([("epoch".to_string(), "7".to_string())]);
        save(&path, &sample(), &meta).unwrap();
        let ck = load(&path).unwrap();
        assert_eq!(ck.metadata["epoch"], "7");
        assert_eq!(
            ck.tensor("encoder.0.weight", [2, 3]).unwrap(),
            &[1., 2., 3., 4., 5., 6.]
        );
        let err = ck
            .tensor("encoder.0.weight", [3, 2])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("encoder.0.weight has shape [2, 3]") && err.contains("best.safetensors"),
            "{err}"
        );
        assert!(ck
            .tensor("decoder.0.bias", [1, 3])
            .unwrap_err()
            .to_string()
            .contains("decoder.0.bias is missing"));
    }

    #[test]
    fn the_same_state_gives_the_same_bytes_whatever_the_order_given() {
        let dir = tempfile::tempdir().unwrap();
        let meta: BTreeMap<String, String> =
            (0..20).map(|i| (format!("k{i}"), i.to_string())).collect();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        save(&a, &sample(), &meta).unwrap();
        let mut reversed = sample();
        reversed.reverse();
        save(&b, &reversed, &meta).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
        let ck = load(&b).unwrap();
        assert_eq!(ck.metadata, meta);
        assert_eq!(
            ck.tensor("encoder.0.bias", [1, 3]).unwrap(),
            &[-1., 0.5, 0.25]
        );
    }

    #[test]
    fn a_full_disk_leaves_the_previous_checkpoint_whole_and_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("last.safetensors");
        save(&path, &sample(), &BTreeMap::new()).unwrap();
        let before = std::fs::read(&path).unwrap();
        // The temporary file is a link to /dev/full, whose writes fail with ENOSPC as a full disk's do.
        let tmp = dir
            .path()
            .join(format!(".last.safetensors.tmp-{}", std::process::id()));
        std::os::unix::fs::symlink("/dev/full", &tmp).unwrap();
        let err = save(&path, &sample()[..1], &BTreeMap::new())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(".last.safetensors.tmp-") && err.contains("No space left on device"),
            "{err}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn a_truncated_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("last.safetensors");
        save(&path, &sample(), &BTreeMap::new()).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 5]).unwrap();
        let err = load(&path).unwrap_err().to_string();
        assert!(
            err.contains("last.safetensors: not a valid safetensors file"),
            "{err}"
        );
        assert!(load(&dir.path().join("absent.safetensors")).is_err());
    }

    #[test]
    fn a_write_interrupted_before_the_rename_leaves_the_old_checkpoint_and_its_leftover_goes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("best.safetensors");
        save(&path, &sample(), &BTreeMap::new()).unwrap();
        // What a crash mid-write leaves: a half temporary file beside the good checkpoint.
        let half = dir.path().join(".best.safetensors.tmp-1");
        std::fs::write(&half, b"half").unwrap();
        assert_eq!(load(&path).unwrap().tensors.len(), 2);
        assert_eq!(remove_interrupted_writes(dir.path()).unwrap(), [half]);
        assert_eq!(load(&path).unwrap().tensors.len(), 2);
    }

    /// The header's length and where each tensor's bytes start, from the file itself.
    fn layout(bytes: &[u8]) -> (usize, Vec<(String, usize)>) {
        let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        let (_, meta) = SafeTensors::read_metadata(bytes).unwrap();
        let mut starts: Vec<(String, usize)> = meta
            .tensors()
            .into_iter()
            .map(|(name, info)| (name, 8 + n + info.data_offsets.0))
            .collect();
        starts.sort_by_key(|(_, s)| *s);
        (n, starts)
    }

    #[test]
    fn a_flipped_bit_anywhere_is_refused_naming_the_file_and_what_is_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("best.safetensors");
        let meta = BTreeMap::from([("epoch".to_string(), "7".to_string())]);
        save(&path, &sample(), &meta).unwrap();
        let good = std::fs::read(&path).unwrap();
        assert!(load(&path).unwrap().verified);
        let (n, starts) = layout(&good);
        let epoch_at = good
            .windows(4)
            .position(|w| w == br#""7","#)
            .expect("the epoch's value in the header")
            + 1;
        let mut cases = vec![(epoch_at, "the metadata".to_string())];
        for (name, start) in &starts {
            cases.push((start + 1, format!("tensor {name}")));
        }
        for (at, what) in cases {
            let mut bad = good.clone();
            bad[at] ^= 0x01;
            std::fs::write(&path, &bad).unwrap();
            let err = load(&path).unwrap_err().to_string();
            assert!(
                err.contains("best.safetensors") && err.contains(&format!("{what} does not match")),
                "byte {at}: {err}"
            );
        }
        // Elsewhere in the header, a flip breaks its JSON or its length: refused all the same.
        for at in [0, 3, 8, 8 + n / 2, 8 + n - 1] {
            let mut bad = good.clone();
            bad[at] ^= 0x01;
            std::fs::write(&path, &bad).unwrap();
            let err = load(&path).unwrap_err().to_string();
            assert!(err.contains("best.safetensors: "), "byte {at}: {err}");
        }
    }

    #[test]
    fn a_non_finite_weight_is_refused_naming_the_tensor() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("best.safetensors");
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let mut tensors = sample();
            tensors[0].data[4] = bad;
            save(&path, &tensors, &BTreeMap::new()).unwrap();
            let err = load(&path).unwrap_err().to_string();
            assert!(
                err.contains("best.safetensors: tensor encoder.0.weight holds")
                    && err.contains("at index 4"),
                "{err}"
            );
        }
    }

    #[test]
    fn a_link_to_a_device_or_a_file_longer_than_its_header_is_refused_without_reading_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("best.safetensors");
        std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
        let err = load(&path).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
        std::fs::remove_file(&path).unwrap();
        save(&path, &sample(), &BTreeMap::new()).unwrap();
        let mut longer = std::fs::read(&path).unwrap();
        let declared = longer.len();
        longer.extend_from_slice(&[0; 12]);
        std::fs::write(&path, &longer).unwrap();
        let err = load(&path).unwrap_err().to_string();
        assert!(
            err.contains(&format!(
                "the file is {} bytes, its header declares {declared}",
                declared + 12
            )),
            "{err}"
        );
    }

    #[test]
    fn the_digests_keep_a_header_that_safetensors_itself_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("best.safetensors");
        let meta = BTreeMap::from([("epoch".to_string(), "7".to_string())]);
        save(&path, &sample(), &meta).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        // The reader Python's `safetensors.torch.load_file` is built on: every metadata value a
        // string, every tensor where its offsets say.
        let st = SafeTensors::deserialize(&bytes).unwrap();
        assert_eq!(st.names().len(), 2);
        let (_, header) = SafeTensors::read_metadata(&bytes).unwrap();
        let saved = header.metadata().clone().unwrap();
        assert_eq!(saved["epoch"], "7");
        assert_eq!(
            saved["sha256.encoder.0.bias"],
            digest::of_values(&[-1., 0.5, 0.25])
        );
        assert_eq!(load(&path).unwrap().metadata, meta);
    }

    #[test]
    fn a_checkpoint_from_before_digests_loads_unverified() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("best.safetensors");
        let t = &sample()[1];
        let data: Vec<u8> = t.data.iter().flat_map(|v| v.to_le_bytes()).collect();
        let st = safetensors::serialize(
            [(
                t.name.as_str(),
                safetensors::tensor::TensorView::new(Dtype::F32, vec![1, 3], &data).unwrap(),
            )],
            None,
        )
        .unwrap();
        std::fs::write(&path, st).unwrap();
        let ck = load(&path).unwrap();
        assert!(!ck.verified);
        assert_eq!(ck.tensor("encoder.0.bias", [1, 3]).unwrap(), &t.data[..]);
    }
}
