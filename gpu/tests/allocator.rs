//! The caching allocator: a second identical training-like step asks the driver for nothing.

mod common;

use autograd::backend::{Gemm, Unary};
use autograd::{Backend, RngKey};
use common::*;
use gpu::Cuda;

/// The buffer traffic of a Mult-DAE-like step: a CSR batch, dense layers, the fused loss, the
/// backward products, temporaries dropped along the way.
fn step(g: &Cuda, step: u64) -> f32 {
    let (batch, items, hidden) = (50, 2_000, 64);
    let (x, _) = sparse(batch, items, 0.01, 5);
    let xg = g.upload_csr(&x).unwrap();
    let w1 = g.upload(&values(items * hidden, 1)).unwrap();
    let w2 = g.upload(&values(hidden * items, 2)).unwrap();
    let mut h = g.zeros(batch * hidden).unwrap();
    g.csr_matmul(&xg, &w1, hidden, &mut h).unwrap();
    let mut a = g.zeros(batch * hidden).unwrap();
    g.unary(Unary::Tanh, &h, &mut a).unwrap();
    let mut dropped = g.zeros(batch * hidden).unwrap();
    g.dropout(RngKey::new(1, step), 0.5, &a, &mut dropped)
        .unwrap();
    let mut z = g.zeros(batch * items).unwrap();
    let fwd = Gemm {
        m: batch,
        n: items,
        k: hidden,
        trans_a: false,
        trans_b: false,
        alpha: 1.0,
        beta: 0.0,
    };
    g.gemm(fwd, &dropped, &w2, &mut z).unwrap();
    let (mut loss, mut lse) = (g.zeros(batch).unwrap(), g.zeros(batch).unwrap());
    g.multinomial_nll_rows(&z, &xg, &mut loss, &mut lse)
        .unwrap();
    let dl = g.upload(&vec![1.0; batch]).unwrap();
    let mut dz = g.zeros(batch * items).unwrap();
    g.multinomial_nll_rows_backward(&z, &lse, &xg, &dl, &mut dz)
        .unwrap();
    let mut dw2 = g.zeros(hidden * items).unwrap();
    let dw = Gemm {
        m: hidden,
        n: items,
        k: batch,
        trans_a: true,
        trans_b: false,
        alpha: 1.0,
        beta: 0.0,
    };
    g.gemm(dw, &dropped, &dz, &mut dw2).unwrap();
    let mut dw1 = g.zeros(items * hidden).unwrap();
    g.csr_t_matmul_acc(&xg, &h, hidden, &mut dw1).unwrap();
    let mut total = g.zeros(1).unwrap();
    g.sum_rows(&loss, batch, 1.0, &mut total).unwrap();
    g.download(&total).unwrap()[0]
}

#[test]
fn a_repeated_step_allocates_nothing_from_the_driver() {
    let Some((g, _)) = devices() else { return };
    step(&g, 1);
    let after_first = g.driver_allocations();
    assert!(after_first > 0, "the first step must have allocated");
    let loss = step(&g, 2);
    assert!(loss.is_finite());
    assert_eq!(
        g.driver_allocations(),
        after_first,
        "the second step allocated from the driver"
    );
}

#[test]
fn a_missing_device_is_an_error_not_a_panic() {
    // Runs everywhere: without CUDA it is the missing library; with it, a device that does not exist.
    match Cuda::new(999) {
        Ok(_) => panic!("device 999 exists?"),
        Err(e) => {
            let msg = e.to_string();
            eprintln!("Cuda::new(999): {msg}");
            assert!(
                msg.contains("LD_LIBRARY_PATH") || msg.contains("no CUDA device 999"),
                "unhelpful message: {msg}"
            );
        }
    }
}
