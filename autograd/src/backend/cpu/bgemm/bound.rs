//! The error bound of [`super`] ("Error") as code: the product in f64 and the distance an f32
//! result may lie from it. The tests hold every path to it, and the AMX kernel's first-use check
//! ([`super::amx_check`]) holds the CPU's tiles to it.

use super::bf16;
use crate::backend::Gemm;

/// For each element of `C ← α·op(A)·op(B) + β·C (+ bias)`: its value in f64 over the operands as
/// given (`rounded` false) or rounded to bf16 as the packing rounds them (true); `|α|·Σ_p
/// |op(A)[i,p]·op(B)[p,j]|` (of the f32 operands); and `|β·C[i,j]| + |bias[j]|`, the terms the
/// epilogue adds.
pub(super) fn exact(
    g: Gemm,
    a: &[f32],
    b: &[f32],
    c: &[f32],
    bias: Option<&[f32]>,
    rounded: bool,
) -> Vec<(f64, f64, f64)> {
    let r = |x: f32| if rounded { bf16::widen(bf16::pack(x)) } else { x } as f64;
    let mut out = Vec::with_capacity(g.m * g.n);
    for i in 0..g.m {
        for j in 0..g.n {
            let (mut s, mut abs) = (0.0f64, 0.0f64);
            for p in 0..g.k {
                let av = a[g.a_index(i, p)];
                let bv = b[g.b_index(p, j)];
                s += r(av) * r(bv);
                abs += (av as f64 * bv as f64).abs();
            }
            let beta_c = if g.beta == 0.0 {
                0.0
            } else {
                g.beta * c[i * g.n + j] as f64
            };
            let v = bias.map_or(0.0, |v| v[j] as f64);
            out.push((
                g.alpha * s + beta_c + v,
                g.alpha.abs() * abs,
                beta_c.abs() + v.abs(),
            ));
        }
    }
    out
}

/// The bound of [`super`]'s "Error" on `|ĉ − c|` for a sum over `k`, given the two magnitudes of
/// [`exact`]: relative `2u_b + u_b² + γ_k(1 + u_b)²` on the sum of absolute products (`rounded`
/// false, against the f32 operands), or `γ_k(1 + u_b)²` (`rounded` true, against the
/// bf16-rounded ones); two more f32 roundings of the epilogue on both terms; `(2k + 2)·2⁻¹²⁶`
/// absolute for results flushed to zero where they were subnormal.
pub(super) fn tolerance(k: usize, abs: f64, beta_c: f64, rounded: bool) -> f64 {
    let (u, ub) = (2f64.powi(-24), 2f64.powi(-8));
    let gamma = k as f64 * u / (1.0 - k as f64 * u);
    let operands = if rounded { 0.0 } else { 2.0 * ub + ub * ub };
    let rel = operands + gamma * (1.0 + ub).powi(2);
    (rel + 2.0 * u) * abs * (1.0 + rel)
        + 2.0 * u * beta_c
        + (2.0 * k as f64 + 2.0) * 2f64.powi(-126)
}
