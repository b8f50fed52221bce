//! `vae train --model gmf|mlp|neumf`, the NCF half of `vae train` (which hands over here and is not
//! imported back): NCF's flags, and its run ([`vae::ncf::run`]) on the console.

use std::path::Path;

use autograd::Backend;
use clap::Args;
use vae::ncf::run::{self, NcfProgress, Start};
use vae::ncf::{NcfConfig, NcfEpoch, NcfModelKind};
use vae::train::RunDir;

use super::common::{at_least_one, Console, EpochLine, RunFlags};
use super::values::{EvalArg, LearnerArg, ProtocolArg};

impl NcfProgress for Console {
    fn ncf_epoch(&mut self, r: &NcfEpoch, is_best: bool) {
        self.epoch_line(EpochLine {
            epoch: r.epoch,
            loss: r.train_loss,
            nll: None,
            kl: None,
            beta: None,
            metrics: &r.metrics,
            seconds: r.seconds,
            best: is_best,
        });
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
    let start = if resume {
        Start::Resume {
            epochs: args.epochs_given.then_some(args.config.epochs),
        }
    } else {
        Start::Fresh(args.config)
    };
    let metrics = run::train(
        backend,
        data,
        start,
        run,
        args.overwrite,
        &mut Console::new(),
    )?;
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
