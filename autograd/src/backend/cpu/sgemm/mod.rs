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
//!     for each task (MC rows × CHUNK columns), by whichever thread is free, beside the next
//!     step's packing (see "Threads and bits"):
//!       for jr in CHUNK step NR               2nd loop: one KC × NR sliver of B  → L1/L2
//!         for ir in MC step MR                1st loop: one MR × KC sliver of A, from L2 after
//!                                             the task's first sliver of B brought it there
//!           microkernel: C[ir.., jr..] (MR × NR, in registers) += A sliver · B sliver
//! ```
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
//! one ([`schedule`]): a thread that finishes early takes more, so one slow core does not hold the
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

mod kernels;
mod pack;
mod schedule;
#[cfg(test)]
mod tests;

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;

use std::cell::Cell;

use super::Isa;
use crate::backend::Gemm;
use kernels::{ASliver, BSliver, Kernel};
use pack::View;

/// Below this many multiply-adds a GEMM runs on the calling thread.
const PAR_MIN_FLOPS: usize = 1 << 20;

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
    let parallel = g.m * g.n * g.k >= PAR_MIN_FLOPS && rayon::current_num_threads() > 1;
    sgemm_with(g, a, b, bias, c, Isa::selected(), parallel)
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
    assert!(
        a.len() >= m * k && b.len() >= k * n,
        "sgemm: operands too short"
    );
    assert!(bias.is_none_or(|v| v.len() >= n), "sgemm: bias too short");
    if m == 0 || n == 0 {
        return;
    }
    let (alpha, beta) = (g.alpha as f32, g.beta as f32);
    if k == 0 {
        // An empty sum: C ← β·C, and with β = 0 zeros, never reading C.
        for i in 0..m * n {
            let p = c.add(i);
            let v = if beta == 0.0 { 0.0 } else { beta * *p };
            *p = bias.map_or(v, |b| v + b[i % n]);
        }
        return;
    }
    let kern = Kernel::for_isa(isa);
    // op(A)[i, p] at i·rs + p·cs; op(B)[p, j] likewise.
    let av = if g.trans_a {
        View {
            ptr: a.as_ptr(),
            rs: 1,
            cs: m,
        }
    } else {
        View {
            ptr: a.as_ptr(),
            rs: k,
            cs: 1,
        }
    };
    let bv = if g.trans_b {
        View {
            ptr: b.as_ptr(),
            rs: 1,
            cs: k,
        }
    } else {
        View {
            ptr: b.as_ptr(),
            rs: n,
            cs: 1,
        }
    };
    let (mr, nr) = (kern.mr, kern.nr);
    // The portable path packs without vector instructions too, so that it is tested as it runs on
    // a CPU without them.
    let simd = isa != Isa::Portable;
    let k_blocks = k.div_ceil(kern.kc);
    let kc_max = k.div_ceil(k_blocks);
    let m_slivers = m.div_ceil(mr);
    // Which slivers are read in place rather than packed (see "Packing only where it pays").
    let a_direct = a_in_place && direct_a(av);
    let a_edge = m % mr != 0;
    let b_by_rows = bv.cs == 1;
    // Every (panel, k block) step, in the order of the loops above.
    let steps: Vec<Step> = (0..n)
        .step_by(kern.nc)
        .flat_map(|jc| {
            (0..k_blocks).map(move |kb| {
                let p0 = kb * kc_max;
                Step {
                    jc,
                    nc: kern.nc.min(n - jc),
                    first: kb == 0,
                    last: kb + 1 == k_blocks,
                    p0,
                    kc: kc_max.min(k - p0),
                }
            })
        })
        .collect();

    let mut packs = PACKS.take().unwrap_or_default();
    // Two pairs of packing buffers: step s computes from pair s mod 2 while the next step is packed
    // into the other. A sliver read in place needs no room; an edge sliver always does.
    let a_len = if a_direct { 1 } else { m_slivers } * mr * kc_max;
    let b_len = kern.nc.min(n).div_ceil(nr) * nr * kc_max;
    let [a0, a1] = &mut packs.a;
    let [b0, b1] = &mut packs.b;
    let bufs = [
        (SendPtr(a0.slice(a_len)), SendPtr(b0.slice(b_len))),
        (SendPtr(a1.slice(a_len)), SendPtr(b1.slice(b_len))),
    ];
    let c = SendPtr(c);

    // Column chunks of equal width (600 = 320 + 280, not 512 + 88), so tasks weigh alike.
    let chunks = |st: Step| st.nc.div_ceil(kern.chunk);
    let width = |st: Step| st.nc.div_ceil(chunks(st)).div_ceil(nr) * nr;
    let tasks = |st: Step| m.div_ceil(kern.mc) * chunks(st);

    // With one k block every panel multiplies the same block of A: it is packed once, by the first
    // step, and read from there by all (at W̄ = Xᵀ·Ȳ, 1.2 MB once instead of once per panel, ten
    // times).
    let a_once = k_blocks == 1;
    let a_step = |s: usize| if a_once { 0 } else { s };
    // A step's packing, as jobs of a few slivers each: every sliver of A, or only the edge one
    // when the others are read in place, or none when the first step's packed A serves; then every
    // sliver of B. `slot0` is the A sliver stored first.
    let pack_jobs = |s: usize| {
        let st = steps[s];
        let (a_from, a_slot0) = match (a_direct, a_edge) {
            _ if a_step(s) != s => (m_slivers, 0),
            (false, _) => (0, 0),
            (true, true) => (m_slivers - 1, m_slivers - 1),
            (true, false) => (m_slivers, 0),
        };
        let a = (a_from..m_slivers)
            .step_by(PACK_SLIVERS)
            .map(move |first| Job::PackA {
                s,
                first,
                count: PACK_SLIVERS.min(m_slivers - first),
                slot0: a_slot0,
            });
        // A row-major B by rows (see pack::b_rows), a transposed one by slivers.
        let (units, per_job) = if b_by_rows {
            (st.kc, PACK_ROWS)
        } else {
            (st.nc.div_ceil(nr), PACK_SLIVERS)
        };
        let b = (0..units).step_by(per_job).map(move |first| Job::PackB {
            s,
            first,
            count: per_job.min(units - first),
        });
        a.chain(b)
    };
    // Every job, in the order the threads claim them: the first step's packing, then each step's
    // tiles with the next step's packing woven in, one packing job after each tile once every
    // thread has started on the step (by then the tiles of the step before, which read the buffer
    // pair being refilled, are almost always done).
    let threads = if parallel {
        rayon::current_num_threads()
    } else {
        1
    };
    let mut jobs: Vec<Job> = pack_jobs(0).collect();
    for s in 0..steps.len() {
        let mut packs = (s + 1 < steps.len())
            .then(|| pack_jobs(s + 1))
            .into_iter()
            .flatten();
        for t in 0..tasks(steps[s]) {
            jobs.push(Job::Compute { s, t });
            if t + 1 >= threads {
                jobs.extend(packs.next());
            }
        }
        jobs.extend(packs);
    }
    // What a job waits for. A task of step s: the step's packing jobs, all `pack_total[s]` of them
    // (and the first step's too when that step packed A for all), and past the first k block the
    // same task of the block before (same panel, same tiles). A packing job of step s: the tasks of
    // step s − 2, which read the buffer pair it overwrites.
    let mut pack_total = vec![0; steps.len()];
    for job in &jobs {
        if let Job::PackA { s, .. } | Job::PackB { s, .. } = *job {
            pack_total[s] += 1;
        }
    }
    // Task t of step s is tile slot `tile_slot0[s] + t`.
    let mut tile_slot0 = Vec::with_capacity(steps.len());
    let mut tile_slots = 0;
    for &st in &steps {
        tile_slot0.push(tile_slots);
        tile_slots += tasks(st);
    }
    let failed = std::sync::atomic::AtomicBool::new(false);
    let packed = schedule::Done::new(steps.len(), &failed);
    let computed = schedule::Done::new(steps.len(), &failed);
    let tile_done = schedule::Done::new(tile_slots, &failed);

    let pack = |s: usize, job: Job| {
        let st = steps[s];
        let (a_buf, b_buf) = bufs[s % 2];
        if s >= 2 {
            computed.wait(s - 2, tasks(steps[s - 2]));
        }
        match job {
            Job::PackA {
                first,
                count,
                slot0,
                ..
            } => {
                let len = mr * st.kc;
                for sl in first..first + count {
                    // SAFETY: sliver sl goes to slot sl − slot0, within this buffer's a_len values,
                    // and only this job writes it while no job reads the buffer (the tiles that
                    // read it last, step s − 2's, are done).
                    let dst = unsafe {
                        std::slice::from_raw_parts_mut(a_buf.get().add((sl - slot0) * len), len)
                    };
                    let i0 = sl * mr;
                    // SAFETY: av covers op(A) (m × k, length checked above); the sliver is inside.
                    unsafe {
                        pack::a_sliver(dst, av, (i0, mr.min(m - i0)), (st.p0, st.kc), mr, simd)
                    }
                }
            }
            Job::PackB { first, count, .. } if b_by_rows => {
                // SAFETY: rows first .. first + count of every sliver of the step, within the
                // buffer's b_len values, written by this job alone while no job reads the buffer
                // (as for A); bv covers op(B) (k × n, length checked above), the rows inside.
                unsafe {
                    pack::b_rows(
                        b_buf.get(),
                        bv,
                        (st.p0, st.kc),
                        first..first + count,
                        (st.jc, st.nc),
                        nr,
                    )
                }
            }
            Job::PackB { first, count, .. } => {
                let len = nr * st.kc;
                for sl in first..first + count {
                    // SAFETY: as for A.
                    let dst =
                        unsafe { std::slice::from_raw_parts_mut(b_buf.get().add(sl * len), len) };
                    let j0 = sl * nr;
                    let cols = (st.jc + j0, nr.min(st.nc - j0));
                    // SAFETY: as for A.
                    unsafe { pack::bt_sliver(dst, bv, (st.p0, st.kc), cols, nr, simd) }
                }
            }
            Job::Compute { .. } => unreachable!("not a packing job"),
        }
        packed.add(s);
    };

    let compute = |s: usize, t: usize| {
        let st = steps[s];
        packed.wait(s, pack_total[s]);
        if a_step(s) != s {
            // Its A was packed by the first step, whose jobs may still be running.
            packed.wait(a_step(s), pack_total[a_step(s)]);
        }
        if !st.first {
            tile_done.wait(tile_slot0[s - 1] + t, 1);
        }
        let (a_buf, b_buf) = (bufs[a_step(s) % 2].0, bufs[s % 2].1);
        let (kc, nc, jc, p0) = (st.kc, st.nc, st.jc, st.p0);
        // The slivers of this step: in place, or in the buffer pair its packing jobs filled.
        let a_sliver = |is: usize| {
            if a_direct && !(a_edge && is + 1 == m_slivers) {
                ASliver {
                    // SAFETY: row is·mr, column p0 of op(A) lie inside it (m × k).
                    ptr: unsafe { av.at(is * mr, p0) },
                    row_step: av.rs,
                    p_step: av.cs,
                }
            } else {
                let slot = if a_direct { 0 } else { is };
                ASliver {
                    // SAFETY: the slot lies within the buffer's a_len values.
                    ptr: unsafe { a_buf.get().add(slot * mr * kc) },
                    row_step: 1,
                    p_step: mr,
                }
            }
        };
        let b_sliver = |js: usize| BSliver {
            // SAFETY: sliver js lies within the buffer's b_len values.
            ptr: unsafe { b_buf.get().add(js * nr * kc) },
            p_step: nr,
        };
        // The first k block applies β; later ones add to what it wrote.
        let beta = if st.first { beta } else { 1.0 };
        let bias = match bias {
            Some(v) if st.last => v.as_ptr(),
            _ => std::ptr::null(),
        };
        let (chunks, width) = (chunks(st), width(st));
        let (i0, j0) = ((t / chunks) * kern.mc, (t % chunks) * width);
        let (i1, j1) = ((i0 + kern.mc).min(m), (j0 + width).min(nc));
        for js in j0 / nr..j1.div_ceil(nr) {
            let cols = nr.min(nc - js * nr);
            for is in i0 / mr..i1.div_ceil(mr) {
                let rows = mr.min(m - is * mr);
                let tile = (is * mr) * n + jc + js * nr;
                let bias = if bias.is_null() {
                    bias
                } else {
                    // SAFETY: the bias has n values; jc + js·nr < n.
                    unsafe { bias.add(jc + js * nr) }
                };
                // SAFETY: the slivers address mr × kc and kc × nr values of op(A), op(B) or a
                // packed copy; the tile lies inside C's m × n elements, and this task alone
                // writes it in this step, after the task of the k block before.
                unsafe {
                    (kern.run)(
                        kc,
                        a_sliver(is),
                        b_sliver(js),
                        c.get().add(tile),
                        n,
                        alpha,
                        beta,
                        bias,
                        rows,
                        cols,
                    )
                }
            }
        }
        tile_done.add(tile_slot0[s] + t);
        computed.add(s);
    };

    schedule::run_in_order(&jobs, parallel, &failed, &|&job| match job {
        Job::Compute { s, t } => compute(s, t),
        Job::PackA { s, .. } | Job::PackB { s, .. } => pack(s, job),
    });
    PACKS.set(Some(packs));
}

/// Whether the slivers of `op(A)` are read in place: only from a row-major `A` (a transposed one
/// would waste most of every line it brings, see "Packing only where it pays"), and not when its
/// rows lie a multiple of 4 KiB apart, where the `MR` values of a `p` would all fall in the same
/// set of every cache, evicting each other.
fn direct_a(av: View) -> bool {
    av.cs == 1 && !av.rs.is_multiple_of(1024)
}

/// Slivers of `A` or of a transposed `B` packed by one job: enough to outweigh a job's hand-off,
/// few enough to spread.
const PACK_SLIVERS: usize = 4;

/// Rows of a row-major `B` packed by one job: 16 rows of a 2048-column panel are 128 KiB, about
/// what four slivers of a transposed one are.
const PACK_ROWS: usize = 16;

/// One (panel of B, block of k) step of the loop nest.
#[derive(Clone, Copy)]
struct Step {
    jc: usize,
    nc: usize,
    /// The first block of k, which applies β.
    first: bool,
    /// The last, which adds the bias.
    last: bool,
    p0: usize,
    kc: usize,
}

/// A unit of work handed to a thread; `s` is the step.
#[derive(Clone, Copy)]
enum Job {
    /// The tiles of task `t`.
    Compute { s: usize, t: usize },
    /// Slivers `first .. first + count` of the step's A into its packing buffer, sliver `slot0` at
    /// its start.
    PackA {
        s: usize,
        first: usize,
        count: usize,
        slot0: usize,
    },
    /// Rows `first .. first + count` of every sliver of the step's B into its packing buffer
    /// when `B` is row-major; slivers `first .. first + count` when it is transposed.
    PackB {
        s: usize,
        first: usize,
        count: usize,
    },
}

/// A raw pointer that may cross threads: the tiles (slivers) it addresses are disjoint.
#[derive(Clone, Copy)]
struct SendPtr(*mut f32);
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}

impl SendPtr {
    // A method, so closures capture the whole (Send) wrapper rather than its raw field.
    fn get(self) -> *mut f32 {
        self.0
    }
}

/// A growable buffer whose slices start on a 64-byte boundary (a cache line; a zmm load).
#[derive(Default)]
struct AlignedBuf(Vec<f32>);

impl AlignedBuf {
    /// The start of `len` writable values at an aligned address (the buffer grows if it must).
    fn slice(&mut self, len: usize) -> *mut f32 {
        const ALIGN: usize = 64 / std::mem::size_of::<f32>();
        if self.0.len() < len + ALIGN {
            self.0.resize(len + ALIGN, 0.0);
        }
        let off = self.0.as_ptr().align_offset(64).min(ALIGN);
        self.0[off..off + len].as_mut_ptr()
    }
}

#[derive(Default)]
struct Packs {
    a: [AlignedBuf; 2],
    b: [AlignedBuf; 2],
}

thread_local! {
    /// This thread's packing buffers, taken for the length of one GEMM (a GEMM started on the same
    /// thread meanwhile — a rayon worker stealing one — finds none and makes its own).
    static PACKS: Cell<Option<Packs>> = const { Cell::new(None) };
}
