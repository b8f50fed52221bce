// Counter-based randomness: Philox4x32-10 (Salmon et al., SC 2011), the same rounds, counter layout
// and derivations as autograd/src/rng.rs, so the CPU and the GPU draw the same mask and the same ε for
// the same (seed, step, element).
//   counter = (i mod 2³², i div 2³², step mod 2³², step div 2³²),  key = (seed mod 2³², seed div 2³²)

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

struct Words { u32 w[4]; };

// Ten rounds of c ← (hi(M1·c2) ⊕ c1 ⊕ k0, lo(M1·c2), hi(M0·c0) ⊕ c3 ⊕ k1, lo(M0·c0)), the key
// bumped by the Weyl constants before every round but the first.
__device__ Words philox4x32_10(u64 index, u64 seed, u64 step) {
    u32 c0 = (u32)index, c1 = (u32)(index >> 32), c2 = (u32)step, c3 = (u32)(step >> 32);
    u32 k0 = (u32)seed, k1 = (u32)(seed >> 32);
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        const u32 hi0 = __umulhi(PHILOX_M0, c0), lo0 = PHILOX_M0 * c0;
        const u32 hi1 = __umulhi(PHILOX_M1, c2), lo1 = PHILOX_M1 * c2;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
    }
    Words r;
    r.w[0] = c0; r.w[1] = c1; r.w[2] = c2; r.w[3] = c3;
    return r;
}

// y[i] = x[i]·scale if (word0 >> 8) < threshold else 0, threshold = round((1 − p)·2²⁴) and
// scale = 2²⁴/threshold (1/q, q the exact keep probability) from the host: a 24-bit integer
// comparison, so the mask cannot depend on precision.
extern "C" __global__ void dropout(u64 seed, u64 step, u32 threshold, float scale, const float* x,
                                   float* y, u64 n) {
    GRID_STRIDE(i, n) {
        const Words w = philox4x32_10(i, seed, step);
        y[i] = (w.w[0] >> 8) < threshold ? x[i] * scale : 0.0f;
    }
}

// y[i] = √(−2 ln u₁)·cos(2π u₂), u = (w + ½)/2³² from words 0 and 1, in double as on the CPU, then
// rounded to float.
extern "C" __global__ void gaussian(u64 seed, u64 step, float* y, u64 n) {
    GRID_STRIDE(i, n) {
        const Words w = philox4x32_10(i, seed, step);
        const double u1 = ((double)w.w[0] + 0.5) / 4294967296.0;
        const double u2 = ((double)w.w[1] + 0.5) / 4294967296.0;
        y[i] = (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * 3.141592653589793 * u2));
    }
}
