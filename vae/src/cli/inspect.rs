//! `vae graph` and `vae gradcheck`: one training step of a model made visible, and its gradient
//! checked against finite differences, parameter by parameter, on a tiny synthetic batch.

use std::path::PathBuf;

use anyhow::Context;
use autograd::gradcheck::{check_jacobian, Tolerance};
use autograd::rng::{draw, RngKey};
use autograd::{Cpu, CsrMatrix, Tape, Tensor};
use clap::{Args, ValueEnum};
use vae::vae_cf::{MultDae, MultVae, Recommender, StepContext};

type B = Cpu<f64>;

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
    model: TinyModel,
    /// Number of items I.
    #[arg(long, default_value_t = 7)]
    items: usize,
    /// Encoder sizes after the item layer, the last being the latent (or code) size.
    #[arg(long, default_value = "5,3", value_delimiter = ',')]
    hidden: Vec<usize>,
    /// Users in the synthetic batch.
    #[arg(long, default_value_t = 4)]
    users: usize,
    /// Seed of the weights, the clicks, the dropout mask and ε.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    #[command(flatten)]
    tiny: TinyArgs,
    /// Folder for graph.dot and graph.svg.
    #[arg(long, default_value = "graph")]
    out: PathBuf,
    /// Add the VJP node of every op.
    #[arg(long)]
    backward: bool,
}

impl TinyArgs {
    fn model(&self) -> anyhow::Result<Box<dyn Recommender<B>>> {
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
    fn clicks(&self) -> anyhow::Result<CsrMatrix<f32>> {
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

    fn context(&self) -> StepContext {
        StepContext {
            beta: 0.2,
            step: self.seed,
            train: true,
        }
    }
}

pub fn graph(a: GraphArgs) -> anyhow::Result<()> {
    let model = a.tiny.model()?;
    let x = a.tiny.clicks()?;
    let tape = Tape::new(&Cpu::new());
    let loss = model.loss(&tape, &x, a.tiny.context())?;
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let dot = a.out.join("graph.dot");
    let svg = a.out.join("graph.svg");
    std::fs::write(
        &dot,
        autograd::graph::to_dot(&tape, &loss.total, a.backward),
    )
    .with_context(|| format!("writing {}", dot.display()))?;
    std::fs::write(
        &svg,
        autograd::graph::to_svg(&tape, &loss.total, a.backward),
    )
    .with_context(|| format!("writing {}", svg.display()))?;
    println!(
        "{} nodes recorded; wrote {} and {}",
        tape.len(),
        dot.display(),
        svg.display()
    );
    Ok(())
}

/// NeuMF's parameters and its BCE loss on a tiny batch, for the gradient check.
fn neumf_check(a: &TinyArgs) -> anyhow::Result<(Vec<String>, autograd::gradcheck::Report)> {
    use vae::ncf::{Batch, NcfModel, NeuMf, Objective};
    let mut layers = a.hidden.clone();
    layers[0] *= 2;
    let factors = *a.hidden.last().unwrap_or(&1);
    let model = NeuMf::<B>::new(&Cpu::new(), a.users, a.items, factors, &layers, 0.0, a.seed)?;
    let key = RngKey::new(a.seed, 78);
    let n = 2 * a.users;
    let batch = Batch {
        users: (0..n).map(|i| i % a.users).collect(),
        items: (0..n)
            .map(|i| draw(key, i as u64)[0] as usize % a.items)
            .collect(),
        targets: (0..n).map(|i| (i % 2) as f64).collect(),
        objective: Objective::Bce,
    };
    let names = model
        .params()
        .iter()
        .map(|p| p.name().to_string())
        .collect();
    let values: Vec<Tensor<B>> = model.params().iter().map(|p| p.value().clone()).collect();
    let report = check_jacobian(&values, Tolerance::default(), |tape, p| {
        model
            .loss_with(tape, p, &batch)
            .map_err(|e| autograd::Error::Invalid {
                op: "neumf",
                detail: e.to_string(),
            })
    })?;
    Ok((names, report))
}

pub fn gradcheck(a: TinyArgs) -> anyhow::Result<()> {
    let (names, report) = match a.model {
        TinyModel::Neumf => neumf_check(&a)?,
        _ => {
            let model = a.model()?;
            let x = a.clicks()?;
            let ctx = a.context();
            let values: Vec<Tensor<B>> = model.params().iter().map(|p| p.value().clone()).collect();
            let names = model
                .params()
                .iter()
                .map(|p| p.name().to_string())
                .collect();
            let report = check_jacobian(&values, Tolerance::default(), |tape, p| {
                model.loss_with(tape, p, &x, ctx).map(|l| l.total)
            })?;
            (names, report)
        }
    };
    println!(
        "{:<28} {:>9} {:>12} {:>12}  result",
        "parameter", "shape", "max abs err", "max rel err"
    );
    for (name, s) in names.iter().zip(report.per_input()) {
        println!(
            "{:<28} {:>9} {:>12.3e} {:>12.3e}  {}",
            name,
            format!("{}x{}", s.shape[0], s.shape[1]),
            s.max_abs_err,
            s.max_rel_err,
            if s.passed { "pass" } else { "FAIL" }
        );
    }
    println!("\n{report}");
    anyhow::ensure!(report.passed, "the gradient check failed");
    Ok(())
}
