//! The gradient checker: analytic VJPs against central finite differences, in f64.
//!
//! For a function `y = f(x₁, …, x_p)` built from ops on a tape:
//! - [`check_jacobian`] compares the full Jacobian: row `k` analytically by one backward pass seeded
//!   with the one-hot `e_k`, column `j` numerically as `(f(x + ε e_j) − f(x − ε e_j)) / 2ε`;
//! - [`check_projection`] compares random projections `vᵀ·J·u` (one backward pass and two forward
//!   passes each), which is how whole models are checked.
//!
//! An element passes when `|analytic − numeric| ≤ atol + rtol·|numeric|`, with `ε = 10⁻⁶`,
//! `atol = 10⁻⁵`, `rtol = 10⁻³` (the defaults of `torch.autograd.gradcheck`). The crate doc has an
//! example on a function of one's own.
//!
//! Why a backward pass seeded with `e_k` gives row `k` of the Jacobian: for `y = f(x)` with
//! Jacobian `J = ∂y/∂x` (`y` flattened to `m` values, `x` to `n`), a backward pass seeded with `ȳ`
//! returns `x̄ = Jᵀ·ȳ`, because the chain rule writes `J = J_L ⋯ J_1` over the recorded ops and
//! each op's VJP multiplies by its own `J_iᵀ`, last op first: `x̄ = J_1ᵀ(⋯(J_Lᵀ·ȳ))`. With
//! `ȳ = e_k`, `x̄_j = Σ_i J_ij (e_k)_i = J_kj = ∂y_k/∂x_j`: row `k` of `J`, read as a column. So `m`
//! backward passes give `J` row by row, while central differences `(f(x + εe_j) − f(x − εe_j))/2ε =
//! J·e_j + O(ε²)` give it column by column; the `gradcheck` binary prints the two side by side. For
//! a scalar loss `m = 1`: one backward pass gives the whole gradient, which is why training needs
//! one.
//!
//! A [`Report`] prints the verdict, the largest errors and the *worst* element: the one closest to
//! failing, with the largest `|analytic − numeric| / (atol + rtol·|numeric|)`
//! ([`Worst::allowance_used`]; at most 1 everywhere is a pass).

use crate::backend::cpu::Cpu;
use crate::error::{Error, Result};
use crate::rng::{standard_normal, RngKey};
use crate::tape::{Tape, Var};
use crate::tensor::Tensor;
use std::fmt;

/// Step and tolerances of a check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    pub eps: f64,
    pub atol: f64,
    pub rtol: f64,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance {
            eps: 1e-6,
            atol: 1e-5,
            rtol: 1e-3,
        }
    }
}

impl Tolerance {
    /// How far past its allowance an error is: ≤ 1 passes.
    fn ratio(&self, analytic: f64, numeric: f64) -> f64 {
        let err = (analytic - numeric).abs();
        if err.is_nan() {
            return f64::INFINITY;
        }
        err / (self.atol + self.rtol * numeric.abs())
    }
}

/// The worst-compared element of a check: the one closest to failing, i.e. with the largest
/// `|analytic − numeric| / (atol + rtol·|numeric|)` (its [`Worst::allowance_used`]), which is not
/// always the one with the largest absolute or relative error (those are [`Report::max_abs_err`]
/// and [`Report::max_rel_err`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Worst {
    /// Which input (0-based), and the `[row, col]` of the element within it (the direction `u` in
    /// projection mode, where both are `None`).
    pub input: Option<usize>,
    pub input_index: Option<[usize; 2]>,
    /// The `[row, col]` of the output element (`None` in projection mode).
    pub output_index: Option<[usize; 2]>,
    pub analytic: f64,
    pub numeric: f64,
    pub abs_err: f64,
    pub rel_err: f64,
    /// `|analytic − numeric| / (atol + rtol·|numeric|)`: the share of its allowance the error uses;
    /// the check passes when it is at most 1 here, hence everywhere.
    pub allowance_used: f64,
}

/// One input's Jacobians, `output.len() × input.len()` row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Jacobians {
    pub output_shape: [usize; 2],
    pub input_shape: [usize; 2],
    pub analytic: Vec<f64>,
    pub numeric: Vec<f64>,
}

/// The outcome of a check.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub passed: bool,
    /// Largest `|analytic − numeric|`.
    pub max_abs_err: f64,
    /// Largest `|analytic − numeric| / max(|numeric|, 10⁻⁶)`.
    pub max_rel_err: f64,
    /// Number of compared values.
    pub compared: usize,
    pub worst: Option<Worst>,
    /// The full Jacobians per input (empty in projection mode).
    pub jacobians: Vec<Jacobians>,
    pub tolerance: Tolerance,
}

/// Two lines: the verdict with its rule, then the worst element, e.g.
///
/// ```text
/// PASS: 144 values compared, max abs err 1.1e-10, max rel err 3.2e-9; each must pass |analytic − numeric| ≤ 1.0e-5 + 1.0e-3·|numeric|
/// worst, the value closest to its allowance (error/allowance 1.1e-5; ≤ 1 passes): ∂y[1, 2]/∂x1[0, 2]: analytic …, numeric …, abs err …, rel err … (allowed …)
/// ```
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.passed { "PASS" } else { "FAIL" };
        let t = &self.tolerance;
        write!(
            f,
            "{verdict}: {} values compared, max abs err {:.3e}, max rel err {:.3e}; each must pass \
             |analytic − numeric| ≤ {:.1e} + {:.1e}·|numeric|",
            self.compared, self.max_abs_err, self.max_rel_err, t.atol, t.rtol
        )?;
        if let Some(w) = &self.worst {
            write!(
                f,
                "\nworst, the value closest to its allowance (error/allowance {:.1e}; ≤ 1 passes): ",
                w.allowance_used
            )?;
            if let (Some(i), Some([r, c])) = (w.input, w.input_index) {
                write!(f, "∂y")?;
                if let Some([yr, yc]) = w.output_index {
                    write!(f, "[{yr}, {yc}]")?;
                }
                write!(f, "/∂x{i}[{r}, {c}]")?;
            } else {
                write!(f, "projection vᵀ·J·u")?;
            }
            write!(
                f,
                ": analytic {:.9e}, numeric {:.9e}, abs err {:.3e}, rel err {:.3e} (allowed {:.3e})",
                w.analytic,
                w.numeric,
                w.abs_err,
                w.rel_err,
                t.atol + t.rtol * w.numeric.abs()
            )?;
        }
        Ok(())
    }
}

/// One input's share of a full-Jacobian check.
#[derive(Debug, Clone, PartialEq)]
pub struct InputSummary {
    pub shape: [usize; 2],
    pub max_abs_err: f64,
    pub max_rel_err: f64,
    pub passed: bool,
}

impl Report {
    /// Per input (e.g. per parameter tensor of a model): the largest errors and the verdict, from
    /// the full Jacobians (empty in projection mode).
    pub fn per_input(&self) -> Vec<InputSummary> {
        self.jacobians
            .iter()
            .map(|j| {
                let mut s = InputSummary {
                    shape: j.input_shape,
                    max_abs_err: 0.0,
                    max_rel_err: 0.0,
                    passed: true,
                };
                for (&a, &n) in j.analytic.iter().zip(&j.numeric) {
                    let err = (a - n).abs();
                    s.max_abs_err = s.max_abs_err.max(err);
                    s.max_rel_err = s.max_rel_err.max(err / n.abs().max(1e-6));
                    s.passed &= self.tolerance.ratio(a, n) <= 1.0;
                }
                s
            })
            .collect()
    }
}

/// Keeps the running maxima and the worst element of a check.
struct Tally {
    tol: Tolerance,
    report: Report,
    worst_ratio: f64,
}

impl Tally {
    fn new(tol: Tolerance) -> Self {
        Tally {
            tol,
            report: Report {
                passed: true,
                max_abs_err: 0.0,
                max_rel_err: 0.0,
                compared: 0,
                worst: None,
                jacobians: vec![],
                tolerance: tol,
            },
            worst_ratio: -1.0,
        }
    }

    fn compare(&mut self, analytic: f64, numeric: f64, at: impl FnOnce() -> Worst) {
        let abs_err = (analytic - numeric).abs();
        let rel_err = abs_err / numeric.abs().max(1e-6);
        let r = &mut self.report;
        r.compared += 1;
        r.max_abs_err = r.max_abs_err.max(abs_err);
        r.max_rel_err = r.max_rel_err.max(rel_err);
        let ratio = self.tol.ratio(analytic, numeric);
        if ratio > 1.0 || !ratio.is_finite() {
            r.passed = false;
        }
        if ratio > self.worst_ratio {
            self.worst_ratio = ratio;
            r.worst = Some(Worst {
                abs_err,
                rel_err,
                allowance_used: ratio,
                ..at()
            });
        }
    }
}

type Cpu64 = Cpu<f64>;

/// `f` evaluated without recording.
fn evaluate<F>(f: &F, inputs: &[Tensor<Cpu64>]) -> Result<Vec<f64>>
where
    F: for<'t> Fn(&'t Tape<Cpu64>, &[Var<'t, Cpu64>]) -> Result<Var<'t, Cpu64>>,
{
    let tape = Tape::no_grad(&Cpu::new());
    let vars: Vec<_> = inputs.iter().map(|x| tape.constant(x.clone())).collect();
    f(&tape, &vars)?.value().to_vec()
}

/// The gradients of `⟨seed, f(inputs)⟩` with respect to each input (zeros where `f` ignores one),
/// and the shape of `f`'s output.
fn vjp<F>(
    f: &F,
    inputs: &[Tensor<Cpu64>],
    seed: impl FnOnce([usize; 2]) -> Vec<f64>,
) -> Result<Vec<Vec<f64>>>
where
    F: for<'t> Fn(&'t Tape<Cpu64>, &[Var<'t, Cpu64>]) -> Result<Var<'t, Cpu64>>,
{
    let cpu = Cpu::new();
    let tape = Tape::new(&cpu);
    let vars: Vec<_> = inputs.iter().map(|x| tape.variable(x.clone())).collect();
    let y = f(&tape, &vars)?;
    let s = seed(y.shape());
    let grads = tape.backward_with(&y, Tensor::from_vec(&cpu, y.rows(), y.cols(), &s)?)?;
    vars.iter()
        .map(|v| match grads.wrt(v) {
            Some(g) => g.to_vec(),
            None => Ok(vec![0.0; v.value().len()]),
        })
        .collect()
}

/// `inputs` with input `i` moved by `scale·direction`.
fn shifted(
    inputs: &[Tensor<Cpu64>],
    moves: &[(usize, Vec<f64>)],
    scale: f64,
) -> Result<Vec<Tensor<Cpu64>>> {
    let mut out = inputs.to_vec();
    for (i, dir) in moves {
        let x = &inputs[*i];
        let v: Vec<f64> = x
            .to_vec()?
            .iter()
            .zip(dir)
            .map(|(a, d)| a + scale * d)
            .collect();
        out[*i] = Tensor::from_vec(x.backend(), x.rows(), x.cols(), &v)?;
    }
    Ok(out)
}

/// Compares the full Jacobian of `f` at `inputs`, element by element.
pub fn check_jacobian<F>(inputs: &[Tensor<Cpu64>], tol: Tolerance, f: F) -> Result<Report>
where
    F: for<'t> Fn(&'t Tape<Cpu64>, &[Var<'t, Cpu64>]) -> Result<Var<'t, Cpu64>>,
{
    let tape = Tape::no_grad(&Cpu::new());
    let probe: Vec<_> = inputs.iter().map(|x| tape.constant(x.clone())).collect();
    let out_shape = f(&tape, &probe)?.shape();
    let n_out = out_shape[0] * out_shape[1];

    let mut jac: Vec<Jacobians> = inputs
        .iter()
        .map(|x| Jacobians {
            output_shape: out_shape,
            input_shape: x.shape(),
            analytic: vec![0.0; n_out * x.len()],
            numeric: vec![0.0; n_out * x.len()],
        })
        .collect();
    for k in 0..n_out {
        let rows = vjp(&f, inputs, |_| {
            let mut e = vec![0.0; n_out];
            e[k] = 1.0;
            e
        })?;
        for (j, row) in jac.iter_mut().zip(rows) {
            let n_in = row.len();
            j.analytic[k * n_in..(k + 1) * n_in].copy_from_slice(&row);
        }
    }
    for (i, x) in inputs.iter().enumerate() {
        let n_in = x.len();
        for e in 0..n_in {
            let mut dir = vec![0.0; n_in];
            dir[e] = 1.0;
            let plus = evaluate(&f, &shifted(inputs, &[(i, dir.clone())], tol.eps)?)?;
            let minus = evaluate(&f, &shifted(inputs, &[(i, dir)], -tol.eps)?)?;
            for k in 0..n_out {
                jac[i].numeric[k * n_in + e] = (plus[k] - minus[k]) / (2.0 * tol.eps);
            }
        }
    }
    let mut tally = Tally::new(tol);
    for (i, j) in jac.iter().enumerate() {
        let (n_in, in_cols, out_cols) = (
            j.input_shape[0] * j.input_shape[1],
            j.input_shape[1],
            out_shape[1],
        );
        for k in 0..n_out {
            for e in 0..n_in {
                let (a, n) = (j.analytic[k * n_in + e], j.numeric[k * n_in + e]);
                tally.compare(a, n, || Worst {
                    input: Some(i),
                    input_index: Some([e / in_cols.max(1), e % in_cols.max(1)]),
                    output_index: Some([k / out_cols.max(1), k % out_cols.max(1)]),
                    analytic: a,
                    numeric: n,
                    abs_err: 0.0,
                    rel_err: 0.0,
                    allowance_used: 0.0,
                });
            }
        }
    }
    tally.report.jacobians = jac;
    Ok(tally.report)
}

/// Compares `projections` random projections `vᵀ·J·u` (`u` over all inputs at once, `v` over the
/// output, both standard normal keyed by `seed`): the fast mode for composed graphs.
pub fn check_projection<F>(
    inputs: &[Tensor<Cpu64>],
    tol: Tolerance,
    seed: u64,
    projections: usize,
    f: F,
) -> Result<Report>
where
    F: for<'t> Fn(&'t Tape<Cpu64>, &[Var<'t, Cpu64>]) -> Result<Var<'t, Cpu64>>,
{
    if inputs.is_empty() {
        return Err(Error::invalid(
            "check_projection",
            "no inputs to differentiate",
        ));
    }
    let mut tally = Tally::new(tol);
    for p in 0..projections as u64 {
        let normal = |stream: u64, n: usize| -> Vec<f64> {
            (0..n as u64)
                .map(|i| standard_normal(RngKey::new(seed, 2 * p + stream), i))
                .collect()
        };
        let mut offset = 0usize;
        let moves: Vec<(usize, Vec<f64>)> = inputs
            .iter()
            .enumerate()
            .map(|(i, x)| {
                let all = normal(0, offset + x.len());
                offset += x.len();
                (i, all[offset - x.len()..].to_vec())
            })
            .collect();
        let mut v = Vec::new();
        let grads = vjp(&f, inputs, |s| {
            v = normal(1, s[0] * s[1]);
            v.clone()
        })?;
        let analytic: f64 = grads
            .iter()
            .zip(&moves)
            .map(|(g, (_, u))| g.iter().zip(u).map(|(a, b)| a * b).sum::<f64>())
            .sum();
        let dot = |y: Vec<f64>| y.iter().zip(&v).map(|(a, b)| a * b).sum::<f64>();
        let plus = dot(evaluate(&f, &shifted(inputs, &moves, tol.eps)?)?);
        let minus = dot(evaluate(&f, &shifted(inputs, &moves, -tol.eps)?)?);
        let numeric = (plus - minus) / (2.0 * tol.eps);
        tally.compare(analytic, numeric, || Worst {
            input: None,
            input_index: None,
            output_index: None,
            analytic,
            numeric,
            abs_err: 0.0,
            rel_err: 0.0,
            allowance_used: 0.0,
        });
    }
    Ok(tally.report)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `y = c ⊙ x` with `c = [100, 0.01]` and a VJP off by `[0.05, 0.001] ⊙ ȳ`. The first entry has
    /// the larger error, 0.05, but uses half of its allowance `10⁻⁵ + 10⁻³·100`; the second's error,
    /// 0.001, is 50 times its allowance `10⁻⁵ + 10⁻³·0.01`. The second is the worst, and the
    /// report's text says what that means.
    #[test]
    fn worst_is_the_entry_closest_to_its_allowance_not_the_largest_error() {
        let cpu = Cpu::<f64>::new();
        let x = Tensor::from_f64(&cpu, 1, 2, &[0.3, -0.7]).unwrap();
        let report = check_jacobian(&[x], Tolerance::default(), |tape, v| {
            let scaled = |t: &Tensor<Cpu64>, c: [f64; 2]| -> Result<Tensor<Cpu64>> {
                let v: Vec<f64> = t.to_vec()?.iter().zip(c).map(|(x, c)| x * c).collect();
                Tensor::from_f64(t.backend(), 1, 2, &v)
            };
            let y = scaled(v[0].value(), [100.0, 0.01])?;
            Ok(tape.record("off_scale", &[&v[0]], y, move |gy, _| {
                Ok(vec![Some(scaled(gy, [100.05, 0.011])?)])
            }))
        })
        .unwrap();
        assert!(!report.passed);
        let worst = report.worst.clone().unwrap();
        assert_eq!(
            (worst.output_index, worst.input_index),
            (Some([0, 1]), Some([0, 1]))
        );
        assert!((worst.allowance_used - 50.0).abs() < 1e-3, "{report}");
        assert!((report.max_abs_err - 0.05).abs() < 1e-6 && worst.abs_err < 0.0011);
        let text = report.to_string();
        let second = text.lines().nth(1).unwrap_or_default();
        assert!(
            second.starts_with(
                "worst, the value closest to its allowance (error/allowance 5.0e1; ≤ 1 passes): \
                 ∂y[0, 1]/∂x0[0, 1]: analytic 1.1"
            ),
            "{text}"
        );
    }
}
