//! `vae train`, `vae eval`, `vae recommend` and `vae quickstart`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use autograd::{Cpu, CsrMatrix};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use vae::data::{self, fetch, Dataset};
use vae::models::Anneal;
use vae::ncf::{Learner, NcfModelKind, Protocol};
use vae::train::{
    self, evaluate, EpochSummary, LrSchedule, ModelKind, Progress, RunDir, TrainConfig, Trainer,
};

/// Where the computation runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Device {
    Cpu,
    Cuda(usize),
}

pub fn parse_device(s: &str) -> Result<Device, String> {
    match s {
        "cpu" => Ok(Device::Cpu),
        "cuda" => Ok(Device::Cuda(0)),
        _ => s
            .strip_prefix("cuda:")
            .and_then(|n| n.parse().ok())
            .map(Device::Cuda)
            .ok_or_else(|| format!("--device {s}: expected cpu, cuda or cuda:N")),
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ScheduleArg {
    Constant,
    Plateau,
    Step,
}

/// Every model `vae train` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModelArg {
    /// Mult-VAE^PR.
    Vae,
    /// Mult-DAE.
    Dae,
    /// NCF's generalised matrix factorisation.
    Gmf,
    /// NCF's multi-layer perceptron.
    Mlp,
    /// NCF's fusion of GMF and MLP.
    Neumf,
}

/// Flags only NCF reads.
#[derive(Debug, Args)]
pub struct NcfFlags {
    /// NCF: explicit (MSE on ratings; RMSE, MAE) or implicit (leave-one-out, negatives, BCE; HR, NDCG).
    #[arg(long, value_enum, default_value = "implicit")]
    pub protocol: Protocol,
    /// NCF: GMF factors (default 8).
    #[arg(long)]
    pub factors: Option<usize>,
    /// NCF: the MLP tower, the first entry being the concatenated embedding width (default 64,32,16,8).
    #[arg(long, value_delimiter = ',')]
    pub layers: Option<Vec<usize>>,
    /// NCF: the optimiser (default adam).
    #[arg(long, value_enum)]
    pub learner: Option<Learner>,
    /// NCF NeuMF: pre-train GMF and MLP first and start from both (α = 0.5).
    #[arg(long)]
    pub pretrain: bool,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Mult-VAE/DAE: a pro_sg folder (from `vae data prepare`, `vae data synth` or the authors'
    /// notebook). NCF: a rating file, or a folder holding one.
    #[arg(long)]
    data: PathBuf,
    /// Which model.
    #[arg(long, value_enum, default_value = "vae")]
    model: ModelArg,
    /// The run folder to write (config, metrics, checkpoints, results, plots).
    #[arg(long, required_unless_present = "resume")]
    out: Option<PathBuf>,
    /// Continue the run saved in this folder from its last completed epoch.
    #[arg(long, conflicts_with = "out")]
    resume: Option<PathBuf>,
    /// cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu", value_parser = parse_device)]
    device: Device,
    /// Epochs (default 200 for vae/dae, 20 for NCF).
    #[arg(long)]
    epochs: Option<usize>,
    /// Mini-batch size (default 500 for vae/dae, 256 for NCF).
    #[arg(long)]
    batch_size: Option<usize>,
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    #[arg(long, default_value_t = 98765)]
    seed: u64,
    /// Encoder sizes after the item layer, the last being the latent size (default 600,200 for
    /// vae, 200 for dae).
    #[arg(long, value_delimiter = ',')]
    dims: Option<Vec<usize>>,
    /// Dropout probability on the input.
    #[arg(long, default_value_t = 0.5)]
    dropout: f64,
    /// Weight penalty λ·Σ‖W‖² (the notebook's Mult-DAE regulariser).
    #[arg(long, default_value_t = 0.0)]
    l2: f64,
    /// The largest β of the linear annealing.
    #[arg(long, default_value_t = 0.2)]
    anneal_cap: f64,
    /// Updates over which β rises from 0 to 1 (capped at --anneal-cap).
    #[arg(long, default_value_t = 200_000)]
    total_anneal_steps: u64,
    /// A constant β instead of annealing.
    #[arg(long)]
    beta: Option<f64>,
    /// Stop after this many epochs without a better validation NDCG.
    #[arg(long)]
    patience: Option<usize>,
    #[arg(long, value_enum, default_value = "constant")]
    lr_schedule: ScheduleArg,
    /// Epochs: without improvement before halving (plateau), or between halvings (step).
    #[arg(long, default_value_t = 10)]
    lr_epochs: usize,
    #[arg(long, default_value_t = 2000)]
    eval_batch_size: usize,
    /// Metrics, comma-separated; the first NDCG picks the best epoch.
    #[arg(
        long,
        default_value = "ndcg@100,recall@20,recall@50",
        value_delimiter = ','
    )]
    k: Vec<String>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// On a GPU, let cuBLAS use TF32 tensor cores for GEMMs (faster, ~1e-3 relative error).
    #[arg(long)]
    tf32: bool,
    #[command(flatten)]
    ncf: NcfFlags,
}

impl TrainArgs {
    fn config(&self, model: ModelKind) -> TrainConfig {
        let mut c = TrainConfig::paper(model);
        if let Some(d) = &self.dims {
            c.dims = d.clone();
        }
        c.dropout = self.dropout;
        c.l2 = self.l2;
        c.epochs = self.epochs.unwrap_or(c.epochs);
        c.batch_size = self.batch_size.unwrap_or(c.batch_size);
        c.lr = self.lr;
        c.seed = self.seed;
        c.anneal = match self.beta {
            Some(b) => Anneal::Constant(b),
            None => Anneal::Linear {
                cap: self.anneal_cap,
                total_steps: self.total_anneal_steps,
            },
        };
        c.patience = self.patience;
        c.lr_schedule = match self.lr_schedule {
            ScheduleArg::Constant => LrSchedule::Constant,
            ScheduleArg::Plateau => LrSchedule::Plateau {
                patience: self.lr_epochs,
            },
            ScheduleArg::Step => LrSchedule::Step {
                every: self.lr_epochs,
            },
        };
        c.eval_batch_size = self.eval_batch_size;
        c.metrics = self.k.clone();
        c
    }
}

/// A progress bar on a terminal; one plain line per epoch otherwise.
pub struct Console {
    bar: Option<ProgressBar>,
    start: Instant,
}

impl Console {
    pub fn new() -> Self {
        Console {
            bar: None,
            start: Instant::now(),
        }
    }
    fn say(&self, line: String) {
        match &self.bar {
            Some(b) => b.println(line),
            None => println!("{line}"),
        }
    }
}

fn metrics_text(m: &std::collections::BTreeMap<String, f64>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k} {v:.4}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One epoch's line of output.
pub struct EpochLine<'a> {
    pub epoch: usize,
    pub loss: f64,
    pub beta: Option<f64>,
    pub metrics: &'a std::collections::BTreeMap<String, f64>,
    pub seconds: f64,
    pub best: bool,
}

impl Console {
    /// Prints an epoch's line (above the bar on a terminal) and advances the bar.
    pub fn epoch_line(&mut self, l: EpochLine<'_>) {
        let beta = l.beta.map_or(String::new(), |b| format!("  β {b:.4}"));
        self.say(format!(
            "epoch {:3}  loss {:.4}{beta}  {}  {:.2}s{}",
            l.epoch,
            l.loss,
            metrics_text(l.metrics),
            l.seconds,
            if l.best { "  *best" } else { "" }
        ));
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }
}

impl Progress for Console {
    fn start(&mut self, first: usize, epochs: usize, _steps: usize) {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(epochs as u64).with_position(first as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:30} epoch {pos}/{len} {elapsed_precise} eta {eta} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            self.bar = Some(bar);
        }
        self.start = Instant::now();
    }
    fn step(&mut self, step: usize, steps: usize, loss: f64) {
        if let Some(b) = &self.bar {
            b.set_message(format!("step {}/{steps} loss {loss:.3}", step + 1));
        }
    }
    fn epoch(&mut self, s: &EpochSummary, is_best: bool) {
        self.epoch_line(EpochLine {
            epoch: s.epoch,
            loss: s.train_loss,
            beta: Some(s.beta),
            metrics: &s.validation.metrics,
            seconds: s.seconds,
            best: is_best,
        });
    }
    fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

pub fn set_threads(threads: Option<usize>) -> anyhow::Result<()> {
    if let Some(n) = threads {
        anyhow::ensure!(n > 0, "--threads must be at least 1");
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .context("setting --threads")?;
    }
    Ok(())
}

/// The CUDA device `n`, with a message that says what is missing when there is none.
pub fn cuda(n: usize, tf32: bool) -> anyhow::Result<gpu::Cuda> {
    let dev = gpu::Cuda::new(n).with_context(|| format!("--device cuda:{n}"))?;
    dev.set_tf32(tf32).context("--tf32")?;
    Ok(dev)
}

pub fn train_cmd(a: TrainArgs) -> anyhow::Result<()> {
    set_threads(a.threads)?;
    let (dir, resume) = match (&a.out, &a.resume) {
        (_, Some(r)) => (r.clone(), true),
        (Some(o), None) => (o.clone(), false),
        (None, None) => anyhow::bail!("give --out RUN_DIR (or --resume RUN_DIR)"),
    };
    let run = RunDir::new(&dir)?;
    let model = match a.model {
        ModelArg::Vae => ModelKind::Vae,
        ModelArg::Dae => ModelKind::Dae,
        ncf_model => {
            let kind = match ncf_model {
                ModelArg::Gmf => NcfModelKind::Gmf,
                ModelArg::Mlp => NcfModelKind::Mlp,
                _ => NcfModelKind::Neumf,
            };
            let common = super::ncf::Common {
                epochs: a.epochs,
                batch_size: a.batch_size,
                lr: a.lr,
                seed: a.seed,
            };
            let args = super::ncf::NcfArgs {
                config: super::ncf::config(kind, a.ncf.protocol, &a.ncf, common),
                epochs_given: a.epochs.is_some(),
            };
            return match a.device {
                Device::Cpu => super::ncf::train(&Cpu::<f32>::new(), &a.data, args, &run, resume),
                Device::Cuda(n) => {
                    super::ncf::train(&cuda(n, a.tf32)?, &a.data, args, &run, resume)
                }
            };
        }
    };
    let started = Instant::now();
    let (config, mut console) = (a.config(model), Console::new());
    let results = match a.device {
        Device::Cpu => train::train(
            &Cpu::<f32>::new(),
            &a.data,
            config,
            &run,
            resume,
            &mut console,
        )?,
        Device::Cuda(n) => train::train(
            &cuda(n, a.tf32)?,
            &a.data,
            config,
            &run,
            resume,
            &mut console,
        )?,
    };
    println!(
        "\nbest epoch {} (β {:.4}); test: {}  ({} users, {} without held-out items)",
        results.best_epoch,
        results.beta_at_best,
        metrics_text(&results.test),
        results.test_users_evaluated,
        results.test_users_skipped
    );
    println!(
        "{:.1}s; results in {}, plots {} and {}",
        started.elapsed().as_secs_f64(),
        run.results().display(),
        run.path("beta_ndcg.png").display(),
        run.path("loss.png").display()
    );
    Ok(())
}

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
}

/// A trainer for a run folder's configuration with its best weights loaded.
fn load_run(run: &RunDir, n_items: usize) -> anyhow::Result<Trainer<Cpu<f32>>> {
    let config = run.read_config()?;
    let mut t = Trainer::new(&Cpu::new(), n_items, config)?;
    train::run_dir::load_weights(&run.best(), &mut t)
        .with_context(|| format!("loading {} for {n_items} items", run.best().display()))?;
    Ok(t)
}

pub fn eval_cmd(a: EvalArgs) -> anyhow::Result<()> {
    let data = Dataset::load(&a.data)?;
    let run = RunDir::open(&a.checkpoint)?;
    let t = load_run(&run, data.n_items)?;
    let pair = match a.split {
        Split::Test => &data.test,
        Split::Validation => &data.validation,
    };
    let e = evaluate(
        t.model.as_ref(),
        pair,
        t.evaluator(),
        t.config.eval_batch_size,
    )?;
    println!("{}", serde_json::to_string_pretty(&e)?);
    Ok(())
}

#[derive(Debug, Args)]
pub struct RecommendArgs {
    /// A run folder written by `vae train`.
    #[arg(long)]
    checkpoint: PathBuf,
    /// The new user's items, raw ids as in the rating file.
    #[arg(long, value_delimiter = ',', required = true)]
    items: Vec<String>,
    #[arg(long, default_value_t = 10)]
    top: usize,
}

pub fn recommend_cmd(a: RecommendArgs) -> anyhow::Result<()> {
    let run = RunDir::open(&a.checkpoint)?;
    let path = run.path("items.txt");
    let items: Vec<String> = std::fs::read_to_string(&path)
        .with_context(|| format!("reading {}", path.display()))?
        .lines()
        .map(str::to_string)
        .collect();
    let mut cols = Vec::new();
    for id in &a.items {
        let col = items.iter().position(|s| s == id).with_context(|| {
            format!(
                "--items: {id} is not an item of this model ({})",
                path.display()
            )
        })?;
        cols.push((0, col, 1.0f32));
    }
    let t = load_run(&run, items.len())?;
    let fold_in = CsrMatrix::from_triplets(1, items.len(), &cols)?;
    let mut scores = t.model.scores(&fold_in)?.to_vec()?;
    for &(_, c, _) in &cols {
        scores[c] = f32::NEG_INFINITY;
    }
    for (rank, col) in vae::metrics::top_k(&scores, a.top.min(items.len() - cols.len()))
        .into_iter()
        .enumerate()
    {
        println!(
            "{:3}. {}  (score {:.4})",
            rank + 1,
            items[col as usize],
            scores[col as usize]
        );
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct QuickstartArgs {
    /// Where the data goes.
    #[arg(long, default_value = "data/ml-100k")]
    data: PathBuf,
    /// Where the run goes.
    #[arg(long, default_value = "runs/quickstart")]
    out: PathBuf,
    #[arg(long, default_value_t = 200)]
    epochs: usize,
}

pub fn quickstart_cmd(a: QuickstartArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let inter = fetch::fetch_ml100k(&a.data, None)?;
    println!("MovieLens-100k: {}", inter.display());
    let split_dir = a.data.join("pro_sg");
    prepare_ml100k(&inter, &split_dir)?;
    println!(
        "split (the paper's protocol, 10% held-out users): {}",
        split_dir.display()
    );
    let run = RunDir::new(&a.out)?;
    let mut config = TrainConfig::paper(ModelKind::Vae);
    config.epochs = a.epochs;
    let results = train::train(
        &Cpu::<f32>::new(),
        &split_dir,
        config,
        &run,
        false,
        &mut Console::new(),
    )?;
    println!(
        "\nMult-VAE on ML-100k: best epoch {}; test {}",
        results.best_epoch,
        metrics_text(&results.test)
    );
    println!(
        "done in {:.1}s. Run folder: {} (results.json, metrics.jsonl, beta_ndcg.png/svg, loss.png/svg)",
        started.elapsed().as_secs_f64(),
        run.dir.display()
    );
    Ok(())
}

/// `vae data prepare --heldout-frac 0.1` on the fetched file.
fn prepare_ml100k(inter: &Path, out: &Path) -> anyhow::Result<()> {
    let ratings = data::load(inter, &data::Format::Auto, &data::LoadOptions::default())?;
    let config = data::SplitConfig {
        heldout: data::Heldout::Fraction(0.1),
        ..data::SplitConfig::default()
    };
    let split = data::split(&ratings, &config)?;
    data::pro_sg::write(out, &split)?;
    Ok(())
}
