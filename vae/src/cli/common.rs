//! What the commands share: where they run (`--device`, `--threads`, `--tf32`), the value parsers
//! and run flags of `vae train`'s two halves, the console that prints steps and epoch lines, and
//! loading a trained run.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::Context;
use autograd::{Cpu, CsrMatrix, Tensor};
use indicatif::{ProgressBar, ProgressStyle};
use vae::baselines::{self, Baseline, BaselineConfig};
use vae::metrics::{Evaluator, Metric};
use vae::train::{self, EpochSummary, Progress, RunDir, Scorer, Trainer};

/// Where the computation runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Device {
    Cpu,
    Cuda(usize),
    /// The GPU backend on the simulated device (gpu/README.md): the CUDA code path without a GPU,
    /// slowly; for trying and checking it, not for training at scale.
    Sim,
}

pub fn parse_device(s: &str) -> Result<Device, String> {
    match s {
        "cpu" => Ok(Device::Cpu),
        "cuda" => Ok(Device::Cuda(0)),
        "sim" => Ok(Device::Sim),
        _ => s
            .strip_prefix("cuda:")
            .and_then(|n| n.parse().ok())
            .map(Device::Cuda)
            .ok_or_else(|| format!("--device {s}: expected cpu, cuda, cuda:N or sim")),
    }
}

/// The most `--threads` per core. The work is compute-bound loops, so threads beyond the cores
/// only take turns on them (`--threads 1000` made an epoch 60× slower on 2 cores), and a typo's
/// 100000 spawns threads for minutes without answering SIGTERM. Four per core still lets one
/// measure oversubscription, or use a share of a machine whose count of cores is wrong for the
/// container it runs in.
const THREADS_PER_CORE: usize = 4;

/// Refuses a `--threads` of 0 or more than [`THREADS_PER_CORE`] per core.
pub fn check_threads(n: usize) -> anyhow::Result<()> {
    anyhow::ensure!(n > 0, "--threads must be at least 1");
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let most = THREADS_PER_CORE.saturating_mul(cores);
    anyhow::ensure!(
        n <= most,
        "--threads {n}: at most {most} ({THREADS_PER_CORE} per core, and this machine has \
         {cores}); threads beyond the cores only take turns on them"
    );
    Ok(())
}

pub fn set_threads(threads: Option<usize>) -> anyhow::Result<()> {
    if let Some(n) = threads {
        check_threads(n)?;
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .context("setting --threads")?;
    }
    Ok(())
}

/// Refuses `--precision bf16` (or a resumed run's bf16, `what` says which) on a device without bf16
/// GEMMs: only the CPU backend has them. On a CPU without AVX512-BF16 it says that the portable
/// kernel will run them.
pub fn check_precision(
    device: &Device,
    precision: vae::train::Precision,
    what: &str,
) -> anyhow::Result<()> {
    let name = match device {
        Device::Cpu => {
            use autograd::backend::cpu::Isa;
            let isa = Isa::selected();
            if precision == vae::train::Precision::Bf16
                && !matches!(isa, Isa::Amx | Isa::Avx512Bf16)
            {
                // Same bits as the AVX512-BF16 kernel, but scalar: a run still says what it gives.
                eprintln!(
                    "note: {what}: this CPU's GEMM path is {} (no AVX512-BF16), so the bf16 GEMMs \
                     run the portable kernel: the same bits, slower than f32",
                    isa.name()
                );
            }
            return Ok(());
        }
        Device::Cuda(n) => format!("cuda:{n}"),
        Device::Sim => "sim".into(),
    };
    anyhow::ensure!(
        precision == vae::train::Precision::F32,
        "{what}: bf16 GEMMs are the CPU backend's (--device cpu); --device {name} computes its \
         GEMMs in f32 (on a GPU, --tf32 lets them use its tensor cores)"
    );
    Ok(())
}

/// The CUDA device `n`, with a message that says what is missing when there is none.
pub fn cuda(n: usize, tf32: bool) -> anyhow::Result<gpu::Cuda> {
    let dev = gpu::Cuda::new(n).with_context(|| format!("--device cuda:{n}"))?;
    dev.set_tf32(tf32).context("--tf32")?;
    Ok(dev)
}

/// The GPU backend `device` names (`cuda:N` or `sim`); `None` for the CPU.
pub fn gpu_backend(device: &Device, tf32: bool) -> anyhow::Result<Option<gpu::Cuda>> {
    Ok(match *device {
        Device::Cpu => None,
        Device::Cuda(n) => Some(cuda(n, tf32)?),
        Device::Sim => {
            let dev = gpu::Cuda::simulated().context("--device sim")?;
            dev.set_tf32(tf32).context("--tf32")?;
            Some(dev)
        }
    })
}

/// A count that must be positive (sizes, epochs).
pub fn at_least_one(s: &str) -> Result<usize, String> {
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
pub fn positive(s: &str) -> Result<f64, String> {
    finite(s).and_then(|v| {
        if v > 0.0 {
            Ok(v)
        } else {
            Err("must be positive".into())
        }
    })
}

/// A weight or β: finite and not negative.
pub fn non_negative(s: &str) -> Result<f64, String> {
    finite(s).and_then(|v| {
        if v >= 0.0 {
            Ok(v)
        } else {
            Err("must not be negative".into())
        }
    })
}

/// A dropout probability: 1 would drop every input.
pub fn probability(s: &str) -> Result<f64, String> {
    finite(s).and_then(|v| {
        if (0.0..1.0).contains(&v) {
            Ok(v)
        } else {
            Err("must be in [0, 1)".into())
        }
    })
}

/// A metric as `--k` lists them (`ndcg@100`, `recall@20`; any case, spaces around), which
/// displays in the one spelling config.json and the metric tables use.
pub fn metric(s: &str) -> Result<Metric, String> {
    s.parse::<Metric>().map_err(|e| e.to_string())
}

/// The run flags every model shares: `--lr` and `--seed` resolved to their common defaults,
/// `--epochs` and `--batch-size` left for each model to default (they differ).
pub struct RunFlags {
    pub epochs: Option<usize>,
    pub batch_size: Option<usize>,
    pub lr: f64,
    pub seed: u64,
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
    /// When this process began the epoch's steps (at the start, or the previous epoch's line).
    epoch_started: Instant,
    /// The first step of the epoch this process trained (later than 0 after a resume).
    first_step: usize,
    last_plain: Instant,
}

impl Console {
    const PLAIN_EVERY: Duration = Duration::from_secs(30);
    /// The shortest span a plain line's rate is measured over: over the first step alone, the
    /// rate is noise (or, over a span near zero, absurd).
    const RATE_SPAN: Duration = Duration::from_secs(1);

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

pub fn metrics_text(m: &std::collections::BTreeMap<String, f64>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k} {v:.4}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One epoch's line of output.
pub struct EpochLine<'a> {
    pub epoch: usize,
    pub loss: f64,
    /// The loss's reconstruction term and (Mult-VAE) its KL, where the model has them.
    pub nll: Option<f64>,
    pub kl: Option<f64>,
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
        let terms = match (l.nll, l.kl) {
            (Some(nll), Some(kl)) => format!(" (nll {nll:.4}, kl {kl:.4})"),
            (Some(nll), None) => format!(" (nll {nll:.4})"),
            _ => String::new(),
        };
        self.say(&format!(
            "epoch {:3}  loss {:.4}{terms}{beta}  {}  {:.2}s{}",
            l.epoch,
            l.loss,
            metrics_text(l.metrics),
            l.seconds,
            if l.best { "  *best" } else { "" }
        ));
        self.epoch = l.epoch + 1;
        self.new_epoch = true;
        self.epoch_started = Instant::now();
    }

    /// The plain progress line after `step` (0-based) of `steps`, at `now`: its rate over the
    /// epoch's steps so far, once they span [`Console::RATE_SPAN`].
    fn plain_line(&self, step: usize, steps: usize, loss: f64, now: Instant) -> String {
        let elapsed = now.saturating_duration_since(self.epoch_started);
        let pace = if elapsed >= Self::RATE_SPAN {
            let rate = (step + 1 - self.first_step) as f64 / elapsed.as_secs_f64();
            let eta = (steps - step - 1) as f64 / rate;
            format!("  {rate:.2} steps/s  eta {eta:.0}s")
        } else {
            String::new()
        };
        format!(
            "epoch {} step {}/{steps}{pace}  loss {loss:.3}",
            self.epoch,
            step + 1
        )
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
        self.epoch_started = Instant::now();
    }
    fn step(&mut self, step: usize, steps: usize, loss: f64) {
        if self.new_epoch {
            self.first_step = step;
            self.new_epoch = false;
        }
        if self.terminal {
            let bar = self.step_bar(step, steps);
            bar.set_position(step as u64 + 1);
            bar.set_message(format!("{loss:.3}"));
        } else if self.last_plain.elapsed() >= Self::PLAIN_EVERY {
            eprintln!("{}", self.plain_line(step, steps, loss, Instant::now()));
            self.last_plain = Instant::now();
        }
    }
    fn epoch(&mut self, s: &EpochSummary, is_best: bool) {
        self.epoch_line(EpochLine {
            epoch: s.epoch,
            loss: s.train_loss,
            nll: s.nll,
            kl: s.kl,
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

/// A run folder's model with its best weights, ready to score: a trained Mult-VAE or Mult-DAE, or a
/// fitted baseline.
pub enum LoadedRun {
    Trained(Box<Trainer<Cpu<f32>>>),
    Baseline {
        model: Baseline<Cpu<f32>>,
        evaluator: Evaluator,
        eval_batch_size: usize,
    },
}

impl LoadedRun {
    pub fn evaluator(&self) -> &Evaluator {
        match self {
            LoadedRun::Trained(t) => t.evaluator(),
            LoadedRun::Baseline { evaluator, .. } => evaluator,
        }
    }
    pub fn eval_batch_size(&self) -> usize {
        match self {
            LoadedRun::Trained(t) => t.config.eval_batch_size,
            LoadedRun::Baseline {
                eval_batch_size, ..
            } => *eval_batch_size,
        }
    }
}

impl Scorer<Cpu<f32>> for LoadedRun {
    fn scores(&self, fold_in: &CsrMatrix<f32>) -> autograd::Result<Tensor<Cpu<f32>>> {
        match self {
            LoadedRun::Trained(t) => t.model.scores(fold_in),
            LoadedRun::Baseline { model, .. } => model.scores(fold_in),
        }
    }
}

/// The model of a run folder for `n_items` items, with its best weights loaded.
pub fn load_run(run: &RunDir, n_items: usize) -> anyhow::Result<LoadedRun> {
    let context = || format!("loading {} for {n_items} items", run.best().display());
    if let Some(config) = BaselineConfig::read(run)? {
        let (model, _) = baselines::load(&Cpu::new(), run, n_items).with_context(context)?;
        let (evaluator, _) = config.evaluator()?;
        return Ok(LoadedRun::Baseline {
            model,
            evaluator,
            eval_batch_size: config.eval_batch_size,
        });
    }
    let config = run.read_config()?;
    let mut t = Trainer::new(&Cpu::new(), n_items, config)?;
    train::run_dir::load_weights(&run.best(), &mut t).with_context(context)?;
    Ok(LoadedRun::Trained(Box::new(t)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_progress_rates_span_at_least_a_second_from_the_epochs_start() {
        let mut c = Console::new();
        c.terminal = false;
        c.start(21, 30, 10);
        let begun = c.epoch_started;
        // The epoch's first step, done at once: no rate over so short a span.
        c.step(0, 10, 0.5);
        let first = c.plain_line(0, 10, 0.5, begun + Duration::from_millis(2));
        assert_eq!(first, "epoch 21 step 1/10  loss 0.500");
        // Four steps in two seconds, counted from the epoch's start, six to go.
        let later = c.plain_line(3, 10, 0.5, begun + Duration::from_secs(2));
        assert_eq!(
            later,
            "epoch 21 step 4/10  2.00 steps/s  eta 3s  loss 0.500"
        );
    }
}
