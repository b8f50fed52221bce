//! Everything a training run is configured by, written to `config.json` in the run folder.

use crate::vae_cf::Anneal;
use autograd::backend::GemmPrecision;
use autograd::optim::AdamConfig;
use serde::{Deserialize, Serialize};

/// Which model to train.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// Mult-VAE^PR.
    Vae,
    /// Mult-DAE.
    Dae,
}

/// What the dense layers' GEMMs round their operands to (`vae train --precision`). Everything else
/// — parameters, Adam's moments, the softmax, the loss — is f32 either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// f32 operands (the default; every run before the setting existed).
    #[default]
    F32,
    /// bf16 operands, f32 sums: the CPU backend's bf16 GEMM (`autograd::backend::cpu::bgemm`).
    Bf16,
}

impl Precision {
    pub fn name(self) -> &'static str {
        self.gemm().name()
    }

    /// The backend's setting for it.
    pub fn gemm(self) -> GemmPrecision {
        match self {
            Precision::F32 => GemmPrecision::F32,
            Precision::Bf16 => GemmPrecision::Bf16,
        }
    }
}

/// A learning-rate schedule on top of Adam (RecoTour's options).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LrSchedule {
    /// The same rate throughout (the paper).
    Constant,
    /// Halve the rate after `patience` epochs without a better validation NDCG.
    Plateau { patience: usize },
    /// Halve the rate every `every` epochs.
    Step { every: usize },
}

/// The configuration of one run; the defaults are the authors' notebook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub model: ModelKind,
    /// Encoder sizes after the item layer (`[600, 200]` for Mult-VAE, `[200]` for Mult-DAE).
    pub dims: Vec<usize>,
    /// Dropout probability on the encoder input.
    pub dropout: f64,
    /// Weight penalty λ·Σ‖W‖² (the notebook's Mult-DAE option); 0 for none.
    pub l2: f64,
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub seed: u64,
    pub anneal: Anneal,
    /// Stop after this many epochs without a better validation NDCG@100 (off by default).
    pub patience: Option<usize>,
    pub lr_schedule: LrSchedule,
    pub eval_batch_size: usize,
    /// Metrics reported at validation and test, e.g. `["ndcg@100", "recall@20", "recall@50"]`; the
    /// first NDCG in the list picks the best epoch.
    pub metrics: Vec<String>,
    /// The dense layers' GEMM operands, training and evaluation alike (f32 for a config.json
    /// written before the setting existed).
    #[serde(default)]
    pub precision: Precision,
}

impl TrainConfig {
    /// The notebook's settings for `model`.
    pub fn paper(model: ModelKind) -> Self {
        TrainConfig {
            model,
            dims: match model {
                ModelKind::Vae => vec![600, 200],
                ModelKind::Dae => vec![200],
            },
            dropout: 0.5,
            l2: 0.0,
            epochs: 200,
            batch_size: 500,
            lr: AdamConfig::default().lr,
            seed: 98765,
            anneal: Anneal::default(),
            patience: None,
            lr_schedule: LrSchedule::Constant,
            eval_batch_size: 2000,
            metrics: vec!["ndcg@100".into(), "recall@20".into(), "recall@50".into()],
            precision: Precision::F32,
        }
    }
}
