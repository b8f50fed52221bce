//! `vae sweep`: a grid of Mult-VAE/DAE runs into one folder ([`vae::sweep`]), each point a
//! `vae train` process of this program, then the CSV, the tables and the figures.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use vae::metrics::{Metric, MetricKind};
use vae::sweep::{self, Execution, Grid, SweepDir, SweepSpec};

use super::common::{at_least_one, check_threads, metric, non_negative, positive, probability};
use super::train::stop_on_signals;

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The pro_sg folder every point trains on.
    #[arg(long)]
    data: PathBuf,
    /// The sweep folder: sweep.json, one run folder per point, sweep.csv, table.md, the figures.
    /// The same command onto it again continues the sweep.
    #[arg(long)]
    out: PathBuf,
    /// The grid as a TOML (.toml) or JSON file: keys are the flags below, values lists
    /// (`dims = [[600, 200], [200]]`), instead of the flags.
    #[arg(long, conflicts_with_all = GRID_ARGS)]
    grid: Option<PathBuf>,
    /// Models, e.g. vae,dae.
    #[arg(long)]
    model: Option<String>,
    /// Encoder sizes, `:` between grid values, `,` between a value's layers: 600,200:200.
    #[arg(long)]
    dims: Option<String>,
    /// Dropout probabilities, e.g. 0.2,0.5.
    #[arg(long, allow_hyphen_values = true)]
    dropout: Option<String>,
    /// Learning rates, e.g. 1e-3,3e-4.
    #[arg(long, allow_hyphen_values = true)]
    lr: Option<String>,
    /// Seeds, e.g. 1,2,3.
    #[arg(long, allow_hyphen_values = true)]
    seed: Option<String>,
    /// Epochs.
    #[arg(long, allow_hyphen_values = true)]
    epochs: Option<String>,
    /// Mini-batch sizes.
    #[arg(long, allow_hyphen_values = true)]
    batch_size: Option<String>,
    /// Updates over which β rises to 1 (Mult-VAE).
    #[arg(long, allow_hyphen_values = true)]
    total_anneal_steps: Option<String>,
    /// Largest β of the annealing (Mult-VAE).
    #[arg(long, allow_hyphen_values = true)]
    anneal_cap: Option<String>,
    /// Weight penalties λ (Mult-DAE).
    #[arg(long, allow_hyphen_values = true)]
    l2: Option<String>,
    /// Every point: the metrics, as `vae train --k` (the first NDCG picks the best epoch).
    #[arg(long, value_delimiter = ',', value_parser = metric)]
    k: Option<Vec<Metric>>,
    /// Every point: stop after this many epochs without a better validation NDCG.
    #[arg(long, value_parser = at_least_one)]
    patience: Option<usize>,
    /// Every point: users per evaluation batch.
    #[arg(long, value_parser = at_least_one)]
    eval_batch_size: Option<usize>,
    /// The paper's procedure for each Mult-VAE configuration: anneal β to 1, then rerun with β at
    /// that run's best epoch as --anneal-cap; both runs are kept (the csv's phase column).
    #[arg(long, conflicts_with = "anneal_cap")]
    anneal_then_rerun: bool,
    /// Let another grid replace the sweep in --out (the old sweep's files are deleted; other
    /// files are kept).
    #[arg(long)]
    overwrite: bool,
    /// Points trained at once.
    #[arg(long, default_value_t = 1, value_parser = at_least_one)]
    jobs: usize,
    /// Worker threads of each point (default: the cores over --jobs).
    #[arg(long)]
    threads: Option<usize>,
}

const GRID_ARGS: [&str; 10] = [
    "model",
    "dims",
    "dropout",
    "lr",
    "seed",
    "epochs",
    "batch_size",
    "total_anneal_steps",
    "anneal_cap",
    "l2",
];

impl SweepArgs {
    fn grid(&self) -> anyhow::Result<Grid> {
        if let Some(file) = &self.grid {
            return Ok(Grid::from_file(file)?);
        }
        let given = [
            ("model", &self.model),
            ("dims", &self.dims),
            ("dropout", &self.dropout),
            ("lr", &self.lr),
            ("seed", &self.seed),
            ("epochs", &self.epochs),
            ("batch-size", &self.batch_size),
            ("total-anneal-steps", &self.total_anneal_steps),
            ("anneal-cap", &self.anneal_cap),
            ("l2", &self.l2),
        ];
        Ok(Grid::from_flags(
            given
                .iter()
                .filter_map(|(f, v)| v.as_deref().map(|v| (*f, v))),
        )?)
    }

    fn fixed(&self) -> anyhow::Result<Vec<(String, String)>> {
        let mut fixed = Vec::new();
        if let Some(k) = &self.k {
            let names: Vec<String> = k.iter().map(Metric::to_string).collect();
            anyhow::ensure!(
                k.iter().any(|m| m.kind == MetricKind::Ndcg),
                "--k {}: the list needs an ndcg@K to pick the best epoch",
                names.join(",")
            );
            fixed.push(("k".to_string(), names.join(",")));
        }
        if let Some(p) = self.patience {
            fixed.push(("patience".to_string(), p.to_string()));
        }
        if let Some(b) = self.eval_batch_size {
            fixed.push(("eval-batch-size".to_string(), b.to_string()));
        }
        Ok(fixed)
    }
}

/// Checks `value` of grid flag `flag` with the parser `vae train` gives that flag.
fn parse_value(flag: &str, value: &str) -> Result<(), String> {
    let count = |v: &str| v.parse::<u64>().map(|_| ()).map_err(|e| e.to_string());
    match flag {
        "model" => match value {
            "vae" | "dae" => Ok(()),
            _ => Err("expected vae or dae (a sweep trains Mult-VAE/DAE)".into()),
        },
        "dims" => value
            .split(',')
            .try_for_each(|d| at_least_one(d.trim()).map(|_| ())),
        "dropout" => probability(value).map(|_| ()),
        "lr" => positive(value).map(|_| ()),
        "seed" | "total-anneal-steps" => count(value),
        "epochs" | "batch-size" => at_least_one(value).map(|_| ()),
        "anneal-cap" | "l2" => non_negative(value).map(|_| ()),
        _ => Err("not a grid flag".into()),
    }
}

/// Refuses a grid axis that no model of the grid reads, and `--anneal-then-rerun` without
/// Mult-VAE: `vae train` would refuse every such point.
fn check_models(grid: &Grid, anneal_then_rerun: bool) -> anyhow::Result<()> {
    let default = [sweep::grid::DEFAULT_MODEL.to_string()];
    let models = grid.values("model").unwrap_or(&default);
    for a in &grid.axes {
        anyhow::ensure!(
            models.iter().any(|m| sweep::grid::applies(&a.flag, m)),
            "--{} applies to --model {}, and the grid's models are {}",
            a.flag,
            if a.flag == "l2" { "dae" } else { "vae" },
            models.join(",")
        );
    }
    anyhow::ensure!(
        !anneal_then_rerun || models.iter().any(|m| m == "vae"),
        "--anneal-then-rerun anneals Mult-VAE's β, and the grid's models are {}",
        models.join(",")
    );
    Ok(())
}

pub fn sweep_cmd(a: SweepArgs) -> anyhow::Result<()> {
    let grid = a.grid()?;
    grid.check(parse_value)?;
    check_models(&grid, a.anneal_then_rerun)?;
    anyhow::ensure!(
        !(a.anneal_then_rerun && grid.values("anneal-cap").is_some()),
        "--anneal-cap: --anneal-then-rerun sets the cap (1.0, then β at the best epoch)"
    );
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let threads = a.threads.unwrap_or((cores / a.jobs).max(1));
    check_threads(threads)?;
    let spec = SweepSpec {
        data: a.data.clone(),
        grid,
        fixed: a.fixed()?,
        anneal_then_rerun: a.anneal_then_rerun,
    };
    let (dir, continued) = SweepDir::prepare(&a.out, &spec, a.overwrite)?;
    let points = spec.points().len();
    println!(
        "{} sweep of {points} points in {} ({} at a time, {threads} thread(s) each)",
        if continued { "continuing the" } else { "a new" },
        dir.dir.display(),
        a.jobs
    );
    let exec = Execution {
        program: std::env::current_exe().context("finding the vae program to run the points")?,
        jobs: a.jobs,
        threads,
        stop: stop_on_signals()?,
    };
    let outcome = sweep::execute::run(&exec, &dir, &spec, &mut |line| println!("{line}"))?;
    let rows = sweep::table::rows(&dir, &spec)?;
    sweep::table::write_csv(&dir, &spec, &rows)?;
    let table = sweep::table::write_markdown(&dir, &rows)?;
    println!("\n{table}");
    if let Some(metric) = sweep::table::selection_metric(&rows) {
        let figures = sweep::figures::write_figures(&dir, &rows, &metric)?;
        let shown: Vec<String> = figures.iter().map(|f| f.display().to_string()).collect();
        println!("figures: {}", shown.join(", "));
    }
    println!(
        "{} of {points} points finished ({} before this sweep); csv {}, table {}",
        rows.len(),
        outcome.skipped,
        dir.csv().display(),
        dir.table().display()
    );
    let again: Vec<String> = std::env::args().collect();
    if outcome.interrupted {
        anyhow::bail!(
            "stopped with {} point(s) unfinished; continue with the same command:\n  {}",
            outcome.unfinished,
            again.join(" ")
        );
    }
    if !outcome.failed.is_empty() {
        let failed: Vec<String> = outcome
            .failed
            .iter()
            .map(|(name, why)| format!("  {name}: {why}"))
            .collect();
        anyhow::bail!(
            "{} point(s) failed:\n{}\nafter fixing the cause, the same command runs them again",
            outcome.failed.len(),
            failed.join("\n")
        );
    }
    Ok(())
}
