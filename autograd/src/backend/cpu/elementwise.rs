//! Element-wise loops: maps, the dropout mask, Gaussian noise, the BCE loss and the Adam update.

use super::for_each_chunk;
use crate::backend::{sigmoid, AdamStep, Binary, Unary};
use crate::real::Real;
use crate::rng::{keep_threshold, keeps, standard_normal, RngKey};

pub(super) fn unary<T: Real>(op: Unary, x: &[T], y: &mut [T]) {
    if op == Unary::Tanh {
        // The f32 hidden layers' activation: a vectorised tanh (f64 keeps libm's).
        return for_each_chunk(y, |o, y| T::tanh_slice(&x[o..o + y.len()], y));
    }
    for_each_chunk(y, |o, y| {
        for (y, &x) in y.iter_mut().zip(&x[o..]) {
            *y = op.f(x)
        }
    });
}

pub(super) fn unary_backward<T: Real>(op: Unary, x: &[T], y: &[T], dy: &[T], dx: &mut [T]) {
    for_each_chunk(dx, |o, dx| {
        for (i, d) in dx.iter_mut().enumerate() {
            *d = dy[o + i] * op.df(x[o + i], y[o + i])
        }
    });
}

pub(super) fn binary<T: Real>(op: Binary, a: &[T], b: &[T], c: &mut [T]) {
    for_each_chunk(c, |o, c| {
        let (a, b) = (&a[o..], &b[o..]);
        match op {
            Binary::Add => c.iter_mut().enumerate().for_each(|(i, c)| *c = a[i] + b[i]),
            Binary::Sub => c.iter_mut().enumerate().for_each(|(i, c)| *c = a[i] - b[i]),
            Binary::Mul => c.iter_mut().enumerate().for_each(|(i, c)| *c = a[i] * b[i]),
        }
    });
}

pub(super) fn axpy<T: Real>(alpha: T, x: &[T], y: &mut [T]) {
    for_each_chunk(y, |o, y| {
        for (y, &x) in y.iter_mut().zip(&x[o..]) {
            *y = *y + alpha * x
        }
    });
}

pub(super) fn dropout<T: Real>(key: RngKey, p: f64, x: &[T], y: &mut [T]) {
    let threshold = keep_threshold(1.0 - p);
    let scale = T::of(1.0 / (1.0 - p));
    for_each_chunk(y, |o, y| {
        for (i, y) in y.iter_mut().enumerate() {
            let g = o + i;
            *y = if keeps(key, g as u64, threshold) {
                x[g] * scale
            } else {
                T::zero()
            }
        }
    });
}

pub(super) fn gaussian<T: Real>(key: RngKey, y: &mut [T]) {
    for_each_chunk(y, |o, y| {
        for (i, y) in y.iter_mut().enumerate() {
            *y = T::of(standard_normal(key, (o + i) as u64))
        }
    });
}

pub(super) fn bce_with_logits<T: Real>(z: &[T], t: &[T], loss: &mut [T]) {
    for_each_chunk(loss, |o, loss| {
        for (i, l) in loss.iter_mut().enumerate() {
            let (z, t) = (z[o + i], t[o + i]);
            *l = z.max(T::zero()) - z * t + (-z.abs()).exp().ln_1p();
        }
    });
}

pub(super) fn bce_with_logits_backward<T: Real>(z: &[T], t: &[T], alpha: T, dz: &mut [T]) {
    for_each_chunk(dz, |o, dz| {
        for (i, d) in dz.iter_mut().enumerate() {
            *d = alpha * (sigmoid(z[o + i]) - t[o + i]);
        }
    });
}

pub(super) fn adam<T: Real>(s: AdamStep, param: &mut [T], grad: &[T], m: &mut [T], v: &mut [T]) {
    let (b1, b2, eps) = (T::of(s.beta1), T::of(s.beta2), T::of(s.eps));
    let (l2, shrink) = (T::of(s.l2), T::of(1.0 - s.lr * s.decoupled));
    let (step, sqrt_bias2) = (T::of(s.lr / s.bias1), T::of(s.bias2.sqrt()));
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
