//! The run folder: `config.json`, `metrics.jsonl`, `timings.jsonl`, `last.safetensors` (everything
//! needed to resume, at an epoch's end or within one), `best.safetensors` (the best validation
//! epoch's weights), `results.json`, and the plots.
//!
//! Every file but the two logs is written atomically (temporary file, fsync, rename), so an
//! interruption leaves the previous version, never half a file; the logs are only appended to, and
//! a resume cuts what the checkpoint does not cover (see [`run_log::cut_for_resume`]).

use super::config::TrainConfig;
use super::data_fingerprint::DataFingerprint;
use super::error::{Result, TrainError};
use super::evaluate::Evaluation;
use super::loss_sums::LossSums;
use super::trainer::{EpochSummary, Trainer};
use crate::checkpoint::{self, training_state, Checkpoint, CheckpointError};
use crate::metrics::PerUserMetrics;
use crate::run_log::{self, EpochRecord, EpochTiming};
use autograd::Backend;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Paths of one run.
#[derive(Debug, Clone)]
pub struct RunDir {
    pub dir: PathBuf,
}

/// `results.json`: the best epoch, its validation metrics, and the test metrics of its weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    pub best_epoch: usize,
    pub validation: BTreeMap<String, f64>,
    pub test: BTreeMap<String, f64>,
    /// Standard errors of the test means.
    pub test_std_errs: BTreeMap<String, f64>,
    /// β at the best epoch (what the paper's protocol reruns with as the anneal cap).
    pub beta_at_best: f64,
    pub test_users_evaluated: usize,
    pub test_users_skipped: usize,
}

/// Every file a run writes in its folder; a folder holding any of them holds a run.
pub const RUN_FILES: [&str; 12] = [
    "config.json",
    "metrics.jsonl",
    "timings.jsonl",
    "last.safetensors",
    "best.safetensors",
    "results.json",
    "test_users.csv",
    "items.txt",
    "beta_ndcg.png",
    "beta_ndcg.svg",
    "loss.png",
    "loss.svg",
];

impl RunDir {
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|source| TrainError::Io {
            path: dir.clone(),
            source,
        })?;
        Ok(RunDir { dir })
    }

    /// An existing run folder (for `vae eval` and `vae recommend`, which must not create one).
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        if !dir.join("config.json").is_file() {
            return Err(TrainError::Invalid(format!(
                "{}: not a run folder (no config.json); give the --out folder of a `vae train` run",
                dir.display()
            )));
        }
        Ok(RunDir { dir })
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
    pub fn config(&self) -> PathBuf {
        self.path("config.json")
    }
    pub fn metrics(&self) -> PathBuf {
        self.path("metrics.jsonl")
    }
    pub fn last(&self) -> PathBuf {
        self.path("last.safetensors")
    }
    pub fn best(&self) -> PathBuf {
        self.path("best.safetensors")
    }
    pub fn results(&self) -> PathBuf {
        self.path("results.json")
    }

    /// Reads `config.json`.
    pub fn read_config(&self) -> Result<TrainConfig> {
        let path = self.config();
        let text = std::fs::read_to_string(&path).map_err(|source| TrainError::Io {
            path: path.clone(),
            source,
        })?;
        serde_json::from_str(&text)
            .map_err(|e| TrainError::Invalid(format!("{}: {e}", path.display())))
    }

    /// Writes `config.json`: the configuration `c` (Mult-VAE/DAE's or NCF's), with the
    /// fingerprint of the data it trains on under `data`.
    pub fn write_config(&self, c: &impl Serialize, data: &DataFingerprint) -> Result<()> {
        #[derive(Serialize)]
        struct ConfigFile<'a, C: Serialize> {
            #[serde(flatten)]
            config: &'a C,
            #[serde(skip_serializing_if = "BTreeMap::is_empty")]
            data: &'a DataFingerprint,
        }
        Ok(checkpoint::write_json_atomic(
            &self.config(),
            &ConfigFile { config: c, data },
        )?)
    }

    /// The data fingerprint `config.json` records (empty for runs from before it was recorded).
    pub fn read_data_fingerprint(&self) -> Result<DataFingerprint> {
        #[derive(Deserialize)]
        struct DataOf {
            #[serde(default)]
            data: DataFingerprint,
        }
        let path = self.config();
        let text = std::fs::read_to_string(&path).map_err(|source| TrainError::Io {
            path: path.clone(),
            source,
        })?;
        serde_json::from_str::<DataOf>(&text)
            .map(|d| d.data)
            .map_err(|e| TrainError::Invalid(format!("{}: {e}", path.display())))
    }

    pub fn timings(&self) -> PathBuf {
        self.path("timings.jsonl")
    }

    /// Appends the epoch to `metrics.jsonl` and its seconds to `timings.jsonl`.
    pub fn log_epoch(&self, s: &EpochSummary) -> Result<()> {
        let record = EpochRecord {
            epoch: s.epoch,
            train_loss: s.train_loss,
            nll: s.nll,
            kl: s.kl,
            beta_kl: s.beta_kl,
            beta: s.beta,
            validation: s.validation.metrics.clone(),
        };
        self.log(&record, s.seconds)
    }

    /// Appends `record` to `metrics.jsonl` and the epoch's `seconds` to `timings.jsonl`.
    pub fn log(&self, record: &EpochRecord, seconds: f64) -> Result<()> {
        run_log::append(&self.metrics(), record)?;
        run_log::append(
            &self.timings(),
            &EpochTiming {
                epoch: record.epoch,
                seconds,
            },
        )?;
        Ok(())
    }

    /// The records of `metrics.jsonl`.
    pub fn records(&self) -> Result<Vec<EpochRecord>> {
        if !self.metrics().exists() {
            return Ok(vec![]);
        }
        Ok(run_log::read(&self.metrics())?)
    }

    /// Cuts from both logs what a checkpoint taken before `next_epoch` does not cover; returns
    /// what was cut, in words.
    pub fn cut_logs_for_resume(&self, next_epoch: usize) -> Result<Vec<String>> {
        let mut said = Vec::new();
        for log in [self.metrics(), self.timings()] {
            said.extend(run_log::cut_for_resume(&log, next_epoch)?);
        }
        Ok(said)
    }

    /// Checks, before a resume trains anything, that `metrics.jsonl` holds a line for each of the
    /// `next_epoch` epochs the checkpoint has trained (the best epoch among them): its history is
    /// what picks the best epoch and draws the plots, and it cannot be made again.
    pub fn check_history(&self, next_epoch: usize) -> Result<()> {
        let path = self.metrics();
        if next_epoch == 0 {
            return Ok(());
        }
        if !path.exists() {
            return Err(TrainError::Invalid(format!(
                "{}: missing, but the checkpoint has trained {next_epoch} epoch(s) whose \
                 validation it held; restore it to resume, or start again with --overwrite",
                path.display()
            )));
        }
        let logged: std::collections::BTreeSet<usize> =
            self.records()?.iter().map(|r| r.epoch).collect();
        let missing: Vec<String> = (0..next_epoch)
            .filter(|e| !logged.contains(e))
            .map(|e| e.to_string())
            .collect();
        if !missing.is_empty() {
            return Err(TrainError::Invalid(format!(
                "{}: no line for epoch(s) {} of the {next_epoch} the checkpoint has trained; \
                 restore the file to resume, or start again with --overwrite",
                path.display(),
                missing.join(", ")
            )));
        }
        Ok(())
    }

    /// Makes the folder ready for a fresh run: empty, or, with `overwrite`, with every file of a
    /// run (and of an interrupted write) removed and any other file kept. Without `overwrite` a
    /// folder that holds anything is refused, saying whether it holds a run (and the command that
    /// resumes it on `data`): a finished run is never replaced by accident, and two runs never mix.
    pub fn prepare_fresh(&self, overwrite: bool, data: &Path) -> Result<()> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| TrainError::Io { path, source }
        };
        let mut entries: Vec<String> = std::fs::read_dir(&self.dir)
            .map_err(io(&self.dir))?
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<std::io::Result<_>>()
            .map_err(io(&self.dir))?;
        entries.sort();
        let is_run_file =
            |n: &String| RUN_FILES.contains(&n.as_str()) || checkpoint::is_interrupted_write(n);
        let (mut run_files, others): (Vec<String>, Vec<String>) =
            entries.into_iter().partition(is_run_file);
        // In the order a run writes them: config.json first says most.
        run_files.sort_by_key(|n| RUN_FILES.iter().position(|f| f == n).unwrap_or(usize::MAX));
        if overwrite {
            for name in &run_files {
                let path = self.path(name);
                std::fs::remove_file(&path).map_err(io(&path))?;
            }
            return Ok(());
        }
        let listed = |names: &[String]| {
            let mut shown = names.iter().take(4).cloned().collect::<Vec<_>>().join(", ");
            if names.len() > 4 {
                shown += &format!(" and {} more", names.len() - 4);
            }
            shown
        };
        if !run_files.is_empty() {
            return Err(TrainError::NotEmpty {
                dir: self.dir.clone(),
                found: format!("a run: {}", listed(&run_files)),
                what: format!(
                    "continue it with `vae train --data {} --resume {}`, or give --overwrite to \
                     replace it (its files are deleted), or give another --out",
                    data.display(),
                    self.dir.display()
                ),
            });
        }
        if !others.is_empty() {
            return Err(TrainError::NotEmpty {
                dir: self.dir.clone(),
                found: listed(&others),
                what: "give a new or empty folder, or --overwrite to write the run beside those \
                       files (they are kept)"
                    .into(),
            });
        }
        Ok(())
    }

    pub fn write_results(&self, r: &Results) -> Result<()> {
        Ok(checkpoint::write_json_atomic(&self.results(), r)?)
    }

    /// `test_users.csv`: each test user's metrics of the best weights.
    pub fn test_users(&self) -> PathBuf {
        self.path("test_users.csv")
    }

    pub fn write_test_users(&self, t: &PerUserMetrics) -> Result<()> {
        Ok(checkpoint::write_atomic(
            &self.test_users(),
            t.to_csv().as_bytes(),
        )?)
    }

    /// Reads `test_users.csv`, naming the file and line of what does not parse.
    pub fn read_test_users(&self) -> Result<PerUserMetrics> {
        let path = self.test_users();
        let text = std::fs::read_to_string(&path).map_err(|source| TrainError::Io {
            path: path.clone(),
            source,
        })?;
        PerUserMetrics::parse(&text).map_err(|e| {
            TrainError::Invalid(format!("{}:{}: {}", path.display(), e.line, e.detail))
        })
    }
}

/// Writes the best weights (and the epoch they come from).
pub fn save_best<B: Backend<Elem = f32>>(
    run: &RunDir,
    t: &Trainer<B>,
    epoch: usize,
    beta: f64,
) -> Result<()> {
    let mut meta = BTreeMap::new();
    meta.insert("epoch".to_string(), epoch.to_string());
    meta.insert("beta".to_string(), beta.to_string());
    meta.insert(
        "config".to_string(),
        serde_json::to_string(&t.config).unwrap_or_default(),
    );
    let weights = training_state::weights(&t.model.params())?;
    checkpoint::save(&run.best(), &weights, &meta)?;
    Ok(())
}

/// Writes everything a resumed run needs: weights, Adam's state, and the counters.
pub fn save_last<B: Backend<Elem = f32>>(run: &RunDir, t: &Trainer<B>) -> Result<()> {
    let params = t.model.params();
    let mut tensors = training_state::weights(&params)?;
    let mut meta = BTreeMap::new();
    training_state::add_adam(&t.adam, &params, &mut tensors, &mut meta)?;
    meta.insert("next_epoch".to_string(), t.epoch.to_string());
    meta.insert("step".to_string(), t.step.to_string());
    t.epoch_loss.save(&mut meta);
    meta.insert("updates".to_string(), t.updates.to_string());
    // `{:e}` prints the shortest digits that parse back to the same f64.
    meta.insert("lr".to_string(), format!("{:e}", t.adam.config.lr));
    meta.insert("stale_epochs".to_string(), t.stale_epochs.to_string());
    if let Some((e, s)) = t.best {
        meta.insert("best_epoch".to_string(), e.to_string());
        meta.insert("best_score".to_string(), format!("{s:e}"));
    }
    meta.insert(
        "config".to_string(),
        serde_json::to_string(&t.config).unwrap_or_default(),
    );
    checkpoint::save(&run.last(), &tensors, &meta)?;
    Ok(())
}

/// A codec error as the run's: a malformed counter is the run's invalid state and a device's
/// failure is the device's, not a checkpoint that does not fit the model ([`super::run`] words
/// those as such).
fn as_run_error(e: CheckpointError) -> TrainError {
    match e {
        CheckpointError::Metadata { .. } => TrainError::Invalid(e.to_string()),
        CheckpointError::Device(d) => TrainError::Autograd(d),
        other => TrainError::Checkpoint(other),
    }
}

/// The metadata `key` of `ck` as a `T`.
fn number<T: std::str::FromStr>(ck: &Checkpoint, key: &str) -> Result<T> {
    ck.number(key).map_err(as_run_error)
}

/// Loads weights from `path` into the trainer's model (shapes must match).
pub fn load_weights<B: Backend<Elem = f32>>(
    path: &Path,
    t: &mut Trainer<B>,
) -> Result<BTreeMap<String, String>> {
    let ck = checkpoint::load(path)?;
    training_state::load_weights(&ck, t.model.params_mut()).map_err(as_run_error)?;
    Ok(ck.metadata)
}

/// Restores a trainer from `last.safetensors`: weights, Adam's state and counters.
pub fn resume<B: Backend<Elem = f32>>(run: &RunDir, t: &mut Trainer<B>) -> Result<()> {
    let path = run.last();
    let ck = checkpoint::load(&path)?;
    training_state::load_weights(&ck, t.model.params_mut()).map_err(as_run_error)?;
    training_state::restore_adam(&ck, &t.model.params(), &mut t.adam).map_err(as_run_error)?;
    t.adam.config.lr = number(&ck, "lr")?;
    t.epoch = number(&ck, "next_epoch")?;
    t.updates = number(&ck, "updates")?;
    // Checkpoints from before mid-epoch saving are all at an epoch's end.
    if ck.metadata.contains_key("step") {
        t.step = number(&ck, "step")?;
        t.epoch_loss = LossSums::load(&ck.metadata, t.step).ok_or_else(|| {
            TrainError::Invalid(format!(
                "{}: metadata epoch_loss (or a term of it) missing or malformed",
                path.display()
            ))
        })?;
    }
    t.stale_epochs = number(&ck, "stale_epochs")?;
    t.best = match ck.metadata.get("best_epoch") {
        Some(_) => Some((number(&ck, "best_epoch")?, number(&ck, "best_score")?)),
        None => None,
    };
    Ok(())
}

/// The test metrics of the best weights, and the `results.json` they make.
pub fn results(
    best_epoch: usize,
    validation: &BTreeMap<String, f64>,
    beta_at_best: f64,
    test: Evaluation,
) -> Results {
    Results {
        best_epoch,
        validation: validation.clone(),
        test: test.metrics,
        test_std_errs: test.std_errs,
        beta_at_best,
        test_users_evaluated: test.users_evaluated,
        test_users_skipped: test.users_skipped,
    }
}
