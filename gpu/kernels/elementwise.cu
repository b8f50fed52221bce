// Element-wise maps. The op codes and formulas mirror `autograd::backend::Unary::{f, df}` and
// `Binary` one for one (the host maps the enum to these codes in gpu/src/backend.rs).

#define U_NEG 0
#define U_SQUARE 1
#define U_TANH 2
#define U_RELU 3
#define U_SIGMOID 4
#define U_EXP 5
#define U_LOG 6
#define U_SCALE 7
#define U_ADD_SCALAR 8

// y = f(x): −x, x², tanh x, max(x, 0), σ(x), eˣ, ln x, c·x, x + c.
__device__ float unary_f(int op, float c, float x) {
    switch (op) {
        case U_NEG: return -x;
        case U_SQUARE: return x * x;
        case U_TANH: return tanhf(x);
        case U_RELU: return fmaxf(x, 0.0f);
        case U_SIGMOID: return sigmoidf(x);
        case U_EXP: return expf(x);
        case U_LOG: return logf(x);
        case U_SCALE: return x * c;
        default: return x + c;  // U_ADD_SCALAR
    }
}

// f'(x) through x or y = f(x): −1, 2x, 1 − y², [x > 0], y(1 − y), y, 1/x, c, 1.
__device__ float unary_df(int op, float c, float x, float y) {
    switch (op) {
        case U_NEG: return -1.0f;
        case U_SQUARE: return x + x;
        case U_TANH: return 1.0f - y * y;
        case U_RELU: return x > 0.0f ? 1.0f : 0.0f;
        case U_SIGMOID: return y * (1.0f - y);
        case U_EXP: return y;
        case U_LOG: return 1.0f / x;
        case U_SCALE: return c;
        default: return 1.0f;  // U_ADD_SCALAR
    }
}

// y[i] = f(x[i])
extern "C" __global__ void unary_forward(int op, float c, const float* x, float* y, u64 n) {
    GRID_STRIDE(i, n) { y[i] = unary_f(op, c, x[i]); }
}

// x̄[i] = ȳ[i] · f'(x[i])
extern "C" __global__ void unary_backward(int op, float c, const float* x, const float* y,
                                          const float* dy, float* dx, u64 n) {
    GRID_STRIDE(i, n) { dx[i] = dy[i] * unary_df(op, c, x[i], y[i]); }
}

// c[i] = a[i] ∘ b[i], ∘ ∈ {+ (0), − (1), ⊙ (2)}
extern "C" __global__ void binary(int op, const float* a, const float* b, float* c, u64 n) {
    GRID_STRIDE(i, n) {
        const float x = a[i], y = b[i];
        c[i] = op == 0 ? x + y : (op == 1 ? x - y : x * y);
    }
}

// y[i] ← y[i] + α·x[i]
extern "C" __global__ void axpy(float alpha, const float* x, float* y, u64 n) {
    GRID_STRIDE(i, n) { y[i] = y[i] + alpha * x[i]; }
}
