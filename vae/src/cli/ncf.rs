//! `vae train --model gmf|mlp|neumf`, the NCF half of `vae train` (which hands over here and is not
//! imported back): NCF with the same run folder as Mult-VAE — `config.json`,
//! `metrics.jsonl`, `last.safetensors` (weights, Adam's moments, the next epoch; for `--resume`),
//! `best.safetensors`, `results.json`, the plots, and (implicit) `test_users.csv`: each user's HR@K
//! and NDCG@K under both rankings at the best epoch.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::Context;
use autograd::{Backend, Tensor};
use clap::Args;
use vae::checkpoint::{self, NamedTensor};
use vae::data::Dataset;
use vae::data::{self, Format, LoadOptions};
use vae::ncf::{
    build_ncf, final_metrics, train_ncf_on, NcfConfig, NcfData, NcfEpoch, NcfModelKind,
    NcfObserver, NcfTrainer, Protocol,
};
use vae::run_log::{EpochRecord, EpochTiming};
use vae::train::data_fingerprint::{self, DataFingerprint};
use vae::train::{run_lock, Progress, RunDir};

use super::common::{at_least_one, Console, EpochLine, RunFlags};
use super::values::{EvalArg, LearnerArg, ProtocolArg};

/// The ratings file of `--data`: the file itself, or the one rating file inside a folder.
fn ratings_file(data: &Path) -> anyhow::Result<PathBuf> {
    if data.is_file() {
        return Ok(data.to_path_buf());
    }
    let known = ["ml-100k.inter", "u.data", "ratings.csv", "ratings.dat"];
    known
        .iter()
        .map(|n| data.join(n))
        .find(|p| p.is_file())
        .with_context(|| {
            format!(
                "--data {}: no rating file ({}) there",
                data.display(),
                known.join(", ")
            )
        })
}

/// Writes each epoch to the run folder and keeps the checkpoints.
struct RunObserver<'r> {
    run: &'r RunDir,
    console: Console,
    metric: String,
    higher: bool,
    best: Option<(usize, f64)>,
    final_model: String,
}

impl RunObserver<'_> {
    fn tensors<B: Backend<Elem = f32>>(
        t: &NcfTrainer<'_, B>,
        with_moments: bool,
    ) -> anyhow::Result<Vec<NamedTensor>> {
        let mut out = Vec::new();
        for p in t.model.params() {
            let shape = p.value().shape();
            out.push(NamedTensor {
                name: p.name().into(),
                shape,
                data: p.value().to_vec()?,
            });
            if let (true, Some((m, v))) = (with_moments, t.adam.moments(p.name())) {
                let b = p.value().backend();
                out.push(NamedTensor {
                    name: format!("optimizer.adam.m.{}", p.name()),
                    shape,
                    data: b.download(m)?,
                });
                out.push(NamedTensor {
                    name: format!("optimizer.adam.v.{}", p.name()),
                    shape,
                    data: b.download(v)?,
                });
            }
        }
        Ok(out)
    }

    fn save<B: Backend<Elem = f32>>(
        &mut self,
        record: &NcfEpoch,
        t: &NcfTrainer<'_, B>,
    ) -> anyhow::Result<()> {
        vae::run_log::append(&self.run.metrics(), &as_record(record))?;
        vae::run_log::append(
            &self.run.timings(),
            &EpochTiming {
                epoch: record.epoch,
                seconds: record.seconds,
            },
        )?;
        let score = record
            .metrics
            .get(&self.metric)
            .copied()
            .unwrap_or(f64::NAN);
        let better = self
            .best
            .is_none_or(|(_, b)| if self.higher { score > b } else { score < b });
        let mut meta = BTreeMap::from([("epoch".to_string(), record.epoch.to_string())]);
        if better {
            self.best = Some((record.epoch, score));
            checkpoint::save(&self.run.best(), &Self::tensors(t, false)?, &meta)?;
            if let Some(per_user) = &record.per_user {
                self.run.write_test_users(per_user)?;
            }
        }
        meta.insert("next_epoch".into(), t.epoch.to_string());
        meta.insert("adam_steps".into(), t.adam.steps().to_string());
        if let Some((e, s)) = self.best {
            meta.insert("best_epoch".into(), e.to_string());
            meta.insert("best_score".into(), format!("{s:e}"));
        }
        checkpoint::save(&self.run.last(), &Self::tensors(t, true)?, &meta)?;
        self.console.epoch_line(EpochLine {
            epoch: record.epoch,
            loss: record.train_loss,
            nll: None,
            kl: None,
            beta: None,
            metrics: &record.metrics,
            seconds: record.seconds,
            best: better,
        });
        Ok(())
    }
}

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

impl<B: Backend<Elem = f32>> NcfObserver<B> for RunObserver<'_> {
    fn stage(&mut self, model: &str, epochs: usize, steps: usize) {
        self.console.finish();
        if model != self.final_model {
            println!("pre-training {model}");
        }
        self.console.start(0, epochs, steps);
    }
    fn step(&mut self, step: usize, steps: usize, loss: f64) {
        self.console.step(step, steps, loss);
    }
    fn epoch(
        &mut self,
        model: &str,
        record: &NcfEpoch,
        t: &NcfTrainer<'_, B>,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if model != self.final_model {
            self.console.epoch_line(EpochLine {
                epoch: record.epoch,
                loss: record.train_loss,
                nll: None,
                kl: None,
                beta: None,
                metrics: &record.metrics,
                seconds: record.seconds,
                best: false,
            });
            return Ok(());
        }
        self.save(record, t).map_err(|e| e.to_string().into())
    }
}

/// Options of `vae train` that only NCF reads.
pub struct NcfArgs {
    pub config: NcfConfig,
    pub epochs_given: bool,
    /// A fresh run may replace the run in its folder (`--overwrite`).
    pub overwrite: bool,
}

/// Trains (or resumes) an NCF model into `run`.
pub fn train<B: Backend<Elem = f32>>(
    backend: &B,
    data: &Path,
    args: NcfArgs,
    run: &RunDir,
    resume: bool,
) -> anyhow::Result<()> {
    let _lock = run_lock::lock(&run.dir)?;
    if !resume {
        run.prepare_fresh(args.overwrite, data)?;
    }
    let saved: Option<NcfConfig> = if resume {
        let text = std::fs::read_to_string(run.config())
            .with_context(|| format!("reading {}", run.config().display()))?;
        Some(
            serde_json::from_str(&text)
                .with_context(|| format!("{}: not an NCF run", run.config().display()))?,
        )
    } else {
        None
    };
    let protocol = saved.as_ref().map_or(args.config.protocol, |c| c.protocol);
    // The data files are recorded by their roles, so the same bytes under other names are the same data.
    let files = match protocol {
        Protocol::HeldOut => {
            anyhow::ensure!(
                data.is_dir(),
                "--data {}: --protocol heldout reads a split folder (`vae data prepare`), not a file",
                data.display()
            );
            data_fingerprint::pro_sg_files(data)
        }
        Protocol::Implicit | Protocol::Explicit => {
            vec![("ratings".to_string(), ratings_file(data)?)]
        }
    };
    let fingerprint: DataFingerprint = if resume {
        let recorded = run.read_data_fingerprint()?;
        data_fingerprint::verify(&recorded, &files, &run.config())?;
        recorded
    } else {
        data_fingerprint::of_files(&files)?
    };
    let config = match saved {
        Some(saved) if args.epochs_given && args.config.epochs != saved.epochs => {
            println!(
                "the run now goes to {} epochs instead of {} ({} updated)",
                args.config.epochs,
                saved.epochs,
                run.config().display()
            );
            let extended = NcfConfig {
                epochs: args.config.epochs,
                ..saved
            };
            run.write_config(&extended, &fingerprint)?;
            extended
        }
        Some(saved) => saved,
        None => args.config,
    };
    config.validate()?;
    let ncf_data = match protocol {
        Protocol::HeldOut => NcfData::held_out(&config, &Dataset::load(data)?)?,
        Protocol::Implicit | Protocol::Explicit => {
            let ratings = data::load(&files[0].1, &Format::Auto, &LoadOptions::default())?;
            NcfData::prepare(&config, &ratings)?
        }
    };
    config.validate()?;
    let (metric, higher) = config.selection();
    let mut obs = RunObserver {
        run,
        console: Console::new(),
        metric,
        higher,
        best: None,
        final_model: config.model.name().to_string(),
    };
    let metrics = if resume {
        anyhow::ensure!(
            !config.pretrain,
            "--resume of a pre-trained NeuMF run is not supported; rerun it"
        );
        let model = build_ncf(backend, config.model, &config, &ncf_data)?;
        let mut t = NcfTrainer::new(backend, config.clone(), &ncf_data, model);
        let ck = checkpoint::load(&run.last())?;
        let mut moments = HashMap::new();
        for p in t.model.params_mut() {
            let shape = p.value().shape();
            p.set_value(Tensor::from_vec(
                backend,
                shape[0],
                shape[1],
                ck.tensor(p.name(), shape)?,
            )?)?;
            if let (Ok(m), Ok(v)) = (
                ck.tensor(&format!("optimizer.adam.m.{}", p.name()), shape),
                ck.tensor(&format!("optimizer.adam.v.{}", p.name()), shape),
            ) {
                moments.insert(
                    p.name().to_string(),
                    (backend.upload(m)?, backend.upload(v)?),
                );
            }
        }
        let num = |k: &str| {
            ck.metadata
                .get(k)
                .and_then(|v| v.parse::<f64>().ok())
                .with_context(|| format!("{}: metadata {k}", run.last().display()))
        };
        t.adam.restore(num("adam_steps")? as u64, moments);
        t.epoch = num("next_epoch")? as usize;
        obs.best = Some((num("best_epoch")? as usize, num("best_score")?));
        for line in run.cut_logs_for_resume(t.epoch)? {
            println!("{line}");
        }
        run.check_history(t.epoch)?;
        for leftover in checkpoint::remove_interrupted_writes(&run.dir)? {
            println!(
                "removed {}, a write the interruption cut short",
                leftover.display()
            );
        }
        let mut records: Vec<NcfEpoch> = vae::run_log::read(&run.metrics())?
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
        obs.console
            .start(t.epoch, config.epochs, t.steps_per_epoch());
        while t.epoch < config.epochs {
            let r = t.run_epoch(&mut obs)?;
            obs.save(&r, &t)?;
            records.push(r);
        }
        let mut m = ncf_data.baselines(config.top_k)?;
        m.extend(final_metrics(&config, &records));
        m
    } else {
        run.write_config(&config, &fingerprint)?;
        train_ncf_on(backend, &config, &ncf_data, &mut obs)?.metrics
    };
    obs.console.finish();
    checkpoint::write_json_atomic(&run.results(), &metrics)?;
    let records = vae::run_log::read(&run.metrics())?;
    let best = obs.best.map_or(0, |(e, _)| e);
    vae::plots::write_training_plots(&run.dir, &records, best)?;
    println!();
    for (k, v) in &metrics {
        println!("{k:<28} {v:.4}");
    }
    println!("results in {}", run.results().display());
    Ok(())
}

/// `NcfConfig` from the shared `vae train` flags.
pub fn config(
    kind: NcfModelKind,
    protocol: vae::ncf::Protocol,
    o: &NcfFlags,
    common: RunFlags,
) -> NcfConfig {
    let mut c = NcfConfig::paper(kind, protocol);
    if let Some(e) = common.epochs {
        c.epochs = e;
    }
    if let Some(b) = common.batch_size {
        c.batch_size = b;
    }
    c.lr = common.lr;
    c.seed = common.seed;
    if let Some(f) = o.factors {
        c.factors = f;
    }
    if let Some(l) = &o.layers {
        c.layers = l.clone();
    }
    if let Some(l) = o.learner {
        c.learner = l.into();
    }
    c.pretrain = o.pretrain;
    if let Some(e) = o.eval {
        c.eval = e.into();
    }
    c
}

/// Flags only NCF reads.
#[derive(Debug, Args)]
pub struct NcfFlags {
    /// NCF: explicit (MSE on ratings; RMSE, MAE) or implicit (leave-one-out, negatives, BCE; HR, NDCG)
    /// (default implicit).
    #[arg(long, value_enum)]
    pub protocol: Option<ProtocolArg>,
    /// NCF: GMF factors (default 8).
    #[arg(long, value_parser = at_least_one, allow_negative_numbers = true)]
    pub factors: Option<usize>,
    /// NCF: the MLP tower, the first entry being the concatenated embedding width (default 64,32,16,8).
    #[arg(long, value_delimiter = ',', value_parser = at_least_one, allow_negative_numbers = true)]
    pub layers: Option<Vec<usize>>,
    /// NCF: the optimiser (default adam).
    #[arg(long, value_enum)]
    pub learner: Option<LearnerArg>,
    /// NCF NeuMF: pre-train GMF and MLP first and start from both (α = 0.5).
    #[arg(long)]
    pub pretrain: bool,
    /// NCF implicit: the ranking whose HR@10 picks the best epoch, sampled (the held-out item among
    /// 99 sampled negatives, the paper's) or full (among every item not trained on); both are
    /// measured every epoch (default sampled).
    #[arg(long, value_enum)]
    pub eval: Option<EvalArg>,
}
