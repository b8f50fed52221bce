//! Checkpoints as safetensors files, written atomically, with PyTorch-style tensor names
//! (`encoder.0.weight`) and string metadata (config JSON, epoch, step counters).
//!
//! A checkpoint on disk is always either the previous complete file or the new complete file: the
//! new one is written to a temporary file in the same folder, synced, renamed over the old one, and
//! the folder is synced so the rename itself survives a power cut. `docs/checkpoints.md` shows how
//! to load the files from PyTorch.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use safetensors::tensor::{Dtype, SafeTensors, View};
use serde::Serialize;

/// A named `f32` tensor to save, borrowed from the model: `data` is row-major with `shape`.
#[derive(Debug, Clone, Copy)]
pub struct TensorRef<'a> {
    pub name: &'a str,
    pub shape: &'a [usize],
    pub data: &'a [f32],
}

/// A tensor read back from a checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// A checkpoint loaded into memory: its tensors by name and its metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    path: PathBuf,
    tensors: BTreeMap<String, Tensor>,
    metadata: BTreeMap<String, String>,
}

/// A checkpoint that could not be saved or loaded; every message names the file, and the tensor or
/// key where there is one.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The file does not exist.
    #[error("{}: no such checkpoint (was the run trained with this output folder?)", path.display())]
    NotFound { path: PathBuf },
    /// Reading, writing, syncing or renaming failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not a valid safetensors file: truncated, overwritten, or not a checkpoint.
    #[error("{}: not a valid safetensors file ({reason}); it may be truncated", path.display())]
    Corrupt { path: PathBuf, reason: String },
    /// A tensor is stored in another dtype than `f32`.
    #[error("{}: tensor {tensor:?} has dtype {dtype}, expected F32", path.display())]
    WrongDtype {
        path: PathBuf,
        tensor: String,
        dtype: String,
    },
    /// A tensor the caller needs is not in the file.
    #[error("{}: no tensor {tensor:?} (the file holds: {available})", path.display())]
    MissingTensor {
        path: PathBuf,
        tensor: String,
        available: String,
    },
    /// A tensor has another shape than the caller's model, e.g. a checkpoint of another item count.
    #[error("{}: tensor {tensor:?} has shape {found:?}, expected {expected:?}", path.display())]
    ShapeMismatch {
        path: PathBuf,
        tensor: String,
        found: Vec<usize>,
        expected: Vec<usize>,
    },
    /// A metadata key the caller needs is not in the file.
    #[error("{}: no metadata entry {key:?}", path.display())]
    MissingMetadata { path: PathBuf, key: String },
    /// The tensors given to [`save`] are inconsistent (data length ≠ product of the shape, a name twice).
    #[error("{}: cannot save: {reason}", path.display())]
    InvalidTensor { path: PathBuf, reason: String },
    /// A value given to [`write_json_atomic`] cannot be written as JSON.
    #[error("{}: cannot serialise to JSON: {source}", path.display())]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
}

type Result<T> = std::result::Result<T, CheckpointError>;

/// Saves `tensors` (as `F32`) and `metadata` to the safetensors file at `path`, atomically.
///
/// Tensors are stored sorted by name, as safetensors requires; the order of the metadata keys in
/// the header may vary from one save to the next (safetensors holds them in a `HashMap`).
pub fn save(
    path: &Path,
    tensors: &[TensorRef<'_>],
    metadata: &BTreeMap<String, String>,
) -> Result<()> {
    let invalid = |reason: String| CheckpointError::InvalidTensor {
        path: path.to_path_buf(),
        reason,
    };
    for (i, t) in tensors.iter().enumerate() {
        let expected: usize = t.shape.iter().product();
        if expected != t.data.len() {
            return Err(invalid(format!(
                "tensor {:?} has {} values, shape {:?} needs {expected}",
                t.name,
                t.data.len(),
                t.shape
            )));
        }
        if tensors[..i].iter().any(|u| u.name == t.name) {
            return Err(invalid(format!("tensor {:?} given twice", t.name)));
        }
    }
    let views = tensors.iter().map(|t| (t.name, F32View(*t)));
    let info: HashMap<String, String> = metadata.clone().into_iter().collect();
    write_atomic(path, |tmp| {
        safetensors::serialize_to_file(views, Some(info), tmp).map_err(|e| match e {
            safetensors::SafeTensorError::IoError(source) => CheckpointError::Io {
                path: tmp.to_path_buf(),
                source,
            },
            other => invalid(other.to_string()),
        })
    })
}

/// Writes `value` as pretty JSON (with a final newline) to `path`, atomically: `config.json`,
/// `results.json`.
pub fn write_json_atomic(path: &Path, value: &impl Serialize) -> Result<()> {
    let mut text = serde_json::to_vec_pretty(value).map_err(|source| CheckpointError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    text.push(b'\n');
    write_atomic(path, |tmp| {
        let mut file = File::create(tmp).map_err(io_at(tmp))?;
        file.write_all(&text).map_err(io_at(tmp))
    })
}

impl Checkpoint {
    /// Reads and validates the whole file at `path`.
    pub fn load(path: &Path) -> Result<Checkpoint> {
        let bytes = fs::read(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                CheckpointError::NotFound {
                    path: path.to_path_buf(),
                }
            } else {
                CheckpointError::Io {
                    path: path.to_path_buf(),
                    source,
                }
            }
        })?;
        let corrupt = |e: safetensors::SafeTensorError| CheckpointError::Corrupt {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        let (_, header) = SafeTensors::read_metadata(&bytes).map_err(corrupt)?;
        let file = SafeTensors::deserialize(&bytes).map_err(corrupt)?;
        let metadata: BTreeMap<String, String> = header
            .metadata()
            .as_ref()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let mut tensors = BTreeMap::new();
        for (name, view) in file.iter() {
            if view.dtype() != Dtype::F32 {
                return Err(CheckpointError::WrongDtype {
                    path: path.to_path_buf(),
                    tensor: name.to_string(),
                    dtype: view.dtype().to_string(),
                });
            }
            let data = view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            let shape = view.shape().to_vec();
            tensors.insert(name.to_string(), Tensor { shape, data });
        }
        Ok(Checkpoint {
            path: path.to_path_buf(),
            tensors,
            metadata,
        })
    }

    /// The file this checkpoint was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// All metadata entries.
    pub fn metadata(&self) -> &BTreeMap<String, String> {
        &self.metadata
    }

    /// The metadata entry `key`, or an error naming the file and the key.
    pub fn meta(&self, key: &str) -> Result<&str> {
        self.metadata
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| CheckpointError::MissingMetadata {
                path: self.path.clone(),
                key: key.to_string(),
            })
    }

    /// The tensor names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.tensors.keys().map(String::as_str)
    }

    /// The values of tensor `name`, checked to have shape `expected`.
    pub fn tensor(&self, name: &str, expected: &[usize]) -> Result<&[f32]> {
        let tensor = self.tensors.get(name).ok_or_else(|| self.missing(name))?;
        self.check_shape(name, &tensor.shape, expected)?;
        Ok(&tensor.data)
    }

    /// Moves tensor `name` (checked to have shape `expected`) out of the checkpoint, without a copy.
    pub fn take_tensor(&mut self, name: &str, expected: &[usize]) -> Result<Vec<f32>> {
        let shape = match self.tensors.get(name) {
            Some(t) => t.shape.clone(),
            None => return Err(self.missing(name)),
        };
        self.check_shape(name, &shape, expected)?;
        match self.tensors.remove(name) {
            Some(t) => Ok(t.data),
            None => Err(self.missing(name)),
        }
    }

    fn missing(&self, name: &str) -> CheckpointError {
        CheckpointError::MissingTensor {
            path: self.path.clone(),
            tensor: name.to_string(),
            available: self.names().collect::<Vec<_>>().join(", "),
        }
    }

    fn check_shape(&self, name: &str, found: &[usize], expected: &[usize]) -> Result<()> {
        if found == expected {
            return Ok(());
        }
        Err(CheckpointError::ShapeMismatch {
            path: self.path.clone(),
            tensor: name.to_string(),
            found: found.to_vec(),
            expected: expected.to_vec(),
        })
    }
}

/// Little-endian `f32` bytes for safetensors; borrowed without a copy on little-endian machines.
struct F32View<'a>(TensorRef<'a>);

impl View for F32View<'_> {
    fn dtype(&self) -> Dtype {
        Dtype::F32
    }
    fn shape(&self) -> &[usize] {
        self.0.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        if cfg!(target_endian = "little") {
            Cow::Borrowed(bytemuck::cast_slice(self.0.data))
        } else {
            Cow::Owned(self.0.data.iter().flat_map(|x| x.to_le_bytes()).collect())
        }
    }
    fn data_len(&self) -> usize {
        self.0.data.len() * 4
    }
}

fn io_at(path: &Path) -> impl Fn(std::io::Error) -> CheckpointError + '_ {
    move |source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Runs `write` on a temporary file next to `path`, then fsyncs it, renames it to `path` and fsyncs
/// the folder. On any failure the temporary file is removed and `path` is left as it was.
fn write_atomic(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let file_name = path
        .file_name()
        .ok_or_else(|| CheckpointError::InvalidTensor {
            path: path.to_path_buf(),
            reason: "the path names no file".into(),
        })?
        .to_string_lossy()
        .into_owned();
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let result = write(&tmp).and_then(|()| {
        // The data must be on disk before the rename makes it the checkpoint.
        OpenOptions::new()
            .write(true)
            .open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(io_at(&tmp))?;
        fs::rename(&tmp, path).map_err(io_at(path))?;
        // The rename is an update of the folder: sync it so the new name survives a crash.
        File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(io_at(&dir))
    });
    if result.is_err() && tmp.exists() {
        // Best effort: the error being reported is the write's, not the clean-up's.
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Vec<f32>, Vec<f32>, BTreeMap<String, String>) {
        let weight: Vec<f32> = (0..6).map(|i| i as f32 * 0.5 - 1.0).collect();
        let bias = vec![0.25, -0.0, f32::MIN_POSITIVE];
        let meta = BTreeMap::from([
            ("epoch".to_string(), "7".to_string()),
            ("config".to_string(), "{\"dims\":[600,200]}".to_string()),
        ]);
        (weight, bias, meta)
    }

    fn save_sample(path: &Path) {
        let (weight, bias, meta) = sample();
        save(
            path,
            &[
                TensorRef {
                    name: "encoder.0.weight",
                    shape: &[2, 3],
                    data: &weight,
                },
                TensorRef {
                    name: "encoder.0.bias",
                    shape: &[3],
                    data: &bias,
                },
            ],
            &meta,
        )
        .unwrap();
    }

    #[test]
    fn saved_tensors_and_metadata_load_back_bit_identical() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("best.safetensors");
        save_sample(&path);
        let (weight, bias, meta) = sample();
        let mut ckpt = Checkpoint::load(&path).unwrap();
        assert_eq!(ckpt.metadata(), &meta);
        assert_eq!(ckpt.meta("epoch").unwrap(), "7");
        assert_eq!(
            ckpt.names().collect::<Vec<_>>(),
            ["encoder.0.bias", "encoder.0.weight"]
        );
        let got: Vec<u32> = ckpt
            .tensor("encoder.0.bias", &[3])
            .unwrap()
            .iter()
            .map(|x| x.to_bits())
            .collect();
        assert_eq!(got, bias.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
        assert_eq!(
            ckpt.take_tensor("encoder.0.weight", &[2, 3]).unwrap(),
            weight
        );
        // No temporary file is left next to the checkpoint.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn missing_tensor_shape_mismatch_and_missing_metadata_name_file_and_tensor() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("best.safetensors");
        save_sample(&path);
        let ckpt = Checkpoint::load(&path).unwrap();
        let msg = ckpt
            .tensor("decoder.0.weight", &[3, 2])
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("best.safetensors")
                && msg.contains("\"decoder.0.weight\"")
                && msg.contains("encoder.0.bias"),
            "{msg}"
        );
        let msg = ckpt
            .tensor("encoder.0.weight", &[3, 2])
            .unwrap_err()
            .to_string();
        assert!(msg.contains("shape [2, 3], expected [3, 2]"), "{msg}");
        assert!(matches!(
            ckpt.meta("step"),
            Err(CheckpointError::MissingMetadata { .. })
        ));
    }

    #[test]
    fn truncated_or_missing_files_are_errors_not_panics() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("best.safetensors");
        save_sample(&path);
        let bytes = fs::read(&path).unwrap();
        for len in [0, 4, 8, 20, bytes.len() / 2, bytes.len() - 1] {
            fs::write(&path, &bytes[..len]).unwrap();
            let err = Checkpoint::load(&path).unwrap_err();
            assert!(
                matches!(err, CheckpointError::Corrupt { .. }),
                "length {len}: {err}"
            );
            assert!(err.to_string().contains("best.safetensors"), "{err}");
        }
        let err = Checkpoint::load(&dir.path().join("none.safetensors")).unwrap_err();
        assert!(matches!(err, CheckpointError::NotFound { .. }), "{err}");
    }

    #[test]
    fn non_f32_tensor_is_a_wrong_dtype_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f64.safetensors");
        let bytes = [0u8; 16];
        let view = safetensors::tensor::TensorView::new(Dtype::F64, vec![2], &bytes).unwrap();
        safetensors::serialize_to_file([("w", view)], None, &path).unwrap();
        let err = Checkpoint::load(&path).unwrap_err();
        assert!(
            matches!(&err, CheckpointError::WrongDtype { tensor, .. } if tensor == "w"),
            "{err}"
        );
    }

    #[test]
    fn inconsistent_tensors_are_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("best.safetensors");
        let data = [1.0f32; 5];
        let t = TensorRef {
            name: "w",
            shape: &[2, 3],
            data: &data,
        };
        assert!(matches!(
            save(&path, &[t], &BTreeMap::new()),
            Err(CheckpointError::InvalidTensor { .. })
        ));
        let t = TensorRef {
            name: "w",
            shape: &[5],
            data: &data,
        };
        assert!(save(&path, &[t, t], &BTreeMap::new()).is_err());
        assert!(!path.exists());
    }

    #[test]
    fn interrupted_write_never_replaces_the_good_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("best.safetensors");
        save_sample(&path);
        let good = fs::read(&path).unwrap();

        // A write that fails half-way (disk full, a crash of the serialiser): the old file stays
        // and the temporary file is removed.
        let err = write_atomic(&path, |tmp| {
            fs::write(tmp, &good[..good.len() / 2]).unwrap();
            Err(CheckpointError::Io {
                path: tmp.to_path_buf(),
                source: std::io::Error::other("disk full"),
            })
        });
        assert!(err.is_err());
        assert_eq!(fs::read(&path).unwrap(), good);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);

        // A process killed before the rename leaves its temporary file behind: the checkpoint is
        // still the good one, and the next save goes through.
        let stale = dir.path().join(".best.safetensors.tmp-4242");
        fs::write(&stale, &good[..10]).unwrap();
        assert_eq!(fs::read(&path).unwrap(), good);
        let before = Checkpoint::load(&path).unwrap();
        save_sample(&path);
        // safetensors keeps metadata in a `HashMap`, so the header's key order (not the content)
        // may differ between two saves of the same checkpoint.
        assert_eq!(Checkpoint::load(&path).unwrap(), before);
    }

    #[test]
    fn json_is_written_atomically_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.json");
        let value = BTreeMap::from([("best_epoch", 12)]);
        write_json_atomic(&path, &value).unwrap();
        write_json_atomic(&path, &value).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(
            serde_json::from_str::<BTreeMap<String, i32>>(&text).unwrap()["best_epoch"],
            12
        );
        assert!(text.ends_with('\n'));
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
