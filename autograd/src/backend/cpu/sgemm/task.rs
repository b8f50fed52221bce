//! A task: loops 2 and 1 of the nest in [`super`] around the microkernel, over one block of `C`
//! (`MC` rows × a chunk of the panel's columns) that loop 3 ([`super::plan`]) handed out.
//!
//! ```text
//! for jr in the task's columns step NR        2nd loop: one KC × NR sliver of B  → L1/L2
//!   for ir in the task's rows step MR         1st loop: one MR × KC sliver of A, from L2
//!     microkernel: C[ir.., jr..] (MR × NR, in registers) += A sliver · B sliver
//! ```
//!
//! Loop 2 outside, so each sliver of `B` stays in L1/L2 while the `MC / MR` slivers of `A` pass
//! it; the task's `A` block comes from memory (or L3) with its first sliver of `B` and stays in L2
//! for the others.

use super::kernels::{ASliver, BSliver};
use super::plan::{bias_at, Plan};
use super::Operands;

/// One `MR × NR` tile of a task: sliver `is` of `A` (its first row `is · MR` of `C`), sliver `js`
/// of the step's packed `B` (its first column `js · NR` of the panel), `rows × cols` of it inside
/// `C`.
#[derive(Clone, Copy)]
pub(crate) struct Tile {
    pub is: usize,
    pub js: usize,
    pub rows: usize,
    pub cols: usize,
}

/// Loops 2 and 1 over task `t` of step `s`: `microkernel` once for each tile, in the order above.
/// Shared by the f32 and the bf16 GEMM.
#[inline(always)]
pub(crate) fn for_each_tile(plan: &Plan, s: usize, t: usize, mut microkernel: impl FnMut(Tile)) {
    let (mr, nr) = (plan.blocks.mr, plan.blocks.nr);
    let nc = plan.steps[s].nc;
    let (rows, cols) = plan.task_block(s, t);
    // Loop 2: the task's slivers of B.
    for js in cols.start / nr..cols.end.div_ceil(nr) {
        let cols = nr.min(nc - js * nr);
        // Loop 1: the task's slivers of A.
        for is in rows.start / mr..rows.end.div_ceil(mr) {
            microkernel(Tile {
                is,
                js,
                rows: mr.min(plan.m - is * mr),
                cols,
            });
        }
    }
}

/// Task `t` of step `s` of the f32 GEMM: its tiles of `C`, from slivers of `A` read in place or
/// from the step's packing buffer and slivers of the step's packed `B`.
///
/// # Safety
/// The step's packing jobs must be done, and (past the first `k` block) the same task of the block
/// before; no other job may write the task's tiles meanwhile (what [`Plan::waits`] ensures).
pub(super) unsafe fn compute(o: &Operands, plan: &Plan, s: usize, t: usize) {
    let st = plan.steps[s];
    let (mr, nr) = (plan.blocks.mr, plan.blocks.nr);
    let (a_buf, b_buf) = (o.bufs[plan.a_step(s) % 2].0, o.bufs[s % 2].1);
    let kc = st.kc;
    let a_sliver = |is: usize| match plan.a_slot(is) {
        // SAFETY: the slot lies within the buffer's values.
        Some(slot) => ASliver {
            ptr: unsafe { a_buf.get().add(slot * mr * kc) },
            row_step: 1,
            p_step: mr,
        },
        // SAFETY: row is·mr, column p0 of op(A) lie inside it (m × k).
        None => ASliver {
            ptr: unsafe { o.av.at(is * mr, st.p0) },
            row_step: o.av.rs,
            p_step: o.av.cs,
        },
    };
    let (beta, bias) = st.epilogue(o.beta, o.bias);
    for_each_tile(plan, s, t, |tile| {
        let j = st.jc + tile.js * nr;
        let b = BSliver {
            // SAFETY: sliver js lies within the buffer's values.
            ptr: unsafe { b_buf.get().add(tile.js * nr * kc) },
            p_step: nr,
        };
        let bias = bias_at(bias, j);
        // SAFETY: the slivers address mr × kc and kc × nr values of op(A), op(B) or a packed
        // copy; the tile lies inside C's m × n elements, and this task alone writes it in this
        // step, after the task of the k block before.
        unsafe {
            (o.kern.run)(
                kc,
                a_sliver(tile.is),
                b,
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
