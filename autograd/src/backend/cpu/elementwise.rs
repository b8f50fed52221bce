//! Element-wise loops: the unary maps driven by [`Unary::f`] and [`Unary::df`], the binary maps and
//! `axpy`; the CPU side of `gpu/kernels/elementwise.cu`.

use super::for_each_chunk;
use super::CpuReal;
use crate::backend::{Binary, Unary};
use crate::real::Real;

pub(super) fn unary<T: CpuReal>(op: Unary, x: &[T], y: &mut [T]) {
    // One loop per op with the op's `f` inlined (`Unary::Square.f` folds to `x·x`), so that each
    // loop vectorises where its function can; a match on `op` inside the loop kept it scalar.
    match op {
        // The f32 hidden layers' activation: a vectorised tanh (f64 keeps libm's).
        Unary::Tanh => for_each_chunk(y, |o, y| T::tanh_slice(&x[o..o + y.len()], y)),
        Unary::Neg => map_loop(x, y, |x| Unary::Neg.f(x)),
        Unary::Square => map_loop(x, y, |x| Unary::Square.f(x)),
        Unary::Relu => map_loop(x, y, |x| Unary::Relu.f(x)),
        Unary::Sigmoid => map_loop(x, y, |x| Unary::Sigmoid.f(x)),
        Unary::Exp => map_loop(x, y, |x| Unary::Exp.f(x)),
        Unary::Log => map_loop(x, y, |x| Unary::Log.f(x)),
        Unary::Scale(c) => map_loop(x, y, |x| Unary::Scale(c).f(x)),
        Unary::AddScalar(c) => map_loop(x, y, |x| Unary::AddScalar(c).f(x)),
    }
}

/// `y_i = f(x_i)`, in parallel chunks.
#[inline(always)]
fn map_loop<T: Real>(x: &[T], y: &mut [T], f: impl Fn(T) -> T + Sync) {
    for_each_chunk(y, |o, y| {
        let x = &x[o..o + y.len()];
        for (y, &x) in y.iter_mut().zip(x) {
            *y = f(x)
        }
    });
}

pub(super) fn unary_backward<T: Real>(op: Unary, x: &[T], y: &[T], dy: &[T], dx: &mut [T]) {
    // As in `unary`: one loop per op, its `df` inlined (`Unary::Tanh.df` folds to `1 − y²`).
    match op {
        Unary::Neg => backward_loop(x, y, dy, dx, |x, y| Unary::Neg.df(x, y)),
        Unary::Square => backward_loop(x, y, dy, dx, |x, y| Unary::Square.df(x, y)),
        Unary::Tanh => backward_loop(x, y, dy, dx, |x, y| Unary::Tanh.df(x, y)),
        Unary::Relu => backward_loop(x, y, dy, dx, |x, y| Unary::Relu.df(x, y)),
        Unary::Sigmoid => backward_loop(x, y, dy, dx, |x, y| Unary::Sigmoid.df(x, y)),
        Unary::Exp => backward_loop(x, y, dy, dx, |x, y| Unary::Exp.df(x, y)),
        Unary::Log => backward_loop(x, y, dy, dx, |x, y| Unary::Log.df(x, y)),
        Unary::Scale(c) => backward_loop(x, y, dy, dx, |x, y| Unary::Scale(c).df(x, y)),
        Unary::AddScalar(c) => backward_loop(x, y, dy, dx, |x, y| Unary::AddScalar(c).df(x, y)),
    }
}

/// `dx_i = dy_i · df(x_i, y_i)`, in parallel chunks.
#[inline(always)]
fn backward_loop<T: Real>(x: &[T], y: &[T], dy: &[T], dx: &mut [T], df: impl Fn(T, T) -> T + Sync) {
    for_each_chunk(dx, |o, dx| {
        let r = o..o + dx.len();
        let (x, y, dy) = (&x[r.clone()], &y[r.clone()], &dy[r]);
        for (((d, &x), &y), &dy) in dx.iter_mut().zip(x).zip(y).zip(dy) {
            *d = dy * df(x, y)
        }
    });
}

pub(super) fn binary<T: Real>(op: Binary, a: &[T], b: &[T], c: &mut [T]) {
    match op {
        Binary::Add => zip_loop(a, b, c, |a, b| a + b),
        Binary::Sub => zip_loop(a, b, c, |a, b| a - b),
        Binary::Mul => zip_loop(a, b, c, |a, b| a * b),
    }
}

/// `c_i = f(a_i, b_i)`, in parallel chunks.
#[inline(always)]
fn zip_loop<T: Real>(a: &[T], b: &[T], c: &mut [T], f: impl Fn(T, T) -> T + Sync) {
    for_each_chunk(c, |o, c| {
        let r = o..o + c.len();
        for ((c, &a), &b) in c.iter_mut().zip(&a[r.clone()]).zip(&b[r]) {
            *c = f(a, b)
        }
    });
}

pub(super) fn axpy<T: Real>(alpha: T, x: &[T], y: &mut [T]) {
    for_each_chunk(y, |o, y| {
        let x = &x[o..o + y.len()];
        for (y, &x) in y.iter_mut().zip(x) {
            *y = *y + alpha * x
        }
    });
}
