//! ItemKNN (Aiolli 2013; RecBole's `ItemKNN` and its `ComputeSimilarity`): item–item cosine
//! similarity over the training users' clicks `X` (users × items), each item keeping its `k` most
//! similar items. With `x_i` the column of item `i` and the Gram matrix `G = XᵀX`,
//!
//! `s_ij = x_iᵀx_j / (‖x_i‖·‖x_j‖ + shrink) = G_ij / (√(G_ii·G_jj) + shrink)`,   `s_jj` excluded,
//!
//! `W_ij = s_ij` for `i ∈ N_k(j)`, else 0,   where `N_k(j)` are the `k` items `i ≠ j` of largest
//! `s_ij` with `s_ij > 0`,
//!
//! and a fold-in user `x` is scored by `s = x·W`: item `j` scores `Σ_{i ∈ fold-in} x_i·s_ij` over
//! the clicked items that are among `j`'s neighbours.
//!
//! The orientation is RecBole's: `ComputeSimilarity.compute_items_similarity` walks the columns
//! `j` of `XᵀX`, keeps the top `k` of each column and writes them as `W[i, j]`, so `W` has at most
//! `k` entries a *column* (a target item is scored from its own `k` nearest items); a row of `W`
//! (what a clicked item lends) has any number. [`Neighbours`] holds column `j` as list `j`.
//!
//! Where this differs from RecBole, and why:
//! - Ties: items of equal similarity rank the lower item index first, here and at the `k`-th place
//!   (RecBole's `argpartition` leaves that to numpy's introselect). "Equal" is equal in the f64
//!   computed: `G_ij`, `G_ii·G_jj` are whole numbers held exactly, so one square root and one
//!   division round each `s_ij` once, and pairs of the same `G_ij` and `G_ii·G_jj` tie exactly.
//! - RecBole adds `1e-6` to every denominator to avoid `0/0`; here `s_ij` is only computed where
//!   `G_ij > 0`, where the denominator is at least 1, so `s_ij` is the formula's exactly. (An item
//!   with no training clicks has no neighbours and is no one's neighbour.)
//! - Similarities are computed in f64 from the exact f32 Gram matrix (the same as EASE's:
//!   [`super::ease::gram`]) and rounded once to f32 for storage and scoring.
//!
//! The lists are computed once, at the largest `k` of a list: the top `k'` of a column for
//! `k' < k` are the first `k'` of its top `k` (the order above is total), so every smaller `k` is a
//! prefix ([`ItemKnn::from_neighbours`]).

use super::ease::Gram;
use crate::train::{Scorer, TrainError};
use autograd::{Backend, CsrMatrix, Tensor};
use rayon::prelude::*;
use std::cmp::Ordering;

/// `s_ij = G_ij / (√(G_ii·G_jj) + shrink)`, from the exact Gram entries.
pub fn similarity(g_ij: f64, g_ii: f64, g_jj: f64, shrink: f64) -> f64 {
    g_ij / ((g_ii * g_jj).sqrt() + shrink)
}

/// Best first: the larger similarity, then the lower item index. A total order on distinct items.
fn best_first(a: &(u32, f64), b: &(u32, f64)) -> Ordering {
    b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
}

/// `N_k(j)` of every item `j`, with `s_ij` in f64, best first ([`best_first`]).
pub struct Neighbours {
    /// `lists[j]`: `(i, s_ij)` for `i ∈ N_k(j)`.
    lists: Vec<Vec<(u32, f64)>>,
    pub k: usize,
    pub shrink: f64,
}

impl Neighbours {
    /// The top `k` of every column of the similarity matrix of `gram`, columns in parallel. Column
    /// `j` of the symmetric `G` is its row `j`, which is contiguous.
    pub fn of(gram: &Gram, k: usize, shrink: f64) -> Self {
        let n = gram.n;
        let diag: Vec<f64> = (0..n).map(|i| f64::from(gram.values[i * n + i])).collect();
        let lists = (0..n)
            .into_par_iter()
            .map(|j| {
                let column = &gram.values[j * n..(j + 1) * n];
                let mut candidates: Vec<(u32, f64)> = column
                    .iter()
                    .enumerate()
                    .filter(|&(i, &g)| i != j && g > 0.0)
                    .map(|(i, &g)| (i as u32, similarity(f64::from(g), diag[i], diag[j], shrink)))
                    .collect();
                if candidates.len() > k {
                    if k > 0 {
                        candidates.select_nth_unstable_by(k - 1, best_first);
                    }
                    candidates.truncate(k);
                }
                candidates.sort_unstable_by(best_first);
                candidates
            })
            .collect();
        Neighbours { lists, k, shrink }
    }

    /// Items.
    pub fn n(&self) -> usize {
        self.lists.len()
    }

    /// `N_k(j)` with `s_ij`, best first.
    pub fn list(&self, j: usize) -> &[(u32, f64)] {
        &self.lists[j]
    }
}

/// The bytes an ItemKNN fit holds, estimated before anything is allocated: all of them at once,
/// an upper bound of the peak.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KnnMemory {
    pub n_items: usize,
    /// `G`, f32.
    pub gram: f64,
    /// The lists at the largest `k` (`(u32, f64)`, 16 bytes an entry) and one model's `W` by
    /// column (index and value, padded) and by row.
    pub lists: f64,
    /// An evaluation batch's scores and their masked copy, f32.
    pub evaluation: f64,
}

impl KnnMemory {
    pub fn new(n_items: usize, largest_k: usize, eval_rows: usize) -> Self {
        let n = n_items as f64;
        let kept = n * largest_k.min(n_items.saturating_sub(1)) as f64;
        let width = n * largest_k.min(n_items) as f64;
        KnnMemory {
            n_items,
            gram: 4.0 * n * n,
            lists: 16.0 * kept + 8.0 * width + 8.0 * kept,
            evaluation: 2.0 * 4.0 * eval_rows as f64 * n,
        }
    }

    pub fn total(&self) -> f64 {
        self.gram + self.lists + self.evaluation
    }

    /// `~1.6 GiB for 20108 items (G 1.5 GiB f32, ...)`.
    pub fn describe(&self) -> String {
        use crate::train::memory::bytes;
        format!(
            "~{} for {} items (G {} f32, neighbour lists and W {}, evaluation batch {})",
            bytes(self.total()),
            self.n_items,
            bytes(self.gram),
            bytes(self.lists),
            bytes(self.evaluation)
        )
    }

    /// Refuses the fit when it needs more than `available` bytes (`None`: unknown, not refused).
    pub fn check(&self, available: Option<f64>) -> Result<(), TrainError> {
        match available {
            Some(free) if self.total() > free => Err(TrainError::Invalid(format!(
                "ItemKNN needs {} of memory, more than the {} available: its Gram matrix grows as \
                 the square of the {} items; use a machine with more memory, or data with fewer \
                 items",
                self.describe(),
                crate::train::memory::bytes(free),
                self.n_items
            ))),
            _ => Ok(()),
        }
    }
}

/// A fitted ItemKNN: `W`, stored by column as the checkpoint holds it, and by row for scoring.
pub struct ItemKnn<B: Backend> {
    backend: B,
    pub k: usize,
    pub shrink: f64,
    n: usize,
    /// Column `j` of `W` in row `j`, [`ItemKnn::width`] places, best first; a column with fewer
    /// neighbours is padded with its own index and similarity 0, which adds nothing.
    indices: Vec<u32>,
    values: Vec<f32>,
    /// Row `i` of `W` (the `(j, W_ij)` that a click on `i` adds to), at `rows[i]..rows[i + 1]` of
    /// `entries`, `j` increasing.
    rows: Vec<usize>,
    entries: Vec<(u32, f32)>,
}

impl<B: Backend<Elem = f32>> ItemKnn<B> {
    /// Places a column of `W` takes in the checkpoint: `k`, at most `n` (RecBole's
    /// `min(topk, n_columns)`).
    pub fn width(n: usize, k: usize) -> usize {
        k.min(n)
    }

    /// The model of the first `k` of each list of `neighbours` (its own `k` at most).
    pub fn from_neighbours(backend: &B, neighbours: &Neighbours, k: usize) -> Self {
        let n = neighbours.n();
        let width = Self::width(n, k);
        let mut indices = Vec::with_capacity(n * width);
        let mut values = Vec::with_capacity(n * width);
        for j in 0..n {
            let list = &neighbours.list(j)[..neighbours.list(j).len().min(k)];
            indices.extend(list.iter().map(|&(i, _)| i));
            values.extend(list.iter().map(|&(_, s)| s as f32));
            indices.resize(indices.len() + width - list.len(), j as u32);
            values.resize(values.len() + width - list.len(), 0.0);
        }
        Self::from_columns(backend, n, k, neighbours.shrink, indices, values)
    }

    /// The model of a checkpoint's `[n, width]` tensors, checking that every index names an item:
    /// the values are the scoring's, the indices address its output.
    pub fn from_tensors(
        backend: &B,
        n: usize,
        k: usize,
        shrink: f64,
        indices: &[f32],
        values: &[f32],
    ) -> Result<Self, TrainError> {
        let width = Self::width(n, k);
        if indices.len() != n * width || values.len() != n * width {
            return Err(TrainError::Invalid(format!(
                "ItemKNN: {} indices and {} values for {n} items × {width} neighbours",
                indices.len(),
                values.len()
            )));
        }
        let mut items = Vec::with_capacity(indices.len());
        for (place, &v) in indices.iter().enumerate() {
            if !(v >= 0.0 && v.fract() == 0.0 && (v as usize) < n) {
                return Err(TrainError::Invalid(format!(
                    "ItemKNN: neighbour {} of item {} is {v}, not an item index below {n}",
                    place % width,
                    place / width
                )));
            }
            items.push(v as u32);
        }
        Ok(Self::from_columns(
            backend,
            n,
            k,
            shrink,
            items,
            values.to_vec(),
        ))
    }

    /// Builds the row layout from the column one: row `i` gathers `(j, W_ij)` over the columns `j`
    /// that list `i`, in increasing `j`; padding (similarity 0) is left out.
    fn from_columns(
        backend: &B,
        n: usize,
        k: usize,
        shrink: f64,
        indices: Vec<u32>,
        values: Vec<f32>,
    ) -> Self {
        let width = Self::width(n, k);
        let mut rows = vec![0usize; n + 1];
        for (&i, &v) in indices.iter().zip(&values) {
            if v != 0.0 {
                rows[i as usize + 1] += 1;
            }
        }
        for i in 0..n {
            rows[i + 1] += rows[i];
        }
        let mut fill = rows.clone();
        let mut entries = vec![(0u32, 0f32); rows[n]];
        for (place, (&i, &v)) in indices.iter().zip(&values).enumerate() {
            if v != 0.0 {
                entries[fill[i as usize]] = ((place / width) as u32, v);
                fill[i as usize] += 1;
            }
        }
        ItemKnn {
            backend: backend.clone(),
            k,
            shrink,
            n,
            indices,
            values,
            rows,
            entries,
        }
    }

    /// Items.
    pub fn n(&self) -> usize {
        self.n
    }

    /// The non-zero entries of `W`.
    pub fn stored(&self) -> usize {
        self.entries.len()
    }

    /// `[n, width]` item indices as f32 (the checkpoint holds F32 tensors only), exact: below
    /// 2²⁴, as `n` is, or the `n × n` Gram matrix this was fitted from would take a PiB.
    pub fn indices_f32(&self) -> Vec<f32> {
        self.indices.iter().map(|&i| i as f32).collect()
    }

    /// `[n, width]` similarities, matching [`ItemKnn::indices_f32`].
    pub fn values(&self) -> &[f32] {
        &self.values
    }
}

impl<B: Backend<Elem = f32>> Scorer<B> for ItemKnn<B> {
    /// `S = X_fold-in·W`, both sparse: each fold-in click `x_ui` adds `x_ui·W_i·` to row `u`, the
    /// clicks in increasing `i`, users in parallel. A user with no fold-in clicks scores 0 everywhere.
    fn scores(&self, fold_in: &CsrMatrix<f32>) -> autograd::Result<Tensor<B>> {
        let (users, n) = (fold_in.rows(), self.n);
        if fold_in.cols() != n {
            return Err(autograd::Error::Shape {
                op: "ItemKNN scores",
                detail: format!("fold-in of {} items, model of {n}", fold_in.cols()),
            });
        }
        let mut s = vec![0f32; users * n];
        s.par_chunks_mut(n.max(1)).enumerate().for_each(|(u, row)| {
            let (items, clicks) = fold_in.row(u);
            for (&i, &x_ui) in items.iter().zip(clicks) {
                let i = i as usize;
                for &(j, w) in &self.entries[self.rows[i]..self.rows[i + 1]] {
                    row[j as usize] += x_ui * w;
                }
            }
        });
        Tensor::from_vec(&self.backend, users, n, &s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baselines::ease::gram;
    use autograd::Cpu;

    fn clicks(users: usize, n: usize, rows: &[&[usize]]) -> CsrMatrix<f32> {
        let triplets: Vec<_> = rows
            .iter()
            .enumerate()
            .flat_map(|(u, items)| items.iter().map(move |&i| (u, i, 1.0f32)))
            .collect();
        CsrMatrix::from_triplets(users, n, &triplets).unwrap()
    }

    /// 4 users × 4 items. Columns `x_0 = (1,1,0,0)`, `x_1 = (1,1,1,0)`, `x_2 = (0,1,1,1)`,
    /// `x_3 = (0,0,0,1)`: `G_00 = 2`, `G_11 = G_22 = 3`, `G_33 = 1`, `G_01 = 2`, `G_02 = 1`,
    /// `G_12 = 2`, `G_23 = 1`, `G_03 = G_13 = 0`.
    fn four() -> CsrMatrix<f32> {
        clicks(4, 4, &[&[0, 1], &[0, 1, 2], &[1, 2], &[2, 3]])
    }

    fn model(x: &CsrMatrix<f32>, k: usize, shrink: f64) -> ItemKnn<Cpu<f32>> {
        let neighbours = Neighbours::of(&gram(x).unwrap(), k, shrink);
        ItemKnn::from_neighbours(&Cpu::new(), &neighbours, k)
    }

    fn scores(m: &ItemKnn<Cpu<f32>>, fold_in: &CsrMatrix<f32>) -> Vec<f32> {
        m.scores(fold_in).unwrap().to_vec().unwrap()
    }

    #[test]
    fn the_four_item_lists_are_the_hand_computed_cosines_top_k_per_column() {
        let g = gram(&four()).unwrap();
        let (s01, s02, s12, s23) = (
            2.0 / 6f64.sqrt(),
            1.0 / 6f64.sqrt(),
            2.0 / 3.0,
            1.0 / 3f64.sqrt(),
        );
        let all = Neighbours::of(&g, 10, 0.0);
        // Column j: every i ≠ j with G_ij > 0, best first; items 0–3 and 1–3 never co-clicked.
        let expected: [&[(u32, f64)]; 4] = [
            &[(1, s01), (2, s02)],
            &[(0, s01), (2, s12)],
            &[(1, s12), (3, s23), (0, s02)],
            &[(2, s23)],
        ];
        for (j, want) in expected.iter().enumerate() {
            let got = all.list(j);
            assert_eq!(got.len(), want.len(), "column {j}: {got:?}");
            for (&(i, s), &(wi, ws)) in got.iter().zip(want.iter()) {
                assert_eq!(i, wi, "column {j}: {got:?}");
                assert!((s - ws).abs() < 1e-15, "s_{i}{j} = {s}, expected {ws}");
            }
        }
        // k = 1 keeps the top of each column: W_10, W_01, W_12, W_23. Per row, item 2's best would
        // be item 1 (2/3 > 1/√3); per column, item 2 is the best of item 3 but not of item 1, so a
        // user who clicked item 2 is offered item 3 and not item 1.
        let m = model(&four(), 1, 0.0);
        assert_eq!(m.stored(), 4);
        let fold_in = clicks(2, 4, &[&[2], &[0, 1]]);
        let s = scores(&m, &fold_in);
        assert_eq!(&s[..4], &[0.0, 0.0, 0.0, s23 as f32]);
        // Clicks on 0 and 1: item 0 from W_10, item 1 from W_01, item 2 from W_12.
        assert_eq!(&s[4..], &[s01 as f32, s01 as f32, s12 as f32, 0.0]);
    }

    /// `(i, s_ij)` of `N_k(j)` by a dense f64 loop over the columns of `X`: dot products, norms
    /// `√(Σ_u x_ui²)`, all pairs sorted.
    fn brute_force(x: &CsrMatrix<f32>, k: usize, shrink: f64) -> Vec<Vec<(u32, f64)>> {
        let (users, n) = (x.rows(), x.cols());
        let dense: Vec<f64> = x.to_dense(0.0).into_iter().map(f64::from).collect();
        let dense = &dense;
        let col = |i: usize| (0..users).map(move |u| dense[u * n + i]);
        let norm: Vec<f64> = (0..n)
            .map(|i| col(i).map(|v| v * v).sum::<f64>().sqrt())
            .collect();
        (0..n)
            .map(|j| {
                let mut all: Vec<(u32, f64)> = (0..n)
                    .filter(|&i| i != j)
                    .map(|i| {
                        let dot: f64 = col(i).zip(col(j)).map(|(a, b)| a * b).sum();
                        (i as u32, dot / (norm[i] * norm[j] + shrink))
                    })
                    .filter(|&(_, s)| s > 0.0)
                    .collect();
                all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                all.truncate(k);
                all
            })
            .collect()
    }

    #[test]
    fn itemknn_matches_a_dense_f64_brute_force_lists_and_scores() {
        // 40 users × 23 items, clicks of 1–3, an item nobody clicked (7) and a user with none.
        let (users, n) = (40, 23);
        let mut triplets = Vec::new();
        for u in 0..users {
            for i in 0..n {
                let h = (u * 37 + i * 11 + u * i * 3) % 13;
                if h < 4 && i != 7 && u != 9 {
                    triplets.push((u, i, (1 + h % 3) as f32));
                }
            }
        }
        let x = CsrMatrix::from_triplets(users, n, &triplets).unwrap();
        let g = gram(&x).unwrap();
        for (k, shrink) in [(1, 0.0), (4, 0.0), (5, 2.5), (30, 0.0)] {
            let want = brute_force(&x, k, shrink);
            let got = Neighbours::of(&g, k, shrink);
            for (j, want) in want.iter().enumerate() {
                let got = got.list(j);
                let ids = |l: &[(u32, f64)]| l.iter().map(|p| p.0).collect::<Vec<_>>();
                assert_eq!(ids(got), ids(want), "k {k}, shrink {shrink}, column {j}");
                for (a, b) in got.iter().zip(want) {
                    assert!((a.1 - b.1).abs() <= 1e-14, "{a:?} vs {b:?}");
                }
            }
            assert!(
                got.list(7).is_empty(),
                "an item without clicks has no neighbours"
            );
            // Scores of the training users themselves: s_uj = Σ_i x_ui·W_ij.
            let m = ItemKnn::from_neighbours(&Cpu::new(), &got, k);
            let s = scores(&m, &x);
            let dense = x.to_dense(0.0);
            for u in 0..users {
                for (j, list) in want.iter().enumerate() {
                    let expected: f64 = list
                        .iter()
                        .map(|&(i, w)| f64::from(dense[u * n + i as usize]) * w)
                        .sum();
                    let got = f64::from(s[u * n + j]);
                    assert!(
                        (got - expected).abs() <= 1e-6 * expected.max(1.0),
                        "k {k}: s[{u}][{j}] = {got}, expected {expected}"
                    );
                }
            }
            assert!(s[9 * n..10 * n].iter().all(|&v| v == 0.0));
        }
    }

    #[test]
    fn ties_rank_the_lower_item_first_inside_the_list_and_at_the_kth_place() {
        // Items 1, 2, 3 have the same column (users 0 and 1), so each is equally similar to item 0
        // (clicked by users 0, 1, 2): s = 2/√(2·3) for all three.
        let x = clicks(3, 4, &[&[0, 1, 2, 3], &[0, 1, 2, 3], &[0]]);
        let g = gram(&x).unwrap();
        let ids = |l: &[(u32, f64)]| l.iter().map(|p| p.0).collect::<Vec<_>>();
        let s = 2.0 / 6f64.sqrt();
        let three = Neighbours::of(&g, 3, 0.0);
        assert_eq!(three.list(0), &[(1, s), (2, s), (3, s)]);
        assert_eq!(ids(Neighbours::of(&g, 2, 0.0).list(0)), vec![1, 2]);
        assert_eq!(ids(Neighbours::of(&g, 1, 0.0).list(0)), vec![1]);
        // Column 3: items 1 and 2 at cosine 1, then item 0.
        assert_eq!(ids(three.list(3)), vec![1, 2, 0]);
        assert_eq!(ids(Neighbours::of(&g, 1, 0.0).list(3)), vec![1]);
    }

    #[test]
    fn shrink_divides_by_the_norms_plus_shrink_and_favours_the_item_of_more_support() {
        // Item 0 clicked by users 0–3 (‖x_0‖ = 2); item 1 by user 0 only (G_01 = 1, ‖x_1‖ = 1);
        // item 2 by users 1–16 (G_02 = 3, ‖x_2‖ = 4). s_10 = 1/(2 + shrink), s_20 = 3/(8 + shrink):
        // item 1 is item 0's nearest below shrink 1, item 2 above.
        let rows: Vec<Vec<usize>> = (0..17)
            .map(|u| {
                let mut r = Vec::new();
                if u < 4 {
                    r.push(0);
                }
                if u == 0 {
                    r.push(1);
                }
                if (1..17).contains(&u) {
                    r.push(2);
                }
                r
            })
            .collect();
        let rows: Vec<&[usize]> = rows.iter().map(Vec::as_slice).collect();
        let g = gram(&clicks(17, 3, &rows)).unwrap();
        assert_eq!(Neighbours::of(&g, 1, 0.0).list(0), &[(1, 0.5)]);
        assert_eq!(Neighbours::of(&g, 1, 0.5).list(0), &[(1, 1.0 / 2.5)]);
        assert_eq!(Neighbours::of(&g, 1, 10.0).list(0), &[(2, 3.0 / 18.0)]);
        assert_eq!(
            Neighbours::of(&g, 2, 10.0).list(0),
            &[(2, 3.0 / 18.0), (1, 1.0 / 12.0)]
        );
    }

    #[test]
    fn a_user_without_fold_in_clicks_scores_zero_for_every_item() {
        let m = model(&four(), 2, 0.0);
        let fold_in = clicks(3, 4, &[&[], &[3], &[]]);
        let s = scores(&m, &fold_in);
        assert_eq!(&s[..4], &[0.0; 4]);
        assert_eq!(&s[8..], &[0.0; 4]);
        assert!(s[4..8].iter().any(|&v| v > 0.0));
    }

    #[test]
    fn the_lists_of_a_smaller_k_are_prefixes_of_the_largest_k_lists() {
        let g = gram(&four()).unwrap();
        let largest = Neighbours::of(&g, 3, 0.0);
        for k in 1..=3 {
            let direct = model(&four(), k, 0.0);
            let prefix = ItemKnn::from_neighbours(&Cpu::new(), &largest, k);
            assert_eq!(prefix.indices_f32(), direct.indices_f32(), "k {k}");
            assert_eq!(prefix.values(), direct.values(), "k {k}");
        }
    }

    #[test]
    fn a_fit_too_large_for_the_memory_is_refused_naming_the_items() {
        // 400,000 items: G alone is 4·1.6e11 bytes.
        let m = KnnMemory::new(400_000, 100, 2000);
        assert_eq!(m.gram, 6.4e11);
        let err = m
            .check(Some(16.0 * 1024f64.powi(3)))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("ItemKNN needs ~")
                && err.contains("400000 items")
                && err.contains("16.0 GiB available"),
            "{err}"
        );
        // ML-1M's shape at k = 400: G 4·3494², 3494·400 entries of 16 (lists) + 8 (by column) + 8
        // (by row) bytes, two f32 batches of 603 users.
        let m = KnnMemory::new(3494, 400, 603);
        assert_eq!(
            (m.gram, m.lists, m.evaluation),
            (48_832_144.0, 44_723_200.0, 16_855_056.0)
        );
        assert!(m.check(Some(1e9)).is_ok());
        assert!(m.check(None).is_ok());
    }

    #[test]
    fn a_model_read_back_from_its_tensors_scores_the_same_and_bad_indices_are_refused() {
        let m = model(&four(), 2, 0.0);
        assert_eq!(m.values().len(), 4 * 2);
        let back =
            ItemKnn::from_tensors(&Cpu::new(), 4, 2, 0.0, &m.indices_f32(), m.values()).unwrap();
        let fold_in = clicks(2, 4, &[&[0, 3], &[1, 2]]);
        assert_eq!(scores(&back, &fold_in), scores(&m, &fold_in));
        let mut bad = m.indices_f32();
        bad[3] = 4.0;
        let err = ItemKnn::from_tensors(&Cpu::new(), 4, 2, 0.0, &bad, m.values())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("neighbour 1 of item 1 is 4"), "{err}");
    }
}
