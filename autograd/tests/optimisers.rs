//! Adam and SGD against their formulas, written out by hand in f64.

use autograd::optim::{Adam, AdamConfig, Sgd, WeightDecay};
use autograd::{Cpu, Parameter, Tape, Tensor};

type B = Cpu<f64>;

/// Runs `steps` updates of `θ` under the loss `Σ θ²/2 · c` (gradient `c·θ`), returning `θ`.
fn run(
    theta0: &[f64],
    steps: usize,
    mut step: impl FnMut(&mut Parameter<B>, &autograd::Gradients<B>),
) -> Vec<f64> {
    let cpu = Cpu::new();
    let mut p = Parameter::new(
        "theta",
        Tensor::from_f64(&cpu, 1, theta0.len(), theta0).unwrap(),
    );
    for _ in 0..steps {
        let tape = Tape::new(&cpu);
        let loss = tape
            .param(&p)
            .square()
            .unwrap()
            .sum()
            .unwrap()
            .scale(1.5)
            .unwrap();
        let grads = tape.backward(&loss).unwrap();
        drop(loss);
        step(&mut p, &grads);
    }
    p.value().to_vec().unwrap()
}

/// Adam written out: the formula of the paper with PyTorch's placement of ε and of the decays.
fn adam_reference(theta0: &[f64], steps: usize, c: AdamConfig) -> Vec<f64> {
    let mut theta = theta0.to_vec();
    let (mut m, mut v) = (vec![0.0; theta.len()], vec![0.0; theta.len()]);
    for t in 1..=steps {
        for i in 0..theta.len() {
            let mut g = 3.0 * theta[i];
            if let WeightDecay::CoupledL2(l) = c.weight_decay {
                g += l * theta[i];
            }
            if let WeightDecay::Decoupled(l) = c.weight_decay {
                theta[i] *= 1.0 - c.lr * l;
            }
            m[i] = c.beta1 * m[i] + (1.0 - c.beta1) * g;
            v[i] = c.beta2 * v[i] + (1.0 - c.beta2) * g * g;
            let mhat = m[i] / (1.0 - c.beta1.powi(t as i32));
            let vhat = v[i] / (1.0 - c.beta2.powi(t as i32));
            theta[i] -= c.lr * mhat / (vhat.sqrt() + c.eps);
        }
    }
    theta
}

#[test]
fn adam_follows_its_formula_with_each_weight_decay_option() {
    let theta0 = [0.5, -1.5, 2.0];
    for wd in [
        WeightDecay::None,
        WeightDecay::CoupledL2(0.1),
        WeightDecay::Decoupled(0.1),
    ] {
        let config = AdamConfig {
            lr: 0.01,
            weight_decay: wd,
            ..AdamConfig::default()
        };
        let mut adam = Adam::new(config);
        let got = run(&theta0, 25, |p, g| adam.step(&mut [p], g).unwrap());
        let want = adam_reference(&theta0, 25, config);
        for (a, b) in got.iter().zip(&want) {
            assert!((a - b).abs() < 1e-12, "{wd:?}: {a} vs {b}");
        }
        assert_eq!(adam.steps(), 25);
    }
}

#[test]
fn coupled_and_decoupled_decay_differ() {
    let theta0 = [1.0];
    let c = |wd| AdamConfig {
        lr: 0.1,
        weight_decay: wd,
        ..AdamConfig::default()
    };
    let a = adam_reference(&theta0, 10, c(WeightDecay::CoupledL2(1.0)));
    let b = adam_reference(&theta0, 10, c(WeightDecay::Decoupled(1.0)));
    assert!((a[0] - b[0]).abs() > 1e-3);
}

#[test]
fn sgd_takes_plain_gradient_steps() {
    let got = run(&[2.0], 3, |p, g| Sgd { lr: 0.1 }.step(&mut [p], g).unwrap());
    // θ ← θ − 0.1·3θ = 0.7θ, three times.
    assert!((got[0] - 2.0 * 0.7f64.powi(3)).abs() < 1e-15);
}

#[test]
fn stepping_while_a_tape_holds_the_parameter_is_an_error() {
    let cpu = Cpu::<f64>::new();
    let mut p = Parameter::new("w", Tensor::from_f64(&cpu, 1, 1, &[1.0]).unwrap());
    let tape = Tape::new(&cpu);
    let w = tape.param(&p);
    let grads = tape.backward(&w.sum().unwrap()).unwrap();
    let err = Sgd { lr: 0.1 }
        .step(&mut [&mut p], &grads)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("parameter w is still held"), "{err}");
}
