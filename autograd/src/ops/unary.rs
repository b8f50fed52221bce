//! Element-wise maps, each a pair `f`, `f'` (see [`crate::backend::Unary`]); the VJP is always
//! `x̄ = ȳ ⊙ f'(x)`.
//!
//! | op         | forward `y = f(x)`   | `f'(x)`       |
//! |------------|----------------------|---------------|
//! | neg        | `−x`                 | `−1`          |
//! | square     | `x²`                 | `2x`          |
//! | tanh       | `tanh x`             | `1 − y²`      |
//! | relu       | `max(x, 0)`          | `[x > 0]`     |
//! | sigmoid    | `1 / (1 + e⁻ˣ)`      | `y(1 − y)`    |
//! | exp        | `eˣ`                 | `y`           |
//! | log        | `ln x`               | `1/x`         |
//! | scale      | `c·x`                | `c`           |
//! | add_scalar | `x + c`              | `1`           |
//!
//! Where it runs (one hop from here to each loop and its test):
//! - CPU loop: `autograd/src/backend/cpu/elementwise.rs` · `unary`, `unary_backward` (f32 tanh:
//!   `autograd/src/backend/cpu/exp_lanes.rs` · `tanh`)
//! - CUDA kernel: `gpu/kernels/elementwise.cu` · `unary_forward`, `unary_backward`
//! - GPU parity test: `gpu/tests/parity.rs` · `unary_maps_and_their_vjps_match_the_f64_reference`

use super::binary::map;
use super::registry::{Dims, Domain, OpCheck};
use super::{alloc, wrap};
use crate::backend::{Backend, Unary};
use crate::error::Result;
use crate::tape::Var;

impl<'t, B: Backend> Var<'t, B> {
    /// `y = f(x)` for one of the element-wise maps, recorded under `name`.
    fn unary_op(&self, name: &'static str, op: Unary) -> Result<Var<'t, B>> {
        let x = self.value().clone();
        let y = map(op, &x)?;
        let y_saved = y.clone();
        Ok(self.tape().record(name, &[self], y, move |gy, _| {
            let backend = gy.backend();
            let mut gx = alloc(backend, gy.shape())?;
            backend.unary_backward(op, x.buffer(), y_saved.buffer(), gy.buffer(), &mut gx)?;
            Ok(vec![Some(wrap(backend, gy.shape(), gx))])
        }))
    }

    /// `y = −x`.
    pub fn neg(&self) -> Result<Var<'t, B>> {
        self.unary_op("neg", Unary::Neg)
    }
    /// `y = x²`.
    pub fn square(&self) -> Result<Var<'t, B>> {
        self.unary_op("square", Unary::Square)
    }
    /// `y = tanh x`.
    pub fn tanh(&self) -> Result<Var<'t, B>> {
        self.unary_op("tanh", Unary::Tanh)
    }
    /// `y = max(x, 0)`.
    pub fn relu(&self) -> Result<Var<'t, B>> {
        self.unary_op("relu", Unary::Relu)
    }
    /// `y = σ(x)`.
    pub fn sigmoid(&self) -> Result<Var<'t, B>> {
        self.unary_op("sigmoid", Unary::Sigmoid)
    }
    /// `y = eˣ`.
    pub fn exp(&self) -> Result<Var<'t, B>> {
        self.unary_op("exp", Unary::Exp)
    }
    /// `y = ln x`.
    pub fn log(&self) -> Result<Var<'t, B>> {
        self.unary_op("log", Unary::Log)
    }
    /// `y = c·x`.
    pub fn scale(&self, c: f64) -> Result<Var<'t, B>> {
        self.unary_op("scale", Unary::Scale(c))
    }
    /// `y = x + c`.
    pub fn add_scalar(&self, c: f64) -> Result<Var<'t, B>> {
        self.unary_op("add_scalar", Unary::AddScalar(c))
    }
}

pub(crate) fn checks() -> Vec<OpCheck> {
    let shapes = |d: Dims| vec![[d.m, d.n]];
    let check = |name, domain, build| OpCheck {
        name,
        shapes,
        domain,
        build,
    };
    vec![
        check("neg", Domain::Any, |_, x, _| x[0].neg()),
        check("square", Domain::Any, |_, x, _| x[0].square()),
        check("tanh", Domain::Any, |_, x, _| x[0].tanh()),
        check("relu", Domain::AwayFromZero, |_, x, _| x[0].relu()),
        check("sigmoid", Domain::Any, |_, x, _| x[0].sigmoid()),
        check("exp", Domain::Any, |_, x, _| x[0].exp()),
        check("log", Domain::Positive, |_, x, _| x[0].log()),
        check("scale", Domain::Any, |_, x, _| x[0].scale(-1.7)),
        check("add_scalar", Domain::Any, |_, x, _| x[0].add_scalar(0.3)),
    ]
}
