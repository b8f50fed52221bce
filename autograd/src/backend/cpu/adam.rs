//! The fused Adam / AdamW update, one pass over each parameter; the CPU side of
//! `gpu/kernels/adam.cu`.
//!
//! For f32 the pass is compiled for each vector path (`dispatch!`): its square root and two
//! divisions an element are what bound it on a CPU whose memory outruns 4-lane SSE arithmetic
//! (docs/benchmarks.md, 2026-12-07). Square root, division, multiplication and addition are each
//! correctly rounded, and never fused, on every path: the same bits on each.

use super::for_each_chunk;
use super::real::CpuReal;
use crate::backend::AdamStep;
use crate::real::Real;

pub(super) fn adam<T: CpuReal>(s: AdamStep, param: &mut [T], grad: &[T], m: &mut [T], v: &mut [T]) {
    let scalars = s.scalars().map(T::of);
    let (pm, pv) = (m.as_mut_ptr() as usize, v.as_mut_ptr() as usize);
    for_each_chunk(param, |o, p| {
        // SAFETY: chunks of `param` are disjoint, and so are the same ranges of `m` and `v`.
        let m = unsafe { std::slice::from_raw_parts_mut((pm as *mut T).add(o), p.len()) };
        let v = unsafe { std::slice::from_raw_parts_mut((pv as *mut T).add(o), p.len()) };
        T::adam_chunk(scalars, p, &grad[o..o + p.len()], m, v);
    });
}

/// Adam on one chunk, element by element, with `s` = [`AdamStep::scalars`]:
///
/// ```text
/// g ← g + λ·θ                          (coupled L2, λ = 0 without it)
/// m ← β₁·m + (1 − β₁)·g,   v ← β₂·v + (1 − β₂)·g²
/// θ ← (1 − lr·λ_w)·θ − (lr / (1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + ε)
/// ```
///
/// that is `θ ← (1 − lr·λ_w)θ − lr·m̂ / (√v̂ + ε)` with `m̂ = m / (1 − β₁ᵗ)`, `v̂ = v / (1 − β₂ᵗ)`.
#[inline(always)]
pub(super) fn adam_chunk<T: Real>(s: [T; 7], p: &mut [T], g: &[T], m: &mut [T], v: &mut [T]) {
    let [b1, b2, eps, l2, shrink, step, sqrt_bias2] = s;
    let one = T::one();
    for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m).zip(v) {
        let g = g + l2 * *p;
        *m = b1 * *m + (one - b1) * g;
        *v = b2 * *v + (one - b2) * g * g;
        *p = shrink * *p - step * *m / (v.sqrt() / sqrt_bias2 + eps);
    }
}

/// [`adam_chunk`] in f32, with the same bits on every path.
#[inline(always)]
fn adam_chunk_f32_body(s: [f32; 7], p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
    adam_chunk(s, p, g, m, v)
}

dispatch!(
    /// [`adam_chunk`] in f32 on the selected vector path.
    adam_chunk_f32 => adam_chunk_f32_body(s: [f32; 7], p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) -> ()
);

#[cfg(test)]
mod tests {
    use super::*;

    /// The vector path this process selected gives the scalar loop's bits (the test command runs
    /// it on each path).
    #[test]
    fn the_selected_path_gives_the_scalar_bits() {
        let n = 1000 + 13;
        let value = |i: usize, k: u32| (i as f32 * 0.37 + k as f32).sin() * 0.5;
        let p0: Vec<f32> = (0..n).map(|i| value(i, 0)).collect();
        let g: Vec<f32> = (0..n).map(|i| value(i, 1) * 1e-2).collect();
        let m0: Vec<f32> = (0..n).map(|i| value(i, 2) * 1e-3).collect();
        let v0: Vec<f32> = (0..n).map(|i| value(i, 3).abs() * 1e-5).collect();
        let s = [
            0.9,
            0.999,
            1e-8,
            1e-4,
            1.0 - 1e-5,
            1e-3 / 0.19,
            (1.0f64 - 0.999f64.powi(2)).sqrt() as f32,
        ];
        let (mut p1, mut m1, mut v1) = (p0.clone(), m0.clone(), v0.clone());
        let (mut p2, mut m2, mut v2) = (p0.clone(), m0.clone(), v0.clone());
        // The reference: one element at a time, so no vector code takes part.
        for i in 0..n {
            let r = i..i + 1;
            let (p, m, v) = (&mut p1[r.clone()], &mut m1[r.clone()], &mut v1[r.clone()]);
            adam_chunk(s, p, &g[r], m, v);
        }
        adam_chunk_f32(s, &mut p2, &g, &mut m2, &mut v2);
        let bits = |x: &[f32]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&p1), bits(&p2));
        assert_eq!(bits(&m1), bits(&m2));
        assert_eq!(bits(&v1), bits(&v2));
        assert_ne!(bits(&p1), bits(&p0), "the update changed nothing");
    }
}
