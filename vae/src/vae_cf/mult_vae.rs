//! Mult-VAE^PR (Liang et al. 2018, §2.2): a variational autoencoder with a multinomial likelihood.
//!
//! Generative model (Eq. 1 of arXiv:1802.05814v1): `z_u ~ N(0, I_K)`, `π(z_u) = softmax(f_θ(z_u))`,
//! `x_u ~ Mult(N_u, π(z_u))`.
//! Inference model (§2.2.1): `q_φ(z_u | x_u) = N(μ_φ(x_u), diag σ²_φ(x_u))`.
//! Loss, per user and averaged over the batch (the negated L_β of Eq. 6, β annealed, §2.2.2):
//! `L = −E_q[log p_θ(x_u | z_u)] + β · KL(q_φ(z_u | x_u) ‖ N(0, I))`, with one sample of
//! `z_u = μ + ε ⊙ σ` (the reparameterisation trick, Kingma & Welling 2014).
//!
//! Architecture (the notebook's defaults, `dims = [600, 200]`): encoder `I → 600 → 2·200` with tanh
//! between layers, the last output split into `μ ‖ log σ²`; decoder `200 → 600 → I` with tanh between
//! layers; the first layer reads the L2-normalised, dropped-out sparse click rows.

use super::{encoder_input, sparse, Loss, Recommender, StepContext, StepValues, NOISE_STREAM};
use crate::linear::Linear;
use crate::seed::derive_seed;
use autograd::ops::{csr_matmul, gaussian_kl, SparseTensor};
use autograd::rng::RngKey;
use autograd::{Backend, CsrMatrix, Error, Parameter, Result, Tape, Var};

/// A Mult-VAE with its layers.
#[derive(Debug, Clone)]
pub struct MultVae<B: Backend> {
    encoder: Vec<Linear<B>>,
    decoder: Vec<Linear<B>>,
    latent: usize,
    dropout: f64,
    seed: u64,
}

impl<B: Backend> MultVae<B> {
    /// `dims` are the encoder's sizes after the item layer, the last being the latent size `K`:
    /// `[600, 200]` gives `I → 600 → 2·200` and `200 → 600 → I`.
    pub fn new(
        backend: &B,
        n_items: usize,
        dims: &[usize],
        dropout: f64,
        seed: u64,
    ) -> Result<Self> {
        let Some(&latent) = dims.last() else {
            return Err(Error::Invalid {
                op: "MultVae::new",
                detail: "dims must name at least the latent size".into(),
            });
        };
        let mut q = vec![n_items];
        q.extend_from_slice(dims);
        let mut encoder = Vec::new();
        for (i, w) in q.windows(2).enumerate() {
            // The last encoder layer outputs μ and log σ² side by side.
            let out = if i + 2 == q.len() { 2 * w[1] } else { w[1] };
            encoder.push(Linear::new(
                backend,
                &format!("encoder.{i}"),
                w[0],
                out,
                derive_seed(seed, 100 + i as u64),
            )?);
        }
        let p: Vec<usize> = q.iter().rev().copied().collect();
        let decoder = p
            .windows(2)
            .enumerate()
            .map(|(i, w)| {
                Linear::new(
                    backend,
                    &format!("decoder.{i}"),
                    w[0],
                    w[1],
                    derive_seed(seed, 200 + i as u64),
                )
            })
            .collect::<Result<_>>()?;
        Ok(MultVae {
            encoder,
            decoder,
            latent,
            dropout,
            seed,
        })
    }

    /// The encoder's input, its hidden outputs, and `(μ, log σ²)` of `q(z | x)` for a batch.
    #[allow(clippy::type_complexity)]
    fn encode<'t>(
        &self,
        tape: &'t Tape<B>,
        p: &[Var<'t, B>],
        batch: &CsrMatrix<f32>,
        ctx: StepContext,
    ) -> Result<(CsrMatrix<B::Elem>, Vec<Var<'t, B>>, Var<'t, B>, Var<'t, B>)> {
        let input = encoder_input::<B>(batch, self.dropout, self.seed, ctx)?;
        let x = SparseTensor::new(tape.backend(), &input)?;
        let mut hidden = Vec::new();
        let mut h = csr_matmul(&x, &p[0])?.add_bias(&p[1])?;
        for l in 1..self.encoder.len() {
            let a = h.tanh()?;
            hidden.push(a.clone());
            h = a.dense(&p[2 * l], &p[2 * l + 1])?;
        }
        let mut parts = h.split_cols(&[self.latent, self.latent])?.into_iter();
        let (mu, logvar) = (
            parts.next().expect("two parts"),
            parts.next().expect("two parts"),
        );
        Ok((input, hidden, mu, logvar))
    }

    /// The key of the noise `ε` of update `step` (the same on every backend).
    pub fn noise_key(&self, step: u64) -> RngKey {
        RngKey::new(derive_seed(self.seed, NOISE_STREAM), step)
    }

    /// The decoder's hidden outputs and the logits `f_θ(z)` over all items.
    fn decode<'t>(&self, p: &[Var<'t, B>], z: Var<'t, B>) -> Result<(Vec<Var<'t, B>>, Var<'t, B>)> {
        let offset = 2 * self.encoder.len();
        let mut hidden = Vec::new();
        let mut h = z;
        for l in 0..self.decoder.len() {
            if l > 0 {
                h = h.tanh()?;
                hidden.push(h.clone());
            }
            h = h.dense(&p[offset + 2 * l], &p[offset + 2 * l + 1])?;
        }
        Ok((hidden, h))
    }
}

impl<B: Backend> Recommender<B> for MultVae<B> {
    fn params(&self) -> Vec<&Parameter<B>> {
        self.encoder
            .iter()
            .chain(&self.decoder)
            .flat_map(|l| [&l.weight, &l.bias])
            .collect()
    }

    fn params_mut(&mut self) -> Vec<&mut Parameter<B>> {
        self.encoder
            .iter_mut()
            .chain(&mut self.decoder)
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
        let (input, encoder, mu, logvar) = self.encode(tape, p, batch, ctx)?;
        // z = μ + ε ⊙ exp(½ log σ²) while training; z = μ when evaluating.
        let noise = ctx.train.then(|| self.noise_key(ctx.step));
        let z = match noise {
            Some(key) => mu.reparameterize(&logvar, key)?,
            None => mu.clone(),
        };
        let (decoder, logits) = self.decode(p, z.clone())?;
        // −Σ_i x_ui log softmax(f_θ(z_u))_i per user (Eq. 2), then averaged over users
        let nll_rows = logits.multinomial_nll(&sparse(tape.backend(), batch)?)?;
        let nll = nll_rows.mean()?;
        // KL(q_φ(z_u | x_u) ‖ N(0, I)) = Σ_k ½(−log σ²_uk + σ²_uk + μ²_uk − 1) per user, averaged
        let kl_rows = gaussian_kl(&mu, &logvar)?;
        let kl = kl_rows.mean()?;
        // Eq. 6, negated: L = NLL + β·KL
        let total = nll.add(&kl.scale(ctx.beta)?)?;
        Ok(StepValues {
            input,
            encoder,
            posterior: Some((mu, logvar)),
            noise,
            z: Some(z),
            decoder,
            logits,
            nll_rows,
            kl_rows: Some(kl_rows),
            loss: Loss {
                total,
                nll,
                kl: Some(kl),
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
        let (_, _, mu, _) = self.encode(tape, p, fold_in, ctx)?;
        Ok(self.decode(p, mu)?.1)
    }
}
