//! `vae train`, `vae eval`, `vae recommend` and `vae quickstart`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use autograd::{Cpu, CsrMatrix};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use vae::data::{self, fetch, Dataset};
use vae::models::Anneal;
use vae::ncf::{Learner, NcfModelKind, Protocol};
use vae::train::{
    self, evaluate, EpochSummary, LrSchedule, ModelKind, Progress, RunDir, RunOptions, Start,
    TrainConfig, TrainError, Trainer,
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
    /// NCF: explicit (MSE on ratings; RMSE, MAE) or implicit (leave-one-out, negatives, BCE; HR, NDCG)
    /// (default implicit).
    #[arg(long, value_enum)]
    pub protocol: Option<Protocol>,
    /// NCF: GMF factors (default 8).
    #[arg(long, value_parser = at_least_one)]
    pub factors: Option<usize>,
    /// NCF: the MLP tower, the first entry being the concatenated embedding width (default 64,32,16,8).
    #[arg(long, value_delimiter = ',', value_parser = at_least_one)]
    pub layers: Option<Vec<usize>>,
    /// NCF: the optimiser (default adam).
    #[arg(long, value_enum)]
    pub learner: Option<Learner>,
    /// NCF NeuMF: pre-train GMF and MLP first and start from both (α = 0.5).
    #[arg(long)]
    pub pretrain: bool,
}

/// A count that must be positive (sizes, epochs).
fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

fn finite(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err("must be a finite number".into())
    }
}

/// A learning rate: finite and positive.
fn positive(s: &str) -> Result<f64, String> {
    finite(s).and_then(|v| {
        if v > 0.0 {
            Ok(v)
        } else {
            Err("must be positive".into())
        }
    })
}

/// A weight or β: finite and not negative.
fn non_negative(s: &str) -> Result<f64, String> {
    finite(s).and_then(|v| {
        if v >= 0.0 {
            Ok(v)
        } else {
            Err("must not be negative".into())
        }
    })
}

/// A dropout probability: 1 would drop every input.
fn probability(s: &str) -> Result<f64, String> {
    finite(s).and_then(|v| {
        if (0.0..1.0).contains(&v) {
            Ok(v)
        } else {
            Err("must be in [0, 1)".into())
        }
    })
}

/// A metric as `--k` lists them (`ndcg@100`, `recall@20`).
fn metric(s: &str) -> Result<String, String> {
    s.parse::<vae::metrics::Metric>()
        .map(|_| s.to_string())
        .map_err(|e| e.to_string())
}

/// The defaults of the flags Mult-VAE/DAE and NCF share.
const LR: f64 = 1e-3;
const SEED: u64 = 98765;
/// About 105 s of work at ML-20M's shape on the project's 2-core CPU (0.35 s per update): at most
/// that much is lost to a crash.
const CHECKPOINT_EVERY: u64 = 300;

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Mult-VAE/DAE: a pro_sg folder (from `vae data prepare`, `vae data synth` or the authors'
    /// notebook). NCF: a rating file, or a folder holding one.
    #[arg(long)]
    data: PathBuf,
    /// Which model (default vae).
    #[arg(long, value_enum)]
    model: Option<ModelArg>,
    /// The run folder to write (config, metrics, checkpoints, results, plots).
    #[arg(long, required_unless_present = "resume")]
    out: Option<PathBuf>,
    /// Continue the run saved in this folder where its last checkpoint left it, with the settings
    /// of its config.json (only --epochs may change, to extend the run).
    #[arg(long, conflicts_with = "out")]
    resume: Option<PathBuf>,
    /// cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu", value_parser = parse_device)]
    device: Device,
    /// Epochs (default 200 for vae/dae, 20 for NCF).
    #[arg(long, value_parser = at_least_one)]
    epochs: Option<usize>,
    /// Mini-batch size (default 500 for vae/dae, 256 for NCF).
    #[arg(long, value_parser = at_least_one)]
    batch_size: Option<usize>,
    /// Adam's learning rate (default 1e-3).
    #[arg(long, value_parser = positive)]
    lr: Option<f64>,
    /// The seed of initialisation, shuffling, dropout and noise (default 98765).
    #[arg(long)]
    seed: Option<u64>,
    /// Encoder sizes after the item layer, the last being the latent size (default 600,200 for
    /// vae, 200 for dae).
    #[arg(long, value_delimiter = ',', value_parser = at_least_one)]
    dims: Option<Vec<usize>>,
    /// Dropout probability on the input, in [0, 1) (default 0.5).
    #[arg(long, value_parser = probability)]
    dropout: Option<f64>,
    /// Weight penalty λ·Σ‖W‖² (the notebook's Mult-DAE regulariser; default 0).
    #[arg(long, value_parser = non_negative)]
    l2: Option<f64>,
    /// The largest β of the linear annealing (default 0.2).
    #[arg(long, value_parser = non_negative)]
    anneal_cap: Option<f64>,
    /// Updates over which β rises from 0 to 1, capped at --anneal-cap (default 200000).
    #[arg(long)]
    total_anneal_steps: Option<u64>,
    /// A constant β instead of annealing.
    #[arg(long, value_parser = non_negative)]
    beta: Option<f64>,
    /// Stop after this many epochs without a better validation NDCG.
    #[arg(long, value_parser = at_least_one)]
    patience: Option<usize>,
    /// The learning-rate schedule (default constant).
    #[arg(long, value_enum)]
    lr_schedule: Option<ScheduleArg>,
    /// Epochs: without improvement before halving (plateau), or between halvings (step) (default 10).
    #[arg(long, value_parser = at_least_one)]
    lr_epochs: Option<usize>,
    /// Users per evaluation batch (default 2000).
    #[arg(long, value_parser = at_least_one)]
    eval_batch_size: Option<usize>,
    /// Metrics, comma-separated; the first NDCG picks the best epoch (default
    /// ndcg@100,recall@20,recall@50).
    #[arg(long, value_delimiter = ',', value_parser = metric)]
    k: Option<Vec<String>>,
    /// Mult-VAE/DAE: also checkpoint every this many updates within an epoch (default 300, about
    /// 2 minutes of ML-20M on a 2-core CPU); a checkpoint ends every epoch anyway.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    checkpoint_every: Option<u64>,
    /// Mult-VAE/DAE: read the training loss every this many steps; 0 reads it only at checkpoints
    /// and epoch ends. A read waits for the device to finish, so the default is 1 on the CPU (where
    /// it costs nothing and a NaN stops before its update) and 0 on a GPU. The results are the same.
    #[arg(long)]
    loss_every: Option<usize>,
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
    /// The flags given that would change what a run computes; `--resume` takes all of them from
    /// the run's config.json instead.
    fn run_flags_given(&self) -> Vec<&'static str> {
        [
            ("--model", self.model.is_some()),
            ("--batch-size", self.batch_size.is_some()),
            ("--lr", self.lr.is_some()),
            ("--seed", self.seed.is_some()),
            ("--dims", self.dims.is_some()),
            ("--dropout", self.dropout.is_some()),
            ("--l2", self.l2.is_some()),
            ("--anneal-cap", self.anneal_cap.is_some()),
            ("--total-anneal-steps", self.total_anneal_steps.is_some()),
            ("--beta", self.beta.is_some()),
            ("--patience", self.patience.is_some()),
            ("--lr-schedule", self.lr_schedule.is_some()),
            ("--lr-epochs", self.lr_epochs.is_some()),
            ("--eval-batch-size", self.eval_batch_size.is_some()),
            ("--k", self.k.is_some()),
            ("--protocol", self.ncf.protocol.is_some()),
            ("--factors", self.ncf.factors.is_some()),
            ("--layers", self.ncf.layers.is_some()),
            ("--learner", self.ncf.learner.is_some()),
            ("--pretrain", self.ncf.pretrain),
        ]
        .into_iter()
        .filter_map(|(flag, given)| given.then_some(flag))
        .collect()
    }

    fn config(&self, model: ModelKind) -> anyhow::Result<TrainConfig> {
        let mut c = TrainConfig::paper(model);
        if let Some(d) = &self.dims {
            c.dims = d.clone();
        }
        c.dropout = self.dropout.unwrap_or(c.dropout);
        c.l2 = self.l2.unwrap_or(c.l2);
        c.epochs = self.epochs.unwrap_or(c.epochs);
        c.batch_size = self.batch_size.unwrap_or(c.batch_size);
        c.lr = self.lr.unwrap_or(LR);
        c.seed = self.seed.unwrap_or(SEED);
        c.anneal = match (self.beta, c.anneal) {
            (Some(b), _) => Anneal::Constant(b),
            (None, Anneal::Linear { cap, total_steps }) => Anneal::Linear {
                cap: self.anneal_cap.unwrap_or(cap),
                total_steps: self.total_anneal_steps.unwrap_or(total_steps),
            },
            (None, constant) => constant,
        };
        c.patience = self.patience;
        let lr_epochs = self.lr_epochs.unwrap_or(10);
        c.lr_schedule = match self.lr_schedule.unwrap_or(ScheduleArg::Constant) {
            ScheduleArg::Constant => LrSchedule::Constant,
            ScheduleArg::Plateau => LrSchedule::Plateau {
                patience: lr_epochs,
            },
            ScheduleArg::Step => LrSchedule::Step { every: lr_epochs },
        };
        c.eval_batch_size = self.eval_batch_size.unwrap_or(c.eval_batch_size);
        if let Some(k) = &self.k {
            anyhow::ensure!(
                k.iter().any(|m| m.to_lowercase().starts_with("ndcg@")),
                "--k {}: the list needs an ndcg@K to pick the best epoch",
                k.join(",")
            );
            c.metrics = k.clone();
        }
        Ok(c)
    }
}

/// A progress bar over the steps of each epoch on a terminal; otherwise a plain line every
/// [`Console::PLAIN_EVERY`] within long epochs. The epoch lines go to stdout either way.
pub struct Console {
    bar: Option<ProgressBar>,
    terminal: bool,
    /// The epoch the steps belong to (for the labels).
    epoch: usize,
    /// Whether the next step is the first this process trains of its epoch.
    new_epoch: bool,
    epoch_started: Instant,
    first_step: usize,
    last_plain: Instant,
}

impl Console {
    const PLAIN_EVERY: Duration = Duration::from_secs(30);

    pub fn new() -> Self {
        Console {
            bar: None,
            terminal: std::io::stderr().is_terminal(),
            epoch: 0,
            new_epoch: true,
            epoch_started: Instant::now(),
            first_step: 0,
            last_plain: Instant::now(),
        }
    }
    fn say(&self, line: &str) {
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
    /// Prints an epoch's line (in place of the epoch's bar on a terminal).
    pub fn epoch_line(&mut self, l: EpochLine<'_>) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
        let beta = l.beta.map_or(String::new(), |b| format!("  β {b:.4}"));
        self.say(&format!(
            "epoch {:3}  loss {:.4}{beta}  {}  {:.2}s{}",
            l.epoch,
            l.loss,
            metrics_text(l.metrics),
            l.seconds,
            if l.best { "  *best" } else { "" }
        ));
        self.epoch = l.epoch + 1;
        self.new_epoch = true;
    }

    fn step_bar(&mut self, step: usize, steps: usize) -> &ProgressBar {
        let epoch = self.epoch;
        self.bar.get_or_insert_with(|| {
            let bar = ProgressBar::new(steps as u64).with_position(step as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "epoch {prefix} {bar:30} {pos}/{len} steps  {per_sec}  eta {eta}  loss {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_prefix(epoch.to_string());
            bar
        })
    }
}

impl Progress for Console {
    fn start(&mut self, first: usize, _epochs: usize, _steps: usize) {
        self.epoch = first;
        self.new_epoch = true;
    }
    fn step(&mut self, step: usize, steps: usize, loss: f64) {
        if self.new_epoch {
            self.epoch_started = Instant::now();
            self.first_step = step;
            self.new_epoch = false;
        }
        if self.terminal {
            let bar = self.step_bar(step, steps);
            bar.set_position(step as u64 + 1);
            bar.set_message(format!("{loss:.3}"));
        } else if self.last_plain.elapsed() >= Self::PLAIN_EVERY {
            let done = (step + 1 - self.first_step) as f64;
            let rate = done / self.epoch_started.elapsed().as_secs_f64().max(1e-9);
            eprintln!(
                "epoch {} step {}/{steps}  {rate:.2} steps/s  eta {:.0}s  loss {loss:.3}",
                self.epoch,
                step + 1,
                (steps - step - 1) as f64 / rate
            );
            self.last_plain = Instant::now();
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
    fn note(&mut self, line: &str) {
        self.say(line);
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

/// Sets the returned flag on the first SIGINT or SIGTERM, so that training stops after its step
/// with a checkpoint; a second one, finding the flag set, exits at once (status 130) without
/// touching the files.
fn stop_on_signals() -> anyhow::Result<Arc<AtomicBool>> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&stop))
            .and_then(|_| signal_hook::flag::register(signal, Arc::clone(&stop)))
            .context("installing the SIGINT/SIGTERM handler")?;
    }
    Ok(stop)
}

/// The model a run folder's config.json names.
fn saved_model(run: &RunDir) -> anyhow::Result<ModelArg> {
    let path = run.config();
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{}", path.display()))?;
    let name = json["model"].as_str().unwrap_or_default();
    ModelArg::from_str(name, true)
        .map_err(|_| anyhow::anyhow!("{}: unknown model {name:?}", path.display()))
}

pub fn train_cmd(a: TrainArgs) -> anyhow::Result<()> {
    set_threads(a.threads)?;
    let (run, resume) = match (&a.out, &a.resume) {
        (_, Some(r)) => {
            let run = RunDir::open(r)?;
            let given = a.run_flags_given();
            anyhow::ensure!(
                given.is_empty(),
                "{}: --resume continues the run with the settings of {}; drop {} (only --epochs \
                 may be given, to change the number of epochs)",
                given.join(", "),
                run.config().display(),
                if given.len() == 1 { "it" } else { "them" }
            );
            (run, true)
        }
        (Some(o), None) => (RunDir::new(o)?, false),
        (None, None) => anyhow::bail!("give --out RUN_DIR (or --resume RUN_DIR)"),
    };
    let model_arg = match (resume, a.model) {
        (true, _) => saved_model(&run)?,
        (false, m) => m.unwrap_or(ModelArg::Vae),
    };
    let model = match model_arg {
        ModelArg::Vae => ModelKind::Vae,
        ModelArg::Dae => ModelKind::Dae,
        ncf_model => {
            anyhow::ensure!(
                a.checkpoint_every.is_none(),
                "--checkpoint-every: NCF runs checkpoint at the end of each epoch only"
            );
            anyhow::ensure!(
                a.loss_every.is_none(),
                "--loss-every: NCF runs read their loss every step"
            );
            let kind = match ncf_model {
                ModelArg::Gmf => NcfModelKind::Gmf,
                ModelArg::Mlp => NcfModelKind::Mlp,
                _ => NcfModelKind::Neumf,
            };
            let common = super::ncf::Common {
                epochs: a.epochs,
                batch_size: a.batch_size,
                lr: a.lr.unwrap_or(LR),
                seed: a.seed.unwrap_or(SEED),
            };
            let protocol = a.ncf.protocol.unwrap_or(Protocol::Implicit);
            let args = super::ncf::NcfArgs {
                config: super::ncf::config(kind, protocol, &a.ncf, common),
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
    let start = if resume {
        Start::Resume { epochs: a.epochs }
    } else {
        Start::Fresh(a.config(model)?)
    };
    let options = RunOptions {
        checkpoint_every: Some(a.checkpoint_every.unwrap_or(CHECKPOINT_EVERY)),
        stop: Some(stop_on_signals()?),
        loss_every: a.loss_every,
    };
    let mut console = Console::new();
    let trained = match a.device {
        Device::Cpu => train::train(
            &Cpu::<f32>::new(),
            &a.data,
            start,
            &run,
            &options,
            &mut console,
        ),
        Device::Cuda(n) => train::train(
            &cuda(n, a.tf32)?,
            &a.data,
            start,
            &run,
            &options,
            &mut console,
        ),
    };
    let results = match trained {
        Err(TrainError::Interrupted { .. }) => {
            let e = trained.err().map(|e| e.to_string()).unwrap_or_default();
            anyhow::bail!(
                "{e}\nresume with: vae train --data {} --resume {}",
                a.data.display(),
                run.dir.display()
            )
        }
        other => other?,
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
        Start::Fresh(config),
        &run,
        &RunOptions::default(),
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
