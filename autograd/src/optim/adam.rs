//! Adam (Kingma & Ba 2015), with L2 regularisation either coupled (added to the gradient, as
//! `torch.optim.Adam(weight_decay=λ)`) or decoupled (AdamW, Loshchilov & Hutter 2019).
//!
//! For step `t` with gradient `g`:
//! `g ← g + λ_L2·θ`; `m ← β₁m + (1 − β₁)g`; `v ← β₂v + (1 − β₂)g²`;
//! `θ ← (1 − lr·λ_W)·θ − lr · m̂ / (√v̂ + ε)` with `m̂ = m / (1 − β₁ᵗ)`, `v̂ = v / (1 − β₂ᵗ)`.
//! Each parameter is updated by one fused pass ([`Backend::adam`]).
//!
//! Where it runs (one hop from here to each loop and its test):
//! - CPU loop: `autograd/src/backend/cpu/adam.rs` · `adam`
//! - CUDA kernel: `gpu/kernels/adam.cu` · `adam`
//! - GPU parity test: `gpu/tests/parity.rs` ·
//!   `fused_adam_equals_the_cpu_f32_update_and_the_f64_reference_over_three_steps`

use super::writable;
use crate::backend::{AdamStep, Backend};
use crate::error::Result;
use crate::param::Parameter;
use crate::tape::Gradients;
use std::collections::HashMap;

/// How weight decay enters the update.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WeightDecay {
    None,
    /// `g ← g + λθ` before the moments (classic L2 penalty through Adam's scaling).
    CoupledL2(f64),
    /// `θ ← θ − lr·λθ` beside the Adam step (AdamW).
    Decoupled(f64),
}

/// Adam's hyper-parameters; the defaults are the paper's (lr 10⁻³, β₁ 0.9, β₂ 0.999, ε 10⁻⁸).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamConfig {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: WeightDecay,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: WeightDecay::None,
        }
    }
}

/// Adam's state: the step count and the two moments of each parameter, by parameter name.
#[derive(Debug)]
pub struct Adam<B: Backend> {
    pub config: AdamConfig,
    step: u64,
    moments: HashMap<String, (B::Buffer, B::Buffer)>,
}

impl<B: Backend> Adam<B> {
    pub fn new(config: AdamConfig) -> Self {
        Adam {
            config,
            step: 0,
            moments: HashMap::new(),
        }
    }

    /// Number of steps taken.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// The first and second moments of a parameter (for checkpoints).
    pub fn moments(&self, name: &str) -> Option<(&B::Buffer, &B::Buffer)> {
        self.moments.get(name).map(|(m, v)| (m, v))
    }

    /// Restores the state saved from [`Adam::steps`] and [`Adam::moments`].
    pub fn restore(&mut self, step: u64, moments: HashMap<String, (B::Buffer, B::Buffer)>) {
        self.step = step;
        self.moments = moments;
    }

    /// One update of every parameter that has a gradient in `grads`.
    pub fn step(&mut self, params: &mut [&mut Parameter<B>], grads: &Gradients<B>) -> Result<()> {
        self.step += 1;
        let c = self.config;
        let t = self.step as f64;
        let (l2, decoupled) = match c.weight_decay {
            WeightDecay::None => (0.0, 0.0),
            WeightDecay::CoupledL2(l) => (l, 0.0),
            WeightDecay::Decoupled(l) => (0.0, l),
        };
        let s = AdamStep {
            lr: c.lr,
            beta1: c.beta1,
            beta2: c.beta2,
            eps: c.eps,
            bias1: 1.0 - c.beta1.powf(t),
            bias2: 1.0 - c.beta2.powf(t),
            l2,
            decoupled,
        };
        for p in params.iter_mut() {
            let Some(g) = grads.param(p).cloned() else {
                continue;
            };
            let backend = p.value().backend().clone();
            let (m, v) = match self.moments.remove(p.name()) {
                Some(mv) => mv,
                None => (backend.zeros(g.len())?, backend.zeros(g.len())?),
            };
            let (mut m, mut v) = (m, v);
            let name = p.name().to_string();
            let buf = writable("Adam::step", p)?;
            backend.adam(s, buf, g.buffer(), &mut m, &mut v)?;
            self.moments.insert(name, (m, v));
        }
        Ok(())
    }
}
