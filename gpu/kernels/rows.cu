// Row-wise kernels on row-major matrices: broadcasts, reductions (one block per row, fixed tree, see
// common.cuh), log-softmax, L2 normalisation, column copies, row gathers and scatters.

// y[r, c] ← y[r, c] + v[c]
extern "C" __global__ void add_row_vector(const float* v, u64 cols, float* y, u64 n) {
    GRID_STRIDE(i, n) { y[i] = y[i] + v[i % cols]; }
}

// y[r, c] = α·v[r]
extern "C" __global__ void broadcast_col(const float* v, u64 cols, float alpha, float* y, u64 n) {
    GRID_STRIDE(i, n) { y[i] = alpha * v[i / cols]; }
}

// s[r] = α·Σ_c x[r, c]   (one block per row, double accumulation)
extern "C" __global__ void sum_rows(const float* x, u64 rows, u64 cols, double alpha, float* s) {
    __shared__ double sh[BLOCK];
    ROW_STRIDE(r, rows) {
        const float* xr = x + r * cols;
        double acc = 0.0;
        COL_STRIDE(j, cols) acc += (double)xr[j];
        const double total = block_sum(acc, sh);
        if (threadIdx.x == 0) s[r] = (float)(alpha * total);
    }
}

// s[c] ← β·s[c] + Σ_r x[r, c]   (one thread per column, rows in increasing order: deterministic,
// and neighbouring threads read neighbouring addresses)
extern "C" __global__ void sum_cols_acc(const float* x, u64 rows, u64 cols, double beta, float* s) {
    GRID_STRIDE(c, cols) {
        double acc = beta * (double)s[c];
        for (u64 r = 0; r < rows; ++r) acc += (double)x[r * cols + c];
        s[c] = (float)acc;
    }
}

// dst[r, dst_col + j] = src[r, src_col + j] for j < width, every row: slicing and concatenation.
extern "C" __global__ void copy_cols(const float* src, u64 src_cols, u64 src_col, float* dst,
                                     u64 dst_cols, u64 dst_col, u64 width, u64 rows) {
    GRID_STRIDE(i, rows * width) {
        const u64 r = i / width, j = i % width;
        dst[r * dst_cols + dst_col + j] = src[r * src_cols + src_col + j];
    }
}

// y[r, :] = x[r, :] − lse_r,  lse_r = m + log Σ_c exp(x[r, c] − m),  m = max_c x[r, c]
// (shifted by the maximum so no exponential overflows; an all −∞ row gives lse = −∞ as on the CPU)
extern "C" __global__ void log_softmax_rows(const float* x, u64 rows, u64 cols, float* y) {
    __shared__ double sh[BLOCK];
    __shared__ float shm[BLOCK];
    ROW_STRIDE(r, rows) {
        const float* xr = x + r * cols;
        float m = -INFINITY;
        COL_STRIDE(j, cols) m = fmaxf(m, xr[j]);
        m = block_max(m, shm);
        double acc = 0.0;
        COL_STRIDE(j, cols) acc += (double)expf(xr[j] - m);
        const double total = block_sum(acc, sh);
        const float lse = m == -INFINITY ? -INFINITY : (float)((double)m + log(total));
        COL_STRIDE(j, cols) y[r * cols + j] = xr[j] - lse;
    }
}

// x̄[r, :] = ȳ[r, :] − exp(y[r, :]) · Σ_c ȳ[r, c]
extern "C" __global__ void log_softmax_rows_backward(const float* y, const float* dy, u64 rows,
                                                     u64 cols, float* dx) {
    __shared__ double sh[BLOCK];
    ROW_STRIDE(r, rows) {
        const u64 o = r * cols;
        double acc = 0.0;
        COL_STRIDE(j, cols) acc += (double)dy[o + j];
        const float total = (float)block_sum(acc, sh);
        COL_STRIDE(j, cols) dx[o + j] = dy[o + j] - expf(y[o + j]) * total;
    }
}

// n[r] = √max(Σ_c x[r, c]², ε),  y[r, :] = x[r, :] / n[r]
extern "C" __global__ void l2_normalize_rows(const float* x, u64 rows, u64 cols, double eps,
                                             float* y, float* norms) {
    __shared__ double sh[BLOCK];
    ROW_STRIDE(r, rows) {
        const u64 o = r * cols;
        double acc = 0.0;
        COL_STRIDE(j, cols) {
            const double v = (double)x[o + j];
            acc += v * v;
        }
        const float n = (float)sqrt(fmax(block_sum(acc, sh), eps));
        if (threadIdx.x == 0) norms[r] = n;
        COL_STRIDE(j, cols) y[o + j] = x[o + j] / n;
    }
}

// x̄[r, :] = (ȳ[r, :] − y[r, :]·⟨y[r, :], ȳ[r, :]⟩) / n[r], the dot product taken as 0 where the
// forward clamped the norm to √ε (n[r] = (float)√ε exactly, as on the CPU): y = x/√ε is linear there.
extern "C" __global__ void l2_normalize_rows_backward(const float* y, const float* norms,
                                                      const float* dy, u64 rows, u64 cols,
                                                      double eps, float* dx) {
    __shared__ double sh[BLOCK];
    const float sqrt_eps = (float)sqrt(eps);
    ROW_STRIDE(r, rows) {
        const u64 o = r * cols;
        double acc = 0.0;
        COL_STRIDE(j, cols) acc += (double)y[o + j] * (double)dy[o + j];
        const float n = norms[r];
        // Every thread takes part in the reduction; the row's choice is the same for all of them.
        const float sum = (float)block_sum(acc, sh);
        const float dot = n <= sqrt_eps ? 0.0f : sum;
        COL_STRIDE(j, cols) dx[o + j] = (dy[o + j] - y[o + j] * dot) / n;
    }
}

// y[r, :] = table[index[r], :]
extern "C" __global__ void gather_rows(const float* table, u64 cols, const u32* index, float* y,
                                       u64 n) {
    GRID_STRIDE(i, n) { y[i] = table[(u64)index[i / cols] * cols + i % cols]; }
}

// table[d, :] ← table[d, :] + Σ_{r: index[r] = d} dy[r, :], the terms added in increasing r as the
// CPU does. The host groups the rows by destination (`dests[g]` receives rows
// `order[starts[g]..starts[g+1]]`, each group in increasing r), so one block owns one destination row:
// no atomics, no race between repeats, a fixed order.
extern "C" __global__ void scatter_add_rows(const float* dy, u64 cols, const u32* order,
                                            const u32* starts, const u32* dests, u64 groups,
                                            float* table) {
    ROW_STRIDE(g, groups) {
        float* t = table + (u64)dests[g] * cols;
        COL_STRIDE(j, cols) {
            float acc = t[j];
            for (u32 k = starts[g]; k < starts[g + 1]; ++k) acc = acc + dy[(u64)order[k] * cols + j];
            t[j] = acc;
        }
    }
}
