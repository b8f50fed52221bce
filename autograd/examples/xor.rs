//! A two-layer network learns XOR with the tape: forward with ops, `backward`, Adam.
//! `cargo run --release -p autograd --example xor`

use autograd::init::xavier_uniform;
use autograd::optim::{Adam, AdamConfig};
use autograd::{Cpu, Parameter, Tape, Tensor};

pub fn run() -> String {
    let cpu = Cpu::<f64>::new();
    let x = Tensor::from_f64(&cpu, 4, 2, &[0., 0., 0., 1., 1., 0., 1., 1.]).unwrap();
    let y = Tensor::from_f64(&cpu, 4, 1, &[0., 1., 1., 0.]).unwrap();
    let mut w1 = Parameter::new("w1", xavier_uniform(&cpu, 2, 8, 1).unwrap());
    let mut b1 = Parameter::new("b1", Tensor::zeros(&cpu, 1, 8).unwrap());
    let mut w2 = Parameter::new("w2", xavier_uniform(&cpu, 8, 1, 2).unwrap());
    let mut b2 = Parameter::new("b2", Tensor::zeros(&cpu, 1, 1).unwrap());
    let mut adam = Adam::new(AdamConfig {
        lr: 0.05,
        ..AdamConfig::default()
    });
    let mut out = String::new();
    for step in 0..=300 {
        // One tape per step: it must be gone before Adam updates the parameters in place.
        let grads = {
            let tape = Tape::new(&cpu);
            let h = tape
                .constant(x.clone())
                .dense(&tape.param(&w1), &tape.param(&b1))
                .unwrap()
                .tanh()
                .unwrap();
            let logits = h.dense(&tape.param(&w2), &tape.param(&b2)).unwrap();
            let loss = logits.bce_with_logits(&y).unwrap();
            if step % 100 == 0 {
                out += &format!(
                    "step {step:3}: loss {:.4}\n",
                    loss.value().scalar().unwrap()
                );
            }
            tape.backward(&loss).unwrap()
        };
        adam.step(&mut [&mut w1, &mut b1, &mut w2, &mut b2], &grads)
            .unwrap();
    }
    let tape = Tape::no_grad(&cpu);
    let h = tape
        .constant(x)
        .dense(&tape.param(&w1), &tape.param(&b1))
        .unwrap()
        .tanh()
        .unwrap();
    let p = h
        .dense(&tape.param(&w2), &tape.param(&b2))
        .unwrap()
        .sigmoid()
        .unwrap();
    let rounded: Vec<String> = p
        .value()
        .to_vec()
        .unwrap()
        .iter()
        .map(|v| format!("{}", v.round()))
        .collect();
    out += &format!("XOR of 00 01 10 11: {}\n", rounded.join(" "));
    out
}

#[allow(dead_code)]
fn main() {
    print!("{}", run());
}
