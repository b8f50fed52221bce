//! The launches of gpu/kernels/random.cu: dropout's mask and the Gaussian ε, from the same
//! Philox4x32-10 counters as the CPU.

use super::{elementwise_config, launch, len_is};
use crate::{Cuda, CudaBuffer};
use autograd::rng::{keep_scale, keep_threshold, RngKey};
use autograd::Result;

/// `dropout`: y = x·mask/q, q the mask's exact keep probability.
pub(crate) fn dropout(
    g: &Cuda,
    key: RngKey,
    p: f64,
    x: &CudaBuffer,
    y: &mut CudaBuffer,
) -> Result<()> {
    len_is("dropout", "y", y.len(), x.len())?;
    // The threshold and the scale exactly as the CPU derives them (autograd/src/rng.rs).
    let threshold = keep_threshold(1.0 - p);
    let scale = keep_scale(threshold) as f32;
    if x.is_empty() {
        return Ok(());
    }
    launch!(g, "dropout", elementwise_config(x.len());
        key.seed, key.step, threshold, scale, x, y, x.len() as u64)
}

/// `gaussian`: y ~ N(0, 1) by Box–Muller.
pub(crate) fn gaussian(g: &Cuda, key: RngKey, y: &mut CudaBuffer) -> Result<()> {
    let n = y.len();
    if n == 0 {
        return Ok(());
    }
    launch!(g, "gaussian", elementwise_config(n); key.seed, key.step, y, n as u64)
}
