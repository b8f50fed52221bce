//! Our f32 GEMM, `C ← α·op(A)·op(B) + β·C`, in the packed form of Goto & van de Geijn (2008) and
//! BLIS (Van Zee & van de Geijn 2015): the form every fast BLAS takes, written out to be read.
//!
//! # Why packing and blocking
//! A multiply-add needs two operands; a core can issue two FMAs a cycle but load only two or three
//! values (vectors) a cycle, from L1 only, and far fewer from memory. So the product is cut into
//! blocks sized for the cache levels, each operand block is copied once ("packed") into the order
//! the innermost loop reads it, and the innermost loop — the microkernel — keeps an `MR × NR` tile
//! of `C` in registers, reusing every loaded value many times (see [`kernels`]).
//!
//! ```text
//! for jc in 0..n step NC                       5th loop: a panel of NC columns of B and C
//!   for pc in 0..k step KC                     4th loop: the k sum, outermost among the blocks
//!     pack B[pc.., jc..] (KC × NC)  → L3       shared by all threads
//!     (a row-major A[.., pc..] is read in place, its edge sliver packed; Aᵀ packed, see below,
//!     once for all panels when k is one block)
//!     for ic in 0..m step MC, for each CHUNK   3rd loop: a task, MC rows × CHUNK columns, run
//!                                             by whichever thread is free, beside the next
//!                                             step's packing (see "Threads and bits")
//!       for jr in CHUNK step NR               2nd loop: one KC × NR sliver of B  → L1/L2
//!         for ir in MC step MR                1st loop: one MR × KC sliver of A, from L2 after
//!                                             the task's first sliver of B brought it there
//!           microkernel: C[ir.., jr..] (MR × NR, in registers) += A sliver · B sliver
//! ```
//!
//! Where each level is in the code, as matrixmultiply's `gemm.rs` and BLIS's
//! `bli_gemm_blk_var*.c` split it:
//!
//! | level | code |
//! |-------|------|
//! | loops 5 and 4 | [`plan::Plan`]'s steps ([`plan::Step`]: a panel `jc`, a `k` block `p0`) |
//! | loop 3 | [`plan::Plan::tasks`], [`plan::Plan::task_block`] |
//! | the order of all that for the threads | [`plan::Plan`]'s jobs, [`plan::Plan::waits`], run by [`schedule::run_plan`] |
//! | "pack B", the packed slivers of A | [`pack::job`] |
//! | loops 2 and 1 | [`task::for_each_tile`], around the microkernel in [`task::compute`] |
//! | the microkernel | [`kernels`], [`avx512`], [`avx2`] |
//!
//! Loops 5–3 are data rather than loops because the threads do not run them in nesting order: a
//! step's tasks and the next step's packing are interleaved in one list (see "Threads and
//! bits"), and a plan can be tested by itself (every job waits only for earlier jobs, the
//! invariant the schedule's freedom from deadlock rests on). [`sgemm_impl`] builds the plan and
//! hands its jobs to the threads; nothing else loops over blocks.
//!
//! Sizes (AVX-512: `MR × NR = 12 × 32`, `KC = 1024`, `MC = 48`, `CHUNK = 512`, `NC = 2048`): a
//! task's `A` block is `48 · 1024 · 4 B = 192 KiB` and a `B` sliver `1024 · 32 · 4 B = 128 KiB`,
//! both in the core's L2, the sliver reused by the `MC / MR = 4` slivers of `A` that pass it and its
//! rows streamed into L1 two vectors at a time (two vector loads per 24 FMAs are within what L2
//! feeds); a packed `B` panel (`KC × NC`, `8 MiB`) sits in L3. AVX2 (`6 × 16`): the same `KC`,
//! `MC`, `NC`, its `B` sliver `64 KiB`, so a task's blocks (`256 KiB`) also fit the 512 KiB L2 of
//! the AVX2 EPYCs. The textbook choice keeps the `B` sliver in L1 (`KC = 256`); the deeper block
//! was measured faster for every form of the output layer, on both paths: `k` = 600 and 500 are one
//! block, so `C` (40–48 MB) is written once and never read back, and at `A·Bᵀ` (`k` = 20,108) it
//! halves the passes over `C` and the steps (docs/benchmarks.md, 2026-12-04). `NC` = 2048 keeps the
//! panel at 8 MiB. `k` is cut into equal blocks of at most `KC` (20,108 = 19 × 1006 + 994, not
//! 19 × 1024 + 652).
//!
//! # Packing only where it pays
//! Packing buys three things: sequential loads, no cache-set or TLB conflicts, and zero rows past an
//! edge. For `B` all three matter — its sliver is `NR` columns of `KC` different rows, re-read by
//! every sliver of `A` that passes — and reading `B` in place, tried, was slower
//! (docs/benchmarks.md). For `A` the kernel loads only `MR` scalars a `p` (broadcasts). From a
//! row-major `A` they come from `MR` rows whose `KC` values are contiguous: `MR` streams the
//! prefetchers follow, every line they bring used whole, and a task's `MC × KC` block stays in L2
//! for all its `B` slivers. So a row-major `A` is read in place (the kernel takes a sliver as two
//! strides, [`kernels::ASliver`]), which saves transposing it: at `X̄ = Ȳ·Wᵀ`, 10 M values of `Ȳ`
//! a call. A transposed `A` (`Aᵀ` stored row-major, as `Xᵀ` in `W̄ = Xᵀ·Ȳ`) is packed: the `MR`
//! values of a `p` are one run of `MR · 4` bytes, a row of `A` away from the next `p`'s, so a
//! sliver read in place pulls a whole 64-byte line through L1 for 24 (AVX2) or 48 (AVX-512) bytes
//! of it, and the wasted lines push the `B` sliver out of L1 (packing it was faster on the AVX2
//! path, docs/benchmarks.md); that operand is the small one (`Xᵀ`, `600 × 500`), so packing it
//! costs little. Two row-major cases are packed too: the edge sliver of fewer than `MR` rows
//! (zero-padded, so the kernel still computes a whole tile), and an `A` whose rows lie a multiple
//! of 4 KiB apart, whose `MR` values would all map to one cache set. A sliver read in place and a
//! packed one go through the same loop
//! in the same order, so the result has the same bits either way.
//!
//! # Threads and bits
//! All the jobs of a product — packing a few slivers, or computing one task's tiles — go in one
//! list, in loop order, and every thread of rayon's pool claims the next unclaimed job as it finishes
//! one ([`plan`], [`schedule`]): a thread that finishes early takes more, so one slow core does not hold the
//! other. The next step's packing is woven in among a step's tiles, into a second pair of buffers, so
//! a thread copying (bound by memory) runs beside one computing (bound by the FMA units). A job waits
//! only for what it needs — a tile for its step's packing and for the same tile's previous `k` block,
//! a packing job for the tiles that last read its buffers — never for the whole step before it. With
//! each step a batch joined before the next (as this GEMM first ran), a thread sat idle at every join
//! while the other finished its last task (docs/benchmarks.md, 2026-12-04).
//! The `k` sum is never split between threads. Each element of `C` is computed by one task as
//! `C ← β·C + α·acc₁`, then `C ← C + α·acc_b` for each later `k` block `b`, each `acc` summed over `p`
//! in order — the same operations whatever the number of threads or the task a tile falls in, so
//! the result is bit-identical on any thread count (a test checks 1, 2 and 3 threads).
//!
//! # What takes this path
//! f32 (training, evaluation, benchmarks). f64 — the gradient checks, where speed does not matter
//! and matrixmultiply's `dgemm` is exact enough — stays on matrixmultiply (`cpu::gemm`).
//!
//! Packing buffers are kept per calling thread and grow to the largest product seen: after a
//! training step's first products, a GEMM allocates only its short lists of steps and jobs.

pub(crate) mod kernels;
pub(crate) mod pack;
pub(crate) mod plan;
pub(crate) mod schedule;
pub(crate) mod task;
#[cfg(test)]
pub(super) mod tests;

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
pub(super) mod avx512;

use std::cell::Cell;

use super::Isa;
use crate::backend::Gemm;
use kernels::Kernel;
use pack::View;
use plan::{Job, PackA, PackB, Plan};

/// Below this many multiply-adds a GEMM runs on the calling thread.
pub(crate) const PAR_MIN_FLOPS: usize = 1 << 20;

/// Whether a product of this size runs on every thread of rayon's pool (f32 and bf16 alike).
pub(crate) fn runs_in_parallel(g: Gemm) -> bool {
    g.m * g.n * g.k >= PAR_MIN_FLOPS && rayon::current_num_threads() > 1
}

/// `C ← α·op(A)·op(B) + β·C (+ 1·biasᵀ)` on the path [`Isa::selected`], on every thread of rayon's
/// pool when the product is large enough.
///
/// The bias of a dense layer is added in the epilogue of the last `k` block, while the tile is in
/// registers, instead of in a second pass over `C` (at the output layer, 40 MB read and written
/// again); the result has the same bits as the product followed by the addition.
///
/// # Safety
/// `c` must point to `m × n` writable elements, row-major, initialised unless `β = 0`, aliasing
/// neither `a` nor `b`.
pub(crate) unsafe fn sgemm(g: Gemm, a: &[f32], b: &[f32], bias: Option<&[f32]>, c: *mut f32) {
    sgemm_with(g, a, b, bias, c, Isa::selected(), runs_in_parallel(g))
}

/// [`sgemm`] on a given path, in parallel or on the calling thread.
///
/// # Safety
/// As [`sgemm`]; `isa` must be [`Isa::supported`] (checked: a panic otherwise).
pub unsafe fn sgemm_with(
    g: Gemm,
    a: &[f32],
    b: &[f32],
    bias: Option<&[f32]>,
    c: *mut f32,
    isa: Isa,
    parallel: bool,
) {
    sgemm_impl(g, a, b, bias, c, isa, parallel, true)
}

/// What every GEMM path does before its loop nest: checks the operands' lengths (`who` names the
/// path in the panic), and finishes the products with nothing to multiply, an empty `C` or an
/// empty sum (`C ← β·C (+ bias)`, never reading `C` when `β = 0`). Otherwise the views of `op(A)`
/// and `op(B)`: element `(i, p)` of `op(A)` at `i·rs + p·cs`, `(p, j)` of `op(B)` likewise.
///
/// # Safety
/// As [`sgemm`].
pub(crate) unsafe fn operands(
    g: Gemm,
    a: &[f32],
    b: &[f32],
    bias: Option<&[f32]>,
    c: *mut f32,
    who: &str,
) -> Option<(View, View)> {
    let Gemm { m, n, k, .. } = g;
    assert!(
        a.len() >= m * k && b.len() >= k * n,
        "{who}: operands too short"
    );
    assert!(bias.is_none_or(|v| v.len() >= n), "{who}: bias too short");
    if m == 0 || n == 0 {
        return None;
    }
    if k == 0 {
        let beta = g.beta as f32;
        for i in 0..m * n {
            let p = c.add(i);
            let v = if beta == 0.0 { 0.0 } else { beta * *p };
            *p = bias.map_or(v, |b| v + b[i % n]);
        }
        return None;
    }
    let (ar, ac) = if g.trans_a { (1, m) } else { (k, 1) };
    let (br, bc) = if g.trans_b { (1, k) } else { (n, 1) };
    Some((
        View {
            ptr: a.as_ptr(),
            rs: ar,
            cs: ac,
        },
        View {
            ptr: b.as_ptr(),
            rs: br,
            cs: bc,
        },
    ))
}

/// [`sgemm_with`], reading slivers of `A` in place where that pays (`a_in_place`) or packing all
/// of them (the tests compare the two).
///
/// # Safety
/// As [`sgemm_with`].
#[allow(clippy::too_many_arguments)]
unsafe fn sgemm_impl(
    g: Gemm,
    a: &[f32],
    b: &[f32],
    bias: Option<&[f32]>,
    c: *mut f32,
    isa: Isa,
    parallel: bool,
    a_in_place: bool,
) {
    let Gemm { m, n, k, .. } = g;
    let Some((av, bv)) = operands(g, a, b, bias, c, "sgemm") else {
        return;
    };
    let (alpha, beta) = (g.alpha as f32, g.beta as f32);
    let kern = Kernel::for_isa(isa);
    // Which slivers are read in place rather than packed (see "Packing only where it pays").
    let pack_a = match (a_in_place && direct_a(av), m % kern.blocks.mr != 0) {
        (false, _) => PackA::All,
        (true, true) => PackA::Edge,
        (true, false) => PackA::None,
    };
    let pack_b = PackB::for_view(bv);
    let threads = plan::threads(parallel);
    // Loops 5, 4 and 3, and the order of the jobs.
    let plan = Plan::new((m, n, k), kern.blocks, pack_a, pack_b, threads);

    let mut packs = PACKS.take().unwrap_or_default();
    let o = Operands {
        av,
        bv,
        bufs: packs.pairs(plan.a_buffer_len(), plan.b_buffer_len()),
        c: SendPtr(c),
        n,
        alpha,
        beta,
        bias,
        kern,
        // The portable path packs without vector instructions too, so that it is tested as it
        // runs on a CPU without them.
        simd: isa != Isa::Portable,
    };
    schedule::run_plan(&plan, parallel, &|job| match job {
        // SAFETY (both): the plan's waits order the jobs that share a buffer or a tile.
        Job::Compute { s, t } => unsafe { task::compute(&o, &plan, s, t) },
        _ => unsafe { pack::job(&o, &plan, job) },
    });
    PACKS.set(Some(packs));
}

/// What the jobs of one f32 product read and write.
pub(super) struct Operands<'a> {
    /// `op(A)` and `op(B)` in place.
    av: View,
    bv: View,
    /// The two pairs of packing buffers (`A`, `B`): step `s` uses pair `s mod 2`.
    bufs: [(SendPtr, SendPtr); 2],
    /// `C`, `m × n`, row stride `n`.
    c: SendPtr,
    n: usize,
    alpha: f32,
    beta: f32,
    bias: Option<&'a [f32]>,
    kern: Kernel,
    /// Whether packing may use vector instructions.
    simd: bool,
}

/// Whether the slivers of `op(A)` are read in place: only from a row-major `A` (a transposed one
/// would waste most of every line it brings, see "Packing only where it pays"), and not when its
/// rows lie a multiple of 4 KiB apart, where the `MR` values of a `p` would all fall in the same
/// set of every cache, evicting each other.
fn direct_a(av: View) -> bool {
    av.cs == 1 && !av.rs.is_multiple_of(1024)
}

/// A raw pointer that may cross threads: the tiles (slivers) it addresses are disjoint.
#[derive(Clone, Copy)]
pub(crate) struct SendPtr(pub(crate) *mut f32);
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}

impl SendPtr {
    // A method, so closures capture the whole (Send) wrapper rather than its raw field.
    pub(crate) fn get(self) -> *mut f32 {
        self.0
    }
}

/// A growable buffer whose slices start on a 64-byte boundary (a cache line; a zmm load).
#[derive(Default)]
pub(crate) struct AlignedBuf(Vec<f32>);

impl AlignedBuf {
    /// The start of `len` writable values at an aligned address (the buffer grows if it must).
    pub(crate) fn slice(&mut self, len: usize) -> *mut f32 {
        const ALIGN: usize = 64 / std::mem::size_of::<f32>();
        if self.0.len() < len + ALIGN {
            self.0.resize(len + ALIGN, 0.0);
        }
        let off = self.0.as_ptr().align_offset(64).min(ALIGN);
        self.0[off..off + len].as_mut_ptr()
    }
}

#[derive(Default)]
pub(crate) struct Packs {
    a: [AlignedBuf; 2],
    b: [AlignedBuf; 2],
}

impl Packs {
    /// The two pairs of packing buffers (`A`, `B`) of one product, `a_len` and `b_len` values
    /// each: step `s` computes from pair `s mod 2` while the next step is packed into the other.
    pub(crate) fn pairs(&mut self, a_len: usize, b_len: usize) -> [(SendPtr, SendPtr); 2] {
        let [a0, a1] = &mut self.a;
        let [b0, b1] = &mut self.b;
        [
            (SendPtr(a0.slice(a_len)), SendPtr(b0.slice(b_len))),
            (SendPtr(a1.slice(a_len)), SendPtr(b1.slice(b_len))),
        ]
    }
}

thread_local! {
    /// This thread's packing buffers, taken for the length of one GEMM (a GEMM started on the same
    /// thread meanwhile — a rayon worker stealing one — finds none and makes its own). The bf16
    /// GEMM ([`super::bgemm`]) uses them too, for its pairs.
    pub(crate) static PACKS: Cell<Option<Packs>> = const { Cell::new(None) };
}
