//! Sparse loops: CSR × dense, its transpose product, and the multinomial likelihood on sparse targets.

use super::{for_each_row, PAR_MIN};
use crate::csr::CsrMatrix;
use crate::real::Real;
use rayon::prelude::*;

pub(super) fn csr_matmul<T: Real>(x: &CsrMatrix<T>, b: &[T], n: usize, c: &mut [T]) {
    for_each_row(c, n, |r, row| {
        row.fill(T::zero());
        let (cols, vals) = x.row(r);
        for (&k, &v) in cols.iter().zip(vals) {
            let brow = &b[k as usize * n..(k as usize + 1) * n];
            for (c, &b) in row.iter_mut().zip(brow) {
                *c = *c + v * b
            }
        }
    });
}

/// `C += Xᵀ·D`. Tasks own disjoint column ranges of `C` and each walks the non-zeros in row order, so
/// every element of `C` sums its terms in the same order whatever the number of threads.
pub(super) fn csr_t_matmul_acc<T: Real>(x: &CsrMatrix<T>, d: &[T], n: usize, c: &mut [T]) {
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
                for (c, &g) in crow.iter_mut().zip(drow) {
                    *c = *c + v * g
                }
            }
        }
    });
}

/// `(ℓ_u, lse_u)` of one row.
fn nll_row<T: Real>(z: &[T], cols: &[u32], vals: &[T]) -> (f64, f64) {
    let max = z.iter().fold(f64::NEG_INFINITY, |m, x| m.max(x.f64()));
    let mt = T::of(max);
    let lse = max + z.iter().map(|&x| (x - mt).exp().f64()).sum::<f64>().ln();
    let n: f64 = vals.iter().map(|v| v.f64()).sum();
    let dot: f64 = cols
        .iter()
        .zip(vals)
        .map(|(&i, v)| v.f64() * z[i as usize].f64())
        .sum();
    (n * lse - dot, lse)
}

pub(super) fn multinomial_nll_rows<T: Real>(
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

pub(super) fn multinomial_nll_rows_backward<T: Real>(
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
        for (d, &z) in row.iter_mut().zip(&z[r * cols..]) {
            *d = g * n * (z - s).exp()
        }
        for (&i, &v) in c.iter().zip(v) {
            row[i as usize] = row[i as usize] - g * v
        }
    });
}
