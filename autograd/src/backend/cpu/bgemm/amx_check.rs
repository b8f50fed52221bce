//! The AMX kernel's first-use check. Its tile instructions ([`Hardware`]'s few lines of `asm!`)
//! cannot run where this code is developed and tested (no CPU with AMX, no emulator of one), so
//! the first time a process selects the AMX kernel, it runs it on a few small products before
//! trusting it with any other:
//!
//! - each product through the whole bf16 GEMM (plan, packing, kernel, epilogue; one thread), on
//!   the CPU's tiles and on the emulator's ([`Emulator`]), from the same operands, so on the same
//!   packed data;
//! - the CPU's result against the f64 sum of the bf16-rounded operands, within the bound of
//!   "Error" in [`super`] (its `γ_k` part, [`bound::tolerance`] with `rounded`): a wrong tile,
//!   stride, half of a pair or step of `k` is far outside it;
//! - the CPU's result against the emulator's within twice that bound, not bit for bit: the two
//!   may differ in the order of their roundings (see "Where the hardware may differ" in
//!   [`super::amx_tiles`]), and a check that failed on an order the SDM leaves open would switch
//!   a correct kernel off for good.
//!
//! On a failure, the first element outside either bound is reported once on stderr, and the
//! process runs the AVX512-BF16 kernel instead ([`super::kernels::Kernel::amx_or_fallback`]).
//! The check is generic over the tile instructions, so the tests run it here with the emulator
//! as the "hardware" (it passes) and with deliberately broken tile layers (it fails).

use super::amx_tiles::{Emulator, Tiles};
use super::kernels::Kernel;
use super::{bgemm_on, bound, Isa, KC};
use crate::backend::Gemm;

/// `(m, n, k, trans_a, trans_b)`: tails in every dimension (`m`, `n` no multiple of 32, `k` of
/// 32, some odd), each form, and a product two `k` blocks deep, where `β` applies on the first
/// block only and the bias on the last.
const PRODUCTS: [(usize, usize, usize, bool, bool); 4] = [
    (37, 45, 70, false, false),
    (45, 37, 97, true, false),
    (33, 70, 45, false, true),
    (40, 33, KC + 53, false, false),
];

/// Runs [`PRODUCTS`] (`α` = 0.75, `β` = −0.5, with a bias) on the AMX kernel over tiles `H` and
/// over the emulator, and checks `H`'s results as the module's documentation says: what failed,
/// in words, if anything did.
pub(super) fn check<H: Tiles>() -> Result<(), String> {
    let values = |n: usize, seed: u64| -> Vec<f32> {
        (0..n as u64)
            .map(|i| crate::rng::standard_normal(crate::rng::RngKey::new(seed, 7), i) as f32)
            .collect()
    };
    // Packing with AVX-512 where the CPU has it, as the GEMM would.
    let simd = Isa::Avx512Bf16.supported();
    for (m, n, k, trans_a, trans_b) in PRODUCTS {
        let g = Gemm {
            m,
            n,
            k,
            trans_a,
            trans_b,
            alpha: 0.75,
            beta: -0.5,
        };
        let (a, b, c0, bias) = (
            values(m * k, 1),
            values(k * n, 2),
            values(m * n, 3),
            values(n, 4),
        );
        let run = |kern: Kernel| {
            let mut c = c0.clone();
            // SAFETY: c holds m × n initialised values and aliases neither operand; the emulator
            // runs anywhere, and H's tiles are the caller's to vouch for.
            unsafe { bgemm_on(g, &a, &b, Some(&bias), c.as_mut_ptr(), kern, simd, false) };
            c
        };
        let (got, emulated) = (run(Kernel::amx::<H>()), run(Kernel::amx::<Emulator>()));
        let want = bound::exact(g, &a, &b, &c0, Some(&bias), true);
        for (idx, ((&x, &e), &(w, abs, rest))) in got.iter().zip(&emulated).zip(&want).enumerate() {
            let tol = bound::tolerance(k, abs, rest, true);
            let what = || {
                let form = match (trans_a, trans_b) {
                    (false, false) => "A·B",
                    (true, false) => "Aᵀ·B",
                    _ => "A·Bᵀ",
                };
                format!(
                    "{m} × {n} × {k} ({form}, α = 0.75, β = −0.5, bias), element ({}, {})",
                    idx / n,
                    idx % n
                )
            };
            if !within(x as f64, w, tol) {
                return Err(format!(
                    "{}: {x} where the f64 sum of the bf16 operands is {w} (bound {tol:.3e})",
                    what()
                ));
            }
            if !within(x as f64, e as f64, 2.0 * tol) {
                return Err(format!(
                    "{}: {x} where the emulated kernel gives {e} (bound {:.3e})",
                    what(),
                    2.0 * tol
                ));
            }
        }
    }
    Ok(())
}

/// `|x − y| ≤ tol`, false for a NaN (a NaN where a number is due fails the check).
fn within(x: f64, y: f64, tol: f64) -> bool {
    (x - y).abs() <= tol
}

/// Whether the CPU's tiles pass [`check`]: run once a process, the first time [`Isa::Amx`]'s
/// kernel is asked for; a failure reported once on stderr.
#[cfg(target_arch = "x86_64")]
pub(super) fn hardware_passes() -> bool {
    static PASSED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *PASSED.get_or_init(|| verdict(check::<super::amx_tiles::Hardware>()))
}

/// `true` for a pass; for a failure, the report on stderr and `false`.
fn verdict(result: Result<(), String>) -> bool {
    match result {
        Ok(()) => true,
        Err(why) => {
            eprintln!(
                "the AMX kernel failed its first-use check, so the bf16 GEMM runs the \
                 AVX512-BF16 kernel: {why}"
            );
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::amx_tiles::Config;
    use super::*;

    /// The emulator with one flaw of the kind a slip in [`super::super::amx_tiles::Hardware`]'s
    /// lines would make: `FLAW` 0 loads every tile with a 64-byte stride (`B`'s is 128), 1
    /// multiplies every `A` tile by the first `B` tile, 2 stores with a 64-byte stride (the
    /// buffer's is 128).
    struct Flawed<const FLAW: u8>(Emulator);

    impl<const FLAW: u8> Tiles for Flawed<FLAW> {
        unsafe fn configure(cfg: &Config) -> Self {
            Flawed(Emulator::configure(cfg))
        }
        fn zero<const T: u8>(&mut self) {
            self.0.zero::<T>()
        }
        unsafe fn load<const T: u8>(&mut self, p: *const u8, stride: usize) {
            self.0.load::<T>(p, if FLAW == 0 { 64 } else { stride })
        }
        fn dpbf16ps<const C: u8, const A: u8, const B: u8>(&mut self) {
            if FLAW == 1 {
                self.0.dpbf16ps::<C, A, 6>()
            } else {
                self.0.dpbf16ps::<C, A, B>()
            }
        }
        unsafe fn store<const T: u8>(&mut self, p: *mut u8, stride: usize) {
            self.0.store::<T>(p, if FLAW == 2 { 64 } else { stride })
        }
        fn release(self) {
            self.0.release()
        }
    }

    #[test]
    fn the_emulator_passes_the_check() {
        assert_eq!(check::<Emulator>(), Ok(()));
    }

    #[test]
    fn a_wrong_load_stride_fails_the_check() {
        let why = check::<Flawed<0>>().unwrap_err();
        assert!(why.starts_with("37 × 45 × 70 (A·B"), "{why}");
    }

    #[test]
    fn a_wrong_tile_operand_fails_the_check() {
        assert!(check::<Flawed<1>>().is_err());
    }

    #[test]
    fn a_wrong_store_stride_fails_the_check() {
        assert!(check::<Flawed<2>>().is_err());
    }

    /// A failed check leaves [`Isa::Amx`] the AVX512-BF16 kernel (12 × 32), a passed one the
    /// AMX kernel (32 × 32).
    #[test]
    fn a_failed_check_falls_back_to_the_avx512bf16_kernel() {
        if !Isa::Avx512Bf16.supported() {
            return;
        }
        let kern = Kernel::amx_or_fallback::<Flawed<0>>(verdict(check::<Flawed<0>>()));
        assert_eq!((kern.blocks.mr, kern.blocks.nr), (12, 32));
        let kern = Kernel::amx_or_fallback::<Emulator>(verdict(check::<Emulator>()));
        assert_eq!((kern.blocks.mr, kern.blocks.nr), (32, 32));
    }
}
