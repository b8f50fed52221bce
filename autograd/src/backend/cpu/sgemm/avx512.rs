//! The AVX-512F microkernel: a 12 × 32 tile of `C` in 24 zmm accumulators (two 16-lane vectors a
//! row). Per `p`: two loads of `B`, twelve broadcasts of `A`, 24 FMAs. 27 of the 32 zmm registers
//! are live in the loop. The twelve `A` values of a `p` are read through three row pointers (rows
//! 0–3, 4–7, 8–11) at offsets `0, s, 2s, 3s` for the sliver's row step `s`, which x86 addressing
//! takes for free, so a sliver read in place costs the same instructions as a packed one.

use std::arch::x86_64::*;

use super::kernels::{opaque, ASliver, BSliver};

pub(super) const MR: usize = 12;
pub(super) const NR: usize = 32;
/// Values in a tile of `C`.
pub(in crate::backend::cpu) const TILE: usize = MR * NR;

/// See [`super::kernels::KernelFn`].
///
/// # Safety
/// The CPU must support AVX-512F; `a` and `b` must address `MR × kc` and `kc × NR` readable values;
/// `c` must address a `rows × cols` tile with row stride `rsc`, readable unless `β = 0`; `bias`,
/// unless null, `cols` values.
#[target_feature(enable = "avx512f")]
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
    let mut acc = [[_mm512_setzero_ps(); 2]; MR];
    // The tile of C is read (or written) only after the k loop: ask for its lines now, so they
    // arrive from memory while the FMAs run (C's rows are a whole row of C apart, which the
    // hardware prefetchers do not follow).
    for i in 0..rows {
        let row = c.add(i * rsc) as *const i8;
        _mm_prefetch::<_MM_HINT_T0>(row);
        _mm_prefetch::<_MM_HINT_T0>(row.add(NR * 4 - 1));
    }
    // Offsets 0, s, 2s, 3s from three row pointers: the addressing modes x86 has (base + index ×
    // {1, 2} and base + a second index), so no address is computed in the loop.
    let (s1, s2, s3) = (a.row_step, 2 * a.row_step, 3 * a.row_step);
    let mut quads = [a.ptr, a.ptr.add(4 * s1), a.ptr.add(8 * s1)].map(opaque);
    let mut bp = b.ptr;
    // The packed sliver of B after this one starts `kc` rows on; ask L2 for the two lines of it
    // that this `p` will want next (a row of 32 values), so the sliver the next tiles read is on
    // its way from L3 while this one is used. Past the buffer's end the hint is dropped.
    let next_sliver = b.p_step * kc;
    for _ in 0..kc {
        _mm_prefetch::<_MM_HINT_T1>(bp.wrapping_add(next_sliver) as *const i8);
        _mm_prefetch::<_MM_HINT_T1>(bp.wrapping_add(next_sliver + 16) as *const i8);
        let b0 = _mm512_loadu_ps(bp);
        let b1 = _mm512_loadu_ps(bp.add(16));
        for (q, rows) in quads.iter().zip(acc.chunks_exact_mut(4)) {
            let values = [*q, q.add(s1), q.add(s2), q.add(s3)];
            for (row, &v) in rows.iter_mut().zip(&values) {
                let ai = _mm512_set1_ps(*v);
                row[0] = _mm512_fmadd_ps(ai, b0, row[0]);
                row[1] = _mm512_fmadd_ps(ai, b1, row[1]);
            }
        }
        for q in &mut quads {
            *q = opaque(q.add(a.p_step));
        }
        bp = bp.add(b.p_step);
    }
    store_tile!(acc, c, rsc, (alpha, beta, bias), rows, cols);
}

/// The epilogue of the 12 × 32 AVX-512 kernels, f32 and bf16 (`super::super::bgemm`), written once:
/// the tile `C[0..rows, 0..cols]` ← `α·acc + β·C (+ bias)`, each step rounded, as `store_edge` does
/// it: in place for a whole tile, through a buffer and `store_edge` for an edge tile. A macro, not a
/// function, so that it is part of the kernel (a `#[target_feature]` function cannot be forced
/// inline, and a call would spill the 24 accumulators).
///
/// Used in an `unsafe` AVX-512F context: `acc: [[__m512; 2]; MR]`; `c` addresses a `rows × cols`
/// tile (`rows ≤ MR`, `cols ≤ NR`) with row stride `rsc`, readable unless `β = 0`; `bias`, unless
/// null, `cols` values.
macro_rules! store_tile {
    ($acc:expr, $c:expr, $rsc:expr, ($alpha:expr, $beta:expr, $bias:expr), $rows:expr, $cols:expr) => {{
        let (acc, c, rsc, alpha, beta, bias, rows, cols) =
            (&$acc, $c, $rsc, $alpha, $beta, $bias, $rows, $cols);
        let (mr, nr) = (acc.len(), 2 * 16);
        let (va, vb) = (_mm512_set1_ps(alpha), _mm512_set1_ps(beta));
        if rows == mr && cols == nr {
            for (i, row) in acc.iter().enumerate() {
                for (h, &v) in row.iter().enumerate() {
                    let p = c.add(i * rsc + 16 * h);
                    let v = _mm512_mul_ps(va, v);
                    let v = if beta == 0.0 {
                        v
                    } else {
                        _mm512_add_ps(v, _mm512_mul_ps(vb, _mm512_loadu_ps(p)))
                    };
                    let v = if bias.is_null() {
                        v
                    } else {
                        _mm512_add_ps(v, _mm512_loadu_ps(bias.add(16 * h)))
                    };
                    _mm512_storeu_ps(p, v);
                }
            }
        } else {
            let mut tile = [0f32; $crate::backend::cpu::sgemm::avx512::TILE];
            for (i, row) in acc.iter().enumerate() {
                _mm512_storeu_ps(tile.as_mut_ptr().add(i * nr), row[0]);
                _mm512_storeu_ps(tile.as_mut_ptr().add(i * nr + 16), row[1]);
            }
            $crate::backend::cpu::sgemm::kernels::store_edge(
                &tile,
                nr,
                c,
                rsc,
                (alpha, beta, bias),
                rows,
                cols,
            );
        }
    }};
}
pub(in crate::backend::cpu) use store_tile;
