//! EASE (Steck 2019, *Embarrassingly Shallow Autoencoders for Sparse Data*, WWW): an item–item
//! weight matrix `B` learned in closed form from the training users' clicks `X` (users × items),
//!
//! `min_B ‖X − X·B‖²_F + λ‖B‖²_F   subject to   diag(B) = 0`   (Eq. 1),
//!
//! whose solution (Eq. 8) is, with the Gram matrix `G = XᵀX`,
//!
//! `P = (G + λI)⁻¹`,   `B = I − P·diagMat(1 ⊘ diag P)`,   so `B_ij = −P_ij / P_jj` (i ≠ j), `B_jj = 0`.
//!
//! A fold-in user `x` is scored by `s = x·B` (Eq. 4 without the diagonal): [`Ease`], through the
//! sparse matmul op, on any backend.
//!
//! How each step is computed, and in what precision:
//! - `G` ([`gram`]), one of two ways, whichever does less work ([`GramMethod::for_clicks`]):
//!   - our f32 GEMM (`Backend::gemm` with `trans_a`) on dense blocks of user rows,
//!     `G ← G + X_bᵀ·X_b`, so memory holds one block, never a users × items matrix: `users·n²`
//!     multiply-adds, at the GEMM's rate;
//!   - or row by row from the clicks, `G_i· = Σ_{u : x_ui ≠ 0} x_ui·X_u·` (each row of `G` the sum
//!     of the click rows of the users who clicked `i`; rows in parallel, each written by one
//!     thread): `Σ_u |X_u|²` multiply-adds, scattered, so each costs more than a GEMM's, but at
//!     ML-20M's 0.4% fill they are some 4,000 times fewer.
//!
//!   Clicks are whole numbers, so every product and partial sum is a whole number, which f32 holds
//!   exactly up to 2²⁴: with every `G_ii = Σ_u x_ui² ≤ 2²⁴` (checked; `|G_ij| ≤ max G_ii`) `G` is
//!   exact, and both ways give the same bits.
//! - `P` ([`invert`]): in f64 (`faer`): the Cholesky factor `G + λI = L·Lᵀ` in place, `L⁻¹`, then
//!   `P = L⁻ᵀ·L⁻¹` written over `L` (each triangular, `n³/3` multiply-adds apiece).
//! - `B` ([`Inverse::weights`]): from `P` in f64, rounded once to f32 for storage and scoring.
//!   [`stationarity_residual`] measures how well a column of `B` (f64 or rounded) satisfies the
//!   optimality condition: the off-diagonal of `(G + λI)·B − G` must vanish (the gradient of the
//!   Lagrangian, `2((G + λI)B − G) + 2·diagMat(μ) = 0`, Steck 2019 §3.1).

use crate::train::{Scorer, TrainError};
use autograd::backend::Gemm;
use autograd::ops::{csr_matmul, SparseTensor};
use autograd::{Backend, Cpu, CsrMatrix, Tape, Tensor};
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::llt::factor::{cholesky_in_place, cholesky_in_place_scratch};
use faer::linalg::matmul::triangular::{matmul, BlockStructure};
use faer::{Accum, Mat, Par};
use rayon::prelude::*;
use std::time::Instant;

type Result<T> = std::result::Result<T, TrainError>;

/// The largest whole number below which every f32 integer is exact.
const F32_EXACT: f64 = (1u64 << 24) as f64;

/// Values of a dense block of user rows (64 MiB of f32): few rows at ML-20M's 20,108 items (834),
/// enough that each GEMM's inner dimension keeps the packed kernel busy.
const BLOCK_VALUES: usize = 16 << 20;

/// The user rows of each dense block [`gram`] multiplies: 64 MiB of them, at most all users.
pub fn block_rows(n_items: usize, users: usize) -> usize {
    (BLOCK_VALUES / n_items.max(1)).clamp(1, users.max(1))
}

/// `G = XᵀX`, row-major `n × n` (symmetric), exact in f32.
pub struct Gram {
    pub n: usize,
    pub values: Vec<f32>,
    /// How it was computed.
    pub method: GramMethod,
}

/// The two ways [`gram`] computes `XᵀX` (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GramMethod {
    /// The f32 GEMM on dense blocks of this many user rows.
    DenseGemm { block_rows: usize },
    /// From the click rows, one row of `G` per item.
    SparseRows,
}

/// How many scattered multiply-adds cost one of the GEMM's: a GEMM keeps its operands in
/// registers and caches and runs 16 lanes an instruction, a scattered add loads and stores one.
const SCATTER_COST: f64 = 64.0;

impl GramMethod {
    /// The cheaper way for `train`: the rows when their `Σ_u |X_u|²` multiply-adds, each counted
    /// [`SCATTER_COST`] times, are fewer than the GEMM's `users·n²`.
    pub fn for_clicks(train: &CsrMatrix<f32>) -> Self {
        let (users, n) = (train.rows(), train.cols());
        let dense = users as f64 * (n as f64).powi(2);
        if Self::sparse_multiply_adds(train) * SCATTER_COST < dense {
            GramMethod::SparseRows
        } else {
            GramMethod::DenseGemm {
                block_rows: block_rows(n, users),
            }
        }
    }

    /// `Σ_u |X_u|²`: the multiply-adds of [`GramMethod::SparseRows`].
    pub fn sparse_multiply_adds(train: &CsrMatrix<f32>) -> f64 {
        (0..train.rows())
            .map(|r| (train.row(r).0.len() as f64).powi(2))
            .sum()
    }
}

impl Gram {
    /// Multiply-adds times two of the GEMMs that made it: `2·users·n²`.
    pub fn flops(users: usize, n: usize) -> f64 {
        2.0 * users as f64 * (n as f64).powi(2)
    }
}

/// `G = XᵀX` of `train`, the cheaper way ([`GramMethod::for_clicks`]). Refuses clicks that are not
/// whole and non-negative, or a column whose `Σ_u x_ui²` passes 2²⁴, where the f32 sums would round.
pub fn gram(train: &CsrMatrix<f32>) -> Result<Gram> {
    gram_by(train, GramMethod::for_clicks(train))
}

/// [`gram`] computed the way `method` says.
pub fn gram_by(train: &CsrMatrix<f32>, method: GramMethod) -> Result<Gram> {
    let (users, n) = (train.rows(), train.cols());
    let mut diag = vec![0.0f64; n];
    for r in 0..users {
        let (cols, vals) = train.row(r);
        for (&c, &v) in cols.iter().zip(vals) {
            if v < 0.0 || v.fract() != 0.0 {
                return Err(TrainError::Invalid(format!(
                    "EASE: training user {r} has {v} clicks on item {c}; the Gram matrix is \
                     computed exactly in f32 for whole, non-negative counts only"
                )));
            }
            diag[c as usize] += f64::from(v) * f64::from(v);
        }
    }
    if let Some((i, &g)) = diag.iter().enumerate().find(|(_, &g)| g > F32_EXACT) {
        return Err(TrainError::Invalid(format!(
            "EASE: item {i} has Σ x² = {g} over the training users, past 2²⁴, where the f32 Gram \
             matrix would round"
        )));
    }
    let values = match method {
        GramMethod::DenseGemm { block_rows } => dense_gram(train, block_rows)?,
        GramMethod::SparseRows => sparse_gram(train),
    };
    Ok(Gram { n, values, method })
}

/// `G = Σ_b X_bᵀ·X_b` over dense blocks `X_b` of `block_rows` rows of `train`, by the CPU backend's
/// f32 GEMM.
fn dense_gram(train: &CsrMatrix<f32>, block_rows: usize) -> Result<Vec<f32>> {
    let (users, n) = (train.rows(), train.cols());
    let block_rows = block_rows.clamp(1, users.max(1));
    let cpu = Cpu::<f32>::new();
    let mut g = cpu.zeros(n * n)?;
    let mut block = cpu.zeros(block_rows * n)?;
    for start in (0..users).step_by(block_rows) {
        let rows = block_rows.min(users - start);
        block.fill(0.0);
        for r in 0..rows {
            let (cols, vals) = train.row(start + r);
            for (&c, &v) in cols.iter().zip(vals) {
                block[r * n + c as usize] = v;
            }
        }
        // G ← 1·X_bᵀ·X_b + 1·G; a short last block reads only its `rows` rows.
        let gemm = Gemm {
            m: n,
            n,
            k: rows,
            trans_a: true,
            trans_b: false,
            alpha: 1.0,
            beta: 1.0,
        };
        cpu.gemm(gemm, &block, &block, &mut g)?;
    }
    Ok(g)
}

/// `G_i· = Σ_{u : x_ui ≠ 0} x_ui·X_u·` for every item `i`, rows of `G` in parallel.
fn sparse_gram(train: &CsrMatrix<f32>) -> Vec<f32> {
    let n = train.cols();
    // The users of each item with their clicks (Xᵀ in CSR form), in increasing user order.
    let mut starts = vec![0usize; n + 1];
    for &c in train.indices() {
        starts[c as usize + 1] += 1;
    }
    for i in 0..n {
        starts[i + 1] += starts[i];
    }
    let mut fill = starts.clone();
    let mut users = vec![(0u32, 0f32); train.nnz()];
    for u in 0..train.rows() {
        let (cols, vals) = train.row(u);
        for (&c, &v) in cols.iter().zip(vals) {
            users[fill[c as usize]] = (u as u32, v);
            fill[c as usize] += 1;
        }
    }
    let mut g = vec![0f32; n * n];
    g.par_chunks_mut(n.max(1)).enumerate().for_each(|(i, row)| {
        for &(u, x_ui) in &users[starts[i]..starts[i + 1]] {
            let (cols, vals) = train.row(u as usize);
            for (&j, &x_uj) in cols.iter().zip(vals) {
                row[j as usize] += x_ui * x_uj;
            }
        }
    });
    g
}

/// `P = (G + λI)⁻¹` in f64, symmetric, every entry stored.
pub struct Inverse {
    p: Mat<f64>,
    pub lambda: f64,
}

/// Seconds of [`invert`]'s two steps.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SolveTimes {
    /// `G + λI = L·Lᵀ`.
    pub cholesky: f64,
    /// `L⁻¹`, `P = L⁻ᵀ·L⁻¹`, and `P`'s upper triangle copied from its lower.
    pub inverse: f64,
}

/// `P = (G + λI)⁻¹` through the Cholesky factor, in f64 on all of rayon's threads. Holds `L⁻¹`
/// beside `L` (then `P`, written over `L`): two `n × n` f64 matrices.
pub fn invert(gram: &Gram, lambda: f64) -> Result<(Inverse, SolveTimes)> {
    let n = gram.n;
    let par = Par::rayon(0);
    let started = Instant::now();
    let mut a = Mat::<f64>::from_fn(n, n, |i, j| {
        f64::from(gram.values[i * n + j]) + if i == j { lambda } else { 0.0 }
    });
    let mut scratch = MemBuffer::new(cholesky_in_place_scratch::<f64>(n, par, Default::default()));
    cholesky_in_place(
        a.as_mut(),
        Default::default(),
        par,
        MemStack::new(&mut scratch),
        Default::default(),
    )
    .map_err(|e| {
        TrainError::Invalid(format!(
            "EASE: G + λI is not positive definite at λ = {lambda} ({e:?}); give a larger --lambda"
        ))
    })?;
    let cholesky = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut l_inv = Mat::<f64>::zeros(n, n);
    faer::linalg::triangular_inverse::invert_lower_triangular(l_inv.as_mut(), a.as_ref(), par);
    // P = L⁻ᵀ·L⁻¹: upper triangular times lower, its lower triangle written over L.
    matmul(
        a.as_mut(),
        BlockStructure::TriangularLower,
        Accum::Replace,
        l_inv.transpose(),
        BlockStructure::TriangularUpper,
        l_inv.as_ref(),
        BlockStructure::TriangularLower,
        1.0,
        par,
    );
    drop(l_inv);
    symmetrize_lower(&mut a);
    let inverse = started.elapsed().as_secs_f64();
    Ok((Inverse { p: a, lambda }, SolveTimes { cholesky, inverse }))
}

/// Copies the lower triangle over the upper, tile by tile so both sides stay in cache.
fn symmetrize_lower(a: &mut Mat<f64>) {
    const TILE: usize = 64;
    let n = a.nrows();
    for jb in (0..n).step_by(TILE) {
        for ib in (0..=jb).step_by(TILE) {
            for j in jb..(jb + TILE).min(n) {
                for i in ib..(ib + TILE).min(j) {
                    a[(i, j)] = a[(j, i)];
                }
            }
        }
    }
}

impl Inverse {
    /// Column `j` of `B` in f64: `B_ij = −P_ij / P_jj`, `B_jj = 0`.
    pub fn weight_column(&self, j: usize) -> Vec<f64> {
        let p = self.p.col_as_slice(j);
        let mut b: Vec<f64> = p.iter().map(|&v| -v / p[j]).collect();
        b[j] = 0.0;
        b
    }

    /// `B` row-major in f32. Row `r` is column `r` of `P` (symmetric) divided by the diagonal:
    /// `B_rk = −P_rk / P_kk`, `B_rr = 0`.
    pub fn weights(&self) -> Vec<f32> {
        let n = self.p.nrows();
        let diag: Vec<f64> = (0..n).map(|k| self.p[(k, k)]).collect();
        let mut b = vec![0.0f32; n * n];
        b.par_chunks_mut(n.max(1)).enumerate().for_each(|(r, row)| {
            let p = self.p.col_as_slice(r);
            for (k, w) in row.iter_mut().enumerate() {
                *w = (-p[k] / diag[k]) as f32;
            }
            row[r] = 0.0;
        });
        b
    }
}

/// The optimality residual of column `j` of `B`: `max_{i≠j} |((G + λI)·b − G·e_j)_i|` over the
/// largest magnitude summed into an entry, `max_i (Σ_k |(G + λI)_ik·b_k| + |G_ij|)`. Zero for the
/// exact solution; the rounding of the solve (or of storing `B` in f32) shows here.
pub fn stationarity_residual(gram: &Gram, lambda: f64, j: usize, b: &[f64]) -> f64 {
    let n = gram.n;
    let (worst, scale) = gram
        .values
        .par_chunks(n.max(1))
        .enumerate()
        .map(|(i, row)| {
            let (mut sum, mut mag) = (0.0f64, 0.0f64);
            for (&g, &bk) in row.iter().zip(b) {
                let t = f64::from(g) * bk;
                sum += t;
                mag += t.abs();
            }
            sum += lambda * b[i];
            mag += (lambda * b[i]).abs();
            let g_ij = f64::from(row[j]);
            let off = if i == j { 0.0 } else { (sum - g_ij).abs() };
            (off, mag + g_ij.abs())
        })
        .reduce(|| (0.0, 0.0), |a, b| (a.0.max(b.0), a.1.max(b.1)));
    if scale > 0.0 {
        worst / scale
    } else {
        0.0
    }
}

/// The bytes an EASE fit holds at its peak, estimated before anything is allocated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EaseMemory {
    pub n_items: usize,
    /// `G`, f32, kept for every λ.
    pub gram: f64,
    /// `L` (then `P`) and `L⁻¹`, f64.
    pub solve: f64,
    /// An evaluation batch's scores and their masked copy, f32.
    pub evaluation: f64,
}

impl EaseMemory {
    pub fn new(n_items: usize, eval_rows: usize) -> Self {
        let n2 = (n_items as f64).powi(2);
        EaseMemory {
            n_items,
            gram: 4.0 * n2,
            solve: 2.0 * 8.0 * n2,
            evaluation: 2.0 * 4.0 * eval_rows as f64 * n_items as f64,
        }
    }

    pub fn total(&self) -> f64 {
        self.gram + self.solve + self.evaluation
    }

    /// `~7.5 GiB for 20108 items (G 1.5 GiB f32, ...)`.
    pub fn describe(&self) -> String {
        use crate::train::memory::bytes;
        format!(
            "~{} for {} items (G {} f32, L and L⁻¹ then P {} f64, evaluation batch {})",
            bytes(self.total()),
            self.n_items,
            bytes(self.gram),
            bytes(self.solve),
            bytes(self.evaluation)
        )
    }

    /// Refuses the fit when it needs more than `available` bytes (`None`: unknown, not refused).
    pub fn check(&self, available: Option<f64>) -> Result<()> {
        match available {
            Some(free) if self.total() > free => Err(TrainError::Invalid(format!(
                "EASE needs {} of memory, more than the {} available: its item–item matrices \
                 grow as the square of the {} items; use a machine with more memory, or data \
                 with fewer items",
                self.describe(),
                crate::train::memory::bytes(free),
                self.n_items
            ))),
            _ => Ok(()),
        }
    }
}

/// A fitted EASE: `B` (`n × n`, f32) on the backend that scores with it.
pub struct Ease<B: Backend> {
    weights: Tensor<B>,
    pub lambda: f64,
}

impl<B: Backend<Elem = f32>> Ease<B> {
    /// The model of row-major `weights` (`n × n`).
    pub fn new(backend: &B, n: usize, weights: &[f32], lambda: f64) -> autograd::Result<Self> {
        Ok(Ease {
            weights: Tensor::from_vec(backend, n, n, weights)?,
            lambda,
        })
    }

    pub fn weights(&self) -> &Tensor<B> {
        &self.weights
    }
}

impl<B: Backend<Elem = f32>> Scorer<B> for Ease<B> {
    /// `S = X_fold-in·B`, the fold-in rows sparse.
    fn scores(&self, fold_in: &CsrMatrix<f32>) -> autograd::Result<Tensor<B>> {
        let backend = self.weights.backend();
        let tape = Tape::no_grad(backend);
        let x = SparseTensor::new(backend, fold_in)?;
        Ok(csr_matmul(&x, &tape.constant(self.weights.clone()))?
            .value()
            .clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small click matrix with repeated and empty columns' neighbours: 7 users × 5 items.
    fn clicks() -> CsrMatrix<f32> {
        let rows: [&[usize]; 7] = [
            &[0, 1],
            &[1, 2, 3],
            &[0, 2, 4],
            &[3],
            &[0, 1, 2, 3, 4],
            &[2, 4],
            &[1, 3],
        ];
        let triplets: Vec<_> = rows
            .iter()
            .enumerate()
            .flat_map(|(u, items)| items.iter().map(move |&i| (u, i, 1.0f32)))
            .collect();
        CsrMatrix::from_triplets(rows.len(), 5, &triplets).unwrap()
    }

    /// `(A)⁻¹` by Gauss–Jordan elimination with partial pivoting, in f64.
    fn gauss_jordan_inverse(a: &[f64], n: usize) -> Vec<f64> {
        let mut m: Vec<f64> = Vec::with_capacity(n * 2 * n);
        for i in 0..n {
            m.extend_from_slice(&a[i * n..(i + 1) * n]);
            m.extend((0..n).map(|j| if i == j { 1.0 } else { 0.0 }));
        }
        let w = 2 * n;
        for c in 0..n {
            let pivot = (c..n)
                .max_by(|&x, &y| m[x * w + c].abs().total_cmp(&m[y * w + c].abs()))
                .unwrap();
            for k in 0..w {
                m.swap(c * w + k, pivot * w + k);
            }
            let d = m[c * w + c];
            for k in 0..w {
                m[c * w + k] /= d;
            }
            for r in (0..n).filter(|&r| r != c) {
                let f = m[r * w + c];
                for k in 0..w {
                    m[r * w + k] -= f * m[c * w + k];
                }
            }
        }
        (0..n * n).map(|e| m[(e / n) * w + n + e % n]).collect()
    }

    #[test]
    fn gram_through_blocked_gemm_equals_xt_x() {
        let x = clicks();
        let g = gram(&x).unwrap();
        let dense = x.to_dense(0.0);
        for i in 0..5 {
            for j in 0..5 {
                let direct: f32 = (0..7).map(|u| dense[u * 5 + i] * dense[u * 5 + j]).sum();
                assert_eq!(g.values[i * 5 + j], direct, "G[{i}][{j}]");
            }
        }
    }

    #[test]
    fn the_gram_from_click_rows_equals_the_gemm_one_bit_for_bit() {
        // Counts above 1, empty users and items, and several GEMM blocks.
        let (users, n) = (53, 17);
        let mut triplets = Vec::new();
        for u in 0..users {
            for i in 0..n {
                let h = (u * 31 + i * 17 + u * i) % 11;
                if h < 3 && u % 7 != 3 && i != 5 {
                    triplets.push((u, i, (1 + h) as f32));
                }
            }
        }
        let x = CsrMatrix::from_triplets(users, n, &triplets).unwrap();
        let dense = gram_by(&x, GramMethod::DenseGemm { block_rows: 8 }).unwrap();
        let sparse = gram_by(&x, GramMethod::SparseRows).unwrap();
        assert_eq!(sparse.values, dense.values);
        assert!(dense.values[5 * n..6 * n].iter().all(|&v| v == 0.0));
        assert!(dense.values.iter().any(|&v| v > 1.0));
        assert_eq!(
            GramMethod::sparse_multiply_adds(&x),
            (0..users)
                .map(|u| (x.row(u).0.len() as f64).powi(2))
                .sum::<f64>()
        );
    }

    #[test]
    fn the_gram_is_computed_from_click_rows_where_they_are_sparse_enough() {
        // One click each: 40 multiply-adds by rows against 40·30² by the GEMM.
        let sparse: Vec<_> = (0..40).map(|u| (u, u % 30, 1.0f32)).collect();
        let x = CsrMatrix::from_triplets(40, 30, &sparse).unwrap();
        assert_eq!(GramMethod::for_clicks(&x), GramMethod::SparseRows);
        // Every item clicked by every user: the GEMM.
        let full: Vec<_> = (0..40)
            .flat_map(|u| (0..30).map(move |i| (u, i, 1.0f32)))
            .collect();
        let x = CsrMatrix::from_triplets(40, 30, &full).unwrap();
        assert!(matches!(
            GramMethod::for_clicks(&x),
            GramMethod::DenseGemm { .. }
        ));
    }

    #[test]
    fn ease_weights_match_a_gauss_jordan_solve_to_1e_9_with_a_zero_diagonal() {
        let x = clicks();
        let g = gram(&x).unwrap();
        let n = g.n;
        for lambda in [0.5, 3.0, 50.0] {
            let a: Vec<f64> = (0..n * n)
                .map(|e| f64::from(g.values[e]) + if e / n == e % n { lambda } else { 0.0 })
                .collect();
            let p = gauss_jordan_inverse(&a, n);
            let (inverse, _) = invert(&g, lambda).unwrap();
            let stored = inverse.weights();
            for j in 0..n {
                let b = inverse.weight_column(j);
                assert_eq!(b[j], 0.0, "B[{j}][{j}]");
                assert_eq!(stored[j * n + j], 0.0, "stored B[{j}][{j}]");
                for i in (0..n).filter(|&i| i != j) {
                    let expected = -p[i * n + j] / p[j * n + j];
                    assert!(
                        (b[i] - expected).abs() <= 1e-9,
                        "λ {lambda}: B[{i}][{j}] = {} vs {expected}",
                        b[i]
                    );
                    assert!((f64::from(stored[i * n + j]) - expected).abs() <= 1e-6);
                }
                assert!(stationarity_residual(&g, lambda, j, &b) < 1e-12);
            }
        }
    }

    #[test]
    fn a_perturbed_column_fails_the_stationarity_check() {
        let g = gram(&clicks()).unwrap();
        let (inverse, _) = invert(&g, 2.0).unwrap();
        let mut b = inverse.weight_column(1);
        b[3] += 1e-3;
        assert!(stationarity_residual(&g, 2.0, 1, &b) > 1e-5);
    }

    #[test]
    fn scores_are_the_fold_in_rows_times_b() {
        let g = gram(&clicks()).unwrap();
        let (inverse, _) = invert(&g, 1.0).unwrap();
        let w = inverse.weights();
        let model = Ease::new(&Cpu::<f32>::new(), 5, &w, 1.0).unwrap();
        let fold_in =
            CsrMatrix::from_triplets(2, 5, &[(0, 1, 1.0f32), (0, 4, 1.0), (1, 2, 1.0)]).unwrap();
        let s = model.scores(&fold_in).unwrap().to_vec().unwrap();
        for k in 0..5 {
            assert!((s[k] - (w[5 + k] + w[4 * 5 + k])).abs() < 1e-6);
            assert_eq!(s[5 + k], w[2 * 5 + k]);
        }
    }

    #[test]
    fn a_fit_too_large_for_the_memory_is_refused_naming_the_items() {
        let m = EaseMemory::new(400_000, 2000);
        let err = m
            .check(Some(16.0 * 1024f64.powi(3)))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("400000 items") && err.contains("16.0 GiB available"),
            "{err}"
        );
        assert!(EaseMemory::new(1682, 2000).check(Some(1e9)).is_ok());
    }
}
