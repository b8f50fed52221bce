//! `vae bench --model ease`: an EASE fit at a data set's shape (ML-20M's 20,108 items by default),
//! step by step: the Gram GEMM beside its floor (its FLOPs over the rate of the same GEMM form
//! measured in this run, before and after), the Cholesky factor and the inverse in f64, `B` in
//! f32, the optimality residual of each precision, and the peak memory.

use std::time::Instant;

use autograd::backend::{Backend, Gemm};
use autograd::Cpu;
use vae::baselines::ease::{self, EaseMemory, Gram};
use vae::train::memory::{available_memory, bytes};

use super::bench::{dataset, peak_memory_mib, BenchArgs};

/// GFLOP/s of the Gram's GEMM form, `C ← X_bᵀ·X_b + C` with `X_b` of `block × width`: the best of
/// three after a warm-up, at a width that stands for the whole (the full `items × items` C would
/// need a second copy of G).
fn gram_gemm_rate(width: usize, block: usize) -> anyhow::Result<f64> {
    let cpu = Cpu::<f32>::new();
    let x = cpu.upload(&vec![1.0f32; block * width])?;
    let mut c = cpu.zeros(width * width)?;
    let g = Gemm {
        m: width,
        n: width,
        k: block,
        trans_a: true,
        trans_b: false,
        alpha: 1.0,
        beta: 1.0,
    };
    let mut best = f64::INFINITY;
    for rep in 0..4 {
        let s = Instant::now();
        cpu.gemm(g, &x, &x, &mut c)?;
        if rep > 0 {
            best = best.min(s.elapsed().as_secs_f64());
        }
    }
    Ok(2.0 * (width * width * block) as f64 / best / 1e9)
}

/// The widest GEMM the rate is measured at.
const RATE_WIDTH: usize = 8192;

pub fn run(a: &BenchArgs, lambda: f64) -> anyhow::Result<()> {
    let data = dataset(&a.data, a.shape.into())?;
    let (users, n) = (data.train.rows(), data.n_items);
    let estimate = EaseMemory::new(n, 0);
    let available = available_memory();
    println!(
        "vae bench --model ease: {} training users × {n} items ({} clicks), λ {lambda}, {} threads",
        users,
        data.train.nnz(),
        rayon::current_num_threads()
    );
    println!(
        "memory: {} estimated; {}",
        estimate.describe(),
        available.map_or("available memory unknown".into(), |b| format!(
            "{} available",
            bytes(b)
        ))
    );
    estimate.check(available)?;
    let block = ease::block_rows(n, users);
    let width = n.min(RATE_WIDTH);
    let rate_before = gram_gemm_rate(width, block)?;

    let method = ease::GramMethod::for_clicks(&data.train);
    let started = Instant::now();
    let gram = ease::gram_by(&data.train, method)?;
    let gram_seconds = started.elapsed().as_secs_f64();
    let (inverse, times) = ease::invert(&gram, lambda)?;
    let started = Instant::now();
    let weights = inverse.weights();
    let weights_seconds = started.elapsed().as_secs_f64();
    let fit = gram_seconds + times.cholesky + times.inverse + weights_seconds;
    let (mut r64, mut r32) = (0.0f64, 0.0f64);
    for j in (0..8).map(|c| c * n / 8) {
        let b32: Vec<f64> = (0..n).map(|i| f64::from(weights[i * n + j])).collect();
        r64 = r64.max(ease::stationarity_residual(
            &gram,
            lambda,
            j,
            &inverse.weight_column(j),
        ));
        r32 = r32.max(ease::stationarity_residual(&gram, lambda, j, &b32));
    }
    drop(inverse);
    let peak = peak_memory_mib();
    drop(weights);
    drop(gram);
    let rate_after = gram_gemm_rate(width, block)?;

    let flop = Gram::flops(users, n);
    let rate = rate_before.max(rate_after);
    let floor = flop / (rate * 1e9);
    let cube = (n as f64).powi(3);
    println!();
    println!("{:<52} {:>10}", "step", "seconds");
    let how = match method {
        ease::GramMethod::DenseGemm { block_rows } => format!(
            "f32 GEMM, {} blocks of {block_rows} rows",
            users.div_ceil(block_rows)
        ),
        ease::GramMethod::SparseRows => format!(
            "from the click rows, {:.2e} multiply-adds",
            ease::GramMethod::sparse_multiply_adds(&data.train)
        ),
    };
    println!("{:<52} {:>10.2}", format!("G = XᵀX ({how})"), gram_seconds);
    println!(
        "{:<52} {:>10.2}",
        "Cholesky G + λI = L·Lᵀ (f64, faer)", times.cholesky
    );
    println!(
        "{:<52} {:>10.2}",
        "inverse P = L⁻ᵀ·L⁻¹ (f64, faer)", times.inverse
    );
    println!(
        "{:<52} {:>10.2}",
        "B = I − P·diagMat(1 ⊘ diag P) (to f32)", weights_seconds
    );
    println!("{:<52} {:>10.2}", "fit", fit);
    println!();
    println!(
        "Gram as a dense GEMM: {:.2} TFLOP; that GEMM form ({width}×{width}×{block}, Xᵀ·X + C) \
         measured at {rate_before:.1} GFLOP/s before the fit, {rate_after:.1} after",
        flop / 1e12,
    );
    println!(
        "floor (the dense GEMM's FLOPs at the faster measured rate): {floor:.2} s; the Gram took \
         {:.3}× the floor",
        gram_seconds / floor
    );
    println!(
        "Cholesky + inverse: {:.2} TFLOP (n³/3 + 2n³/3) at {:.1} GFLOP/s (f64)",
        2.0 * cube / 1e12,
        2.0 * cube / (times.cholesky + times.inverse) / 1e9
    );
    println!("optimality residual of B over 8 columns: f64 {r64:.1e}, stored f32 {r32:.1e}");
    if let Some(mib) = peak {
        println!("peak host memory: {mib:.0} MiB");
    }
    Ok(())
}
