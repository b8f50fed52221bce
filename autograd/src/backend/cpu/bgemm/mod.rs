//! A GEMM on bf16 operands with f32 sums: `C ← α·op(A)·op(B) + β·C (+ 1·biasᵀ)`, `A`, `B` and `C`
//! f32 in memory, `A` and `B` rounded to bf16 ([`bf16`]) as they are packed, every product summed
//! in f32 by `vdpbf16ps` (AVX512-BF16), by the portable kernel that gives the same bits, or by
//! AMX's `TDPBF16PS` on tiles ([`amx`]; not run on a CPU with AMX yet, see "AMX" below).
//!
//! # Why
//! A bf16 has the f32 exponent and 8 bits of significand. A product of two is exact in f32, and
//! `vdpbf16ps` adds two of them into each f32 lane where an FMA adds one: twice the multiply-adds
//! per instruction, on operands half as wide, so packed slivers twice as deep in the same cache.
//! Parameters, Adam's moments, the softmax and the loss stay f32; only the GEMMs' operands are
//! rounded, once per product. Which GEMMs take this path: those of a CPU backend made with bf16
//! GEMM precision (`Backend::with_gemm_precision`), every dense layer's and `matmul`'s, forward
//! and backward; at the Mult-VAE's shapes each of them is faster in bf16 (docs/benchmarks.md).
//!
//! # The loop nest
//! The f32 GEMM's ([`super::sgemm`]), shared, not copied: the plan of loops 5–3
//! ([`super::sgemm::plan::Plan`]), the ordered jobs and their waits
//! ([`super::sgemm::schedule::run_plan`]), loops 2 and 1 ([`super::sgemm::task::for_each_tile`]).
//! What differs is the packing and the microkernel:
//! - both operands are always packed (the rounding to bf16 happens there; no sliver of `A` is read
//!   in place), into the pair layout [`pack`] describes: `p` in pairs, the two values of a pair in
//!   one 32-bit word, as `vdpbf16ps` and `TDPBF16PS` take them; `B` in the same slivers on every
//!   path, `A` in slivers of pairs or, for AMX, in rows of tiles (each kernel comes with the
//!   packing of `A` it reads);
//! - `k` blocks are a whole number of the kernel's steps ([`super::sgemm::plan::Blocks::k_align`]
//!   = 2 values of `p`, AMX's 32), but the last, whose slivers are padded with zero pairs to a
//!   whole step (AMX's only: a step of the others is one pair);
//! - `KC` = 2,048 values of `k`: a `B` sliver (`KC × NR` = 2,048 × 32 bf16) is 128 KiB, the f32
//!   sliver's size at `KC` = 1,024, and a task's `A` block (`MC × KC` = 48 × 2,048 bf16) 192 KiB,
//!   as the f32 one; both in the core's L2. `MR × NR`, `MC`, the chunk and `NC` are the f32
//!   AVX-512 path's. At the output layer `k` = 600 and 500 are one block, and `A·Bᵀ`'s `k` =
//!   20,108 ten blocks (nine of 2,012 and one of 2,000) where f32 takes twenty (AMX: nine of
//!   2,016 and one of 1,964). AMX's `MR × NR`, `MC` and the rest: [`kernels::Kernel::amx`].
//!
//! # Error
//! With `u = 2⁻²⁴` (f32) and `u_b = 2⁻⁸` (bf16, 8 significant bits, round to nearest), each operand
//! is `ã = a(1 + δ)`, `|δ| ≤ u_b`, so `|ã·b̃ − a·b| ≤ (2u_b + u_b²)·|a·b|`. The products are exact
//! and the sum runs in f32 over `k` terms, one rounding each: `|ŝ − Σ ã·b̃| ≤ γ_k·Σ|ã·b̃|` with
//! `γ_k = k·u / (1 − k·u)`, and `Σ|ã·b̃| ≤ (1 + u_b)²·Σ|a·b|`. Together
//!
//! ```text
//! |ŝ − Σ a·b| ≤ (2u_b + u_b² + γ_k·(1 + u_b)²) · Σ|a|·|b|  ≈  (2⁻⁷ + k·2⁻²⁴) · Σ|a|·|b|
//! ```
//!
//! plus two f32 roundings of the epilogue (`α·ŝ`, `+ β·C`), relative to `|α|·Σ|a||b| + |β·C|`.
//! `γ_k` does not depend on the order of the sum: whatever tree of additions sums `k` terms, each
//! term passes through at most `k − 1` of them (additions of the zero padding are exact). So the
//! bound holds for AMX's order too (two partial sums a tile step, then added; see
//! [`amx_tiles`]). Subnormals add an absolute error where values are tiny: an operand below
//! `2⁻¹²⁶` becomes zero, and so does a partial sum (both as `vdpbf16ps` and `TDPBF16PS` treat
//! them), each flush losing less than `2⁻¹²⁶`: at most `k` flushes on the vector paths, and
//! `k + 2s` on AMX, `s` its tile steps (two more additions a step; `s = ⌈k/32⌉` in one `k` block,
//! at most twice that in several). The tests, on values of order one where none happens, allow
//! `(2k + 2)·2⁻¹²⁶`, which covers both ([`bound`]).
//!
//! The rule of thumb "`k·2⁻⁸` relative to `Σ|a||b|`" is not this bound. The operands' rounding
//! costs `2⁻⁷` once, not per term, since each product's error is relative to that product alone,
//! and the sum grows with `k` only at f32's `2⁻²⁴` a term. For `k = 1` the rule is too small (each
//! operand is off by up to `2⁻⁸`, a product by up to `2⁻⁷`); for `k ≥ 2` it holds, loosely (at
//! the output layer's `k` = 600, by a factor of 300). The tests check the bound above against an
//! f64 sum of the f32 operands, and `γ_k` against an f64 sum of the bf16-rounded operands, which
//! checks the rounding itself.
//!
//! # Bits
//! The AVX512-BF16 path and the portable one give the same bits, by construction and by test
//! (`the_avx512bf16_path_gives_the_portable_bits`). Each element of `C` is, on both, the same
//! sequence: over each `k` block, the pairs of `p` in order, each pair as `vdpbf16ps` does it (the
//! odd `p` first, one fused rounding per product, a subnormal sum flushed to zero); then the f32
//! GEMM's epilogue (`C ← β·C + α·acc₁`, `C ← C + α·acc_b`, the bias last). The packing is the same
//! code on both (scalar or AVX-512, same integer rounding), and flushes subnormal bf16 operands to
//! zero, as `vdpbf16ps` treats them. The `k` blocks are the same on both paths (`KC` is not the
//! kernel's). As for f32, the result does not depend on the number of threads.
//!
//! AMX's bits are its own: its `k` blocks are whole steps of 32 values of `p` (so they may differ
//! from the others'), and `TDPBF16PS` sums in another order, which the silicon does not document
//! to the bit ([`amx_tiles`]). It is held to the bound above instead, and its result too does not
//! depend on the number of threads (the same blocks, each element summed by one kernel call a
//! block, in one order).
//!
//! # AMX
//! `TDPBF16PS` (Sapphire Rapids and later): 16 × 16 tiles of f32 from 16 × 32 bf16, on a path of
//! its own ([`Isa::Amx`]: the CPU has AMX-TILE and AMX-BF16 and AVX512-BF16, and Linux grants the
//! process the tile data). No CPU with AMX was at hand, nor an emulator of one, so everything but
//! the instructions themselves is tested here on an emulator of them ([`amx_tiles::Emulator`]):
//! the kernel ([`amx`]) is written once over the tile instructions, and the emulated run goes
//! through the whole GEMM (`amx_tests.rs`). The few lines of inline assembly
//! ([`amx_tiles::Hardware`]) are checked on the process's first use of the kernel against the
//! emulator and the bound ([`amx_check`]); a kernel that fails runs AVX512-BF16's instead. Not
//! known: its speed, and whether the blocks ([`kernels::Kernel::amx`]) suit it; a run on such a
//! CPU (`AUTOGRAD_CPU_ISA=amx`, the tests, `examples/gemm_forms`) is the next step.

mod amx;
mod amx_check;
#[cfg(test)]
mod amx_tests;
mod amx_tiles;
mod bf16;
mod bound;
mod kernels;
mod pack;
#[cfg(test)]
mod tests;

#[cfg(target_arch = "x86_64")]
mod avx512bf16;

use super::sgemm::pack::View;
use super::sgemm::plan::{self, bias_at, Blocks, Job, PackA, PackB, Plan};
use super::sgemm::{schedule, task, SendPtr, PACKS};
use super::Isa;
use crate::backend::Gemm;
use kernels::Kernel;

/// Depth of one `k` block, the same on every path so that the paths give the same bits.
const KC: usize = 2048;

/// [`bgemm_with`] on the path [`Isa::selected`], on every thread of rayon's pool when the product
/// is large enough: the CPU backend's GEMM with bf16 precision.
///
/// # Safety
/// As [`bgemm_with`].
pub(crate) unsafe fn bgemm(g: Gemm, a: &[f32], b: &[f32], bias: Option<&[f32]>, c: *mut f32) {
    let parallel = super::sgemm::runs_in_parallel(g);
    bgemm_with(g, a, b, bias, c, Isa::selected(), parallel)
}

/// `C ← α·op(A)·op(B) + β·C (+ 1·biasᵀ)` on bf16-rounded operands with f32 sums, on the path
/// `isa` (AMX's kernel on [`Isa::Amx`] once it passed its first-use check, AVX512-BF16's on
/// [`Isa::Avx512Bf16`] or after a failed check, else the portable one), on every thread of
/// rayon's pool if `parallel`. The bias is added in the epilogue, as by [`super::sgemm::sgemm`].
///
/// # Safety
/// `c` must point to `m × n` writable elements, row-major, initialised unless `β = 0`, aliasing
/// neither `a` nor `b`; `isa` must be [`Isa::supported`] (checked: a panic otherwise).
pub unsafe fn bgemm_with(
    g: Gemm,
    a: &[f32],
    b: &[f32],
    bias: Option<&[f32]>,
    c: *mut f32,
    isa: Isa,
    parallel: bool,
) {
    let simd = matches!(isa, Isa::Amx | Isa::Avx512Bf16);
    bgemm_on(g, a, b, bias, c, Kernel::for_isa(isa), simd, parallel)
}

/// [`bgemm_with`] on a given kernel, packing with AVX-512 if `simd`: how the tests and the AMX
/// kernel's first-use check run the emulated AMX kernel.
///
/// # Safety
/// As [`bgemm_with`]; `kern` must run on this CPU, and so must AVX-512F and BW if `simd`.
#[allow(clippy::too_many_arguments)]
unsafe fn bgemm_on(
    g: Gemm,
    a: &[f32],
    b: &[f32],
    bias: Option<&[f32]>,
    c: *mut f32,
    kern: Kernel,
    simd: bool,
    parallel: bool,
) {
    let Gemm { m, n, k, .. } = g;
    let Some((av, bv)) = super::sgemm::operands(g, a, b, bias, c, "bgemm") else {
        return;
    };
    let (alpha, beta) = (g.alpha as f32, g.beta as f32);
    let pack_b = PackB::for_view(bv);
    let threads = plan::threads(parallel);
    let plan = Plan::new((m, n, k), kern.blocks, PackA::All, pack_b, threads);

    // The f32 GEMM's buffers, holding pairs (32 bits each) here: half the values of its slivers.
    // A sliver's depth (depth(kc) pairs) is at most kc_max / 2, kc_max being a whole number of
    // the kernel's steps.
    let mut packs = PACKS.take().unwrap_or_default();
    let o = Operands {
        av,
        bv,
        bufs: packs.pairs(plan.a_buffer_len() / 2, plan.b_buffer_len() / 2),
        c: SendPtr(c),
        n,
        alpha,
        beta,
        bias,
        kern,
        simd,
    };
    schedule::run_plan(&plan, parallel, &|job| match job {
        // SAFETY (both): the plan's waits order the jobs that share a buffer or a tile.
        Job::Compute { s, t } => unsafe { compute(&o, &plan, s, t) },
        _ => unsafe { pack_job(&o, &plan, job) },
    });
    PACKS.set(Some(packs));
}

/// What the jobs of one product read and write.
struct Operands<'a> {
    av: View,
    bv: View,
    /// The two pairs of packing buffers (`A`, `B`), of pairs: step `s` uses pair `s mod 2`.
    bufs: [(SendPtr, SendPtr); 2],
    c: SendPtr,
    n: usize,
    alpha: f32,
    beta: f32,
    bias: Option<&'a [f32]>,
    kern: Kernel,
    /// Whether packing may use AVX-512.
    simd: bool,
}

impl Operands<'_> {
    fn buf(&self, s: usize, which: usize) -> *mut u32 {
        let (a, b) = self.bufs[s % 2];
        [a, b][which].get().cast()
    }
}

/// Pairs a packed sliver holds for each of its rows (of `A`) or columns (of `B`) for a `k` block
/// of `kc` values: `kc / 2` rounded up to a whole step of the kernel (`k_align / 2` pairs: one,
/// or AMX's 16), the pairs past `kc` zero.
fn depth(blocks: &Blocks, kc: usize) -> usize {
    kc.div_ceil(2).next_multiple_of(blocks.k_align / 2)
}

/// One packing job of step `s`: slivers of `A`, or pair rows (slivers) of `B`, rounded to bf16
/// into the step's buffer pair.
///
/// # Safety
/// As [`super::sgemm`]'s packing jobs: no job reads the part of the buffer this one writes.
unsafe fn pack_job(o: &Operands, plan: &Plan, job: Job) {
    let (mr, nr) = (plan.blocks.mr, plan.blocks.nr);
    match job {
        Job::PackA {
            s,
            first,
            count,
            slot0,
        } => {
            let st = plan.steps[s];
            let len = mr * depth(&plan.blocks, st.kc);
            for sl in first..first + count {
                let i0 = sl * mr;
                // SAFETY: sliver sl goes to slot sl − slot0 of the buffer, written by this job
                // alone; av covers op(A), the sliver inside.
                unsafe {
                    (o.kern.pack_a)(
                        o.buf(s, 0).add((sl - slot0) * len),
                        o.av,
                        (i0, mr.min(plan.m - i0)),
                        (st.p0, st.kc),
                        mr,
                        o.simd,
                    )
                }
            }
        }
        Job::PackB { s, first, count } => {
            let st = plan.steps[s];
            let d = depth(&plan.blocks, st.kc);
            match plan.pack_b {
                // The plan's row ranges start at multiples of 16, so a job holds whole pairs.
                // SAFETY: as for A; bv covers op(B) (k × n), the rows inside.
                PackB::ByRows => unsafe {
                    pack::b_pair_rows(
                        o.buf(s, 1),
                        o.bv,
                        (st.p0, st.kc),
                        first / 2..(first + count).div_ceil(2),
                        (st.jc, st.nc),
                        (nr, d),
                        o.simd,
                    )
                },
                PackB::BySlivers => {
                    let len = nr * d;
                    for sl in first..first + count {
                        let j0 = sl * nr;
                        // SAFETY: as for A.
                        unsafe {
                            pack::bt_sliver(
                                o.buf(s, 1).add(sl * len),
                                o.bv,
                                (st.p0, st.kc),
                                (st.jc + j0, nr.min(st.nc - j0)),
                                (nr, d),
                                o.simd,
                            )
                        }
                    }
                }
            }
        }
        Job::Compute { .. } => unreachable!("not a packing job"),
    }
}

/// Task `t` of step `s`: loops 2 and 1 around the bf16 microkernel.
///
/// # Safety
/// As [`super::sgemm`]'s tasks: the step's packing done, the task of the `k` block before done, no
/// other job writing its tiles.
unsafe fn compute(o: &Operands, plan: &Plan, s: usize, t: usize) {
    let st = plan.steps[s];
    let (mr, nr) = (plan.blocks.mr, plan.blocks.nr);
    let kp = depth(&plan.blocks, st.kc);
    let (a_buf, b_buf) = (o.buf(plan.a_step(s), 0), o.buf(s, 1));
    let (beta, bias) = st.epilogue(o.beta, o.bias);
    task::for_each_tile(plan, s, t, |tile| {
        let j = st.jc + tile.js * nr;
        let bias = bias_at(bias, j);
        // SAFETY: the slivers lie within the buffers; the tile inside C, written by this task
        // alone in this step, after the task of the k block before.
        unsafe {
            (o.kern.run)(
                st.kc,
                a_buf.add(tile.is * mr * kp),
                b_buf.add(tile.js * nr * kp),
                o.c.get().add(tile.is * mr * o.n + j),
                o.n,
                o.alpha,
                beta,
                bias,
                tile.rows,
                tile.cols,
            )
        }
    });
}
