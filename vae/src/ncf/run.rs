//! A whole NCF run, as `vae train --model gmf|mlp|neumf` does it: load the ratings (or, with
//! `--protocol heldout`, Mult-VAE's split folder), train with the protocol's metrics after every
//! epoch, keep the best epoch, write the run folder Mult-VAE's run writes ([`RunDir`]):
//! `config.json`, `metrics.jsonl`, `timings.jsonl`, `last.safetensors` (weights, Adam's state, the
//! next epoch and the best so far: what `--resume` continues from), `best.safetensors`,
//! `results.json`, the plots, and (implicit, heldout) `test_users.csv`, each test user's metrics at
//! the best epoch.
//!
//! A run is fresh or resumed ([`Start`]), and a resumed run is the straight run bit for bit: an
//! epoch's negatives and order are functions of the seed and the epoch, and `last.safetensors` holds
//! the rest, as RecBole's `Trainer._save_checkpoint` and `resume_checkpoint` keep and restore the
//! weights, the optimiser, the epoch and the best score. Pre-trained NeuMF (§3.4.1) checkpoints from
//! its own first epoch on, the pre-trained GMF's and MLP's final test metrics (`pretrain.gmf.hr@10`,
//! …) beside, so a resumed run reports them in `results.json` as the straight run does; a run
//! stopped while pre-training has no checkpoint and is started again.

use super::config::{NcfConfig, Protocol};
use super::train::{
    build_ncf, final_metrics, train_ncf_on, NcfData, NcfEpoch, NcfObserver, NcfTrainer,
};
use crate::checkpoint::{self, training_state};
use crate::data::{self, Dataset, Format, LoadOptions};
use crate::run_log::EpochRecord;
use crate::train::data_fingerprint::{self, DataFingerprint};
use crate::train::{run_lock, Progress, Quiet, Result, RunDir, TrainError};
use autograd::Backend;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// How a run begins.
#[derive(Debug, Clone)]
pub enum Start {
    /// A new run of this configuration, in an empty folder (or one whose run is replaced, given
    /// `overwrite`).
    Fresh(NcfConfig),
    /// The run saved in the folder, continued as its `config.json` says; `epochs` changes only the
    /// number of epochs (and is written back to `config.json`).
    Resume { epochs: Option<usize> },
}

/// How an NCF run reports progress: [`Progress`]'s steps and notes, and NCF's epochs.
pub trait NcfProgress: Progress {
    /// An epoch ended: of the run's model (`is_best` when its selection metric is the best so far)
    /// or of a pre-training stage (never best: only the run's own epochs are selected among).
    fn ncf_epoch(&mut self, _record: &NcfEpoch, _is_best: bool) {}
}

impl NcfProgress for Quiet {}

/// The prefix of the pre-trained models' final test metrics, in `results.json` and in
/// `last.safetensors` (`pretrain.gmf.hr@10`, as [`train_ncf`](super::train_ncf) names them).
const PRETRAIN: &str = "pretrain.";

/// Trains (or resumes) the NCF run in `run` on the ratings of `data` (a rating file, or a folder
/// holding one), holding the folder's lock throughout; `results.json`'s metrics.
pub fn train<B: Backend<Elem = f32>>(
    backend: &B,
    data: &Path,
    start: Start,
    run: &RunDir,
    overwrite: bool,
    progress: &mut dyn NcfProgress,
) -> Result<BTreeMap<String, f64>> {
    let _lock = run_lock::lock(&run.dir)?;
    if let Start::Fresh(_) = start {
        run.prepare_fresh(overwrite, data)?;
    }
    let protocol = match &start {
        Start::Fresh(config) => config.protocol,
        Start::Resume { .. } => saved_config(run)?.protocol,
    };
    // The data files are recorded by their roles, so the same bytes under other names are the same
    // data.
    let files = match protocol {
        Protocol::HeldOut => {
            if !data.is_dir() {
                return Err(TrainError::Invalid(format!(
                    "--data {}: --protocol heldout reads a split folder (`vae data prepare`), not \
                     a file",
                    data.display()
                )));
            }
            data_fingerprint::pro_sg_files(data)
        }
        Protocol::Implicit | Protocol::Explicit => {
            vec![("ratings".to_string(), ratings_file(data)?)]
        }
    };
    let fingerprint = match start {
        Start::Fresh(_) => data_fingerprint::of_files(&files)?,
        Start::Resume { .. } => {
            let recorded = run.read_data_fingerprint()?;
            data_fingerprint::verify(&recorded, &files, &run.config())?;
            recorded
        }
    };
    let config = match &start {
        Start::Fresh(config) => config.clone(),
        Start::Resume { epochs } => resumed_config(run, *epochs, &fingerprint, progress)?,
    };
    config.validate()?;
    let ncf_data = match protocol {
        Protocol::HeldOut => NcfData::held_out(&config, &Dataset::load(data)?)?,
        Protocol::Implicit | Protocol::Explicit => {
            let ratings = data::load(&files[0].1, &Format::Auto, &LoadOptions::default())?;
            NcfData::prepare(&config, &ratings)?
        }
    };
    let mut recorder = Recorder {
        run,
        progress,
        model: config.model.name(),
        selection: config.selection(),
        best: None,
        pretrained: BTreeMap::new(),
    };
    let metrics = match start {
        Start::Fresh(_) => {
            run.write_config(&config, &fingerprint)?;
            train_ncf_on(backend, &config, &ncf_data, &mut recorder)?.metrics
        }
        Start::Resume { .. } => resume(backend, &config, &ncf_data, &mut recorder)?,
    };
    recorder.progress.finish();
    checkpoint::write_json_atomic(&run.results(), &metrics)?;
    let best = recorder.best.map_or(0, |(e, _)| e);
    crate::plots::write_training_plots(&run.dir, &run.records()?, best)?;
    Ok(metrics)
}

/// The ratings file of `data`: the file itself, or the one rating file inside a folder.
fn ratings_file(data: &Path) -> Result<PathBuf> {
    if data.is_file() {
        return Ok(data.to_path_buf());
    }
    let known = ["ml-100k.inter", "u.data", "ratings.csv", "ratings.dat"];
    known
        .iter()
        .map(|n| data.join(n))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            TrainError::Invalid(format!(
                "--data {}: no rating file ({}) there",
                data.display(),
                known.join(", ")
            ))
        })
}

/// The configuration of the run saved in `run`.
fn saved_config(run: &RunDir) -> Result<NcfConfig> {
    let path = run.config();
    let text = std::fs::read_to_string(&path).map_err(|source| TrainError::Io {
        path: path.clone(),
        source,
    })?;
    serde_json::from_str(&text)
        .map_err(|e| TrainError::Invalid(format!("{}: not an NCF run ({e})", path.display())))
}

/// The configuration of the run saved in `run`, with `epochs` (when given and other) written back.
fn resumed_config(
    run: &RunDir,
    epochs: Option<usize>,
    fingerprint: &DataFingerprint,
    progress: &mut dyn NcfProgress,
) -> Result<NcfConfig> {
    let path = run.config();
    let saved = saved_config(run)?;
    let Some(epochs) = epochs.filter(|&e| e != saved.epochs) else {
        return Ok(saved);
    };
    progress.note(&format!(
        "the run now goes to {epochs} epochs instead of {} ({} updated)",
        saved.epochs,
        path.display()
    ));
    let extended = NcfConfig { epochs, ..saved };
    run.write_config(&extended, fingerprint)?;
    Ok(extended)
}

/// The run saved in `recorder.run`, restored from `last.safetensors` with the logs cut to what it
/// covers, trained to `config.epochs`; the run's metrics, as [`train_ncf`](super::train_ncf) reports them.
fn resume<B: Backend<Elem = f32>>(
    backend: &B,
    config: &NcfConfig,
    data: &NcfData,
    recorder: &mut Recorder<'_>,
) -> Result<BTreeMap<String, f64>> {
    let run = recorder.run;
    if !run.last().exists() {
        return Err(TrainError::Invalid(format!(
            "{}: no checkpoint to resume from (the run stopped before its first one{}); start it \
             again with --out and --overwrite",
            run.last().display(),
            if config.pretrain {
                ", while pre-training"
            } else {
                ""
            }
        )));
    }
    let model = build_ncf(backend, config.model, config, data)?;
    let mut t = NcfTrainer::new(backend, config.clone(), data, model);
    let ck = checkpoint::load(&run.last())?;
    training_state::load_weights(&ck, t.model.params_mut())?;
    training_state::restore_adam(&ck, &t.model.params(), &mut t.adam)?;
    t.epoch = ck.number("next_epoch")?;
    recorder.best = Some((ck.number("best_epoch")?, ck.number("best_score")?));
    for key in ck.metadata.keys().filter(|k| k.starts_with(PRETRAIN)) {
        recorder.pretrained.insert(key.clone(), ck.number(key)?);
    }
    for line in run.cut_logs_for_resume(t.epoch)? {
        recorder.progress.note(&line);
    }
    run.check_history(t.epoch)?;
    for leftover in checkpoint::remove_interrupted_writes(&run.dir)? {
        recorder.progress.note(&format!(
            "removed {}, a write the interruption cut short",
            leftover.display()
        ));
    }
    let mut records: Vec<NcfEpoch> = run
        .records()?
        .into_iter()
        .map(|r| NcfEpoch {
            epoch: r.epoch,
            train_loss: r.train_loss,
            metrics: r.validation,
            per_user: None,
            // The timings are in timings.jsonl; the final metrics read only the above.
            seconds: 0.0,
        })
        .collect();
    recorder
        .progress
        .start(t.epoch, config.epochs, t.steps_per_epoch());
    while t.epoch < config.epochs {
        let r = t.run_epoch(recorder)?;
        recorder.save(&r, &t)?;
        records.push(r);
    }
    let mut metrics = data.baselines(config.top_k)?;
    metrics.extend(recorder.pretrained.clone());
    metrics.extend(final_metrics(config, &records));
    Ok(metrics)
}

/// Writes each epoch of the run's model to the run folder and keeps its checkpoints; reports every
/// stage to the progress.
struct Recorder<'r> {
    run: &'r RunDir,
    progress: &'r mut dyn NcfProgress,
    /// The run's model (NeuMF after its pre-training stages).
    model: &'static str,
    /// The metric that picks the best epoch, and whether higher is better.
    selection: (String, bool),
    best: Option<(usize, f64)>,
    /// The pre-trained models' last test metrics, `pretrain.{model}.{metric}`.
    pretrained: BTreeMap<String, f64>,
}

impl Recorder<'_> {
    /// Logs an epoch of the run's model, and writes `best.safetensors` (and `test_users.csv`) when
    /// it is the best so far and `last.safetensors` always.
    fn save<B: Backend<Elem = f32>>(
        &mut self,
        record: &NcfEpoch,
        t: &NcfTrainer<'_, B>,
    ) -> Result<()> {
        self.run.log(&as_record(record), record.seconds)?;
        let (metric, higher) = &self.selection;
        let score = record.metrics.get(metric).copied().unwrap_or(f64::NAN);
        let better = self
            .best
            .is_none_or(|(_, b)| if *higher { score > b } else { score < b });
        let params = t.model.params();
        let mut meta = BTreeMap::from([("epoch".to_string(), record.epoch.to_string())]);
        if better {
            self.best = Some((record.epoch, score));
            let weights = training_state::weights(&params)?;
            checkpoint::save(&self.run.best(), &weights, &meta)?;
            if let Some(per_user) = &record.per_user {
                self.run.write_test_users(per_user)?;
            }
        }
        let mut tensors = training_state::weights(&params)?;
        training_state::add_adam(&t.adam, &params, &mut tensors, &mut meta)?;
        meta.insert("next_epoch".into(), t.epoch.to_string());
        if let Some((e, s)) = self.best {
            meta.insert("best_epoch".into(), e.to_string());
            // `{:e}` prints the shortest digits that parse back to the same f64.
            meta.insert("best_score".into(), format!("{s:e}"));
        }
        meta.extend(
            self.pretrained
                .iter()
                .map(|(k, v)| (k.clone(), format!("{v:e}"))),
        );
        checkpoint::save(&self.run.last(), &tensors, &meta)?;
        self.progress.ncf_epoch(record, better);
        Ok(())
    }
}

/// An NCF epoch as a line of `metrics.jsonl`.
fn as_record(r: &NcfEpoch) -> EpochRecord {
    EpochRecord {
        epoch: r.epoch,
        train_loss: r.train_loss,
        // NCF's BCE (or MSE) has no separate terms: the line carries its loss whole.
        nll: None,
        kl: None,
        beta_kl: None,
        beta: 0.0,
        validation: r.metrics.clone(),
    }
}

impl<B: Backend<Elem = f32>> NcfObserver<B> for Recorder<'_> {
    fn stage(&mut self, model: &str, epochs: usize, steps: usize) {
        self.progress.finish();
        if model != self.model {
            self.progress.note(&format!("pre-training {model}"));
        }
        self.progress.start(0, epochs, steps);
    }
    fn step(&mut self, step: usize, steps: usize, loss: f64) {
        self.progress.step(step, steps, loss);
    }
    fn epoch(
        &mut self,
        model: &str,
        record: &NcfEpoch,
        t: &NcfTrainer<'_, B>,
    ) -> std::result::Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if model == self.model {
            return Ok(self.save(record, t)?);
        }
        // A pre-training stage's last epoch leaves its model's final metrics.
        self.pretrained.extend(
            record
                .metrics
                .iter()
                .map(|(m, v)| (format!("{PRETRAIN}{model}.{m}"), *v)),
        );
        self.progress.ncf_epoch(record, false);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ncf::{Learner, NcfModelKind, Protocol};
    use autograd::Cpu;
    use std::panic::{catch_unwind, AssertUnwindSafe};

    /// A `u.data` of 40 users, each rating 12 of 50 items at increasing times; ratings 1–5.
    fn ratings_file(dir: &Path) -> PathBuf {
        let mut text = String::new();
        for u in 0..40usize {
            for k in 0..12usize {
                let i = (u * 7 + k * 3) % 50;
                text += &format!("{u}\t{i}\t{}\t{}\n", 1 + (u + i) % 5, 1000 + k);
            }
        }
        let path = dir.join("u.data");
        std::fs::write(&path, text).unwrap();
        path
    }

    fn small(model: NcfModelKind, protocol: Protocol) -> NcfConfig {
        NcfConfig {
            factors: 4,
            layers: vec![8, 4],
            epochs: 4,
            batch_size: 64,
            eval_negatives: 20,
            ..NcfConfig::paper(model, protocol)
        }
    }

    /// Ends the run as a kill would, by a panic, at the `at`-th epoch line (pre-training's
    /// included), which comes after that epoch's checkpoint.
    struct KillAt {
        at: usize,
        lines: usize,
    }
    impl Progress for KillAt {}
    impl NcfProgress for KillAt {
        fn ncf_epoch(&mut self, _record: &NcfEpoch, _is_best: bool) {
            self.lines += 1;
            assert!(self.lines < self.at, "killed after epoch line {}", self.at);
        }
    }

    fn fresh(data: &Path, run: &Path, c: &NcfConfig, progress: &mut dyn NcfProgress) -> Result<()> {
        let cpu = Cpu::<f32>::new();
        let run = RunDir::new(run)?;
        train(&cpu, data, Start::Fresh(c.clone()), &run, false, progress).map(|_| ())
    }

    fn resume(data: &Path, run: &Path) -> Result<BTreeMap<String, f64>> {
        let run = RunDir::open(run)?;
        let start = Start::Resume { epochs: None };
        train(&Cpu::<f32>::new(), data, start, &run, false, &mut Quiet)
    }

    /// Stopped at the `at`-th epoch line, then resumed: the files of a run that went straight
    /// through, byte for byte (but the wall-clock timings); the straight run's results.
    fn assert_resume_is_straight(c: &NcfConfig, at: usize) -> BTreeMap<String, f64> {
        let dir = tempfile::tempdir().unwrap();
        let data = ratings_file(dir.path());
        let (straight, stopped) = (dir.path().join("straight"), dir.path().join("stopped"));
        fresh(&data, &straight, c, &mut Quiet).unwrap();
        let mut kill = KillAt { at, lines: 0 };
        let killed = catch_unwind(AssertUnwindSafe(|| fresh(&data, &stopped, c, &mut kill)));
        assert!(killed.is_err(), "the run was not stopped");
        assert!(!stopped.join("results.json").exists());
        let next_epoch: usize = checkpoint::load(&stopped.join("last.safetensors"))
            .unwrap()
            .number("next_epoch")
            .unwrap();
        let pretraining_lines = if c.pretrain { 2 * c.epochs } else { 0 };
        assert_eq!(next_epoch, at - pretraining_lines, "stopped mid-run");
        let metrics = resume(&data, &stopped).unwrap();
        let names = |d: &Path| {
            let mut n: Vec<String> = std::fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            n.sort();
            n
        };
        assert_eq!(names(&straight), names(&stopped));
        for name in names(&straight).iter().filter(|n| *n != "timings.jsonl") {
            let bytes = |d: &Path| std::fs::read(d.join(name)).unwrap();
            assert!(bytes(&straight) == bytes(&stopped), "{name} differs");
        }
        let results: BTreeMap<String, f64> =
            serde_json::from_slice(&std::fs::read(straight.join("results.json")).unwrap()).unwrap();
        assert_eq!(metrics, results);
        results
    }

    #[test]
    fn a_run_stopped_after_an_epoch_and_resumed_is_the_straight_run_bit_for_bit() {
        // Adam's moments and counters (implicit NeuMF), and SGD's run without them (explicit MLP).
        assert_resume_is_straight(&small(NcfModelKind::Neumf, Protocol::Implicit), 2);
        let sgd = NcfConfig {
            learner: Learner::Sgd,
            ..small(NcfModelKind::Mlp, Protocol::Explicit)
        };
        assert_resume_is_straight(&sgd, 1);
    }

    #[test]
    fn a_pretrained_neumf_run_stopped_after_an_epoch_resumes_to_the_straight_run() {
        let c = NcfConfig {
            pretrain: true,
            epochs: 3,
            ..small(NcfModelKind::Neumf, Protocol::Implicit)
        };
        // Three epoch lines of GMF and three of MLP, then NeuMF's first.
        let results = assert_resume_is_straight(&c, 7);
        for key in ["pretrain.gmf.hr@10", "pretrain.mlp.full_ndcg@10"] {
            assert!(results.contains_key(key), "{key} in {results:?}");
        }
    }

    #[test]
    fn a_run_stopped_while_pretraining_has_no_checkpoint_and_says_to_start_again() {
        let c = NcfConfig {
            pretrain: true,
            epochs: 2,
            ..small(NcfModelKind::Neumf, Protocol::Implicit)
        };
        let dir = tempfile::tempdir().unwrap();
        let data = ratings_file(dir.path());
        let run = dir.path().join("run");
        let mut kill = KillAt { at: 3, lines: 0 };
        let killed = catch_unwind(AssertUnwindSafe(|| fresh(&data, &run, &c, &mut kill)));
        assert!(killed.is_err());
        let err = resume(&data, &run).unwrap_err().to_string();
        assert!(
            err.contains("last.safetensors: no checkpoint to resume from")
                && err.contains("while pre-training")
                && err.contains("--overwrite"),
            "{err}"
        );
    }
}
