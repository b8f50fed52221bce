//! The AVX2 + FMA microkernel: a 6 × 16 tile of `C` in 12 ymm accumulators (two 8-lane vectors a
//! row). Per `p`: two loads of `B`, six broadcasts of `A`, 12 FMAs; 15 of the 16 ymm registers are
//! live in the loop (BLIS's Haswell sgemm uses the same shape).

use std::arch::x86_64::*;

pub(super) const MR: usize = 6;
pub(super) const NR: usize = 16;

/// See [`super::kernels::KernelFn`].
///
/// # Safety
/// The CPU must support AVX2 and FMA; `a` and `b` must hold `kc · MR` and `kc · NR` values; `c`
/// must address a `rows × cols` tile with row stride `rsc`, readable unless `β = 0`; `bias`, unless
/// null, `cols` values.
#[target_feature(enable = "avx2,fma")]
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
    let mut acc = [[_mm256_setzero_ps(); 2]; MR];
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
        let b0 = _mm256_loadu_ps(b);
        let b1 = _mm256_loadu_ps(b.add(8));
        for (i, row) in acc.iter_mut().enumerate() {
            let ai = _mm256_broadcast_ss(&*a.add(i));
            row[0] = _mm256_fmadd_ps(ai, b0, row[0]);
            row[1] = _mm256_fmadd_ps(ai, b1, row[1]);
        }
        a = a.add(MR);
        b = b.add(NR);
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
