//! Neural Matrix Factorization (He et al. 2017, §3.4): GMF and MLP with their own embeddings, fused
//! at the last hidden layer.
//!
//! `φ^GMF = p^G_u ⊙ q^G_i`, `φ^MLP = z_L` of the tower on `[p^M_u ‖ q^M_i]`, and the score
//! `s_ui = hᵀ[φ^GMF ‖ φ^MLP] + b`; `ŷ_ui = σ(s_ui)` under implicit feedback.
//!
//! Pre-training (§3.4.1): the embeddings and tower are copied from trained GMF and MLP models and the
//! output layer is `h ← [α h^GMF ‖ (1 − α) h^MLP]`, with α = 0.5 in the paper; the bias likewise
//! `b ← α b^GMF + (1 − α) b^MLP` (the reference code's `0.5 * (b_gmf + b_mlp)`).

use super::gmf::{Gmf, GmfBranch};
use super::init::{copy, predict_layer, split_rows};
use super::mlp::{Mlp, MlpBranch};
use super::model::NcfModel;
use crate::linear::Linear;
use crate::seed::derive_seed;
use autograd::ops::concat_cols;
use autograd::{Backend, Error, Parameter, Result, Tape, Tensor, Var};

/// NeuMF: a GMF branch, an MLP branch, one prediction layer on both.
#[derive(Debug, Clone)]
pub struct NeuMf<B: Backend> {
    gmf: GmfBranch<B>,
    mlp: MlpBranch<B>,
    predict: Linear<B>,
}

impl<B: Backend> NeuMf<B> {
    /// A freshly initialised NeuMF with `factors` GMF factors and the MLP tower `layers`.
    pub fn new(
        backend: &B,
        n_users: usize,
        n_items: usize,
        factors: usize,
        layers: &[usize],
        output_bias: f64,
        seed: u64,
    ) -> Result<Self> {
        let gmf = GmfBranch::new(backend, n_users, n_items, factors, seed)?;
        let mlp = MlpBranch::new(backend, n_users, n_items, layers, seed)?;
        let predict = predict_layer(
            backend,
            factors + mlp.output_width(),
            output_bias,
            derive_seed(seed, 40),
        )?;
        Ok(NeuMf { gmf, mlp, predict })
    }

    /// NeuMF initialised from trained GMF and MLP (§3.4.1), with `h = [α h^GMF ‖ (1 − α) h^MLP]`
    /// and `b = α b^GMF + (1 − α) b^MLP`. Every tensor is copied: the new model shares no buffer
    /// with the old ones.
    pub fn from_pretrained(gmf: &Gmf<B>, mlp: &Mlp<B>, alpha: f64) -> Result<Self> {
        let (g_users, m_users) = (
            gmf.branch.user_embedding.value().rows(),
            mlp.branch.user_embedding.value().rows(),
        );
        let (g_items, m_items) = (
            gmf.branch.item_embedding.value().rows(),
            mlp.branch.item_embedding.value().rows(),
        );
        if (g_users, g_items) != (m_users, m_items) {
            return Err(Error::Invalid {
                op: "NeuMf::from_pretrained",
                detail: format!(
                    "GMF has {g_users} users and {g_items} items, MLP {m_users} and {m_items}"
                ),
            });
        }
        let fresh = |p: &Parameter<B>| -> Result<Parameter<B>> {
            Ok(Parameter::new(p.name(), copy(p.value())?))
        };
        let gmf_branch = GmfBranch {
            user_embedding: fresh(&gmf.branch.user_embedding)?,
            item_embedding: fresh(&gmf.branch.item_embedding)?,
        };
        let mlp_branch = MlpBranch {
            user_embedding: fresh(&mlp.branch.user_embedding)?,
            item_embedding: fresh(&mlp.branch.item_embedding)?,
            layers: mlp
                .branch
                .layers
                .iter()
                .map(|l| {
                    Ok(Linear {
                        weight: fresh(&l.weight)?,
                        bias: fresh(&l.bias)?,
                    })
                })
                .collect::<Result<_>>()?,
        };
        let backend = gmf.predict.weight.value().backend();
        // h = [α h^GMF ‖ (1 − α) h^MLP]
        let h: Vec<f64> = (gmf.predict.weight.value().to_f64()?.into_iter())
            .map(|w| alpha * w)
            .chain(
                mlp.predict
                    .weight
                    .value()
                    .to_f64()?
                    .into_iter()
                    .map(|w| (1.0 - alpha) * w),
            )
            .collect();
        // b = α b^GMF + (1 − α) b^MLP
        let b = alpha * gmf.predict.bias.value().scalar()?
            + (1.0 - alpha) * mlp.predict.bias.value().scalar()?;
        let predict = Linear {
            weight: Parameter::new("predict.weight", Tensor::from_f64(backend, h.len(), 1, &h)?),
            bias: Parameter::new("predict.bias", Tensor::full(backend, 1, 1, b)?),
        };
        Ok(NeuMf {
            gmf: gmf_branch,
            mlp: mlp_branch,
            predict,
        })
    }
}

impl<B: Backend> NcfModel<B> for NeuMf<B> {
    /// GMF embeddings, MLP embeddings and tower, then `predict.weight`, `predict.bias`.
    fn params(&self) -> Vec<&Parameter<B>> {
        let mut v: Vec<&Parameter<B>> = self.gmf.params().into();
        v.extend(self.mlp.params());
        v.extend([&self.predict.weight, &self.predict.bias]);
        v
    }

    fn params_mut(&mut self) -> Vec<&mut Parameter<B>> {
        let mut v: Vec<&mut Parameter<B>> = self.gmf.params_mut().into();
        v.extend(self.mlp.params_mut());
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
        let phi_gmf = GmfBranch::forward(&p[..2], users, items)?;
        let phi_mlp = MlpBranch::forward(&p[2..n - 2], users, items)?;
        // s_ui = hᵀ[φ^GMF ‖ φ^MLP] + b
        concat_cols(&[&phi_gmf, &phi_mlp])?.dense(&p[n - 2], &p[n - 1])
    }

    /// `s_ui = h_Gᵀ(p^G_u ⊙ q^G_i) + h_Mᵀ z_L + b` with `h = [h_G ‖ h_M]`: the GMF half by GEMM,
    /// the MLP half by [`MlpBranch::item_forward`].
    fn item_scores(&self, users: &[usize], n_items: usize) -> Result<Vec<f64>> {
        let k = self.gmf.user_embedding.value().cols();
        let (h_gmf, h_mlp) = split_rows(self.predict.weight.value(), k)?;
        let gmf = self.gmf.item_scores(users, n_items, &h_gmf)?;
        let tape = Tape::no_grad(h_mlp.backend());
        let mlp = self
            .mlp
            .item_forward(&tape, users, n_items)?
            .dense(&tape.constant(h_mlp), &tape.param(&self.predict.bias))?
            .value()
            .to_f64()?;
        Ok(gmf.iter().zip(mlp).map(|(g, m)| g + m).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use autograd::Cpu;

    #[test]
    fn pretrained_neumf_scores_are_the_alpha_mix_of_gmf_and_mlp_scores() {
        let cpu = Cpu::<f64>::new();
        let gmf = Gmf::new(&cpu, 4, 5, 3, 0.2, 1).unwrap();
        let mlp = Mlp::new(&cpu, 4, 5, &[6, 4, 2], -0.4, 2).unwrap();
        let neumf = NeuMf::from_pretrained(&gmf, &mlp, 0.3).unwrap();
        let (users, items) = ([0, 1, 3, 2], [4, 0, 2, 2]);
        let g = gmf.scores(&users, &items).unwrap();
        let m = mlp.scores(&users, &items).unwrap();
        let n = neumf.scores(&users, &items).unwrap();
        for r in 0..4 {
            let mix = 0.3 * g[r] + 0.7 * m[r];
            assert!((n[r] - mix).abs() < 1e-12, "{} vs {mix}", n[r]);
        }
        let names: Vec<&str> = neumf.params().iter().map(|p| p.name()).collect();
        assert_eq!(
            names,
            [
                "gmf.user_embedding.weight",
                "gmf.item_embedding.weight",
                "mlp.user_embedding.weight",
                "mlp.item_embedding.weight",
                "mlp.layers.0.weight",
                "mlp.layers.0.bias",
                "mlp.layers.1.weight",
                "mlp.layers.1.bias",
                "predict.weight",
                "predict.bias"
            ]
        );
    }

    #[test]
    fn neumf_shapes_follow_the_reference_layout() {
        let neumf = NeuMf::<Cpu<f64>>::new(&Cpu::new(), 7, 9, 8, &[64, 32, 16, 8], 0.0, 1).unwrap();
        let shapes: Vec<[usize; 2]> = neumf.params().iter().map(|p| p.value().shape()).collect();
        assert_eq!(
            shapes,
            [
                [7, 8],
                [9, 8],
                [7, 32],
                [9, 32],
                [64, 32],
                [1, 32],
                [32, 16],
                [1, 16],
                [16, 8],
                [1, 8],
                [16, 1],
                [1, 1]
            ]
        );
        assert!(NeuMf::<Cpu<f64>>::new(&Cpu::new(), 7, 9, 8, &[63, 8], 0.0, 1).is_err());
    }
}
