//! The bf16 microkernels and the choice between them.
//!
//! A microkernel computes one `MR × NR` tile of `C` from a packed sliver of `A` (`MR` rows × `kc`)
//! and one of `B` (`kc` × `NR` columns), both in the pair layout ([`super::pack`]):
//!
//! ```text
//! for q in 0..kc/2:                         a pair of p: 2q, 2q + 1
//!   b  = the NR pairs of B                  (NR / 16 vector loads)
//!   for i in 0..MR:
//!     acc[i] = vdpbf16ps(acc[i], broadcast(pair i of A), b)
//!              = acc[i] + A[i,2q+1]·B[2q+1,·], then + A[i,2q]·B[2q,·]   (two f32 roundings)
//! C[tile] = α·acc + β·C[tile] (+ bias)      as the f32 GEMM's epilogue
//! ```
//!
//! One `vdpbf16ps` does 16 lanes × 2 products: twice the multiply-adds of an f32 FMA on the same
//! 512 bits, for the same loads per accumulator. The register budget is the f32 AVX-512 kernel's:
//! 24 accumulators, 2 vectors of `B`, 1 broadcast.
//!
//! | path | tile `MR × NR` | per pair of `p` |
//! |------|----------------|-----------------|
//! | AMX | 32 × 32 | per 16 pairs: 4 tile loads, 4 `TDPBF16PS` of 16 × 16 × 16 pairs ([`super::amx`]) |
//! | AVX512-BF16 | 12 × 32 | 2 loads of `B`, 12 broadcasts, 24 `vdpbf16ps` |
//! | portable | 4 × 8 | plain Rust, each step as the instruction does it (see [`portable_kernel`]) |
//!
//! The AVX512-BF16 and portable paths take the same `k` blocks (`KC` in [`super`]), so every
//! element of `C` is the same sequence of roundings on either: the same bits (see "Bits" in
//! [`super`]). AMX sums in another order (see [`super::amx_tiles`]), and is held to the error
//! bound instead. It reads `A` in its own layout ([`super::pack::a_tiles`]), so a kernel comes
//! with the packing of `A` it reads; `B` is the same sliver on every path.

use super::super::sgemm::kernels::store_edge;
use super::super::sgemm::pack::View;
use super::super::sgemm::plan::Blocks;
use super::super::Isa;
use super::amx_tiles::Tiles;
use super::bf16::widen;
use super::{amx, pack};

/// `kernel(kc, a, b, c, rsc, alpha, beta, bias, rows, cols)`: the tile `C[0..rows, 0..cols]` (row
/// stride `rsc`) ← `α · Σ_p A[i, p] · B[p, j] + β · C (+ bias[j])` over the `kc.div_ceil(2)` pairs
/// of the packed slivers `a` (`MR` pairs a `p` pair, or AMX's tiles) and `b` (`NR`), with
/// `rows ≤ MR`, `cols ≤ NR`; `bias` null for none.
pub(super) type KernelFn =
    unsafe fn(usize, *const u32, *const u32, *mut f32, usize, f32, f32, *const f32, usize, usize);

/// `pack_a(dst, a, (i0, rows), (p0, kc), mr, simd)`: one sliver of `op(A)`, rows `i0 .. i0 + rows`
/// and `p0 .. p0 + kc`, in the layout the kernel reads ([`pack::a_sliver`], [`pack::a_tiles`]).
pub(super) type PackAFn = unsafe fn(*mut u32, View, (usize, usize), (usize, usize), usize, bool);

/// A microkernel with the block sizes the loops around it use and the packing of `A` it reads.
#[derive(Clone, Copy)]
pub(super) struct Kernel {
    pub blocks: Blocks,
    pub run: KernelFn,
    pub pack_a: PackAFn,
}

/// Block sizes around a kernel of `MR × NR`: `KC` as on every path, `k` blocks a whole number of
/// the kernel's steps (`k_align` values of `p`) but the last.
fn blocks((mr, nr): (usize, usize), mc: usize, chunk: usize, nc: usize, k_align: usize) -> Blocks {
    Blocks {
        mr,
        nr,
        kc: super::KC,
        mc,
        chunk,
        nc,
        k_align,
    }
}

impl Kernel {
    /// The AMX kernel on [`Isa::Amx`] if it passes its first-use check ([`super::amx_check`]),
    /// else (and on [`Isa::Avx512Bf16`]) the AVX512-BF16 kernel, the portable one on every other
    /// path.
    pub fn for_isa(isa: Isa) -> Kernel {
        assert!(
            isa.supported(),
            "this CPU cannot run the {isa:?} GEMM kernel"
        );
        match isa {
            #[cfg(target_arch = "x86_64")]
            Isa::Amx => Kernel::amx_or_fallback::<super::amx_tiles::Hardware>(
                super::amx_check::hardware_passes(),
            ),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512Bf16 => Kernel {
                blocks: blocks(
                    (super::avx512bf16::MR, super::avx512bf16::NR),
                    48,
                    512,
                    2048,
                    2,
                ),
                run: super::avx512bf16::kernel,
                pack_a: pack::a_sliver,
            },
            _ => Kernel {
                blocks: blocks((PORTABLE_MR, PORTABLE_NR), 64, 256, 4096, 2),
                run: portable_kernel,
                pack_a: pack::a_sliver,
            },
        }
    }

    /// The AMX kernel on the tile instructions `T`: the CPU's ([`super::amx_tiles::Hardware`]) or
    /// the emulator's, which the tests and the first-use check run.
    ///
    /// `MC` = 128 rows: a task's packed `A` block (`MC × KC` = 128 × 2,048 bf16) is 512 KiB, a
    /// quarter of a Sapphire Rapids core's 2 MB L2, beside the `B` sliver the block passes
    /// (`KC × NR` = 2,048 × 32 bf16, 128 KiB); and each sliver of `B`, fetched once a task from L3,
    /// serves `MC / MR` = 4 kernel calls, twice the AVX512-BF16 path's `MC` of 48 in rows, since a
    /// call here computes 32 rows where that one computes 12. The chunk (512 columns) and `NC`
    /// (2,048: a `KC × NC` panel of 8 MiB in the shared L3) are the AVX512-BF16 path's. `k`
    /// blocks are whole steps (32 values of `p`). All of this is arithmetic on cache sizes, not a
    /// measurement: no CPU with AMX was at hand.
    pub fn amx<T: Tiles>() -> Kernel {
        Kernel {
            blocks: blocks((amx::MR, amx::NR), 128, 512, 2048, 2 * amx::STEP),
            run: amx::kernel::<T>,
            pack_a: pack::a_tiles,
        }
    }

    /// What [`Isa::Amx`] runs: the AMX kernel on tiles `T` if they `passed` the first-use check,
    /// else the AVX512-BF16 kernel.
    pub fn amx_or_fallback<T: Tiles>(passed: bool) -> Kernel {
        if passed {
            Kernel::amx::<T>()
        } else {
            Kernel::for_isa(Isa::Avx512Bf16)
        }
    }
}

const PORTABLE_MR: usize = 4;
const PORTABLE_NR: usize = 8;

/// `acc + a·b` as one step of `vdpbf16ps` computes it: a fused multiply-add (one rounding to f32),
/// a subnormal result flushed to the zero of its sign. The product of two bf16 values is exact in
/// f64 (16 significant bits, and f64's range), and the f64 sum rounded to f32 is the exactly
/// rounded sum: double rounding through a format of at least `2·24 + 2` bits is innocuous for an
/// addition (Figueroa 1995), so no FMA instruction is needed. Matched against the instruction on
/// Zen 4, bit for bit, over 3.2 million random operands of every exponent, subnormals and overflow
/// included (a scratch program, not kept; the tests compare the two kernels on GEMMs).
#[inline(always)]
pub(super) fn dot_step(acc: f32, a: f32, b: f32) -> f32 {
    let s = (acc as f64 + a as f64 * b as f64) as f32;
    if s.is_subnormal() {
        0f32.copysign(s)
    } else {
        s
    }
}

/// The fallback microkernel in plain Rust, for CPUs without AVX512-BF16 and for the tests: each
/// pair as `vdpbf16ps` takes it, the odd `p` first ([`dot_step`]). The packed operands hold no
/// subnormals (flushed at packing), as the instruction would treat them.
///
/// # Safety
/// `a` and `b` must address `4 · kc.div_ceil(2)` and `8 · kc.div_ceil(2)` pairs; `c` as in
/// [`store_edge`].
#[allow(clippy::too_many_arguments)]
unsafe fn portable_kernel(
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
    const MR: usize = PORTABLE_MR;
    const NR: usize = PORTABLE_NR;
    let halves = |v: u32| (widen(v as u16), widen((v >> 16) as u16));
    let mut acc = [0f32; MR * NR];
    for q in 0..kc.div_ceil(2) {
        let ap = std::slice::from_raw_parts(a.add(q * MR), MR);
        let bp = std::slice::from_raw_parts(b.add(q * NR), NR);
        for i in 0..MR {
            let (a0, a1) = halves(ap[i]);
            for j in 0..NR {
                let (b0, b1) = halves(bp[j]);
                let t = dot_step(acc[i * NR + j], a1, b1);
                acc[i * NR + j] = dot_step(t, a0, b0);
            }
        }
    }
    store_edge(&acc, NR, c, rsc, (alpha, beta, bias), rows, cols);
}
