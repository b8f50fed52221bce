//! Sparse loops: CSR × dense, its transpose product, the multinomial likelihood on sparse targets,
//! and writes at a CSR matrix's entries.

use super::rows::log_sum_exp;
use super::CpuReal;
use super::{for_each_row, prefetch, PAR_MIN};
use crate::csr::CsrMatrix;
use crate::real::Real;
use rayon::prelude::*;

pub(super) fn csr_matmul<T: CpuReal>(x: &CsrMatrix<T>, b: &[T], n: usize, c: &mut [T]) {
    for_each_row(c, n, |r, row| {
        row.fill(T::zero());
        let (cols, vals) = x.row(r);
        for (i, (&k, &v)) in cols.iter().zip(vals).enumerate() {
            // The rows of B a row of X picks are scattered (one per click, 2.4 KB apart at the
            // first layer): ask for the next one while this one is added (docs/benchmarks.md).
            if let Some(&next) = cols.get(i + 1) {
                prefetch(&b[next as usize * n..(next as usize + 1) * n]);
            }
            T::add_scaled(row, v, &b[k as usize * n..(k as usize + 1) * n]);
        }
    });
}

/// `y[r, c] ← v` at every stored `(r, c)` of `X`.
pub(super) fn fill_csr_pattern<T: Real>(x: &CsrMatrix<T>, v: T, y: &mut [T]) {
    for_each_row(y, x.cols(), |r, row| {
        for &c in x.row(r).0 {
            row[c as usize] = v
        }
    });
}

/// `C += Xᵀ·D`. Tasks own disjoint column ranges of `C` and each walks the non-zeros in row order, so
/// every element of `C` sums its terms in the same order whatever the number of threads.
pub(super) fn csr_t_matmul_acc<T: CpuReal>(x: &CsrMatrix<T>, d: &[T], n: usize, c: &mut [T]) {
    if n == 0 {
        return;
    }
    let width = if x.nnz() * n >= PAR_MIN {
        n.div_ceil(rayon::current_num_threads()).max(16)
    } else {
        n
    };
    let c_ptr = c.as_mut_ptr() as usize;
    (0..n.div_ceil(width)).into_par_iter().for_each(|t| {
        let (j0, j1) = (t * width, ((t + 1) * width).min(n));
        for r in 0..x.rows() {
            let (cols, vals) = x.row(r);
            let drow = &d[r * n + j0..r * n + j1];
            for (&k, &v) in cols.iter().zip(vals) {
                // SAFETY: columns j0..j1 of C belong to this task alone; k < C's rows by CSR validation.
                let crow = unsafe {
                    std::slice::from_raw_parts_mut(
                        (c_ptr as *mut T).add(k as usize * n + j0),
                        j1 - j0,
                    )
                };
                T::add_scaled(crow, v, drow);
            }
        }
    });
}

/// Item rows of `C` per rayon task in [`csr_t_matmul_new`].
const ITEM_ROWS_PER_TASK: usize = 64;

/// `C = Xᵀ·D` in a new buffer, built row by row of `C`. The batch's clicks are regrouped by item (a
/// counting sort, `O(nnz + k)`), then each row `C[i, :] = Σ_r x_ri · D[r, :]` is written once, rows in
/// parallel, unclicked items as zeros: one streaming pass over `C` instead of a zero-fill followed by
/// scattered updates. A row is summed in a buffer that stays in L1 and copied out once, rather than
/// summed in place (faster: docs/benchmarks.md, `hot_ops` `csr_t_matmul_new`). The users of an
/// item come in increasing `r`, the order in which [`csr_t_matmul_acc`] adds them, so both give the
/// same bits.
pub(super) fn csr_t_matmul_new<T: CpuReal>(x: &CsrMatrix<T>, d: &[T], n: usize) -> Vec<T> {
    let k = x.cols();
    if k * n == 0 {
        return vec![T::zero(); k * n];
    }
    let mut start = vec![0usize; k + 1];
    for r in 0..x.rows() {
        for &i in x.row(r).0 {
            start[i as usize + 1] += 1;
        }
    }
    for i in 0..k {
        start[i + 1] += start[i];
    }
    let mut next = start.clone();
    let mut users = vec![0u32; x.nnz()];
    let mut values = vec![T::zero(); x.nnz()];
    for r in 0..x.rows() {
        let (cols, vals) = x.row(r);
        for (&i, &v) in cols.iter().zip(vals) {
            let p = &mut next[i as usize];
            users[*p] = r as u32;
            values[*p] = v;
            *p += 1;
        }
    }
    let mut c: Vec<T> = Vec::with_capacity(k * n);
    c.spare_capacity_mut()[..k * n]
        .par_chunks_mut(n * ITEM_ROWS_PER_TASK)
        .enumerate()
        .for_each(|(t, block)| {
            // A row is summed in a buffer that stays in L1, then copied out whole.
            let mut acc = vec![T::zero(); n];
            for (j, row) in block.chunks_mut(n).enumerate() {
                let item = t * ITEM_ROWS_PER_TASK + j;
                acc.fill(T::zero());
                for p in start[item]..start[item + 1] {
                    let (r, v) = (users[p] as usize, values[p]);
                    T::add_scaled(&mut acc, v, &d[r * n..(r + 1) * n]);
                }
                // SAFETY: `row` has room for n values, and `acc` holds n.
                unsafe {
                    std::ptr::copy_nonoverlapping(acc.as_ptr(), row.as_mut_ptr() as *mut T, n)
                };
            }
        });
    // SAFETY: the loop above initialised all k × n elements, each row exactly once.
    unsafe { c.set_len(k * n) };
    c
}

#[inline(always)]
fn add_scaled_of(acc: &mut [f32], v: f32, x: &[f32]) {
    for (a, &b) in acc.iter_mut().zip(x) {
        *a += v * b
    }
}

dispatch!(
    /// `acc_i ← acc_i + v·x_i` on AVX-512 or AVX2 vectors where the CPU has them: the inner loop of
    /// the sparse products, a row of 600 hidden values per click, which baseline x86-64 runs four
    /// lanes at a time. Same operations (a multiply, then an add; Rust never fuses them), so the
    /// same bits on every path.
    add_scaled => add_scaled_of(acc: &mut [f32], v: f32, x: &[f32]) -> ()
);

/// `(ℓ_u, lse_u)` of one row.
fn nll_row<T: CpuReal>(z: &[T], cols: &[u32], vals: &[T]) -> (f64, f64) {
    let lse = log_sum_exp(z);
    let n: f64 = vals.iter().map(|v| v.f64()).sum();
    let dot: f64 = cols
        .iter()
        .zip(vals)
        .map(|(&i, v)| v.f64() * z[i as usize].f64())
        .sum();
    (n * lse - dot, lse)
}

pub(super) fn multinomial_nll_rows<T: CpuReal>(
    z: &[T],
    t: &CsrMatrix<T>,
    loss: &mut [T],
    lse: &mut [T],
) {
    let cols = t.cols();
    let row = |r: usize| {
        let (c, v) = t.row(r);
        nll_row(&z[r * cols..(r + 1) * cols], c, v)
    };
    let out: Vec<(f64, f64)> = if z.len() >= PAR_MIN {
        (0..t.rows()).into_par_iter().map(row).collect()
    } else {
        (0..t.rows()).map(row).collect()
    };
    for (r, (l, s)) in out.into_iter().enumerate() {
        loss[r] = T::of(l);
        lse[r] = T::of(s);
    }
}

pub(super) fn multinomial_nll_rows_backward<T: CpuReal>(
    z: &[T],
    lse: &[T],
    t: &CsrMatrix<T>,
    dloss: &[T],
    dz: &mut [T],
) {
    let cols = t.cols();
    for_each_row(dz, cols, |r, row| {
        let (c, v) = t.row(r);
        let n = T::of(v.iter().map(|v| v.f64()).sum());
        let (g, s) = (dloss[r], lse[r]);
        T::scaled_exp(&z[r * cols..(r + 1) * cols], s, g * n, row);
        for (&i, &v) in c.iter().zip(v) {
            row[i as usize] = row[i as usize] - g * v
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Logits and clicks of a batch shaped like Mult-VAE's, small enough for a test.
    fn batch<T: Real>() -> (Vec<T>, CsrMatrix<T>) {
        let (rows, items) = (7, 3001);
        let z = (0..rows * items)
            .map(|i| T::of(((i * 7919 % 2003) as f64 - 1000.0) * 4e-3))
            .collect();
        let mut t = Vec::new();
        for r in 0..rows {
            for c in (r..items).step_by(97 + r) {
                t.push((r, c, T::one()));
            }
        }
        (z, CsrMatrix::from_triplets(rows, items, &t).unwrap())
    }

    #[test]
    fn the_vector_add_scaled_has_the_bits_of_the_baseline_loop() {
        // 613 values: whole AVX-512 and AVX2 vectors and a tail; magnitudes spread so that the
        // product's rounding matters.
        let x: Vec<f32> = (0..613)
            .map(|i| ((i * 7919 % 1009) as f32 - 504.0) * 1.37e-3)
            .collect();
        let acc0: Vec<f32> = (0..613)
            .map(|i| ((i * 104_729 % 997) as f32 - 498.0) * 0.71)
            .collect();
        for v in [0.3f32, -1.7e-4, 3.1e5] {
            let (mut got, mut want) = (acc0.clone(), acc0.clone());
            add_scaled(&mut got, v, &x);
            add_scaled_of(&mut want, v, &x);
            assert!(
                got.iter()
                    .zip(&want)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "v = {v}"
            );
        }
    }

    #[test]
    fn transposed_product_in_a_new_buffer_equals_the_accumulating_one_bit_for_bit() {
        for (rows, cols, n) in [(7, 3001, 5), (3, 4, 0), (130, 300, 67)] {
            // Users click item c when (r·7 + c·13) mod 5 = 0, a few repeats counting 2.
            let t: Vec<(usize, usize, f32)> = (0..rows)
                .flat_map(|r| (0..cols).map(move |c| (r, c)))
                .filter(|&(r, c)| (r * 7 + c * 13) % 5 == 0)
                .map(|(r, c)| (r, c, 1.0 + ((r + c) % 3 == 0) as u8 as f32))
                .collect();
            let x = CsrMatrix::from_triplets(rows, cols, &t).unwrap();
            let d: Vec<f32> = (0..x.rows() * n)
                .map(|i| ((i * 31 % 17) as f32 - 8.0) * 0.37)
                .collect();
            let mut want = vec![0f32; x.cols() * n];
            csr_t_matmul_acc(&x, &d, n, &mut want);
            let got = csr_t_matmul_new(&x, &d, n);
            assert_eq!(got.len(), want.len());
            assert!(got
                .iter()
                .zip(&want)
                .all(|(a, b)| a.to_bits() == b.to_bits()));
        }
    }

    /// Equal, or both NaN.
    fn same(a: f64, b: f64) -> bool {
        a == b || (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-12 * b.abs()
    }

    /// The fused likelihood against `−Σ_i x_ui·log_softmax(z_u)_i` and its VJP `ȳ = −x_u` through
    /// the log-softmax's, on an all −∞ row (softmax undefined: the log-sum-exp is −∞ in both, the
    /// loss and the gradient NaN in both), a row with −∞ on an unclicked item (finite), and a finite
    /// row.
    #[test]
    fn fused_likelihood_agrees_with_log_softmax_on_rows_of_minus_infinity() {
        let inf = f64::NEG_INFINITY;
        let z = [inf, inf, inf, inf, inf, 0.5, inf, 1.0, 0.1, -0.2, 0.3, 0.0];
        let t =
            CsrMatrix::from_triplets(3, 4, &[(0, 1, 1.0), (1, 1, 1.0), (1, 3, 2.0), (2, 0, 1.0)])
                .unwrap();
        let (mut loss, mut lse) = (vec![0.0; 3], vec![0.0; 3]);
        multinomial_nll_rows(&z, &t, &mut loss, &mut lse);
        let mut log_pi = vec![0.0; 12];
        super::super::rows::log_softmax_rows(&z, 4, &mut log_pi);
        let x = t.to_dense(0.0);
        for r in 0..3 {
            assert!(
                same(lse[r], log_sum_exp(&z[r * 4..(r + 1) * 4])),
                "row {r}: lse {}",
                lse[r]
            );
            let composed: f64 = -(0..4)
                .filter(|&i| x[r * 4 + i] != 0.0)
                .map(|i| x[r * 4 + i] * log_pi[r * 4 + i])
                .sum::<f64>();
            assert!(
                same(loss[r], composed),
                "row {r}: {} vs {composed}",
                loss[r]
            );
        }
        assert_eq!(lse[0], inf);
        assert!(loss[1].is_finite() && loss[2].is_finite());

        let mut dz = vec![0.0; 12];
        multinomial_nll_rows_backward(&z, &lse, &t, &[1.0; 3], &mut dz);
        let dy: Vec<f64> = x.iter().map(|v| -v).collect();
        let mut want = vec![0.0; 12];
        super::super::rows::log_softmax_rows_backward(&log_pi, &dy, 4, &mut want);
        for i in 0..12 {
            assert!(
                same(dz[i], want[i]),
                "element {i}: {} vs {}",
                dz[i],
                want[i]
            );
        }
    }

    #[test]
    fn f32_likelihood_and_its_gradient_match_the_f64_reference() {
        let (z64, t64) = batch::<f64>();
        let (z32, t32) = batch::<f32>();
        let rows = t64.rows();
        let (mut l64, mut s64) = (vec![0f64; rows], vec![0f64; rows]);
        let (mut l32, mut s32) = (vec![0f32; rows], vec![0f32; rows]);
        multinomial_nll_rows(&z64, &t64, &mut l64, &mut s64);
        multinomial_nll_rows(&z32, &t32, &mut l32, &mut s32);
        for r in 0..rows {
            assert!(
                (l32[r] as f64 - l64[r]).abs() <= 1e-5 * l64[r].abs(),
                "row {r}"
            );
            assert!(
                (s32[r] as f64 - s64[r]).abs() <= 1e-6 * s64[r].abs(),
                "row {r}"
            );
        }
        let d64: Vec<f64> = (0..rows).map(|r| 0.5 + r as f64).collect();
        let d32: Vec<f32> = d64.iter().map(|&v| v as f32).collect();
        let mut g64 = vec![0f64; z64.len()];
        let mut g32 = vec![0f32; z32.len()];
        multinomial_nll_rows_backward(&z64, &s64, &t64, &d64, &mut g64);
        multinomial_nll_rows_backward(&z32, &s32, &t32, &d32, &mut g32);
        for (i, (&a, &b)) in g32.iter().zip(&g64).enumerate() {
            assert!(
                (a as f64 - b).abs() <= 1e-6 + 1e-5 * b.abs(),
                "element {i}: {a} vs {b}"
            );
        }
    }
}
