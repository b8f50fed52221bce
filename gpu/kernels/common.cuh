// Shared by every kernel family (prepended to each .cu file before NVRTC compiles it).
//
// Sizes and offsets are 64-bit (`u64` on the host): 500 × 20,108 fits in 32 bits, larger catalogues
// need not. Every kernel strides over its range with the grid, so any grid size covers any length.
//
// Determinism: a reduction runs in one block of exactly BLOCK threads; thread t first sums elements
// t, t + BLOCK, t + 2·BLOCK, ... in increasing order, then the block combines the BLOCK partials with
// the fixed tree below. The order depends only on BLOCK and the row length, never on scheduling, so
// the same input gives bit-identical output on every run. Sums accumulate in double, like the CPU
// backend, so a row of 20,108 logits loses nothing to the order.

#define BLOCK 256

// NVRTC compiles without the C headers, so no <math.h> INFINITY: build it from its bit pattern.
#define INFINITY __int_as_float(0x7f800000)

typedef unsigned int u32;
typedef unsigned long long u64;

// Σ over the block of one value per thread, by the fixed tree s = BLOCK/2, ..., 1 (t += t + s).
// Every thread must call it (it synchronises); every thread gets the sum.
__device__ double block_sum(double v, double* sh) {
    const u32 t = threadIdx.x;
    sh[t] = v;
    __syncthreads();
    for (u32 s = BLOCK / 2; s > 0; s >>= 1) {
        if (t < s) sh[t] += sh[t + s];
        __syncthreads();
    }
    const double r = sh[0];
    __syncthreads();  // sh may be reused by the caller's next reduction
    return r;
}

// max over the block (exact whatever the order); fmaxf ignores NaN like the CPU's f64::max.
__device__ float block_max(float v, float* sh) {
    const u32 t = threadIdx.x;
    sh[t] = v;
    __syncthreads();
    for (u32 s = BLOCK / 2; s > 0; s >>= 1) {
        if (t < s) sh[t] = fmaxf(sh[t], sh[t + s]);
        __syncthreads();
    }
    const float r = sh[0];
    __syncthreads();
    return r;
}

// σ(x) = 1 / (1 + e⁻ˣ), evaluated on the side where the exponential cannot overflow.
__device__ float sigmoidf(float x) {
    if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
    const float e = expf(x);
    return e / (1.0f + e);
}

#define GRID_STRIDE(i, n) \
    for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (u64)gridDim.x * blockDim.x)
#define ROW_STRIDE(r, rows) for (u64 r = blockIdx.x; r < (rows); r += gridDim.x)
#define COL_STRIDE(j, cols) for (u64 j = threadIdx.x; j < (cols); j += BLOCK)
