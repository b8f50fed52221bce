//! Binary cross-entropy on logits, element-wise, in the stable form; the CPU side of
//! `gpu/kernels/bce.cu`.

use super::for_each_chunk;
use crate::backend::sigmoid;
use crate::real::Real;

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
