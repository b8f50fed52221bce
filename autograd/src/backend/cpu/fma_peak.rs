//! The machine's f32 FMA peak, measured: the ceiling a GEMM is judged against.
//!
//! Each thread of rayon's pool runs twelve independent chains of vector FMAs (`x ← x·a + b`) on the
//! widest vectors the GEMM's path uses; twelve chains cover the FMA latency (4 cycles) times the
//! number of FMA pipes (2) with room to spare, so the loop is bound by FMA throughput alone. The rate
//! of each thread is `chains · lanes · 2 FLOP` per iteration over the time it ran them (timed on the
//! thread itself, so a late wake-up does not count). All threads run at once, several times; the
//! peak is the sum over the threads of each one's best repetition — on a shared virtual machine a
//! core is sometimes lent elsewhere for a while, and that is not what the cores can do.

use std::time::Instant;

use super::Isa;

const CHAINS: usize = 12;
const ITERS: usize = 1 << 22;

/// GFLOP/s of f32 FMAs on all threads of the current rayon pool, on `isa`'s vectors.
pub fn fma_peak_gflops(isa: Isa) -> f64 {
    assert!(isa.supported(), "this CPU cannot run {isa:?}");
    let flop = (CHAINS * lanes(isa) * 2 * ITERS) as f64;
    let mut best = vec![f64::INFINITY; rayon::current_num_threads()];
    for _ in 0..8 {
        let seconds = rayon::broadcast(|_| {
            let start = Instant::now();
            std::hint::black_box(chains(isa));
            start.elapsed().as_secs_f64()
        });
        for (b, s) in best.iter_mut().zip(seconds) {
            *b = b.min(s);
        }
    }
    best.iter().map(|s| flop / s / 1e9).sum()
}

fn lanes(isa: Isa) -> usize {
    match isa.f32_path() {
        Isa::Avx512 => 16,
        Isa::Avx2 => 8,
        _ => 4,
    }
}

fn chains(isa: Isa) -> f32 {
    match isa.f32_path() {
        // SAFETY: `isa.supported()` was checked by the caller.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { x86::chains_avx512() },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { x86::chains_avx2() },
        _ => chains_portable(),
    }
}

/// Four-lane multiply-adds in plain Rust (two roundings, as the portable GEMM kernel does them).
fn chains_portable() -> f32 {
    let mut x = [[1.0f32; 4]; CHAINS];
    let (a, b) = (
        std::hint::black_box(0.999_9f32),
        std::hint::black_box(1e-4f32),
    );
    for _ in 0..ITERS {
        for lane in x.iter_mut().flatten() {
            *lane = *lane * a + b;
        }
    }
    x.iter().flatten().sum()
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{CHAINS, ITERS};
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn chains_avx512() -> f32 {
        let mut x = [_mm512_set1_ps(1.0); CHAINS];
        let a = _mm512_set1_ps(std::hint::black_box(0.999_9));
        let b = _mm512_set1_ps(std::hint::black_box(1e-4));
        for _ in 0..ITERS {
            for v in x.iter_mut() {
                *v = _mm512_fmadd_ps(*v, a, b);
            }
        }
        x.iter().map(|&v| _mm512_reduce_add_ps(v)).sum()
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn chains_avx2() -> f32 {
        let mut x = [_mm256_set1_ps(1.0); CHAINS];
        let a = _mm256_set1_ps(std::hint::black_box(0.999_9));
        let b = _mm256_set1_ps(std::hint::black_box(1e-4));
        for _ in 0..ITERS {
            for v in x.iter_mut() {
                *v = _mm256_fmadd_ps(*v, a, b);
            }
        }
        let mut out = [0f32; 8];
        let s = x
            .iter()
            .fold(_mm256_setzero_ps(), |s, &v| _mm256_add_ps(s, v));
        _mm256_storeu_ps(out.as_mut_ptr(), s);
        out.iter().sum()
    }
}
