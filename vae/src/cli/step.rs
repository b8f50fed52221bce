//! `vae step`: one training step of Mult-VAE (or Mult-DAE) in the open, every value printed under
//! its symbol in the order of the math, then every gradient and one parameter's Adam update.
//! `--save FILE` writes each printed tensor under its printed name (a safetensors file that
//! `scripts/torch_step.py` reruns in PyTorch).
//!
//! It uses only the public API, as a learner's own code would: the model's [`Recommender::step_with`]
//! (the same code a training step runs), [`Var::retain_grad`] for the gradients of intermediates,
//! the tensors' `Display`, and `Adam`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use autograd::ops::gaussian;
use autograd::optim::{Adam, AdamConfig};
use autograd::real::Real;
use autograd::{Backend, Cpu, CsrMatrix, Tape, Tensor, Var};
use clap::Args;
use vae::train::{build_model, ModelKind, RunDir, TrainConfig};
use vae::vae_cf::{Recommender, StepContext};

use super::common::{gpu_backend, parse_device, Device};
use super::tiny::{TinyArgs, TinyModel};

#[derive(Debug, Args)]
pub struct StepArgs {
    #[command(flatten)]
    tiny: TinyArgs,
    /// Take real rows of this pro_sg folder instead of the tiny synthetic batch: the first step of
    /// `vae train --batch-size USERS --dims HIDDEN --seed SEED` (the same weights, rows, mask and
    /// ε), with a model of the folder's item count.
    #[arg(long)]
    data: Option<PathBuf>,
    /// With --data: start from this run's best weights and configuration instead of a fresh model.
    #[arg(long, requires = "data")]
    checkpoint: Option<PathBuf>,
    /// β of the step (the KL's weight in Eq. 6). Default: 0.2 for the tiny model; with --data, the
    /// run's annealing at update 0, as training has it.
    #[arg(long)]
    beta: Option<f64>,
    /// Run the tiny model in f32, as training does, instead of f64.
    #[arg(long)]
    f32: bool,
    /// The parameter whose Adam update is shown (default: the first).
    #[arg(long)]
    param: Option<String>,
    /// Print every gradient's values, not only its norm.
    #[arg(long)]
    full: bool,
    /// Digits after the point.
    #[arg(long, default_value_t = 6)]
    precision: usize,
    /// Write every printed tensor, under its printed name, to this safetensors file.
    #[arg(long)]
    save: Option<PathBuf>,
    /// cpu (f64 for the tiny model, f32 with --data), or sim / cuda (f32).
    #[arg(long, default_value = "cpu", value_parser = parse_device)]
    device: Device,
}

/// What is printed and saved, in order: (name, symbol and meaning, values).
struct Shown {
    precision: usize,
    saved: Vec<(String, [usize; 2], Vec<f64>)>,
    /// The parameter whose Adam update is shown.
    param: String,
}

impl Shown {
    fn tensor<B: Backend>(&mut self, name: &str, what: &str, t: &Tensor<B>) -> anyhow::Result<()> {
        println!("\n{name}  —  {what}");
        println!("{t:.prec$}", prec = self.precision);
        self.saved.push((name.to_string(), t.shape(), t.to_f64()?));
        Ok(())
    }

    /// A value the step needs but a learner reads in one line (β, the loss).
    fn scalar(&mut self, name: &str, what: &str, v: f64) {
        println!("\n{name} = {v:.prec$}  —  {what}", prec = self.precision);
        self.saved.push((name.to_string(), [1, 1], vec![v]));
    }

    /// Saves without printing (the gradients' values without --full).
    fn keep<B: Backend>(&mut self, name: &str, t: &Tensor<B>) -> anyhow::Result<()> {
        self.saved.push((name.to_string(), t.shape(), t.to_f64()?));
        Ok(())
    }
}

fn dense<B: Backend, T: Real>(backend: &B, m: &CsrMatrix<T>) -> anyhow::Result<Tensor<B>> {
    let v: Vec<f64> = m.to_dense(T::zero()).into_iter().map(T::f64).collect();
    Ok(Tensor::from_f64(backend, m.rows(), m.cols(), &v)?)
}

fn norm(t: &Tensor<impl Backend>) -> anyhow::Result<f64> {
    Ok(t.to_f64()?.iter().map(|v| v * v).sum::<f64>().sqrt())
}

/// The step of `model` on `batch`, printed; returns what was shown, for `--save`.
fn run<B: Backend>(
    mut model: Box<dyn Recommender<B>>,
    kind: ModelKind,
    batch: &CsrMatrix<f32>,
    ctx: StepContext,
    dropout: f64,
    a: &StepArgs,
) -> anyhow::Result<Shown> {
    let backend = model.params()[0].value().backend().clone();
    let mut s = Shown {
        precision: a.precision,
        saved: Vec::new(),
        param: String::new(),
    };
    let dtype = B::Elem::DTYPE;
    let (name, keyed) = match kind {
        ModelKind::Vae => (
            "Mult-VAE^PR",
            format!("the dropout mask and ε; β = {}", ctx.beta),
        ),
        ModelKind::Dae => ("Mult-DAE", "the dropout mask".to_string()),
    };
    println!(
        "{name} — one training step on {} users × {} items, in {dtype}; update {} keys {keyed}. \
         Equations and sections of arXiv:1802.05814v1.",
        batch.rows(),
        batch.cols(),
        ctx.step,
    );
    println!("\n== the weights before the step");
    for p in model.params() {
        s.tensor(p.name(), "parameter", p.value())?;
    }

    // The tape and every value on it live in this block: Adam below may write a parameter only
    // once nothing holds it.
    let grads = {
        let tape = Tape::new(&backend);
        let params: Vec<Var<'_, B>> = model.params().into_iter().map(|p| tape.param(p)).collect();
        let v = model.step_with(&tape, &params, batch, ctx)?;

        println!("\n== forward, in the order of the math");
        s.tensor("x", "the click rows x_u", &dense(&backend, batch)?)?;
        let normalized = batch
            .map(|v| B::Elem::of(v as f64))
            .l2_normalize_rows(autograd::backend::L2_EPS);
        s.tensor(
            "x_normalized",
            "x_u / ‖x_u‖, each row L2-normalised (the encoder's input before dropout)",
            &dense(&backend, &normalized)?,
        )?;
        let mask = CsrMatrix::new(
            batch.rows(),
            batch.cols(),
            batch.indptr().to_vec(),
            batch.indices().to_vec(),
            v.input
                .values()
                .iter()
                .map(|&x| f32::from(x.f64() != 0.0))
                .collect(),
        )?;
        s.tensor(
            "dropout_mask",
            &format!("1 where a click is kept by dropout (p = {dropout}), 0 where dropped"),
            &dense(&backend, &mask)?,
        )?;
        s.tensor(
            "encoder_input",
            &format!("x̃ = mask ⊙ (x/‖x‖) / (1 − p), p = {dropout}"),
            &dense(&backend, &v.input)?,
        )?;
        let retain = |x: &Var<'_, B>| x.retain_grad();
        for (l, h) in v.encoder.iter().enumerate() {
            retain(h)?;
            s.tensor(
                &format!("encoder.h{}", l + 1),
                &format!(
                    "h_{} = tanh(h_{}·W + b), encoder layer {l} (x̃ for h_0)",
                    l + 1,
                    l
                ),
                h.value(),
            )?;
        }
        if let Some((mu, logvar)) = &v.posterior {
            retain(mu)?;
            retain(logvar)?;
            s.tensor(
                "mu",
                "μ_φ(x_u), the mean of q_φ(z_u | x_u) (§2.2.1)",
                mu.value(),
            )?;
            s.tensor(
                "logvar",
                "log σ²_φ(x_u), its log-variance (§2.2.1)",
                logvar.value(),
            )?;
            let sigma = logvar.scale(0.5)?.exp()?;
            s.tensor("sigma", "σ = exp(½ · log σ²)", sigma.value())?;
            if let Some(key) = v.noise {
                let eps = gaussian(&tape, mu.rows(), mu.cols(), key)?;
                s.tensor(
                    "eps",
                    &format!("ε ~ N(0, I), drawn with key {key:?}"),
                    eps.value(),
                )?;
            }
        }
        if let Some(z) = &v.z {
            retain(z)?;
            s.tensor(
                "z",
                "z_u = μ + ε ⊙ σ, the reparameterisation trick (Kingma & Welling 2014)",
                z.value(),
            )?;
        }
        for (l, h) in v.decoder.iter().enumerate() {
            retain(h)?;
            s.tensor(
                &format!("decoder.h{}", l + 1),
                &format!("decoder layer {l}: tanh(z·W + b) (z for the first)"),
                h.value(),
            )?;
        }
        retain(&v.logits)?;
        s.tensor(
            "logits",
            "f_θ(z_u), the logits over all items",
            v.logits.value(),
        )?;
        let log_pi = v.logits.log_softmax_rows()?;
        s.tensor(
            "log_pi",
            "log π(z_u) = log softmax(f_θ(z_u)) (Eq. 1)",
            log_pi.value(),
        )?;
        s.tensor(
            "nll_per_user",
            "−Σ_i x_ui log π_ui, each user's multinomial log-likelihood, negated (Eq. 2)",
            v.nll_rows.value(),
        )?;
        if let Some(kl) = &v.kl_rows {
            s.tensor(
                "kl_per_user",
                "KL(q_φ(z_u | x_u) ‖ N(0, I)) = Σ_k ½(−log σ² + σ² + μ² − 1)",
                kl.value(),
            )?;
        }
        s.scalar("nll", "the mean over users", v.loss.nll.value().scalar()?);
        if let Some(kl) = &v.loss.kl {
            s.scalar("kl", "the mean over users", kl.value().scalar()?);
            s.scalar(
                "beta",
                &format!("β, the KL's weight at update {}", ctx.step),
                ctx.beta,
            );
        }
        s.scalar(
            "loss",
            match kind {
                ModelKind::Vae => {
                    "L = NLL + β · KL, the negated L_β of Eq. 6, what the step differentiates"
                }
                ModelKind::Dae => {
                    "L = NLL (+ λ·Σ‖W‖² when --l2 is set), what the step differentiates"
                }
            },
            v.loss.total.value().scalar()?,
        );

        let grads = tape.backward(&v.loss.total)?;
        println!("\n== backward: ∂L/∂ of each value kept with retain_grad, then of each parameter");
        let mut intermediates: Vec<(String, &Var<'_, B>)> = Vec::new();
        for (l, h) in v.encoder.iter().enumerate() {
            intermediates.push((format!("encoder.h{}", l + 1), h));
        }
        if let Some((mu, logvar)) = &v.posterior {
            intermediates.push(("mu".into(), mu));
            intermediates.push(("logvar".into(), logvar));
        }
        if let Some(z) = &v.z {
            intermediates.push(("z".into(), z));
        }
        for (l, h) in v.decoder.iter().enumerate() {
            intermediates.push((format!("decoder.h{}", l + 1), h));
        }
        intermediates.push(("logits".into(), &v.logits));
        let named_params: Vec<(String, &Var<'_, B>)> = model
            .params()
            .iter()
            .map(|p| p.name().to_string())
            .zip(&params)
            .collect();
        for (name, x) in intermediates.iter().chain(&named_params) {
            let g = grads
                .wrt(x)
                .with_context(|| format!("no gradient reached {name}"))?;
            let gname = format!("grad.{name}");
            if a.full {
                s.tensor(&gname, &format!("∂L/∂{name}, ‖·‖ = {:.4e}", norm(g)?), g)?;
            } else {
                println!("{gname:<28} ‖·‖ = {:.6e}  {:?}", norm(g)?, g.shape());
                s.keep(&gname, g)?;
            }
        }
        grads
    };

    let adam_config = AdamConfig::default();
    let name = a
        .param
        .clone()
        .unwrap_or_else(|| model.params()[0].name().to_string());
    let Some(index) = model.params().iter().position(|p| p.name() == name) else {
        anyhow::bail!(
            "--param {name}: not a parameter of this model ({})",
            model
                .params()
                .iter()
                .map(|p| p.name())
                .collect::<Vec<_>>()
                .join(", ")
        );
    };
    s.param = name.clone();
    let mut adam = Adam::new(adam_config);
    adam.step(&mut model.params_mut(), &grads)?;
    let (m, vv) = adam
        .moments(&name)
        .with_context(|| format!("Adam kept no moments for {name}"))?;
    let shape = model.params()[index].value().shape();
    let m = Tensor::from_vec(&backend, shape[0], shape[1], &backend.download(m)?)?;
    let vv = Tensor::from_vec(&backend, shape[0], shape[1], &backend.download(vv)?)?;
    let c = adam_config;
    println!(
        "\n== Adam's first update of {name} (lr {}, β₁ {}, β₂ {}, ε {}): m = (1 − β₁)·g, \
         v = (1 − β₂)·g², θ ← θ − lr · m̂ / (√v̂ + ε) with m̂ = m/(1 − β₁), v̂ = v/(1 − β₂)",
        c.lr, c.beta1, c.beta2, c.eps
    );
    s.tensor(&format!("adam.m.{name}"), "the first moment m", &m)?;
    s.tensor(&format!("adam.v.{name}"), "the second moment v", &vv)?;
    s.tensor(
        &format!("updated.{name}"),
        "θ after the update",
        model.params()[index].value(),
    )?;
    Ok(s)
}

/// Writes the shown tensors as a safetensors file in the step's element type.
fn save(
    path: &Path,
    shown: &Shown,
    dtype: &str,
    meta: BTreeMap<String, String>,
) -> anyhow::Result<()> {
    let bytes: Vec<(String, [usize; 2], Vec<u8>)> = shown
        .saved
        .iter()
        .map(|(name, shape, values)| {
            let b = if dtype == "f64" {
                values.iter().flat_map(|v| v.to_le_bytes()).collect()
            } else {
                values
                    .iter()
                    .flat_map(|&v| (v as f32).to_le_bytes())
                    .collect()
            };
            (name.clone(), *shape, b)
        })
        .collect();
    let st_dtype = if dtype == "f64" {
        safetensors::Dtype::F64
    } else {
        safetensors::Dtype::F32
    };
    let views: Vec<(String, safetensors::tensor::TensorView<'_>)> = bytes
        .iter()
        .map(|(name, shape, b)| {
            Ok((
                name.clone(),
                safetensors::tensor::TensorView::new(st_dtype, shape.to_vec(), b)?,
            ))
        })
        .collect::<Result<_, safetensors::SafeTensorError>>()?;
    safetensors::serialize_to_file(views, Some(meta.into_iter().collect()), path)
        .with_context(|| format!("writing {}", path.display()))?;
    println!(
        "\nsaved {} tensors to {}",
        shown.saved.len(),
        path.display()
    );
    Ok(())
}

pub fn step(a: StepArgs) -> anyhow::Result<()> {
    let tiny = &a.tiny;
    let (config, batch, update, beta) = match &a.data {
        None => {
            let kind = match tiny.model {
                TinyModel::Vae => ModelKind::Vae,
                TinyModel::Dae => ModelKind::Dae,
                TinyModel::Neumf => {
                    anyhow::bail!("--model neumf: vae step shows Mult-VAE and Mult-DAE")
                }
            };
            let mut c = TrainConfig::paper(kind);
            c.dims = tiny.hidden.clone();
            c.seed = tiny.seed;
            c.l2 = 0.0;
            (c, tiny.clicks()?, tiny.seed, a.beta.unwrap_or(0.2))
        }
        Some(dir) => {
            let data = vae::data::Dataset::load(dir)?;
            let config = match &a.checkpoint {
                Some(run) => RunDir::open(run)?.read_config()?,
                None => {
                    let kind = match tiny.model {
                        TinyModel::Dae => ModelKind::Dae,
                        _ => ModelKind::Vae,
                    };
                    let mut c = TrainConfig::paper(kind);
                    c.dims = tiny.hidden.clone();
                    c.seed = tiny.seed;
                    c
                }
            };
            let first = vae::data::batches::ShuffledBatches::new(
                data.train.rows(),
                tiny.users,
                config.seed,
            )?
            .epoch(0)
            .next()
            .context("the training split has no rows")?;
            let beta = a.beta.unwrap_or(config.anneal.beta(0));
            (config, data.train.select_rows(&first)?, 0, beta)
        }
    };
    let ctx = StepContext {
        beta,
        step: update,
        train: true,
    };
    let n_items = batch.cols();
    let shown = match (gpu_backend(&a.device, false)?, &a.data) {
        (Some(g), _) => run(
            build_model(&g, n_items, &config)?,
            config.model,
            &batch,
            ctx,
            config.dropout,
            &a,
        )?,
        (None, None) => {
            let cpu = Cpu::<f64>::new();
            run(
                build_model(&cpu, n_items, &config)?,
                config.model,
                &batch,
                ctx,
                config.dropout,
                &a,
            )?
        }
        (None, _) => {
            let cpu = Cpu::<f32>::new();
            let mut model = build_model(&cpu, n_items, &config)?;
            if let Some(run_dir) = &a.checkpoint {
                let ck = vae::checkpoint::load(&RunDir::open(run_dir)?.best())?;
                for p in model.params_mut() {
                    let shape = p.value().shape();
                    let values = ck.tensor(p.name(), shape)?;
                    p.set_value(Tensor::from_vec(&cpu, shape[0], shape[1], values)?)?;
                }
            }
            run(model, config.model, &batch, ctx, config.dropout, &a)?
        }
    };
    if let Some(path) = &a.save {
        let dtype = match (&a.device, &a.data, a.f32) {
            (Device::Cpu, None, false) => "f64",
            _ => "f32",
        };
        let meta = BTreeMap::from([
            (
                "model".to_string(),
                format!("{:?}", config.model).to_lowercase(),
            ),
            ("dropout".to_string(), config.dropout.to_string()),
            ("l2".to_string(), config.l2.to_string()),
            (
                "l2_eps".to_string(),
                format!("{:e}", autograd::backend::L2_EPS),
            ),
            ("update".to_string(), update.to_string()),
            (
                "adam".to_string(),
                serde_json::to_string(&AdamJson::from(AdamConfig::default()))?,
            ),
            ("param".to_string(), shown.param.clone()),
            ("dtype".to_string(), dtype.to_string()),
        ]);
        save(path, &shown, dtype, meta)?;
    }
    Ok(())
}

#[derive(serde::Serialize)]
struct AdamJson {
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
}

impl From<AdamConfig> for AdamJson {
    fn from(c: AdamConfig) -> Self {
        AdamJson {
            lr: c.lr,
            beta1: c.beta1,
            beta2: c.beta2,
            eps: c.eps,
        }
    }
}
