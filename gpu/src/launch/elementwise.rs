//! The launches of gpu/kernels/elementwise.cu: unary maps and their derivatives, binary maps, axpy.

use super::{elementwise_config, launch, len_is};
use crate::{Cuda, CudaBuffer};
use autograd::backend::{Binary, Unary};
use autograd::Result;

/// The codes of elementwise.cu's U_* constants, and the op's constant.
fn unary_code(op: Unary) -> (i32, f32) {
    match op {
        Unary::Neg => (0, 0.0),
        Unary::Square => (1, 0.0),
        Unary::Tanh => (2, 0.0),
        Unary::Relu => (3, 0.0),
        Unary::Sigmoid => (4, 0.0),
        Unary::Exp => (5, 0.0),
        Unary::Log => (6, 0.0),
        Unary::Scale(c) => (7, c as f32),
        Unary::AddScalar(c) => (8, c as f32),
    }
}

/// `unary_forward`: y = f(x).
pub(crate) fn unary(g: &Cuda, op: Unary, x: &CudaBuffer, y: &mut CudaBuffer) -> Result<()> {
    len_is("unary", "y", y.len(), x.len())?;
    let (code, c) = unary_code(op);
    if x.is_empty() {
        return Ok(());
    }
    launch!(g, "unary_forward", elementwise_config(x.len()); code, c, x, y, x.len() as u64)
}

/// `unary_backward`: x̄ = ȳ·f'(x).
pub(crate) fn unary_backward(
    g: &Cuda,
    op: Unary,
    x: &CudaBuffer,
    y: &CudaBuffer,
    dy: &CudaBuffer,
    dx: &mut CudaBuffer,
) -> Result<()> {
    const OP: &str = "unary_backward";
    for (what, len) in [("y", y.len()), ("dy", dy.len()), ("dx", dx.len())] {
        len_is(OP, what, len, x.len())?;
    }
    let (code, c) = unary_code(op);
    if x.is_empty() {
        return Ok(());
    }
    launch!(g, "unary_backward", elementwise_config(x.len());
        code, c, x, y, dy, dx, x.len() as u64)
}

/// `binary`: c = a ∘ b.
pub(crate) fn binary(
    g: &Cuda,
    op: Binary,
    a: &CudaBuffer,
    b: &CudaBuffer,
    c: &mut CudaBuffer,
) -> Result<()> {
    len_is("binary", "b", b.len(), a.len())?;
    len_is("binary", "c", c.len(), a.len())?;
    let code: i32 = match op {
        Binary::Add => 0,
        Binary::Sub => 1,
        Binary::Mul => 2,
    };
    if a.is_empty() {
        return Ok(());
    }
    launch!(g, "binary", elementwise_config(a.len()); code, a, b, c, a.len() as u64)
}

/// `axpy`: y ← y + α·x.
pub(crate) fn axpy(g: &Cuda, alpha: f64, x: &CudaBuffer, y: &mut CudaBuffer) -> Result<()> {
    len_is("axpy", "y", y.len(), x.len())?;
    if x.is_empty() {
        return Ok(());
    }
    launch!(g, "axpy", elementwise_config(x.len()); alpha as f32, x, y, x.len() as u64)
}
