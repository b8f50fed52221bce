//! The exponentials of softmax rows in f32, sixteen lanes at a time: a branch-free `eˣ` the compiler
//! vectorises, the three row loops of the multinomial likelihood built on it (the row maximum,
//! `Σ_i exp(z_i − s)` and `c·exp(z_i − s)`), and `tanh`, the hidden layers' activation.
//!
//! Why not `f32::exp`: it is a scalar libm call, and a 20,108-wide row of logits needs 20,108 of them
//! twice per training step (forward and backward). With the loops below the whole row stays in vector
//! registers.
//!
//! `eˣ = 2ⁿ · eʳ` with `n = round(x / ln 2)` and `r = x − n·ln 2 ∈ [−ln 2 / 2, ln 2 / 2]`; `eʳ` is
//! Cephes' degree-7 minimax polynomial `1 + r + r²·P(r)` (relative error about one ulp), `2ⁿ` is built
//! from the exponent bits, in two halves so that results near the ends of the f32 range come out as
//! subnormals or infinity rather than garbage. NaN stays NaN.
//!
//! Each function takes `FMA`: with it, every `a·b + c` of the range reduction and the polynomials
//! is one fused multiply-add (`f32::mul_add`, one rounding), without it a multiplication and an
//! addition. The AVX-512 and AVX2 paths run `FMA = true` on the FMA units, the portable one
//! `FMA = false` (baseline x86-64 has no FMA instruction, and `mul_add` there is a libm call, 17×
//! slower). Fused, an `eˣ` takes about 23 vector operations instead of 32 (the likelihood's time:
//! docs/benchmarks.md, 2026-12-04).
//!
//! Element `i` always lands in lane `i mod 16`, and `mul_add` rounds once wherever it runs, so the
//! two vector paths give the same bits as each other and as `FMA = true` in baseline code (the
//! tests' reference), on any number of threads; the portable path differs from them in the last
//! bits, as the GEMM's portable kernel does. The vector paths are the same source compiled with
//! wider instructions enabled.

const LANES: usize = 16;
/// Lane partial sums are folded into f64 every `BLOCK` elements, so no f32 sum grows long.
const BLOCK: usize = 16 * LANES;

const LOG2E: f32 = std::f32::consts::LOG2_E;
/// `ln 2` split in a part with few significant bits (so `n · LN2_HI` is exact) and the rest.
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// `1.5 · 2²³`: adding it rounds a float of magnitude below 2²² to an integer (round to nearest even).
const ROUND: f32 = 12_582_912.0;
/// Below this `eˣ` is under half the smallest subnormal; above the upper bound it overflows.
const X_MIN: f32 = -104.0;
const X_MAX: f32 = 89.0;

/// `a·b + c`, fused (one rounding) with `FMA`, else a multiplication and an addition.
#[inline(always)]
fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// `eˣ` for every f32 `x` (about one ulp; `−∞ ↦ 0`, `+∞ ↦ +∞`, NaN ↦ NaN), written without branches.
#[inline(always)]
pub fn exp<const FMA: bool>(x: f32) -> f32 {
    // Comparisons that are false for NaN keep NaN flowing into the arithmetic.
    let x = if x < X_MIN { X_MIN } else { x };
    let x = if x > X_MAX { X_MAX } else { x };
    let t = madd::<FMA>(x, LOG2E, ROUND);
    let n = t - ROUND;
    let r = madd::<FMA>(-n, LN2_LO, madd::<FMA>(-n, LN2_HI, x));
    let mut p = 1.987_569_2e-4;
    p = madd::<FMA>(p, r, 1.398_199_9e-3);
    p = madd::<FMA>(p, r, 8.333_452e-3);
    p = madd::<FMA>(p, r, 4.166_579_6e-2);
    p = madd::<FMA>(p, r, 1.666_666_5e-1);
    p = madd::<FMA>(p, r, 0.5);
    let er = madd::<FMA>(p, r * r, r) + 1.0;
    // n as an integer: t and ROUND share their exponent, so their bit patterns differ by n.
    let ni = t.to_bits() as i32 - ROUND.to_bits() as i32;
    let half = ni >> 1;
    let s1 = f32::from_bits(((half + 127) << 23) as u32);
    let s2 = f32::from_bits(((ni - half + 127) << 23) as u32);
    er * s1 * s2
}

/// `tanh x` (within a few ulps), without branches: Cephes' odd polynomial `x + x³·P(x²)` for
/// `|x| < 0.625`, where `1 − 2/(e^{2|x|} + 1)` would cancel, and that formula, signed, elsewhere.
#[inline(always)]
pub fn tanh<const FMA: bool>(x: f32) -> f32 {
    let a = x.abs();
    let z = x * x;
    let mut p = -5.704_988_7e-3;
    p = madd::<FMA>(p, z, 2.063_908_8e-2);
    p = madd::<FMA>(p, z, -5.373_971_6e-2);
    p = madd::<FMA>(p, z, 1.333_144_2e-1);
    p = madd::<FMA>(p, z, -3.333_328e-1);
    let small = madd::<FMA>(x * z, p, x);
    let large = 1.0 - 2.0 / (exp::<FMA>(a + a) + 1.0);
    let large = if x < 0.0 { -large } else { large };
    if a < 0.625 {
        small
    } else {
        large
    }
}

#[inline(always)]
fn tanh_of<const FMA: bool>(x: &[f32], y: &mut [f32]) {
    for (y, &v) in y.iter_mut().zip(x) {
        *y = tanh::<FMA>(v);
    }
}

#[inline(always)]
fn max_of(x: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; LANES];
    let mut chunks = x.chunks_exact(LANES);
    for c in &mut chunks {
        for j in 0..LANES {
            acc[j] = if c[j] > acc[j] { c[j] } else { acc[j] };
        }
    }
    for (j, &v) in chunks.remainder().iter().enumerate() {
        acc[j] = if v > acc[j] { v } else { acc[j] };
    }
    acc.iter()
        .fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m })
}

#[inline(always)]
fn exp_sum_of<const FMA: bool>(x: &[f32], shift: f32) -> f64 {
    let mut total = [0f64; LANES];
    for block in x.chunks(BLOCK) {
        let mut acc = [0f32; LANES];
        let mut chunks = block.chunks_exact(LANES);
        for c in &mut chunks {
            for j in 0..LANES {
                acc[j] += exp::<FMA>(c[j] - shift);
            }
        }
        for (j, &v) in chunks.remainder().iter().enumerate() {
            acc[j] += exp::<FMA>(v - shift);
        }
        for j in 0..LANES {
            total[j] += acc[j] as f64;
        }
    }
    total.iter().sum()
}

#[inline(always)]
fn scaled_exp_of<const FMA: bool>(x: &[f32], shift: f32, scale: f32, out: &mut [f32]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = scale * exp::<FMA>(v - shift);
    }
}

dispatch!(
    /// `max_i x_i`, ignoring NaN; `−∞` for an empty row.
    row_max => max_of(x: &[f32]) -> f32
);
dispatch!(
    /// `Σ_i exp(x_i − shift)`, summed in lanes, then in f64.
    exp_sum => exp_sum_of::<FMA>(x: &[f32], shift: f32) -> f64
);
dispatch!(
    /// `y_i = tanh x_i`.
    tanh_slice => tanh_of::<FMA>(x: &[f32], y: &mut [f32]) -> ()
);
dispatch!(
    /// `out_i = scale · exp(x_i − shift)`.
    scaled_exp => scaled_exp_of::<FMA>(x: &[f32], shift: f32, scale: f32, out: &mut [f32]) -> ()
);

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f32, b: f32) -> u32 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
    }

    /// Whether the dispatched loops run fused multiply-adds: on the vector paths.
    fn fused() -> bool {
        crate::backend::cpu::Isa::selected() != crate::backend::cpu::Isa::Portable
    }

    fn same_bits(a: &[f32], b: &[f32]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(p, q)| p.to_bits() == q.to_bits())
    }

    /// The largest distance in ulps between `f(x)` and `want(x)` (in f64, rounded) for `x` from
    /// `from` to `to` in steps of `step`.
    fn worst_ulps(
        f: fn(f32) -> f32,
        want: fn(f64) -> f64,
        (from, to, step): (f32, f32, f32),
    ) -> u32 {
        let mut worst = 0;
        let mut x = from;
        while x < to {
            worst = worst.max(ulps(f(x), want(x as f64) as f32));
            x += step;
        }
        worst
    }

    #[test]
    fn exp_is_within_two_ulps_of_the_correctly_rounded_value_over_the_normal_range() {
        for exp in [exp::<true>, exp::<false>] {
            let worst = worst_ulps(exp, f64::exp, (-87.0, 88.5, 0.000_731));
            assert!(worst <= 2, "worst error {worst} ulps");
        }
    }

    #[test]
    fn exp_handles_the_ends_of_the_range_and_nan() {
        for exp in [exp::<true>, exp::<false>] {
            assert_eq!(exp(0.0), 1.0);
            assert_eq!(exp(f32::NEG_INFINITY), 0.0);
            assert_eq!(exp(-200.0), 0.0);
            assert_eq!(exp(f32::INFINITY), f32::INFINITY);
            assert_eq!(exp(89.0), f32::INFINITY);
            assert!(exp(f32::NAN).is_nan());
            // Subnormal results are kept, to within a few of their (coarse) ulps.
            let want = (-95.0f32 as f64).exp() as f32;
            assert!(want > 0.0 && want < f32::MIN_POSITIVE);
            assert!(ulps(exp(-95.0), want) <= 4);
            let big = (88.7f32 as f64).exp() as f32;
            assert!(ulps(exp(88.7), big) <= 2);
        }
    }

    #[test]
    fn tanh_is_within_three_ulps_of_the_correctly_rounded_value() {
        for tanh in [tanh::<true>, tanh::<false>] {
            let worst = worst_ulps(tanh, f64::tanh, (-12.0, 12.0, 0.000_377));
            assert!(worst <= 3, "worst error {worst} ulps");
            for x in [1e-30f32, -1e-20, 1e-5, 0.624_999, 0.625, 20.0, -100.0] {
                let want = (x as f64).tanh() as f32;
                assert!(
                    ulps(tanh(x), want) <= 3,
                    "tanh({x}) = {} vs {want}",
                    tanh(x)
                );
            }
            assert_eq!(tanh(0.0), 0.0);
            assert_eq!(tanh(f32::INFINITY), 1.0);
            assert_eq!(tanh(f32::NEG_INFINITY), -1.0);
            assert!(tanh(f32::NAN).is_nan());
        }
    }

    fn row(n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| ((i * 7919 % 1000) as f32 - 500.0) * 0.013)
            .collect()
    }

    #[test]
    fn row_loops_match_the_scalar_sums() {
        for n in [0, 1, 15, 16, 17, 255, 256, 257, 20_108] {
            let x = row(n);
            let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            assert_eq!(row_max(&x), max, "n = {n}");
            let want: f64 = x.iter().map(|&v| ((v - max) as f64).exp()).sum();
            let got = exp_sum(&x, max);
            assert!(
                (got - want).abs() <= 1e-6 * want.max(1e-30),
                "n = {n}: {got} vs {want}"
            );
            let mut out = vec![0f32; n];
            scaled_exp(&x, max, 3.0, &mut out);
            for (o, &v) in out.iter().zip(&x) {
                let w = 3.0 * ((v - max) as f64).exp();
                assert!((*o as f64 - w).abs() <= 3e-7 * w, "{o} vs {w}");
            }
        }
    }

    #[test]
    fn nan_in_a_row_reaches_the_sum() {
        let mut x = row(100);
        x[37] = f32::NAN;
        let max = row_max(&x);
        assert!(max.is_finite());
        assert!(exp_sum(&x, max).is_nan());
    }

    /// The dispatched loops, on the path this run selected (`AUTOGRAD_CPU_ISA`; scripts/test.sh runs
    /// all three), have the bits of the baseline loops with the same `FMA`, element for element.
    #[test]
    fn every_instruction_set_gives_the_bits_of_the_baseline_loop() {
        /// `Σ exp(x − 0.5)`, `2·exp(x − 0.5)` and `tanh x` by the baseline loops.
        fn baseline<const FMA: bool>(x: &[f32]) -> (f64, Vec<f32>, Vec<f32>) {
            let (mut out, mut th) = (vec![0f32; x.len()], vec![0f32; x.len()]);
            scaled_exp_of::<FMA>(x, 0.5, 2.0, &mut out);
            tanh_of::<FMA>(x, &mut th);
            (exp_sum_of::<FMA>(x, 0.5), out, th)
        }
        let x = row(20_108);
        let (sum, out, th) = if fused() {
            baseline::<true>(&x)
        } else {
            baseline::<false>(&x)
        };
        assert_eq!(row_max(&x).to_bits(), max_of(&x).to_bits());
        assert_eq!(exp_sum(&x, 0.5).to_bits(), sum.to_bits());
        let (mut wide, mut wide_th) = (vec![0f32; x.len()], vec![0f32; x.len()]);
        scaled_exp(&x, 0.5, 2.0, &mut wide);
        tanh_slice(&x, &mut wide_th);
        assert!(same_bits(&out, &wide));
        assert!(same_bits(&th, &wide_th));
    }

    /// Fusing changes the last bits, and only those: the two forms agree to an ulp or two.
    #[test]
    fn fused_and_unfused_loops_differ_only_in_the_last_bits() {
        let x = row(20_108);
        let (mut a, mut b) = (vec![0f32; x.len()], vec![0f32; x.len()]);
        scaled_exp_of::<true>(&x, 0.5, 2.0, &mut a);
        scaled_exp_of::<false>(&x, 0.5, 2.0, &mut b);
        assert!(
            !same_bits(&a, &b),
            "no lane rounded differently: is FMA reaching the loop?"
        );
        let worst = a.iter().zip(&b).map(|(&p, &q)| ulps(p, q)).max().unwrap();
        assert!(worst <= 2, "worst difference {worst} ulps");
    }
}
