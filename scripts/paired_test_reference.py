"""Reference values for vae/src/compare/paired.rs: SciPy's paired t test and Wilcoxon signed-rank
test on the samples the Rust tests build (the same formulas, in the same float64 arithmetic).

    pip install scipy && python scripts/paired_test_reference.py

Prints Rust constants to paste into paired.rs's tests. Differences are B - A, so the t test is
ttest_rel(b, a); the Wilcoxon test is scipy.stats.wilcoxon(b, a) with its defaults
(zero_method="wilcox", correction=False, method="auto").
"""

import numpy as np
import scipy
from scipy import stats


def sample1():
    a = np.array([20, 8, 35, 30, 5, 58, 17, 40, 25, 47, 12, 32]) / 64.0
    d = np.array([3, -1, 5, 2, 7, -4, 9, -6, 11, 8, -10, 12]) / 64.0
    return a, a + d


def sample2():
    i = np.arange(40)
    a = ((i * 7) % 13) / 8.0
    b = a + np.array([0.0, 0.125, -0.25, 0.25, 0.375])[i % 5]
    return a, b


def sample3():
    i = np.arange(70)
    a = ((i * 37) % 101) / 128.0
    b = a + np.array([-3, -2, -1, 2, 1, 2, 3, 4, 5])[i % 9] / 64.0
    return a, b


def reference(name, a, b):
    t = stats.ttest_rel(b, a)
    ci = t.confidence_interval(0.95)
    w = stats.wilcoxon(b, a)
    # The z statistic is only reported by method="asymptotic"; the default p-value is the one kept.
    z = stats.wilcoxon(b, a, method="asymptotic").zstatistic
    print(f"    const {name}: Reference = Reference {{")
    print(f"        mean_a: {float(np.mean(a))!r},")
    print(f"        mean_diff: {float(np.mean(b - a))!r},")
    print(f"        t: {float(t.statistic)!r},")
    print(f"        t_p: {float(t.pvalue)!r},")
    print(f"        ci: [{float(ci.low)!r}, {float(ci.high)!r}],")
    print(f"        w: {float(w.statistic)!r},")
    print(f"        z: {float(z)!r},")
    print(f"        w_p: {float(w.pvalue)!r},")
    print("    };")


print(f"    // SciPy {scipy.__version__}, NumPy {np.__version__}")
reference("SCIPY_1", *sample1())
reference("SCIPY_2", *sample2())
reference("SCIPY_3", *sample3())
