//! Training NCF as the reference code does: every epoch a fresh sample of negatives (implicit) and a
//! seeded shuffle of the examples, mini-batches of 256, one tape per step, Adam at 10⁻³, and an
//! evaluation of the test protocol after every epoch. The baselines are measured once, beside.

use super::baselines::{item_means, popularity};
use super::config::{Learner, NcfConfig, NcfModelKind, Protocol};
use super::error::{NcfError, Result};
use super::evaluate::{full_ranks, hit_ratio_ndcg, rmse_mae, sampled_ranks, ItemScorer, Scorer};
use super::explicit::{explicit_split, ExplicitSplit};
use super::gmf::Gmf;
use super::held_out_users::HeldOutUsers;
use super::leave_one_out::{leave_one_out, LeaveOneOut};
use super::mlp::Mlp;
use super::model::{Batch, NcfModel, Objective};
use super::negatives::{evaluation_negatives, training_negatives};
use super::neumf::NeuMf;
use super::random::{permutation, SHUFFLE_STREAM};
use super::ranking::{hit_ratio, ndcg};
use crate::data::Ratings;
use crate::metrics::PerUserMetrics;
use crate::seed::derive_seed;
use autograd::optim::{Adam, AdamConfig, Sgd};
use autograd::rng::RngKey;
use autograd::{Backend, Tape};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Instant;

/// A protocol's split, prepared once and shared by every model trained on it.
#[derive(Debug, Clone)]
pub enum NcfData {
    Explicit(ExplicitSplit),
    Implicit {
        split: LeaveOneOut,
        /// The fixed negatives each user's held-out item is ranked among.
        eval_negatives: Vec<Vec<u32>>,
    },
    /// Mult-VAE's split (`--protocol heldout`), read by [`NcfData::held_out`].
    HeldOut(Box<HeldOutUsers>),
}

impl NcfData {
    /// Mult-VAE's split of `data`, measured by `config.metrics`.
    pub fn held_out(config: &NcfConfig, data: &crate::data::Dataset) -> Result<Self> {
        let (evaluator, _) =
            crate::train::evaluate::evaluator_of(&config.metrics, "the best epoch")
                .map_err(|e| NcfError::Config(e.to_string()))?;
        Ok(NcfData::HeldOut(Box::new(HeldOutUsers::new(
            data, evaluator,
        )?)))
    }

    /// Splits `ratings` as `config.protocol` says (seeded by `config.seed`).
    pub fn prepare(config: &NcfConfig, ratings: &Ratings) -> Result<Self> {
        Ok(match config.protocol {
            Protocol::Explicit => {
                NcfData::Explicit(explicit_split(ratings, config.test_fraction, config.seed)?)
            }
            Protocol::Implicit => {
                let split = leave_one_out(ratings)?;
                let eval_negatives =
                    evaluation_negatives(&split, config.eval_negatives, config.seed);
                NcfData::Implicit {
                    split,
                    eval_negatives,
                }
            }
            Protocol::HeldOut => {
                return Err(NcfError::Data(
                    "the held-out protocol reads a split folder (vae data prepare), not a rating \
                     table"
                        .into(),
                ))
            }
        })
    }

    /// `(users, items)`.
    pub fn shape(&self) -> (usize, usize) {
        match self {
            NcfData::Explicit(s) => (s.n_users, s.n_items),
            NcfData::Implicit { split, .. } => (split.n_users, split.n_items),
            NcfData::HeldOut(h) => (h.n_users, h.n_items),
        }
    }

    /// The test metrics of `score(users, items)`: `rmse`, `mae` (explicit); `hr@K`, `ndcg@K` among
    /// the sampled negatives and, given `score_items`, `full_hr@K`, `full_ndcg@K` among all items
    /// (implicit), with each user's values; the held-out protocol's metrics on its validation and
    /// test users ([`HeldOutUsers::measure`]) from `score_items`.
    fn measure(
        &self,
        k: usize,
        score: &mut Scorer,
        score_items: Option<&mut ItemScorer>,
    ) -> Result<Measurement> {
        let (split, eval_negatives) = match self {
            NcfData::Explicit(s) => {
                let (rmse, mae) = rmse_mae(&s.test, score)?;
                return Ok(Measurement {
                    metrics: BTreeMap::from([("rmse".to_string(), rmse), ("mae".to_string(), mae)]),
                    per_user: None,
                });
            }
            NcfData::Implicit {
                split,
                eval_negatives,
            } => (split, eval_negatives),
            NcfData::HeldOut(h) => {
                let score_items = score_items.ok_or_else(|| {
                    NcfError::Data("the held-out protocol ranks every item".into())
                })?;
                return h.measure(score_items);
            }
        };
        let mut rankings = vec![("", sampled_ranks(split, eval_negatives, score)?)];
        if let Some(score_items) = score_items {
            rankings.push(("full_", full_ranks(split, score_items)?));
        }
        let mut metrics = BTreeMap::new();
        let mut per_user = PerUserMetrics {
            uids: (0..split.n_users as u32).collect(),
            values: vec![Vec::new(); split.n_users],
            ..Default::default()
        };
        for (prefix, ranks) in &rankings {
            let (hr, nd) = hit_ratio_ndcg(ranks, k);
            metrics.insert(format!("{prefix}hr@{k}"), hr);
            metrics.insert(format!("{prefix}ndcg@{k}"), nd);
            per_user.metrics.push(format!("{prefix}hr@{k}"));
            per_user.metrics.push(format!("{prefix}ndcg@{k}"));
            for (values, &r) in per_user.values.iter_mut().zip(ranks) {
                values.extend([hit_ratio(r, k), ndcg(r, k)]);
            }
        }
        Ok(Measurement {
            metrics,
            per_user: Some(per_user),
        })
    }

    /// The baselines' test metrics, prefixed `popularity.` (implicit) or `global_mean.` and
    /// `item_mean.` (explicit); none on the held-out split, where popularity and EASE are runs of
    /// their own (`vae train --model popularity|ease`).
    pub fn baselines(&self, k: usize) -> Result<BTreeMap<String, f64>> {
        let mut out = BTreeMap::new();
        let mut add = |prefix: &str, m: BTreeMap<String, f64>| {
            out.extend(
                m.into_iter()
                    .map(|(name, v)| (format!("{prefix}.{name}"), v)),
            );
        };
        match self {
            NcfData::Explicit(s) => {
                let mu = s.global_mean();
                add(
                    "global_mean",
                    self.measure(k, &mut |u, _| Ok(vec![mu; u.len()]), None)?
                        .metrics,
                );
                let means = item_means(s);
                add(
                    "item_mean",
                    self.measure(
                        k,
                        &mut |_, i| Ok(i.iter().map(|&i| means[i]).collect()),
                        None,
                    )?
                    .metrics,
                );
            }
            NcfData::Implicit { split, .. } => {
                let count = popularity(split);
                let mut every_item = |u: &[usize]| -> Result<Vec<f64>> {
                    Ok(u.iter().flat_map(|_| count.iter().copied()).collect())
                };
                add(
                    "popularity",
                    self.measure(
                        k,
                        &mut |_, i| Ok(i.iter().map(|&i| count[i]).collect()),
                        Some(&mut every_item),
                    )?
                    .metrics,
                );
            }
            NcfData::HeldOut(_) => {}
        }
        Ok(out)
    }

    /// This epoch's training examples `(user, item, target)` in their seeded order.
    fn epoch_examples(&self, config: &NcfConfig, epoch: usize) -> Result<Vec<(u32, u32, f64)>> {
        // The ranking protocols learn from positives and fresh negatives, the explicit one from ratings.
        let interactions: std::result::Result<_, &ExplicitSplit> = match self {
            NcfData::Explicit(s) => Err(s),
            NcfData::Implicit { split, .. } => Ok(split.interactions()),
            NcfData::HeldOut(h) => Ok(h.interactions()),
        };
        let examples: Vec<(u32, u32, f64)> = match interactions {
            Err(s) => s.train.iter().map(|r| (r.user, r.item, r.rating)).collect(),
            Ok(interactions) => {
                let negatives =
                    training_negatives(interactions, config.negatives, config.seed, epoch)?;
                let positives = interactions.train.iter().map(|&(u, i)| (u, i, 1.0));
                positives
                    .chain(negatives.into_iter().map(|(u, j)| (u, j, 0.0)))
                    .collect()
            }
        };
        let key = RngKey::new(derive_seed(config.seed, SHUFFLE_STREAM), epoch as u64);
        Ok(permutation(examples.len(), key)
            .into_iter()
            .map(|k| examples[k])
            .collect())
    }
}

/// What an evaluation measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// `hr@K`, `ndcg@K`, `full_hr@K`, `full_ndcg@K` (implicit) or `rmse`, `mae` (explicit).
    pub metrics: BTreeMap<String, f64>,
    /// Implicit: each user's values of the same metrics, `uid` the user's dense index (the order in
    /// which the ratings file first names it), for the run folder's `test_users.csv`.
    pub per_user: Option<PerUserMetrics>,
}

/// What one epoch measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NcfEpoch {
    /// 0-based.
    pub epoch: usize,
    /// Mean training loss over the epoch's examples (MSE or BCE).
    pub train_loss: f64,
    /// The test metrics after the epoch (`hr@10`, `ndcg@10`, `full_hr@10`, `full_ndcg@10` or
    /// `rmse`, `mae`).
    pub metrics: BTreeMap<String, f64>,
    /// Each user's implicit metrics after the epoch (not in `metrics.jsonl`).
    #[serde(skip)]
    pub per_user: Option<PerUserMetrics>,
    /// Wall-clock seconds of training and evaluation.
    pub seconds: f64,
}

/// How training reports progress (progress bars, logs) and keeps state (checkpoints); every method
/// does nothing by default.
pub trait NcfObserver<B: Backend> {
    /// A model starts training: `"gmf"` and `"mlp"` while pre-training NeuMF, then the model's name.
    fn stage(&mut self, _model: &str, _epochs: usize, _steps_per_epoch: usize) {}
    fn step(&mut self, _step: usize, _steps: usize, _loss: f64) {}
    /// An epoch of `model` ended; `trainer` holds the model, Adam's state and the next epoch (what a
    /// checkpoint keeps). An error stops training and is returned as [`NcfError::Observer`].
    fn epoch(
        &mut self,
        _model: &str,
        _record: &NcfEpoch,
        _trainer: &NcfTrainer<'_, B>,
    ) -> std::result::Result<(), Box<dyn std::error::Error + Send + Sync>> {
        Ok(())
    }
}

impl<B: Backend> NcfObserver<B> for crate::train::Quiet {}

/// A freshly initialised model of `kind`, on `data`'s users and items.
pub fn build_ncf<B: Backend>(
    backend: &B,
    kind: NcfModelKind,
    config: &NcfConfig,
    data: &NcfData,
) -> Result<Box<dyn NcfModel<B>>> {
    let (users, items) = data.shape();
    // Regressing ratings from a bias of 0 spends the first epochs climbing to the mean; start there.
    let bias = match data {
        NcfData::Explicit(s) => s.global_mean(),
        NcfData::Implicit { .. } | NcfData::HeldOut(_) => 0.0,
    };
    let (k, layers, seed) = (config.factors, &config.layers, config.seed);
    Ok(match kind {
        NcfModelKind::Gmf => Box::new(Gmf::new(backend, users, items, k, bias, seed)?),
        NcfModelKind::Mlp => Box::new(Mlp::new(backend, users, items, layers, bias, seed)?),
        NcfModelKind::Neumf => Box::new(NeuMf::new(backend, users, items, k, layers, bias, seed)?),
    })
}

/// A model, its optimiser and the epoch counter: everything a checkpoint must keep to resume (the
/// negatives and the order of an epoch are functions of the seed and the epoch).
pub struct NcfTrainer<'d, B: Backend> {
    pub config: NcfConfig,
    pub model: Box<dyn NcfModel<B>>,
    pub adam: Adam<B>,
    /// The next epoch to run.
    pub epoch: usize,
    data: &'d NcfData,
    backend: B,
}

impl<'d, B: Backend> NcfTrainer<'d, B> {
    /// A trainer of `model` (built by [`build_ncf`] or pre-trained) on `data`.
    pub fn new(
        backend: &B,
        config: NcfConfig,
        data: &'d NcfData,
        model: Box<dyn NcfModel<B>>,
    ) -> Self {
        let adam = Adam::new(AdamConfig {
            lr: config.lr,
            ..AdamConfig::default()
        });
        NcfTrainer {
            config,
            model,
            adam,
            epoch: 0,
            data,
            backend: backend.clone(),
        }
    }

    /// The model's test metrics now, under both rankings (implicit).
    pub fn evaluate(&self) -> Result<Measurement> {
        let model = &self.model;
        let n_items = self.data.shape().1;
        self.data.measure(
            self.config.top_k,
            &mut |u, i| Ok(model.scores(u, i)?),
            Some(&mut |u| Ok(model.item_scores(u, n_items)?)),
        )
    }

    /// Mini-batches per epoch.
    pub fn steps_per_epoch(&self) -> usize {
        let examples = match self.data {
            NcfData::Explicit(s) => s.train.len(),
            NcfData::Implicit { split, .. } => split.train.len() * (1 + self.config.negatives),
            NcfData::HeldOut(h) => h.train.len() * (1 + self.config.negatives),
        };
        examples.div_ceil(self.config.batch_size)
    }

    /// One pass over this epoch's examples, then the evaluation.
    pub fn run_epoch(&mut self, observer: &mut dyn NcfObserver<B>) -> Result<NcfEpoch> {
        let start = Instant::now();
        let examples = self.data.epoch_examples(&self.config, self.epoch)?;
        let objective = match self.data {
            NcfData::Explicit(_) => Objective::Mse,
            NcfData::Implicit { .. } | NcfData::HeldOut(_) => Objective::Bce,
        };
        let steps = examples.len().div_ceil(self.config.batch_size);
        let sgd = Sgd { lr: self.config.lr };
        let mut total = 0.0;
        for (step, chunk) in examples.chunks(self.config.batch_size).enumerate() {
            let batch = Batch {
                users: chunk.iter().map(|e| e.0 as usize).collect(),
                items: chunk.iter().map(|e| e.1 as usize).collect(),
                targets: chunk.iter().map(|e| e.2).collect(),
                objective,
            };
            // The tape holds the parameters' buffers: it must be gone before the update.
            let (loss, grads) = {
                let tape = Tape::new(&self.backend);
                let loss = self.model.loss(&tape, &batch)?;
                (loss.value().scalar()?, tape.backward(&loss)?)
            };
            if !loss.is_finite() {
                return Err(NcfError::NonFinite {
                    loss,
                    epoch: self.epoch,
                    step,
                });
            }
            let mut params = self.model.params_mut();
            match self.config.learner {
                Learner::Adam => self.adam.step(&mut params, &grads)?,
                Learner::Sgd => sgd.step(&mut params, &grads)?,
            }
            total += loss * chunk.len() as f64;
            observer.step(step, steps, loss);
        }
        let measured = self.evaluate()?;
        let record = NcfEpoch {
            epoch: self.epoch,
            train_loss: total / examples.len().max(1) as f64,
            metrics: measured.metrics,
            per_user: measured.per_user,
            seconds: start.elapsed().as_secs_f64(),
        };
        self.epoch += 1;
        Ok(record)
    }
}

/// The outcome of [`train_ncf`].
pub struct NcfRun<B: Backend> {
    pub config: NcfConfig,
    /// One record per epoch of the configured model.
    pub records: Vec<NcfEpoch>,
    /// The records of the GMF and MLP pre-training runs, by model name (empty without pre-training).
    pub pretraining: BTreeMap<String, Vec<NcfEpoch>>,
    /// The final test metrics (after the last epoch): the model's (`hr@10`, `ndcg@10` or `rmse`,
    /// `mae`); the best epoch's, as the reference code reports them (`best.hr@10`, …, `best_epoch`;
    /// best by HR@K or by RMSE); the baselines' (`popularity.hr@10`, `global_mean.rmse`, …); and with
    /// pre-training, the pre-trained models' (`pretrain.gmf.hr@10`, …).
    pub metrics: BTreeMap<String, f64>,
    /// The trained model; its parameters, in order and by name, are the checkpoint.
    pub model: Box<dyn NcfModel<B>>,
}

/// Trains `config` on `ratings` with the protocol's split and evaluation, reporting to `observer`.
pub fn train_ncf<B: Backend>(
    backend: &B,
    config: &NcfConfig,
    ratings: &Ratings,
    observer: &mut dyn NcfObserver<B>,
) -> Result<NcfRun<B>> {
    config.validate()?;
    train_ncf_on(
        backend,
        config,
        &NcfData::prepare(config, ratings)?,
        observer,
    )
}

/// [`train_ncf`] on data already split (the held-out protocol's, [`NcfData::held_out`]).
pub fn train_ncf_on<B: Backend>(
    backend: &B,
    config: &NcfConfig,
    data: &NcfData,
    observer: &mut dyn NcfObserver<B>,
) -> Result<NcfRun<B>> {
    config.validate()?;
    let mut pretraining = BTreeMap::new();
    let mut metrics = data.baselines(config.top_k)?;
    let model = if config.pretrain {
        // §3.4.1: GMF and MLP trained from scratch with Adam, then NeuMF starts from both.
        let stage = |kind| NcfConfig {
            model: kind,
            learner: Learner::Adam,
            pretrain: false,
            ..config.clone()
        };
        let (gmf_cfg, mlp_cfg) = (stage(NcfModelKind::Gmf), stage(NcfModelKind::Mlp));
        let (users, items) = data.shape();
        // Shells of the right shapes that receive the trained values.
        let mut gmf = Gmf::new(backend, users, items, config.factors, 0.0, config.seed)?;
        let mut mlp = Mlp::new(backend, users, items, &config.layers, 0.0, config.seed)?;
        for (cfg, target) in [
            (&gmf_cfg, &mut gmf as &mut dyn NcfModel<B>),
            (&mlp_cfg, &mut mlp as &mut dyn NcfModel<B>),
        ] {
            let name = cfg.model.name();
            let fresh = build_ncf(backend, cfg.model, cfg, data)?;
            let (records, trained) = fit(backend, cfg, data, fresh, observer)?;
            if let Some(last) = records.last() {
                metrics.extend(
                    last.metrics
                        .iter()
                        .map(|(m, v)| (format!("pretrain.{name}.{m}"), *v)),
                );
            }
            adopt(target, trained.as_ref())?;
            pretraining.insert(name.to_string(), records);
        }
        Box::new(NeuMf::from_pretrained(&gmf, &mlp, config.alpha)?)
    } else {
        build_ncf(backend, config.model, config, data)?
    };
    let (records, model) = fit(backend, config, data, model, observer)?;
    if records.is_empty() {
        let t = NcfTrainer::new(backend, config.clone(), data, model);
        metrics.extend(t.evaluate()?.metrics);
        return Ok(NcfRun {
            config: config.clone(),
            records,
            pretraining,
            metrics,
            model: t.model,
        });
    }
    metrics.extend(final_metrics(config, &records));
    Ok(NcfRun {
        config: config.clone(),
        records,
        pretraining,
        metrics,
        model,
    })
}

/// The metrics of the last epoch, and of the best one as the reference code reports them: the first
/// epoch of the highest HR@K (its `if hr > best_hr`), or of the lowest RMSE, prefixed `best.`, with
/// `best_epoch`. Empty without records.
pub fn final_metrics(config: &NcfConfig, records: &[NcfEpoch]) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    let Some(last) = records.last() else {
        return out;
    };
    out.extend(last.metrics.clone());
    let (selection, higher) = config.selection();
    let sign = if higher { 1.0 } else { -1.0 };
    let score = |r: &NcfEpoch| sign * r.metrics.get(&selection).copied().unwrap_or(f64::NAN);
    let best = records.iter().fold(last, |b, r| {
        if score(r) > score(b) || (score(r) == score(b) && r.epoch < b.epoch) {
            r
        } else {
            b
        }
    });
    out.insert("best_epoch".into(), best.epoch as f64);
    out.extend(best.metrics.iter().map(|(m, v)| (format!("best.{m}"), *v)));
    out
}

/// Trains `model` for `config.epochs` epochs; the records and the trained model.
fn fit<B: Backend>(
    backend: &B,
    config: &NcfConfig,
    data: &NcfData,
    model: Box<dyn NcfModel<B>>,
    observer: &mut dyn NcfObserver<B>,
) -> Result<(Vec<NcfEpoch>, Box<dyn NcfModel<B>>)> {
    let mut t = NcfTrainer::new(backend, config.clone(), data, model);
    let name = config.model.name();
    observer.stage(name, config.epochs, t.steps_per_epoch());
    let mut records = Vec::with_capacity(config.epochs);
    while t.epoch < config.epochs {
        let r = t.run_epoch(observer)?;
        observer.epoch(name, &r, &t).map_err(NcfError::Observer)?;
        records.push(r);
    }
    Ok((records, t.model))
}

/// Gives `target` the parameter values of `source`, a model of the same kind and shapes.
fn adopt<B: Backend>(target: &mut dyn NcfModel<B>, source: &dyn NcfModel<B>) -> Result<()> {
    let values: Vec<_> = source.params().iter().map(|p| p.value().clone()).collect();
    let params = target.params_mut();
    if params.len() != values.len() {
        return Err(NcfError::Config(format!(
            "cannot adopt {} parameters into a model of {}",
            values.len(),
            params.len()
        )));
    }
    for (p, v) in params.into_iter().zip(values) {
        p.set_value(v)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::Quiet;
    use autograd::Cpu;

    /// 30 users, each rating 12 of 40 items at increasing times; ratings 1–5.
    fn ratings() -> Ratings {
        let mut r = Ratings::new(true).with_timestamps();
        for u in 0..30usize {
            for k in 0..12usize {
                let i = (u * 7 + k * 3) % 40;
                let rating = 1.0 + ((u + i) % 5) as f64;
                r.push_timed(
                    "t",
                    1,
                    &format!("u{u}"),
                    &format!("i{i}"),
                    Some(rating),
                    Some(k as f64),
                )
                .unwrap();
            }
        }
        r
    }

    fn small(model: NcfModelKind, protocol: Protocol) -> NcfConfig {
        NcfConfig {
            factors: 4,
            layers: vec![8, 4],
            epochs: 2,
            batch_size: 64,
            eval_negatives: 20,
            ..NcfConfig::paper(model, protocol)
        }
    }

    #[test]
    fn training_is_reproduced_by_its_seed_and_changed_by_another() {
        let r = ratings();
        let cpu = Cpu::<f64>::new();
        for protocol in [Protocol::Implicit, Protocol::Explicit] {
            let c = small(NcfModelKind::Neumf, protocol);
            let a = train_ncf(&cpu, &c, &r, &mut Quiet).unwrap();
            let b = train_ncf(&cpu, &c, &r, &mut Quiet).unwrap();
            assert_eq!(a.records.len(), 2);
            assert_eq!(
                a.records.iter().map(|e| e.train_loss).collect::<Vec<_>>(),
                b.records.iter().map(|e| e.train_loss).collect::<Vec<_>>()
            );
            assert_eq!(a.metrics, b.metrics);
            let other = NcfConfig { seed: 1, ..c };
            let d = train_ncf(&cpu, &other, &r, &mut Quiet).unwrap();
            assert_ne!(a.records[0].train_loss, d.records[0].train_loss);
        }
    }

    #[test]
    fn pretraining_reports_gmf_and_mlp_and_starts_neumf_from_them() {
        let c = NcfConfig {
            pretrain: true,
            ..small(NcfModelKind::Neumf, Protocol::Implicit)
        };
        let run = train_ncf(&Cpu::<f64>::new(), &c, &ratings(), &mut Quiet).unwrap();
        assert_eq!(run.pretraining.len(), 2);
        assert_eq!(run.pretraining["gmf"].len(), 2);
        for key in [
            "pretrain.gmf.hr@10",
            "pretrain.mlp.ndcg@10",
            "hr@10",
            "popularity.hr@10",
        ] {
            assert!(run.metrics.contains_key(key), "{key} in {:?}", run.metrics);
        }
        assert_eq!(run.model.params().len(), 8);
    }

    #[test]
    fn explicit_models_start_at_the_mean_rating_and_report_both_baselines() {
        let r = ratings();
        let c = NcfConfig {
            epochs: 0,
            ..small(NcfModelKind::Gmf, Protocol::Explicit)
        };
        let run = train_ncf(&Cpu::<f64>::new(), &c, &r, &mut Quiet).unwrap();
        // Embeddings of N(0, 0.01²) contribute ~10⁻⁴: the untrained model predicts about μ.
        let (rmse, mean) = (run.metrics["rmse"], run.metrics["global_mean.rmse"]);
        assert!((rmse - mean).abs() < 1e-3, "{rmse} vs {mean}");
        assert!(run.metrics.contains_key("item_mean.mae"));
    }

    /// Mult-VAE's split of 40 users in two tastes: users of taste `c` click items `10c..10c + 10`
    /// (training users 7 of them, held-out users 4 in fold-in and 3 held out); uids 0–23 train,
    /// 24–31 validation, 32–39 test.
    fn two_tastes() -> crate::data::Dataset {
        use crate::data::HeldoutPair;
        use autograd::CsrMatrix;
        let clicks = |users: std::ops::Range<usize>, items: std::ops::Range<usize>| {
            let t: Vec<(usize, usize, f32)> = users
                .clone()
                .flat_map(|u| {
                    let c = u % 2;
                    items
                        .clone()
                        .map(move |k| (u - users.start, 10 * c + (k + u) % 10, 1.0))
                })
                .collect();
            CsrMatrix::from_triplets(users.len(), 20, &t).unwrap()
        };
        crate::data::Dataset {
            n_items: 20,
            unique_sid: (0..20).map(|i| i.to_string()).collect(),
            train: clicks(0..24, 0..7),
            validation: HeldoutPair {
                first_uid: 24,
                fold_in: clicks(24..32, 0..4),
                heldout: clicks(24..32, 4..7),
            },
            test: HeldoutPair {
                first_uid: 32,
                fold_in: clicks(32..40, 0..4),
                heldout: clicks(32..40, 4..7),
            },
        }
    }

    #[test]
    fn on_held_out_users_neumf_learns_each_users_taste_from_the_fold_in_clicks() {
        let c = NcfConfig {
            epochs: 4,
            batch_size: 32,
            lr: 0.01,
            metrics: vec!["ndcg@6".into(), "recall@6".into()],
            ..small(NcfModelKind::Neumf, Protocol::HeldOut)
        };
        let data = NcfData::held_out(&c, &two_tastes()).unwrap();
        assert_eq!(data.shape(), (40, 20));
        let cpu = Cpu::<f64>::new();
        let run = train_ncf_on(&cpu, &c, &data, &mut Quiet).unwrap();
        let again = train_ncf_on(&cpu, &c, &data, &mut Quiet).unwrap();
        assert_eq!(run.metrics, again.metrics);
        assert_eq!(c.selection(), ("ndcg@6".to_string(), true));
        // A user's 3 held-out items are among the 6 unmasked items of their taste: recall@6 is 1
        // where the taste is learned, 6/16 by chance (16 items unmasked).
        let (first, last) = (&run.records[0].metrics, &run.records[3].metrics);
        assert!(first["test.recall@6"] < 0.6, "{first:?}");
        assert!(
            last["recall@6"] > 0.9 && last["test.recall@6"] > 0.9,
            "{last:?}"
        );
        let per_user = run.records[3].per_user.as_ref().unwrap();
        assert_eq!(per_user.uids, (32..40).collect::<Vec<u32>>());
        // The best epoch is picked on the validation users; the test users are reported at it.
        let best = run.metrics["best_epoch"] as usize;
        assert!(run
            .records
            .iter()
            .all(|r| r.metrics["ndcg@6"] <= run.metrics["best.ndcg@6"]));
        assert_eq!(
            run.metrics["best.test.ndcg@6"],
            run.records[best].metrics["test.ndcg@6"]
        );
        assert!(!run.metrics.keys().any(|k| k.starts_with("popularity")));
    }

    #[test]
    fn final_metrics_report_the_last_epoch_and_the_first_best_one() {
        let record = |epoch, hr| NcfEpoch {
            epoch,
            train_loss: 0.0,
            metrics: BTreeMap::from([("hr@10".to_string(), hr)]),
            per_user: None,
            seconds: 0.0,
        };
        let records = [
            record(0, 0.5),
            record(1, 0.7),
            record(2, 0.7),
            record(3, 0.6),
        ];
        let c = small(NcfModelKind::Gmf, Protocol::Implicit);
        let m = final_metrics(&c, &records);
        assert_eq!(m["hr@10"], 0.6);
        assert_eq!((m["best.hr@10"], m["best_epoch"]), (0.7, 1.0));
        assert!(final_metrics(&c, &[]).is_empty());
    }
}
