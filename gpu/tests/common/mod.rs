//! Shared by the GPU tests: the skip rule, random inputs, the relative-error measure.
#![allow(dead_code)] // each test binary uses its own subset

use autograd::rng::{draw, standard_normal, RngKey};
use autograd::{Backend, Cpu, CsrMatrix};
use gpu::{Cuda, CudaBuffer, CudaCsr};

/// The shapes every primitive is checked at; the last is a Mult-VAE output layer on ML-20M.
pub const SHAPES: &[(usize, usize)] = &[(1, 1), (7, 13), (33, 65), (500, 600), (500, 20_108)];

/// FP32 tolerance on ‖gpu − ref‖ / ‖ref‖ against the f64 reference.
pub const TOL: f64 = 1e-5;
/// With TF32 tensor cores (10-bit mantissa products).
pub const TOL_TF32: f64 = 1e-3;

/// The device under test and the CPU f64 reference: the GPU where one is usable, otherwise the
/// simulated device (gpu/kernels compiled for the CPU), so that every kernel and launch is tested on
/// every run. `GPU_TESTS_REQUIRED=1` (on a GPU machine) makes a missing GPU a failure instead;
/// `GPU_TESTS_DEVICE=sim` tests the simulator even where a GPU is present.
pub fn devices() -> Option<(Cuda, Cpu<f64>)> {
    let required = std::env::var("GPU_TESTS_REQUIRED").is_ok_and(|v| v == "1");
    let force_sim = std::env::var("GPU_TESTS_DEVICE").is_ok_and(|v| v == "sim");
    let gpu = if force_sim {
        Err("GPU_TESTS_DEVICE=sim".to_string())
    } else {
        Cuda::new(0).map_err(|e| e.to_string())
    };
    let g = match gpu {
        Ok(g) => g,
        Err(e) if required => panic!("GPU_TESTS_REQUIRED=1 but the GPU is unusable: {e}"),
        Err(e) => {
            eprintln!("no GPU ({e}): testing on the simulated device");
            Cuda::simulated().unwrap_or_else(|e| panic!("{e}"))
        }
    };
    eprintln!("running on {}", g.description());
    Some((g, Cpu::new()))
}

/// `n` standard normal numbers (rounded to f32, so both backends see exactly the same inputs).
pub fn values(n: usize, seed: u64) -> Vec<f32> {
    (0..n as u64)
        .map(|i| standard_normal(RngKey::new(seed, 99), i) as f32)
        .collect()
}

pub fn widen(x: &[f32]) -> Vec<f64> {
    x.iter().map(|&v| v as f64).collect()
}

/// The same host data on both devices.
pub fn both(g: &Cuda, x: &[f32]) -> (CudaBuffer, Vec<f64>) {
    (g.upload(x).expect("upload"), widen(x))
}

/// A GPU output buffer full of NaN, so an element the kernel fails to write fails the comparison.
pub fn poisoned(g: &Cuda, n: usize) -> CudaBuffer {
    g.upload(&vec![f32::NAN; n]).expect("upload")
}

/// ‖gpu − ref‖ / ‖ref‖ (the absolute norm where ‖ref‖ = 0); NaN anywhere makes it NaN.
pub fn rel_err(gpu: &[f32], reference: &[f64]) -> f64 {
    assert_eq!(gpu.len(), reference.len(), "lengths differ");
    let diff: f64 = gpu
        .iter()
        .zip(reference)
        .map(|(&a, &b)| (a as f64 - b).powi(2))
        .sum::<f64>()
        .sqrt();
    let norm = reference.iter().map(|b| b * b).sum::<f64>().sqrt();
    if norm == 0.0 {
        diff
    } else {
        diff / norm
    }
}

/// Downloads `gpu` and checks it against `reference` within `tol`, printing the figure.
pub fn check(what: &str, g: &Cuda, gpu: &CudaBuffer, reference: &[f64], tol: f64) {
    let host = g.download(gpu).expect("download");
    let err = rel_err(&host, reference);
    eprintln!("{what}: relative error {err:.3e} (tolerance {tol:.0e})");
    assert!(err <= tol, "{what}: relative error {err:e} > {tol:e}");
}

/// A random sparse `rows × cols` matrix with about `density` of its entries set (values in
/// (0.5, 1.5)), row 1 left empty to exercise empty rows; and its f64 twin.
pub fn sparse(
    rows: usize,
    cols: usize,
    density: f64,
    seed: u64,
) -> (CsrMatrix<f32>, CsrMatrix<f64>) {
    let key = RngKey::new(seed, 7);
    let threshold = (density * 4_294_967_296.0) as u64;
    let mut triplets = Vec::new();
    for r in 0..rows {
        for c in 0..cols {
            let w = draw(key, (r * cols + c) as u64);
            if r != 1 && (w[0] as u64) < threshold.max(1) {
                triplets.push((r, c, 0.5 + w[1] as f32 / 4_294_967_296.0));
            }
        }
    }
    let x = CsrMatrix::from_triplets(rows, cols, &triplets).expect("valid triplets");
    let x64 = x.map(|v| v as f64);
    (x, x64)
}

pub fn upload_csr(g: &Cuda, x: &CsrMatrix<f32>) -> CudaCsr {
    g.upload_csr(x).expect("upload_csr")
}

/// `gpu` equals `cpu` bit for bit (NaN payloads aside), or the first difference is reported.
pub fn assert_bits_equal(what: &str, gpu: &[f32], cpu: &[f32]) {
    assert_eq!(gpu.len(), cpu.len(), "{what}: lengths differ");
    let differ = gpu
        .iter()
        .zip(cpu)
        .filter(|(a, b)| a.to_bits() != b.to_bits() && !(a.is_nan() && b.is_nan()))
        .count();
    if let Some(i) = (0..gpu.len())
        .find(|&i| gpu[i].to_bits() != cpu[i].to_bits() && !(gpu[i].is_nan() && cpu[i].is_nan()))
    {
        panic!(
            "{what}: {differ} of {} elements differ from the CPU's f32, the first at {i}: {} vs {}",
            gpu.len(),
            gpu[i],
            cpu[i]
        );
    }
    eprintln!(
        "{what}: bit-identical to the CPU's f32 ({} elements)",
        gpu.len()
    );
}
