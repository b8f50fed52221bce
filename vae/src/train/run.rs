//! A whole run, as `vae train` does it: load the data, train with validation every epoch, keep the
//! best epoch, evaluate the test split once with the best weights, write the run folder.

use super::config::TrainConfig;
use super::error::{Result, TrainError};
use super::evaluate::evaluate;
use super::run_dir::{self, Results, RunDir};
use super::trainer::{EpochSummary, Trainer};
use crate::data::Dataset;
use autograd::Backend;
use std::path::Path;

/// How a run reports progress: after each step (for a progress bar) and after each epoch.
pub trait Progress {
    fn start(&mut self, _first_epoch: usize, _epochs: usize, _steps_per_epoch: usize) {}
    fn step(&mut self, _step: usize, _steps: usize, _loss: f64) {}
    fn epoch(&mut self, _summary: &EpochSummary, _is_best: bool) {}
    fn finish(&mut self) {}
}

/// Reports nothing (tests).
pub struct Quiet;
impl Progress for Quiet {}

/// Trains `config` on the `pro_sg` folder `data_dir` into `run`, or, with `resume`, continues the run
/// saved there (its `config.json` then wins over `config`, except for the number of epochs).
pub fn train<B: Backend<Elem = f32>>(
    backend: &B,
    data_dir: &Path,
    config: TrainConfig,
    run: &RunDir,
    resume: bool,
    progress: &mut dyn Progress,
) -> Result<Results> {
    let data = Dataset::load(data_dir)?;
    let config = if resume {
        TrainConfig {
            epochs: config.epochs,
            ..run.read_config()?
        }
    } else {
        config
    };
    let mut t = Trainer::new(backend, data.n_items, config)?;
    if resume {
        let items_here = t.model.params()[0].value().rows();
        run_dir::resume(run, &mut t).map_err(|e| match e {
            TrainError::Checkpoint(c) => TrainError::Invalid(format!(
                "cannot resume {} on {} ({items_here} items): {c}",
                run.dir.display(),
                data_dir.display()
            )),
            other => other,
        })?;
        let kept = run.records(t.epoch)?;
        run.rewrite_records(&kept)?;
    } else {
        if run.metrics().exists() {
            std::fs::remove_file(run.metrics()).map_err(|source| TrainError::Io {
                path: run.metrics(),
                source,
            })?;
        }
        run.write_config(&t.config)?;
        std::fs::write(run.path("items.txt"), data.unique_sid.join("\n") + "\n").map_err(
            |source| TrainError::Io {
                path: run.path("items.txt"),
                source,
            },
        )?;
    }
    let steps = data.train.rows().div_ceil(t.config.batch_size.max(1));
    progress.start(t.epoch, t.config.epochs, steps);
    while t.epoch < t.config.epochs && !t.should_stop() {
        let summary = t
            .run_epoch(&data, &mut |s, n, l| progress.step(s, n, l))
            .map_err(|e| match e {
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
                        format!("{} (and best.safetensors)", run.last().display())
                    } else {
                        "nothing: no epoch had completed".to_string()
                    },
                },
                other => other,
            })?;
        run.log_epoch(&summary)?;
        let is_best = t.best.map(|(e, _)| e) == Some(summary.epoch);
        if is_best {
            run_dir::save_best(run, &t, summary.epoch, summary.beta)?;
        }
        run_dir::save_last(run, &t)?;
        progress.epoch(&summary, is_best);
    }
    progress.finish();

    let records = run.records(usize::MAX)?;
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
        t.evaluator(),
        t.config.eval_batch_size,
    )?;
    let results = run_dir::results(best_epoch, &best.validation, best.beta, test);
    run.write_results(&results)?;
    crate::plots::write_training_plots(&run.dir, &records, best_epoch)?;
    Ok(results)
}
