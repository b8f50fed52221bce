//! The sums of one epoch's step losses, term by term. `metrics.jsonl` logs each sum over the epoch's
//! steps (`train_loss`, `nll`, `kl`, `beta_kl`), so the KL is seen as it trains, not only its weighted
//! share of the total; a mid-epoch checkpoint stores the sums so that a resumed epoch ends with the
//! same ones, bit for bit.

use std::collections::BTreeMap;

/// One step's loss terms, read to the host.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepTerms {
    /// What was differentiated: `nll + β·kl` (Mult-DAE: `nll + λ·Σ‖W‖²`).
    pub total: f64,
    pub nll: f64,
    /// `None` for a model without a posterior (Mult-DAE).
    pub kl: Option<f64>,
    /// The step's β, which weighs its KL.
    pub beta: f64,
}

/// The sums of the terms over the steps read so far in an epoch, in step order.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LossSums {
    pub total: f64,
    /// `None` when some of the epoch's steps were trained before a resume from a checkpoint that
    /// did not store the terms: their sum is unknown, and the epoch logs only the total.
    pub nll: Option<f64>,
    /// `None` also for a model without a KL.
    pub kl: Option<f64>,
    /// `Σ β_step · kl_step`: β changes every update while it is annealed, so this is not `β · Σ kl`.
    pub beta_kl: Option<f64>,
    /// Whether some steps' terms are missing (see `nll`).
    unknown_terms: bool,
}

/// The epoch's mean of each term: the sums over its steps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LossMeans {
    pub total: f64,
    pub nll: Option<f64>,
    pub kl: Option<f64>,
    pub beta_kl: Option<f64>,
}

/// The checkpoint metadata keys of the sums. `epoch_loss`, the total, predates the others.
const TOTAL: &str = "epoch_loss";
const NLL: &str = "epoch_nll";
const KL: &str = "epoch_kl";
const BETA_KL: &str = "epoch_beta_kl";

impl LossSums {
    pub fn add(&mut self, s: &StepTerms) {
        self.total += s.total;
        if !self.unknown_terms {
            *self.nll.get_or_insert(0.0) += s.nll;
            if let Some(kl) = s.kl {
                *self.kl.get_or_insert(0.0) += kl;
                *self.beta_kl.get_or_insert(0.0) += s.beta * kl;
            }
        }
    }

    /// Each sum over `steps` (at least 1, as the epoch's `train_loss` always was).
    pub fn means(&self, steps: usize) -> LossMeans {
        let n = steps.max(1) as f64;
        LossMeans {
            total: self.total / n,
            nll: self.nll.map(|v| v / n),
            kl: self.kl.map(|v| v / n),
            beta_kl: self.beta_kl.map(|v| v / n),
        }
    }

    /// Writes the sums into a checkpoint's metadata; `{:e}` prints the shortest digits that parse
    /// back to the same f64.
    pub fn save(&self, meta: &mut BTreeMap<String, String>) {
        meta.insert(TOTAL.into(), format!("{:e}", self.total));
        for (key, v) in [(NLL, self.nll), (KL, self.kl), (BETA_KL, self.beta_kl)] {
            if let Some(v) = v {
                meta.insert(key.into(), format!("{v:e}"));
            }
        }
    }

    /// The sums [`LossSums::save`] wrote, from a mid-epoch checkpoint (`steps` > 0 trained before
    /// it). `None` when a value is there but malformed. A checkpoint without `epoch_nll` predates the
    /// terms: the resumed epoch then logs its total only.
    pub fn load(meta: &BTreeMap<String, String>, steps: usize) -> Option<Self> {
        let num = |key: &str| meta.get(key).map(|v| v.parse::<f64>().ok());
        let total = num(TOTAL)??;
        let (nll, kl, beta_kl) = (num(NLL), num(KL), num(BETA_KL));
        let bad = [nll, kl, beta_kl].contains(&Some(None));
        if bad {
            return None;
        }
        let unknown_terms = steps > 0 && nll.is_none();
        Some(LossSums {
            total,
            nll: nll.flatten(),
            kl: kl.flatten(),
            beta_kl: beta_kl.flatten(),
            unknown_terms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(total: f64, nll: f64, kl: Option<f64>, beta: f64) -> StepTerms {
        StepTerms {
            total,
            nll,
            kl,
            beta,
        }
    }

    #[test]
    fn beta_kl_sums_each_steps_own_beta_not_the_last_one() {
        let mut s = LossSums::default();
        s.add(&step(10.5, 10.0, Some(5.0), 0.1));
        s.add(&step(11.6, 10.0, Some(8.0), 0.2));
        let m = s.means(2);
        assert_eq!(m.total, 11.05);
        assert_eq!(m.nll, Some(10.0));
        assert_eq!(m.kl, Some(6.5));
        // (0.1·5 + 0.2·8) / 2, where β_last · mean KL would give 1.3.
        assert_eq!(m.beta_kl, Some((0.1 * 5.0 + 0.2 * 8.0) / 2.0));
    }

    #[test]
    fn a_model_without_kl_has_an_nll_and_no_kl() {
        let mut s = LossSums::default();
        s.add(&step(3.0, 2.5, None, 0.2));
        let m = s.means(1);
        assert_eq!((m.nll, m.kl, m.beta_kl), (Some(2.5), None, None));
    }

    #[test]
    fn sums_survive_a_checkpoint_bit_for_bit() {
        let mut s = LossSums::default();
        for k in 0..7 {
            let x = 1.0 / (3.0 + k as f64);
            s.add(&step(
                400.0 + x,
                398.0 + x / 7.0,
                Some(11.0 * x),
                1e-5 * k as f64,
            ));
        }
        let mut meta = BTreeMap::new();
        s.save(&mut meta);
        assert_eq!(LossSums::load(&meta, 7), Some(s));
        let mut dae = LossSums::default();
        dae.add(&step(3.0, 1.0 / 3.0, None, 0.0));
        let mut meta = BTreeMap::new();
        dae.save(&mut meta);
        assert!(!meta.contains_key("epoch_kl"));
        assert_eq!(LossSums::load(&meta, 1), Some(dae));
    }

    #[test]
    fn an_epoch_resumed_from_a_checkpoint_without_terms_logs_its_total_only() {
        let meta = BTreeMap::from([("epoch_loss".to_string(), "8e2".to_string())]);
        let mut s = LossSums::load(&meta, 2).unwrap();
        s.add(&step(400.0, 390.0, Some(9.0), 0.2));
        let m = s.means(3);
        assert_eq!(m.total, 400.0);
        assert_eq!((m.nll, m.kl, m.beta_kl), (None, None, None));
        // At an epoch's start nothing is missing.
        let mut s = LossSums::load(&meta, 0).unwrap();
        s.add(&step(400.0, 390.0, Some(9.0), 0.2));
        assert_eq!(s.means(1).nll, Some(390.0));
    }

    #[test]
    fn a_malformed_term_in_the_metadata_is_refused() {
        let meta = BTreeMap::from([
            ("epoch_loss".to_string(), "8e2".to_string()),
            ("epoch_nll".to_string(), "eight".to_string()),
        ]);
        assert_eq!(LossSums::load(&meta, 2), None);
    }
}
