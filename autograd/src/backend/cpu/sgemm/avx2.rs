//! The AVX2 + FMA microkernel: a 6 × 16 tile of `C` in 12 ymm accumulators (two 8-lane vectors a
//! row). Per `p`: two loads of `B`, six broadcasts of `A`, 12 FMAs; 15 of the 16 ymm registers are
//! live in the loop (BLIS's Haswell sgemm uses the same shape). The six `A` values of a `p` are read
//! through two row pointers (rows 0–2, 3–5) at offsets `0, s, 2s` for the sliver's row step `s`.

use std::arch::x86_64::*;

use super::kernels::{opaque, ASliver, BSliver};

pub(super) const MR: usize = 6;
pub(super) const NR: usize = 16;

/// See [`super::kernels::KernelFn`].
///
/// # Safety
/// The CPU must support AVX2 and FMA; `a` and `b` must address `MR × kc` and `kc × NR` readable
/// values; `c` must address a `rows × cols` tile with row stride `rsc`, readable unless `β = 0`;
/// `bias`, unless null, `cols` values.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn kernel(
    kc: usize,
    a: ASliver,
    b: BSliver,
    c: *mut f32,
    rsc: usize,
    alpha: f32,
    beta: f32,
    bias: *const f32,
    rows: usize,
    cols: usize,
) {
    let mut acc = [[_mm256_setzero_ps(); 2]; MR];
    // The tile of C is read (or written) only after the k loop: ask for its lines now, so they
    // arrive from memory while the FMAs run (C's rows are a whole row of C apart, which the
    // hardware prefetchers do not follow).
    for i in 0..rows {
        let row = c.add(i * rsc) as *const i8;
        _mm_prefetch::<_MM_HINT_T0>(row);
        _mm_prefetch::<_MM_HINT_T0>(row.add(NR * 4 - 1));
    }
    // Offsets 0, s, 2s from two row pointers (base + index × {1, 2}), so no address is computed in
    // the loop; the pointers are opaque to the optimiser (see `kernels::opaque`).
    let (s1, s2) = (a.row_step, 2 * a.row_step);
    let mut triples = [a.ptr, a.ptr.add(3 * s1)].map(opaque);
    let mut bp = b.ptr;
    // The packed sliver of B after this one starts `kc` rows on; ask L2 for the line of it that
    // this `p` will want next (a row of 16 values is one line), so the sliver the next tiles read
    // is on its way from L3 while this one is used. Past the buffer's end the hint is dropped.
    let next_sliver = b.p_step * kc;
    for _ in 0..kc {
        _mm_prefetch::<_MM_HINT_T1>(bp.wrapping_add(next_sliver) as *const i8);
        let b0 = _mm256_loadu_ps(bp);
        let b1 = _mm256_loadu_ps(bp.add(8));
        for (t, rows) in triples.iter().zip(acc.chunks_exact_mut(3)) {
            let values = [*t, t.add(s1), t.add(s2)];
            for (row, &v) in rows.iter_mut().zip(&values) {
                let ai = _mm256_broadcast_ss(&*v);
                row[0] = _mm256_fmadd_ps(ai, b0, row[0]);
                row[1] = _mm256_fmadd_ps(ai, b1, row[1]);
            }
        }
        for t in &mut triples {
            *t = opaque(t.add(a.p_step));
        }
        bp = bp.add(b.p_step);
    }
    let (va, vb) = (_mm256_set1_ps(alpha), _mm256_set1_ps(beta));
    if rows == MR && cols == NR {
        for (i, row) in acc.iter().enumerate() {
            for (h, &v) in row.iter().enumerate() {
                let p = c.add(i * rsc + 8 * h);
                let v = _mm256_mul_ps(va, v);
                let v = if beta == 0.0 {
                    v
                } else {
                    _mm256_add_ps(v, _mm256_mul_ps(vb, _mm256_loadu_ps(p)))
                };
                let v = if bias.is_null() {
                    v
                } else {
                    _mm256_add_ps(v, _mm256_loadu_ps(bias.add(8 * h)))
                };
                _mm256_storeu_ps(p, v);
            }
        }
    } else {
        let mut tile = [0f32; MR * NR];
        for (i, row) in acc.iter().enumerate() {
            _mm256_storeu_ps(tile.as_mut_ptr().add(i * NR), row[0]);
            _mm256_storeu_ps(tile.as_mut_ptr().add(i * NR + 8), row[1]);
        }
        super::kernels::store_edge(&tile, NR, c, rsc, (alpha, beta, bias), rows, cols);
    }
}
