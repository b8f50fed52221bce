// The best k' = min(k, cols) columns of each row of a row-major score matrix, best first, in the
// evaluation's total order (autograd's cpu/top_k.rs): c ≺ c' ⇔ s[c] > s[c'] ∨ (s[c] = s[c'] ∧ c < c'),
// −0 = +0, NaN below every number and tied with NaN; and the first NaN column of each row.
//
// Every float maps to a u32 key with key(a) > key(b) ⇔ a ≻ b by score, so the order is (key desc,
// column asc). One block of BLOCK threads per row, no atomics:
// 1. radix select, 4 bits a pass from the top: the k'-th largest key T and `need`, how many columns
//    of key T the top k' takes (the rest of it, k' − need columns, has keys above T). Each thread
//    counts the digits of its columns in its own histogram; 16 threads sum one digit each over the
//    threads in thread order, so the counts need no atomics;
// 2. collect: each thread scans a contiguous chunk of the row, placed after the chunks before it (an
//    exclusive prefix over the threads), so the `need` ties taken are those of the lowest columns;
// 3. rank sort of the k' candidates: each one's place is the number of candidates before it.
// Static shared memory: 16 KiB of histograms, 16 KiB of candidates, 3 KiB of per-thread counts.

#define TOP_K_MAX 2048  // the candidate list; the host ranks longer lists itself (launch/top_k.rs)
#define RADIX_BITS 4
#define RADIX (1u << RADIX_BITS)
#define NO_NAN 0xffffffffu

__device__ bool is_nan_bits(u32 b) { return (b & 0x7fffffffu) > 0x7f800000u; }

// Numbers: the sign bit flipped for positives, every bit for negatives (monotone in the value), −0
// first turned into +0. NaN: 0, below −∞'s 0x007fffff.
__device__ u32 rank_key(float s) {
    u32 b = (u32)__float_as_int(s);
    if (is_nan_bits(b)) return 0u;
    if ((b << 1) == 0u) b = 0u;
    return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

// out[r·k' + i]: the i-th best column of row r; out[rows·k' + r]: its first NaN column or NO_NAN.
extern "C" __global__ void top_k_rows(const float* scores, u64 rows, u64 cols, u64 k, u32* out) {
    __shared__ u32 hist[BLOCK][RADIX];
    __shared__ u32 cand_key[TOP_K_MAX];
    __shared__ u32 cand_col[TOP_K_MAX];
    __shared__ u32 above[BLOCK];
    __shared__ u32 ties[BLOCK];
    __shared__ u32 nan_at[BLOCK];
    __shared__ u32 sel[2];  // the bits of T found so far; `need`
    const u32 t = threadIdx.x;
    const u32 kk = (u32)k;
    const u64 chunk = (cols + BLOCK - 1) / BLOCK;
    const u64 c0 = t * chunk < cols ? t * chunk : cols;
    const u64 c1 = c0 + chunk < cols ? c0 + chunk : cols;
    ROW_STRIDE(r, rows) {
        const float* s = scores + r * cols;
        if (t == 0) {
            sel[0] = 0u;
            sel[1] = kk;
        }
        __syncthreads();
        for (int shift = 32 - RADIX_BITS; shift >= 0; shift -= RADIX_BITS) {
            const u32 prefix = sel[0];
            const u32 high = shift == 32 - RADIX_BITS ? 0u : 0xffffffffu << (shift + RADIX_BITS);
            for (u32 d = 0; d < RADIX; ++d) hist[t][d] = 0u;
            COL_STRIDE(j, cols) {
                const u32 key = rank_key(s[j]);
                if ((key & high) == prefix) hist[t][(key >> shift) & (RADIX - 1)] += 1u;
            }
            __syncthreads();
            if (t < RADIX) {
                u32 total = 0u;
                for (u32 i = 0; i < BLOCK; ++i) total += hist[i][t];
                hist[0][t] = total;  // column t is this thread's alone
            }
            __syncthreads();
            if (t == 0) {
                // The digit holding the need-th largest key, from the top; need ≤ the keys left.
                u32 need = sel[1], d = RADIX - 1;
                while (d > 0 && need > hist[0][d]) {
                    need -= hist[0][d];
                    --d;
                }
                sel[0] = prefix | (d << shift);
                sel[1] = need;
            }
            __syncthreads();
        }
        const u32 T = sel[0], need = sel[1];

        u32 a = 0u, e = 0u, first = NO_NAN;
        for (u64 j = c0; j < c1; ++j) {
            const float v = s[j];
            const u32 key = rank_key(v);
            a += key > T;
            e += key == T;
            if (first == NO_NAN && is_nan_bits((u32)__float_as_int(v))) first = (u32)j;
        }
        above[t] = a;
        ties[t] = e;
        nan_at[t] = first;
        __syncthreads();
        if (t == 0) {
            u32 sa = 0u, se = 0u, nan = NO_NAN;
            for (u32 i = 0; i < BLOCK; ++i) {
                const u32 ai = above[i], ei = ties[i];
                above[i] = sa;
                ties[i] = se;
                sa += ai;
                se += ei;
                if (nan == NO_NAN) nan = nan_at[i];
            }
            out[rows * k + r] = nan;
        }
        __syncthreads();
        u32 pa = above[t], pe = ties[t];
        for (u64 j = c0; j < c1; ++j) {
            const u32 key = rank_key(s[j]);
            if (key > T) {
                cand_key[pa] = key;
                cand_col[pa] = (u32)j;
                ++pa;
            } else if (key == T) {
                if (pe < need) {
                    cand_key[kk - need + pe] = key;
                    cand_col[kk - need + pe] = (u32)j;
                }
                ++pe;
            }
        }
        __syncthreads();

        for (u32 i = t; i < kk; i += BLOCK) {
            const u32 key = cand_key[i], col = cand_col[i];
            u32 place = 0u;
            for (u32 m = 0; m < kk; ++m) {
                const u32 km = cand_key[m];
                place += km > key || (km == key && cand_col[m] < col);
            }
            out[r * k + place] = col;
        }
        __syncthreads();  // the next row of this block reuses the shared arrays
    }
}
