//! `vae bench`: the speed of training and evaluation at the shape of one of the paper's data sets
//! (ML-20M by default), phase by phase, beside the floor set by the output layer's GEMMs at the GEMM
//! rate measured in the same run.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use autograd::backend::cpu::fma_peak::fma_peak_gflops;
use autograd::backend::cpu::memory_floor::{adam_pattern_gbs, ADAM_BYTES_PER_PARAM};
use autograd::backend::cpu::Isa;
use autograd::backend::{Backend, Gemm};
use autograd::profile::OpProfile;
use autograd::Cpu;
use clap::Args;
use vae::data::{pro_sg, synth, Dataset, Preset, ShuffledBatches};
use vae::metrics::item_popularity;
use vae::train::{evaluate, ModelKind, PhaseTimes, Precision, TrainConfig, Trainer};

use super::common::{check_precision, gpu_backend, parse_device, set_threads, Device};
use super::values::{PrecisionArg, PresetArg};

/// What `vae bench` times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchModel {
    /// Mult-VAE^PR's training steps.
    Vae,
    /// Mult-DAE's training steps.
    Dae,
    /// An EASE fit (`vae train --model ease`): the Gram GEMM, the Cholesky factor and inverse.
    Ease,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// cpu, cuda, cuda:N, or sim (the GPU code path on the simulated device, slow).
    #[arg(long, default_value = "cpu", value_parser = parse_device)]
    device: Device,
    #[arg(long, value_enum, default_value = "vae")]
    model: BenchModel,
    /// EASE's λ (--model ease).
    #[arg(long, default_value_t = 500.0)]
    lambda: f64,
    /// Timed training steps (after one warm-up step); the epoch time is extrapolated from them.
    #[arg(long, default_value_t = 10, conflicts_with = "epoch")]
    steps: usize,
    /// Time a whole epoch instead of extrapolating.
    #[arg(long)]
    epoch: bool,
    /// Also time the validation of the held-out users (10,000 at ML-20M's shape).
    #[arg(long)]
    eval: bool,
    /// Also time every op, forward and backward (waits for the device after each op, so on a GPU
    /// the step itself gets slower).
    #[arg(long)]
    ops: bool,
    /// A pro_sg folder; by default `vae data synth --shape SHAPE`'s data, generated once into
    /// .cache/synth-ml20m, .cache/synth-netflix or .cache/synth-msd.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// The data set whose Table 1 shape the synthetic data has, when no --data is given.
    #[arg(long, value_enum, default_value = "ml-20m", conflicts_with = "data")]
    pub shape: PresetArg,
    #[arg(long, value_delimiter = ',', default_value = "600,200")]
    dims: Vec<usize>,
    #[arg(long, default_value_t = 500)]
    batch_size: usize,
    #[arg(long)]
    threads: Option<usize>,
    #[arg(long)]
    tf32: bool,
    /// The dense layers' GEMM operands, as `vae train --precision` (CPU only for bf16); the
    /// measured GEMM rates and the floor are then the bf16 GEMM's.
    #[arg(long, value_enum, default_value = "f32")]
    precision: PrecisionArg,
}

/// Where the synthetic data of `shape` is kept between runs.
fn synth_dir(shape: Preset) -> PathBuf {
    PathBuf::from(match shape {
        Preset::Ml20m => ".cache/synth-ml20m",
        Preset::Netflix => ".cache/synth-netflix",
        Preset::Msd => ".cache/synth-msd",
    })
}

pub fn dataset(path: &Option<PathBuf>, shape: Preset) -> anyhow::Result<Dataset> {
    let dir = match path {
        Some(p) => p.clone(),
        None => {
            let dir = synth_dir(shape);
            if !dir.join("unique_sid.txt").exists() {
                eprintln!(
                    "generating {}-shaped synthetic data into {} (once)",
                    shape.name(),
                    dir.display()
                );
                let split = synth(&shape.synth())?;
                let stats = pro_sg::SplitStats::synthetic(&split, &shape.synth(), Some(shape));
                pro_sg::write(&dir, &split, &stats)?;
            }
            dir
        }
    };
    Dataset::load(&dir).with_context(|| format!("loading {}", dir.display()))
}

/// Peak resident memory of this process, from /proc (Linux).
pub fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

pub fn bench_cmd(a: BenchArgs) -> anyhow::Result<()> {
    set_threads(a.threads)?;
    let model = match a.model {
        BenchModel::Vae => ModelKind::Vae,
        BenchModel::Dae => ModelKind::Dae,
        BenchModel::Ease => {
            anyhow::ensure!(
                a.device == Device::Cpu,
                "--model ease: the fit runs on the CPU (give --device cpu)"
            );
            anyhow::ensure!(
                a.precision == PrecisionArg::F32,
                "--precision applies to --model vae|dae, not --model ease"
            );
            return super::bench_ease::run(&a, a.lambda);
        }
    };
    check_precision(&a.device, a.precision.into(), "--precision bf16")?;
    match gpu_backend(&a.device, a.tf32)? {
        None => run(&Cpu::<f32>::new(), &a, model, Some(Isa::selected())),
        Some(g) => run(&g, &a, model, None),
    }
}

/// `cpu_gemm`: the CPU GEMM's instruction set, whose FMA peak is measured beside the GEMM rate.
fn run<B: Backend<Elem = f32>>(
    backend: &B,
    a: &BenchArgs,
    model: ModelKind,
    cpu_gemm: Option<Isa>,
) -> anyhow::Result<()> {
    let data = dataset(&a.data, a.shape.into())?;
    let (users, items) = (data.train.rows(), data.n_items);
    let precision = Precision::from(a.precision);
    let config = TrainConfig {
        dims: a.dims.clone(),
        batch_size: a.batch_size,
        precision,
        ..TrainConfig::paper(model)
    };
    let mut t = Trainer::new(backend, items, config)?;
    // The floor's GEMMs in the precision the steps use.
    let backend = &backend.with_gemm_precision(precision.gemm())?;
    let hidden = a.dims[0];

    // The floor: the output layer's forward, W̄ and X̄ GEMMs, each form at its rate measured in this
    // run, before and after the timed steps (a shared machine's rate drifts; the faster gives the
    // lower floor).
    let (m, k, n) = (a.batch_size, hidden, items);
    let gemm_before = output_layer_rates(backend, m, k, n)?;
    // The ceiling: what the cores' FMA units can do at all, measured before and after too.
    let peak_before = cpu_gemm.map(fma_peak_gflops);
    let steps_per_epoch = users.div_ceil(a.batch_size);
    let floor_flop = 3.0 * 2.0 * (m * k * n) as f64 * steps_per_epoch as f64;

    // Training steps.
    let batches = ShuffledBatches::new(users, a.batch_size, 98765)?;
    let rows: Vec<Vec<usize>> = batches.epoch(0).collect();
    let timed = if a.epoch {
        rows.len()
    } else {
        a.steps.min(rows.len().saturating_sub(1)).max(1)
    };
    let mut warm = PhaseTimes::default();
    t.step(&data.train.select_rows(&rows[0])?, 0, &mut warm)?;
    let mut times = PhaseTimes::default();
    if a.ops {
        t.profile_ops();
    }
    let (mut nnz, mut flop) = (0usize, 0.0f64);
    let mut step_seconds = Vec::with_capacity(timed);
    // As training runs on a GPU: no step waits for the device (no loss read, no synchronisation), so
    // the epoch's time is the device's, and a step's own time is what the host takes to queue it.
    // On the CPU work is synchronous and reading the loss costs nothing, so each step is timed whole.
    let queued = backend.device_name() != "cpu";
    let mut last_loss = None;
    let start = Instant::now();
    for (i, r) in rows.iter().cycle().skip(1).take(timed).enumerate() {
        let batch = data.train.select_rows(r)?;
        nnz += batch.nnz();
        // Dense layers: forward, W̄ and X̄; the sparse first layer: forward and W̄ over the clicks.
        for p in t.model.params() {
            let [i_dim, o_dim] = p.value().shape();
            if p.name().ends_with(".weight") {
                flop += if p.name() == "encoder.0.weight" {
                    2.0 * 2.0 * (batch.nnz() * o_dim) as f64
                } else {
                    3.0 * 2.0 * (batch.rows() * i_dim * o_dim) as f64
                };
            }
        }
        let s = Instant::now();
        if queued {
            last_loss = Some(t.step_unread(&batch, i + 1, &mut times)?);
        } else {
            t.step(&batch, i + 1, &mut times)?;
        }
        step_seconds.push(s.elapsed().as_secs_f64());
    }
    backend.synchronize()?;
    if let Some(loss) = last_loss {
        let value = loss.scalar()?;
        anyhow::ensure!(value.is_finite(), "the bench's last loss is {value}");
    }
    let seconds = start.elapsed().as_secs_f64();
    let per_step = seconds / timed as f64;
    let epoch_seconds = per_step * steps_per_epoch as f64;
    let other = (seconds - times.forward - times.backward - times.optimizer).max(0.0);
    let gemm_after = output_layer_rates(backend, m, k, n)?;
    let best: Vec<f64> = (0..3).map(|f| gemm_before[f].max(gemm_after[f])).collect();
    // The three forms' mean rate, weighted as the floor weighs them (equal FLOPs each).
    let gemm_gflops = 3.0 / best.iter().map(|r| 1.0 / r).sum::<f64>();
    let peak = cpu_gemm
        .zip(peak_before)
        .map(|(isa, before)| (isa, before.max(fma_peak_gflops(isa))));
    let floor = floor_flop / (gemm_gflops * 1e9);
    // Read before the floor below allocates its own arrays, so that it is the training's peak.
    let peak_mib = peak_memory_mib();
    // Adam's floor: the bytes it moves at the memory's rate for its access pattern, measured here.
    let params: usize = t.model.params().iter().map(|p| p.value().len()).sum();
    let adam_gbs = cpu_gemm.map(|_| adam_pattern_gbs(params, 5));

    println!(
        "vae bench: {} on {}, model {:?} I-{}-I, batch {}, f32{}",
        backend.device_name(),
        data_desc(a),
        model,
        dims_text(&a.dims),
        a.batch_size,
        match precision {
            Precision::F32 => "",
            Precision::Bf16 => ", GEMM operands bf16",
        }
    );
    println!("data: {users} training users × {items} items, {steps_per_epoch} steps per epoch, {:.0} clicks per batch", nnz as f64 / timed as f64);
    println!();
    println!(
        "{:<44} {:>12}",
        "phase (per step, mean of timed steps)", "seconds"
    );
    println!(
        "{:<44} {:>12.4}",
        "forward (tape, ops, loss read)",
        times.forward / timed as f64
    );
    println!(
        "{:<44} {:>12.4}",
        "backward (VJPs)",
        times.backward / timed as f64
    );
    println!(
        "{:<44} {:>12.4}",
        "optimizer (fused Adam)",
        times.optimizer / timed as f64
    );
    println!(
        "{:<44} {:>12.4}",
        "batch assembly and the rest",
        other / timed as f64
    );
    println!("{:<44} {:>12.4}", "step", per_step);
    if let Some(gbs) = adam_gbs {
        let bytes = (ADAM_BYTES_PER_PARAM * params) as f64;
        let adam_floor = bytes / (gbs * 1e9);
        println!(
            "Adam's memory floor: {:.1} M parameters × {ADAM_BYTES_PER_PARAM} B = {:.0} MB a step, at {gbs:.1} GB/s (its access pattern, measured) {adam_floor:.4} s; Adam took {:.2}× that",
            params as f64 / 1e6,
            bytes / 1e6,
            times.optimizer / timed as f64 / adam_floor
        );
    }
    step_seconds.sort_by(f64::total_cmp);
    let pct = |q: f64| step_seconds[((step_seconds.len() - 1) as f64 * q).round() as usize];
    println!(
        "{:<44} {:>12}",
        if queued {
            "step queued by the host: fastest / median / slowest"
        } else {
            "step: fastest / median / slowest"
        },
        format!("{:.4} / {:.4} / {:.4}", pct(0.0), pct(0.5), pct(1.0))
    );
    if let Some(profile) = t.op_profile() {
        print_ops(profile, timed);
    }
    println!();
    let how = if a.epoch { "measured" } else { "extrapolated" };
    println!(
        "epoch ({how} from {timed} steps): {epoch_seconds:.2} s; {:.0} users/s; at the median step {:.2} s",
        (a.batch_size * timed) as f64 / seconds,
        pct(0.5) * steps_per_epoch as f64
    );
    println!(
        "achieved: {:.1} GFLOP/s ({:.2} GFLOP per step)",
        flop / seconds / 1e9,
        flop / timed as f64 / 1e9
    );
    for (f, name) in ["Y = X·W", "W̄ = Xᵀ·Ȳ", "X̄ = Ȳ·Wᵀ"].iter().enumerate() {
        println!(
            "measured GEMM {name:<10} ({m}×{k}×{n}): {:.1} GFLOP/s before the steps, {:.1} after",
            gemm_before[f], gemm_after[f]
        );
    }
    if let Some((isa, peak)) = peak {
        // A bf16 GEMM does two multiply-adds per lane where an f32 FMA does one: the f32 peak is
        // then a reference, not its ceiling.
        let (what, of_it) = match precision {
            Precision::F32 => ("the GEMMs reach", "of it"),
            Precision::Bf16 => (
                "the bf16 GEMMs, two multiply-adds per lane and instruction, run at",
                "of this f32 figure",
            ),
        };
        println!(
            "f32 FMA peak ({} vectors, {} threads): {peak:.1} GFLOP/s; {what} {:.0}% {of_it}",
            isa.name(),
            rayon::current_num_threads(),
            100.0 * gemm_gflops / peak
        );
    }
    println!(
        "floor (output layer: 3 GEMMs per step, {:.2} TFLOP per epoch, at each form's faster rate): {floor:.2} s per epoch; this run is {:.2}× the floor",
        floor_flop / 1e12,
        epoch_seconds / floor
    );
    if a.eval {
        let s = Instant::now();
        let e = evaluate(
            t.model.as_ref(),
            &data.validation,
            &item_popularity(&data.train),
            t.evaluator(),
            2000,
        )?;
        backend.synchronize()?;
        println!(
            "evaluation of {} validation users ({}): {:.3} s",
            e.users_evaluated + e.users_skipped,
            t.config.metrics.join(", "),
            s.elapsed().as_secs_f64()
        );
    }
    if let Some(mib) = peak_mib {
        println!("peak host memory: {mib:.0} MiB");
    }
    Ok(())
}

/// The per-op table: seconds per step, forward and backward, most expensive first.
fn print_ops(profile: &OpProfile, steps: usize) {
    let mut ops: Vec<_> = profile.ops().to_vec();
    ops.sort_by(|a, b| (b.forward + b.backward).total_cmp(&(a.forward + a.backward)));
    let per = |s: f64| s / steps as f64;
    println!();
    println!(
        "{:<28} {:>8} {:>12} {:>12}",
        "op (per step)", "calls", "forward s", "backward s"
    );
    for o in &ops {
        println!(
            "{:<28} {:>8} {:>12.4} {:>12.4}",
            o.op,
            o.calls / steps.max(1),
            per(o.forward),
            per(o.backward)
        );
    }
}

/// GFLOP/s of the output layer's three products through the backend, `[Y = X·W, W̄ = Xᵀ·Ȳ,
/// X̄ = Ȳ·Wᵀ]` for `X` of `m × k` and `W` of `k × n`: the best of five products after a warm-up.
fn output_layer_rates<B: Backend<Elem = f32>>(
    backend: &B,
    m: usize,
    k: usize,
    n: usize,
) -> anyhow::Result<[f64; 3]> {
    let g = |m, n, k, trans_a, trans_b| Gemm {
        m,
        n,
        k,
        trans_a,
        trans_b,
        alpha: 1.0,
        beta: 0.0,
    };
    let x = backend.upload(&vec![0.01f32; m * k])?;
    let w = backend.upload(&vec![0.01f32; k * n])?;
    let dy = backend.upload(&vec![0.01f32; m * n])?;
    let forms = [
        (g(m, n, k, false, false), &x, &w),
        (g(k, n, m, true, false), &x, &dy),
        (g(m, k, n, false, true), &dy, &w),
    ];
    let mut rates = [0.0; 3];
    for (rate, (g, a, b)) in rates.iter_mut().zip(forms) {
        let mut y = backend.zeros(g.m * g.n)?;
        let mut best = f64::INFINITY;
        for rep in 0..6 {
            let s = Instant::now();
            backend.gemm(g, a, b, &mut y)?;
            backend.synchronize()?;
            if rep > 0 {
                best = best.min(s.elapsed().as_secs_f64());
            }
        }
        *rate = 2.0 * (m * k * n) as f64 / best / 1e9;
    }
    Ok(rates)
}

fn dims_text(d: &[usize]) -> String {
    let mut all: Vec<String> = d.iter().map(|x| x.to_string()).collect();
    all.extend(d.iter().rev().skip(1).map(|x| x.to_string()));
    all.join("-")
}

fn data_desc(a: &BenchArgs) -> String {
    a.data.as_ref().map_or_else(
        || format!("synthetic {}-shaped data", Preset::from(a.shape).name()),
        |p| p.display().to_string(),
    )
}
