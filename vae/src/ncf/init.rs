//! The initialisers of the NCF reference code (hexiangnan/neural_collaborative_filtering, Keras 1):
//! embeddings `N(0, 0.01²)` (its `init_normal`), tower layers Glorot-uniform (Keras' default, as
//! [`autograd::init::xavier_uniform`]), the prediction layer LeCun-uniform
//! `U(−√(3/fan_in), √(3/fan_in))` (`init='lecun_uniform'`), every bias zero (Keras' default). Each value
//! is a function of `(seed, element)`, so a model initialises identically on every backend.

use crate::linear::Linear;
use crate::seed::derive_seed;
use autograd::init::xavier_uniform;
use autograd::rng::{draw, open_unit, standard_normal, RngKey};
use autograd::{Backend, Parameter, Result, Tensor};

/// The standard deviation of the embeddings (`init_normal`'s `scale=0.01`).
pub(crate) const EMBEDDING_STD: f64 = 0.01;

/// An embedding table `{name}.weight`, `[rows, dim]`, `N(0, 0.01²)`.
pub(crate) fn embedding<B: Backend>(
    backend: &B,
    name: &str,
    rows: usize,
    dim: usize,
    seed: u64,
) -> Result<Parameter<B>> {
    Ok(Parameter::new(
        format!("{name}.weight"),
        normal(backend, rows, dim, EMBEDDING_STD, seed)?,
    ))
}

/// A tower layer `{name}.weight` (Glorot-uniform, `[inputs, outputs]`) and `{name}.bias` (zeros).
pub(crate) fn tower_layer<B: Backend>(
    backend: &B,
    name: &str,
    inputs: usize,
    outputs: usize,
    seed: u64,
) -> Result<Linear<B>> {
    Ok(Linear {
        weight: Parameter::new(
            format!("{name}.weight"),
            xavier_uniform(backend, inputs, outputs, derive_seed(seed, 0))?,
        ),
        bias: Parameter::new(format!("{name}.bias"), Tensor::zeros(backend, 1, outputs)?),
    })
}

/// The prediction layer `predict.weight` (LeCun-uniform, `[inputs, 1]`) and `predict.bias`, which
/// starts at `bias` (0 as the reference; the explicit protocol starts it at the mean rating).
pub(crate) fn predict_layer<B: Backend>(
    backend: &B,
    inputs: usize,
    bias: f64,
    seed: u64,
) -> Result<Linear<B>> {
    Ok(Linear {
        weight: Parameter::new(
            "predict.weight",
            lecun_uniform(backend, inputs, 1, derive_seed(seed, 0))?,
        ),
        bias: Parameter::new("predict.bias", Tensor::full(backend, 1, 1, bias)?),
    })
}

/// `N(0, std²)` entries, `[rows, cols]`.
pub(crate) fn normal<B: Backend>(
    backend: &B,
    rows: usize,
    cols: usize,
    std: f64,
    seed: u64,
) -> Result<Tensor<B>> {
    let key = RngKey::new(seed, 0);
    let v: Vec<f64> = (0..(rows * cols) as u64)
        .map(|i| std * standard_normal(key, i))
        .collect();
    Tensor::from_f64(backend, rows, cols, &v)
}

/// `U(−a, a)` with `a = √(3 / fan_in)` for a `[fan_in, fan_out]` weight.
pub(crate) fn lecun_uniform<B: Backend>(
    backend: &B,
    fan_in: usize,
    fan_out: usize,
    seed: u64,
) -> Result<Tensor<B>> {
    let a = (3.0 / fan_in.max(1) as f64).sqrt();
    let key = RngKey::new(seed, 0);
    let v: Vec<f64> = (0..(fan_in * fan_out) as u64)
        .map(|i| a * (2.0 * open_unit(draw(key, i)[0]) - 1.0))
        .collect();
    Tensor::from_f64(backend, fan_in, fan_out, &v)
}

/// A deep copy of `t`: a fresh buffer that an optimiser may update in place, unshared with `t`.
pub(crate) fn copy<B: Backend>(t: &Tensor<B>) -> Result<Tensor<B>> {
    Tensor::from_vec(t.backend(), t.rows(), t.cols(), &t.to_vec()?)
}

/// Rows `0..at` and `at..` of `t` as two fresh tensors (a weight matrix split by the inputs it
/// multiplies).
pub(crate) fn split_rows<B: Backend>(t: &Tensor<B>, at: usize) -> Result<(Tensor<B>, Tensor<B>)> {
    let (rows, cols) = (t.rows(), t.cols());
    let v = t.to_vec()?;
    let at = at.min(rows);
    Ok((
        Tensor::from_vec(t.backend(), at, cols, &v[..at * cols])?,
        Tensor::from_vec(t.backend(), rows - at, cols, &v[at * cols..])?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use autograd::Cpu;

    #[test]
    fn normal_has_the_requested_spread_and_lecun_stays_in_its_bound() {
        let cpu = Cpu::<f64>::new();
        let e = normal(&cpu, 100, 100, 0.01, 3).unwrap().to_vec().unwrap();
        let std = (e.iter().map(|x| x * x).sum::<f64>() / e.len() as f64).sqrt();
        assert!((std - 0.01).abs() < 0.0005, "std {std}");
        let w = lecun_uniform(&cpu, 12, 1, 3).unwrap().to_vec().unwrap();
        assert!(w.iter().all(|x| x.abs() <= 0.5), "√(3/12) = 0.5");
        assert!(w.iter().any(|x| x.abs() > 0.25));
    }
}
