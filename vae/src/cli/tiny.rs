//! The tiny model and synthetic batch that `vae graph` draws and `vae gradcheck` checks.

use autograd::rng::{draw, RngKey};
use autograd::{Cpu, CsrMatrix};
use clap::{Args, ValueEnum};
use vae::vae_cf::{MultDae, MultVae, Recommender, StepContext};

/// The tiny models run in f64, the precision of the gradient check.
pub type B = Cpu<f64>;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TinyModel {
    Vae,
    Dae,
    /// NCF's NeuMF: `--hidden` is the MLP tower (first entry doubled to the concatenated embedding
    /// width), its last size the GMF factors; BCE on a batch of users × items.
    Neumf,
}

#[derive(Debug, Args)]
pub struct TinyArgs {
    /// Which model.
    #[arg(long, value_enum, default_value = "vae")]
    pub model: TinyModel,
    /// Number of items I.
    #[arg(long, default_value_t = 7)]
    pub items: usize,
    /// Encoder sizes after the item layer, the last being the latent (or code) size.
    #[arg(long, default_value = "5,3", value_delimiter = ',')]
    pub hidden: Vec<usize>,
    /// Users in the synthetic batch.
    #[arg(long, default_value_t = 4)]
    pub users: usize,
    /// Seed of the weights, the clicks, the dropout mask and ε.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

impl TinyArgs {
    pub fn model(&self) -> anyhow::Result<Box<dyn Recommender<B>>> {
        anyhow::ensure!(
            self.items > 0 && !self.hidden.is_empty(),
            "--items and --hidden must be positive"
        );
        let cpu = Cpu::new();
        Ok(match self.model {
            TinyModel::Neumf => {
                anyhow::bail!("--model neumf has no click-row loss to draw; use vae or dae")
            }
            TinyModel::Vae => Box::new(MultVae::new(
                &cpu,
                self.items,
                &self.hidden,
                0.5,
                self.seed,
            )?),
            TinyModel::Dae => Box::new(MultDae::new(
                &cpu,
                self.items,
                &self.hidden,
                0.5,
                0.01,
                self.seed,
            )?),
        })
    }

    /// Each user clicks each item with probability ½, and at least one item.
    pub fn clicks(&self) -> anyhow::Result<CsrMatrix<f32>> {
        let key = RngKey::new(self.seed, 77);
        let mut t = Vec::new();
        for u in 0..self.users {
            t.push((u, u % self.items, 1.0));
            for i in 0..self.items {
                if i != u % self.items && draw(key, (u * self.items + i) as u64)[0] & 1 == 1 {
                    t.push((u, i, 1.0));
                }
            }
        }
        Ok(CsrMatrix::from_triplets(self.users, self.items, &t)?)
    }

    pub fn context(&self) -> StepContext {
        StepContext {
            beta: 0.2,
            step: self.seed,
            train: true,
        }
    }
}

/// The tiny NeuMF that `vae graph` draws and `vae gradcheck` checks, and its batch: each user twice,
/// with an item drawn from the seed, targets alternating 0 and 1, trained by BCE.
impl TinyArgs {
    pub fn neumf(&self) -> anyhow::Result<(vae::ncf::NeuMf<B>, vae::ncf::Batch)> {
        use vae::ncf::{Batch, NeuMf, Objective};
        anyhow::ensure!(
            self.items > 0 && self.users > 0 && !self.hidden.is_empty(),
            "--items, --users and --hidden must be positive"
        );
        let mut layers = self.hidden.clone();
        layers[0] *= 2;
        let factors = *self.hidden.last().unwrap_or(&1);
        let model = NeuMf::new(
            &Cpu::new(),
            self.users,
            self.items,
            factors,
            &layers,
            0.0,
            self.seed,
        )?;
        let key = RngKey::new(self.seed, 78);
        let n = 2 * self.users;
        let batch = Batch {
            users: (0..n).map(|i| i % self.users).collect(),
            items: (0..n)
                .map(|i| draw(key, i as u64)[0] as usize % self.items)
                .collect(),
            targets: (0..n).map(|i| (i % 2) as f64).collect(),
            objective: Objective::Bce,
        };
        Ok((model, batch))
    }
}
