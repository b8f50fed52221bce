//! A fully connected layer `y = x·W + b`, shared by Mult-VAE/DAE and NCF, with the notebook's
//! initialisation: Xavier-uniform weights,
//! truncated-normal biases (σ = 0.001).

use autograd::init::{truncated_normal, xavier_uniform};
use autograd::{Backend, Parameter, Result};

use crate::seed::derive_seed;

/// Weight `[inputs, outputs]` (row-major, so `y = x·W`) and bias `[1, outputs]`.
#[derive(Debug, Clone)]
pub struct Linear<B: Backend> {
    pub weight: Parameter<B>,
    pub bias: Parameter<B>,
}

impl<B: Backend> Linear<B> {
    /// A layer named `{name}.weight` / `{name}.bias`, initialised from `seed`.
    pub fn new(backend: &B, name: &str, inputs: usize, outputs: usize, seed: u64) -> Result<Self> {
        Ok(Linear {
            weight: Parameter::new(
                format!("{name}.weight"),
                xavier_uniform(backend, inputs, outputs, derive_seed(seed, 0))?,
            ),
            bias: Parameter::new(
                format!("{name}.bias"),
                truncated_normal(backend, 1, outputs, 0.001, derive_seed(seed, 1))?,
            ),
        })
    }

    pub fn inputs(&self) -> usize {
        self.weight.value().rows()
    }
    pub fn outputs(&self) -> usize {
        self.weight.value().cols()
    }
}
