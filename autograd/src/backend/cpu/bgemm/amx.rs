//! The AMX microkernel: a 32 × 32 tile of `C` from `TDPBF16PS` on tile registers, written once
//! over the tile instructions ([`Tiles`]) so that the emulator ([`super::amx_tiles::Emulator`])
//! runs this very code where the CPU has no AMX.
//!
//! ```text
//! tmm4 = A rows  0–15 ┐  tmm0 = C[ 0..16,  0..16] += tmm4·tmm6    tmm6 = B columns  0–15
//! tmm5 = A rows 16–31 ┘  tmm1 = C[ 0..16, 16..32] += tmm4·tmm7    tmm7 = B columns 16–31
//!                        tmm2 = C[16..32,  0..16] += tmm5·tmm6
//!                        tmm3 = C[16..32, 16..32] += tmm5·tmm7
//! ```
//!
//! Every tile register is 16 rows × 64 bytes: a `C` tile 16 × 16 f32, an `A` tile 16 rows × 16
//! pairs of `p`, a `B` tile 16 pairs of `p` × 16 columns. A step of the `k` loop takes 16 pairs
//! (32 values of `p`): four tile loads, four `TDPBF16PS` (each 16 × 16 × 16 pairs), so each loaded
//! tile is used twice, as the vector kernels use each `B` vector `MR` times.
//!
//! Where the operands come from, in the packing buffers ([`super::pack`]):
//! - `B`: the sliver every bf16 kernel takes, `[q][NR pairs]` with `NR` = 32. Its pair rows
//!   `16s .. 16s + 16` are the `B` tiles of step `s` as they lie: columns 0–15 the first 64 bytes
//!   of each 128-byte row, columns 16–31 the next 64, so a load with stride `NR · 4` = 128 bytes
//!   takes either half.
//! - `A`: a tile row is 16 pairs of one row of `A`, which the `[q][MR pairs]` sliver of the other
//!   kernels does not hold side by side. [`super::pack::a_tiles`] packs `A` as `[s][i][16 pairs]`:
//!   step `s`'s two tiles are 2 KiB one after the other (stride 64 bytes), read in order.
//! - The last `k` block's pair count is padded with zero pairs to a whole step, in `A` and `B`
//!   both (the plan's `k` blocks are whole steps, `k_align` = 32, but the last), so every step
//!   loads whole tiles; a zero pair adds `0·0` to a sum, which changes nothing.
//!
//! After the `k` loop the four `C` tiles are stored to a 32 × 32 buffer on the stack and the
//! epilogue is the one every bf16 tile takes at an edge ([`store_edge`]: `α·acc`, `+ β·C`, the
//! bias), so `β` on the first `k` block, the bias on the last and the edges of `C` behave as on
//! the other paths.
//!
//! Not measured (no CPU with AMX at hand): the tile configuration is loaded and released on
//! every call, and the epilogue is [`store_edge`]'s loop rather than vector code; both are where
//! to look first if a run on Sapphire Rapids shows the kernel short of the tile unit's rate.

use super::super::sgemm::kernels::store_edge;
use super::amx_tiles::{Config, Tiles, ROWS, ROW_BYTES};

/// Rows of `C` a call computes: two `A` tiles.
pub(super) const MR: usize = 2 * ROWS;
/// Columns of `C` a call computes: two `B` tiles of 16 f32 columns.
pub(super) const NR: usize = 2 * ROW_BYTES / 4;
/// Pairs of `p` per step of the `k` loop: one tile row of an `A` tile, the rows of a `B` tile.
pub(super) const STEP: usize = ROW_BYTES / 4;

/// Every tile register 16 rows × 64 bytes (see the module's table).
const CONFIG: Config = Config {
    rows: [ROWS as u8; 8],
    colsb: [ROW_BYTES as u16; 8],
};

/// See [`super::kernels::KernelFn`]; `T` runs the tile instructions.
///
/// # Safety
/// As [`Tiles::configure`] for `T`; `a` must address `MR · d` pairs and `b` `NR · d`, with `d`
/// `kc.div_ceil(2)` rounded up to a multiple of [`STEP`], in the layouts above; `c` must address
/// a `rows × cols` tile with row stride `rsc`, readable unless `β = 0`; `bias`, unless null,
/// `cols` values.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn kernel<T: Tiles>(
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
    // Row strides in bytes: an A tile's rows are one tile row apart, a B tile's one sliver row.
    const A_STRIDE: usize = ROW_BYTES;
    const B_STRIDE: usize = NR * 4;
    const C_STRIDE: usize = NR * 4;
    let mut t = T::configure(&CONFIG);
    t.zero::<0>();
    t.zero::<1>();
    t.zero::<2>();
    t.zero::<3>();
    for s in 0..kc.div_ceil(2 * STEP) {
        let ap = a.add(s * MR * STEP).cast::<u8>();
        let bp = b.add(s * STEP * NR).cast::<u8>();
        t.load::<4>(ap, A_STRIDE);
        t.load::<5>(ap.add(ROWS * A_STRIDE), A_STRIDE);
        t.load::<6>(bp, B_STRIDE);
        t.load::<7>(bp.add(ROW_BYTES), B_STRIDE);
        t.dpbf16ps::<0, 4, 6>();
        t.dpbf16ps::<1, 4, 7>();
        t.dpbf16ps::<2, 5, 6>();
        t.dpbf16ps::<3, 5, 7>();
    }
    let mut acc = [0f32; MR * NR];
    let p = acc.as_mut_ptr().cast::<u8>();
    t.store::<0>(p, C_STRIDE);
    t.store::<1>(p.add(ROW_BYTES), C_STRIDE);
    t.store::<2>(p.add(ROWS * C_STRIDE), C_STRIDE);
    t.store::<3>(p.add(ROWS * C_STRIDE + ROW_BYTES), C_STRIDE);
    t.release();
    store_edge(&acc, NR, c, rsc, (alpha, beta, bias), rows, cols);
}
