//! Which loop the CPU backend runs for each element type: f32, the training type, takes the
//! vectorised row loops of `exp_lanes`, `rows` and `sparse` and our packed GEMM; f64, the
//! gradient-check type, keeps libm's `exp`, the plain loops below and matrixmultiply's `dgemm`.
//! [`Real`] says what a number is; this trait says how the CPU computes with it.

use super::{adam, bgemm, exp_lanes, gemm, rows, sgemm, sparse};
use crate::backend::Gemm;
use crate::real::Real;

/// An element type of [`super::Cpu`]: the row loops and the GEMM that compute in it.
pub trait CpuReal: Real {
    /// `max_i x_i`, ignoring NaN (a NaN still reaches [`CpuReal::exp_sum`]); `−∞` for an empty row.
    fn row_max(x: &[Self]) -> Self {
        x.iter()
            .fold(Self::neg_infinity(), |m, &v| if v > m { v } else { m })
    }
    /// `Σ_i exp(x_i − shift)`, summed in f64.
    fn exp_sum(x: &[Self], shift: Self) -> f64 {
        x.iter().map(|&v| (v - shift).exp().f64()).sum()
    }
    /// `out_i = scale · exp(x_i − shift)`.
    fn scaled_exp(x: &[Self], shift: Self, scale: Self, out: &mut [Self]) {
        for (o, &v) in out.iter_mut().zip(x) {
            *o = scale * (v - shift).exp();
        }
    }

    /// `acc_i += x_i`, in f64.
    fn add_into_f64(acc: &mut [f64], x: &[Self]) {
        for (a, v) in acc.iter_mut().zip(x) {
            *a += v.f64()
        }
    }

    /// `acc_i ← acc_i + v·x_i`: a multiply, then an add (two roundings, never fused).
    fn add_scaled(acc: &mut [Self], v: Self, x: &[Self]) {
        for (a, &b) in acc.iter_mut().zip(x) {
            *a = *a + v * b
        }
    }

    /// `y_i = tanh x_i`.
    fn tanh_slice(x: &[Self], y: &mut [Self]) {
        for (y, &v) in y.iter_mut().zip(x) {
            *y = v.tanh();
        }
    }

    /// One chunk of the fused Adam update ([`adam::adam_chunk`]; `s`: [`crate::backend::AdamStep::scalars`]).
    fn adam_chunk(s: [Self; 7], p: &mut [Self], g: &[Self], m: &mut [Self], v: &mut [Self]) {
        adam::adam_chunk(s, p, g, m, v)
    }

    /// `C ← α·op(A)·op(B) + β·C` on row-major operands: for f32 our packed GEMM
    /// (`backend::cpu::sgemm`), for f64 matrixmultiply's `dgemm` (`backend::cpu::gemm`).
    ///
    /// # Safety
    /// `c` must point to `m × n` writable elements, initialised unless `β = 0`, aliasing neither
    /// `a` nor `b`.
    unsafe fn gemm_raw(g: Gemm, a: &[Self], b: &[Self], c: *mut Self);

    /// `C ← α·op(A)·op(B) + β·C + 1·biasᵀ`, with the bits of [`CpuReal::gemm_raw`] followed by
    /// adding `bias` to every row; f32 adds it in the GEMM's epilogue.
    ///
    /// # Safety
    /// As [`CpuReal::gemm_raw`]; `bias` must hold `n` values.
    unsafe fn gemm_bias_raw(g: Gemm, a: &[Self], b: &[Self], bias: &[Self], c: *mut Self) {
        Self::gemm_raw(g, a, b, c);
        rows::add_row_vector(bias, g.n, std::slice::from_raw_parts_mut(c, g.m * g.n));
    }

    /// Whether [`CpuReal::gemm_bf16_raw`] exists for this type (f32 only).
    const BF16_GEMM: bool = false;

    /// `C ← α·op(A)·op(B) + β·C (+ 1·biasᵀ)` on operands rounded to bf16, the sums in f32
    /// ([`bgemm`]); the backend never calls it for a type without one ([`CpuReal::BF16_GEMM`]).
    ///
    /// # Safety
    /// As [`CpuReal::gemm_bias_raw`].
    unsafe fn gemm_bf16_raw(
        _g: Gemm,
        _a: &[Self],
        _b: &[Self],
        _bias: Option<&[Self]>,
        _c: *mut Self,
    ) {
        unreachable!("bf16 GEMMs take f32 tensors")
    }
}

impl CpuReal for f32 {
    fn row_max(x: &[f32]) -> f32 {
        exp_lanes::row_max(x)
    }
    fn exp_sum(x: &[f32], shift: f32) -> f64 {
        exp_lanes::exp_sum(x, shift)
    }
    fn scaled_exp(x: &[f32], shift: f32, scale: f32, out: &mut [f32]) {
        exp_lanes::scaled_exp(x, shift, scale, out)
    }
    fn tanh_slice(x: &[f32], y: &mut [f32]) {
        exp_lanes::tanh_slice(x, y)
    }
    fn add_into_f64(acc: &mut [f64], x: &[f32]) {
        rows::add_widened(acc, x)
    }
    fn add_scaled(acc: &mut [f32], v: f32, x: &[f32]) {
        sparse::add_scaled(acc, v, x)
    }
    fn adam_chunk(s: [f32; 7], p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
        adam::adam_chunk_f32(s, p, g, m, v)
    }
    unsafe fn gemm_raw(g: Gemm, a: &[f32], b: &[f32], c: *mut f32) {
        sgemm::sgemm(g, a, b, None, c)
    }
    unsafe fn gemm_bias_raw(g: Gemm, a: &[f32], b: &[f32], bias: &[f32], c: *mut f32) {
        sgemm::sgemm(g, a, b, Some(bias), c)
    }
    const BF16_GEMM: bool = true;
    unsafe fn gemm_bf16_raw(g: Gemm, a: &[f32], b: &[f32], bias: Option<&[f32]>, c: *mut f32) {
        bgemm::bgemm(g, a, b, bias, c)
    }
}

impl CpuReal for f64 {
    unsafe fn gemm_raw(g: Gemm, a: &[f64], b: &[f64], c: *mut f64) {
        gemm::dgemm_in_row_blocks(g, a, b, c, gemm::row_blocks(g))
    }
}
