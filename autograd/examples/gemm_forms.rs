//! The output layer's three GEMM forms (500 × 600 × 20,108) through our sgemm, the best of 6 calls
//! each, beside the FMA peak measured just before: one line per round, in a few seconds, where
//! `cargo bench -p autograd --bench dense_layer` takes minutes. On a noisy machine, run it beside
//! the peer (`scripts/openblas_gemm.py`) several times and compare the best rounds.
//!
//! A second line per round has the bf16 GEMM (`backend::cpu::bgemm`) on the same operands, timed
//! right after each f32 form, with its ratio to the f32 rate of that form and round; `PRECISION=f32`
//! or `bf16` prints one of the two.
//!
//! `cargo run --release -p autograd --example gemm_forms [-- ROUNDS]` (3 by default);
//! `AUTOGRAD_CPU_ISA` picks the path, `RAYON_NUM_THREADS=1` runs one thread, `FORM=NN|TN|NT` one form.

use autograd::backend::cpu::bgemm::bgemm_with;
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
    let precision = std::env::var("PRECISION").ok();
    let (f32_on, bf16_on) = match precision.as_deref() {
        Some("f32") => (true, false),
        Some("bf16") => (false, true),
        _ => (true, true),
    };
    // Best seconds of 6 calls of `gemm` into c.
    let best_of_6 = |gemm: &dyn Fn(*mut f32), c: &mut [f32]| {
        let mut best = f64::INFINITY;
        for _ in 0..6 {
            let t = Instant::now();
            gemm(c.as_mut_ptr());
            best = best.min(t.elapsed().as_secs_f64());
        }
        best
    };
    for _ in 0..rounds {
        let peak = fma_peak_gflops(isa);
        let mut line = format!("{} peak {peak:6.1}", isa.name());
        let mut bf16_line = format!("{} bf16      ", isa.name());
        let only = std::env::var("FORM").ok();
        for (name, g) in forms {
            if only.as_deref().is_some_and(|f| f != name) {
                continue;
            }
            let (a, b) = (fill(g.m * g.k, 1e-3), fill(g.k * g.n, 2e-3));
            let mut c = vec![0f32; g.m * g.n];
            let flop = 2.0 * (g.m * g.n * g.k) as f64;
            let mut f32_rate = f64::NAN;
            if f32_on {
                // SAFETY: c holds m × n values and aliases neither operand.
                let best = best_of_6(
                    &|c| unsafe { sgemm_with(g, &a, &b, None, c, isa, true) },
                    &mut c,
                );
                f32_rate = flop / best / 1e9;
                line += &format!("  {name} {f32_rate:6.1} ({:3.0}%)", 100.0 * f32_rate / peak);
            }
            if bf16_on {
                // SAFETY: as above.
                let best = best_of_6(
                    &|c| unsafe { bgemm_with(g, &a, &b, None, c, isa, true) },
                    &mut c,
                );
                let rate = flop / best / 1e9;
                bf16_line += &format!("  {name} {rate:6.1} ({:4.2}×)", rate / f32_rate);
            }
        }
        if f32_on {
            println!("{line}");
        }
        if bf16_on {
            println!("{bf16_line}");
        }
    }
}
