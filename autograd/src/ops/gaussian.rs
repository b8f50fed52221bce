//! Gaussian noise, the reparameterisation trick (Kingma & Welling 2014, §2.4) and the Gaussian KL.
//!
//! [`gaussian`] draws `ε ~ N(0, I)` from the counter-based generator of [`crate::rng`]: element `i` of
//! the draw keyed `(seed, step)` is the same on every backend. It is a source, not a function of any
//! input, so it has no gradient.
//!
//! `reparameterize` is the op that uses it. Forward: `z = μ + ε ⊙ exp(½·log σ²)`.
//! VJP (ε held fixed): `μ̄ = z̄`, `(log σ²)‾ = z̄ ⊙ ε ⊙ ½·exp(½·log σ²)`.
//!
//! Derivation. Write `v = log σ²`, so `σ = exp(½v)`. Sampling `z ~ N(μ, diag σ²)` directly has no
//! derivative in `μ` or `v`; drawing `ε ~ N(0, I)` first, independently of both, and computing
//! `z = μ + ε ⊙ σ` gives the same distribution with the randomness off the path to the parameters.
//! Each `z_k` depends only on `μ_k` and `v_k`: `∂z_k/∂μ_k = 1`, `∂z_k/∂v_k = ε_k·½exp(½v_k) = ½ε_kσ_k`,
//! a diagonal Jacobian, so `μ̄ = z̄` and `v̄ = z̄ ⊙ ½ ε ⊙ σ`; the backward keeps `ε ⊙ σ` (= `z − μ`)
//! from the forward.
//!
//! [`gaussian_kl`] is the KL term of the ELBO in closed form (Kingma & Welling 2014, App. B), per row:
//! `kl_u = KL(N(μ_u, diag σ²_u) ‖ N(0, I)) = Σ_k ½(−log σ²_uk + σ²_uk + μ²_uk − 1)`, `[m, 1]`.
//! VJP: `μ̄_u = kl̄_u·μ_u`, `(log σ²)‾_u = kl̄_u·½(σ²_u − 1)`. It is composed of the element-wise ops
//! and a row sum, so its gradient is theirs; its own check is the registry entry below.
//!
//! Derivation. With `v = log σ²`, `kl = Σ_k ½(−v_k + e^{v_k} + μ_k² − 1)`: `∂kl/∂μ_k = μ_k` and
//! `∂kl/∂v_k = ½(e^{v_k} − 1) = ½(σ_k² − 1)`, each times the row's `kl̄` (the row sum's VJP copies it
//! to every `k`). Both vanish at the prior (`μ = 0`, `σ² = 1`), where the KL is 0, its minimum.
//! Parameterising by `log σ²` keeps `σ² > 0` without a constraint.
//!
//! Where it runs (one hop from here to each loop and its test):
//! - CPU loop: `autograd/src/backend/cpu/random.rs` · `gaussian`;
//!   `autograd/src/backend/cpu/elementwise.rs` · `unary`, `binary`;
//!   `autograd/src/backend/cpu/rows.rs` · `sum_rows`, `broadcast_col` (the KL's row sum)
//! - CUDA kernel: `gpu/kernels/random.cu` · `gaussian`; `gpu/kernels/elementwise.cu` ·
//!   `unary_forward`, `unary_backward`, `binary`; `gpu/kernels/rows.cu` · `sum_rows`,
//!   `broadcast_col`
//! - GPU parity test: `gpu/tests/parity.rs` ·
//!   `gaussian_noise_equals_the_cpu_noise_element_by_element`,
//!   `unary_maps_and_their_vjps_match_the_f64_reference`,
//!   `broadcasts_and_reductions_match_the_f64_reference`

use super::binary::{apply, map};
use super::registry::{Dims, Domain, OpCheck};
use super::{alloc, same_shape, wrap};
use crate::backend::{Backend, Binary, Unary};
use crate::error::Result;
use crate::rng::RngKey;
use crate::tape::{Tape, Var};
use crate::tensor::Tensor;

/// `ε ~ N(0, I)` of shape `[rows, cols]`, a constant on `tape`.
pub fn gaussian<B: Backend>(
    tape: &Tape<B>,
    rows: usize,
    cols: usize,
    key: RngKey,
) -> Result<Var<'_, B>> {
    let backend = tape.backend();
    let mut e = alloc(backend, [rows, cols])?;
    backend.gaussian(key, &mut e)?;
    Ok(tape.constant(wrap(backend, [rows, cols], e)))
}

impl<'t, B: Backend> Var<'t, B> {
    /// `z = μ + ε ⊙ σ` with `σ = exp(½·log σ²)`, `ε` drawn with `key`; `self` is `μ`.
    pub fn reparameterize(&self, logvar: &Var<'t, B>, key: RngKey) -> Result<Var<'t, B>> {
        same_shape("reparameterize", "and", self, logvar)?;
        let eps = gaussian(self.tape(), self.rows(), self.cols(), key)?
            .value()
            .clone();
        let sigma = map(Unary::Exp, &map(Unary::Scale(0.5), logvar.value())?)?;
        let eps_sigma = apply(Binary::Mul, &eps, &sigma)?;
        let z = apply(Binary::Add, self.value(), &eps_sigma)?;
        Ok(self
            .tape()
            .record("reparameterize", &[self, logvar], z, move |gz, needs| {
                let glogvar = if needs[1] {
                    // z̄ ⊙ ½·ε ⊙ σ
                    let half: Tensor<B> = map(Unary::Scale(0.5), &eps_sigma)?;
                    Some(apply(Binary::Mul, gz, &half)?)
                } else {
                    None
                };
                Ok(vec![needs[0].then(|| gz.clone()), glogvar])
            }))
    }
}

/// `KL(N(μ, diag σ²) ‖ N(0, I))` of each row: `Σ_k ½(−log σ²_k + σ²_k + μ²_k − 1)`, `[m, 1]`.
/// The model, the Monte Carlo example and the checker's composed loss all call this one function.
pub fn gaussian_kl<'t, B: Backend>(mu: &Var<'t, B>, logvar: &Var<'t, B>) -> Result<Var<'t, B>> {
    same_shape("gaussian_kl", "and", mu, logvar)?;
    let terms = logvar
        .neg()?
        .add(&logvar.exp()?)?
        .add(&mu.square()?)?
        .add_scalar(-1.0)?
        .scale(0.5)?;
    // The sum over k is `sum_rows` bit for bit, recorded under the op's name so that the tape (and
    // `vae graph`) shows where the KL ends.
    terms.reduce("gaussian_kl", terms.cols(), 1.0)
}

pub(crate) fn checks() -> Vec<OpCheck> {
    let pair = |d: Dims| vec![[d.m, d.n], [d.m, d.n]];
    vec![
        OpCheck {
            name: "reparameterize",
            shapes: pair,
            domain: Domain::Any,
            build: |_, x, d| x[0].reparameterize(&x[1], RngKey::new(d.seed, 2)),
        },
        OpCheck {
            name: "gaussian_kl",
            shapes: pair,
            domain: Domain::Any,
            build: |_, x, _| gaussian_kl(&x[0], &x[1]),
        },
    ]
}
