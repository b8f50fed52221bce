//! Element-wise loops: the unary maps driven by [`Unary::f`] and [`Unary::df`], the binary maps and
//! `axpy`; the CPU side of `gpu/kernels/elementwise.cu`.

use super::for_each_chunk;
use super::CpuReal;
use crate::backend::{Binary, Unary};
use crate::real::Real;

pub(super) fn unary<T: CpuReal>(op: Unary, x: &[T], y: &mut [T]) {
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
