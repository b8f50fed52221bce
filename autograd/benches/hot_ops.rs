//! The other hot ops of a Mult-VAE step at ML-20M's shape (batch 500, 20,108 items, hidden 600),
//! each against its memory floor: the bytes it must move divided by the machine's bandwidth.
//! `cargo bench -p autograd --bench hot_ops`

use autograd::backend::{AdamStep, Backend};
use autograd::init::xavier_uniform;
use autograd::ops::SparseTensor;
use autograd::rng::{draw, RngKey};
use autograd::{Cpu, CsrMatrix, Tensor};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

// The `vae` program's allocator, so that 40–48 MB buffers are reused as they are in training.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const BATCH: usize = 500;
const ITEMS: usize = 20_108;
const HIDDEN: usize = 600;

/// A click batch with ML-20M's density (≈ 73 clicks per user).
fn clicks() -> CsrMatrix<f32> {
    let key = RngKey::new(1, 0);
    let mut t = Vec::new();
    for r in 0..BATCH {
        for c in 0..ITEMS {
            if draw(key, (r * ITEMS + c) as u64)[0].is_multiple_of(275) {
                t.push((r, c, 1.0));
            }
        }
    }
    CsrMatrix::from_triplets(BATCH, ITEMS, &t).unwrap()
}

fn bench(c: &mut Criterion) {
    let cpu = Cpu::<f32>::new();
    let x = clicks();
    let xs = SparseTensor::new(&cpu, &x).unwrap();
    let logits = xavier_uniform(&cpu, BATCH, ITEMS, 3).unwrap();
    let w = xavier_uniform(&cpu, ITEMS, HIDDEN, 4).unwrap();
    let mut g = c.benchmark_group("hot_ops");
    g.sample_size(20);

    // One read of the logits (40 MB) per pass.
    g.throughput(Throughput::Bytes((BATCH * ITEMS * 4) as u64));
    let (mut loss, mut lse) = (vec![0f32; BATCH], vec![0f32; BATCH]);
    g.bench_function("multinomial_nll forward 500x20108", |b| {
        b.iter(|| {
            cpu.multinomial_nll_rows(logits.buffer(), xs.csr(), &mut loss, &mut lse)
                .unwrap()
        })
    });
    let dl = vec![1f32 / BATCH as f32; BATCH];
    let mut dz = vec![0f32; BATCH * ITEMS];
    g.bench_function("multinomial_nll backward 500x20108", |b| {
        b.iter(|| {
            cpu.multinomial_nll_rows_backward(logits.buffer(), &lse, xs.csr(), &dl, &mut dz)
                .unwrap()
        })
    });

    // The output layer's bias gradient, b̄ = 1ᵀ·Ȳ: one read of Ȳ (40 MB).
    let mut gb = vec![0f32; ITEMS];
    g.bench_function("sum_cols_acc b̄ = 1ᵀ·Ȳ 500x20108", |b| {
        b.iter(|| cpu.sum_cols_acc(&dz, ITEMS, 0.0, &mut gb).unwrap())
    });

    // The sparse first layer: nnz·600 multiply-adds each way.
    g.throughput(Throughput::Elements((x.nnz() * HIDDEN) as u64));
    let mut h = vec![0f32; BATCH * HIDDEN];
    g.bench_function("csr_matmul X·W 500x20108 (nnz 36k) · 20108x600", |b| {
        b.iter(|| {
            cpu.csr_matmul(xs.csr(), w.buffer(), HIDDEN, &mut h)
                .unwrap()
        })
    });
    // The two ways to the first layer's W̄: a zero-filled buffer and scattered updates, or every row
    // written once (what the VJP calls).
    g.bench_function("csr_t_matmul_acc Xᵀ·H̄ into zeros 20108x600", |b| {
        b.iter(|| {
            let mut gw = cpu.zeros(ITEMS * HIDDEN).unwrap();
            cpu.csr_t_matmul_acc(xs.csr(), &h, HIDDEN, &mut gw).unwrap();
            gw
        })
    });
    g.bench_function("csr_t_matmul_new Xᵀ·H̄ as a new 20108x600", |b| {
        b.iter(|| cpu.csr_t_matmul_new(xs.csr(), &h, HIDDEN).unwrap())
    });

    // Adam on the output weight: reads θ, g, m, v and writes θ, m, v (7 × 48 MB).
    g.throughput(Throughput::Bytes((HIDDEN * ITEMS * 4 * 7) as u64));
    let mut theta = w.to_vec().unwrap();
    let grad = Tensor::<Cpu<f32>>::full(&cpu, ITEMS, HIDDEN, 1e-3).unwrap();
    let (mut m, mut v) = (vec![0f32; ITEMS * HIDDEN], vec![0f32; ITEMS * HIDDEN]);
    let step = AdamStep {
        lr: 1e-3,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        bias1: 0.1,
        bias2: 0.001,
        l2: 0.0,
        decoupled: 0.0,
    };
    g.bench_function("adam 20108x600", |b| {
        b.iter(|| {
            cpu.adam(step, &mut theta, grad.buffer(), &mut m, &mut v)
                .unwrap()
        })
    });

    // Adam's arithmetic alone (two divisions and a square root an element): 12,288 parameters,
    // whose θ, g, m, v (192 KiB) stay in the core's L2, on one thread (below the parallel
    // threshold). Its time per element, against the pass above's on two threads, is the part of
    // that pass spent computing rather than waiting for memory: what fusing Adam into the GEMM that
    // computes `g` would add to the GEMM (docs/benchmarks.md, fourth session).
    const IN_CACHE: usize = 12 * 1024;
    g.throughput(Throughput::Elements(IN_CACHE as u64));
    let small_grad = vec![1e-3f32; IN_CACHE];
    let (mut p, mut pm, mut pv) = (
        vec![0.1f32; IN_CACHE],
        vec![0f32; IN_CACHE],
        vec![0f32; IN_CACHE],
    );
    g.bench_function("adam 12288 in cache, one thread", |b| {
        b.iter(|| {
            cpu.adam(step, &mut p, &small_grad, &mut pm, &mut pv)
                .unwrap()
        })
    });

    // The reparameterisation's noise, ε ~ N(0, I), one per latent value of the batch (500 × 200):
    // Philox words, then Box–Muller in f64.
    g.throughput(Throughput::Elements((BATCH * 200) as u64));
    let mut eps = vec![0f32; BATCH * 200];
    g.bench_function("gaussian ε 500x200", |b| {
        b.iter(|| cpu.gaussian(RngKey::new(9, 1), &mut eps).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
