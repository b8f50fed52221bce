// One fused Adam / AdamW update per element (Kingma & Ba 2015; Loshchilov & Hutter 2019), the same
// expression as the CPU backend, all step scalars resolved on the host:
//   g ← ∇ + λ₂θ                       (coupled L2, torch.optim.Adam's weight_decay)
//   m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²
//   θ ← shrink·θ − step·m / (√v / √(1 − β₂ᵗ) + ε),  shrink = 1 − lr·λ_decoupled,  step = lr / (1 − β₁ᵗ)
extern "C" __global__ void adam(float* param, const float* grad, float* m, float* v, u64 n,
                                float beta1, float beta2, float eps, float l2, float shrink,
                                float step, float sqrt_bias2) {
    GRID_STRIDE(i, n) {
        const float p = param[i];
        const float g = grad[i] + l2 * p;
        const float mi = beta1 * m[i] + (1.0f - beta1) * g;
        const float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        param[i] = shrink * p - step * mi / (sqrtf(vi) / sqrt_bias2 + eps);
    }
}
