//! Counter-based randomness: the dropout mask and Gaussian noise, element `i` drawn from
//! `(seed, step, i)` by [`crate::rng`]; the CPU side of `gpu/kernels/random.cu`, which draws the same
//! numbers.

use super::for_each_chunk;
use crate::real::Real;
use crate::rng::{draw_lanes, keep_scale, keep_threshold, keeps, open_unit, RngKey};

pub(super) fn dropout<T: Real>(key: RngKey, p: f64, x: &[T], y: &mut [T]) {
    let threshold = keep_threshold(1.0 - p);
    let scale = T::of(keep_scale(threshold));
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
        let mut z = [0f64; LANES];
        for (c, y) in y.chunks_mut(LANES).enumerate() {
            normals(key, (o + c * LANES) as u64, &mut z);
            for (y, &z) in y.iter_mut().zip(&z) {
                *y = T::of(z)
            }
        }
    });
}

/// Elements drawn side by side by [`normals`].
const LANES: usize = 16;

/// [`crate::rng::standard_normal`] of `LANES` consecutive elements, with the same operations in the same order
/// for each (the same bits): the Philox rounds, the conversions to `(0, 1)`, `√` and the product run
/// on vectors; `ln` and `cos` are glibc's, one lane at a time, as on the simulated device, whose
/// draws must have these bits. `hot_ops` `gaussian ε 500x200`: 2.15 ms one element at a time,
/// 1.56 in lanes on AVX-512, 1.73 on AVX2.
#[inline(always)]
fn normals_of(key: RngKey, index0: u64, z: &mut [f64; LANES]) {
    let w = draw_lanes::<LANES>(key, index0);
    let (mut log_u1, mut cos_u2) = ([0f64; LANES], [0f64; LANES]);
    for l in 0..LANES {
        log_u1[l] = open_unit(w[0][l]).ln();
        cos_u2[l] = (2.0 * std::f64::consts::PI * open_unit(w[1][l])).cos();
    }
    for l in 0..LANES {
        z[l] = (-2.0 * log_u1[l]).sqrt() * cos_u2[l];
    }
}

dispatch!(
    /// `z[l] = standard_normal(key, index0 + l)`.
    normals => normals_of(key: RngKey, index0: u64, z: &mut [f64; LANES]) -> ()
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::standard_normal;

    /// The lane-wise draws, on the path this run selected, have the bits of the one-element
    /// function the simulated device's kernel is checked against, across chunks and their tails.
    #[test]
    fn gaussian_lanes_have_the_bits_of_standard_normal() {
        let key = RngKey::new(42, 7);
        for n in [1, 15, 16, 17, 100_003] {
            let mut y = vec![0f64; n];
            gaussian(key, &mut y);
            for (i, &v) in y.iter().enumerate() {
                assert_eq!(
                    v.to_bits(),
                    standard_normal(key, i as u64).to_bits(),
                    "n {n}, i {i}"
                );
            }
        }
    }
}
