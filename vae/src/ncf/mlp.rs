//! The multi-layer perceptron of NCF (He et al. 2017, §3.3).
//!
//! `z₁ = [p_u ‖ q_i]`, `z_l = ReLU(W_lᵀ z_{l−1} + b_l)` for `l = 2..L`, and the score
//! `s_ui = hᵀ z_L + b`. The tower `layers = [64, 32, 16, 8]` names the widths of `z₁ … z_L`, as the
//! reference code's `--layers`: the first is the concatenated embedding, so each embedding is 32 wide.

use super::init::{embedding, predict_layer, split_rows, tower_layer};
use super::model::NcfModel;
use crate::linear::Linear;
use crate::seed::derive_seed;
use autograd::ops::concat_cols;
use autograd::{Backend, Error, Parameter, Result, Tape, Var};

/// The MLP embeddings and tower: the MLP model's and NeuMF's MLP branch.
#[derive(Debug, Clone)]
pub(crate) struct MlpBranch<B: Backend> {
    pub user_embedding: Parameter<B>,
    pub item_embedding: Parameter<B>,
    pub layers: Vec<Linear<B>>,
}

impl<B: Backend> MlpBranch<B> {
    pub fn new(
        backend: &B,
        n_users: usize,
        n_items: usize,
        layers: &[usize],
        seed: u64,
    ) -> Result<Self> {
        let invalid = |detail: String| Error::Invalid {
            op: "Mlp::new",
            detail,
        };
        let &first = layers
            .first()
            .ok_or_else(|| invalid("layers must name at least the embedding width".into()))?;
        if first == 0 || first % 2 != 0 || layers.contains(&0) {
            return Err(invalid(format!(
                "layers {layers:?}: widths must be positive and the first (user ‖ item) even"
            )));
        }
        let dim = first / 2;
        Ok(MlpBranch {
            user_embedding: embedding(
                backend,
                "mlp.user_embedding",
                n_users,
                dim,
                derive_seed(seed, 20),
            )?,
            item_embedding: embedding(
                backend,
                "mlp.item_embedding",
                n_items,
                dim,
                derive_seed(seed, 21),
            )?,
            layers: layers
                .windows(2)
                .enumerate()
                .map(|(l, w)| {
                    tower_layer(
                        backend,
                        &format!("mlp.layers.{l}"),
                        w[0],
                        w[1],
                        derive_seed(seed, 30 + l as u64),
                    )
                })
                .collect::<Result<_>>()?,
        })
    }

    /// The width of `z_L`.
    pub fn output_width(&self) -> usize {
        match self.layers.last() {
            Some(l) => l.outputs(),
            None => 2 * self.user_embedding.value().cols(),
        }
    }

    /// Embeddings, then each layer's weight and bias.
    pub fn params(&self) -> Vec<&Parameter<B>> {
        let mut v = vec![&self.user_embedding, &self.item_embedding];
        v.extend(self.layers.iter().flat_map(|l| [&l.weight, &l.bias]));
        v
    }

    pub fn params_mut(&mut self) -> Vec<&mut Parameter<B>> {
        let mut v = vec![&mut self.user_embedding, &mut self.item_embedding];
        v.extend(
            self.layers
                .iter_mut()
                .flat_map(|l| [&mut l.weight, &mut l.bias]),
        );
        v
    }

    /// `z_L` of every item `i` of each of `users`, row `a·I + i` for `users[a]`, recording nothing on
    /// `tape`. The first layer is split by its inputs, `W₁ᵀ[p_u ‖ q_i] = W₁,pᵀ p_u + W₁,qᵀ q_i`, so
    /// each user's half and each item's half is computed once, not once per pair.
    pub fn item_forward<'t>(
        &self,
        tape: &'t Tape<B>,
        users: &[usize],
        n_items: usize,
    ) -> Result<Var<'t, B>> {
        let p = tape.param(&self.user_embedding);
        let q = tape.param(&self.item_embedding);
        if q.rows() != n_items {
            return Err(Error::Invalid {
                op: "MlpBranch::item_forward",
                detail: format!("{n_items} items asked of a model of {}", q.rows()),
            });
        }
        let rows: Vec<usize> = (0..users.len())
            .flat_map(|a| std::iter::repeat_n(a, n_items))
            .collect();
        let items: Vec<usize> = users.iter().flat_map(|_| 0..n_items).collect();
        let Some((first, rest)) = self.layers.split_first() else {
            let p_u = p.gather_rows(users)?.gather_rows(&rows)?;
            return concat_cols(&[&p_u, &q.gather_rows(&items)?]);
        };
        let (w_p, w_q) = split_rows(first.weight.value(), p.cols())?;
        // W₁,pᵀ p_u per user; W₁,qᵀ q_i + b₁ per item.
        let user_half = p.gather_rows(users)?.matmul(&tape.constant(w_p))?;
        let item_half = q.dense(&tape.constant(w_q), &tape.param(&first.bias))?;
        let mut z = user_half
            .gather_rows(&rows)?
            .add(&item_half.gather_rows(&items)?)?
            .relu()?;
        for l in rest {
            z = z
                .dense(&tape.param(&l.weight), &tape.param(&l.bias))?
                .relu()?;
        }
        Ok(z)
    }

    /// `z_L` for each pair, `[n, layers.last()]`; `p` as [`MlpBranch::params`].
    pub fn forward<'t>(p: &[Var<'t, B>], users: &[usize], items: &[usize]) -> Result<Var<'t, B>> {
        // z₁ = [p_u ‖ q_i]
        let mut z = concat_cols(&[&p[0].gather_rows(users)?, &p[1].gather_rows(items)?])?;
        // z_l = ReLU(W_lᵀ z_{l−1} + b_l)
        for wb in p[2..].chunks(2) {
            z = z.dense(&wb[0], &wb[1])?.relu()?;
        }
        Ok(z)
    }
}

/// MLP: the branch and the prediction layer `h`, `b`.
#[derive(Debug, Clone)]
pub struct Mlp<B: Backend> {
    pub(crate) branch: MlpBranch<B>,
    pub(crate) predict: Linear<B>,
}

impl<B: Backend> Mlp<B> {
    /// `layers` as the reference's `--layers` (`[64, 32, 16, 8]`); the output bias starts at
    /// `output_bias`.
    pub fn new(
        backend: &B,
        n_users: usize,
        n_items: usize,
        layers: &[usize],
        output_bias: f64,
        seed: u64,
    ) -> Result<Self> {
        let branch = MlpBranch::new(backend, n_users, n_items, layers, seed)?;
        let predict = predict_layer(
            backend,
            branch.output_width(),
            output_bias,
            derive_seed(seed, 40),
        )?;
        Ok(Mlp { branch, predict })
    }
}

impl<B: Backend> NcfModel<B> for Mlp<B> {
    fn params(&self) -> Vec<&Parameter<B>> {
        let mut v = self.branch.params();
        v.extend([&self.predict.weight, &self.predict.bias]);
        v
    }

    fn params_mut(&mut self) -> Vec<&mut Parameter<B>> {
        let mut v = self.branch.params_mut();
        v.extend([&mut self.predict.weight, &mut self.predict.bias]);
        v
    }

    fn scores_with<'t>(
        &self,
        _tape: &'t Tape<B>,
        p: &[Var<'t, B>],
        users: &[usize],
        items: &[usize],
    ) -> Result<Var<'t, B>> {
        let n = p.len();
        // s_ui = hᵀ z_L + b
        MlpBranch::forward(&p[..n - 2], users, items)?.dense(&p[n - 2], &p[n - 1])
    }

    fn item_scores(&self, users: &[usize], n_items: usize) -> Result<Vec<f64>> {
        let tape = Tape::no_grad(self.predict.weight.value().backend());
        let h = tape.param(&self.predict.weight);
        let b = tape.param(&self.predict.bias);
        self.branch
            .item_forward(&tape, users, n_items)?
            .dense(&h, &b)?
            .value()
            .to_f64()
    }
}
