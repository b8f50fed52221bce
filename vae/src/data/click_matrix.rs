//! `(uid, sid)` clicks to a CSR click matrix, as the notebook's
//! `sparse.csr_matrix((np.ones_like(rows), (rows, cols)), shape=...)`: one 1.0 per click, repeated
//! clicks summed.

use autograd::CsrMatrix;

use super::split::Click;

/// The `rows × cols` matrix with a 1.0 at `(uid − first_uid, sid)` for every click; `uid` must lie in
/// `first_uid..first_uid + rows` (checked by the caller), `sid` is checked against `cols` by
/// [`CsrMatrix::new`].
pub(crate) fn click_matrix(
    rows: usize,
    cols: usize,
    first_uid: u32,
    clicks: &[Click],
) -> autograd::Result<CsrMatrix<f32>> {
    // Counting sort by row: O(nnz) and one pass, where sorting triplets would take 3× the memory.
    let mut indptr = vec![0usize; rows + 1];
    for &(u, _) in clicks {
        indptr[(u - first_uid) as usize + 1] += 1;
    }
    for r in 0..rows {
        indptr[r + 1] += indptr[r];
    }
    let mut fill = indptr.clone();
    let mut cols_of = vec![0u32; clicks.len()];
    for &(u, s) in clicks {
        let r = (u - first_uid) as usize;
        cols_of[fill[r]] = s;
        fill[r] += 1;
    }
    let mut out_ptr = Vec::with_capacity(rows + 1);
    out_ptr.push(0);
    let mut indices = Vec::with_capacity(clicks.len());
    let mut values: Vec<f32> = Vec::with_capacity(clicks.len());
    for r in 0..rows {
        let row = &mut cols_of[indptr[r]..indptr[r + 1]];
        row.sort_unstable();
        for (k, &c) in row.iter().enumerate() {
            if k > 0 && row[k - 1] == c {
                if let Some(v) = values.last_mut() {
                    *v += 1.0;
                }
            } else {
                indices.push(c);
                values.push(1.0);
            }
        }
        out_ptr.push(indices.len());
    }
    CsrMatrix::new(rows, cols, out_ptr, indices, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_clicks_sum_and_rows_are_sorted() {
        let m = click_matrix(2, 4, 10, &[(11, 3), (10, 2), (11, 0), (11, 3)]).unwrap();
        assert_eq!(m.indptr(), &[0, 1, 3]);
        assert_eq!(m.indices(), &[2, 0, 3]);
        assert_eq!(m.values(), &[1.0, 1.0, 2.0]);
    }

    #[test]
    fn a_column_over_the_item_count_is_an_error() {
        assert!(click_matrix(1, 4, 0, &[(0, 4)]).is_err());
    }
}
