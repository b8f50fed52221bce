//! The AVX-512F microkernel: a 12 × 32 tile of `C` in 24 zmm accumulators (two 16-lane vectors a
//! row). Per `p`: two loads of `B`, twelve broadcasts of `A` (which the compiler folds into the FMA
//! as `{1to16}` memory operands), 24 FMAs. 26 of the 32 zmm registers are live in the loop.

use std::arch::x86_64::*;

pub(super) const MR: usize = 12;
pub(super) const NR: usize = 32;

/// See [`super::kernels::KernelFn`].
///
/// # Safety
/// The CPU must support AVX-512F; `a` and `b` must hold `kc · MR` and `kc · NR` values; `c` must
/// address a `rows × cols` tile with row stride `rsc`, readable unless `β = 0`; `bias`, unless null,
/// `cols` values.
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn kernel(
    kc: usize,
    a: *const f32,
    b: *const f32,
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
    let (mut a, mut b) = (a, b);
    for _ in 0..kc {
        let b0 = _mm512_loadu_ps(b);
        let b1 = _mm512_loadu_ps(b.add(16));
        for (i, row) in acc.iter_mut().enumerate() {
            let ai = _mm512_set1_ps(*a.add(i));
            row[0] = _mm512_fmadd_ps(ai, b0, row[0]);
            row[1] = _mm512_fmadd_ps(ai, b1, row[1]);
        }
        a = a.add(MR);
        b = b.add(NR);
    }
    let (va, vb) = (_mm512_set1_ps(alpha), _mm512_set1_ps(beta));
    if rows == MR && cols == NR {
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
        let mut tile = [0f32; MR * NR];
        for (i, row) in acc.iter().enumerate() {
            _mm512_storeu_ps(tile.as_mut_ptr().add(i * NR), row[0]);
            _mm512_storeu_ps(tile.as_mut_ptr().add(i * NR + 16), row[1]);
        }
        super::kernels::store_edge(&tile, NR, c, rsc, (alpha, beta, bias), rows, cols);
    }
}
