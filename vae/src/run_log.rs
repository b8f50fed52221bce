//! `metrics.jsonl` (one JSON object per epoch) and `timings.jsonl` (the seconds each epoch took),
//! both only ever appended to. Timings live apart so that everything else a run writes depends on
//! its configuration alone and can be compared byte for byte across runs.

use crate::checkpoint::CheckpointError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// One epoch of a run. The loss terms are means over the epoch's steps, as `train_loss` is; a term
/// the model does not have (Mult-DAE's KL; NCF logs its loss whole) is left out of the line rather
/// than written as `null`, and logs written before the terms existed read with them all `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    pub epoch: usize,
    /// What was minimised: `nll + β·kl` (Mult-VAE), `nll + λ·Σ‖W‖²` (Mult-DAE), NCF's BCE or MSE.
    pub train_loss: f64,
    /// `−(1/U) Σ_u log p(x_u | z_u)`, the reconstruction term.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nll: Option<f64>,
    /// `(1/U) Σ_u KL(q(z_u | x_u) ‖ N(0, I))`, unweighted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kl: Option<f64>,
    /// `β·KL`, each step's KL weighed by that step's β: the KL's share of `train_loss`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beta_kl: Option<f64>,
    pub beta: f64,
    pub validation: BTreeMap<String, f64>,
}

/// How long one epoch took (a line of `timings.jsonl`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochTiming {
    pub epoch: usize,
    /// Wall-clock seconds of training and validation (of the part this process ran, after a resume).
    pub seconds: f64,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CheckpointError + '_ {
    move |source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Appends `value` as one line to `path`, in one write so that a kill leaves at most one torn line.
pub fn append(path: &Path, value: &impl Serialize) -> Result<(), CheckpointError> {
    let mut line = serde_json::to_vec(value).map_err(|e| CheckpointError::Json {
        path: path.into(),
        detail: e.to_string(),
    })?;
    line.push(b'\n');
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io(path))?;
    f.write_all(&line).map_err(io(path))
}

/// Every record of `path`; a malformed line is an error naming `file:line`.
pub fn read(path: &Path) -> Result<Vec<EpochRecord>, CheckpointError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| CheckpointError::BadLine {
                path: path.into(),
                line: i + 1,
                detail: e.to_string(),
            })
        })
        .collect()
}

#[derive(Deserialize)]
struct EpochOf {
    epoch: usize,
}

/// Prepares `path` for a resume from a checkpoint taken before epoch `next_epoch`: cuts a torn last
/// line (what a kill in the middle of a write leaves) and the lines of epochs from `next_epoch` on
/// (written after the checkpoint, so trained again), leaving every earlier byte as it was. Returns
/// what was cut, in words, or `None`. A malformed line before the end is an error naming it: that is
/// damage, not an interrupted append.
pub fn cut_for_resume(path: &Path, next_epoch: usize) -> Result<Option<String>, CheckpointError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(path)(e)),
    };
    let (mut keep, mut start, mut torn, mut later) = (0, 0, false, 0);
    while start < bytes.len() {
        let end = bytes[start..].iter().position(|&b| b == b'\n');
        let line = &bytes[start..end.map_or(bytes.len(), |e| start + e)];
        let parsed = serde_json::from_slice::<EpochOf>(line);
        match (end, parsed) {
            (Some(e), Ok(r)) => {
                if r.epoch < next_epoch && later == 0 {
                    keep = start + e + 1;
                } else {
                    later += 1;
                }
                start += e + 1;
            }
            (None, _) => {
                torn = true;
                break;
            }
            (Some(_), Err(_)) if start + line.len() + 1 == bytes.len() => {
                torn = true;
                break;
            }
            (Some(_), Err(e)) => {
                let n = bytes[..start].iter().filter(|&&b| b == b'\n').count() + 1;
                return Err(CheckpointError::BadLine {
                    path: path.into(),
                    line: n,
                    detail: e.to_string(),
                });
            }
        }
    }
    if keep == bytes.len() {
        return Ok(None);
    }
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(io(path))?;
    f.set_len(keep as u64)
        .and_then(|()| f.sync_all())
        .map_err(io(path))?;
    let mut what = Vec::new();
    if later > 0 {
        what.push(format!(
            "{later} line(s) of epochs from {next_epoch} on, written after the checkpoint (trained again)"
        ));
    }
    if torn {
        what.push("a torn last line (a write the interruption cut short)".to_string());
    }
    Ok(Some(format!(
        "{}: cut {}",
        path.display(),
        what.join(" and ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(epoch: usize) -> EpochRecord {
        EpochRecord {
            epoch,
            train_loss: 387.571_472_167_968_75,
            nll: Some(386.5),
            kl: Some(10.714_721_679_687_5),
            beta_kl: Some(1.071_472_167_968_75),
            beta: 0.1,
            validation: BTreeMap::from([("recall@20".into(), 0.338_983_050_847_457_8)]),
        }
    }

    #[test]
    fn records_round_trip_exactly_and_a_bad_line_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.jsonl");
        append(&path, &record(0)).unwrap();
        append(&path, &record(1)).unwrap();
        let back = read(&path).unwrap();
        assert_eq!(back, [record(0), record(1)]);
        assert_eq!(
            back[0].train_loss.to_bits(),
            387.571_472_167_968_75f64.to_bits()
        );
        std::fs::write(&path, "{\"epoch\": 0}\n").unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(
            err.contains("metrics.jsonl:1: not a record of the run log")
                && !err.contains("safetensors"),
            "{err}"
        );
    }

    #[test]
    fn a_line_without_the_loss_terms_reads_with_none_and_none_is_left_out() {
        let old = r#"{"epoch":0,"train_loss":400.5,"beta":5e-6,"validation":{"ndcg@100":0.25}}"#;
        let r: EpochRecord = serde_json::from_str(old).unwrap();
        assert_eq!((r.nll, r.kl, r.beta_kl), (None, None, None));
        assert_eq!(serde_json::to_string(&r).unwrap(), old);
        let dae = EpochRecord {
            nll: Some(399.0),
            ..r
        };
        assert_eq!(
            serde_json::to_string(&dae).unwrap(),
            r#"{"epoch":0,"train_loss":400.5,"nll":399.0,"beta":5e-6,"validation":{"ndcg@100":0.25}}"#
        );
    }

    #[test]
    fn a_resume_cuts_a_torn_line_and_later_epochs_and_keeps_earlier_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.jsonl");
        for e in 0..3 {
            append(&path, &record(e)).unwrap();
        }
        let two = std::fs::read(&path).unwrap();
        let first_two = two.len() - serde_json::to_vec(&record(2)).unwrap().len() - 1;
        let mut torn = two.clone();
        torn.extend_from_slice(b"{\"epoch\":3,\"train_lo");
        std::fs::write(&path, &torn).unwrap();

        let said = cut_for_resume(&path, 2).unwrap().unwrap();
        assert!(
            said.contains("epochs from 2 on") && said.contains("torn"),
            "{said}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), &two[..first_two]);
        assert_eq!(cut_for_resume(&path, 2).unwrap(), None);
        assert_eq!(cut_for_resume(&dir.path().join("absent"), 0).unwrap(), None);
    }

    #[test]
    fn a_malformed_line_before_the_end_is_damage_not_cut() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.jsonl");
        std::fs::write(&path, "garbage\n{\"epoch\":0}\n").unwrap();
        let err = cut_for_resume(&path, 5).unwrap_err().to_string();
        assert!(err.contains("metrics.jsonl:1: "), "{err}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "garbage\n{\"epoch\":0}\n"
        );
    }
}
