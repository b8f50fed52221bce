//! The gradient-check registry: every op's entry says which input shapes to draw, from which domain
//! to draw their values, and how to build the op from them. The property tests, the `gradcheck`
//! program and the test that no op goes unchecked all read this one list.

use crate::backend::cpu::Cpu;
use crate::error::Result;
use crate::rng::{standard_normal, RngKey};
use crate::tape::{Tape, Var};
use crate::tensor::Tensor;

/// The sizes drawn for one check: `m`, `n`, `k` are dimensions (1 to 7 in the property tests) and
/// `seed` keys whatever else the op needs (sparse patterns, indices, targets, masks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dims {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub seed: u64,
}

/// Where input values are drawn from, to keep finite differences off kinks and out of domains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    /// Standard normal values.
    Any,
    /// Values in [0.5, 2.5] (`log`).
    Positive,
    /// Normal values pushed at least 0.1 away from 0 (`relu`, whose kink is at 0).
    AwayFromZero,
}

/// Builds an op's output from its inputs on an f64 CPU tape.
pub type Build =
    for<'t> fn(&'t Tape<Cpu<f64>>, &[Var<'t, Cpu<f64>>], &Dims) -> Result<Var<'t, Cpu<f64>>>;

/// One op's gradient check.
#[derive(Clone, Copy)]
pub struct OpCheck {
    /// The op's name, as it records itself on the tape.
    pub name: &'static str,
    /// The shapes of the differentiable inputs.
    pub shapes: fn(Dims) -> Vec<[usize; 2]>,
    pub domain: Domain,
    pub build: Build,
}

impl OpCheck {
    /// The inputs of one check: the op's shapes for `dims`, values drawn from its domain, keyed by
    /// `dims.seed` (input `i` uses step `100 + i` of the key). The property tests and the
    /// `gradcheck` program both draw them here, so a failure in one reproduces in the other.
    pub fn inputs(&self, dims: Dims) -> Result<Vec<Tensor<Cpu<f64>>>> {
        (self.shapes)(dims)
            .into_iter()
            .enumerate()
            .map(|(i, [r, c])| {
                let key = RngKey::new(dims.seed, 100 + i as u64);
                let v: Vec<f64> = (0..(r * c) as u64)
                    .map(|j| {
                        let z = standard_normal(key, j);
                        match self.domain {
                            Domain::Any => z,
                            // ℝ ↦ (0.5, 2.5) through tanh.
                            Domain::Positive => 1.5 + z.tanh(),
                            Domain::AwayFromZero => z + 0.1 * z.signum(),
                        }
                    })
                    .collect();
                Tensor::from_f64(&Cpu::new(), r, c, &v)
            })
            .collect()
    }
}

/// Every op's check, in the order of `docs/math-to-code.md`.
pub fn registry() -> Vec<OpCheck> {
    use super::*;
    [
        matmul::checks(),
        dense::checks(),
        csr_matmul::checks(),
        binary::checks(),
        unary::checks(),
        reduce::checks(),
        l2_normalize::checks(),
        dropout::checks(),
        gaussian::checks(),
        columns::checks(),
        log_softmax::checks(),
        multinomial_nll::checks(),
        gather::checks(),
        mse::checks(),
        bce::checks(),
    ]
    .concat()
}
