//! Every primitive of the CUDA backend, forward and backward, against the CPU f64 backend on the
//! same random inputs: ‖gpu − ref‖ / ‖ref‖ ≤ 1e-5 (1e-3 for GEMM in TF32). Outputs start as NaN, so
//! an element a kernel leaves unwritten fails. Skips, saying why, where there is no GPU.

mod common;

use autograd::backend::{AdamStep, Binary, Gemm, Unary};
use autograd::{Backend, RngKey};
use common::*;

#[test]
fn gemm_matches_the_f64_reference_for_every_transpose_flag() {
    let Some((g, c)) = devices() else { return };
    // (m, n, k): the small shapes, a hidden layer, the output layer forward (500 × 20,108 from
    // 600) and its weight gradient (600 × 20,108 summed over the batch of 500).
    let shapes = [
        (1, 1, 1),
        (7, 13, 9),
        (33, 65, 31),
        (500, 600, 600),
        (500, 20_108, 600),
        (600, 20_108, 500),
    ];
    for tf32 in [false, true] {
        g.set_tf32(tf32).expect("set_tf32");
        let tol = if tf32 { TOL_TF32 } else { TOL };
        for &(m, n, k) in &shapes {
            for (trans_a, trans_b) in [(false, false), (true, false), (false, true), (true, true)] {
                // β = 0 must ignore C (poisoned); β ≠ 0 must read it (random).
                for (alpha, beta) in [(1.0, 0.0), (1.5, 0.5)] {
                    let spec = Gemm {
                        m,
                        n,
                        k,
                        trans_a,
                        trans_b,
                        alpha,
                        beta,
                    };
                    let (a, a64) = both(&g, &values(m * k, 1));
                    let (b, b64) = both(&g, &values(k * n, 2));
                    let c0 = values(m * n, 3);
                    let (mut out, mut want) = if beta == 0.0 {
                        (poisoned(&g, m * n), vec![f64::NAN; m * n])
                    } else {
                        both(&g, &c0)
                    };
                    g.gemm(spec, &a, &b, &mut out).unwrap();
                    c.gemm(spec, &a64, &b64, &mut want).unwrap();
                    let what = format!(
                        "gemm {m}×{n}×{k} ta={trans_a} tb={trans_b} α={alpha} β={beta} tf32={tf32}"
                    );
                    check(&what, &g, &out, &want, tol);
                }
            }
        }
    }
}

#[test]
fn csr_products_match_the_f64_reference() {
    let Some((g, c)) = devices() else { return };
    for &(rows, cols) in SHAPES {
        // The first layer of Mult-VAE: a batch of users × items, about 0.5% filled, times 600 wide.
        let (density, n) = if rows * cols > 100_000 {
            (0.005, 600)
        } else {
            (0.2, 13)
        };
        let (x, x64) = sparse(rows, cols, density, 11);
        let xg = g.upload_csr(&x).unwrap();
        let (b, b64) = both(&g, &values(cols * n, 12));
        let mut out = poisoned(&g, rows * n);
        let mut want = vec![f64::NAN; rows * n];
        g.csr_matmul(&xg, &b, n, &mut out).unwrap();
        c.csr_matmul(&x64, &b64, n, &mut want).unwrap();
        check(
            &format!("csr_matmul {rows}×{cols} · {n}"),
            &g,
            &out,
            &want,
            TOL,
        );

        // dW = Xᵀ·D accumulated onto a non-zero C.
        let (d, d64) = both(&g, &values(rows * n, 13));
        let (mut acc, mut want) = both(&g, &values(cols * n, 14));
        g.csr_t_matmul_acc(&xg, &d, n, &mut acc).unwrap();
        c.csr_t_matmul_acc(&x64, &d64, n, &mut want).unwrap();
        check(
            &format!("csr_t_matmul_acc {rows}×{cols} · {n}"),
            &g,
            &acc,
            &want,
            TOL,
        );
    }
}

#[test]
fn unary_maps_and_their_vjps_match_the_f64_reference() {
    let Some((g, c)) = devices() else { return };
    let ops = [
        Unary::Neg,
        Unary::Square,
        Unary::Tanh,
        Unary::Relu,
        Unary::Sigmoid,
        Unary::Exp,
        Unary::Log,
        Unary::Scale(-0.75),
        Unary::AddScalar(2.5),
    ];
    for &(rows, cols) in SHAPES {
        let n = rows * cols;
        for op in ops {
            let mut x = values(n, 21);
            if op == Unary::Log {
                x.iter_mut().for_each(|v| *v = v.abs() + 0.1);
            }
            let (xg, x64) = both(&g, &x);
            let (mut y, mut y64) = (poisoned(&g, n), vec![f64::NAN; n]);
            g.unary(op, &xg, &mut y).unwrap();
            c.unary(op, &x64, &mut y64).unwrap();
            check(&format!("{op:?} {rows}×{cols}"), &g, &y, &y64, TOL);

            let (dy, dy64) = both(&g, &values(n, 22));
            let (mut dx, mut dx64) = (poisoned(&g, n), vec![f64::NAN; n]);
            g.unary_backward(op, &xg, &y, &dy, &mut dx).unwrap();
            c.unary_backward(op, &x64, &y64, &dy64, &mut dx64).unwrap();
            check(&format!("{op:?} vjp {rows}×{cols}"), &g, &dx, &dx64, TOL);
        }
    }
}

#[test]
fn binary_maps_and_axpy_match_the_f64_reference() {
    let Some((g, c)) = devices() else { return };
    for &(rows, cols) in SHAPES {
        let n = rows * cols;
        let (a, a64) = both(&g, &values(n, 31));
        let (b, b64) = both(&g, &values(n, 32));
        for op in [Binary::Add, Binary::Sub, Binary::Mul] {
            let (mut out, mut want) = (poisoned(&g, n), vec![f64::NAN; n]);
            g.binary(op, &a, &b, &mut out).unwrap();
            c.binary(op, &a64, &b64, &mut want).unwrap();
            check(&format!("{op:?} {rows}×{cols}"), &g, &out, &want, TOL);
        }
        let (mut y, mut y64) = both(&g, &values(n, 33));
        g.axpy(-0.3, &a, &mut y).unwrap();
        c.axpy(-0.3, &a64, &mut y64).unwrap();
        check(&format!("axpy {rows}×{cols}"), &g, &y, &y64, TOL);
    }
}

#[test]
fn broadcasts_and_reductions_match_the_f64_reference() {
    let Some((g, c)) = devices() else { return };
    for &(rows, cols) in SHAPES {
        let n = rows * cols;
        let (x, x64) = both(&g, &values(n, 41));
        let (v, v64) = both(&g, &values(cols, 42));
        let (mut y, mut y64) = both(&g, &values(n, 43));
        g.add_row_vector(&v, cols, &mut y).unwrap();
        c.add_row_vector(&v64, cols, &mut y64).unwrap();
        check(&format!("add_row_vector {rows}×{cols}"), &g, &y, &y64, TOL);

        let (mut s, mut s64) = (poisoned(&g, rows), vec![f64::NAN; rows]);
        g.sum_rows(&x, cols, 0.5, &mut s).unwrap();
        c.sum_rows(&x64, cols, 0.5, &mut s64).unwrap();
        check(&format!("sum_rows {rows}×{cols}"), &g, &s, &s64, TOL);

        let (mut s, mut s64) = both(&g, &values(cols, 44));
        g.sum_cols_acc(&x, cols, 0.5, &mut s).unwrap();
        c.sum_cols_acc(&x64, cols, 0.5, &mut s64).unwrap();
        check(&format!("sum_cols_acc {rows}×{cols}"), &g, &s, &s64, TOL);

        let (r, r64) = both(&g, &values(rows, 45));
        let (mut y, mut y64) = (poisoned(&g, n), vec![f64::NAN; n]);
        g.broadcast_col(&r, cols, -2.0, &mut y).unwrap();
        c.broadcast_col(&r64, cols, -2.0, &mut y64).unwrap();
        check(&format!("broadcast_col {rows}×{cols}"), &g, &y, &y64, TOL);
    }
}

#[test]
fn column_copies_split_and_concatenate_like_the_reference() {
    let Some((g, c)) = devices() else { return };
    for &(rows, cols) in SHAPES {
        // [μ ‖ log σ²] of width 2·cols split into halves, then concatenated back.
        let w2 = 2 * cols;
        let (src, src64) = both(&g, &values(rows * w2, 51));
        let mut whole = poisoned(&g, rows * w2);
        let mut whole64 = vec![f64::NAN; rows * w2];
        for (from, to) in [(0, cols), (cols, 0)] {
            let (mut half, mut half64) = (poisoned(&g, rows * cols), vec![f64::NAN; rows * cols]);
            g.copy_cols(&src, w2, from, &mut half, cols, 0, cols)
                .unwrap();
            c.copy_cols(&src64, w2, from, &mut half64, cols, 0, cols)
                .unwrap();
            check(
                &format!("copy_cols split {rows}×{w2} at {from}"),
                &g,
                &half,
                &half64,
                TOL,
            );
            g.copy_cols(&half, cols, 0, &mut whole, w2, to, cols)
                .unwrap();
            c.copy_cols(&half64, cols, 0, &mut whole64, w2, to, cols)
                .unwrap();
        }
        check(
            &format!("copy_cols concat {rows}×{w2}"),
            &g,
            &whole,
            &whole64,
            TOL,
        );
    }
}

#[test]
fn log_softmax_and_its_vjp_match_the_f64_reference() {
    let Some((g, c)) = devices() else { return };
    for &(rows, cols) in SHAPES {
        let n = rows * cols;
        let x: Vec<f32> = values(n, 61).iter().map(|v| 4.0 * v).collect();
        let (xg, x64) = both(&g, &x);
        let (mut y, mut y64) = (poisoned(&g, n), vec![f64::NAN; n]);
        g.log_softmax_rows(&xg, cols, &mut y).unwrap();
        c.log_softmax_rows(&x64, cols, &mut y64).unwrap();
        check(&format!("log_softmax {rows}×{cols}"), &g, &y, &y64, TOL);

        let (dy, dy64) = both(&g, &values(n, 62));
        let (mut dx, mut dx64) = (poisoned(&g, n), vec![f64::NAN; n]);
        g.log_softmax_rows_backward(&y, &dy, cols, &mut dx).unwrap();
        c.log_softmax_rows_backward(&y64, &dy64, cols, &mut dx64)
            .unwrap();
        check(
            &format!("log_softmax vjp {rows}×{cols}"),
            &g,
            &dx,
            &dx64,
            TOL,
        );
    }
}

#[test]
fn multinomial_nll_and_its_vjp_match_the_f64_reference() {
    let Some((g, c)) = devices() else { return };
    for &(rows, cols) in SHAPES {
        let n = rows * cols;
        let density = if n > 100_000 { 0.005 } else { 0.3 };
        let (t, t64) = sparse(rows, cols, density, 71);
        let tg = g.upload_csr(&t).unwrap();
        let (z, z64) = both(&g, &values(n, 72));
        let (mut loss, mut loss64) = (poisoned(&g, rows), vec![f64::NAN; rows]);
        let (mut lse, mut lse64) = (poisoned(&g, rows), vec![f64::NAN; rows]);
        g.multinomial_nll_rows(&z, &tg, &mut loss, &mut lse)
            .unwrap();
        c.multinomial_nll_rows(&z64, &t64, &mut loss64, &mut lse64)
            .unwrap();
        check(
            &format!("multinomial_nll loss {rows}×{cols}"),
            &g,
            &loss,
            &loss64,
            TOL,
        );
        check(
            &format!("multinomial_nll lse {rows}×{cols}"),
            &g,
            &lse,
            &lse64,
            TOL,
        );

        let (dl, dl64) = both(&g, &values(rows, 73));
        let (mut dz, mut dz64) = (poisoned(&g, n), vec![f64::NAN; n]);
        g.multinomial_nll_rows_backward(&z, &lse, &tg, &dl, &mut dz)
            .unwrap();
        c.multinomial_nll_rows_backward(&z64, &lse64, &t64, &dl64, &mut dz64)
            .unwrap();
        check(
            &format!("multinomial_nll vjp {rows}×{cols}"),
            &g,
            &dz,
            &dz64,
            TOL,
        );
    }
}

#[test]
fn l2_normalisation_and_its_vjp_match_the_f64_reference() {
    let Some((g, c)) = devices() else { return };
    for &(rows, cols) in SHAPES {
        let n = rows * cols;
        let (x, x64) = both(&g, &values(n, 81));
        let (mut y, mut y64) = (poisoned(&g, n), vec![f64::NAN; n]);
        let (mut norms, mut norms64) = (poisoned(&g, rows), vec![f64::NAN; rows]);
        g.l2_normalize_rows(&x, cols, 1e-12, &mut y, &mut norms)
            .unwrap();
        c.l2_normalize_rows(&x64, cols, 1e-12, &mut y64, &mut norms64)
            .unwrap();
        check(&format!("l2_normalize {rows}×{cols}"), &g, &y, &y64, TOL);
        check(
            &format!("l2_normalize norms {rows}×{cols}"),
            &g,
            &norms,
            &norms64,
            TOL,
        );

        let (dy, dy64) = both(&g, &values(n, 82));
        let (mut dx, mut dx64) = (poisoned(&g, n), vec![f64::NAN; n]);
        g.l2_normalize_rows_backward(&y, &norms, &dy, cols, 1e-12, &mut dx)
            .unwrap();
        c.l2_normalize_rows_backward(&y64, &norms64, &dy64, cols, 1e-12, &mut dx64)
            .unwrap();
        check(
            &format!("l2_normalize vjp {rows}×{cols}"),
            &g,
            &dx,
            &dx64,
            TOL,
        );
    }
}

#[test]
fn dropout_masks_are_identical_to_the_cpu_masks() {
    let Some((g, c)) = devices() else { return };
    // A seed and a step above 2³² so the high counter and key words matter too.
    let key = RngKey::new(0x1234_5678_9abc, (1 << 33) + 5);
    for &(rows, cols) in SHAPES {
        let n = rows * cols;
        let (x, x64) = both(
            &g,
            &values(n, 91)
                .iter()
                .map(|v| v.abs() + 0.5)
                .collect::<Vec<_>>(),
        );
        for p in [0.2, 0.5] {
            let (mut y, mut y64) = (poisoned(&g, n), vec![f64::NAN; n]);
            g.dropout(key, p, &x, &mut y).unwrap();
            c.dropout(key, p, &x64, &mut y64).unwrap();
            let host = g.download(&y).unwrap();
            // Inputs are ≥ 0.5, so an output is zero exactly where the element was dropped.
            let differ = host
                .iter()
                .zip(&y64)
                .filter(|(a, b)| (**a == 0.0) != (**b == 0.0))
                .count();
            assert_eq!(
                differ, 0,
                "dropout p={p} {rows}×{cols}: {differ} mask bits differ"
            );
            check(&format!("dropout p={p} {rows}×{cols}"), &g, &y, &y64, TOL);
        }
    }
}

/// The same ε for the same (seed, step, element), element by element: bit-identical to the CPU's
/// f32 on the simulator (glibc's log and cos on both sides), within one f32 ulp on a GPU, whose
/// double log and cos are within 1 ulp in double before the rounding to f32.
#[test]
fn gaussian_noise_equals_the_cpu_noise_element_by_element() {
    let Some((g, _)) = devices() else { return };
    let c = autograd::Cpu::<f32>::new();
    let key = RngKey::new(0xfeed_0000_0001, (1 << 32) + 17);
    let ulps = |a: f32, b: f32| (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs();
    for &(rows, cols) in SHAPES {
        let n = rows * cols;
        let mut eps = poisoned(&g, n);
        g.gaussian(key, &mut eps).unwrap();
        let mut want = vec![0f32; n];
        c.gaussian(key, &mut want).unwrap();
        let host = g.download(&eps).unwrap();
        let worst = host
            .iter()
            .zip(&want)
            .map(|(&a, &b)| ulps(a, b))
            .max()
            .unwrap();
        let exact = host
            .iter()
            .zip(&want)
            .filter(|(a, b)| a.to_bits() == b.to_bits())
            .count();
        eprintln!(
            "gaussian {rows}×{cols}: {exact}/{n} bit-identical to the CPU's f32, worst {worst} ulp"
        );
        assert!(
            worst <= 1,
            "gaussian {rows}×{cols}: an ε {worst} ulp from the CPU's"
        );
        if g.is_simulated() {
            assert_eq!(
                exact, n,
                "gaussian {rows}×{cols}: the simulator uses the CPU's libm"
            );
        }
    }
}

#[test]
fn gather_and_scatter_with_repeated_rows_match_the_f64_reference() {
    let Some((g, c)) = devices() else { return };
    for &(rows, cols) in SHAPES {
        // `rows` lookups into a table of `rows` rows, many repeated (every index is drawn from the
        // first half, or 0).
        let index: Vec<u32> = (0..rows as u32)
            .map(|r| (r * 7 + 3) % (rows as u32).div_ceil(2))
            .collect();
        let (table, table64) = both(&g, &values(rows * cols, 101));
        let (mut y, mut y64) = (poisoned(&g, rows * cols), vec![f64::NAN; rows * cols]);
        g.gather_rows(&table, cols, &index, &mut y).unwrap();
        c.gather_rows(&table64, cols, &index, &mut y64).unwrap();
        check(&format!("gather_rows {rows}×{cols}"), &g, &y, &y64, TOL);

        let (dy, dy64) = both(&g, &values(rows * cols, 102));
        let (mut t, mut t64) = both(&g, &values(rows * cols, 103));
        g.scatter_add_rows(&dy, cols, &index, &mut t).unwrap();
        c.scatter_add_rows(&dy64, cols, &index, &mut t64).unwrap();
        check(
            &format!("scatter_add_rows {rows}×{cols}"),
            &g,
            &t,
            &t64,
            TOL,
        );
    }
}

#[test]
fn binary_cross_entropy_and_its_vjp_match_the_f64_reference() {
    let Some((g, c)) = devices() else { return };
    for &(rows, cols) in SHAPES {
        let n = rows * cols;
        let z: Vec<f32> = values(n, 111).iter().map(|v| 5.0 * v).collect();
        let t: Vec<f32> = values(n, 112)
            .iter()
            .map(|v| autograd::backend::sigmoid(*v))
            .collect();
        let (zg, z64) = both(&g, &z);
        let (tg, t64) = both(&g, &t);
        let (mut l, mut l64) = (poisoned(&g, n), vec![f64::NAN; n]);
        g.bce_with_logits(&zg, &tg, &mut l).unwrap();
        c.bce_with_logits(&z64, &t64, &mut l64).unwrap();
        check(&format!("bce {rows}×{cols}"), &g, &l, &l64, TOL);

        let (mut dz, mut dz64) = (poisoned(&g, n), vec![f64::NAN; n]);
        g.bce_with_logits_backward(&zg, &tg, 0.25, &mut dz).unwrap();
        c.bce_with_logits_backward(&z64, &t64, 0.25, &mut dz64)
            .unwrap();
        check(&format!("bce vjp {rows}×{cols}"), &g, &dz, &dz64, TOL);
    }
}

/// The kernel evaluates the CPU backend's expression in the same order with IEEE f32 operations
/// only (+, ×, ÷, √; NVRTC runs with --fmad=false), so it must equal `Cpu<f32>` bit for bit. Against
/// the f64 reference the tolerance is wider: β₂ = 0.999 rounded to f32 makes 1 − β₂ off by 1.3e-5
/// relative, in either f32 backend.
#[test]
fn fused_adam_equals_the_cpu_f32_update_and_the_f64_reference_over_three_steps() {
    let Some((g, c)) = devices() else { return };
    let c32 = autograd::Cpu::<f32>::new();
    for &(rows, cols) in SHAPES {
        let n = rows * cols;
        let (mut p, mut p64) = both(&g, &values(n, 121));
        let mut p32 = values(n, 121);
        let (mut m, mut m64) = both(&g, &vec![0.0; n]);
        let (mut v, mut v64) = both(&g, &vec![0.0; n]);
        let (mut m32, mut v32) = (vec![0f32; n], vec![0f32; n]);
        for t in 1..=3 {
            let grad32 = values(n, 121 + t);
            let (grad, grad64) = both(&g, &grad32);
            let (beta1, beta2) = (0.9f64, 0.999f64);
            let step = AdamStep {
                lr: 1e-3,
                beta1,
                beta2,
                eps: 1e-8,
                bias1: 1.0 - beta1.powi(t as i32),
                bias2: 1.0 - beta2.powi(t as i32),
                l2: 0.01,
                decoupled: 0.1,
            };
            g.adam(step, &mut p, &grad, &mut m, &mut v).unwrap();
            c.adam(step, &mut p64, &grad64, &mut m64, &mut v64).unwrap();
            c32.adam(step, &mut p32, &grad32, &mut m32, &mut v32)
                .unwrap();
        }
        for (what, buf, cpu32, cpu64) in [
            ("θ", &p, &p32, &p64),
            ("m", &m, &m32, &m64),
            ("v", &v, &v32, &v64),
        ] {
            let what = format!("adam {what} {rows}×{cols}");
            assert_bits_equal(&what, &g.download(buf).unwrap(), cpu32);
            check(&what, &g, buf, cpu64, 1e-4);
        }
    }
}

#[test]
fn reductions_are_bit_identical_from_run_to_run() {
    let Some((g, _)) = devices() else { return };
    let (rows, cols) = (500, 20_108);
    let x = g.upload(&values(rows * cols, 131)).unwrap();
    let (t, _) = sparse(rows, cols, 0.005, 132);
    let tg = g.upload_csr(&t).unwrap();
    let run = || {
        let mut s = g.zeros(rows).unwrap();
        g.sum_rows(&x, cols, 1.0, &mut s).unwrap();
        let mut y = g.zeros(rows * cols).unwrap();
        g.log_softmax_rows(&x, cols, &mut y).unwrap();
        let (mut loss, mut lse) = (g.zeros(rows).unwrap(), g.zeros(rows).unwrap());
        g.multinomial_nll_rows(&x, &tg, &mut loss, &mut lse)
            .unwrap();
        let d = g.upload(&values(rows * 64, 133)).unwrap();
        let mut dw = g.zeros(cols * 64).unwrap();
        g.csr_t_matmul_acc(&tg, &d, 64, &mut dw).unwrap();
        [s, y, loss, dw].map(|b| g.download(&b).unwrap())
    };
    let (first, second) = (run(), run());
    for (a, b) in first.iter().zip(&second) {
        assert!(a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()));
    }
}
