//! Packing into the pair layout: `op(A)` and `op(B)`, f32 in memory, rounded to bf16
//! ([`super::bf16::pack`]) as they are copied, two values of `p` to a 32-bit pair.
//!
//! `vdpbf16ps` adds to each f32 lane `j` the products of the two bf16 halves of lane `j` of its
//! operands: `acc[j] += a.odd[j]·b.odd[j]`, then `+= a.even[j]·b.even[j]`. So the microkernel wants,
//! for each pair of `p` (`2q`, `2q + 1`), the `NR` columns of `B` as `NR` pairs — a vector of them
//! per 16 columns — and each of the `MR` rows of `A` as one pair to broadcast:
//!
//! ```text
//! A sliver (MR × kc):  for q in 0..kc/2: [ (A[0,2q], A[0,2q+1]), (A[1,2q], A[1,2q+1]), … MR pairs ]
//! B sliver (kc × NR):  for q in 0..kc/2: [ (B[2q,0], B[2q+1,0]), (B[2q,1], B[2q+1,1]), … NR pairs ]
//! ```
//!
//! (a pair `(even, odd)` is the 32 bits `even | odd << 16`, [`super::bf16::pair`]). It is the f32
//! slivers' order with `p` counted in pairs. A `kc` that is odd (the last `k` block) ends on a pair
//! whose odd half is zero, and rows or columns past the matrix's edge are zero pairs, so the kernel
//! always computes whole tiles of whole pairs.
//!
//! Two shapes of source, whichever operand it is:
//! - lines along `p` (a row-major `A`, a transposed `B`): each line's pairs are adjacent values,
//!   rounded and paired in the line ([`pairs_of_lines`]), then transposed into columns of the
//!   sliver by the f32 GEMM's transpose, the pairs moved as 32-bit values;
//! - rows along the sliver's width (a transposed `A`, a row-major `B`): a pair is the same position
//!   in two rows `2q` and `2q + 1`, and 16 of them are made at once from a vector of each
//!   ([`pairs_of_rows`]).
//!
//! The AMX kernel ([`super::amx`]) reads the same `B` slivers, 16 pair rows (one tile) at a time,
//! and so wants them a whole number of 16 pairs deep: each sliver is `depth` pairs deep, the pairs
//! past `kc` zero ([`b_pair_rows`], [`bt_sliver`]; `depth = kc.div_ceil(2)` on the other paths,
//! no padding). Its `A` tiles take 16 pairs of one row side by side, which the `A` sliver above
//! does not hold; [`a_tiles`] packs `A` for it step by step (16 pairs of `p`), row after row:
//!
//! ```text
//! A tiles (MR × kc):   for s in 0..kc/32: for i in 0..MR: [ (A[i,32s],A[i,32s+1]), … 16 pairs ]
//! ```
//!
//! `simd` picks the AVX-512 form of each loop (the same integer rounding, the same bits; tested in
//! [`super::bf16`]); the portable path packs without it, so that it runs as on a CPU without them.

use super::super::prefetch;
use super::super::sgemm::pack::{lines_to_columns, View};
use super::bf16::pair;

/// Values of a line rounded and paired per pass of [`pairs_of_lines`]: a scratch of 32 lines of
/// 128 pairs is 16 KiB, on the stack.
const LINE_CHUNK: usize = 256;

/// `d[q·w + l] = pair(line_l[2q], line_l[2q + 1])` for lines `l < lines` of `kc` values
/// (`line_l = src + l·ls`), `q < kc.div_ceil(2)`, the odd half of a last lone value zero; lines
/// `lines .. w` are zero pairs.
///
/// # Safety
/// `src` must cover the lines; `d` must hold `kc.div_ceil(2) · w` values; `lines ≤ w ≤ 32`.
pub(super) unsafe fn pairs_of_lines(
    d: *mut u32,
    w: usize,
    src: *const f32,
    ls: usize,
    lines: usize,
    kc: usize,
    simd: bool,
) {
    debug_assert!(lines <= w && w <= 32);
    let kp = kc.div_ceil(2);
    let mut scratch = [0u32; 32 * LINE_CHUNK / 2];
    for c0 in (0..kc).step_by(LINE_CHUNK) {
        let len = LINE_CHUNK.min(kc - c0);
        let pairs = len.div_ceil(2);
        let row = pairs;
        for l in 0..lines {
            line_pairs(
                scratch.as_mut_ptr().add(l * row),
                src.add(l * ls + c0),
                len,
                simd,
            );
        }
        // The pairs are moved, not computed with: the f32 transpose moves their bits unchanged.
        lines_to_columns(
            d.add(c0 / 2 * w).cast(),
            w,
            scratch.as_ptr().cast(),
            row,
            lines,
            pairs,
            simd,
        );
    }
    if lines < w {
        for q in 0..kp {
            for l in lines..w {
                *d.add(q * w + l) = 0;
            }
        }
    }
}

/// `out[q] = pair(line[2q], line[2q + 1])` for `q < len.div_ceil(2)`, the odd half of a last lone
/// value zero.
///
/// # Safety
/// `line` must hold `len` values, `out` `len.div_ceil(2)`; `simd` as in the module's documentation.
unsafe fn line_pairs(out: *mut u32, line: *const f32, len: usize, simd: bool) {
    #[cfg(target_arch = "x86_64")]
    if simd {
        return x86::line_pairs(line, len, out);
    }
    for q in 0..len.div_ceil(2) {
        let odd = if 2 * q + 1 < len {
            *line.add(2 * q + 1)
        } else {
            0.0
        };
        *out.add(q) = pair(*line.add(2 * q), odd);
    }
}

/// `d[q·w + l] = pair(r_2q[l], r_2q+1[l])` for `l < width` and `q` in `pairs` (relative to the
/// sliver's first pair), with `r_p = src + p·rs` the row of `p` (of `kc`; `r_kc` is zeros when `kc`
/// is odd); `l` in `width .. w` are zero pairs.
///
/// # Safety
/// `src` must cover rows `2q, 2q + 1 < kc` over `width` values; `d` must hold `pairs.end · w`
/// values; `width ≤ w`.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn pairs_of_rows(
    d: *mut u32,
    w: usize,
    src: *const f32,
    rs: usize,
    width: usize,
    kc: usize,
    pairs: std::ops::Range<usize>,
    simd: bool,
) {
    debug_assert!(width <= w);
    for q in pairs {
        let even = src.add(2 * q * rs);
        let odd = (2 * q + 1 < kc).then(|| src.add((2 * q + 1) * rs));
        let out = d.add(q * w);
        #[cfg(target_arch = "x86_64")]
        if simd {
            x86::row_pairs(even, odd, width, out, w);
            continue;
        }
        for l in 0..width {
            *out.add(l) = pair(*even.add(l), odd.map_or(0.0, |o| *o.add(l)));
        }
        for l in width..w {
            *out.add(l) = 0;
        }
    }
}

/// Packs `op(A)[i0 .. i0 + rows, p0 .. p0 + kc]` into one sliver of `mr` rows.
///
/// # Safety
/// The view must cover the block; `dst` must hold `kc.div_ceil(2) · mr` values; `rows ≤ mr ≤ 32`.
pub(super) unsafe fn a_sliver(
    dst: *mut u32,
    a: View,
    (i0, rows): (usize, usize),
    (p0, kc): (usize, usize),
    mr: usize,
    simd: bool,
) {
    let src = a.ptr.add(i0 * a.rs + p0 * a.cs);
    if a.cs == 1 {
        // Rows of A are lines along p.
        pairs_of_lines(dst, mr, src, a.rs, rows, kc, simd)
    } else {
        // Aᵀ stored row-major: a row of it (a p) holds the sliver's rows side by side.
        pairs_of_rows(dst, mr, src, a.cs, rows, kc, 0..kc.div_ceil(2), simd)
    }
}

/// Packs pairs `pairs` (rows `2q`, `2q + 1` of the block) of a row-major `B[p0 .. p0 + kc,
/// j0 .. j0 + cols]` into the slivers that hold the block: `cols.div_ceil(nr)` slivers of `nr`
/// columns, `depth · nr` pairs each (`depth ≥ kc.div_ceil(2)`), one after the other. By rows, as
/// the f32 packing ([`super::super::sgemm::pack::b_rows`], which says why), the pair two on asked
/// for. The call that packs the last pair also zeroes pairs `kc.div_ceil(2) .. depth` of every
/// sliver (the padding to a whole step of the AMX kernel).
///
/// # Safety
/// The view must cover the block's rows of `pairs`; `dst` must hold `cols.div_ceil(nr) · depth ·
/// nr` values; `b.cs = 1`.
pub(super) unsafe fn b_pair_rows(
    dst: *mut u32,
    b: View,
    (p0, kc): (usize, usize),
    pairs: std::ops::Range<usize>,
    (j0, cols): (usize, usize),
    (nr, depth): (usize, usize),
    simd: bool,
) {
    debug_assert!(b.cs == 1 && depth >= kc.div_ceil(2));
    let kp = kc.div_ceil(2);
    let block = b.ptr.add(p0 * b.rs + j0);
    if pairs.end == kp {
        for s in 0..cols.div_ceil(nr) {
            std::ptr::write_bytes(dst.add((s * depth + kp) * nr), 0, (depth - kp) * nr);
        }
    }
    for q in pairs {
        for r in 2 * (q + ROWS_AHEAD)..(2 * (q + ROWS_AHEAD + 1)).min(kc) {
            prefetch(std::slice::from_raw_parts(block.add(r * b.rs), cols));
        }
        for s in 0..cols.div_ceil(nr) {
            // Pair row q of sliver s.
            let width = nr.min(cols - s * nr);
            pairs_of_rows(
                dst.add(s * depth * nr),
                nr,
                block.add(s * nr),
                b.rs,
                width,
                kc,
                q..q + 1,
                simd,
            );
        }
    }
}

/// Pairs of rows of `B` ahead that [`b_pair_rows`] asks for (two rows each): as the f32
/// packing's two rows ahead, rounded up to a pair.
const ROWS_AHEAD: usize = 1;

/// Packs `B[p0 .. p0 + kc, j0 .. j0 + cols]` into one sliver of `nr` columns when `Bᵀ` is stored
/// row-major (the `A·Bᵀ` form: the columns of `B` are lines along `p`), `depth ≥ kc.div_ceil(2)`
/// pairs deep, the pairs past `kc` zero.
///
/// # Safety
/// The view must cover the block; `dst` must hold `depth · nr` values; `cols ≤ nr ≤ 32`;
/// `b.rs = 1`.
pub(super) unsafe fn bt_sliver(
    dst: *mut u32,
    b: View,
    (p0, kc): (usize, usize),
    (j0, cols): (usize, usize),
    (nr, depth): (usize, usize),
    simd: bool,
) {
    debug_assert!(b.rs == 1 && depth >= kc.div_ceil(2));
    let kp = kc.div_ceil(2);
    pairs_of_lines(dst, nr, b.ptr.add(j0 * b.cs + p0), b.cs, cols, kc, simd);
    std::ptr::write_bytes(dst.add(kp * nr), 0, (depth - kp) * nr);
}

/// Pairs of `p` in a row of an AMX `A` tile, and in one step of the AMX kernel's `k` loop.
const TILE_PAIRS: usize = super::amx::STEP;

/// Packs `op(A)[i0 .. i0 + rows, p0 .. p0 + kc]` into one sliver of `mr` rows for the AMX kernel
/// ([`super::amx`]), whose `A` tiles take 16 pairs of one row side by side: step by step (16
/// pairs of `p`), each step the sliver's `mr` rows one after the other,
///
/// ```text
/// d[(s·mr + i)·16 + q] = pair(A[i, 32s + 2q], A[i, 32s + 2q + 1])     s < kc.div_ceil(32)
/// ```
///
/// zero past `kc` (the last step's padding) and for rows `rows .. mr`. A row-major `A` gives each
/// row's pairs from adjacent values, 32 values a step ([`line_pairs`], no transpose); a transposed
/// one gives a step's pairs from two rows at a time ([`pairs_of_rows`], `[q][i]`), transposed to
/// `[i][q]` as 32-bit values. Same rounding as every other packing ([`pair`]).
///
/// # Safety
/// The view must cover the block; `dst` must hold `kc.div_ceil(32) · 16 · mr` values;
/// `rows ≤ mr ≤ 32`.
pub(super) unsafe fn a_tiles(
    dst: *mut u32,
    a: View,
    (i0, rows): (usize, usize),
    (p0, kc): (usize, usize),
    mr: usize,
    simd: bool,
) {
    const T: usize = TILE_PAIRS;
    debug_assert!(rows <= mr && mr <= 32);
    let steps = kc.div_ceil(2 * T);
    let src = a.ptr.add(i0 * a.rs + p0 * a.cs);
    if a.cs == 1 {
        for s in 0..steps {
            let c0 = 2 * T * s;
            let len = (kc - c0).min(2 * T);
            for i in 0..mr {
                let out = dst.add((s * mr + i) * T);
                let made = if i < rows {
                    line_pairs(out, src.add(i * a.rs + c0), len, simd);
                    len.div_ceil(2)
                } else {
                    0
                };
                std::ptr::write_bytes(out.add(made), 0, T - made);
            }
        }
    } else {
        let mut scratch = [0u32; T * 32];
        for s in 0..steps {
            let pairs = (kc.div_ceil(2) - s * T).min(T);
            let rows_from = src.add(2 * T * s * a.cs);
            pairs_of_rows(
                scratch.as_mut_ptr(),
                mr,
                rows_from,
                a.cs,
                rows,
                kc - 2 * T * s,
                0..pairs,
                simd,
            );
            scratch[pairs * mr..T * mr].fill(0);
            // The pairs are moved, not computed with (as in pairs_of_lines).
            lines_to_columns(
                dst.add(s * mr * T).cast(),
                T,
                scratch.as_ptr().cast(),
                mr,
                T,
                mr,
                simd,
            );
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::super::bf16::x86::{pairs_of_line, pairs_of_rows};
    use std::arch::x86_64::*;

    /// The pairs of `len` values of a line into `out` (`len.div_ceil(2)` values), 32 values at a
    /// time, the last group's missing values read as zeros (masked loads).
    ///
    /// # Safety
    /// The CPU must have AVX-512F and BW (the path [`crate::backend::cpu::Isa::Avx512Bf16`]);
    /// `line` must hold `len` values, `out` `len.div_ceil(2)`.
    #[target_feature(enable = "avx512f,avx512bw")]
    pub(super) unsafe fn line_pairs(line: *const f32, len: usize, out: *mut u32) {
        for c in (0..len).step_by(32) {
            let n = (len - c).min(32);
            let (lo, hi) = if n == 32 {
                (
                    _mm512_loadu_ps(line.add(c)),
                    _mm512_loadu_ps(line.add(c + 16)),
                )
            } else {
                let m = |k: usize| {
                    if k >= 16 {
                        0xFFFF
                    } else {
                        ((1u32 << k) - 1) as u16
                    }
                };
                (
                    _mm512_maskz_loadu_ps(m(n), line.add(c)),
                    _mm512_maskz_loadu_ps(m(n.saturating_sub(16)), line.add(c + 16)),
                )
            };
            let pairs = pairs_of_line(lo, hi);
            let q = n.div_ceil(2);
            let mask = if q >= 16 {
                0xFFFF
            } else {
                ((1u32 << q) - 1) as u16
            };
            _mm512_mask_storeu_epi32(out.add(c / 2).cast(), mask, pairs);
        }
    }

    /// One pair row: `out[l] = pair(even[l], odd[l])` for `l < width`, zeros for `width ≤ l < w`;
    /// `odd` `None` reads as zeros.
    ///
    /// # Safety
    /// As [`line_pairs`]; `even` and `odd` must hold `width` values, `out` `w`.
    #[target_feature(enable = "avx512f,avx512bw")]
    pub(super) unsafe fn row_pairs(
        even: *const f32,
        odd: Option<*const f32>,
        width: usize,
        out: *mut u32,
        w: usize,
    ) {
        for l in (0..w).step_by(16) {
            let mask = |n: usize| {
                if n >= 16 {
                    0xFFFF
                } else {
                    ((1u32 << n) - 1) as u16
                }
            };
            let load = mask(width.saturating_sub(l));
            let e = _mm512_maskz_loadu_ps(load, even.add(l));
            let o = odd.map_or(_mm512_setzero_ps(), |o| {
                _mm512_maskz_loadu_ps(load, o.add(l))
            });
            _mm512_mask_storeu_epi32(out.add(l).cast(), mask(w - l), pairs_of_rows(e, o));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The packing forms this CPU runs: scalar, and AVX-512 where it has it.
    fn simd_forms() -> Vec<bool> {
        if crate::backend::cpu::Isa::Avx512Bf16.supported() {
            vec![false, true]
        } else {
            vec![false]
        }
    }

    /// A value no packing writes, to see that every word of a sliver is written.
    const UNWRITTEN: u32 = 0xDEAD_BEEF;

    /// `op(A)` of `m × k` from distinct values, stored row-major (`trans` false) or transposed, as
    /// a view and the element function the packing must follow.
    fn matrix(m: usize, k: usize, trans: bool) -> (Vec<f32>, impl Fn(&[f32], usize, usize) -> f32) {
        let v: Vec<f32> = (0..m * k)
            .map(|i| (i as f32 + 0.3) * 1.001f32.powi(i as i32))
            .collect();
        let at =
            move |v: &[f32], i: usize, p: usize| if trans { v[p * m + i] } else { v[i * k + p] };
        (v, at)
    }

    fn view(v: &[f32], m: usize, k: usize, trans: bool) -> View {
        let (rs, cs) = if trans { (1, m) } else { (k, 1) };
        View {
            ptr: v.as_ptr(),
            rs,
            cs,
        }
    }

    /// Every word of an AMX `A` sliver, both storage orders, both packing forms, rows and `k`
    /// short of, at and past a tile step: the pair of `A[i, 32s + 2q]` and the value after it,
    /// zero past `kc` and past `rows`.
    #[test]
    fn a_tiles_hold_each_rows_pairs_step_by_step() {
        let (m, k) = (40, 140);
        for trans in [false, true] {
            let (v, at) = matrix(m, k, trans);
            let a = view(&v, m, k, trans);
            for simd in simd_forms() {
                for (i0, rows) in [(0, 32), (3, 17), (39, 1)] {
                    for (p0, kc) in [
                        (0usize, 1usize),
                        (5, 2),
                        (1, 31),
                        (0, 32),
                        (7, 33),
                        (3, 70),
                        (0, 140),
                    ] {
                        let steps = kc.div_ceil(32);
                        let mut d = vec![UNWRITTEN; steps * 16 * 32];
                        // SAFETY: the block lies in A; d holds steps · 16 · 32 words.
                        unsafe { a_tiles(d.as_mut_ptr(), a, (i0, rows), (p0, kc), 32, simd) };
                        for s in 0..steps {
                            for i in 0..32 {
                                for q in 0..16 {
                                    let value = |p: usize| {
                                        if i < rows && p < kc {
                                            at(&v, i0 + i, p0 + p)
                                        } else {
                                            0.0
                                        }
                                    };
                                    let p = 32 * s + 2 * q;
                                    assert_eq!(
                                        d[(s * 32 + i) * 16 + q],
                                        pair(value(p), value(p + 1)),
                                        "trans {trans} simd {simd} rows {i0}+{rows} k {p0}+{kc}: \
                                         step {s} row {i} pair {q}"
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `B`'s slivers, by rows and by lines, `depth` pairs deep: the pairs of `kc`, then zeros to
    /// the depth, every word written.
    #[test]
    fn b_slivers_are_zero_padded_to_their_depth() {
        let (k, n) = (75, 45);
        let nr = 32;
        for trans in [false, true] {
            // op(B) is k × n: stored k × n (rows) or n × k (lines).
            let (v, at) = matrix(k, n, false);
            let stored: Vec<f32> = if trans {
                (0..n * k).map(|x| at(&v, x % k, x / k)).collect()
            } else {
                v.clone()
            };
            let b = if trans {
                View {
                    ptr: stored.as_ptr(),
                    rs: 1,
                    cs: k,
                }
            } else {
                View {
                    ptr: stored.as_ptr(),
                    rs: n,
                    cs: 1,
                }
            };
            for simd in simd_forms() {
                for (p0, kc) in [(0usize, 1usize), (3, 33), (0, 64), (10, 65)] {
                    let (kp, depth) = (kc.div_ceil(2), kc.div_ceil(32) * 16);
                    let slivers = n.div_ceil(nr);
                    let mut d = vec![UNWRITTEN; slivers * depth * nr];
                    // SAFETY: the blocks lie in B; d holds every sliver, depth pairs deep.
                    unsafe {
                        if trans {
                            for s in 0..slivers {
                                let cols = nr.min(n - s * nr);
                                bt_sliver(
                                    d.as_mut_ptr().add(s * depth * nr),
                                    b,
                                    (p0, kc),
                                    (s * nr, cols),
                                    (nr, depth),
                                    simd,
                                );
                            }
                        } else {
                            // Two calls, as two packing jobs would split the pairs.
                            let half = kp / 2;
                            for pairs in [0..half, half..kp] {
                                b_pair_rows(
                                    d.as_mut_ptr(),
                                    b,
                                    (p0, kc),
                                    pairs,
                                    (0, n),
                                    (nr, depth),
                                    simd,
                                );
                            }
                        }
                    }
                    for s in 0..slivers {
                        for q in 0..depth {
                            for l in 0..nr {
                                let j = s * nr + l;
                                let value = |p: usize| {
                                    if p < kc && j < n {
                                        at(&v, p0 + p, j)
                                    } else {
                                        0.0
                                    }
                                };
                                assert_eq!(
                                    d[(s * depth + q) * nr + l],
                                    pair(value(2 * q), value(2 * q + 1)),
                                    "trans {trans} simd {simd} k {p0}+{kc}: sliver {s} pair {q} column {l}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}
