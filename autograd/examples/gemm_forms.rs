//! The output layer's three GEMM forms (500 × 600 × 20,108) through our sgemm, the best of 6 calls
//! each, beside the FMA peak measured just before: one line per round, in a few seconds, where
//! `cargo bench -p autograd --bench dense_layer` takes minutes. On a noisy machine, run it beside
//! the peer (`scripts/openblas_gemm.py`) several times and compare the best rounds.
//!
//! `cargo run --release -p autograd --example gemm_forms [-- ROUNDS]` (3 by default);
//! `AUTOGRAD_CPU_ISA` picks the path, `RAYON_NUM_THREADS=1` runs one thread, `FORM=NN|TN|NT` one form.

use autograd::backend::cpu::fma_peak::fma_peak_gflops;
use autograd::backend::cpu::sgemm::sgemm_with;
use autograd::backend::cpu::Isa;
use autograd::backend::Gemm;
use std::time::Instant;

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .map_or(3, |s| s.parse().expect("ROUNDS"));
    let (m, k, n) = (500, 600, 20_108);
    let g = |m, n, k, trans_a, trans_b| Gemm {
        m,
        n,
        k,
        trans_a,
        trans_b,
        alpha: 1.0,
        beta: 0.0,
    };
    let forms = [
        ("NN", g(m, n, k, false, false)),
        ("TN", g(k, n, m, true, false)),
        ("NT", g(m, k, n, false, true)),
    ];
    let isa = Isa::selected();
    let fill = |len: usize, s: f32| -> Vec<f32> {
        (0..len).map(|i| ((i % 97) as f32 - 48.0) * s).collect()
    };
    for _ in 0..rounds {
        let peak = fma_peak_gflops(isa);
        let mut line = format!("{} peak {peak:6.1}", isa.name());
        let only = std::env::var("FORM").ok();
        for (name, g) in forms {
            if only.as_deref().is_some_and(|f| f != name) {
                continue;
            }
            let (a, b) = (fill(g.m * g.k, 1e-3), fill(g.k * g.n, 2e-3));
            let mut c = vec![0f32; g.m * g.n];
            let mut best = f64::INFINITY;
            for _ in 0..6 {
                let t = Instant::now();
                // SAFETY: c holds m × n values and aliases neither operand.
                unsafe { sgemm_with(g, &a, &b, None, c.as_mut_ptr(), isa, true) };
                best = best.min(t.elapsed().as_secs_f64());
            }
            let rate = 2.0 * (g.m * g.n * g.k) as f64 / best / 1e9;
            line += &format!("  {name} {rate:6.1} ({:3.0}%)", 100.0 * rate / peak);
        }
        println!("{line}");
    }
}
