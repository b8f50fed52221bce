"""The output layer's three GEMM forms (500×600×20,108) through numpy's OpenBLAS, 2 threads, best of
five after a warm-up: the peer that `cargo bench -p autograd --bench dense_layer` is compared with in
docs/benchmarks.md. Run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (they pin an old kernel):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=2 python3 scripts/openblas_gemm.py
"""
import time

import numpy as np
from threadpoolctl import threadpool_info

M, K, N = 500, 600, 20108
rng = np.random.default_rng(0)
x = rng.standard_normal((M, K), dtype=np.float32)
w = rng.standard_normal((K, N), dtype=np.float32)
dy = rng.standard_normal((M, N), dtype=np.float32)
forms = {
    "Y = X·W (NN)": lambda: x @ w,
    "W̄ = Xᵀ·Ȳ (TN)": lambda: x.T @ dy,
    "X̄ = Ȳ·Wᵀ (NT)": lambda: dy @ w.T,
}
info = [(i["internal_api"], i.get("architecture"), i["num_threads"]) for i in threadpool_info()]
print("BLAS:", info)
for name, f in forms.items():
    f()
    times = []
    for _ in range(5):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    print(f"{name:<16} OpenBLAS: {2 * M * K * N / min(times) / 1e9:6.1f} GFLOP/s")
