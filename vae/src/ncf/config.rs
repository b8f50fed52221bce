//! Everything an NCF run is configured by; the defaults are the paper's and the reference code's.

use super::error::{NcfError, Result};
use serde::{Deserialize, Serialize};

/// Which NCF model to train.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NcfModelKind {
    /// Generalized Matrix Factorization (§3.2).
    Gmf,
    /// The multi-layer perceptron (§3.3).
    Mlp,
    /// GMF and MLP fused (§3.4).
    Neumf,
}

impl NcfModelKind {
    pub fn name(self) -> &'static str {
        match self {
            NcfModelKind::Gmf => "gmf",
            NcfModelKind::Mlp => "mlp",
            NcfModelKind::Neumf => "neumf",
        }
    }
}

/// How the data is split, what is regressed and what is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// Ratings regressed with MSE; RMSE and MAE on a random held-out fraction.
    Explicit,
    /// Leave-one-out, sampled negatives, BCE; HR@K and NDCG@K among sampled negatives (the paper).
    Implicit,
    /// Mult-VAE's held-out-user split (a `pro_sg` folder): BCE with sampled negatives on every click
    /// but the held-out ones, and the VAE's metrics over all items ([`super::HeldOutUsers`]).
    #[serde(rename = "heldout")]
    HeldOut,
}

/// Which ranking of the implicit protocol picks the best epoch (both are measured every epoch).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ranking {
    /// The held-out item among the sampled negatives (the paper's `hr@K`).
    #[default]
    Sampled,
    /// The held-out item among every item not trained on (`full_hr@K`; Krichene & Rendle 2020).
    Full,
}

/// The optimiser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Learner {
    /// Adam (the paper for GMF, MLP and NeuMF from scratch; the reference code's default).
    Adam,
    /// Plain SGD (the paper for NeuMF after pre-training, §3.4.1, since Adam's moments are not kept).
    Sgd,
}

/// The configuration of one NCF run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NcfConfig {
    pub model: NcfModelKind,
    pub protocol: Protocol,
    /// GMF's number of factors `K` (`--num_factors`).
    pub factors: usize,
    /// The MLP tower's widths, the first being `[p_u ‖ q_i]`'s (`--layers`).
    pub layers: Vec<usize>,
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub learner: Learner,
    pub seed: u64,
    /// Sampled negatives per training positive, re-drawn every epoch (implicit).
    pub negatives: usize,
    /// Sampled unseen items the held-out item is ranked among (implicit).
    pub eval_negatives: usize,
    /// The cut-off `K` of HR@K and NDCG@K (implicit).
    pub top_k: usize,
    /// The ranking whose HR@K picks the best epoch (implicit); runs written before it was a
    /// setting read as `sampled`, what they used.
    #[serde(default)]
    pub eval: Ranking,
    /// The held-out fraction of ratings (explicit).
    pub test_fraction: f64,
    /// NeuMF only: first train GMF and MLP (with Adam, `epochs` each), then start NeuMF from them.
    pub pretrain: bool,
    /// The held-out-user protocol's metrics, as `--k` spells them (its first NDCG on the validation
    /// users picks the best epoch); empty for the other protocols, which measure `top_k`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<String>,
    /// The weight α of GMF's output layer in pre-trained NeuMF (§3.4.1).
    pub alpha: f64,
}

impl NcfConfig {
    /// The reference settings: 8 factors, tower [64, 32, 16, 8], 20 epochs, batches of 256, Adam at
    /// 10⁻³, 4 negatives per positive, HR@10 and NDCG@10 among 99 negatives, a 20% rating hold-out.
    pub fn paper(model: NcfModelKind, protocol: Protocol) -> Self {
        NcfConfig {
            model,
            protocol,
            factors: 8,
            layers: vec![64, 32, 16, 8],
            epochs: 20,
            batch_size: 256,
            lr: 1e-3,
            learner: Learner::Adam,
            seed: 2017,
            negatives: 4,
            eval_negatives: 99,
            top_k: 10,
            eval: Ranking::Sampled,
            test_fraction: 0.2,
            pretrain: false,
            alpha: 0.5,
            metrics: match protocol {
                // The notebook's metrics, what Mult-VAE reports.
                Protocol::HeldOut => ["ndcg@100", "recall@20", "recall@50"]
                    .map(String::from)
                    .to_vec(),
                Protocol::Implicit | Protocol::Explicit => Vec::new(),
            },
        }
    }

    /// The metric that picks the best epoch, and whether higher is better: `hr@K` (`--eval
    /// sampled`), `full_hr@K` (`--eval full`), `rmse`, or the held-out protocol's first NDCG.
    pub fn selection(&self) -> (String, bool) {
        match (self.protocol, self.eval) {
            (Protocol::Implicit, Ranking::Sampled) => (format!("hr@{}", self.top_k), true),
            (Protocol::Implicit, Ranking::Full) => (format!("full_hr@{}", self.top_k), true),
            (Protocol::Explicit, _) => ("rmse".to_string(), false),
            (Protocol::HeldOut, _) => (
                self.metrics
                    .iter()
                    .find(|m| m.starts_with("ndcg@"))
                    .cloned()
                    .unwrap_or_default(),
                true,
            ),
        }
    }

    /// Refuses values outside their domain, naming the field.
    pub fn validate(&self) -> Result<()> {
        let bad = |what: String| Err(NcfError::Config(what));
        if self.factors == 0 {
            return bad("factors must be at least 1".into());
        }
        if self.layers.first().is_none_or(|&w| w == 0 || w % 2 != 0) || self.layers.contains(&0) {
            return bad(format!(
                "layers {:?}: widths must be positive, the first (user ‖ item embedding) even",
                self.layers
            ));
        }
        if self.batch_size == 0 {
            return bad("batch size must be at least 1".into());
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return bad(format!("learning rate {} must be positive", self.lr));
        }
        if self.protocol == Protocol::Implicit
            && (self.negatives == 0 || self.eval_negatives == 0 || self.top_k == 0)
        {
            return bad("negatives, eval negatives and top-k must be at least 1".into());
        }
        if self.protocol == Protocol::HeldOut {
            if self.negatives == 0 {
                return bad("negatives must be at least 1".into());
            }
            if self.selection().0.is_empty() {
                return bad(format!(
                    "metrics {:?}: the held-out protocol needs an ndcg@K to pick the best epoch",
                    self.metrics
                ));
            }
        }
        if self.protocol != Protocol::Implicit && self.eval == Ranking::Full {
            return bad("eval full ranks the held-out item of the implicit protocol only".into());
        }
        if !(0.0..=1.0).contains(&self.alpha) {
            return bad(format!("alpha {} must lie in [0, 1]", self.alpha));
        }
        if self.pretrain && self.model != NcfModelKind::Neumf {
            return bad(format!(
                "pre-training initialises NeuMF from GMF and MLP; it does not apply to {}",
                self.model.name()
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_config_is_valid_and_round_trips_through_json() {
        let c = NcfConfig::paper(NcfModelKind::Neumf, Protocol::Implicit);
        c.validate().unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("\"model\":\"neumf\"") && json.contains("\"protocol\":\"implicit\""));
        assert_eq!(serde_json::from_str::<NcfConfig>(&json).unwrap(), c);
        let old = json.replace(",\"eval\":\"sampled\"", "");
        assert_ne!(old, json, "the field was there to remove");
        assert_eq!(serde_json::from_str::<NcfConfig>(&old).unwrap(), c);
    }

    #[test]
    fn eval_picks_the_selection_metric() {
        let c = NcfConfig::paper(NcfModelKind::Neumf, Protocol::Implicit);
        assert_eq!(c.selection(), ("hr@10".to_string(), true));
        let full = NcfConfig {
            eval: Ranking::Full,
            ..c
        };
        assert_eq!(full.selection(), ("full_hr@10".to_string(), true));
        let explicit = NcfConfig {
            protocol: Protocol::Explicit,
            ..full
        };
        assert!(explicit
            .validate()
            .unwrap_err()
            .to_string()
            .contains("eval full"));
    }

    #[test]
    fn invalid_configs_name_the_field() {
        let base = NcfConfig::paper(NcfModelKind::Gmf, Protocol::Explicit);
        let odd = NcfConfig {
            layers: vec![63, 8],
            ..base.clone()
        };
        assert!(odd.validate().unwrap_err().to_string().contains("layers"));
        let pretrain_gmf = NcfConfig {
            pretrain: true,
            ..base
        };
        assert!(pretrain_gmf
            .validate()
            .unwrap_err()
            .to_string()
            .contains("does not apply to gmf"));
    }
}
