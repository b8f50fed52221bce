//! The fused Adam / AdamW update, one pass over each parameter; the CPU side of
//! `gpu/kernels/adam.cu`.

use super::for_each_chunk;
use crate::backend::AdamStep;
use crate::real::Real;

pub(super) fn adam<T: Real>(s: AdamStep, param: &mut [T], grad: &[T], m: &mut [T], v: &mut [T]) {
    let [b1, b2, eps, l2, shrink, step, sqrt_bias2] = s.scalars().map(T::of);
    let (one, pm, pv) = (T::one(), m.as_mut_ptr() as usize, v.as_mut_ptr() as usize);
    for_each_chunk(param, |o, p| {
        // SAFETY: chunks of `param` are disjoint, and so are the same ranges of `m` and `v`.
        let m = unsafe { std::slice::from_raw_parts_mut((pm as *mut T).add(o), p.len()) };
        let v = unsafe { std::slice::from_raw_parts_mut((pv as *mut T).add(o), p.len()) };
        for (i, p) in p.iter_mut().enumerate() {
            let g = grad[o + i] + l2 * *p;
            m[i] = b1 * m[i] + (one - b1) * g;
            v[i] = b2 * v[i] + (one - b2) * g * g;
            // θ ← (1 − lr·λ)θ − lr·m̂ / (√v̂ + ε), m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ).
            *p = shrink * *p - step * m[i] / (v[i].sqrt() / sqrt_bias2 + eps);
        }
    });
}
