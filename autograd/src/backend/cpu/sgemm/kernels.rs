//! The register-blocked microkernels of [`super`] and the choice among them.
//!
//! A microkernel computes one `MR × NR` tile of `C` from a sliver of `A` (`MR` rows × `kc`) and a
//! sliver of `B` (`kc` × `NR` columns):
//!
//! ```text
//! for p in 0..kc:                       acc[i][j] += A[i, p] · B[p, j]
//!   b  = the NR values of row p of B    (NR / lanes vector loads)
//!   for i in 0..MR:
//!     acc[i] = fma(broadcast(A[i, p]), b, acc[i])
//! C[tile] = α·acc + β·C[tile]           (β = 0: C is written, never read)
//! ```
//!
//! The `MR · NR / lanes` accumulators stay in vector registers for the whole `kc` loop, so each
//! `B` vector loaded is used `MR` times and each broadcast of `A` `NR / lanes` times: the loop does
//! `MR · NR / lanes` FMAs for `NR / lanes + MR` loads, which is what lets it run at the FMA units'
//! rate rather than the loads'. Every element's sum runs over `p` in order, one fused multiply-add
//! at a time, whatever the tile's position, so an edge tile (computed whole on zero-padded slivers,
//! then cut) rounds exactly as an interior one.
//!
//! A sliver is two strides, not a layout ([`ASliver`], [`BSliver`]): the `B` row of a `p` must be
//! `NR` contiguous values, the `A` values of a `p` may lie anywhere a row step apart. So a packed
//! sliver (`A`: step 1 between rows, `MR` between `p`s; `B`: `NR` between `p`s) and one read in
//! place from a row-major operand (`A`: a row of `A` between rows, 1 between `p`s) run through the
//! same loop, with the same operations in the same order — the same bits.
//!
//! | ISA | tile `MR × NR` | accumulators | registers in the loop |
//! |-----|----------------|--------------|-----------------------|
//! | AVX-512F | 12 × 32 | 24 zmm | 24 + 2 `B` vectors + 1 broadcast (of 32) |
//! | AVX2 + FMA | 6 × 16 | 12 ymm | 12 + 2 `B` + 1 broadcast (of 16) |
//! | portable | 4 × 8 | 32 scalars | whatever the compiler makes of it (SSE2 on x86-64) |
//!
//! The portable kernel multiplies and adds in two roundings (no FMA instruction is assumed), so its
//! results differ from the FMA kernels' in the last bits; each path agrees with itself bit for bit.

use super::super::Isa;
use super::plan::Blocks;

/// Where a kernel reads its `MR × kc` sliver of `A`: `A[i, p]` at `ptr + i·row_step + p·p_step`.
#[derive(Clone, Copy)]
pub(super) struct ASliver {
    pub ptr: *const f32,
    pub row_step: usize,
    pub p_step: usize,
}

/// Where a kernel reads its `kc × NR` sliver of `B`: `B[p, j]` at `ptr + p·p_step + j`.
#[derive(Clone, Copy)]
pub(super) struct BSliver {
    pub ptr: *const f32,
    pub p_step: usize,
}

/// `kernel(kc, a, b, c, rsc, alpha, beta, bias, rows, cols)`: the tile `C[0..rows, 0..cols]` (row
/// stride `rsc`) ← `α · Σ_p A[i, p] · B[p, j] + β · C (+ bias[j])`, with `rows ≤ MR`,
/// `cols ≤ NR`; `bias` null for none.
pub(super) type KernelFn =
    unsafe fn(usize, ASliver, BSliver, *mut f32, usize, f32, f32, *const f32, usize, usize);

/// A microkernel with the block sizes the loops around it use (see the table in [`super`]).
#[derive(Clone, Copy)]
pub(super) struct Kernel {
    /// `MR × NR` is the kernel's tile; `KC`, `MC`, the chunk and `NC` the steps of loops 4, 3
    /// and 5 (see the sizes in [`super`]).
    pub blocks: Blocks,
    pub run: KernelFn,
}

impl Kernel {
    pub fn for_isa(isa: Isa) -> Kernel {
        assert!(
            isa.supported(),
            "this CPU cannot run the {isa:?} GEMM kernel"
        );
        let blocks = |(mr, nr), kc, mc, chunk, nc| Blocks {
            mr,
            nr,
            kc,
            mc,
            chunk,
            nc,
            k_align: 1,
        };
        match isa.f32_path() {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => Kernel {
                blocks: blocks((super::avx512::MR, super::avx512::NR), 1024, 48, 512, 2048),
                run: super::avx512::kernel,
            },
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => Kernel {
                blocks: blocks((super::avx2::MR, super::avx2::NR), 1024, 48, 512, 2048),
                run: super::avx2::kernel,
            },
            _ => Kernel {
                blocks: blocks((PORTABLE_MR, PORTABLE_NR), 256, 64, 256, 4096),
                run: portable_kernel,
            },
        }
    }
}

/// The epilogue of an edge tile, from the accumulators stored row-major with row stride `nr`.
/// Rounds as the vector epilogues do: `α·acc` and `β·C` each rounded, then their sum, then the
/// bias added (as `Y + 1·bᵀ` after the product would).
///
/// # Safety
/// `c` must address a `rows × cols` tile with row stride `rsc`, readable unless `β = 0`; `bias`,
/// unless null, `cols` values.
pub(crate) unsafe fn store_edge(
    acc: &[f32],
    nr: usize,
    c: *mut f32,
    rsc: usize,
    (alpha, beta, bias): (f32, f32, *const f32),
    rows: usize,
    cols: usize,
) {
    for i in 0..rows {
        for j in 0..cols {
            let p = c.add(i * rsc + j);
            let v = alpha * acc[i * nr + j];
            let v = if beta == 0.0 { v } else { v + beta * *p };
            *p = if bias.is_null() { v } else { v + *bias.add(j) };
        }
    }
}

/// `p`, hidden from the optimiser: otherwise it sees that the row pointers are a fixed distance
/// apart and rewrites the row loads as one pointer stepped by `s` — a chain of dependent additions
/// each `p` (twelve on AVX-512), as long as the FMAs themselves. Both x86 microkernels use it.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
// The block reads no memory: the pointer only passes through it.
#[allow(clippy::pointers_in_nomem_asm_block)]
pub(super) fn opaque(p: *const f32) -> *const f32 {
    let mut p = p;
    // SAFETY: an empty instruction string; the pointer passes through a register unchanged.
    unsafe { std::arch::asm!("/* {0} */", inout(reg) p, options(pure, nomem, nostack)) };
    p
}

const PORTABLE_MR: usize = 4;
const PORTABLE_NR: usize = 8;

/// The fallback microkernel in plain Rust, for CPUs with neither AVX2 nor AVX-512.
///
/// # Safety
/// `a` and `b` must address `4 × kc` and `kc × 8` readable values; `c` as in [`store_edge`].
#[allow(clippy::too_many_arguments)]
unsafe fn portable_kernel(
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
    const MR: usize = PORTABLE_MR;
    const NR: usize = PORTABLE_NR;
    let mut acc = [0f32; MR * NR];
    for p in 0..kc {
        let ap = a.ptr.add(p * a.p_step);
        let bp = std::slice::from_raw_parts(b.ptr.add(p * b.p_step), NR);
        for i in 0..MR {
            let ai = *ap.add(i * a.row_step);
            for j in 0..NR {
                acc[i * NR + j] += ai * bp[j];
            }
        }
    }
    store_edge(&acc, NR, c, rsc, (alpha, beta, bias), rows, cols);
}
