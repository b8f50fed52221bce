//! Plain stochastic gradient descent: `θ ← θ − lr·g`.
//!
//! Where it runs (one hop from here to each loop and its test):
//! - CPU loop: `autograd/src/backend/cpu/elementwise.rs` · `axpy`
//! - CUDA kernel: `gpu/kernels/elementwise.cu` · `axpy`
//! - GPU parity test: `gpu/tests/parity.rs` · `binary_maps_and_axpy_match_the_f64_reference`

use super::writable;
use crate::backend::Backend;
use crate::error::Result;
use crate::param::Parameter;
use crate::tape::Gradients;

/// SGD with a fixed learning rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sgd {
    pub lr: f64,
}

impl Sgd {
    /// One update of every parameter that has a gradient in `grads`.
    pub fn step<B: Backend>(
        &self,
        params: &mut [&mut Parameter<B>],
        grads: &Gradients<B>,
    ) -> Result<()> {
        for p in params.iter_mut() {
            let Some(g) = grads.param(p).cloned() else {
                continue;
            };
            let backend = p.value().backend().clone();
            backend.axpy(-self.lr, g.buffer(), writable("Sgd::step", p)?)?;
        }
        Ok(())
    }
}
