//! Mult-VAE^PR and Mult-DAE, the two models of Liang et al. 2018, *Variational Autoencoders for
//! Collaborative Filtering* (the authors' code: dawenl/vae_cf), composed from autograd ops and generic
//! over the backend; and the [`Recommender`] trait the trainer (`crate::train`) drives them by.

pub mod anneal;
pub mod mult_dae;
pub mod mult_vae;

pub use anneal::Anneal;
pub use mult_dae::MultDae;
pub use mult_vae::MultVae;

use crate::seed::derive_seed;

use autograd::backend::L2_EPS;
use autograd::ops::SparseTensor;
use autograd::rng::RngKey;
use autograd::{Backend, CsrMatrix, Parameter, Result, Tape, Tensor, Var};

/// What one training step needs besides the data: the KL weight, the global step (which keys the
/// dropout mask and the noise ε), and whether this is training (dropout on, `z` sampled).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepContext {
    pub beta: f64,
    pub step: u64,
    pub train: bool,
}

/// The terms of a loss, each a `[1, 1]` value on the tape.
pub struct Loss<'t, B: Backend> {
    /// What is differentiated: `nll + β·kl (+ penalty)`.
    pub total: Var<'t, B>,
    /// `−(1/U) Σ_u log p(x_u | z_u)`.
    pub nll: Var<'t, B>,
    /// `(1/U) Σ_u KL(q(z_u | x_u) ‖ p(z_u))`; `None` for models without a posterior.
    pub kl: Option<Var<'t, B>>,
}

/// Every value of one step, in the order of the math: what `vae step` prints. The loss a training
/// step differentiates is computed by the same code ([`Recommender::loss_with`] returns this
/// struct's `loss`), so what is printed is what is trained.
pub struct StepValues<'t, B: Backend> {
    /// The encoder's input `x̃`: the click rows L2-normalised, then dropped out and scaled by
    /// `1/(1 − p)` while training (a dropped entry is a stored zero), in the model's element type.
    pub input: CsrMatrix<B::Elem>,
    /// The encoder's hidden outputs `h_l = tanh(h_{l−1}·W_l + b_l)`, first layer first (for
    /// Mult-DAE, every hidden layer).
    pub encoder: Vec<Var<'t, B>>,
    /// `μ` and `log σ²` of `q(z | x)` (Mult-VAE).
    pub posterior: Option<(Var<'t, B>, Var<'t, B>)>,
    /// The key `ε ~ N(0, I)` was drawn with ([`autograd::ops::gaussian`] draws the same values),
    /// and `z = μ + ε ⊙ σ` (Mult-VAE while training; `z = μ` otherwise, and no key).
    pub noise: Option<RngKey>,
    pub z: Option<Var<'t, B>>,
    /// The decoder's hidden outputs (Mult-VAE).
    pub decoder: Vec<Var<'t, B>>,
    /// `f_θ(z)` (Mult-VAE) or the DAE's output layer: the logits over all items.
    pub logits: Var<'t, B>,
    /// Each user's `−Σ_i x_ui log π_ui`, `[U, 1]`.
    pub nll_rows: Var<'t, B>,
    /// Each user's `KL(q(z_u | x_u) ‖ N(0, I))`, `[U, 1]` (Mult-VAE).
    pub kl_rows: Option<Var<'t, B>>,
    pub loss: Loss<'t, B>,
}

/// A model trained on rows of the click matrix and scoring every item for a fold-in row.
pub trait Recommender<B: Backend> {
    /// The parameters, in a fixed order (the order of [`Recommender::loss_with`]'s `params`).
    fn params(&self) -> Vec<&Parameter<B>>;
    fn params_mut(&mut self) -> Vec<&mut Parameter<B>>;
    /// Every value of a step on a batch of click rows, with the parameters given as values on
    /// `tape` (so a gradient check can pass its own variables).
    fn step_with<'t>(
        &self,
        tape: &'t Tape<B>,
        params: &[Var<'t, B>],
        batch: &CsrMatrix<f32>,
        ctx: StepContext,
    ) -> Result<StepValues<'t, B>>;

    /// The loss of a batch of click rows ([`Recommender::step_with`]'s).
    fn loss_with<'t>(
        &self,
        tape: &'t Tape<B>,
        params: &[Var<'t, B>],
        batch: &CsrMatrix<f32>,
        ctx: StepContext,
    ) -> Result<Loss<'t, B>> {
        Ok(self.step_with(tape, params, batch, ctx)?.loss)
    }
    /// The logits over all items for fold-in rows, in evaluation mode (no dropout, `z = μ`).
    fn scores_with<'t>(
        &self,
        tape: &'t Tape<B>,
        params: &[Var<'t, B>],
        fold_in: &CsrMatrix<f32>,
    ) -> Result<Var<'t, B>>;

    /// [`Recommender::loss_with`] on the model's own parameters, bound into `tape`.
    fn loss<'t>(
        &self,
        tape: &'t Tape<B>,
        batch: &CsrMatrix<f32>,
        ctx: StepContext,
    ) -> Result<Loss<'t, B>> {
        let params: Vec<_> = self.params().into_iter().map(|p| tape.param(p)).collect();
        self.loss_with(tape, &params, batch, ctx)
    }

    /// The logits for fold-in rows, recording nothing.
    fn scores(&self, fold_in: &CsrMatrix<f32>) -> Result<Tensor<B>> {
        let backend = self.params()[0].value().backend().clone();
        let tape = Tape::no_grad(&backend);
        let params: Vec<_> = self.params().into_iter().map(|p| tape.param(p)).collect();
        Ok(self.scores_with(&tape, &params, fold_in)?.value().clone())
    }
}

/// Streams of [`derive_seed`].
pub(crate) const DROPOUT_STREAM: u64 = 1 << 32;
pub(crate) const NOISE_STREAM: u64 = 2 << 32;

/// The click rows in the model's element type.
fn elements<B: Backend>(m: &CsrMatrix<f32>) -> CsrMatrix<B::Elem> {
    m.map(|v| <B::Elem as autograd::real::Real>::of(v as f64))
}

/// The click rows as the model's element type, on its backend.
pub(crate) fn sparse<B: Backend>(backend: &B, m: &CsrMatrix<f32>) -> Result<SparseTensor<B>> {
    SparseTensor::new(backend, &elements::<B>(m))
}

/// The encoder's input: each click row L2-normalised, then inverted dropout with probability `p`
/// while training, both on the stored entries only (the notebook's
/// `dropout(l2_normalize(x, 1), keep_prob)`, without densifying the batch), in the model's element
/// type (an f64 model, as the gradient checks run, normalises in f64).
pub(crate) fn encoder_input<B: Backend>(
    batch: &CsrMatrix<f32>,
    p: f64,
    seed: u64,
    ctx: StepContext,
) -> Result<CsrMatrix<B::Elem>> {
    let x = elements::<B>(batch).l2_normalize_rows(L2_EPS);
    if ctx.train && p > 0.0 {
        x.dropout(p, RngKey::new(derive_seed(seed, DROPOUT_STREAM), ctx.step))
    } else {
        Ok(x)
    }
}
