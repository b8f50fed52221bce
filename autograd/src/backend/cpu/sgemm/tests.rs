//! The packed GEMM against the textbook sum in f64, on every path this CPU runs, in parallel and on
//! one thread, for every transpose form, overwrite and accumulate, with tails in every dimension.

use super::*;
use proptest::prelude::*;

/// `α·Σ_p op(A)[i,p]·op(B)[p,j] + β·C[i,j]` in f64, with the bound `Σ_p |op(A)[i,p]·op(B)[p,j]|`
/// that the f32 rounding error is measured against.
fn naive(g: Gemm, a: &[f32], b: &[f32], c: &[f32]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(g.m * g.n);
    for i in 0..g.m {
        for j in 0..g.n {
            let (mut s, mut bound) = (0.0f64, 0.0f64);
            for p in 0..g.k {
                let av = a[g.a_index(i, p)] as f64;
                let bv = b[g.b_index(p, j)] as f64;
                s += av * bv;
                bound += (av * bv).abs();
            }
            let cij = c[i * g.n + j] as f64;
            let beta_c = if g.beta == 0.0 { 0.0 } else { g.beta * cij };
            out.push((g.alpha * s + beta_c, g.alpha.abs() * bound + beta_c.abs()));
        }
    }
    out
}

/// `n` standard normal values, a function of `seed` (the bf16 GEMM's tests use them too).
pub(in crate::backend::cpu) fn values(n: usize, seed: u64) -> Vec<f32> {
    (0..n as u64)
        .map(|i| crate::rng::standard_normal(crate::rng::RngKey::new(seed, 0), i) as f32)
        .collect()
}

fn paths() -> Vec<Isa> {
    [Isa::Avx512, Isa::Avx2, Isa::Portable]
        .into_iter()
        .filter(|i| i.supported())
        .collect()
}

fn run(g: Gemm, a: &[f32], b: &[f32], c: &mut [f32], isa: Isa, parallel: bool) {
    assert_eq!(c.len(), g.m * g.n);
    // SAFETY: c holds m × n initialised values and aliases neither operand.
    unsafe { sgemm_with(g, a, b, None, c.as_mut_ptr(), isa, parallel) }
}

/// Whether two results have the same bits, element by element.
pub(in crate::backend::cpu) fn same_bits(x: &[f32], y: &[f32]) -> bool {
    x.len() == y.len() && x.iter().zip(y).all(|(a, b)| a.to_bits() == b.to_bits())
}

/// `op(A)·op(B)` into zeros, in parallel on `pool`'s threads.
fn on_pool(pool: &rayon::ThreadPool, g: Gemm, a: &[f32], b: &[f32], isa: Isa) -> Vec<f32> {
    let mut c = vec![0f32; g.m * g.n];
    pool.install(|| run(g, a, b, &mut c, isa, true));
    c
}

/// Checks `got` against the f64 sum: NaN where it is NaN, the same infinity, and otherwise within
/// `k + 2` f32 roundings of the sum of absolute terms.
fn check(g: Gemm, got: &[f32], want: &[(f64, f64)], what: &str) -> Result<(), TestCaseError> {
    let ulp = f32::EPSILON as f64 / 2.0;
    for (idx, (&x, &(w, bound))) in got.iter().zip(want).enumerate() {
        let at = format!("{what}: element ({}, {})", idx / g.n, idx % g.n);
        if w.is_nan() {
            prop_assert!(x.is_nan(), "{at}: {x}, want NaN");
        } else if w.is_infinite() {
            prop_assert_eq!(x as f64, w, "{}", at);
        } else {
            let tol = (g.k as f64 + 2.0) * ulp * bound + f32::MIN_POSITIVE as f64;
            prop_assert!(
                (x as f64 - w).abs() <= tol,
                "{at}: {x} vs {w} (tolerance {tol})"
            );
        }
    }
    Ok(())
}

/// Shapes with tails in every dimension; `k` up to 1,100, so some cases take two `k` blocks on
/// every path (`KC` is 1,024 on the vector paths, 256 on the portable one).
fn shape() -> impl Strategy<Value = Gemm> {
    shapes(110, 150, 1usize..=1100)
}

/// Products `m × k · k × n` with `m ≤ m_max`, `n ≤ n_max`, `k` drawn from `k`, each form, and
/// `(α, β)` overwriting, accumulating and scaling (the bf16 GEMM's tests draw from it too).
pub(in crate::backend::cpu) fn shapes(
    m_max: usize,
    n_max: usize,
    k: impl Strategy<Value = usize>,
) -> impl Strategy<Value = Gemm> {
    (
        1usize..=m_max,
        1usize..=n_max,
        k,
        any::<bool>(),
        any::<bool>(),
        prop_oneof![Just((1.0, 0.0)), Just((1.0, 1.0)), Just((-0.75, 0.5))],
    )
        .prop_map(|(m, n, k, trans_a, trans_b, (alpha, beta))| Gemm {
            m,
            n,
            k,
            trans_a,
            trans_b,
            alpha,
            beta,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn every_path_and_form_matches_the_f64_sum(g in shape(), seed in 0u64..1000) {
        let (a, b, c0) = (values(g.m * g.k, seed), values(g.k * g.n, seed + 1), values(g.m * g.n, seed + 2));
        let want = naive(g, &a, &b, &c0);
        for isa in paths() {
            for parallel in [false, true] {
                let mut c = c0.clone();
                run(g, &a, &b, &mut c, isa, parallel);
                check(g, &c, &want, &format!("{isa:?} parallel={parallel} {g:?}"))?;
            }
        }
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
        let want = naive(g, &a, &b, &c0);
        for isa in paths() {
            let mut c = c0.clone();
            run(g, &a, &b, &mut c, isa, true);
            check(g, &c, &want, &format!("{isa:?} {g:?}"))?;
        }
    }
}

/// `op(A)·op(B)` into `C` (`α` = 1, `β` = 0).
pub(in crate::backend::cpu) fn gemm(
    m: usize,
    n: usize,
    k: usize,
    trans_a: bool,
    trans_b: bool,
) -> Gemm {
    Gemm {
        m,
        n,
        k,
        trans_a,
        trans_b,
        alpha: 1.0,
        beta: 0.0,
    }
}

#[test]
fn overwrite_never_reads_c() {
    for isa in paths() {
        for (m, n, k) in [(13, 37, 5), (1, 1, 1), (40, 70, 0)] {
            let g = gemm(m, n, k, false, true);
            let (a, b) = (values(m * k, 1), values(k * n, 2));
            let mut c = vec![f32::NAN; m * n];
            run(g, &a, &b, &mut c, isa, false);
            assert!(c.iter().all(|x| x.is_finite()), "{isa:?} {m}x{n}x{k}");
        }
    }
}

#[test]
fn an_empty_inner_dimension_scales_c_by_beta() {
    let g = Gemm {
        beta: 0.5,
        ..gemm(3, 4, 0, false, false)
    };
    let mut c = vec![2.0f32; 12];
    run(g, &[], &[], &mut c, Isa::selected(), false);
    assert_eq!(c, vec![1.0; 12]);
}

/// Wider than one packed panel of `B` (2,048 columns on the vector paths, 4,096 on the portable
/// one) and deeper than one `k` block (1,024 and 256), so every loop of the nest runs more than
/// once and ends on a partial block.
#[test]
fn products_spanning_several_panels_and_k_blocks_match_the_f64_sum() {
    for (trans_a, trans_b) in [(false, false), (false, true), (true, false)] {
        let g = Gemm {
            beta: 1.0,
            ..gemm(29, 4096 + 45, 1100, trans_a, trans_b)
        };
        let (a, b, c0) = (
            values(g.m * g.k, 7),
            values(g.k * g.n, 8),
            values(g.m * g.n, 9),
        );
        let want = naive(g, &a, &b, &c0);
        for isa in paths() {
            let mut c = c0.clone();
            run(g, &a, &b, &mut c, isa, true);
            check(g, &c, &want, &format!("{isa:?}")).unwrap();
        }
    }
}

/// Slivers of `A` read in place (the default) give the bits of the same slivers packed, on every
/// path and form, edge slivers included (203 and 29 rows are no multiple of any `MR`).
#[test]
fn reading_a_in_place_gives_the_bits_of_packing_it() {
    for (m, n, k) in [(203, 1100, 700), (29, 70, 1030)] {
        for (trans_a, trans_b) in [(false, false), (false, true), (true, false)] {
            let g = gemm(m, n, k, trans_a, trans_b);
            let (a, b) = (values(g.m * g.k, 12), values(g.k * g.n, 13));
            for isa in paths() {
                let [in_place, packed] = [true, false].map(|a_in_place| {
                    let mut c = vec![0f32; g.m * g.n];
                    // SAFETY: c holds m × n values and aliases neither operand.
                    unsafe {
                        super::sgemm_impl(g, &a, &b, None, c.as_mut_ptr(), isa, true, a_in_place)
                    };
                    c
                });
                assert!(
                    same_bits(&in_place, &packed),
                    "{isa:?} {m}×{n}×{k}, {trans_a} {trans_b}"
                );
            }
        }
    }
}

#[test]
fn results_are_bit_identical_on_one_two_and_three_threads() {
    for (trans_a, trans_b) in [(false, false), (false, true), (true, false)] {
        // Two k blocks on every path: the later block adds to what the first wrote.
        let g = gemm(203, 1100, 1100, trans_a, trans_b);
        let (a, b) = (values(g.m * g.k, 10), values(g.k * g.n, 11));
        for isa in paths() {
            let mut one = vec![0f32; g.m * g.n];
            run(g, &a, &b, &mut one, isa, false);
            for threads in [1, 2, 3] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                assert!(
                    same_bits(&one, &on_pool(&pool, g, &a, &b, isa)),
                    "{isa:?} {threads} threads, {trans_a} {trans_b}"
                );
            }
        }
    }
}

/// More threads than a step has tasks (one block of rows: 1 to 4 tasks a step, 8 threads on this
/// machine's cores), so threads run ahead into later panels while earlier jobs are still running,
/// and the packed `Aᵀ` of a single `k` block is read by every panel from the first step's buffer:
/// the bits of one thread, round after round.
#[test]
fn threads_outnumbering_the_tasks_give_the_bits_of_one_thread() {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(8)
        .build()
        .unwrap();
    for (trans_a, trans_b) in [(true, false), (false, false), (false, true)] {
        let g = gemm(12, 3 * 2048 + 300, 400, trans_a, trans_b);
        let (a, b) = (values(g.m * g.k, 12), values(g.k * g.n, 13));
        for isa in paths() {
            let mut one = vec![0f32; g.m * g.n];
            run(g, &a, &b, &mut one, isa, false);
            for round in 0..20 {
                assert!(
                    same_bits(&one, &on_pool(&pool, g, &a, &b, isa)),
                    "{isa:?} {trans_a} {trans_b}, round {round}"
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// A dense layer's bias, added in the epilogue, gives the bits of the product followed by
    /// `Y + 1·bᵀ` (what the layer computed before the bias moved into the GEMM).
    #[test]
    fn the_fused_bias_equals_the_product_then_the_addition_bit_for_bit(g in shape(), seed in 0u64..1000) {
        let (a, b, c0) = (values(g.m * g.k, seed), values(g.k * g.n, seed + 1), values(g.m * g.n, seed + 2));
        let bias = values(g.n, seed + 3);
        for isa in paths() {
            let mut want = c0.clone();
            run(g, &a, &b, &mut want, isa, true);
            for row in want.chunks_mut(g.n) {
                for (y, &v) in row.iter_mut().zip(&bias) {
                    *y += v;
                }
            }
            let mut got = c0.clone();
            // SAFETY: got holds m × n values; bias n.
            unsafe { sgemm_with(g, &a, &b, Some(&bias), got.as_mut_ptr(), isa, true) };
            prop_assert!(same_bits(&got, &want), "{:?} {:?}", isa, g);
        }
    }
}
