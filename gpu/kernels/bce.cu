// Binary cross-entropy on logits, element-wise, in the stable form (no overflow for any z):
//   ℓ[i] = max(z, 0) − z·t + log(1 + e^{−|z|})
extern "C" __global__ void bce_with_logits(const float* z, const float* t, float* loss, u64 n) {
    GRID_STRIDE(i, n) {
        const float x = z[i];
        loss[i] = fmaxf(x, 0.0f) - x * t[i] + log1pf(expf(-fabsf(x)));
    }
}

// z̄[i] = α·(σ(z[i]) − t[i])
extern "C" __global__ void bce_with_logits_backward(const float* z, const float* t, float alpha,
                                                    float* dz, u64 n) {
    GRID_STRIDE(i, n) { dz[i] = alpha * (sigmoidf(z[i]) - t[i]); }
}
