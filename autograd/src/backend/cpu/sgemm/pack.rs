//! Packing: copying a block of `op(A)` or `op(B)` into the order in which the microkernel reads it,
//! so the kernel's loads are sequential and aligned whatever the operand's layout or transpose.
//!
//! A sliver of `A` (`MR` rows × `kc`) is stored `p`-major: `[A[0,p], A[1,p], …, A[MR−1,p]]` for
//! `p = 0, 1, …`; a sliver of `B` (`kc` × `NR` columns) likewise: `[B[p,0], …, B[p,NR−1]]` for each
//! `p`. Rows (columns) past the matrix's edge are zeros, so the kernel always computes a whole tile.
//! A transpose is only a pair of strides here: `Aᵀ` is packed by reading `A` with its strides
//! swapped, never by materialising it.
//!
//! [`job`] runs one packing job of a [`Plan`]: the copies that fill a step's buffers, "pack B
//! (KC × NC) → L3" and the packed slivers of `A` in the nest of [`super`].

use super::super::prefetch;
use super::plan::{Job, PackB, Plan};
use super::Operands;

/// One packing job of step `s` of the f32 GEMM: slivers of `A` or rows (slivers) of `B` into the
/// step's buffer pair.
///
/// # Safety
/// No job may read the buffer the job writes (the tasks that read it last, step `s − 2`'s, are
/// done: what [`Plan::waits`] ensures), and no other job writes the same part of it.
pub(super) unsafe fn job(o: &Operands, plan: &Plan, job: Job) {
    let (mr, nr) = (plan.blocks.mr, plan.blocks.nr);
    let m = plan.m;
    match job {
        Job::PackA {
            s,
            first,
            count,
            slot0,
        } => {
            let st = plan.steps[s];
            let len = mr * st.kc;
            for sl in first..first + count {
                // SAFETY: sliver sl goes to slot sl − slot0, within the buffer's values, and only
                // this job writes it while no job reads the buffer.
                let dst = unsafe {
                    std::slice::from_raw_parts_mut(
                        o.bufs[s % 2].0.get().add((sl - slot0) * len),
                        len,
                    )
                };
                let i0 = sl * mr;
                // SAFETY: av covers op(A) (m × k, length checked by the caller); the sliver is
                // inside.
                unsafe { a_sliver(dst, o.av, (i0, mr.min(m - i0)), (st.p0, st.kc), mr, o.simd) }
            }
        }
        Job::PackB { s, first, count } => {
            let st = plan.steps[s];
            let b_buf = o.bufs[s % 2].1;
            match plan.pack_b {
                // SAFETY: rows first .. first + count of every sliver of the step, within the
                // buffer's values, written by this job alone while no job reads the buffer (as
                // for A); bv covers op(B) (k × n), the rows inside.
                PackB::ByRows => unsafe {
                    b_rows(
                        b_buf.get(),
                        o.bv,
                        (st.p0, st.kc),
                        first..first + count,
                        (st.jc, st.nc),
                        nr,
                    )
                },
                PackB::BySlivers => {
                    let len = nr * st.kc;
                    for sl in first..first + count {
                        // SAFETY: as for A.
                        let dst = unsafe {
                            std::slice::from_raw_parts_mut(b_buf.get().add(sl * len), len)
                        };
                        let j0 = sl * nr;
                        let cols = (st.jc + j0, nr.min(st.nc - j0));
                        // SAFETY: as for A.
                        unsafe { bt_sliver(dst, o.bv, (st.p0, st.kc), cols, nr, o.simd) }
                    }
                }
            }
        }
        Job::Compute { .. } => unreachable!("not a packing job"),
    }
}

/// A read-only strided matrix: element `(r, c)` at `ptr + r·rs + c·cs`.
#[derive(Clone, Copy)]
pub(crate) struct View {
    pub ptr: *const f32,
    pub rs: usize,
    pub cs: usize,
}

impl View {
    /// The address of element `(r, c)`.
    ///
    /// # Safety
    /// The element must lie inside the matrix the view was made from.
    pub unsafe fn at(self, r: usize, c: usize) -> *const f32 {
        self.ptr.add(r * self.rs + c * self.cs)
    }
}

// SAFETY: a view is only read, and the slice it was made from outlives the GEMM that reads it.
unsafe impl Send for View {}
unsafe impl Sync for View {}

/// Packs `A[i0 .. i0 + rows, p0 .. p0 + kc]` into one sliver of `mr` rows (`simd`: see
/// [`lines_to_columns`]).
///
/// # Safety
/// The view must cover the block; `dst` must hold `kc · mr` values; `rows ≤ mr`.
pub(super) unsafe fn a_sliver(
    dst: &mut [f32],
    a: View,
    (i0, rows): (usize, usize),
    (p0, kc): (usize, usize),
    mr: usize,
    simd: bool,
) {
    debug_assert!(dst.len() >= kc * mr && rows <= mr);
    let d = dst.as_mut_ptr();
    if a.cs == 1 {
        // Rows of A are contiguous along p: each becomes a column of the sliver.
        lines_to_columns(d, mr, a.ptr.add(i0 * a.rs + p0), a.rs, rows, kc, simd);
    } else {
        for p in 0..kc {
            let src = a.ptr.add((p0 + p) * a.cs + i0 * a.rs);
            for i in 0..rows {
                *d.add(p * mr + i) = *src.add(i * a.rs);
            }
        }
    }
    if rows < mr {
        for p in 0..kc {
            for i in rows..mr {
                *d.add(p * mr + i) = 0.0;
            }
        }
    }
}

/// Packs rows `p0 + p`, `p` in `rows`, of a row-major `B[.., j0 .. j0 + cols]` into the slivers
/// that hold `B[p0 .. p0 + kc, j0 .. j0 + cols]`: `cols.div_ceil(nr)` slivers of `nr` columns,
/// `kc · nr` values each, one after the other.
///
/// By rows, not by slivers: a sliver's rows lie a whole row of `B` apart (80 KB at the output
/// layer), so a sliver by itself is `kc` runs of 64 bytes, each on its own page, which the
/// prefetchers do not follow; a row of the block is one run of `cols` values. The row
/// [`ROWS_AHEAD`] on is asked for while this one is copied, since the hardware prefetchers stop at
/// every page and a row spans several. Packing by rows was the faster order for both products that
/// pack `B` (docs/benchmarks.md, 2026-12-04, third session).
///
/// # Safety
/// The view must cover rows `p0 + p` of the block; `dst` must hold `cols.div_ceil(nr) · kc · nr`
/// values; `b.cs = 1`; `rows.end ≤ kc`.
pub(super) unsafe fn b_rows(
    dst: *mut f32,
    b: View,
    (p0, kc): (usize, usize),
    rows: std::ops::Range<usize>,
    (j0, cols): (usize, usize),
    nr: usize,
) {
    debug_assert!(b.cs == 1 && rows.end <= kc);
    for p in rows {
        let src = b.ptr.add((p0 + p) * b.rs + j0);
        if p + ROWS_AHEAD < kc {
            prefetch(std::slice::from_raw_parts(src.add(ROWS_AHEAD * b.rs), cols));
        }
        for q in 0..cols.div_ceil(nr) {
            let w = nr.min(cols - q * nr);
            copy_run(src.add(q * nr), dst.add((q * kc + p) * nr), w, nr);
        }
    }
}

/// How many rows of `B` ahead [`b_rows`] asks for: one and two measured alike, none ahead slower
/// (docs/benchmarks.md).
const ROWS_AHEAD: usize = 2;

/// `d[..w] = src[..w]`, `d[w..nr] = 0`: one row of a sliver. A whole row of the vector paths'
/// widths is a copy of constant length, which the compiler makes a few vector moves instead of a
/// call to `memcpy`.
///
/// # Safety
/// `src` must hold `w` values and `d` `nr`; `w ≤ nr`.
#[inline(always)]
unsafe fn copy_run(src: *const f32, d: *mut f32, w: usize, nr: usize) {
    match (w == nr, nr) {
        (true, 16) => std::ptr::copy_nonoverlapping(src, d, 16),
        (true, 32) => std::ptr::copy_nonoverlapping(src, d, 32),
        _ => {
            std::ptr::copy_nonoverlapping(src, d, w);
            for j in w..nr {
                *d.add(j) = 0.0;
            }
        }
    }
}

/// Packs `B[p0 .. p0 + kc, j0 .. j0 + cols]` into one sliver of `nr` columns when `Bᵀ` is stored
/// row-major (the `A·Bᵀ` form: the columns of `B` are contiguous along `p`), by a transpose
/// (`simd`: see [`lines_to_columns`]).
///
/// # Safety
/// The view must cover the block; `dst` must hold `kc · nr` values; `cols ≤ nr`; `b.rs = 1`.
pub(super) unsafe fn bt_sliver(
    dst: &mut [f32],
    b: View,
    (p0, kc): (usize, usize),
    (j0, cols): (usize, usize),
    nr: usize,
    simd: bool,
) {
    debug_assert!(dst.len() >= kc * nr && cols <= nr && b.rs == 1);
    let d = dst.as_mut_ptr();
    lines_to_columns(d, nr, b.ptr.add(j0 * b.cs + p0), b.cs, cols, kc, simd);
    if cols < nr {
        for p in 0..kc {
            for j in cols..nr {
                *d.add(p * nr + j) = 0.0;
            }
        }
    }
}

/// `d[p·w + l] = src[l·ls + p]` for `l < lines`, `p < kc`: `lines` contiguous runs of `kc` values
/// written as columns of a `kc × w` block — a transpose, done 8 × 8 in AVX registers with `simd`
/// (a scalar transpose cost a quarter of the `A·Bᵀ` product's time), else one value at a time.
///
/// # Safety
/// `src` must cover the runs; `d` must hold `kc · w` values; `lines ≤ w`.
pub(crate) unsafe fn lines_to_columns(
    d: *mut f32,
    w: usize,
    src: *const f32,
    ls: usize,
    lines: usize,
    kc: usize,
    simd: bool,
) {
    #[cfg(target_arch = "x86_64")]
    if simd && std::arch::is_x86_feature_detected!("avx2") {
        return x86::lines_to_columns(d, w, src, ls, lines, kc);
    }
    lines_to_columns_scalar(d, w, src, ls, (0, lines), (0, kc));
}

/// The scalar transpose of lines `l0..l1`, positions `p0..p1`.
unsafe fn lines_to_columns_scalar(
    d: *mut f32,
    w: usize,
    src: *const f32,
    ls: usize,
    (l0, l1): (usize, usize),
    (p0, p1): (usize, usize),
) {
    for l in l0..l1 {
        let run = src.add(l * ls);
        for p in p0..p1 {
            *d.add(p * w + l) = *run.add(p);
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// [`super::lines_to_columns`] in 8 × 8 blocks: eight loads, the classic unpack / shuffle /
    /// lane-permute transpose, eight (masked, for a last group of fewer than 8 lines) stores.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn lines_to_columns(
        d: *mut f32,
        w: usize,
        src: *const f32,
        ls: usize,
        lines: usize,
        kc: usize,
    ) {
        let full = kc / 8 * 8;
        for l0 in (0..lines).step_by(8) {
            let g = (lines - l0).min(8);
            let mask = _mm256_cmpgt_epi32(
                _mm256_set1_epi32(g as i32),
                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
            );
            for p0 in (0..full).step_by(8) {
                let mut r = [_mm256_setzero_ps(); 8];
                for (l, v) in r.iter_mut().enumerate().take(g) {
                    *v = _mm256_loadu_ps(src.add((l0 + l) * ls + p0));
                }
                let r = transpose8(r);
                for (q, &v) in r.iter().enumerate() {
                    let out = d.add((p0 + q) * w + l0);
                    if g == 8 {
                        _mm256_storeu_ps(out, v);
                    } else {
                        _mm256_maskstore_ps(out, mask, v);
                    }
                }
            }
            super::lines_to_columns_scalar(d, w, src, ls, (l0, l0 + g), (full, kc));
        }
    }

    #[inline(always)]
    unsafe fn transpose8(r: [__m256; 8]) -> [__m256; 8] {
        let t0 = _mm256_unpacklo_ps(r[0], r[1]);
        let t1 = _mm256_unpackhi_ps(r[0], r[1]);
        let t2 = _mm256_unpacklo_ps(r[2], r[3]);
        let t3 = _mm256_unpackhi_ps(r[2], r[3]);
        let t4 = _mm256_unpacklo_ps(r[4], r[5]);
        let t5 = _mm256_unpackhi_ps(r[4], r[5]);
        let t6 = _mm256_unpacklo_ps(r[6], r[7]);
        let t7 = _mm256_unpackhi_ps(r[6], r[7]);
        let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
        let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
        let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
        let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
        let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
        let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
        let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
        let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
        [
            _mm256_permute2f128_ps::<0x20>(u0, u4),
            _mm256_permute2f128_ps::<0x20>(u1, u5),
            _mm256_permute2f128_ps::<0x20>(u2, u6),
            _mm256_permute2f128_ps::<0x20>(u3, u7),
            _mm256_permute2f128_ps::<0x31>(u0, u4),
            _mm256_permute2f128_ps::<0x31>(u1, u5),
            _mm256_permute2f128_ps::<0x31>(u2, u6),
            _mm256_permute2f128_ps::<0x31>(u3, u7),
        ]
    }
}
