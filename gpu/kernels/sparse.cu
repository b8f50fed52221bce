// Sparse kernels: CSR × dense, the transposed product Xᵀ·D, the multinomial likelihood on sparse
// targets fused with its log-sum-exp, and a value written at a CSR matrix's entries. A CSR matrix is (indptr[rows + 1], indices[nnz], values[nnz]),
// columns strictly increasing within a row (autograd's CsrMatrix guarantees it).

// C[r, j] = Σ_p values[p]·B[indices[p], j],  p ∈ indptr[r]..indptr[r+1]
// One block per row of C, threads over its columns; each element sums the non-zeros in CSR order,
// as the CPU does.
extern "C" __global__ void csr_matmul(const u32* indptr, const u32* indices, const float* values,
                                      u64 rows, const float* b, u64 n, float* c) {
    ROW_STRIDE(r, rows) {
        const u32 p0 = indptr[r], p1 = indptr[r + 1];
        COL_STRIDE(j, n) {
            float acc = 0.0f;
            for (u32 p = p0; p < p1; ++p) acc = acc + values[p] * b[(u64)indices[p] * n + j];
            c[r * n + j] = acc;
        }
    }
}

// C[k, j] ← C[k, j] + Σ_r X[r, k]·D[r, j]   (C = C + Xᵀ·D), or C = Xᵀ·D when `accumulate` is 0
// Deterministic without atomics: the host uploads Xᵀ as a second CSR (t_indptr over the k columns of
// X, t_rows the row of each non-zero in increasing order), so one block owns one row k of C and adds
// its terms in increasing r, exactly the order of the CPU loop. Overwriting (`accumulate` = 0) starts
// each sum at 0 and writes rows without terms as zeros, so a fresh C needs no zero fill first.
extern "C" __global__ void csr_t_matmul_acc(const u32* t_indptr, const u32* t_rows,
                                            const float* t_values, u64 k_rows, const float* d,
                                            u64 n, int accumulate, float* c) {
    ROW_STRIDE(k, k_rows) {
        const u32 p0 = t_indptr[k], p1 = t_indptr[k + 1];
        if (p0 == p1 && accumulate) continue;  // uniform across the block: nothing to add
        COL_STRIDE(j, n) {
            float acc = accumulate ? c[k * n + j] : 0.0f;
            for (u32 p = p0; p < p1; ++p) acc = acc + t_values[p] * d[(u64)t_rows[p] * n + j];
            c[k * n + j] = acc;
        }
    }
}

// ℓ[u] = N_u·lse_u − Σ_i t[u, i]·z[u, i],  lse_u = log Σ_i exp z[u, i],  N_u = Σ_i t[u, i]
// One block per row: the max, the shifted exponential sum, N_u and the target dot product are four
// fixed-tree reductions; writes ℓ and lse (kept for the backward). An all −∞ row has lse = −∞, as in
// log_softmax_rows and on the CPU (the shifted sum would be exp(−∞ − (−∞)) = NaN).
extern "C" __global__ void multinomial_nll_rows(const float* z, const u32* indptr,
                                                const u32* indices, const float* values, u64 rows,
                                                u64 cols, float* loss, float* lse) {
    __shared__ double sh[BLOCK];
    __shared__ float shm[BLOCK];
    ROW_STRIDE(u, rows) {
        const float* zu = z + u * cols;
        float m = -INFINITY;
        COL_STRIDE(j, cols) m = fmaxf(m, zu[j]);
        m = block_max(m, shm);
        double acc = 0.0;
        COL_STRIDE(j, cols) acc += (double)expf(zu[j] - m);
        const double total = block_sum(acc, sh);
        const double l = m == -INFINITY ? -INFINITY : (double)m + log(total);
        const u64 p0 = indptr[u], nnz = indptr[u + 1] - p0;
        double nu = 0.0, dot = 0.0;
        COL_STRIDE(q, nnz) {
            const double v = (double)values[p0 + q];
            nu += v;
            dot += v * (double)zu[indices[p0 + q]];
        }
        nu = block_sum(nu, sh);
        dot = block_sum(dot, sh);
        if (threadIdx.x == 0) {
            loss[u] = (float)(nu * l - dot);
            lse[u] = (float)l;
        }
    }
}

// z̄[u, i] = ℓ̄[u]·(exp(z[u, i] − lse_u)·N_u − t[u, i])
// The dense part is written for every column first; after the barrier (which also orders the block's
// global writes) the targets are subtracted. Columns are unique within a row, so no two threads touch
// the same element.
extern "C" __global__ void multinomial_nll_rows_backward(const float* z, const float* lse,
                                                         const u32* indptr, const u32* indices,
                                                         const float* values, const float* dloss,
                                                         u64 rows, u64 cols, float* dz) {
    __shared__ double sh[BLOCK];
    ROW_STRIDE(u, rows) {
        const u64 o = u * cols;
        const u64 p0 = indptr[u], nnz = indptr[u + 1] - p0;
        double acc = 0.0;
        COL_STRIDE(q, nnz) acc += (double)values[p0 + q];
        const float nu = (float)block_sum(acc, sh);
        const float g = dloss[u], s = lse[u];
        COL_STRIDE(j, cols) dz[o + j] = g * nu * expf(z[o + j] - s);
        __syncthreads();
        COL_STRIDE(q, nnz) {
            const u64 i = o + indices[p0 + q];
            dz[i] = dz[i] - g * values[p0 + q];
        }
        __syncthreads();  // the next row of this block starts only when this one is complete
    }
}

// y[r, c] = v for every stored entry (r, c) of X, its value unused: the evaluation's fold-in mask.
// One block per row; the columns of a row are distinct, so no two threads write one element.
extern "C" __global__ void fill_csr_pattern(const u32* indptr, const u32* indices, u64 rows,
                                            u64 cols, float v, float* y) {
    ROW_STRIDE(r, rows) {
        const u64 p0 = indptr[r], nnz = indptr[r + 1] - p0;
        COL_STRIDE(q, nnz) y[r * cols + indices[p0 + q]] = v;
    }
}
