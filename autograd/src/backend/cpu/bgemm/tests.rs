//! The bf16 GEMM against f64 sums, with the bound derived in [`super`], on every path this CPU
//! runs (portable, AVX512-BF16), in parallel and on one thread, for every transpose form, with
//! tails in every dimension; and the two paths against each other, bit for bit.

use super::*;
use proptest::prelude::*;

use super::super::sgemm::tests::shapes;
pub(super) use super::super::sgemm::tests::{gemm, same_bits, values};

/// The bf16 paths this CPU runs: the portable kernel (what every path but `avx512bf16` takes) and
/// AVX512-BF16's.
fn paths() -> Vec<Isa> {
    [Isa::Avx512Bf16, Isa::Portable]
        .into_iter()
        .filter(|i| i.supported())
        .collect()
}

fn run(
    g: Gemm,
    a: &[f32],
    b: &[f32],
    bias: Option<&[f32]>,
    c: &mut [f32],
    isa: Isa,
    parallel: bool,
) {
    assert_eq!(c.len(), g.m * g.n);
    // SAFETY: c holds m × n initialised values and aliases neither operand.
    unsafe { bgemm_with(g, a, b, bias, c.as_mut_ptr(), isa, parallel) }
}

pub(super) fn check(
    g: Gemm,
    got: &[f32],
    want: &[(f64, f64, f64)],
    rounded: bool,
    what: &str,
) -> Result<(), TestCaseError> {
    for (idx, (&x, &(w, abs, beta_c))) in got.iter().zip(want).enumerate() {
        let at = format!("{what}: element ({}, {})", idx / g.n, idx % g.n);
        if w.is_nan() {
            prop_assert!(x.is_nan(), "{at}: {x}, want NaN");
        } else if w.is_infinite() {
            prop_assert_eq!(x as f64, w, "{}", at);
        } else {
            let tol = bound::tolerance(g.k, abs, beta_c, rounded);
            prop_assert!(
                (x as f64 - w).abs() <= tol,
                "{at}: {x} vs {w} (tolerance {tol:e}, rounded {rounded})"
            );
        }
    }
    Ok(())
}

/// Shapes with tails in every dimension: `m`, `n` no multiple of any `MR`, `NR` or `MC` in
/// general, `k` odd or even, up to 4,500 so that some take three `k` blocks (`KC` = 2,048), the
/// last of them odd.
pub(super) fn shape() -> impl Strategy<Value = Gemm> {
    shapes(70, 110, prop_oneof![1usize..=64, 1usize..=4500])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn every_path_and_form_matches_the_f64_sum_within_the_bound(g in shape(), seed in 0u64..1000) {
        let (a, b, c0) = (values(g.m * g.k, seed), values(g.k * g.n, seed + 1), values(g.m * g.n, seed + 2));
        let want = bound::exact(g, &a, &b, &c0, None, false);
        let want_rounded = bound::exact(g, &a, &b, &c0, None, true);
        for isa in paths() {
            for parallel in [false, true] {
                let mut c = c0.clone();
                run(g, &a, &b, None, &mut c, isa, parallel);
                let what = format!("{isa:?} parallel={parallel} {g:?}");
                check(g, &c, &want, false, &what)?;
                check(g, &c, &want_rounded, true, &what)?;
            }
        }
    }

    /// The two kernels give the same bits (see "Bits" in [`super`]), bias and β included.
    #[test]
    fn the_avx512bf16_path_gives_the_portable_bits(g in shape(), seed in 0u64..1000, with_bias in any::<bool>()) {
        prop_assume!(Isa::Avx512Bf16.supported());
        let (a, b, c0) = (values(g.m * g.k, seed), values(g.k * g.n, seed + 1), values(g.m * g.n, seed + 2));
        let bias = with_bias.then(|| values(g.n, seed + 3));
        let [x, y] = [Isa::Avx512Bf16, Isa::Portable].map(|isa| {
            let mut c = c0.clone();
            run(g, &a, &b, bias.as_deref(), &mut c, isa, true);
            c
        });
        prop_assert!(same_bits(&x, &y), "{:?}", g);
    }

    #[test]
    fn nan_and_infinity_in_the_operands_propagate_as_in_the_sum(
        g in shape(),
        seed in 0u64..1000,
        nan_at in any::<proptest::sample::Index>(),
        inf_at in any::<proptest::sample::Index>(),
        negative in any::<bool>(),
    ) {
        let (mut a, mut b, c0) = (values(g.m * g.k, seed), values(g.k * g.n, seed + 1), values(g.m * g.n, seed + 2));
        let (ia, ib) = (nan_at.index(a.len()), inf_at.index(b.len()));
        a[ia] = f32::NAN;
        b[ib] = if negative { f32::NEG_INFINITY } else { f32::INFINITY };
        let want = bound::exact(g, &a, &b, &c0, None, true);
        for isa in paths() {
            let mut c = c0.clone();
            run(g, &a, &b, None, &mut c, isa, true);
            check(g, &c, &want, true, &format!("{isa:?} {g:?}"))?;
        }
    }
}

pub(super) const FORMS: [(bool, bool); 3] = [(false, false), (true, false), (false, true)];

#[test]
fn overwrite_never_reads_c_and_an_empty_sum_scales_by_beta() {
    for isa in paths() {
        for (m, n, k) in [(13, 37, 5), (1, 1, 1), (40, 70, 0)] {
            let g = gemm(m, n, k, false, true);
            let (a, b) = (values(m * k, 1), values(k * n, 2));
            let mut c = vec![f32::NAN; m * n];
            run(g, &a, &b, None, &mut c, isa, false);
            assert!(c.iter().all(|x| x.is_finite()), "{isa:?} {m}x{n}x{k}");
        }
        let g = Gemm {
            beta: 0.5,
            ..gemm(3, 4, 0, false, false)
        };
        let mut c = vec![2.0f32; 12];
        run(g, &[], &[], None, &mut c, isa, false);
        assert_eq!(c, vec![1.0; 12]);
    }
}

/// Wider than one panel of `B` (2,048 columns on AVX512-BF16, 4,096 portable) and deeper than one
/// `k` block (2,048), an odd last block: every loop of the nest runs more than once and ends on a
/// partial block; the bias on top.
#[test]
fn products_spanning_several_panels_and_k_blocks_match_the_f64_sum() {
    for (trans_a, trans_b) in FORMS {
        let g = Gemm {
            beta: 1.0,
            ..gemm(13, 4096 + 45, 2 * 2048 + 7, trans_a, trans_b)
        };
        let (a, b, c0) = (
            values(g.m * g.k, 7),
            values(g.k * g.n, 8),
            values(g.m * g.n, 9),
        );
        let bias = values(g.n, 10);
        let want = bound::exact(g, &a, &b, &c0, Some(&bias), true);
        let mut results = Vec::new();
        for isa in paths() {
            let mut c = c0.clone();
            run(g, &a, &b, Some(&bias), &mut c, isa, true);
            check(g, &c, &want, true, &format!("{isa:?}")).unwrap();
            results.push(c);
        }
        assert!(
            results.windows(2).all(|w| same_bits(&w[0], &w[1])),
            "{trans_a} {trans_b}"
        );
    }
}

/// The bias in the epilogue gives the bits of the product followed by `Y + 1·bᵀ`.
#[test]
fn the_fused_bias_equals_the_product_then_the_addition_bit_for_bit() {
    for (trans_a, trans_b) in FORMS {
        let g = gemm(29, 333, 601, trans_a, trans_b);
        let (a, b, bias) = (values(g.m * g.k, 3), values(g.k * g.n, 4), values(g.n, 5));
        for isa in paths() {
            let mut want = vec![0f32; g.m * g.n];
            run(g, &a, &b, None, &mut want, isa, true);
            for row in want.chunks_mut(g.n) {
                for (y, &v) in row.iter_mut().zip(&bias) {
                    *y += v;
                }
            }
            let mut got = vec![0f32; g.m * g.n];
            run(g, &a, &b, Some(&bias), &mut got, isa, true);
            assert!(same_bits(&got, &want), "{isa:?} {trans_a} {trans_b}");
        }
    }
}

#[test]
fn results_are_bit_identical_on_one_two_and_three_threads() {
    for (trans_a, trans_b) in FORMS {
        // Two k blocks: the later block adds to what the first wrote.
        let g = gemm(103, 700, 2100, trans_a, trans_b);
        let (a, b) = (values(g.m * g.k, 10), values(g.k * g.n, 11));
        for isa in paths() {
            let mut one = vec![0f32; g.m * g.n];
            run(g, &a, &b, None, &mut one, isa, false);
            for threads in [1, 2, 3] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let mut c = vec![0f32; g.m * g.n];
                pool.install(|| run(g, &a, &b, None, &mut c, isa, true));
                assert!(
                    same_bits(&one, &c),
                    "{isa:?} {threads} threads, {trans_a} {trans_b}"
                );
            }
        }
    }
}

/// Subnormal operands are flushed as `vdpbf16ps` flushes them, and subnormal partial sums too:
/// the two paths agree where values are subnormal. Row 0 mixes operands subnormal in f32 (zero in
/// bf16) with normal ones; in row 1 every product, and so every partial sum, is subnormal: zero.
#[test]
fn subnormals_are_flushed_alike_on_both_paths() {
    let g = gemm(13, 41, 9, false, false);
    let a: Vec<f32> = (0..g.m * g.k)
        .map(|i| match (i / g.k, i % 2) {
            (1, _) => 1e-22,
            (_, 0) => f32::from_bits(0x0001_0000 * (i as u32 % 7 + 1)),
            _ => f32::from_bits(0x0001_0000 * (i as u32 % 7 + 1)) * 1e30,
        })
        .collect();
    let b: Vec<f32> = (0..g.k * g.n)
        .map(|i| if i % 3 == 0 { 1e-20 } else { -2.5e-19 } * (i % 5 + 1) as f32)
        .collect();
    let results: Vec<Vec<f32>> = paths()
        .into_iter()
        .map(|isa| {
            let mut c = vec![0f32; g.m * g.n];
            run(g, &a, &b, None, &mut c, isa, false);
            c
        })
        .collect();
    assert!(results.windows(2).all(|w| same_bits(&w[0], &w[1])));
    // Row 0's even p are zero in bf16, so the sum runs over the odd p only.
    let want: f64 = (0..g.k)
        .filter(|p| p % 2 == 1)
        .map(|p| bf16::widen(bf16::pack(a[p])) as f64 * bf16::widen(bf16::pack(b[p * g.n])) as f64)
        .sum();
    let got = results[0][0] as f64;
    assert!(
        want != 0.0 && (got - want).abs() <= 1e-6 * want.abs(),
        "{got} vs {want}"
    );
    assert!(
        results[0][g.n..2 * g.n].iter().all(|&x| x == 0.0),
        "row 1: {:?}",
        &results[0][g.n..2 * g.n]
    );
}
