//! The CUDA backend at its edges, against the CPU backends: what `parity.rs`'s grid of shapes does not
//! reach. Empty, one-row and zero-column tensors; rows shorter than a warp and longer than a block;
//! more rows than a grid's 65,536 blocks (the loops that wrap); NaN and all −∞ rows; GEMM with k = 0,
//! non-square shapes, β = 0 over NaN and β = 1; TF32 switched on and off again; the `_new`
//! products that skip the zero fill; the kernels claimed bit-identical to `Cpu<f32>`; two handles of
//! one device kept apart.

mod common;

use autograd::backend::{Binary, Gemm, Unary};
use autograd::{Backend, Cpu, RngKey, Tape, Tensor};
use common::*;
use gpu::Cuda;

fn gemm_spec(m: usize, n: usize, k: usize, trans_a: bool, trans_b: bool, beta: f64) -> Gemm {
    Gemm {
        m,
        n,
        k,
        trans_a,
        trans_b,
        alpha: 1.25,
        beta,
    }
}

#[test]
fn gemm_non_square_shapes_with_beta_zero_over_nan_and_beta_one() {
    let Some((g, c)) = devices() else { return };
    // Every dimension distinct, each of m, n, k the largest once, and a 1-row and a 1-column case.
    let shapes = [
        (3, 5, 7),
        (7, 3, 5),
        (5, 7, 3),
        (1, 9, 4),
        (9, 1, 4),
        (40, 3, 300),
    ];
    for &(m, n, k) in &shapes {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            for beta in [0.0, 1.0] {
                let spec = gemm_spec(m, n, k, ta, tb, beta);
                let (a, a64) = both(&g, &values(m * k, 1));
                let (b, b64) = both(&g, &values(k * n, 2));
                let (mut out, mut want) = if beta == 0.0 {
                    (poisoned(&g, m * n), vec![f64::NAN; m * n])
                } else {
                    both(&g, &values(m * n, 3))
                };
                g.gemm(spec, &a, &b, &mut out).unwrap();
                c.gemm(spec, &a64, &b64, &mut want).unwrap();
                check(
                    &format!("gemm {m}×{n}×{k} ta={ta} tb={tb} β={beta}"),
                    &g,
                    &out,
                    &want,
                    TOL,
                );
            }
        }
    }
}

#[test]
fn gemm_with_k_zero_scales_c_by_beta() {
    let Some((g, c)) = devices() else { return };
    for beta in [0.0, 1.0, 0.5] {
        let spec = gemm_spec(4, 6, 0, false, false, beta);
        let (a, a64) = both(&g, &[]);
        let (b, b64) = both(&g, &[]);
        let (mut out, mut want) = both(&g, &values(24, 4));
        g.gemm(spec, &a, &b, &mut out).unwrap();
        c.gemm(spec, &a64, &b64, &mut want).unwrap();
        check(&format!("gemm k=0 β={beta}"), &g, &out, &want, 0.0);
    }
}

#[test]
fn gemm_new_writes_every_element_without_a_zero_fill() {
    let Some((g, c)) = devices() else { return };
    for &(m, n, k) in &[(1, 1, 1), (7, 13, 9), (300, 40, 65)] {
        for (ta, tb) in [(false, false), (true, false), (false, true)] {
            let spec = gemm_spec(m, n, k, ta, tb, 0.0);
            let (a, a64) = both(&g, &values(m * k, 5));
            let (b, b64) = both(&g, &values(k * n, 6));
            // Fresh device buffers hold NaN on the simulator: an element gemm_new skips fails.
            let out = g.gemm_new(spec, &a, &b).unwrap();
            let want = c.gemm_new(spec, &a64, &b64).unwrap();
            check(
                &format!("gemm_new {m}×{n}×{k} ta={ta} tb={tb}"),
                &g,
                &out,
                &want,
                TOL,
            );
        }
    }
}

#[test]
fn tf32_switched_off_again_gives_fp32_accuracy() {
    let Some((g, c)) = devices() else { return };
    let (m, n, k) = (64, 96, 500);
    let spec = gemm_spec(m, n, k, false, true, 0.0);
    let (a, a64) = both(&g, &values(m * k, 7));
    let (b, b64) = both(&g, &values(k * n, 8));
    let want = c.gemm_new(spec, &a64, &b64).unwrap();
    let mut errors = Vec::new();
    for tf32 in [false, true, false] {
        g.set_tf32(tf32).unwrap();
        assert_eq!(g.tf32(), tf32);
        let out = g.gemm_new(spec, &a, &b).unwrap();
        let err = rel_err(&g.download(&out).unwrap(), &want);
        eprintln!("gemm {m}×{n}×{k} tf32={tf32}: relative error {err:.3e}");
        errors.push(err);
    }
    assert!(
        errors[0] <= TOL && errors[2] <= TOL,
        "FP32 after TF32: {errors:?}"
    );
    assert!(errors[1] <= TOL_TF32, "TF32: {errors:?}");
    // TF32 really was on in between: its products round operands to 10 mantissa bits.
    assert!(
        errors[1] > 10.0 * errors[0],
        "TF32 made no difference: {errors:?}"
    );
}

#[test]
fn csr_t_matmul_new_writes_untouched_rows_as_zeros() {
    let Some((g, c)) = devices() else { return };
    for &(rows, cols, n) in &[(1, 1, 1), (7, 40, 13), (50, 600, 300)] {
        let (x, x64) = sparse(rows, cols, 0.05, 9);
        let xg = g.upload_csr(&x).unwrap();
        let (d, d64) = both(&g, &values(rows * n, 10));
        let out = g.csr_t_matmul_new(&xg, &d, n).unwrap();
        let want = c.csr_t_matmul_new(&x64, &d64, n).unwrap();
        check(
            &format!("csr_t_matmul_new {rows}×{cols} · {n}"),
            &g,
            &out,
            &want,
            TOL,
        );
    }
}

/// The kernels whose every element is a fixed sequence of IEEE f32 operations in the CPU's order
/// (sparse products summed in CSR order, axpy, binary maps, scatter-add in row order, the dropout
/// mask) equal `Cpu<f32>` bit for bit; NVRTC's --fmad=false keeps a GPU from fusing their × and +.
#[test]
fn ieee_only_kernels_equal_the_cpu_f32_bit_for_bit() {
    let Some((g, _)) = devices() else { return };
    let c = Cpu::<f32>::new();
    let down = |b: &gpu::CudaBuffer| g.download(b).unwrap();
    for &(rows, cols, n) in &[(7, 13, 5), (50, 2_000, 300)] {
        let (x, _) = sparse(rows, cols, 0.05, 31);
        let xg = g.upload_csr(&x).unwrap();
        let b32 = values(cols * n, 32);
        let b = g.upload(&b32).unwrap();
        let (mut out, mut want) = (poisoned(&g, rows * n), vec![f32::NAN; rows * n]);
        g.csr_matmul(&xg, &b, n, &mut out).unwrap();
        c.csr_matmul(&x, &b32, n, &mut want).unwrap();
        assert_bits_equal(&format!("csr_matmul {rows}×{cols}·{n}"), &down(&out), &want);

        let d32 = values(rows * n, 33);
        let d = g.upload(&d32).unwrap();
        let c0 = values(cols * n, 34);
        let (mut acc, mut want) = (g.upload(&c0).unwrap(), c0.clone());
        g.csr_t_matmul_acc(&xg, &d, n, &mut acc).unwrap();
        c.csr_t_matmul_acc(&x, &d32, n, &mut want).unwrap();
        assert_bits_equal(
            &format!("csr_t_matmul_acc {rows}×{cols}·{n}"),
            &down(&acc),
            &want,
        );
        let fresh = g.csr_t_matmul_new(&xg, &d, n).unwrap();
        let want = c.csr_t_matmul_new(&x, &d32, n).unwrap();
        assert_bits_equal(
            &format!("csr_t_matmul_new {rows}×{cols}·{n}"),
            &down(&fresh),
            &want,
        );

        let len = rows * n;
        let (p, q) = (values(len, 35), values(len, 36));
        let (pg, qg) = (g.upload(&p).unwrap(), g.upload(&q).unwrap());
        for op in [Binary::Add, Binary::Sub, Binary::Mul] {
            let (mut out, mut want) = (poisoned(&g, len), vec![0f32; len]);
            g.binary(op, &pg, &qg, &mut out).unwrap();
            c.binary(op, &p, &q, &mut want).unwrap();
            assert_bits_equal(&format!("{op:?} {len}"), &down(&out), &want);
        }
        let (mut y, mut want) = (g.upload(&q).unwrap(), q.clone());
        g.axpy(-0.37, &pg, &mut y).unwrap();
        c.axpy(-0.37, &p, &mut want).unwrap();
        assert_bits_equal(&format!("axpy {len}"), &down(&y), &want);

        let index: Vec<u32> = (0..rows as u32).map(|r| (r * 7) % 3).collect();
        let t0 = values(3 * n, 37);
        let (mut table, mut want) = (g.upload(&t0).unwrap(), t0.clone());
        g.scatter_add_rows(&d, n, &index, &mut table).unwrap();
        c.scatter_add_rows(&d32, n, &index, &mut want).unwrap();
        assert_bits_equal(
            &format!("scatter_add_rows {rows}×{n}"),
            &down(&table),
            &want,
        );

        let key = RngKey::new(5, 6);
        let (mut out, mut want) = (poisoned(&g, len), vec![0f32; len]);
        g.dropout(key, 0.3, &pg, &mut out).unwrap();
        c.dropout(key, 0.3, &p, &mut want).unwrap();
        assert_bits_equal(&format!("dropout {len}"), &down(&out), &want);
    }
}

#[test]
fn empty_and_one_row_tensors() {
    let Some((g, c)) = devices() else { return };
    for rows in [0, 1] {
        let cols = 37;
        let n = rows * cols;
        let (x, x64) = both(&g, &values(n, 41));
        let (mut y, mut y64) = (poisoned(&g, n), vec![f64::NAN; n]);
        g.log_softmax_rows(&x, cols, &mut y).unwrap();
        c.log_softmax_rows(&x64, cols, &mut y64).unwrap();
        check(&format!("log_softmax {rows}×{cols}"), &g, &y, &y64, TOL);
        let (mut s, mut s64) = (poisoned(&g, rows), vec![f64::NAN; rows]);
        g.sum_rows(&x, cols, 1.0, &mut s).unwrap();
        c.sum_rows(&x64, cols, 1.0, &mut s64).unwrap();
        check(&format!("sum_rows {rows}×{cols}"), &g, &s, &s64, TOL);
        let (mut yn, mut yn64) = (poisoned(&g, n), vec![f64::NAN; n]);
        let (mut norms, mut norms64) = (poisoned(&g, rows), vec![f64::NAN; rows]);
        g.l2_normalize_rows(&x, cols, 1e-12, &mut yn, &mut norms)
            .unwrap();
        c.l2_normalize_rows(&x64, cols, 1e-12, &mut yn64, &mut norms64)
            .unwrap();
        check(&format!("l2_normalize {rows}×{cols}"), &g, &yn, &yn64, TOL);
        let (mut u, mut u64_) = (poisoned(&g, n), vec![f64::NAN; n]);
        g.unary(Unary::Tanh, &x, &mut u).unwrap();
        c.unary(Unary::Tanh, &x64, &mut u64_).unwrap();
        check(&format!("tanh {rows}×{cols}"), &g, &u, &u64_, TOL);
        let (csr, csr64) = sparse(rows, cols, 0.3, 42);
        let xg = g.upload_csr(&csr).unwrap();
        let (b, b64) = both(&g, &values(cols * 3, 43));
        let (mut out, mut want) = (poisoned(&g, rows * 3), vec![f64::NAN; rows * 3]);
        g.csr_matmul(&xg, &b, 3, &mut out).unwrap();
        c.csr_matmul(&csr64, &b64, 3, &mut want).unwrap();
        check(&format!("csr_matmul {rows}×{cols}"), &g, &out, &want, TOL);
    }
}

#[test]
fn zero_columns_behave_as_on_the_cpu() {
    let Some((g, c)) = devices() else { return };
    let rows = 4;
    let (empty, empty64) = both(&g, &[]);
    // Rows of no columns: the norm of each is √ε, as the CPU writes it.
    let (mut y, mut y64) = (poisoned(&g, 0), vec![]);
    let (mut norms, mut norms64) = (poisoned(&g, rows), vec![f64::NAN; rows]);
    g.l2_normalize_rows(&empty, 0, 1e-12, &mut y, &mut norms)
        .unwrap();
    c.l2_normalize_rows(&empty64, 0, 1e-12, &mut y64, &mut norms64)
        .unwrap();
    check("l2_normalize 4×0 norms", &g, &norms, &norms64, 1e-7);
    // Gathering and scattering rows of no columns is a no-op, whatever the indices.
    let mut out = poisoned(&g, 0);
    g.gather_rows(&empty, 0, &[0, 3, 1], &mut out).unwrap();
    let mut out64 = vec![];
    c.gather_rows(&empty64, 0, &[0, 3, 1], &mut out64).unwrap();
    let mut table = poisoned(&g, 0);
    g.scatter_add_rows(&empty, 0, &[0, 3, 1], &mut table)
        .unwrap();
    let mut s = g.upload(&[7.0; 3]).unwrap();
    g.sum_rows(&empty, 0, 1.0, &mut s).unwrap();
    assert_eq!(g.download(&s).unwrap(), vec![0.0; 3], "Σ over no columns");
}

#[test]
fn rows_shorter_than_a_warp_longer_than_a_block_and_more_than_the_grid() {
    let Some((g, c)) = devices() else { return };
    // 5 columns (< 32), 300 and 1,000 (> 256 threads), and 70,000 rows (> 65,536 blocks: the row
    // loop wraps).
    for &(rows, cols) in &[(300, 5), (3, 300), (2, 1_000), (70_000, 3)] {
        let n = rows * cols;
        let (x, x64) = both(&g, &values(n, 51));
        let (mut y, mut y64) = (poisoned(&g, n), vec![f64::NAN; n]);
        g.log_softmax_rows(&x, cols, &mut y).unwrap();
        c.log_softmax_rows(&x64, cols, &mut y64).unwrap();
        check(&format!("log_softmax {rows}×{cols}"), &g, &y, &y64, TOL);
        let (dy, dy64) = both(&g, &values(n, 52));
        let (mut dx, mut dx64) = (poisoned(&g, n), vec![f64::NAN; n]);
        g.log_softmax_rows_backward(&y, &dy, cols, &mut dx).unwrap();
        c.log_softmax_rows_backward(&y64, &dy64, cols, &mut dx64)
            .unwrap();
        check(
            &format!("log_softmax backward {rows}×{cols}"),
            &g,
            &dx,
            &dx64,
            TOL,
        );
        let (mut s, mut s64) = (poisoned(&g, rows), vec![f64::NAN; rows]);
        g.sum_rows(&x, cols, 0.5, &mut s).unwrap();
        c.sum_rows(&x64, cols, 0.5, &mut s64).unwrap();
        check(&format!("sum_rows {rows}×{cols}"), &g, &s, &s64, TOL);
        let (t, t64) = sparse(rows, cols, 0.3, 53);
        let tg = g.upload_csr(&t).unwrap();
        let (mut l, mut l64) = (poisoned(&g, rows), vec![f64::NAN; rows]);
        let (mut lse, mut lse64) = (poisoned(&g, rows), vec![f64::NAN; rows]);
        g.multinomial_nll_rows(&x, &tg, &mut l, &mut lse).unwrap();
        c.multinomial_nll_rows(&x64, &t64, &mut l64, &mut lse64)
            .unwrap();
        check(&format!("multinomial_nll {rows}×{cols}"), &g, &l, &l64, TOL);
    }
}

#[test]
fn grid_stride_loops_that_wrap_cover_every_element() {
    let Some((g, c)) = devices() else { return };
    // More than 65,536 blocks × 256 threads: each thread of the capped grid takes a second element.
    let n = (1 << 16) * 256 + 1_000;
    let (x, x64) = both(&g, &values(n, 61));
    let (mut y, mut y64) = (poisoned(&g, n), vec![f64::NAN; n]);
    g.unary(Unary::Scale(2.0), &x, &mut y).unwrap();
    c.unary(Unary::Scale(2.0), &x64, &mut y64).unwrap();
    check(&format!("scale over {n}"), &g, &y, &y64, 0.0);
    let cols = 4_096;
    let (v, v64) = both(&g, &values(cols, 62));
    let (mut z, mut z64) = (
        g.upload(&values(n - n % cols, 63)).unwrap(),
        widen(&values(n - n % cols, 63)),
    );
    g.add_row_vector(&v, cols, &mut z).unwrap();
    c.add_row_vector(&v64, cols, &mut z64).unwrap();
    check(
        &format!("add_row_vector over {}", n - n % cols),
        &g,
        &z,
        &z64,
        1e-7,
    );
}

#[test]
fn nan_and_all_minus_infinity_rows_propagate_as_on_the_cpu() {
    let Some((g, c)) = devices() else { return };
    let cols = 300;
    let mut x = values(3 * cols, 71);
    x[cols + 17] = f32::NAN; // row 1: one NaN
    x[2 * cols..]
        .iter_mut()
        .for_each(|v| *v = f32::NEG_INFINITY); // row 2: all −∞
    let (xg, x64) = both(&g, &x);
    let (mut y, mut y64) = (poisoned(&g, 3 * cols), vec![0.0; 3 * cols]);
    g.log_softmax_rows(&xg, cols, &mut y).unwrap();
    c.log_softmax_rows(&x64, cols, &mut y64).unwrap();
    let same = |a: f32, b: f64| {
        (a.is_nan() && b.is_nan())
            || a as f64 == b
            || (a as f64 - b).abs() <= 1e-5 * b.abs().max(1.0)
    };
    let host = g.download(&y).unwrap();
    for (i, (&a, &b)) in host.iter().zip(&y64).enumerate() {
        assert!(
            same(a, b),
            "log_softmax element {i} (row {}): gpu {a}, cpu {b}",
            i / cols
        );
    }
    eprintln!("log_softmax with NaN and all −∞ rows: every element as on the CPU");

    // The fused likelihood on the same rows: the all −∞ row's log-sum-exp is −∞ as in the
    // log-softmax, and the loss and its gradient are NaN where the CPU's are.
    let (t, t64) = sparse(3, cols, 0.1, 74);
    let tg = g.upload_csr(&t).unwrap();
    let (mut l, mut l64) = (poisoned(&g, 3), vec![0.0; 3]);
    let (mut lse, mut lse64) = (poisoned(&g, 3), vec![0.0; 3]);
    g.multinomial_nll_rows(&xg, &tg, &mut l, &mut lse).unwrap();
    c.multinomial_nll_rows(&x64, &t64, &mut l64, &mut lse64)
        .unwrap();
    let (l, lse) = (g.download(&l).unwrap(), g.download(&lse).unwrap());
    assert_eq!(lse[2], f32::NEG_INFINITY, "lse of the all −∞ row");
    assert_eq!(
        lse64[2],
        f64::NEG_INFINITY,
        "lse of the all −∞ row on the CPU"
    );
    for r in 0..3 {
        assert!(
            same(lse[r], lse64[r]),
            "lse row {r}: gpu {}, cpu {}",
            lse[r],
            lse64[r]
        );
        assert!(
            same(l[r], l64[r]),
            "ℓ row {r}: gpu {}, cpu {}",
            l[r],
            l64[r]
        );
    }
    let (dl, dl64) = both(&g, &[1.0, 0.5, 2.0]);
    let lse_g = g.upload(&lse).unwrap();
    let (mut dz, mut dz64) = (poisoned(&g, 3 * cols), vec![0.0; 3 * cols]);
    g.multinomial_nll_rows_backward(&xg, &lse_g, &tg, &dl, &mut dz)
        .unwrap();
    c.multinomial_nll_rows_backward(&x64, &lse64, &t64, &dl64, &mut dz64)
        .unwrap();
    for (i, (&a, &b)) in g.download(&dz).unwrap().iter().zip(&dz64).enumerate() {
        assert!(
            same(a, b),
            "multinomial_nll vjp element {i} (row {}): gpu {a}, cpu {b}",
            i / cols
        );
    }
}

/// Rows whose norm the forward clamps to `√ε` (one shorter than `√ε`, one all zero) beside an
/// ordinary row: the kernel drops the `⟨y, ȳ⟩` term on the clamped rows, as the CPU does.
#[test]
fn l2_normalisation_vjp_inside_the_norm_clamp_matches_the_cpu() {
    let Some((g, c)) = devices() else { return };
    let cols = 300;
    let mut x = values(3 * cols, 72);
    x[..cols].iter_mut().for_each(|v| *v *= 3e-8); // row 0: ‖x‖ ≈ 3·10⁻⁸·√300 ≈ 5·10⁻⁷ < √ε
    x[cols..2 * cols].fill(0.0); // row 1: empty
    let (xg, x64) = both(&g, &x);
    let (mut y, mut y64) = (poisoned(&g, 3 * cols), vec![f64::NAN; 3 * cols]);
    let (mut norms, mut norms64) = (poisoned(&g, 3), vec![f64::NAN; 3]);
    g.l2_normalize_rows(&xg, cols, 1e-12, &mut y, &mut norms)
        .unwrap();
    c.l2_normalize_rows(&x64, cols, 1e-12, &mut y64, &mut norms64)
        .unwrap();
    let (dy, dy64) = both(&g, &values(3 * cols, 73));
    let (mut dx, mut dx64) = (poisoned(&g, 3 * cols), vec![f64::NAN; 3 * cols]);
    g.l2_normalize_rows_backward(&y, &norms, &dy, cols, 1e-12, &mut dx)
        .unwrap();
    c.l2_normalize_rows_backward(&y64, &norms64, &dy64, cols, 1e-12, &mut dx64)
        .unwrap();
    let host = g.download(&dx).unwrap();
    for r in 0..3 {
        // Row by row: the clamped rows' gradients are 10⁶ times the ordinary row's.
        let err = rel_err(
            &host[r * cols..(r + 1) * cols],
            &dx64[r * cols..(r + 1) * cols],
        );
        assert!(
            err <= TOL,
            "l2_normalize vjp row {r}: relative error {err:e}"
        );
    }
    // On the clamped rows x̄ = ȳ/√ε (up to f32 rounding), without the ⟨y, ȳ⟩ term, which on row 0
    // (‖y‖ ≈ 0.5) would move it by about 1%.
    let dy32 = values(3 * cols, 73);
    for i in 0..2 * cols {
        let want = dy32[i] as f64 * 1e6;
        assert!(
            (host[i] as f64 - want).abs() <= 1e-6 * want.abs().max(1.0),
            "element {i}: gpu {}, ȳ/√ε {want}",
            host[i]
        );
    }
}

#[test]
fn two_handles_of_one_device_do_not_share_tensors() {
    let Some((g, _)) = devices() else { return };
    let other = if g.is_simulated() {
        Cuda::simulated().unwrap()
    } else {
        Cuda::new(g.ordinal()).unwrap()
    };
    assert!(g.same_device(&g.clone()), "a clone is the same device");
    assert!(
        !g.same_device(&other),
        "two opened handles have two streams and caches"
    );
    let tape = Tape::new(&g);
    let a = tape.constant(Tensor::from_vec(&g, 1, 3, &[1.0, 2.0, 3.0]).unwrap());
    let b = tape.constant(Tensor::from_vec(&other, 1, 3, &[1.0, 2.0, 3.0]).unwrap());
    let err = a
        .add(&b)
        .err()
        .expect("a tensor of another handle is refused");
    eprintln!("{err}");
}
