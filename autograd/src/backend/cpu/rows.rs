//! Row-wise loops: broadcasting, reductions, column copies, log-softmax, L2 normalisation, gathers.
//! Sums accumulate in f64 so an f32 row of 20,108 logits loses nothing to the summation order.

use super::CpuReal;
use super::{for_each_row, prefetch, PAR_MIN};
use crate::real::Real;
use rayon::prelude::*;

pub(crate) fn add_row_vector<T: Real>(v: &[T], cols: usize, y: &mut [T]) {
    for_each_row(y, cols, |_, row| {
        for (y, &b) in row.iter_mut().zip(v) {
            *y = *y + b
        }
    });
}

fn row_sum<T: Real>(row: &[T]) -> f64 {
    row.iter().map(|x| x.f64()).sum()
}

/// Writes `f(r)` into `out[r]` for every row, in parallel when the rows are `cols` wide and large.
fn per_row<T: Real>(out: &mut [T], cols: usize, f: impl Fn(usize) -> T + Sync + Send) {
    if out.len() * cols >= PAR_MIN {
        out.par_iter_mut()
            .enumerate()
            .with_min_len((PAR_MIN / cols.max(1)).max(1))
            .for_each(|(r, o)| *o = f(r));
    } else {
        out.iter_mut().enumerate().for_each(|(r, o)| *o = f(r));
    }
}

pub(super) fn sum_rows<T: Real>(x: &[T], cols: usize, alpha: f64, s: &mut [T]) {
    per_row(s, cols, |r| {
        T::of(alpha * row_sum(&x[r * cols..(r + 1) * cols]))
    });
}

pub(super) fn sum_cols_acc<T: CpuReal>(x: &[T], cols: usize, beta: f64, s: &mut [T]) {
    if cols == 0 {
        return;
    }
    let rows = x.len() / cols;
    // Each task sums a block of columns down all the rows, in row order, in f64. A block's rows
    // are runs of 2 KiB a whole row apart (80 KB for the output layer's Ȳ), each on a new page
    // where the hardware prefetchers start over, so the run `ROWS_AHEAD` rows on is asked for
    // while this one is added (`hot_ops` `sum_cols_acc`, docs/benchmarks.md).
    const BLOCK: usize = 512;
    const ROWS_AHEAD: usize = 4;
    s.par_chunks_mut(BLOCK).enumerate().for_each(|(b, s)| {
        let c0 = b * BLOCK;
        let run = |r: usize| &x[r * cols + c0..r * cols + c0 + s.len()];
        let mut acc: Vec<f64> = s.iter().map(|v| beta * v.f64()).collect();
        for r in 0..rows {
            if r + ROWS_AHEAD < rows {
                prefetch(run(r + ROWS_AHEAD));
            }
            T::add_into_f64(&mut acc, run(r));
        }
        for (s, a) in s.iter_mut().zip(acc) {
            *s = T::of(a)
        }
    });
}

#[inline(always)]
fn add_widened_of(acc: &mut [f64], x: &[f32]) {
    for (a, v) in acc.iter_mut().zip(x) {
        *a += *v as f64
    }
}

dispatch!(
    /// `acc[j] += x[j]` in f64: baseline x86-64 converts and adds two values an instruction, which
    /// left the column sums of the output layer's gradient (`b̄`) at a third of the memory's speed.
    /// Each `acc[j]` gets the same additions in the same order on every path: the same bits.
    add_widened => add_widened_of(acc: &mut [f64], x: &[f32]) -> ()
);

pub(super) fn broadcast_col<T: Real>(v: &[T], cols: usize, alpha: f64, y: &mut [T]) {
    let alpha = T::of(alpha);
    for_each_row(y, cols, |r, row| row.fill(alpha * v[r]));
}

pub(super) fn copy_cols<T: Real>(
    src: &[T],
    src_cols: usize,
    src_col: usize,
    dst: &mut [T],
    dst_cols: usize,
    dst_col: usize,
    width: usize,
) {
    for_each_row(dst, dst_cols, |r, row| {
        row[dst_col..dst_col + width]
            .copy_from_slice(&src[r * src_cols + src_col..r * src_cols + src_col + width])
    });
}

/// `log Σ_c exp x_c`, shifted by the maximum so no exponential overflows; `−∞` for a row of `−∞`
/// (where the shift would give `exp(−∞ − (−∞)) = NaN`). Shared by the log-softmax and the fused
/// multinomial likelihood, so that both agree on every row.
pub(super) fn log_sum_exp<T: CpuReal>(row: &[T]) -> f64 {
    let max = T::row_max(row);
    if max == T::neg_infinity() {
        return f64::NEG_INFINITY;
    }
    max.f64() + T::exp_sum(row, max).ln()
}

pub(super) fn log_softmax_rows<T: CpuReal>(x: &[T], cols: usize, y: &mut [T]) {
    for_each_row(y, cols, |r, row| {
        let xr = &x[r * cols..(r + 1) * cols];
        let lse = T::of(log_sum_exp(xr));
        for (y, &x) in row.iter_mut().zip(xr) {
            *y = x - lse
        }
    });
}

pub(super) fn log_softmax_rows_backward<T: Real>(y: &[T], dy: &[T], cols: usize, dx: &mut [T]) {
    for_each_row(dx, cols, |r, row| {
        let (yr, dyr) = (&y[r * cols..(r + 1) * cols], &dy[r * cols..(r + 1) * cols]);
        let total = T::of(row_sum(dyr));
        for ((d, &y), &g) in row.iter_mut().zip(yr).zip(dyr) {
            *d = g - y.exp() * total
        }
    });
}

pub(super) fn l2_normalize_rows<T: Real>(
    x: &[T],
    cols: usize,
    eps: f64,
    y: &mut [T],
    norms: &mut [T],
) {
    per_row(norms, cols, |r| {
        let sq: f64 = x[r * cols..(r + 1) * cols]
            .iter()
            .map(|v| v.f64() * v.f64())
            .sum();
        T::of(sq.max(eps).sqrt())
    });
    for_each_row(y, cols, |r, row| {
        for (y, &x) in row.iter_mut().zip(&x[r * cols..]) {
            *y = x / norms[r]
        }
    });
}

/// `x̄_r = (ȳ_r − y_r·⟨y_r, ȳ_r⟩) / n_r`, with `⟨y_r, ȳ_r⟩` taken as 0 where the forward clamped the
/// norm: there `n_r = √ε` is a constant and `y_r = x_r / √ε` is linear in `x_r`. The forward wrote
/// `n_r = √max(‖x_r‖², ε)` rounded to `T`, so a clamped row has exactly `n_r = T(√ε)`; an unclamped
/// row can equal it only within a rounding of the kink, where either side's derivative will do.
pub(super) fn l2_normalize_rows_backward<T: Real>(
    y: &[T],
    norms: &[T],
    dy: &[T],
    cols: usize,
    eps: f64,
    dx: &mut [T],
) {
    let sqrt_eps = T::of(eps.sqrt());
    for_each_row(dx, cols, |r, row| {
        let (yr, dyr) = (&y[r * cols..(r + 1) * cols], &dy[r * cols..(r + 1) * cols]);
        let n = norms[r];
        let dot = if n <= sqrt_eps {
            T::zero()
        } else {
            T::of(yr.iter().zip(dyr).map(|(a, b)| a.f64() * b.f64()).sum())
        };
        for ((d, &y), &g) in row.iter_mut().zip(yr).zip(dyr) {
            *d = (g - y * dot) / n
        }
    });
}

pub(super) fn gather_rows<T: Real>(table: &[T], cols: usize, index: &[u32], y: &mut [T]) {
    for_each_row(y, cols, |r, row| {
        let i = index[r] as usize;
        row.copy_from_slice(&table[i * cols..(i + 1) * cols])
    });
}

pub(super) fn scatter_add_rows<T: Real>(dy: &[T], cols: usize, index: &[u32], table: &mut [T]) {
    // Sequential in row order: a row index may repeat, and a fixed order keeps the sums deterministic.
    for (r, &i) in index.iter().enumerate() {
        let dst = &mut table[i as usize * cols..(i as usize + 1) * cols];
        for (t, &g) in dst.iter_mut().zip(&dy[r * cols..(r + 1) * cols]) {
            *t = *t + g
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sum_cols_acc;

    /// The column sums, on whatever vectors this CPU has and in blocks across threads, have the
    /// bits of the textbook loop: `β·s[j]` then each row's value added in f64, in row order.
    #[test]
    fn column_sums_have_the_bits_of_the_row_ordered_f64_loop() {
        for (rows, cols) in [(1, 1), (3, 7), (500, 1031), (37, 20_108)] {
            let x: Vec<f32> = (0..rows * cols)
                .map(|i| ((i * 7919 % 1013) as f32 - 506.0) * 1.37e-3)
                .collect();
            let start: Vec<f32> = (0..cols).map(|j| j as f32 * 0.25 - 3.0).collect();
            for beta in [0.0, 1.0, -0.5] {
                let mut got = start.clone();
                sum_cols_acc(&x, cols, beta, &mut got);
                for (j, (&g, &s)) in got.iter().zip(&start).enumerate() {
                    let mut want = beta * s as f64;
                    for r in 0..rows {
                        want += x[r * cols + j] as f64;
                    }
                    assert_eq!(
                        g.to_bits(),
                        (want as f32).to_bits(),
                        "{rows}×{cols}, β {beta}, column {j}"
                    );
                }
            }
        }
    }
}
