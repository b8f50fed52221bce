//! The launch of gpu/kernels/top_k.cu: the best columns of each row and its first NaN, of which only
//! these indices are downloaded.

use super::{launch, rows_config, rows_of, to_u32};
use crate::launch::memory::download;
use crate::{Cuda, CudaBuffer};
use autograd::backend::cpu::top_k;
use autograd::backend::TopK;
use autograd::Result;

/// The longest ranking the kernel keeps in shared memory (`TOP_K_MAX` in top_k.cu).
const TOP_K_MAX: usize = 2048;

/// The kernel's "no NaN in this row".
const NO_NAN: u32 = u32::MAX;

/// `top_k_rows`: the `min(k, cols)` best columns of each row, best first, and each row's first NaN.
/// Rankings longer than the kernel's candidate list are made on the host from downloaded scores.
pub(crate) fn top_k_rows(g: &Cuda, scores: &CudaBuffer, cols: usize, k: usize) -> Result<TopK> {
    const OP: &str = "top_k_rows";
    let rows = rows_of(OP, scores.len(), cols)?;
    let k = k.min(cols);
    if rows == 0 {
        return Ok(TopK {
            k,
            items: Vec::new(),
            first_nan: Vec::new(),
        });
    }
    if k > TOP_K_MAX {
        return Ok(top_k::top_k_rows(&download(g, scores)?, cols, k));
    }
    // Columns below u32::MAX, which means "no NaN".
    to_u32(OP, cols + 1)?;
    let mut out = g.take::<u32>(rows * k + rows)?;
    launch!(g, "top_k_rows", rows_config(rows);
        scores, rows as u64, cols as u64, k as u64, &mut out)?;
    let mut items = download(g, &out)?;
    let first_nan = items
        .split_off(rows * k)
        .into_iter()
        .map(|c| (c != NO_NAN).then_some(c))
        .collect();
    Ok(TopK {
        k,
        items,
        first_nan,
    })
}
