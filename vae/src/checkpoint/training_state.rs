//! A model's parameters and Adam's state as a checkpoint's tensors and metadata: the one codec of
//! Mult-VAE/DAE's and NCF's checkpoints, as RecBole keeps one (`Trainer._save_checkpoint`, read
//! back by `resume_checkpoint`) for every model it trains.
//!
//! - parameter `NAME` is the tensor `NAME` (its PyTorch `state_dict` name);
//! - Adam's moments `m_t`, `v_t` of `NAME` are the tensors `optimizer.adam.m.NAME` and
//!   `optimizer.adam.v.NAME`, and its step count `t` (what the bias corrections `1 − β₁ᵗ`, `1 − β₂ᵗ`
//!   read) is the metadata `adam_steps`. Adam makes a parameter's moments at its first update, so a
//!   checkpoint with `t = 0` (before the first update, or of a run trained by SGD) holds none, and
//!   one with `t > 0` both of every parameter: all of them are in every loss either model trains.

use super::{Checkpoint, NamedTensor, Result};
use autograd::optim::Adam;
use autograd::{Backend, Parameter, Tensor};
use std::collections::{BTreeMap, HashMap};

/// The prefix of a parameter's first moment `m_t`.
pub const ADAM_M: &str = "optimizer.adam.m.";
/// The prefix of a parameter's second moment `v_t`.
pub const ADAM_V: &str = "optimizer.adam.v.";
/// The metadata key of Adam's step count `t`.
pub const ADAM_STEPS: &str = "adam_steps";

/// The parameters' values, each under its own name.
pub fn weights<B: Backend<Elem = f32>>(params: &[&Parameter<B>]) -> Result<Vec<NamedTensor>> {
    params
        .iter()
        .map(|p| {
            Ok(NamedTensor {
                name: p.name().to_string(),
                shape: p.value().shape(),
                data: p.value().to_vec()?,
            })
        })
        .collect()
}

/// Adds Adam's state to a checkpoint's `tensors` and `metadata`: the moments of each of `params`
/// that Adam has updated, and `adam_steps`.
pub fn add_adam<B: Backend<Elem = f32>>(
    adam: &Adam<B>,
    params: &[&Parameter<B>],
    tensors: &mut Vec<NamedTensor>,
    metadata: &mut BTreeMap<String, String>,
) -> Result<()> {
    for p in params {
        if let Some((m, v)) = adam.moments(p.name()) {
            let (backend, shape) = (p.value().backend(), p.value().shape());
            for (prefix, moment) in [(ADAM_M, m), (ADAM_V, v)] {
                tensors.push(NamedTensor {
                    name: format!("{prefix}{}", p.name()),
                    shape,
                    data: backend.download(moment)?,
                });
            }
        }
    }
    metadata.insert(ADAM_STEPS.to_string(), adam.steps().to_string());
    Ok(())
}

/// Sets each of `params` to its tensor in `ck`, which must have the parameter's shape.
pub fn load_weights<B: Backend<Elem = f32>>(
    ck: &Checkpoint,
    params: Vec<&mut Parameter<B>>,
) -> Result<()> {
    for p in params {
        let shape = p.value().shape();
        let value = Tensor::from_vec(
            p.value().backend(),
            shape[0],
            shape[1],
            ck.tensor(p.name(), shape)?,
        )?;
        p.set_value(value)?;
    }
    Ok(())
}

/// Restores Adam's step count and the moments of `params` from `ck`, as [`add_adam`] saved them.
pub fn restore_adam<B: Backend<Elem = f32>>(
    ck: &Checkpoint,
    params: &[&Parameter<B>],
    adam: &mut Adam<B>,
) -> Result<()> {
    let steps: u64 = ck.number(ADAM_STEPS)?;
    let mut moments = HashMap::new();
    if steps > 0 {
        for p in params {
            let (backend, shape) = (p.value().backend(), p.value().shape());
            let m = ck.tensor(&format!("{ADAM_M}{}", p.name()), shape)?;
            let v = ck.tensor(&format!("{ADAM_V}{}", p.name()), shape)?;
            moments.insert(
                p.name().to_string(),
                (backend.upload(m)?, backend.upload(v)?),
            );
        }
    }
    adam.restore(steps, moments);
    Ok(())
}
