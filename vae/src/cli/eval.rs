//! `vae eval`: a trained run's metrics on a split.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use vae::data::Dataset;
use vae::metrics::{item_popularity, Evaluator, Metric};
use vae::train::data_fingerprint::{self, ITEMS};
use vae::train::{evaluate, RunDir};

use super::common::{load_run, metric};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Split {
    Test,
    Validation,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// A run folder written by `vae train`.
    #[arg(long)]
    checkpoint: PathBuf,
    /// The pro_sg folder to evaluate on.
    #[arg(long)]
    data: PathBuf,
    #[arg(long, value_enum, default_value = "test")]
    split: Split,
    /// Also write each evaluated user's metrics to this CSV file (`uid,<metric>,...`, as a run's
    /// `test_users.csv`), for `vae compare`.
    #[arg(long)]
    per_user: Option<PathBuf>,
    /// Metrics to report instead of the run's own (`config.json`'s), each NAME@K as for `vae
    /// train --k`; e.g. every metric of runs trained with the default three.
    #[arg(long, value_delimiter = ',', value_parser = metric)]
    k: Option<Vec<Metric>>,
}

pub fn eval_cmd(a: EvalArgs) -> anyhow::Result<()> {
    let (data, cache) = Dataset::load_with_status(&a.data)?;
    if let Some(line) = cache.note() {
        eprintln!("{line}");
    }
    let run = RunDir::open(&a.checkpoint)?;
    // Another split of the same items is fair to score; other items in the same number are not.
    let mut items = run.read_data_fingerprint()?;
    items.retain(|k, _| k == ITEMS);
    data_fingerprint::verify(
        &items,
        &data_fingerprint::pro_sg_files(&a.data),
        &run.config(),
    )?;
    let t = load_run(&run, data.n_items)?;
    let pair = match a.split {
        Split::Test => &data.test,
        Split::Validation => &data.validation,
    };
    let evaluator = match a.k {
        Some(metrics) => Evaluator::new(metrics)?,
        None => t.evaluator().clone(),
    };
    let e = evaluate(
        &t,
        pair,
        &item_popularity(&data.train),
        &evaluator,
        t.eval_batch_size(),
    )?;
    if let Some(path) = &a.per_user {
        vae::checkpoint::write_atomic(path, e.per_user.to_csv().as_bytes())?;
    }
    println!("{}", serde_json::to_string_pretty(&e)?);
    Ok(())
}
