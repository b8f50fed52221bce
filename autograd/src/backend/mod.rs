//! The backend trait: a small set of primitives on contiguous row-major buffers.
//!
//! Ops (in `ops/`) are written once against this trait; the CPU backend (`cpu/`) and the CUDA backend
//! (the `gpu` crate) implement it. Primitives know nothing of the tape: they compute, they do not
//! record. Shapes are passed explicitly and have already been checked by the calling op, so a backend
//! may trust them; every call still returns `Result` because a device can fail.

pub mod cpu;

use crate::csr::CsrMatrix;
use crate::error::{Error, Result};
use crate::real::Real;
use crate::rng::RngKey;
use std::fmt::Debug;

/// `C ← α·op(A)·op(B) + β·C` with `op(A)` of shape `m × k`, `op(B)` of shape `k × n`, all row-major.
/// `trans_a` means `A` is stored as `k × m` and read transposed, without copying: this is how
/// backward computes `X̄ = Ȳ·Wᵀ` and `W̄ = Xᵀ·Ȳ`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gemm {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub trans_a: bool,
    pub trans_b: bool,
    pub alpha: f64,
    pub beta: f64,
}

impl Gemm {
    /// Where `op(A)[i, p]` is in `A`'s storage (`m × k`, or `k × m` when `trans_a`).
    pub fn a_index(&self, i: usize, p: usize) -> usize {
        if self.trans_a {
            p * self.m + i
        } else {
            i * self.k + p
        }
    }

    /// Where `op(B)[p, j]` is in `B`'s storage (`k × n`, or `n × k` when `trans_b`).
    pub fn b_index(&self, p: usize, j: usize) -> usize {
        if self.trans_b {
            j * self.k + p
        } else {
            p * self.n + j
        }
    }
}

/// What a backend rounds its GEMMs' operands to ([`Backend::gemm`], [`Backend::gemm_new`],
/// [`Backend::gemm_bias_new`]: the dense layers' and `matmul`'s products, forward and backward).
/// The sums are f32 either way, and nothing else changes: parameters, Adam's moments, the softmax
/// and the loss stay in the element type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum GemmPrecision {
    /// The element type's own precision (no rounding): every backend's default.
    #[default]
    F32,
    /// Both operands rounded to bf16 (8 significant bits, round to nearest even), every product
    /// summed in f32: the CPU's `backend::cpu::bgemm`, on f32 tensors only.
    Bf16,
}

impl GemmPrecision {
    pub fn name(self) -> &'static str {
        match self {
            GemmPrecision::F32 => "f32",
            GemmPrecision::Bf16 => "bf16",
        }
    }
}

/// Element-wise maps `y = f(x)`, each with its derivative `f'(x)` expressed through `x` and `y`
/// (see [`Unary::f`] and [`Unary::df`], which drive the CPU loops and mirror the CUDA kernels).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unary {
    /// `y = −x`, `y' = −1`
    Neg,
    /// `y = x²`, `y' = 2x`
    Square,
    /// `y = tanh x`, `y' = 1 − y²` (the CPU's f32 forward loop uses the vectorised
    /// `cpu::exp_lanes::tanh` instead of libm's)
    Tanh,
    /// `y = max(x, 0)`, `y' = [x > 0]`
    Relu,
    /// `y = σ(x) = 1 / (1 + e⁻ˣ)`, `y' = y(1 − y)`
    Sigmoid,
    /// `y = eˣ`, `y' = y`
    Exp,
    /// `y = ln x`, `y' = 1/x`
    Log,
    /// `y = c·x`, `y' = c`
    Scale(f64),
    /// `y = x + c`, `y' = 1`
    AddScalar(f64),
}

impl Unary {
    /// The forward map `f(x)`.
    pub fn f<T: Real>(self, x: T) -> T {
        match self {
            Unary::Neg => -x,
            Unary::Square => x * x,
            Unary::Tanh => x.tanh(),
            Unary::Relu => x.max(T::zero()),
            Unary::Sigmoid => sigmoid(x),
            Unary::Exp => x.exp(),
            Unary::Log => x.ln(),
            Unary::Scale(c) => x * T::of(c),
            Unary::AddScalar(c) => x + T::of(c),
        }
    }

    /// The derivative `f'(x)`, given `x` and `y = f(x)` (whichever is cheaper).
    pub fn df<T: Real>(self, x: T, y: T) -> T {
        match self {
            Unary::Neg => -T::one(),
            Unary::Square => x + x,
            Unary::Tanh => T::one() - y * y,
            Unary::Relu => {
                if x > T::zero() {
                    T::one()
                } else {
                    T::zero()
                }
            }
            Unary::Sigmoid => y * (T::one() - y),
            Unary::Exp => y,
            Unary::Log => T::one() / x,
            Unary::Scale(c) => T::of(c),
            Unary::AddScalar(_) => T::one(),
        }
    }
}

/// `σ(x)` computed without overflow for large `|x|`.
pub fn sigmoid<T: Real>(x: T) -> T {
    if x >= T::zero() {
        T::one() / (T::one() + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::one() + e)
    }
}

/// TensorFlow's `l2_normalize` epsilon, the `ε` of [`Backend::l2_normalize_rows`]: `‖x‖²` is clamped
/// from below by it, so an empty row stays zero. Here rather than in the op because the CSR matrix
/// normalises its rows with it too, and a data structure must not depend on an op.
pub const L2_EPS: f64 = 1e-12;

/// Element-wise maps of two same-shape operands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binary {
    /// `c = a + b`
    Add,
    /// `c = a − b`
    Sub,
    /// `c = a ⊙ b`
    Mul,
}

/// One Adam (or AdamW) update, all scalars resolved for this step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamStep {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    /// `1 − β₁ᵗ`, `1 − β₂ᵗ`: the bias corrections of step `t`.
    pub bias1: f64,
    pub bias2: f64,
    /// Coupled L2: `g ← g + λθ` before the moments (Adam with `weight_decay`, as `torch.optim.Adam`).
    pub l2: f64,
    /// Decoupled decay: `θ ← θ − lr·λθ` beside the Adam step (AdamW, Loshchilov & Hutter 2019).
    pub decoupled: f64,
}

impl AdamStep {
    /// The step's scalars as the update's element loop reads them, resolved here in f64 once for
    /// every backend (each rounds them to its element type): `[β₁, β₂, ε, λ_L2, 1 − lr·λ_decoupled,
    /// lr / (1 − β₁ᵗ), √(1 − β₂ᵗ)]`.
    pub fn scalars(self) -> [f64; 7] {
        [
            self.beta1,
            self.beta2,
            self.eps,
            self.l2,
            1.0 - self.lr * self.decoupled,
            self.lr / self.bias1,
            self.bias2.sqrt(),
        ]
    }
}

/// The best columns of each row, on the host: what [`Backend::top_k_rows`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopK {
    /// Columns ranked per row: `min(k, cols)`.
    pub k: usize,
    /// `rows × k` column indices, row-major, each row best first.
    pub items: Vec<u32>,
    /// Per row, the lowest column whose score is NaN, if any.
    pub first_nan: Vec<Option<u32>>,
}

impl TopK {
    /// The ranked columns of row `r`, best first.
    pub fn row(&self, r: usize) -> &[u32] {
        &self.items[r * self.k..(r + 1) * self.k]
    }
    /// The number of rows.
    pub fn rows(&self) -> usize {
        self.first_nan.len()
    }
}

/// The primitives a compute device offers. `Elem` is the element type, `Buffer` a device array of
/// `Elem`, `Csr` a sparse matrix resident on the device.
pub trait Backend: Clone + Debug + Send + Sync + 'static {
    type Elem: Real;
    type Buffer: Debug + Send + Sync;
    type Csr: Debug + Send + Sync;

    /// A name for messages and for telling devices apart: `"cpu"`, `"cuda:0"`.
    fn device_name(&self) -> String;
    /// Whether two handles address the same device (ops refuse to mix devices).
    fn same_device(&self, other: &Self) -> bool {
        self.device_name() == other.device_name()
    }

    /// Waits until every queued operation has finished (for timings; a no-op where work is
    /// synchronous, as on the CPU).
    fn synchronize(&self) -> Result<()> {
        Ok(())
    }

    /// A buffer of `len` zeros.
    fn zeros(&self, len: usize) -> Result<Self::Buffer>;
    /// A copy of host data on the device.
    fn upload(&self, host: &[Self::Elem]) -> Result<Self::Buffer>;
    /// A copy of device data on the host.
    fn download(&self, buf: &Self::Buffer) -> Result<Vec<Self::Elem>>;
    /// The host copy of a buffer that is no longer needed on the device; the CPU hands the buffer
    /// itself over instead of copying it.
    fn download_owned(&self, buf: Self::Buffer) -> Result<Vec<Self::Elem>> {
        self.download(&buf)
    }
    /// A sparse matrix moved to the device.
    fn upload_csr(&self, m: &CsrMatrix<Self::Elem>) -> Result<Self::Csr>;
    /// The length of a buffer.
    fn len(&self, buf: &Self::Buffer) -> usize;

    /// The precision of this backend's GEMM operands (f32 unless made otherwise by
    /// [`Backend::with_gemm_precision`]).
    fn gemm_precision(&self) -> GemmPrecision {
        GemmPrecision::F32
    }
    /// This backend with its GEMMs' operands in `precision` (a handle to the same device: tensors of
    /// both mix). A backend without GEMMs in that precision refuses it; every backend has f32.
    fn with_gemm_precision(&self, precision: GemmPrecision) -> Result<Self> {
        match precision {
            GemmPrecision::F32 => Ok(self.clone()),
            p => Err(Error::invalid(
                "with_gemm_precision",
                format!(
                    "{} computes its GEMMs in f32 only, not {} (bf16 GEMMs are the CPU backend's)",
                    self.device_name(),
                    p.name()
                ),
            )),
        }
    }

    /// `C ← α·op(A)·op(B) + β·C`, on operands rounded to [`Backend::gemm_precision`].
    fn gemm(&self, g: Gemm, a: &Self::Buffer, b: &Self::Buffer, c: &mut Self::Buffer)
        -> Result<()>;
    /// `op(A)·op(B)` in a new `m × n` buffer (`g.alpha` and `g.beta` are ignored: `α = 1`, `β = 0`).
    /// A backend may skip clearing memory that the product overwrites anyway.
    fn gemm_new(&self, g: Gemm, a: &Self::Buffer, b: &Self::Buffer) -> Result<Self::Buffer> {
        let mut c = self.zeros(g.m * g.n)?;
        let g = Gemm {
            alpha: 1.0,
            beta: 0.0,
            ..g
        };
        self.gemm(g, a, b, &mut c)?;
        Ok(c)
    }
    /// `op(A)·op(B) + 1·biasᵀ` in a new `m × n` buffer (a dense layer's forward; `α = 1`, `β = 0`),
    /// with the bits of [`Backend::gemm_new`] followed by [`Backend::add_row_vector`]. The CPU adds
    /// the bias while each tile of the product is still in registers.
    fn gemm_bias_new(
        &self,
        g: Gemm,
        a: &Self::Buffer,
        b: &Self::Buffer,
        bias: &Self::Buffer,
    ) -> Result<Self::Buffer> {
        let mut c = self.gemm_new(g, a, b)?;
        self.add_row_vector(bias, g.n, &mut c)?;
        Ok(c)
    }
    /// `C ← X·B` with `X` sparse `m × k`, `B` dense `k × n`.
    fn csr_matmul(
        &self,
        x: &Self::Csr,
        b: &Self::Buffer,
        n: usize,
        c: &mut Self::Buffer,
    ) -> Result<()>;
    /// `C ← C + Xᵀ·D` with `X` sparse `m × k`, `D` dense `m × n`, `C` dense `k × n`.
    fn csr_t_matmul_acc(
        &self,
        x: &Self::Csr,
        d: &Self::Buffer,
        n: usize,
        c: &mut Self::Buffer,
    ) -> Result<()>;
    /// `Xᵀ·D` in a new `k × n` buffer (the first layer's `W̄`). A backend may write it row by row
    /// instead of clearing it and then accumulating.
    fn csr_t_matmul_new(&self, x: &Self::Csr, d: &Self::Buffer, n: usize) -> Result<Self::Buffer>;

    /// `y = f(x)` element-wise.
    fn unary(&self, op: Unary, x: &Self::Buffer, y: &mut Self::Buffer) -> Result<()>;
    /// `x̄ = ȳ ⊙ f'(x)` element-wise.
    fn unary_backward(
        &self,
        op: Unary,
        x: &Self::Buffer,
        y: &Self::Buffer,
        dy: &Self::Buffer,
        dx: &mut Self::Buffer,
    ) -> Result<()>;
    /// `c = a ∘ b` element-wise.
    fn binary(
        &self,
        op: Binary,
        a: &Self::Buffer,
        b: &Self::Buffer,
        c: &mut Self::Buffer,
    ) -> Result<()>;
    /// `y ← y + α·x`.
    fn axpy(&self, alpha: f64, x: &Self::Buffer, y: &mut Self::Buffer) -> Result<()>;

    /// `y[r, :] ← y[r, :] + v` for each of the `rows` rows of `y` (`v` has `cols` entries).
    fn add_row_vector(&self, v: &Self::Buffer, cols: usize, y: &mut Self::Buffer) -> Result<()>;
    /// `s[r] = α·Σ_c x[r, c]`.
    fn sum_rows(
        &self,
        x: &Self::Buffer,
        cols: usize,
        alpha: f64,
        s: &mut Self::Buffer,
    ) -> Result<()>;
    /// `s[c] ← β·s[c] + Σ_r x[r, c]`.
    fn sum_cols_acc(
        &self,
        x: &Self::Buffer,
        cols: usize,
        beta: f64,
        s: &mut Self::Buffer,
    ) -> Result<()>;
    /// `y[r, c] = α·v[r]`: a column vector spread along the rows.
    fn broadcast_col(
        &self,
        v: &Self::Buffer,
        cols: usize,
        alpha: f64,
        y: &mut Self::Buffer,
    ) -> Result<()>;
    /// Copy `width` columns starting at `src_col` of `src` (`src_cols` wide) into the columns starting
    /// at `dst_col` of `dst` (`dst_cols` wide), for every row. Slicing and concatenation, both ways.
    #[allow(clippy::too_many_arguments)]
    fn copy_cols(
        &self,
        src: &Self::Buffer,
        src_cols: usize,
        src_col: usize,
        dst: &mut Self::Buffer,
        dst_cols: usize,
        dst_col: usize,
        width: usize,
    ) -> Result<()>;

    /// `y[r, :] = x[r, :] − log Σ_c exp x[r, c]`.
    fn log_softmax_rows(&self, x: &Self::Buffer, cols: usize, y: &mut Self::Buffer) -> Result<()>;
    /// `x̄[r, :] = ȳ[r, :] − exp(y[r, :]) · Σ_c ȳ[r, c]`.
    fn log_softmax_rows_backward(
        &self,
        y: &Self::Buffer,
        dy: &Self::Buffer,
        cols: usize,
        dx: &mut Self::Buffer,
    ) -> Result<()>;
    /// `ℓ[u] = −Σ_i t[u, i]·log softmax(z[u, :])_i = N_u·lse_u − Σ_i t[u, i]·z[u, i]` with sparse
    /// targets `t`, `N_u = Σ_i t[u, i]`; also writes `lse_u = log Σ_i exp z[u, i]` for the backward.
    fn multinomial_nll_rows(
        &self,
        z: &Self::Buffer,
        t: &Self::Csr,
        loss: &mut Self::Buffer,
        lse: &mut Self::Buffer,
    ) -> Result<()>;
    /// `z̄[u, i] = ℓ̄[u]·(exp(z[u, i] − lse_u)·N_u − t[u, i])`: one pass over the logits.
    fn multinomial_nll_rows_backward(
        &self,
        z: &Self::Buffer,
        lse: &Self::Buffer,
        t: &Self::Csr,
        dloss: &Self::Buffer,
        dz: &mut Self::Buffer,
    ) -> Result<()>;
    /// `y[r, :] = x[r, :] / n[r]`, `n[r] = √max(Σ_c x[r, c]², ε)`; writes `n` too.
    fn l2_normalize_rows(
        &self,
        x: &Self::Buffer,
        cols: usize,
        eps: f64,
        y: &mut Self::Buffer,
        norms: &mut Self::Buffer,
    ) -> Result<()>;
    /// `x̄[r, :] = (ȳ[r, :] − y[r, :]·⟨y[r, :], ȳ[r, :]⟩) / n[r]` where the forward's norm was not
    /// clamped, `x̄[r, :] = ȳ[r, :] / n[r]` where it was (`n[r] ≤ √ε`, `ε` the forward's).
    fn l2_normalize_rows_backward(
        &self,
        y: &Self::Buffer,
        norms: &Self::Buffer,
        dy: &Self::Buffer,
        cols: usize,
        eps: f64,
        dx: &mut Self::Buffer,
    ) -> Result<()>;

    /// `y[r, c] ← v` for every stored entry `(r, c)` of `X`, whatever its value: the evaluation's
    /// mask of the fold-in items (`v = −∞`), on the scores' own device.
    fn fill_csr_pattern(&self, x: &Self::Csr, value: f64, y: &mut Self::Buffer) -> Result<()>;
    /// The `k' = min(k, cols)` best columns of each row of the `rows × cols` scores `s`, best first,
    /// and each row's first NaN column: `items[r, :] = (c₁, …, c_k')`, the row's first `k'` columns
    /// in the total order
    /// `c ≺ c' ⇔ s[r, c] > s[r, c'] ∨ (s[r, c] = s[r, c'] ∧ c < c')`,
    /// where `−0 = +0` and NaN ranks below every number (−∞ included), NaNs tying with each other;
    /// `first_nan[r] = min {c : s[r, c] is NaN}`. Only these `rows × (k' + 1)` indices reach the
    /// host, never the scores. The CPU's is [`cpu::top_k::top_k_rows`].
    fn top_k_rows(&self, scores: &Self::Buffer, cols: usize, k: usize) -> Result<TopK>;

    /// `y = x ⊙ m / q` with the mask `m[i] = keeps(key, i)` of [`crate::rng`] and `q` its exact keep
    /// probability ([`crate::rng::keep_scale`]). Applied to `ȳ` with the same key it is also the
    /// backward.
    fn dropout(&self, key: RngKey, p: f64, x: &Self::Buffer, y: &mut Self::Buffer) -> Result<()>;
    /// `y[i] = standard_normal(key, i)` of [`crate::rng`].
    fn gaussian(&self, key: RngKey, y: &mut Self::Buffer) -> Result<()>;

    /// `y[r, :] = table[index[r], :]`.
    fn gather_rows(
        &self,
        table: &Self::Buffer,
        cols: usize,
        index: &[u32],
        y: &mut Self::Buffer,
    ) -> Result<()>;
    /// `table[index[r], :] ← table[index[r], :] + dy[r, :]`, repeats accumulated in row order.
    fn scatter_add_rows(
        &self,
        dy: &Self::Buffer,
        cols: usize,
        index: &[u32],
        table: &mut Self::Buffer,
    ) -> Result<()>;

    /// `ℓ[i] = max(z, 0) − z·t + log(1 + e^{−|z|})`, the stable binary cross-entropy on logits.
    fn bce_with_logits(
        &self,
        z: &Self::Buffer,
        t: &Self::Buffer,
        loss: &mut Self::Buffer,
    ) -> Result<()>;
    /// `z̄[i] = α·(σ(z[i]) − t[i])`.
    fn bce_with_logits_backward(
        &self,
        z: &Self::Buffer,
        t: &Self::Buffer,
        alpha: f64,
        dz: &mut Self::Buffer,
    ) -> Result<()>;

    /// One fused Adam update of `param` with gradient `grad` and moments `m`, `v`.
    fn adam(
        &self,
        step: AdamStep,
        param: &mut Self::Buffer,
        grad: &Self::Buffer,
        m: &mut Self::Buffer,
        v: &mut Self::Buffer,
    ) -> Result<()>;
}
