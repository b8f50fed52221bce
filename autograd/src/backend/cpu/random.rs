//! Counter-based randomness: the dropout mask and Gaussian noise, element `i` drawn from
//! `(seed, step, i)` by [`crate::rng`]; the CPU side of `gpu/kernels/random.cu`, which draws the same
//! numbers.

use super::for_each_chunk;
use crate::real::Real;
use crate::rng::{keep_threshold, keeps, standard_normal, RngKey};

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
