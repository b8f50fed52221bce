//! The AMX tile instructions the AMX kernel ([`super::amx`]) uses, behind one trait ([`Tiles`]),
//! twice: on the CPU's tile registers ([`Hardware`], inline `asm!`) and in plain Rust
//! ([`Emulator`], eight registers of 16 rows × 64 bytes, each instruction as the Intel SDM's
//! "Operation" section writes it). The kernel is written once, generic over the trait, so the
//! emulated run goes through the kernel's own tile configuration, loads, strides, `k` loop and
//! stores; only the few lines of [`Hardware`] are left for a CPU with AMX to check (see the
//! first-use check, [`super::amx_check`]).
//!
//! # The instructions (palette 1, AMX-TILE and AMX-BF16)
//! - `LDTILECFG m512`: tile `t` becomes `rows[t] ≤ 16` rows of `colsb[t] ≤ 64` bytes (both zero for
//!   a tile not used; one zero without the other is a #GP), and every tile is zeroed.
//! - `TILEZERO tmm`: the whole register zeroed.
//! - `TILELOADD tmm, [base + stride]`: row `r < rows` ← the `colsb` bytes at `base + r·stride`; the
//!   rest of each row, and the rows past `rows`, zeroed.
//! - `TILESTORED [base + stride], tmm`: the `colsb` bytes of each row `r < rows` to
//!   `base + r·stride`.
//! - `TDPBF16PS tmmC, tmmA, tmmB` (`C += A·B` on bf16 pairs), for each row `m` of `C`:
//!
//!   ```text
//!   e[n] = o[n] = 0                                       n < colsb(C)/4
//!   for k in 0 .. colsb(A)/4:                             the pairs of A's row
//!     for n:
//!       e[n] = fma(e[n], A[m].bf16[2k],   B[k].bf16[2n])     DAZ, FTZ, RNE
//!       o[n] = fma(o[n], A[m].bf16[2k+1], B[k].bf16[2n+1])
//!   C[m].fp32[n] = C[m].fp32[n] + (e[n] + o[n])              two more additions, DAZ, FTZ, RNE
//!   ```
//!
//!   It needs `C`, `A` and `B` distinct, `rows(C) = rows(A)`, `colsb(C) = colsb(B)` and
//!   `colsb(A)/4 = rows(B)` (a #UD otherwise), and zeroes `C`'s bytes past its shape.
//! - `TILERELEASE`: the tiles back to their initial state, unconfigured.
//!
//! The emulator checks each condition named above and panics with the fault's name where the
//! hardware would fault, so a kernel that configures, loads or multiplies the wrong shapes fails
//! its tests here.
//!
//! # Where the hardware may differ
//! The order of `TDPBF16PS`'s roundings is followed from the SDM (Vol. 2B, "TDPBF16PS", 2023):
//! the even and the odd products of a row summed apart, from zero, over the instruction's 16
//! pairs, then added together and to `C`. Intel's Intrinsics Guide writes the same instruction
//! differently (`_tile_dpbf16ps`: each product added straight into `C`, the even one first), and
//! what the silicon does is not published in more detail than these. The two orders differ in
//! the last bits (the test `the_sums_run_in_the_sdms_order` shows one such case), and neither can
//! be checked on this machine. So the AMX path is held to the error bound of [`super`] ("Error"),
//! which does not depend on the order of the sum, never to the emulator's bits. Two more details
//! not checked against silicon: each `fma` is one rounding of the exact `acc + x·y` (as the
//! portable kernel's [`super::kernels::dot_step`], matched on Zen 4 against `vdpbf16ps`), and a
//! result is flushed when it is subnormal after rounding, where the SDM's FTZ flushes one that is
//! tiny before rounding to the subnormal range: the two differ only for results within 2⁻¹⁵⁰ of
//! ±2⁻¹²⁶, an absolute error the bound's subnormal term already allows. NaN payloads are not
//! modelled (a NaN stays a NaN).

use super::kernels::dot_step;

/// Rows of a tile register (palette 1).
pub(super) const ROWS: usize = 16;
/// Bytes of a tile row (palette 1).
pub(super) const ROW_BYTES: usize = 64;
/// 32-bit words of a tile row: f32 values, or pairs of bf16.
const ROW_WORDS: usize = ROW_BYTES / 4;

/// A palette-1 configuration, `LDTILECFG`'s operand: tile `t` is `rows[t]` rows of `colsb[t]`
/// bytes, `(0, 0)` for a tile not used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Config {
    pub rows: [u8; 8],
    pub colsb: [u16; 8],
}

impl Config {
    /// The 64 bytes `LDTILECFG` reads: byte 0 the palette (1), byte 1 the row to start from (0),
    /// bytes 16–31 the eight `colsb` (16 bits each, little-endian), bytes 48–55 the eight `rows`,
    /// every other byte zero.
    pub fn image(&self) -> [u8; 64] {
        let mut m = [0u8; 64];
        m[0] = 1;
        for t in 0..8 {
            m[16 + 2 * t..18 + 2 * t].copy_from_slice(&self.colsb[t].to_le_bytes());
            m[48 + t] = self.rows[t];
        }
        m
    }
}

/// The tile instructions a kernel uses. A value of the type stands for configured tiles: made by
/// [`Tiles::configure`], given up by [`Tiles::release`]. Tile numbers are constants (the
/// instruction encodes them).
pub(super) trait Tiles: Sized {
    /// `LDTILECFG`: palette 1 with the shapes of `cfg`; every tile zeroed.
    ///
    /// # Safety
    /// The implementation's own: for [`Hardware`], the CPU must run AMX-TILE and AMX-BF16 and the
    /// OS must let this process use the tile data ([`crate::backend::cpu::Isa::Amx`] supported).
    unsafe fn configure(cfg: &Config) -> Self;

    /// `TILEZERO tmmT`.
    fn zero<const T: u8>(&mut self);

    /// `TILELOADD tmmT, [p + stride·r]`: row `r` from `p + r·stride` bytes.
    ///
    /// # Safety
    /// Each of the tile's configured rows must be readable: `colsb` bytes at `p + r·stride`.
    unsafe fn load<const T: u8>(&mut self, p: *const u8, stride: usize);

    /// `TDPBF16PS tmmC, tmmA, tmmB`: `C += A·B`, on pairs of bf16, f32 sums.
    fn dpbf16ps<const C: u8, const A: u8, const B: u8>(&mut self);

    /// `TILESTORED [p + stride·r], tmmT`.
    ///
    /// # Safety
    /// Each configured row's `colsb` bytes at `p + r·stride` must be writable.
    unsafe fn store<const T: u8>(&mut self, p: *mut u8, stride: usize);

    /// `TILERELEASE`.
    fn release(self);
}

/// The CPU's own tile registers. Tiles are a thread's state: the value is neither `Send` nor
/// `Sync`, and lives within one kernel call.
#[cfg(target_arch = "x86_64")]
pub(super) struct Hardware(std::marker::PhantomData<*const ()>);

#[cfg(target_arch = "x86_64")]
impl Tiles for Hardware {
    #[inline(always)]
    unsafe fn configure(cfg: &Config) -> Self {
        let image = cfg.image();
        std::arch::asm!("ldtilecfg [{0}]", in(reg) image.as_ptr(), options(nostack, readonly));
        Hardware(std::marker::PhantomData)
    }

    #[inline(always)]
    fn zero<const T: u8>(&mut self) {
        // SAFETY: the tiles are configured (a Hardware value exists); no memory is touched.
        unsafe { std::arch::asm!("tilezero tmm{t}", t = const T, options(nostack, nomem)) }
    }

    #[inline(always)]
    unsafe fn load<const T: u8>(&mut self, p: *const u8, stride: usize) {
        std::arch::asm!(
            "tileloadd tmm{t}, [{p} + {s} * 1]",
            t = const T,
            p = in(reg) p,
            s = in(reg) stride,
            options(nostack, readonly),
        )
    }

    #[inline(always)]
    fn dpbf16ps<const C: u8, const A: u8, const B: u8>(&mut self) {
        // SAFETY: the tiles are configured; the kernel's shapes are TDPBF16PS's (checked by the
        // emulator, which runs the same kernel).
        unsafe {
            std::arch::asm!(
                "tdpbf16ps tmm{c}, tmm{a}, tmm{b}",
                c = const C,
                a = const A,
                b = const B,
                options(nostack, nomem),
            )
        }
    }

    #[inline(always)]
    unsafe fn store<const T: u8>(&mut self, p: *mut u8, stride: usize) {
        std::arch::asm!(
            "tilestored [{p} + {s} * 1], tmm{t}",
            t = const T,
            p = in(reg) p,
            s = in(reg) stride,
            options(nostack),
        )
    }

    #[inline(always)]
    fn release(self) {
        // SAFETY: TILERELEASE only returns the tiles to their initial state.
        unsafe { std::arch::asm!("tilerelease", options(nostack, nomem)) }
    }
}

/// Eight tile registers in memory and the instructions on them, as the SDM writes them (see
/// the module's documentation); 8 KiB, on the stack of the kernel that uses it.
pub(super) struct Emulator {
    cfg: Config,
    /// Tile `t`'s row `r`, word `j` (bytes `4j .. 4j + 4`) at `tmm[t][r·16 + j]`.
    tmm: [[u32; ROWS * ROW_WORDS]; 8],
}

impl Emulator {
    /// `(rows, colsb / 4)` of a configured tile, or the #UD of an instruction naming one that is
    /// not (or whose rows are not whole words).
    fn shape(&self, t: u8, what: &str) -> (usize, usize) {
        let (rows, colsb) = (self.cfg.rows[t as usize], self.cfg.colsb[t as usize]);
        assert!(
            rows != 0 && colsb % 4 == 0,
            "#UD: {what} on tmm{t}, configured {rows} rows × {colsb} bytes"
        );
        (rows as usize, colsb as usize / 4)
    }

    /// The f32 in word `j` of row `r` of tile `t`.
    fn f32_at(&self, t: u8, r: usize, j: usize) -> f32 {
        f32::from_bits(self.tmm[t as usize][r * ROW_WORDS + j])
    }
}

/// An input treated as zero when subnormal (DAZ), keeping its sign.
fn daz(x: f32) -> f32 {
    if x.is_subnormal() {
        0f32.copysign(x)
    } else {
        x
    }
}

/// `acc + x·y`, one rounding to nearest even, DAZ on the inputs, a subnormal result flushed.
fn fma(acc: f32, x: f32, y: f32) -> f32 {
    dot_step(daz(acc), daz(x), daz(y))
}

/// `a + b`, as [`fma`] does it (`b·1` is exact).
fn add(a: f32, b: f32) -> f32 {
    fma(a, b, 1.0)
}

/// The two bf16 halves of a pair, as f32: `bf16[2k]` (low) and `bf16[2k + 1]` (high).
fn halves(w: u32) -> (f32, f32) {
    (f32::from_bits(w << 16), f32::from_bits(w & 0xFFFF_0000))
}

impl Tiles for Emulator {
    unsafe fn configure(cfg: &Config) -> Self {
        for t in 0..8 {
            let (rows, colsb) = (cfg.rows[t], cfg.colsb[t]);
            assert!(
                rows as usize <= ROWS && colsb as usize <= ROW_BYTES && (rows == 0) == (colsb == 0),
                "#GP: LDTILECFG with tmm{t} of {rows} rows × {colsb} bytes"
            );
        }
        Emulator {
            cfg: *cfg,
            tmm: [[0; ROWS * ROW_WORDS]; 8],
        }
    }

    fn zero<const T: u8>(&mut self) {
        self.shape(T, "TILEZERO");
        self.tmm[T as usize] = [0; ROWS * ROW_WORDS];
    }

    unsafe fn load<const T: u8>(&mut self, p: *const u8, stride: usize) {
        let (rows, words) = self.shape(T, "TILELOADD");
        let tile = &mut self.tmm[T as usize];
        *tile = [0; ROWS * ROW_WORDS];
        for r in 0..rows {
            for j in 0..words {
                tile[r * ROW_WORDS + j] = p.add(r * stride + 4 * j).cast::<u32>().read_unaligned();
            }
        }
    }

    fn dpbf16ps<const C: u8, const A: u8, const B: u8>(&mut self) {
        assert!(
            C != A && A != B && C != B,
            "#UD: TDPBF16PS tmm{C}, tmm{A}, tmm{B}: a tile named twice"
        );
        let ((c_rows, c_cols), (a_rows, a_pairs), (b_rows, b_cols)) = (
            self.shape(C, "TDPBF16PS"),
            self.shape(A, "TDPBF16PS"),
            self.shape(B, "TDPBF16PS"),
        );
        assert!(
            c_rows == a_rows && c_cols == b_cols && a_pairs == b_rows,
            "#UD: TDPBF16PS tmm{C}, tmm{A}, tmm{B}: C {c_rows} × {c_cols}, A {a_rows} × {a_pairs} \
             pairs, B {b_rows} × {b_cols}"
        );
        let mut out = [0u32; ROWS * ROW_WORDS];
        for m in 0..c_rows {
            let (mut even, mut odd) = ([0f32; ROW_WORDS], [0f32; ROW_WORDS]);
            for k in 0..a_pairs {
                let (a0, a1) = halves(self.tmm[A as usize][m * ROW_WORDS + k]);
                for n in 0..c_cols {
                    let (b0, b1) = halves(self.tmm[B as usize][k * ROW_WORDS + n]);
                    even[n] = fma(even[n], a0, b0);
                    odd[n] = fma(odd[n], a1, b1);
                }
            }
            for n in 0..c_cols {
                let c = add(self.f32_at(C, m, n), add(even[n], odd[n]));
                out[m * ROW_WORDS + n] = c.to_bits();
            }
        }
        self.tmm[C as usize] = out;
    }

    unsafe fn store<const T: u8>(&mut self, p: *mut u8, stride: usize) {
        let (rows, words) = self.shape(T, "TILESTORED");
        for r in 0..rows {
            for j in 0..words {
                p.add(r * stride + 4 * j)
                    .cast::<u32>()
                    .write_unaligned(self.tmm[T as usize][r * ROW_WORDS + j]);
            }
        }
    }

    fn release(self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: Config = Config {
        rows: [16; 8],
        colsb: [64; 8],
    };

    fn bf16(x: f32) -> u32 {
        x.to_bits() >> 16
    }

    fn pair(even: f32, odd: f32) -> u32 {
        bf16(even) | bf16(odd) << 16
    }

    /// A tile's registers, loaded from `words` (16 rows of 16 words, stride 64 bytes).
    fn load<const T: u8>(e: &mut Emulator, words: &[u32; 256]) {
        // SAFETY: 16 rows of 64 bytes, 64 bytes apart: the 1 KiB of `words`.
        unsafe { e.load::<T>(words.as_ptr().cast(), 64) }
    }

    fn store<const T: u8>(e: &mut Emulator) -> [u32; 256] {
        let mut out = [0xDEAD_BEEFu32; 256];
        // SAFETY: as in `load`.
        unsafe { e.store::<T>(out.as_mut_ptr().cast(), 64) };
        out
    }

    #[test]
    fn the_configuration_image_is_ldtilecfgs_layout() {
        let mut cfg = FULL;
        cfg.rows[3] = 5;
        cfg.colsb[7] = 0x0123;
        let m = cfg.image();
        assert_eq!((m[0], m[1]), (1, 0), "palette 1, start row 0");
        assert_eq!(&m[16..18], &[64, 0]);
        assert_eq!(&m[30..32], &[0x23, 0x01], "tmm7's colsb, little-endian");
        assert_eq!((m[48], m[51]), (16, 5));
        assert!(m[2..16]
            .iter()
            .chain(&m[32..48])
            .chain(&m[56..])
            .all(|&b| b == 0));
    }

    /// A load of a tile configured smaller than the register zeroes what lies past its shape, and
    /// a store writes only the shape, one row every `stride` bytes.
    #[test]
    fn loads_and_stores_follow_the_shape_and_the_stride() {
        let mut cfg = FULL;
        cfg.rows[2] = 3;
        cfg.colsb[2] = 8;
        // SAFETY: the emulator has no requirement.
        let mut e = unsafe { Emulator::configure(&cfg) };
        e.tmm[2] = [7; 256];
        // Rows 100 bytes apart, each word its own index.
        let src: Vec<u32> = (0..100u32).collect();
        unsafe { e.load::<2>(src.as_ptr().cast(), 100) };
        for r in 0..16 {
            for j in 0..16 {
                let want = if r < 3 && j < 2 {
                    (25 * r + j) as u32
                } else {
                    0
                };
                assert_eq!(e.tmm[2][r * 16 + j], want, "row {r} word {j}");
            }
        }
        let mut dst = vec![0xFFFF_FFFFu32; 100];
        unsafe { e.store::<2>(dst.as_mut_ptr().cast(), 100) };
        for (i, &w) in dst.iter().enumerate() {
            let (r, j) = (i / 25, i % 25);
            let want = if r < 3 && j < 2 {
                i as u32
            } else {
                0xFFFF_FFFF
            };
            assert_eq!(w, want, "word {i}");
        }
    }

    /// Two products of `2⁻²⁴` each added to `1`: summed apart first (the SDM), they make `2⁻²³`
    /// and move `1` by an ulp; added one by one (the Intrinsics Guide), each is half an ulp, a
    /// tie, and `1` stays.
    #[test]
    fn the_sums_run_in_the_sdms_order() {
        // SAFETY: the emulator has no requirement.
        let mut e = unsafe { Emulator::configure(&FULL) };
        let tiny = 2f32.powi(-24);
        let mut c = [0u32; 256];
        c[0] = 1f32.to_bits();
        let mut a = [0u32; 256];
        a[0] = pair(1.0, 1.0);
        let mut b = [0u32; 256];
        b[0] = pair(tiny, tiny);
        load::<0>(&mut e, &c);
        load::<1>(&mut e, &a);
        load::<2>(&mut e, &b);
        e.dpbf16ps::<0, 1, 2>();
        let out = store::<0>(&mut e);
        assert_eq!(f32::from_bits(out[0]), 1.0 + 2f32.powi(-23));
        assert!(out[1..].iter().all(|&w| w == 0));
    }

    /// `C[m][n] += Σ_k A[m].pair(k) · B[k].pair(n)`, against an f64 sum, on values whose sums are
    /// exact in f32: the rows, pairs and columns are the right ones.
    #[test]
    fn a_product_of_small_integers_is_the_matrix_product() {
        let mut cfg = FULL;
        // C 5 × 3, A 5 × 4 pairs, B 4 × 3.
        (cfg.rows[0], cfg.colsb[0]) = (5, 12);
        (cfg.rows[1], cfg.colsb[1]) = (5, 16);
        (cfg.rows[2], cfg.colsb[2]) = (4, 12);
        // SAFETY: the emulator has no requirement.
        let mut e = unsafe { Emulator::configure(&cfg) };
        let av = |m: usize, p: usize| ((m * 3 + p * 5) % 7) as f32 - 3.0;
        let bv = |p: usize, n: usize| ((p * 2 + n * 3) % 5) as f32 - 2.0;
        let (mut a, mut b, mut c) = ([0u32; 256], [0u32; 256], [0u32; 256]);
        for m in 0..5 {
            for k in 0..4 {
                a[m * 16 + k] = pair(av(m, 2 * k), av(m, 2 * k + 1));
            }
            for n in 0..3 {
                c[m * 16 + n] = ((m + n) as f32).to_bits();
            }
        }
        for k in 0..4 {
            for n in 0..3 {
                b[k * 16 + n] = pair(bv(2 * k, n), bv(2 * k + 1, n));
            }
        }
        load::<0>(&mut e, &c);
        load::<1>(&mut e, &a);
        load::<2>(&mut e, &b);
        e.dpbf16ps::<0, 1, 2>();
        let out = store::<0>(&mut e);
        for m in 0..5 {
            for n in 0..3 {
                let want = (m + n) as f64
                    + (0..8)
                        .map(|p| av(m, p) as f64 * bv(p, n) as f64)
                        .sum::<f64>();
                assert_eq!(f32::from_bits(out[m * 16 + n]) as f64, want, "({m}, {n})");
            }
        }
    }

    /// Subnormal inputs count as zero (DAZ) and a subnormal result becomes zero (FTZ).
    #[test]
    fn subnormal_inputs_and_results_are_zero() {
        // SAFETY: the emulator has no requirement.
        let mut e = unsafe { Emulator::configure(&FULL) };
        let (mut a, mut b) = ([0u32; 256], [0u32; 256]);
        // (0, 0): a subnormal bf16 (0x0001, 2⁻¹³³) times 2¹²⁶, 2⁻⁷ were it not zero; (1, 1), on
        // the odd halves: 2⁻¹⁰⁰ · 2⁻⁴⁰, subnormal. Every other product is zero.
        a[0] = 0x0001;
        b[0] = bf16(2f32.powi(126));
        a[16] = pair(0.0, 2f32.powi(-100));
        b[1] = pair(0.0, 2f32.powi(-40));
        load::<1>(&mut e, &a);
        load::<2>(&mut e, &b);
        e.dpbf16ps::<0, 1, 2>();
        let out = store::<0>(&mut e);
        assert_eq!(out[0], 0, "DAZ");
        assert_eq!(out[16 + 1], 0, "FTZ");
        assert!(out.iter().all(|&w| w == 0));
    }

    #[test]
    #[should_panic(expected = "#GP")]
    fn a_tile_with_rows_and_no_bytes_is_refused() {
        let mut cfg = FULL;
        cfg.colsb[4] = 0;
        // SAFETY: the emulator has no requirement.
        unsafe { Emulator::configure(&cfg) };
    }

    #[test]
    #[should_panic(expected = "#UD")]
    fn mismatched_shapes_are_refused() {
        let mut cfg = FULL;
        cfg.rows[2] = 8;
        // SAFETY: the emulator has no requirement.
        let mut e = unsafe { Emulator::configure(&cfg) };
        // A has 16 pairs a row, B 8 rows.
        e.dpbf16ps::<0, 1, 2>();
    }

    #[test]
    #[should_panic(expected = "#UD")]
    fn an_unconfigured_tile_is_refused() {
        let mut cfg = FULL;
        (cfg.rows[5], cfg.colsb[5]) = (0, 0);
        // SAFETY: the emulator has no requirement.
        let mut e = unsafe { Emulator::configure(&cfg) };
        e.zero::<5>();
    }
}
