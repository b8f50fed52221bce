//! Paired tests of two systems scored on the same users: the paired t test and the Wilcoxon
//! signed-rank test of the differences `dᵢ = bᵢ − aᵢ` (B against A, so a positive difference means
//! B scores higher). Both follow SciPy (`scipy.stats.ttest_rel(b, a)` and
//! `scipy.stats.wilcoxon(b, a)` with its defaults); `scripts/paired_test_reference.py` prints the
//! values the tests hold us to.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// The largest count of non-zero differences for which the Wilcoxon p-value is exact (SciPy's
/// `method="auto"` takes the exact null distribution up to 50 pairs).
pub const EXACT_WILCOXON_MAX_N: usize = 50;

/// Mean, spread and tests of the differences `b − a` of one metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Paired {
    /// Number of pairs (users).
    pub n: usize,
    pub mean_a: f64,
    pub mean_b: f64,
    /// `d̄ = (1/n) Σ dᵢ`, computed from the differences (so identical inputs give exactly 0).
    pub mean_diff: f64,
    /// The 95% interval of the mean difference: `d̄ ± t₀.₉₇₅,ₙ₋₁ · s/√n`; `[d̄, d̄]` when every
    /// difference is the same, absent when n < 2.
    pub ci95: Option<[f64; 2]>,
    /// Absent (undefined) when n < 2 or every difference is the same (`s = 0`).
    pub t_test: Option<TTest>,
    pub wilcoxon: Wilcoxon,
}

/// The paired t test: `s² = Σ (dᵢ − d̄)² / (n − 1)`, `t = d̄ / (s/√n)` on `n − 1` degrees of
/// freedom, `p = 2 · P(T > |t|)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TTest {
    pub t: f64,
    pub df: usize,
    pub p: f64,
}

/// How the Wilcoxon p-value was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WilcoxonMethod {
    /// The exact null distribution of `R⁺` (every one of the `2ⁿ` signs equally likely): used for
    /// `n ≤ 50` non-zero differences without ties or zeros, as SciPy's `method="auto"` does.
    Exact,
    /// The normal approximation with the tie correction and no continuity correction (SciPy's
    /// `method="asymptotic"`, `correction=False`): used above 50 pairs, or with ties or zeros.
    /// SciPy's `"auto"` does the same except for 13 pairs or fewer with ties or zeros, where it
    /// enumerates the `2ⁿ` sign changes instead (a permutation test); we do not.
    Normal,
    /// Every difference is zero: nothing to rank; `W = 0` and `p = 1` by our convention (SciPy
    /// gives NaN).
    AllZero,
}

/// The Wilcoxon signed-rank test with Wilcoxon's treatment of zeros (SciPy's
/// `zero_method="wilcox"`): zero differences are dropped, the `n` others ranked by `|dᵢ|` with
/// tied values given their average rank. `R⁺` and `R⁻` are the sums of the ranks of the positive
/// and of the negative differences, and the statistic is `W = min(R⁺, R⁻)`.
///
/// Normal approximation: `z = (R⁺ − n(n+1)/4) / σ` with
/// `σ² = (n(n+1)(2n+1) − ½ Σⱼ (tⱼ³ − tⱼ)) / 24` over the groups of `tⱼ` tied `|dᵢ|`,
/// `p = 2 · P(Z > |z|)`. Exact: `p = min(1, 2 · min(P(R⁺ ≤ r⁺), P(R⁺ ≥ r⁺)))`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Wilcoxon {
    pub w: f64,
    pub r_plus: f64,
    pub r_minus: f64,
    /// Non-zero differences, the `n` of the formulas.
    pub n_nonzero: usize,
    /// `−|z|`, as SciPy reports it for a two-sided test; absent for the exact method.
    pub z: Option<f64>,
    pub p: f64,
    pub method: WilcoxonMethod,
}

/// Compares `b` with `a`, pair by pair.
///
/// # Panics
/// If `a` and `b` differ in length or are empty: the caller pairs users first.
pub fn paired(a: &[f64], b: &[f64]) -> Paired {
    assert_eq!(a.len(), b.len(), "paired samples of different lengths");
    assert!(!a.is_empty(), "no pairs to compare");
    let n = a.len();
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| y - x).collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let mean_diff = mean(&d);
    let (ci95, t_test) = t_test(&d, mean_diff);
    Paired {
        n,
        mean_a: mean(a),
        mean_b: mean(b),
        mean_diff,
        ci95,
        t_test,
        wilcoxon: wilcoxon(&d),
    }
}

fn t_test(d: &[f64], mean: f64) -> (Option<[f64; 2]>, Option<TTest>) {
    let n = d.len();
    if n < 2 {
        return (None, None);
    }
    let df = n - 1;
    let s2 = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / df as f64;
    let se = (s2 / n as f64).sqrt();
    if se == 0.0 {
        return (Some([mean, mean]), None);
    }
    let dist = StudentsT::new(0.0, 1.0, df as f64).expect("df ≥ 1 is a valid t distribution");
    let half = dist.inverse_cdf(0.975) * se;
    let t = mean / se;
    let test = TTest {
        t,
        df,
        p: (2.0 * dist.sf(t.abs())).min(1.0),
    };
    (Some([mean - half, mean + half]), Some(test))
}

/// Ranks `1..=n` of `x`, tied values sharing their average rank, and the sizes of the groups of
/// ties (one entry per distinct value).
fn average_ranks(x: &[f64]) -> (Vec<f64>, Vec<usize>) {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&i, &j| x[i].total_cmp(&x[j]));
    let mut ranks = vec![0.0; x.len()];
    let mut ties = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && x[order[end]] == x[order[start]] {
            end += 1;
        }
        // Ranks start+1 ..= end share their mean.
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        ties.push(end - start);
        start = end;
    }
    (ranks, ties)
}

fn wilcoxon(d: &[f64]) -> Wilcoxon {
    let nonzero: Vec<f64> = d.iter().copied().filter(|&x| x != 0.0).collect();
    let n = nonzero.len();
    if n == 0 {
        return Wilcoxon {
            w: 0.0,
            r_plus: 0.0,
            r_minus: 0.0,
            n_nonzero: 0,
            z: None,
            p: 1.0,
            method: WilcoxonMethod::AllZero,
        };
    }
    let abs: Vec<f64> = nonzero.iter().map(|x| x.abs()).collect();
    let (ranks, ties) = average_ranks(&abs);
    let r_plus: f64 = ranks
        .iter()
        .zip(&nonzero)
        .filter(|(_, &x)| x > 0.0)
        .map(|(r, _)| r)
        .sum();
    let r_minus: f64 = ranks
        .iter()
        .zip(&nonzero)
        .filter(|(_, &x)| x < 0.0)
        .map(|(r, _)| r)
        .sum();
    let w = r_plus.min(r_minus);
    let has_ties = ties.iter().any(|&t| t > 1);
    if n == d.len() && n <= EXACT_WILCOXON_MAX_N && !has_ties {
        return Wilcoxon {
            w,
            r_plus,
            r_minus,
            n_nonzero: n,
            z: None,
            p: exact_p(n, r_plus as usize),
            method: WilcoxonMethod::Exact,
        };
    }
    let nf = n as f64;
    let mean = nf * (nf + 1.0) / 4.0;
    let tie_sum: f64 = ties
        .iter()
        .map(|&t| {
            let t = t as f64;
            t * t * t - t
        })
        .sum();
    let sigma = ((nf * (nf + 1.0) * (2.0 * nf + 1.0) - tie_sum / 2.0) / 24.0).sqrt();
    let z = (r_plus - mean) / sigma;
    let normal = Normal::standard();
    Wilcoxon {
        w,
        r_plus,
        r_minus,
        n_nonzero: n,
        z: Some(-z.abs()),
        p: (2.0 * normal.sf(z.abs())).min(1.0),
        method: WilcoxonMethod::Normal,
    }
}

/// `min(1, 2 · min(P(R⁺ ≤ r), P(R⁺ ≥ r)))` under the exact null distribution of `R⁺` for `n`
/// differences without ties: the number of subsets of `{1, …, n}` summing to `k`, over `2ⁿ`.
fn exact_p(n: usize, r: usize) -> f64 {
    let top = n * (n + 1) / 2;
    // counts[k] = subsets of {1..=i} summing to k, built up i by i (fits u64: 2⁵⁰ at most).
    let mut counts = vec![0u64; top + 1];
    counts[0] = 1;
    for i in 1..=n {
        for k in (i..=top).rev() {
            counts[k] += counts[k - i];
        }
    }
    let total = 2f64.powi(n as i32);
    let below: u64 = counts[..=r].iter().sum();
    let above: u64 = counts[r..].iter().sum();
    (2.0 * below.min(above) as f64 / total).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relative agreement with SciPy's figures (printed with 17 significant digits).
    fn close(got: f64, want: f64, what: &str) {
        let tol = 1e-10 * want.abs().max(1e-300);
        assert!(
            (got - want).abs() <= tol.max(1e-15),
            "{what}: got {got:e}, SciPy {want:e}"
        );
    }

    #[test]
    fn average_ranks_share_the_mean_rank_of_a_tie() {
        let (r, t) = average_ranks(&[0.3, 0.1, 0.3, 0.2, 0.3]);
        assert_eq!(r, vec![4.0, 1.0, 4.0, 2.0, 4.0]);
        assert_eq!(t, vec![1, 1, 3]);
    }

    #[test]
    fn exact_null_distribution_of_three_pairs_is_counted_by_hand() {
        // Subsets of {1,2,3} by sum: 0:1, 1:1, 2:1, 3:2, 4:1, 5:1, 6:1 (8 in all).
        assert_eq!(exact_p(3, 0), 2.0 / 8.0);
        assert_eq!(exact_p(3, 1), 4.0 / 8.0);
        assert_eq!(exact_p(3, 3), 1.0);
        assert_eq!(exact_p(3, 6), 2.0 / 8.0);
    }

    #[test]
    fn identical_samples_differ_by_exactly_zero_with_no_test_and_wilcoxon_p_one() {
        let a = [0.1, 0.25, 1.0 / 3.0, 0.0];
        let p = paired(&a, &a);
        assert_eq!(p.mean_diff, 0.0);
        assert_eq!(p.ci95, Some([0.0, 0.0]));
        assert_eq!(p.t_test, None);
        assert_eq!(p.wilcoxon.p, 1.0);
        assert_eq!(p.wilcoxon.w, 0.0);
        assert_eq!(p.wilcoxon.method, WilcoxonMethod::AllZero);
        assert!(!serde_json::to_string(&p).unwrap().contains("NaN"));
    }

    #[test]
    fn a_constant_nonzero_difference_has_an_interval_of_one_point_and_no_t() {
        let p = paired(&[0.0, 1.0, 2.0], &[0.5, 1.5, 2.5]);
        assert_eq!(p.mean_diff, 0.5);
        assert_eq!(p.ci95, Some([0.5, 0.5]));
        assert_eq!(p.t_test, None);
    }

    // The SciPy figures (`SCIPY_*`, at the end) are printed by `scripts/paired_test_reference.py`
    // for the same samples.

    /// Twelve pairs, their differences distinct and non-zero: the exact Wilcoxon p-value. Values
    /// are multiples of 1/64 (exact in binary), so the differences are the intended ones.
    fn sample1() -> (Vec<f64>, Vec<f64>) {
        let a = [20, 8, 35, 30, 5, 58, 17, 40, 25, 47, 12, 32];
        let d = [3, -1, 5, 2, 7, -4, 9, -6, 11, 8, -10, 12];
        let a: Vec<f64> = a.iter().map(|&k| k as f64 / 64.0).collect();
        let b = a.iter().zip(d).map(|(x, d)| x + d as f64 / 64.0).collect();
        (a, b)
    }

    #[test]
    fn twelve_pairs_without_ties_match_scipy_exactly() {
        let (a, b) = sample1();
        let p = paired(&a, &b);
        let t = p.t_test.clone().unwrap();
        close(p.mean_diff, SCIPY_1.mean_diff, "mean diff");
        close(t.t, SCIPY_1.t, "t");
        close(t.p, SCIPY_1.t_p, "t p");
        let [lo, hi] = p.ci95.unwrap();
        close(lo, SCIPY_1.ci[0], "ci low");
        close(hi, SCIPY_1.ci[1], "ci high");
        assert_eq!(p.wilcoxon.method, WilcoxonMethod::Exact);
        close(p.wilcoxon.w, SCIPY_1.w, "W");
        close(p.wilcoxon.p, SCIPY_1.w_p, "W p");
    }

    /// Forty pairs with zero differences and tied differences: the normal approximation.
    fn sample2() -> (Vec<f64>, Vec<f64>) {
        // Values on a grid of 1/8 (exact in binary) so that equal differences are equal bits.
        let a: Vec<f64> = (0..40).map(|i| ((i * 7) % 13) as f64 / 8.0).collect();
        let b: Vec<f64> = (0..40)
            .map(|i| ((i * 7) % 13) as f64 / 8.0 + [0.0, 0.125, -0.25, 0.25, 0.375][i % 5])
            .collect();
        (a, b)
    }

    #[test]
    fn forty_pairs_with_zeros_and_ties_match_scipy_asymptotic() {
        let (a, b) = sample2();
        let p = paired(&a, &b);
        let t = p.t_test.clone().unwrap();
        close(p.mean_diff, SCIPY_2.mean_diff, "mean diff");
        close(t.t, SCIPY_2.t, "t");
        close(t.p, SCIPY_2.t_p, "t p");
        let [lo, hi] = p.ci95.unwrap();
        close(lo, SCIPY_2.ci[0], "ci low");
        close(hi, SCIPY_2.ci[1], "ci high");
        assert_eq!(p.wilcoxon.method, WilcoxonMethod::Normal);
        assert_eq!(p.wilcoxon.n_nonzero, 32);
        close(p.wilcoxon.w, SCIPY_2.w, "W");
        close(p.wilcoxon.z.unwrap(), SCIPY_2.z, "z");
        close(p.wilcoxon.p, SCIPY_2.w_p, "W p");
    }

    /// Seventy pairs, no zero, some ties: above 50 pairs SciPy's default is asymptotic too.
    fn sample3() -> (Vec<f64>, Vec<f64>) {
        let a: Vec<f64> = (0..70).map(|i| ((i * 37) % 101) as f64 / 128.0).collect();
        let b = a
            .iter()
            .enumerate()
            .map(|(i, x)| x + [-3, -2, -1, 2, 1, 2, 3, 4, 5][i % 9] as f64 / 64.0)
            .collect();
        (a, b)
    }

    #[test]
    fn seventy_pairs_match_scipy_default() {
        let (a, b) = sample3();
        let p = paired(&a, &b);
        let t = p.t_test.clone().unwrap();
        close(p.mean_a, SCIPY_3.mean_a, "mean a");
        close(p.mean_diff, SCIPY_3.mean_diff, "mean diff");
        close(t.t, SCIPY_3.t, "t");
        close(t.p, SCIPY_3.t_p, "t p");
        let [lo, hi] = p.ci95.unwrap();
        close(lo, SCIPY_3.ci[0], "ci low");
        close(hi, SCIPY_3.ci[1], "ci high");
        assert_eq!(p.wilcoxon.method, WilcoxonMethod::Normal);
        close(p.wilcoxon.w, SCIPY_3.w, "W");
        close(p.wilcoxon.z.unwrap(), SCIPY_3.z, "z");
        close(p.wilcoxon.p, SCIPY_3.w_p, "W p");
    }

    struct Reference {
        mean_a: f64,
        mean_diff: f64,
        t: f64,
        t_p: f64,
        ci: [f64; 2],
        w: f64,
        z: f64,
        w_p: f64,
    }

    // Printed by scripts/paired_test_reference.py with SciPy 1.17.1, NumPy 2.4.6
    const SCIPY_1: Reference = Reference {
        mean_a: 0.4283854166666667,
        mean_diff: 0.046875,
        t: 1.480500563599754,
        t_p: 0.16680363483060673,
        ci: [-0.022811687000267422, 0.11656168700026742],
        w: 21.0,
        z: -1.4120361729949251,
        w_p: 0.17626953125,
    };
    const SCIPY_2: Reference = Reference {
        mean_a: 0.73125,
        mean_diff: 0.1,
        t: 2.9038650850947665,
        t_p: 0.006039776867877989,
        ci: [0.03034487275531428, 0.16965512724468573],
        w: 132.0,
        z: -2.5153125820901296,
        w_p: 0.01189268896615993,
    };
    const SCIPY_3: Reference = Reference {
        mean_a: 0.3911830357142857,
        mean_diff: 0.01763392857142857,
        t: 3.681712434836726,
        t_p: 0.0004559505317524053,
        ci: [0.008078938719142613, 0.027188918423714528],
        w: 684.0,
        z: -3.2951572946625354,
        w_p: 0.00098366603055373,
    };
}
