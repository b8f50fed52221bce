//! Same seed, same bits: a forward and backward pass large enough to take every parallel path gives
//! bit-identical values and gradients with 1, 2 and 3 threads.

use autograd::init::xavier_uniform;
use autograd::ops::{csr_matmul, SparseTensor};
use autograd::rng::{draw, RngKey};
use autograd::{Cpu, CsrMatrix, Parameter, Tape, Tensor};

type B = Cpu<f32>;

fn clicks(rows: usize, items: usize) -> CsrMatrix<f32> {
    let key = RngKey::new(3, 0);
    let mut t = Vec::new();
    for r in 0..rows {
        for c in 0..items {
            if draw(key, (r * items + c) as u64)[0].is_multiple_of(20) {
                t.push((r, c, 1.0));
            }
        }
    }
    CsrMatrix::from_triplets(rows, items, &t).unwrap()
}

/// Values and gradients of a Mult-VAE-shaped step, flattened to bits.
fn step_bits(x: &CsrMatrix<f32>, params: &[Parameter<B>]) -> Vec<u32> {
    let cpu = Cpu::new();
    let tape = Tape::new(&cpu);
    let p: Vec<_> = params.iter().map(|p| tape.param(p)).collect();
    let xs = SparseTensor::new(&cpu, x).unwrap();
    let h = csr_matmul(&xs, &p[0]).unwrap().tanh().unwrap();
    let h = h.dropout(0.5, RngKey::new(1, 2), true).unwrap();
    let logits = h.dense(&p[1], &p[2]).unwrap();
    let loss = logits.multinomial_nll(&xs).unwrap().mean().unwrap();
    let mut bits: Vec<u32> = loss
        .value()
        .to_vec()
        .unwrap()
        .iter()
        .map(|v| v.to_bits())
        .collect();
    let grads = tape.backward(&loss).unwrap();
    for q in params {
        bits.extend(
            grads
                .param(q)
                .unwrap()
                .to_vec()
                .unwrap()
                .iter()
                .map(|v| v.to_bits()),
        );
    }
    bits
}

#[test]
fn forward_and_backward_are_bit_identical_whatever_the_thread_count() {
    let cpu = Cpu::new();
    let (users, items, hidden) = (300, 700, 96);
    let x = clicks(users, items);
    let params = vec![
        Parameter::new("w0", xavier_uniform(&cpu, items, hidden, 1).unwrap()),
        Parameter::new("w1", xavier_uniform(&cpu, hidden, items, 2).unwrap()),
        Parameter::new("b1", Tensor::zeros(&cpu, 1, items).unwrap()),
    ];
    let in_pool = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| step_bits(&x, &params))
    };
    let one = in_pool(1);
    assert_eq!(one, in_pool(2), "1 vs 2 threads");
    assert_eq!(one, in_pool(3), "1 vs 3 threads");
}
