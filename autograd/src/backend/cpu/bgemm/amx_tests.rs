//! The AMX kernel through the whole bf16 GEMM (plan, packing of `A` in tiles, `B` slivers padded
//! to whole steps, epilogue), its tile instructions emulated ([`super::amx_tiles::Emulator`]), on
//! any CPU: against f64 sums within the bound of [`super`] ("Error"), for every form, with tails
//! in every dimension, `α`, `β` and a bias, on one thread and several, packed with and without
//! AVX-512. Not its bits against the other paths': it sums in another order.

use super::amx_tiles::Emulator;
use super::tests::{check, gemm, same_bits, shape, values, FORMS};
use super::*;
use proptest::prelude::*;

/// Packing with AVX-512 and without where this CPU has it, without only elsewhere.
fn simd_forms() -> Vec<bool> {
    if Isa::Avx512Bf16.supported() {
        vec![true, false]
    } else {
        vec![false]
    }
}

fn run(
    g: Gemm,
    (a, b, bias): (&[f32], &[f32], Option<&[f32]>),
    c: &mut [f32],
    simd: bool,
    parallel: bool,
) {
    assert_eq!(c.len(), g.m * g.n);
    // SAFETY: c holds m × n initialised values and aliases neither operand; the emulated kernel
    // runs anywhere, and simd only where the CPU has AVX-512 (simd_forms).
    unsafe {
        bgemm_on(
            g,
            a,
            b,
            bias,
            c.as_mut_ptr(),
            Kernel::amx::<Emulator>(),
            simd,
            parallel,
        )
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn the_emulated_amx_path_matches_the_f64_sum_within_the_bound(
        g in shape(),
        seed in 0u64..1000,
        with_bias in any::<bool>(),
    ) {
        let (a, b, c0) = (values(g.m * g.k, seed), values(g.k * g.n, seed + 1), values(g.m * g.n, seed + 2));
        let bias = with_bias.then(|| values(g.n, seed + 3));
        let want = bound::exact(g, &a, &b, &c0, bias.as_deref(), false);
        let want_rounded = bound::exact(g, &a, &b, &c0, bias.as_deref(), true);
        for simd in simd_forms() {
            for parallel in [false, true] {
                let mut c = c0.clone();
                run(g, (&a, &b, bias.as_deref()), &mut c, simd, parallel);
                let what = format!("AMX (emulated) simd={simd} parallel={parallel} {g:?}");
                check(g, &c, &want, false, &what)?;
                check(g, &c, &want_rounded, true, &what)?;
            }
        }
    }

    /// The packing's AVX-512 and scalar forms give the same operands, so the same bits.
    #[test]
    fn the_amx_path_packs_the_same_with_and_without_avx512(g in shape(), seed in 0u64..1000) {
        prop_assume!(Isa::Avx512Bf16.supported());
        let (a, b, c0) = (values(g.m * g.k, seed), values(g.k * g.n, seed + 1), values(g.m * g.n, seed + 2));
        let [x, y] = [true, false].map(|simd| {
            let mut c = c0.clone();
            run(g, (&a, &b, None), &mut c, simd, false);
            c
        });
        prop_assert!(same_bits(&x, &y), "{:?}", g);
    }
}

/// Wider than one panel of `B` (2,048 columns) and three `k` blocks deep (1,376 + 1,376 + 1,351:
/// whole steps of 32 but the last), `β` and a bias: every loop of the nest runs more than once and
/// ends on a partial block.
#[test]
fn amx_products_spanning_several_panels_and_k_blocks_match_the_f64_sum() {
    for (trans_a, trans_b) in FORMS {
        let g = Gemm {
            beta: 1.0,
            ..gemm(13, 2048 + 45, 2 * 2048 + 7, trans_a, trans_b)
        };
        let (a, b, c0, bias) = (
            values(g.m * g.k, 7),
            values(g.k * g.n, 8),
            values(g.m * g.n, 9),
            values(g.n, 10),
        );
        let want = bound::exact(g, &a, &b, &c0, Some(&bias), true);
        let mut c = c0.clone();
        run(g, (&a, &b, Some(&bias)), &mut c, false, true);
        check(g, &c, &want, true, &format!("AMX {trans_a} {trans_b}")).unwrap();
    }
}

#[test]
fn amx_results_are_bit_identical_on_one_two_and_three_threads() {
    for (trans_a, trans_b) in FORMS {
        // Two k blocks: the later block adds to what the first wrote.
        let g = gemm(75, 300, 2100, trans_a, trans_b);
        let (a, b) = (values(g.m * g.k, 10), values(g.k * g.n, 11));
        let mut one = vec![0f32; g.m * g.n];
        run(g, (&a, &b, None), &mut one, false, false);
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut c = vec![0f32; g.m * g.n];
            pool.install(|| run(g, (&a, &b, None), &mut c, false, true));
            assert!(
                same_bits(&one, &c),
                "{threads} threads, {trans_a} {trans_b}"
            );
        }
    }
}

/// The bias in the AMX kernel's epilogue gives the bits of the product followed by `Y + 1·bᵀ`.
#[test]
fn the_amx_paths_fused_bias_equals_the_product_then_the_addition_bit_for_bit() {
    for (trans_a, trans_b) in FORMS {
        let g = gemm(29, 333, 601, trans_a, trans_b);
        let (a, b, bias) = (values(g.m * g.k, 3), values(g.k * g.n, 4), values(g.n, 5));
        let mut want = vec![0f32; g.m * g.n];
        run(g, (&a, &b, None), &mut want, false, true);
        for row in want.chunks_mut(g.n) {
            for (y, &v) in row.iter_mut().zip(&bias) {
                *y += v;
            }
        }
        let mut got = vec![0f32; g.m * g.n];
        run(g, (&a, &b, Some(&bias)), &mut got, false, true);
        assert!(same_bits(&got, &want), "{trans_a} {trans_b}");
    }
}

#[test]
fn amx_overwrite_never_reads_c_and_nan_propagates() {
    for (m, n, k) in [(13, 37, 5), (1, 1, 1), (33, 70, 64)] {
        let g = gemm(m, n, k, false, true);
        let (a, mut b) = (values(m * k, 1), values(k * n, 2));
        let mut c = vec![f32::NAN; m * n];
        run(g, (&a, &b, None), &mut c, false, false);
        assert!(c.iter().all(|x| x.is_finite()), "{m}x{n}x{k}");
        // A NaN in column 0 of op(B) (row 0 of the stored Bᵀ) reaches column 0 of C only.
        b[0] = f32::NAN;
        run(g, (&a, &b, None), &mut c, false, false);
        for (idx, x) in c.iter().enumerate() {
            assert_eq!(x.is_nan(), idx % n == 0, "{m}x{n}x{k} element {idx}");
        }
    }
}
