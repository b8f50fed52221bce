//! Mult-DAE (Liang et al. 2018, §2.3): a denoising autoencoder with a multinomial likelihood.
//!
//! `x̃_u = dropout(x_u / ‖x_u‖)`, `π_u = softmax(f_θ(g_φ(x̃_u)))`,
//! loss `L = −(1/U) Σ_u Σ_i x_ui log π_ui (+ λ Σ_W ‖W‖²)`, the optional weight penalty being the
//! notebook's `2 · l2_regularizer(λ)` over the weights (not the biases).
//!
//! Architecture: `dims = [200]` gives the paper's `I → 200 → I`; `dims = [600, 200]` gives
//! `I → 600 → 200 → 600 → I`; tanh between all layers, none on the logits.

use super::{encoder_input, sparse, Loss, Recommender, StepContext, StepValues};
use crate::linear::Linear;
use crate::seed::derive_seed;
use autograd::ops::{csr_matmul, SparseTensor};
use autograd::{Backend, CsrMatrix, Error, Parameter, Result, Tape, Var};

/// A Mult-DAE with its layers.
#[derive(Debug, Clone)]
pub struct MultDae<B: Backend> {
    layers: Vec<Linear<B>>,
    dropout: f64,
    l2: f64,
    seed: u64,
}

impl<B: Backend> MultDae<B> {
    /// `dims` are the sizes after the item layer down to the code; the decoder mirrors them.
    /// `l2` is the weight penalty λ (0 for none).
    pub fn new(
        backend: &B,
        n_items: usize,
        dims: &[usize],
        dropout: f64,
        l2: f64,
        seed: u64,
    ) -> Result<Self> {
        if dims.is_empty() {
            return Err(Error::Invalid {
                op: "MultDae::new",
                detail: "dims must name at least the code size".into(),
            });
        }
        let mut sizes = vec![n_items];
        sizes.extend_from_slice(dims);
        sizes.extend(dims.iter().rev().skip(1));
        sizes.push(n_items);
        let half = dims.len();
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(i, w)| {
                let name = if i < half {
                    format!("encoder.{i}")
                } else {
                    format!("decoder.{}", i - half)
                };
                Linear::new(
                    backend,
                    &name,
                    w[0],
                    w[1],
                    derive_seed(seed, 100 + i as u64),
                )
            })
            .collect::<Result<_>>()?;
        Ok(MultDae {
            layers,
            dropout,
            l2,
            seed,
        })
    }

    /// The input, the hidden outputs and the logits of a batch.
    #[allow(clippy::type_complexity)]
    fn logits<'t>(
        &self,
        tape: &'t Tape<B>,
        p: &[Var<'t, B>],
        batch: &CsrMatrix<f32>,
        ctx: StepContext,
    ) -> Result<(CsrMatrix<B::Elem>, Vec<Var<'t, B>>, Var<'t, B>)> {
        let input = encoder_input::<B>(batch, self.dropout, self.seed, ctx)?;
        let x = SparseTensor::new(tape.backend(), &input)?;
        let mut hidden = Vec::new();
        let mut h = csr_matmul(&x, &p[0])?.add_bias(&p[1])?;
        for l in 1..self.layers.len() {
            let a = h.tanh()?;
            hidden.push(a.clone());
            h = a.dense(&p[2 * l], &p[2 * l + 1])?;
        }
        Ok((input, hidden, h))
    }
}

impl<B: Backend> Recommender<B> for MultDae<B> {
    fn params(&self) -> Vec<&Parameter<B>> {
        self.layers
            .iter()
            .flat_map(|l| [&l.weight, &l.bias])
            .collect()
    }

    fn params_mut(&mut self) -> Vec<&mut Parameter<B>> {
        self.layers
            .iter_mut()
            .flat_map(|l| [&mut l.weight, &mut l.bias])
            .collect()
    }

    fn step_with<'t>(
        &self,
        tape: &'t Tape<B>,
        p: &[Var<'t, B>],
        batch: &CsrMatrix<f32>,
        ctx: StepContext,
    ) -> Result<StepValues<'t, B>> {
        let (input, encoder, logits) = self.logits(tape, p, batch, ctx)?;
        // −(1/U) Σ_u Σ_i x_ui log softmax(logits_u)_i
        let nll_rows = logits.multinomial_nll(&sparse(tape.backend(), batch)?)?;
        let nll = nll_rows.mean()?;
        let mut total = nll.clone();
        if self.l2 > 0.0 {
            // + λ Σ_W ‖W‖², over the weights (even positions of p), as the notebook's 2·l2_regularizer(λ).
            for w in p.iter().step_by(2) {
                total = total.add(&w.square()?.sum()?.scale(self.l2)?)?;
            }
        }
        Ok(StepValues {
            input,
            encoder,
            posterior: None,
            noise: None,
            z: None,
            decoder: vec![],
            logits,
            nll_rows,
            kl_rows: None,
            loss: Loss {
                total,
                nll,
                kl: None,
            },
        })
    }

    fn scores_with<'t>(
        &self,
        tape: &'t Tape<B>,
        p: &[Var<'t, B>],
        fold_in: &CsrMatrix<f32>,
    ) -> Result<Var<'t, B>> {
        let ctx = StepContext {
            beta: 0.0,
            step: 0,
            train: false,
        };
        Ok(self.logits(tape, p, fold_in, ctx)?.2)
    }
}
