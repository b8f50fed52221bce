//! Seeded initialisers. Every value is a function of `(seed, element)` through the counter-based
//! generator of [`crate::rng`], so a model initialises identically on every backend and machine.

use crate::backend::Backend;
use crate::error::Result;
use crate::rng::{draw, open_unit, standard_normal, RngKey};
use crate::tensor::Tensor;

/// Xavier/Glorot uniform (Glorot & Bengio 2010): `W_ij ~ U(−a, a)`, `a = √(6 / (fan_in + fan_out))`,
/// for a `[fan_in, fan_out]` weight (the `tf.contrib.layers.xavier_initializer` of the notebook).
pub fn xavier_uniform<B: Backend>(
    backend: &B,
    fan_in: usize,
    fan_out: usize,
    seed: u64,
) -> Result<Tensor<B>> {
    let a = (6.0 / (fan_in + fan_out) as f64).sqrt();
    let key = RngKey::new(seed, 0);
    let v: Vec<f64> = (0..(fan_in * fan_out) as u64)
        .map(|i| a * (2.0 * open_unit(draw(key, i)[0]) - 1.0))
        .collect();
    Tensor::from_f64(backend, fan_in, fan_out, &v)
}

/// Truncated normal (`tf.truncated_normal`): `N(0, σ²)` redrawn until within two standard
/// deviations. Redraw `r` of element `i` uses step `r` of the key, so the result stays a pure
/// function of `(seed, i)`.
pub fn truncated_normal<B: Backend>(
    backend: &B,
    rows: usize,
    cols: usize,
    std: f64,
    seed: u64,
) -> Result<Tensor<B>> {
    let v: Vec<f64> = (0..(rows * cols) as u64)
        .map(|i| {
            (0u64..)
                .map(|redraw| standard_normal(RngKey::new(seed, redraw), i))
                .find(|z| z.abs() <= 2.0)
                .map_or(0.0, |z| std * z)
        })
        .collect();
    Tensor::from_f64(backend, rows, cols, &v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::cpu::Cpu;

    #[test]
    fn xavier_uniform_stays_in_its_bound_and_fills_it() {
        let t = xavier_uniform(&Cpu::<f64>::new(), 200, 100, 1)
            .unwrap()
            .to_vec()
            .unwrap();
        let a = (6.0f64 / 300.0).sqrt();
        assert!(t.iter().all(|x| x.abs() <= a));
        let var = t.iter().map(|x| x * x).sum::<f64>() / t.len() as f64;
        assert!((var - a * a / 3.0).abs() < 0.02 * a * a, "variance {var}");
    }

    #[test]
    fn truncated_normal_is_within_two_sigma_and_seeded() {
        let cpu = Cpu::<f64>::new();
        let t = truncated_normal(&cpu, 100, 100, 0.001, 5)
            .unwrap()
            .to_vec()
            .unwrap();
        assert!(t.iter().all(|x| x.abs() <= 0.002));
        let std = (t.iter().map(|x| x * x).sum::<f64>() / t.len() as f64).sqrt();
        // The standard deviation of N(0, 1) truncated at ±2 is 0.8796.
        assert!((std / 0.001 - 0.8796).abs() < 0.02, "std {std}");
        assert_eq!(
            t,
            truncated_normal(&cpu, 100, 100, 0.001, 5)
                .unwrap()
                .to_vec()
                .unwrap()
        );
        assert_ne!(
            t,
            truncated_normal(&cpu, 100, 100, 0.001, 6)
                .unwrap()
                .to_vec()
                .unwrap()
        );
    }
}
