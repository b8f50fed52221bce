//! A whole run, as `vae train` does it: load the data, train with validation every epoch, keep the
//! best epoch, evaluate the test split once with the best weights, write the run folder.

use super::config::TrainConfig;
use super::data_fingerprint::{self, DataFingerprint};
use super::error::{Result, TrainError};
use super::evaluate::evaluate;
use super::run_dir::{self, Results, RunDir};
use super::run_lock;
use super::trainer::{EpochSummary, PhaseTimes, Trainer};
use crate::data::Dataset;
use crate::metrics::item_popularity;
use autograd::Backend;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// How a run reports progress: after each step (for a progress bar), after each epoch, and what it
/// has to say on the way (a resume's cuts, an extension).
pub trait Progress {
    fn start(&mut self, _first_epoch: usize, _epochs: usize, _steps_per_epoch: usize) {}
    /// `mean_loss` is the mean over the epoch's steps so far.
    fn step(&mut self, _step: usize, _steps: usize, _mean_loss: f64) {}
    fn epoch(&mut self, _summary: &EpochSummary, _is_best: bool) {}
    fn note(&mut self, _line: &str) {}
    fn finish(&mut self) {}
}

/// Reports nothing (tests).
pub struct Quiet;
impl Progress for Quiet {}

/// How a run begins.
#[derive(Debug, Clone)]
pub enum Start {
    /// A new run of this configuration, in an empty folder (or, with [`RunOptions::overwrite`], one
    /// whose run is replaced).
    Fresh(TrainConfig),
    /// The run saved in the folder, continued as its `config.json` says; `epochs` changes only
    /// the number of epochs (and is written back to `config.json`).
    Resume { epochs: Option<usize> },
}

/// What a run does besides training.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Also write `last.safetensors` after every this many updates within an epoch.
    pub checkpoint_every: Option<u64>,
    /// When set (by a signal handler), the run writes its checkpoint after the current step and
    /// stops with [`TrainError::Interrupted`].
    pub stop: Option<Arc<AtomicBool>>,
    /// Read the losses every this many steps instead of the device's default (1 on the CPU, only
    /// at checkpoints and epoch ends elsewhere); see [`Trainer::set_loss_every`].
    pub loss_every: Option<usize>,
    /// A fresh run may replace the run in its folder (deleting that run's files; other files are
    /// kept). Without it a folder that is not empty is refused.
    pub overwrite: bool,
}

impl RunOptions {
    fn stop_requested(&self) -> bool {
        self.stop.as_ref().is_some_and(|s| s.load(Ordering::SeqCst))
    }
}

/// Trains on the `pro_sg` folder `data_dir` into `run`, fresh or resumed as `start` says, holding
/// the folder's lock throughout (a second process on the same folder is refused).
pub fn train<B: Backend<Elem = f32>>(
    backend: &B,
    data_dir: &Path,
    start: Start,
    run: &RunDir,
    options: &RunOptions,
    progress: &mut dyn Progress,
) -> Result<Results> {
    let _lock = run_lock::lock(&run.dir)?;
    if let Start::Fresh(_) = start {
        run.prepare_fresh(options.overwrite, data_dir)?;
    }
    let (data, cache) = Dataset::load_with_status(data_dir)?;
    if let Some(line) = cache.note() {
        progress.note(&line);
    }
    let mut t = match start {
        Start::Fresh(config) => {
            super::memory::check_fits(backend, &config, &data, progress)?;
            let t = Trainer::new(backend, data.n_items, config)?;
            let fingerprint =
                data_fingerprint::of_files(&data_fingerprint::pro_sg_files(data_dir))?;
            begin(run, &t, &data, &fingerprint)?;
            t
        }
        Start::Resume { epochs } => resume(backend, data_dir, &data, run, epochs, progress)?,
    };
    if let Some(n) = options.loss_every {
        t.set_loss_every(n);
    }
    let trained = train_epochs(&mut t, &data, run, options, progress);
    progress.finish();
    trained?;

    let records = run.records()?;
    let (best_epoch, _) = t
        .best
        .ok_or_else(|| TrainError::Invalid("no epoch was trained".into()))?;
    let best = records
        .iter()
        .find(|r| r.epoch == best_epoch)
        .ok_or_else(|| {
            TrainError::Invalid(format!(
                "{}: no record of the best epoch {best_epoch}",
                run.metrics().display()
            ))
        })?;
    run_dir::load_weights(&run.best(), &mut t)?;
    let test = evaluate(
        t.model.as_ref(),
        &data.test,
        &item_popularity(&data.train),
        t.evaluator(),
        t.config.eval_batch_size,
    )?;
    run.write_test_users(&test.per_user)?;
    let results = run_dir::results(best_epoch, &best.validation, best.beta, test);
    run.write_results(&results)?;
    crate::plots::write_training_plots(&run.dir, &records, best_epoch)?;
    Ok(results)
}

/// A fresh run's folder (made ready by [`RunDir::prepare_fresh`]): its configuration, the
/// fingerprint of its data, and its items.
fn begin<B: Backend<Elem = f32>>(
    run: &RunDir,
    t: &Trainer<B>,
    data: &Dataset,
    fingerprint: &DataFingerprint,
) -> Result<()> {
    run.write_config(&t.config, fingerprint)?;
    let items = run.path("items.txt");
    std::fs::write(&items, data.unique_sid.join("\n") + "\n").map_err(|source| TrainError::Io {
        path: items,
        source,
    })
}

/// The trainer of the run saved in `run`, restored from `last.safetensors`, with the logs cut to
/// what that checkpoint covers.
fn resume<B: Backend<Elem = f32>>(
    backend: &B,
    data_dir: &Path,
    data: &Dataset,
    run: &RunDir,
    epochs: Option<usize>,
    progress: &mut dyn Progress,
) -> Result<Trainer<B>> {
    let saved = run.read_config()?;
    let recorded = run.read_data_fingerprint()?;
    data_fingerprint::verify(
        &recorded,
        &data_fingerprint::pro_sg_files(data_dir),
        &run.config(),
    )?;
    if !run.last().exists() {
        return Err(TrainError::Invalid(format!(
            "{}: no checkpoint to resume from (the run stopped before its first one); start it \
             again with --out and --overwrite",
            run.last().display()
        )));
    }
    // The run ends by scoring the best weights: a damaged file is said now, not after training.
    if run.best().exists() {
        crate::checkpoint::load(&run.best())?;
    }
    super::memory::check_fits(backend, &saved, data, progress)?;
    let mut t = Trainer::new(backend, data.n_items, saved)?;
    let items_here = t.model.params()[0].value().rows();
    run_dir::resume(run, &mut t).map_err(|e| match e {
        TrainError::Checkpoint(c) => TrainError::Invalid(format!(
            "cannot resume {} on {} ({items_here} items): {c}",
            run.dir.display(),
            data_dir.display()
        )),
        other => other,
    })?;
    for line in run.cut_logs_for_resume(t.epoch)? {
        progress.note(&line);
    }
    run.check_history(t.epoch)?;
    if let Some(e) = epochs.filter(|&e| e != t.config.epochs) {
        let done = t.epoch + usize::from(t.step > 0);
        if e < done {
            return Err(TrainError::Invalid(format!(
                "cannot end the run at {e} epochs: it has already trained {done}"
            )));
        }
        progress.note(&format!(
            "the run now goes to {e} epochs instead of {} ({} updated)",
            t.config.epochs,
            run.config().display()
        ));
        t.config.epochs = e;
        run.write_config(&t.config, &recorded)?;
    }
    for leftover in crate::checkpoint::remove_interrupted_writes(&run.dir)? {
        progress.note(&format!(
            "removed {}, a write the interruption cut short",
            leftover.display()
        ));
    }
    progress.note(&format!(
        "resuming at epoch {}, step {} (update {})",
        t.epoch, t.step, t.updates
    ));
    Ok(t)
}

/// The epochs from the trainer's position to the configured end (or early stopping), each logged
/// and checkpointed; within them, a checkpoint every `checkpoint_every` updates and on a stop
/// request.
fn train_epochs<B: Backend<Elem = f32>>(
    t: &mut Trainer<B>,
    data: &Dataset,
    run: &RunDir,
    options: &RunOptions,
    progress: &mut dyn Progress,
) -> Result<()> {
    let steps = t.steps_per_epoch(data);
    progress.start(t.epoch, t.config.epochs, steps);
    while t.epoch < t.config.epochs && !t.should_stop() {
        let started = Instant::now();
        let mut times = PhaseTimes::default();
        for rows in t.remaining_batches(data)? {
            t.train_step(data, &rows, &mut times)
                .map_err(|e| name_last_good_state(e, run))?;
            // The mean of the losses read so far (all of them where each step reads its own).
            progress.step(
                t.step - 1,
                steps,
                t.epoch_loss.total / t.read_steps().max(1) as f64,
            );
            if options.stop_requested() {
                t.read_losses().map_err(|e| name_last_good_state(e, run))?;
                run_dir::save_last(run, t)?;
                return Err(TrainError::Interrupted {
                    epoch: t.epoch,
                    step: t.step,
                    saved: run.last(),
                });
            }
            let due = options
                .checkpoint_every
                .is_some_and(|n| t.updates.is_multiple_of(n.max(1)));
            // The epoch's last step is followed by the epoch's own checkpoint.
            if due && t.step < steps {
                // A checkpoint holds only read, finite losses.
                t.read_losses().map_err(|e| name_last_good_state(e, run))?;
                run_dir::save_last(run, t)?;
            }
        }
        let summary = t
            .finish_epoch(data, started)
            .map_err(|e| name_last_good_state(e, run))?;
        run.log_epoch(&summary)?;
        let is_best = t.best.map(|(e, _)| e) == Some(summary.epoch);
        if is_best {
            run_dir::save_best(run, t, summary.epoch, summary.beta)?;
        }
        run_dir::save_last(run, t)?;
        progress.epoch(&summary, is_best);
        if options.stop_requested() && t.epoch < t.config.epochs {
            return Err(TrainError::Interrupted {
                epoch: t.epoch,
                step: 0,
                saved: run.last(),
            });
        }
    }
    Ok(())
}

/// A non-finite loss's error, saying where the last good state is.
fn name_last_good_state(e: TrainError, run: &RunDir) -> TrainError {
    match e {
        TrainError::NonFinite {
            loss,
            epoch,
            step,
            update,
            ..
        } => TrainError::NonFinite {
            loss,
            epoch,
            step,
            update,
            kept: if run.last().exists() {
                format!("the last checkpoint is {}", run.last().display())
            } else {
                "no checkpoint had been written yet".to_string()
            },
        },
        other => other,
    }
}
