//! The launch of gpu/kernels/adam.cu: one fused Adam / AdamW update per element.

use super::{elementwise_config, launch, len_is};
use crate::{Cuda, CudaBuffer};
use autograd::backend::AdamStep;
use autograd::Result;

/// `adam`: m, v and θ updated in place from the gradient.
pub(crate) fn adam(
    g: &Cuda,
    s: AdamStep,
    param: &mut CudaBuffer,
    grad: &CudaBuffer,
    m: &mut CudaBuffer,
    v: &mut CudaBuffer,
) -> Result<()> {
    for (what, len) in [("grad", grad.len()), ("m", m.len()), ("v", v.len())] {
        len_is("adam", what, len, param.len())?;
    }
    let n = param.len();
    if n == 0 {
        return Ok(());
    }
    let [beta1, beta2, eps, l2, shrink, step, sqrt_bias2] = s.scalars().map(|x| x as f32);
    launch!(g, "adam", elementwise_config(n);
        param, grad, m, v, n as u64, beta1, beta2, eps, l2, shrink, step, sqrt_bias2)
}
