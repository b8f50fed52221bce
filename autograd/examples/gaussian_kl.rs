//! The Gaussian KL term of the VAE loss (`autograd::ops::gaussian_kl`, the function the model calls)
//! against a Monte Carlo estimate.
//!
//! For `q = N(μ, diag σ²)` and `p = N(0, I)`:
//! `KL(q ‖ p) = Σ_k ½(−log σ²_k + σ²_k + μ²_k − 1)` (closed form, Kingma & Welling 2014, App. B), and
//! `KL = E_q[log q(z) − log p(z)]`, estimated with `z = μ + ε ⊙ σ` (the reparameterisation trick).
//! `cargo run --release -p autograd --example gaussian_kl`

use autograd::ops::{gaussian, gaussian_kl};
use autograd::{Cpu, RngKey, Tape, Tensor};

pub fn run() -> String {
    let cpu = Cpu::<f64>::new();
    let tape = Tape::no_grad(&cpu);
    let (mu, logvar) = ([0.5, -1.0, 0.0], [0.2, -0.7, 1.1]);
    let m = tape.constant(Tensor::from_f64(&cpu, 1, 3, &mu).unwrap());
    let lv = tape.constant(Tensor::from_f64(&cpu, 1, 3, &logvar).unwrap());
    // Σ_k ½(−log σ² + σ² + μ² − 1): the op the Mult-VAE loss calls, on one row.
    let closed = gaussian_kl(&m, &lv).unwrap().value().scalar().unwrap();

    // Monte Carlo: n samples z = μ + ε ⊙ σ; log q(z) − log p(z) = Σ_k [−½ log σ²_k − ½ε²_k + ½z²_k].
    let n = 200_000;
    let eps = gaussian(&tape, n, 3, RngKey::new(7, 0))
        .unwrap()
        .value()
        .to_vec()
        .unwrap();
    let mut total = 0.0;
    for s in 0..n {
        for k in 0..3 {
            let e = eps[s * 3 + k];
            let z = mu[k] + e * (0.5 * logvar[k]).exp();
            total += -0.5 * logvar[k] - 0.5 * e * e + 0.5 * z * z;
        }
    }
    let monte_carlo = total / n as f64;
    format!(
        "closed form KL = {closed:.4}\nMonte Carlo KL = {monte_carlo:.4} ({n} samples)\nagree within 1%: {}\n",
        ((closed - monte_carlo) / closed).abs() < 0.01
    )
}

#[allow(dead_code)]
fn main() {
    print!("{}", run());
}
