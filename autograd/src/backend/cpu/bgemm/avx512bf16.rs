//! The AVX512-BF16 microkernel: a 12 × 32 tile of `C` in 24 zmm accumulators (two 16-lane vectors
//! a row), as the f32 AVX-512 kernel ([`super::super::sgemm`]'s `avx512.rs`), each `vdpbf16ps`
//! adding two products a lane where an FMA adds one. Per pair of `p`: two loads of `B`, twelve
//! broadcasts of an `A` pair, 24 `vdpbf16ps`.

use std::arch::x86_64::*;

pub(super) const MR: usize = 12;
pub(super) const NR: usize = 32;

/// See [`super::kernels::KernelFn`].
///
/// # Safety
/// The CPU must support AVX-512F and AVX512-BF16; `a` and `b` must address `MR · kc.div_ceil(2)`
/// and `NR · kc.div_ceil(2)` pairs; `c` must address a `rows × cols` tile with row stride `rsc`,
/// readable unless `β = 0`; `bias`, unless null, `cols` values.
#[target_feature(enable = "avx512f,avx512bf16")]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn kernel(
    kc: usize,
    a: *const u32,
    b: *const u32,
    c: *mut f32,
    rsc: usize,
    alpha: f32,
    beta: f32,
    bias: *const f32,
    rows: usize,
    cols: usize,
) {
    let mut acc = [[_mm512_setzero_ps(); 2]; MR];
    // The tile of C is read (or written) only after the k loop: ask for its lines now (as the f32
    // kernel does).
    for i in 0..rows {
        let row = c.add(i * rsc) as *const i8;
        _mm_prefetch::<_MM_HINT_T0>(row);
        _mm_prefetch::<_MM_HINT_T0>(row.add(NR * 4 - 1));
    }
    let pairs = kc.div_ceil(2);
    let (mut ap, mut bp) = (a, b);
    // The packed sliver of B after this one starts `pairs` pair rows on: its lines are asked for
    // from L2 as this one is read (as the f32 kernel does; past the buffer's end the hint is
    // dropped).
    let next_sliver = NR * pairs;
    for _ in 0..pairs {
        _mm_prefetch::<_MM_HINT_T1>(bp.wrapping_add(next_sliver) as *const i8);
        _mm_prefetch::<_MM_HINT_T1>(bp.wrapping_add(next_sliver + 16) as *const i8);
        let b0: __m512bh = std::mem::transmute(_mm512_loadu_si512(bp.cast()));
        let b1: __m512bh = std::mem::transmute(_mm512_loadu_si512(bp.add(16).cast()));
        for (i, row) in acc.iter_mut().enumerate() {
            let ai: __m512bh = std::mem::transmute(_mm512_set1_epi32(*ap.add(i) as i32));
            row[0] = _mm512_dpbf16_ps(row[0], ai, b0);
            row[1] = _mm512_dpbf16_ps(row[1], ai, b1);
        }
        ap = ap.add(MR);
        bp = bp.add(NR);
    }
    // The f32 AVX-512 kernel's epilogue: α·acc, + β·C, + bias, each rounded, as `store_edge` does.
    super::super::sgemm::avx512::store_tile!(acc, c, rsc, (alpha, beta, bias), rows, cols);
}
