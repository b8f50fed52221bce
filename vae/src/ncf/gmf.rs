//! Generalized Matrix Factorization (He et al. 2017, §3.2).
//!
//! `φ^GMF(p_u, q_i) = p_u ⊙ q_i` with user and item embeddings `p_u = Pᵀv_u`, `q_i = Qᵀv_i`
//! (`P: [U, K]`, `Q: [I, K]`, `K` factors), and the score `s_ui = hᵀ(p_u ⊙ q_i) + b`;
//! `ŷ_ui = σ(s_ui)` under implicit feedback. With `h = 1`, `b = 0` and no sigmoid this is plain MF.

use super::init::{embedding, predict_layer};
use super::model::NcfModel;
use crate::linear::Linear;
use crate::seed::derive_seed;
use autograd::backend::Gemm;
use autograd::{Backend, Error, Parameter, Result, Tape, Tensor, Var};

/// The GMF embeddings `P`, `Q`: the GMF model's and NeuMF's GMF branch.
#[derive(Debug, Clone)]
pub(crate) struct GmfBranch<B: Backend> {
    pub user_embedding: Parameter<B>,
    pub item_embedding: Parameter<B>,
}

impl<B: Backend> GmfBranch<B> {
    pub fn new(
        backend: &B,
        n_users: usize,
        n_items: usize,
        factors: usize,
        seed: u64,
    ) -> Result<Self> {
        Ok(GmfBranch {
            user_embedding: embedding(
                backend,
                "gmf.user_embedding",
                n_users,
                factors,
                derive_seed(seed, 10),
            )?,
            item_embedding: embedding(
                backend,
                "gmf.item_embedding",
                n_items,
                factors,
                derive_seed(seed, 11),
            )?,
        })
    }

    pub fn params(&self) -> [&Parameter<B>; 2] {
        [&self.user_embedding, &self.item_embedding]
    }

    pub fn params_mut(&mut self) -> [&mut Parameter<B>; 2] {
        [&mut self.user_embedding, &mut self.item_embedding]
    }

    /// `hᵀ(p_u ⊙ q_i)` for every item `i` of each of `users`, row-major `[users.len(), I]`, as the
    /// GEMM `(P_users ⊙ 1hᵀ) · Qᵀ`; `h` is `[K, 1]`. Records nothing.
    pub fn item_scores(&self, users: &[usize], n_items: usize, h: &Tensor<B>) -> Result<Vec<f64>> {
        let q = self.item_embedding.value();
        if q.rows() != n_items {
            return Err(Error::Invalid {
                op: "GmfBranch::item_scores",
                detail: format!("{n_items} items asked of a model of {}", q.rows()),
            });
        }
        let backend = q.backend().clone();
        let tape = Tape::no_grad(&backend);
        let k = q.cols();
        let p_u = tape.param(&self.user_embedding).gather_rows(users)?;
        let h = tape.constant(h.reshape(1, k)?);
        let a = p_u.mul(&h.gather_rows(&vec![0; users.len()])?)?;
        let g = Gemm {
            m: users.len(),
            n: n_items,
            k,
            trans_a: false,
            trans_b: true,
            alpha: 1.0,
            beta: 0.0,
        };
        let s = backend.gemm_new(g, a.value().buffer(), q.buffer())?;
        Tensor::from_buffer(&backend, [users.len(), n_items], s).to_f64()
    }

    /// `φ^GMF = p_u ⊙ q_i` for each pair, `[n, K]`; `p = [P, Q]`.
    pub fn forward<'t>(p: &[Var<'t, B>], users: &[usize], items: &[usize]) -> Result<Var<'t, B>> {
        let p_u = p[0].gather_rows(users)?;
        let q_i = p[1].gather_rows(items)?;
        p_u.mul(&q_i)
    }
}

/// GMF: the branch and the prediction layer `h`, `b`.
#[derive(Debug, Clone)]
pub struct Gmf<B: Backend> {
    pub(crate) branch: GmfBranch<B>,
    pub(crate) predict: Linear<B>,
}

impl<B: Backend> Gmf<B> {
    /// `factors` = `K`; the output bias starts at `output_bias`.
    pub fn new(
        backend: &B,
        n_users: usize,
        n_items: usize,
        factors: usize,
        output_bias: f64,
        seed: u64,
    ) -> Result<Self> {
        Ok(Gmf {
            branch: GmfBranch::new(backend, n_users, n_items, factors, seed)?,
            predict: predict_layer(backend, factors, output_bias, derive_seed(seed, 40))?,
        })
    }
}

impl<B: Backend> NcfModel<B> for Gmf<B> {
    fn params(&self) -> Vec<&Parameter<B>> {
        let [p, q] = self.branch.params();
        vec![p, q, &self.predict.weight, &self.predict.bias]
    }

    fn params_mut(&mut self) -> Vec<&mut Parameter<B>> {
        let [p, q] = self.branch.params_mut();
        vec![p, q, &mut self.predict.weight, &mut self.predict.bias]
    }

    fn scores_with<'t>(
        &self,
        _tape: &'t Tape<B>,
        p: &[Var<'t, B>],
        users: &[usize],
        items: &[usize],
    ) -> Result<Var<'t, B>> {
        // s_ui = hᵀ(p_u ⊙ q_i) + b
        GmfBranch::forward(&p[..2], users, items)?.dense(&p[2], &p[3])
    }

    /// `S = (P_users ⊙ 1hᵀ) · Qᵀ + b`: all items of a batch of users in one GEMM.
    fn item_scores(&self, users: &[usize], n_items: usize) -> Result<Vec<f64>> {
        let s = self
            .branch
            .item_scores(users, n_items, self.predict.weight.value())?;
        let b = self.predict.bias.value().scalar()?;
        Ok(s.into_iter().map(|x| x + b).collect())
    }
}
