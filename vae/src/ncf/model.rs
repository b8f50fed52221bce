//! What the three NCF models share: a score for each (user, item) pair and the loss of a batch.
//!
//! The score `s_ui` is the pre-activation of the output layer. Implicit feedback reads it as a logit,
//! `ŷ_ui = σ(s_ui)`, trained by the binary cross-entropy of §3.1.1,
//! `L = −(1/N) Σ_{(u,i) ∈ Y ∪ Y⁻} [y_ui log ŷ_ui + (1 − y_ui) log(1 − ŷ_ui)]`
//! (on logits, for stability); explicit ratings read it as the predicted rating, `r̂_ui = s_ui`,
//! trained by the squared loss `L = (1/N) Σ (r̂_ui − r_ui)²`.

use autograd::{Backend, Parameter, Result, Tape, Tensor, Var};

/// Which loss a batch is trained with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Objective {
    /// Mean squared error against ratings (the explicit protocol).
    Mse,
    /// Binary cross-entropy on logits against 0/1 labels (the implicit protocol).
    Bce,
}

/// A mini-batch of (user, item, target) triples, users and items as dense indices.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub users: Vec<usize>,
    pub items: Vec<usize>,
    pub targets: Vec<f64>,
    pub objective: Objective,
}

/// GMF, MLP or NeuMF.
pub trait NcfModel<B: Backend> {
    /// The parameters, in a fixed order (the order of the `params` of the `*_with` methods).
    fn params(&self) -> Vec<&Parameter<B>>;
    fn params_mut(&mut self) -> Vec<&mut Parameter<B>>;

    /// The scores `s_ui` of the pairs `(users[r], items[r])`, `[n, 1]`, with the parameters given as
    /// values on `tape` (so a gradient check can pass its own variables).
    fn scores_with<'t>(
        &self,
        tape: &'t Tape<B>,
        params: &[Var<'t, B>],
        users: &[usize],
        items: &[usize],
    ) -> Result<Var<'t, B>>;

    /// The batch's loss (MSE or BCE, per its objective), `[1, 1]`.
    fn loss_with<'t>(
        &self,
        tape: &'t Tape<B>,
        params: &[Var<'t, B>],
        batch: &Batch,
    ) -> Result<Var<'t, B>> {
        let s = self.scores_with(tape, params, &batch.users, &batch.items)?;
        let t = Tensor::from_f64(tape.backend(), batch.targets.len(), 1, &batch.targets)?;
        match batch.objective {
            Objective::Mse => s.mse(&tape.constant(t)),
            Objective::Bce => s.bce_with_logits(&t),
        }
    }

    /// [`NcfModel::loss_with`] on the model's own parameters, bound into `tape`.
    fn loss<'t>(&self, tape: &'t Tape<B>, batch: &Batch) -> Result<Var<'t, B>> {
        let params: Vec<_> = self.params().into_iter().map(|p| tape.param(p)).collect();
        self.loss_with(tape, &params, batch)
    }

    /// The scores of the pairs, recording nothing.
    fn scores(&self, users: &[usize], items: &[usize]) -> Result<Vec<f64>> {
        let backend = self.params()[0].value().backend().clone();
        let tape = Tape::no_grad(&backend);
        let params: Vec<_> = self.params().into_iter().map(|p| tape.param(p)).collect();
        self.scores_with(&tape, &params, users, items)?
            .value()
            .to_f64()
    }

    /// The scores of every item `0..n_items` for each of `users`, row-major `[users.len(), n_items]`
    /// (the full ranking's input), recording nothing. By default one batched forward pass over the
    /// `users.len() · n_items` pairs; GMF overrides it with a GEMM.
    fn item_scores(&self, users: &[usize], n_items: usize) -> Result<Vec<f64>> {
        let pair_users: Vec<usize> = users
            .iter()
            .flat_map(|&u| std::iter::repeat_n(u, n_items))
            .collect();
        let items: Vec<usize> = users.iter().flat_map(|_| 0..n_items).collect();
        self.scores(&pair_users, &items)
    }
}
