//! Three baselines on the held-out-user split, fitted in closed form and evaluated exactly as Mult-VAE
//! is (fold-in rows in, every item scored, fold-in items masked, [`crate::train::evaluate`]):
//!
//! - [`popularity`]: `s_ui = Σ_v x_vi` over the training users, the same list for everyone.
//! - [`ease`]: Steck 2019, *Embarrassingly Shallow Autoencoders for Sparse Data*: `s_u = x_u·B` with
//!   `B = I − P·diagMat(1 ⊘ diag P)`, `P = (XᵀX + λI)⁻¹`.
//! - [`itemknn`]: RecBole's ItemKNN, `s_u = x_u·W` with `W` the cosine similarities
//!   `G_ij / (√(G_ii·G_jj) + shrink)`, `G = XᵀX`, kept for the `k` nearest items of each item.
//!
//! None has a training step, so none is a [`crate::vae_cf::Recommender`] (whose contract is a
//! loss on a batch and parameters that Adam updates): each is a [`Scorer`], the one thing
//! evaluation and `vae recommend` ask of a model. [`run`] writes their run folder.

pub mod ease;
pub mod itemknn;
pub mod popularity;
pub mod run;

pub use ease::Ease;
pub use itemknn::ItemKnn;
pub use popularity::Popularity;
pub use run::{fit, load, BaselineConfig, BaselineKind, BaselineResults, KnnRecord, LambdaRecord};

use crate::train::Scorer;
use autograd::{Backend, CsrMatrix, Tensor};

/// A fitted baseline, as a run folder's `best.safetensors` holds it.
pub enum Baseline<B: Backend> {
    Popularity(Popularity<B>),
    Ease(Ease<B>),
    ItemKnn(ItemKnn<B>),
}

impl<B: Backend<Elem = f32>> Scorer<B> for Baseline<B> {
    fn scores(&self, fold_in: &CsrMatrix<f32>) -> autograd::Result<Tensor<B>> {
        match self {
            Baseline::Popularity(p) => p.scores(fold_in),
            Baseline::Ease(e) => e.scores(fold_in),
            Baseline::ItemKnn(m) => m.scores(fold_in),
        }
    }
}
