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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::{load, save};
    use autograd::optim::AdamConfig;
    use autograd::Cpu;

    fn param(cpu: &Cpu<f32>, name: &str, values: &[f32]) -> Parameter<Cpu<f32>> {
        Parameter::new(
            name,
            Tensor::from_vec(cpu, 1, values.len(), values).unwrap(),
        )
    }

    #[test]
    fn weights_and_adam_state_round_trip_and_a_stepped_adam_needs_every_moment() {
        let cpu = Cpu::<f32>::new();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("last.safetensors");
        let (w, b) = (
            param(&cpu, "w", &[1.0, -2.0, 3.5]),
            param(&cpu, "b", &[0.25]),
        );
        let mut adam = Adam::new(AdamConfig::default());
        let up = |x: &[f32]| cpu.upload(x).unwrap();
        let moments = HashMap::from([
            (
                "w".to_string(),
                (up(&[0.1, 0.2, 0.3]), up(&[1.0, 2.0, 3.0])),
            ),
            ("b".to_string(), (up(&[0.5]), up(&[0.7]))),
        ]);
        adam.restore(7, moments);
        let params = [&w, &b];
        let mut tensors = weights(&params).unwrap();
        let mut meta = BTreeMap::new();
        add_adam(&adam, &params, &mut tensors, &mut meta).unwrap();
        save(&path, &tensors, &meta).unwrap();

        let ck = load(&path).unwrap();
        let (mut w2, mut b2) = (param(&cpu, "w", &[0.0; 3]), param(&cpu, "b", &[0.0]));
        load_weights(&ck, vec![&mut w2, &mut b2]).unwrap();
        assert_eq!(w2.value().to_vec().unwrap(), [1.0, -2.0, 3.5]);
        assert_eq!(b2.value().to_vec().unwrap(), [0.25]);
        let mut restored = Adam::new(AdamConfig::default());
        restore_adam(&ck, &[&w2, &b2], &mut restored).unwrap();
        assert_eq!(restored.steps(), 7);
        let (m, v) = restored.moments("w").unwrap();
        assert_eq!(cpu.download(m).unwrap(), [0.1, 0.2, 0.3]);
        assert_eq!(cpu.download(v).unwrap(), [1.0, 2.0, 3.0]);

        // Adam has stepped (t = 7) but b's moments are gone: refused, naming the tensor.
        tensors.retain(|t| !t.name.ends_with(".b"));
        save(&path, &tensors, &meta).unwrap();
        let err = restore_adam(&load(&path).unwrap(), &[&w2, &b2], &mut restored)
            .unwrap_err()
            .to_string();
        assert!(err.contains("optimizer.adam.m.b is missing"), "{err}");
        // Before its first update (or under SGD), Adam's state is its count alone.
        let fresh = Adam::<Cpu<f32>>::new(AdamConfig::default());
        let (mut tensors, mut meta) = (weights(&params).unwrap(), BTreeMap::new());
        add_adam(&fresh, &params, &mut tensors, &mut meta).unwrap();
        assert_eq!((tensors.len(), meta[ADAM_STEPS].as_str()), (2, "0"));
        save(&path, &tensors, &meta).unwrap();
        restore_adam(&load(&path).unwrap(), &[&w2, &b2], &mut restored).unwrap();
        assert_eq!(restored.steps(), 0);
        assert!(restored.moments("w").is_none());
    }
}
