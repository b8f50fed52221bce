//! The launches of gpu/kernels/bce.cu: binary cross-entropy on logits and its gradient.

use super::{elementwise_config, launch, len_is};
use crate::{Cuda, CudaBuffer};
use autograd::Result;

/// `bce_with_logits`: ℓ = max(z, 0) − z·t + log(1 + e^{−|z|}).
pub(crate) fn bce_with_logits(
    g: &Cuda,
    z: &CudaBuffer,
    t: &CudaBuffer,
    loss: &mut CudaBuffer,
) -> Result<()> {
    len_is("bce_with_logits", "t", t.len(), z.len())?;
    len_is("bce_with_logits", "loss", loss.len(), z.len())?;
    if z.is_empty() {
        return Ok(());
    }
    launch!(g, "bce_with_logits", elementwise_config(z.len()); z, t, loss, z.len() as u64)
}

/// `bce_with_logits_backward`: z̄ = α·(σ(z) − t).
pub(crate) fn bce_with_logits_backward(
    g: &Cuda,
    z: &CudaBuffer,
    t: &CudaBuffer,
    alpha: f64,
    dz: &mut CudaBuffer,
) -> Result<()> {
    const OP: &str = "bce_with_logits_backward";
    len_is(OP, "t", t.len(), z.len())?;
    len_is(OP, "dz", dz.len(), z.len())?;
    if z.is_empty() {
        return Ok(());
    }
    launch!(g, "bce_with_logits_backward", elementwise_config(z.len());
        z, t, alpha as f32, dz, z.len() as u64)
}
