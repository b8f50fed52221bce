//! Compressed sparse row matrices: the click matrix `X` (users × items) and its mini-batches.
//!
//! Row `r` holds the columns `indices[indptr[r]..indptr[r + 1]]` with the values at the same positions.
//! Columns are `u32` (20,108 items fit many times over; half the memory of `usize`). Within a row the
//! columns are strictly increasing: duplicates are summed by [`CsrMatrix::from_triplets`], and
//! [`CsrMatrix::new`] rejects unsorted rows, so every consumer may rely on the order.

use crate::error::{Error, Result};
use crate::real::Real;
use crate::rng::{keep_scale, keep_threshold, keeps, RngKey};

/// A sparse `rows × cols` matrix in CSR form. Construct it through [`CsrMatrix::new`] or
/// [`CsrMatrix::from_triplets`], which validate every index, so an out-of-range column can never reach
/// a kernel.
#[derive(Debug, Clone, PartialEq)]
pub struct CsrMatrix<T> {
    rows: usize,
    cols: usize,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<T>,
}

impl<T: Copy> CsrMatrix<T> {
    /// Builds a matrix from its three arrays, checking that `indptr` has `rows + 1` non-decreasing
    /// entries starting at 0 and ending at `nnz`, and that every row's columns are increasing and
    /// below `cols`.
    pub fn new(
        rows: usize,
        cols: usize,
        indptr: Vec<usize>,
        indices: Vec<u32>,
        values: Vec<T>,
    ) -> Result<Self> {
        const OP: &str = "CsrMatrix::new";
        if indptr.len() != rows + 1 {
            return Err(Error::shape(
                OP,
                format!(
                    "indptr has {} entries, {rows} rows need {}",
                    indptr.len(),
                    rows + 1
                ),
            ));
        }
        if indices.len() != values.len() {
            return Err(Error::shape(
                OP,
                format!(
                    "{} column indices but {} values",
                    indices.len(),
                    values.len()
                ),
            ));
        }
        if indptr[0] != 0 || indptr[rows] != indices.len() {
            return Err(Error::invalid(
                OP,
                format!(
                    "indptr must run from 0 to nnz = {}, found {}..{}",
                    indices.len(),
                    indptr[0],
                    indptr[rows]
                ),
            ));
        }
        if cols > u32::MAX as usize {
            return Err(Error::invalid(OP, format!("{cols} columns exceed u32")));
        }
        for r in 0..rows {
            let (start, end) = (indptr[r], indptr[r + 1]);
            if start > end || end > indices.len() {
                return Err(Error::invalid(
                    OP,
                    format!(
                        "indptr at row {r} runs {start}..{end}, outside 0..nnz = {} or decreasing",
                        indices.len()
                    ),
                ));
            }
            let row = &indices[start..end];
            for (k, &c) in row.iter().enumerate() {
                if c as usize >= cols {
                    return Err(Error::index(
                        OP,
                        format!("row {r} has column {c}, matrix has {cols} columns"),
                    ));
                }
                if k > 0 && row[k - 1] >= c {
                    return Err(Error::invalid(
                        OP,
                        format!(
                            "row {r}: columns not strictly increasing ({} then {c})",
                            row[k - 1]
                        ),
                    ));
                }
            }
        }
        Ok(CsrMatrix {
            rows,
            cols,
            indptr,
            indices,
            values,
        })
    }

    /// Builds a matrix from `(row, col, value)` triplets in any order; duplicates are summed.
    pub fn from_triplets(rows: usize, cols: usize, triplets: &[(usize, usize, T)]) -> Result<Self>
    where
        T: std::ops::Add<Output = T>,
    {
        const OP: &str = "CsrMatrix::from_triplets";
        for &(r, c, _) in triplets {
            if r >= rows || c >= cols {
                return Err(Error::index(
                    OP,
                    format!("entry ({r}, {c}) outside a {rows} × {cols} matrix"),
                ));
            }
        }
        let mut order: Vec<usize> = (0..triplets.len()).collect();
        order.sort_by_key(|&i| (triplets[i].0, triplets[i].1));
        let mut indptr = vec![0usize; rows + 1];
        let mut indices: Vec<u32> = Vec::with_capacity(triplets.len());
        let mut values: Vec<T> = Vec::with_capacity(triplets.len());
        let mut last: Option<(usize, usize)> = None;
        for i in order {
            let (r, c, v) = triplets[i];
            if last == Some((r, c)) {
                let end = values.len() - 1;
                values[end] = values[end] + v;
                continue;
            }
            last = Some((r, c));
            indptr[r + 1] += 1;
            indices.push(c as u32);
            values.push(v);
        }
        for r in 0..rows {
            indptr[r + 1] += indptr[r];
        }
        Self::new(rows, cols, indptr, indices, values)
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }
    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }
    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }
    /// Row pointers, `rows + 1` entries.
    pub fn indptr(&self) -> &[usize] {
        &self.indptr
    }
    /// Column of each stored entry.
    pub fn indices(&self) -> &[u32] {
        &self.indices
    }
    /// Value of each stored entry.
    pub fn values(&self) -> &[T] {
        &self.values
    }
    /// Mutable values: the sparsity pattern stays fixed, so the matrix stays valid.
    pub fn values_mut(&mut self) -> &mut [T] {
        &mut self.values
    }
    /// The columns and values of row `r`.
    pub fn row(&self, r: usize) -> (&[u32], &[T]) {
        let range = self.indptr[r]..self.indptr[r + 1];
        (&self.indices[range.clone()], &self.values[range])
    }

    /// The rows `rows` (in that order, repeats allowed) as a new matrix: a mini-batch.
    pub fn select_rows(&self, rows: &[usize]) -> Result<Self> {
        let mut indptr = Vec::with_capacity(rows.len() + 1);
        indptr.push(0);
        let nnz: usize = rows
            .iter()
            .map(|&r| self.indptr.get(r + 1).map_or(0, |e| e - self.indptr[r]))
            .sum();
        let mut indices = Vec::with_capacity(nnz);
        let mut values = Vec::with_capacity(nnz);
        for &r in rows {
            if r >= self.rows {
                return Err(Error::index(
                    "CsrMatrix::select_rows",
                    format!("row {r} of a matrix with {} rows", self.rows),
                ));
            }
            let (c, v) = self.row(r);
            indices.extend_from_slice(c);
            values.extend_from_slice(v);
            indptr.push(indices.len());
        }
        Ok(CsrMatrix {
            rows: rows.len(),
            cols: self.cols,
            indptr,
            indices,
            values,
        })
    }

    /// The same pattern with every value mapped (e.g. a cast from f32 to f64).
    pub fn map<U: Copy>(&self, f: impl Fn(T) -> U) -> CsrMatrix<U> {
        CsrMatrix {
            rows: self.rows,
            cols: self.cols,
            indptr: self.indptr.clone(),
            indices: self.indices.clone(),
            values: self.values.iter().map(|&v| f(v)).collect(),
        }
    }

    /// The dense row-major `rows × cols` matrix, zeros where nothing is stored.
    pub fn to_dense(&self, zero: T) -> Vec<T> {
        let mut out = vec![zero; self.rows * self.cols];
        for r in 0..self.rows {
            let (c, v) = self.row(r);
            for (&c, &v) in c.iter().zip(v) {
                out[r * self.cols + c as usize] = v;
            }
        }
        out
    }
}

impl<T: Real> CsrMatrix<T> {
    /// Each row divided by its Euclidean norm `√max(‖x_r‖², ε)`, touching only the stored values: the
    /// sparse form of the op `l2_normalize_rows`, for the encoder's input. Pass the op's ε
    /// (`backend::L2_EPS`) for the same result; `ε` is an argument, as it is of the backend's
    /// primitive.
    pub fn l2_normalize_rows(&self, eps: f64) -> Self {
        let mut out = self.clone();
        for r in 0..self.rows {
            let range = self.indptr[r]..self.indptr[r + 1];
            let sq: f64 = self.values[range.clone()]
                .iter()
                .map(|v| v.f64() * v.f64())
                .sum();
            let norm = T::of(sq.max(eps).sqrt());
            for v in &mut out.values[range] {
                *v = *v / norm;
            }
        }
        out
    }

    /// Inverted dropout on the stored values: entry `(r, c)` is kept with probability `1 − p` by the
    /// same mask as element `r·cols + c` of the dense op `dropout` with this key, and scaled by
    /// `1/q`, `q` the mask's exact keep probability ([`keep_scale`]); dropped entries become explicit zeros (the pattern stays, so nothing is copied).
    pub fn dropout(&self, p: f64, key: RngKey) -> Result<Self> {
        if !(0.0..1.0).contains(&p) {
            return Err(Error::invalid(
                "CsrMatrix::dropout",
                format!("p = {p} is outside [0, 1)"),
            ));
        }
        let threshold = keep_threshold(1.0 - p);
        let scale = T::of(keep_scale(threshold));
        let mut out = self.clone();
        for r in 0..self.rows {
            for k in self.indptr[r]..self.indptr[r + 1] {
                let element = (r * self.cols + self.indices[k] as usize) as u64;
                out.values[k] = if keeps(key, element, threshold) {
                    self.values[k] * scale
                } else {
                    T::zero()
                };
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_triplets_sorts_and_sums_duplicates() {
        let m =
            CsrMatrix::from_triplets(2, 3, &[(1, 2, 1.0), (0, 1, 2.0), (1, 0, 3.0), (1, 2, 4.0)])
                .unwrap();
        assert_eq!(m.indptr(), &[0, 1, 3]);
        assert_eq!(m.indices(), &[1, 0, 2]);
        assert_eq!(m.values(), &[2.0, 3.0, 5.0]);
        assert_eq!(m.to_dense(0.0), vec![0.0, 2.0, 0.0, 3.0, 0.0, 5.0]);
    }

    #[test]
    fn new_rejects_a_column_outside_the_matrix_and_names_it() {
        let err = CsrMatrix::new(1, 3, vec![0, 1], vec![3], vec![1.0]).unwrap_err();
        assert!(err.to_string().contains("row 0 has column 3"), "{err}");
    }

    #[test]
    fn new_rejects_unsorted_rows_and_bad_indptr() {
        assert!(CsrMatrix::new(1, 3, vec![0, 2], vec![2, 1], vec![1.0, 1.0]).is_err());
        assert!(CsrMatrix::new(2, 3, vec![0, 1], vec![0], vec![1.0]).is_err());
        assert!(CsrMatrix::new(1, 3, vec![0, 2], vec![0], vec![1.0]).is_err());
        assert!(CsrMatrix::new(2, 3, vec![0, 100, 1], vec![0], vec![1.0]).is_err());
    }

    #[test]
    fn sparse_normalise_and_dropout_equal_the_dense_ops_on_the_densified_matrix() {
        use crate::{Cpu, Tape, Tensor};
        let m = CsrMatrix::from_triplets(
            3,
            5,
            &[
                (0, 0, 1.0),
                (0, 3, 1.0),
                (0, 4, 2.0),
                (2, 1, 1.0),
                (2, 2, 1.0),
            ],
        )
        .unwrap();
        let key = RngKey::new(9, 4);
        let sparse = m
            .l2_normalize_rows(crate::backend::L2_EPS)
            .dropout(0.5, key)
            .unwrap()
            .to_dense(0.0);
        let cpu = Cpu::<f64>::new();
        let tape = Tape::no_grad(&cpu);
        let x = tape.constant(Tensor::from_vec(&cpu, 3, 5, &m.to_dense(0.0)).unwrap());
        let dense = x
            .l2_normalize_rows()
            .unwrap()
            .dropout(0.5, key, true)
            .unwrap();
        assert_eq!(sparse, dense.value().to_vec().unwrap());
        assert!(m.dropout(1.0, key).is_err());
    }

    #[test]
    fn select_rows_keeps_order_and_rejects_out_of_range() {
        let m = CsrMatrix::from_triplets(3, 2, &[(0, 0, 1.0), (2, 1, 2.0)]).unwrap();
        let b = m.select_rows(&[2, 0]).unwrap();
        assert_eq!(b.to_dense(0.0), vec![0.0, 2.0, 1.0, 0.0]);
        assert!(m.select_rows(&[3]).is_err());
    }
}
