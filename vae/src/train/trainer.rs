//! The training loop: shuffled mini-batches, one tape per step, Adam, β annealed per update,
//! validation every epoch, the best epoch kept.

use super::config::{LrSchedule, ModelKind, TrainConfig};
use super::error::{Result, TrainError};
use super::evaluate::{evaluate, evaluator_of, Evaluation};
use super::loss_sums::{LossSums, StepTerms};
use crate::data::{Dataset, ShuffledBatches};
use crate::metrics::{item_popularity, Evaluator};
use crate::vae_cf::{MultDae, MultVae, Recommender, StepContext};
use autograd::optim::{Adam, AdamConfig};
use autograd::profile::OpProfile;
use autograd::{Backend, CsrMatrix, Tape, Tensor};
use std::time::Instant;

/// The model a configuration describes, freshly initialised from its seed.
pub fn build_model<B: Backend>(
    backend: &B,
    n_items: usize,
    cfg: &TrainConfig,
) -> Result<Box<dyn Recommender<B>>> {
    Ok(match cfg.model {
        ModelKind::Vae => Box::new(MultVae::new(
            backend,
            n_items,
            &cfg.dims,
            cfg.dropout,
            cfg.seed,
        )?),
        ModelKind::Dae => Box::new(MultDae::new(
            backend,
            n_items,
            &cfg.dims,
            cfg.dropout,
            cfg.l2,
            cfg.seed,
        )?),
    })
}

/// Seconds spent in each phase of training steps.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PhaseTimes {
    /// Building the tape and the loss (and reading it).
    pub forward: f64,
    /// `tape.backward`.
    pub backward: f64,
    /// Adam.
    pub optimizer: f64,
}

/// What one epoch of training measured.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochSummary {
    /// 0-based.
    pub epoch: usize,
    /// Mean loss over the epoch's batches.
    pub train_loss: f64,
    /// Mean NLL over the epoch's batches (`None` only for an epoch resumed from a checkpoint that did
    /// not store it).
    pub nll: Option<f64>,
    /// Mean KL and mean `β·KL` over the epoch's batches; `None` for Mult-DAE, which has no KL.
    pub kl: Option<f64>,
    pub beta_kl: Option<f64>,
    /// β of the epoch's last update.
    pub beta: f64,
    pub validation: Evaluation,
    /// Wall-clock seconds of training and validation (of this process's part, after a resume).
    pub seconds: f64,
}

/// A step's loss terms: read to the host, or still on the device.
enum StepLoss<B: Backend> {
    Read(StepTerms),
    OnDevice(UnreadTerms<B>),
}

/// A step's loss terms left on the device, with the β that weighed its KL.
struct UnreadTerms<B: Backend> {
    total: Tensor<B>,
    nll: Tensor<B>,
    kl: Option<Tensor<B>>,
    beta: f64,
}

impl<B: Backend> UnreadTerms<B> {
    fn read(&self) -> Result<StepTerms> {
        Ok(StepTerms {
            total: self.total.scalar()?,
            nll: self.nll.scalar()?,
            kl: self.kl.as_ref().map(Tensor::scalar).transpose()?,
            beta: self.beta,
        })
    }
}

/// A model, its optimiser and the counters that make a run resumable.
pub struct Trainer<B: Backend<Elem = f32>> {
    pub config: TrainConfig,
    pub model: Box<dyn Recommender<B>>,
    pub adam: Adam<B>,
    /// Mini-batch updates so far (β's clock and the key of each step's dropout mask and ε).
    pub updates: u64,
    /// The epoch being trained (the next one, between epochs).
    pub epoch: usize,
    /// Batches of `epoch` already trained (a mid-epoch checkpoint resumes after them).
    pub step: usize,
    /// The sums of those batches' losses, term by term (the epoch's means are over all its batches).
    pub epoch_loss: LossSums,
    /// The best validation epoch so far and its selection metric.
    pub best: Option<(usize, f64)>,
    /// Epochs since the best one (for early stopping and the plateau schedule).
    pub stale_epochs: usize,
    evaluator: Evaluator,
    selection: String,
    /// Seconds per op of the steps since [`Trainer::profile_ops`] was called.
    op_profile: Option<OpProfile>,
    /// Read the steps' losses every this many steps (0: only when [`Trainer::read_losses`] is called,
    /// before a checkpoint and at the epoch's end). See [`Trainer::set_loss_every`].
    loss_every: usize,
    /// The losses of steps trained but not read yet, still on the device, with (step, update).
    unread: Vec<(usize, u64, UnreadTerms<B>)>,
    /// The training clicks of each item, counted at the first validation: the split does not change
    /// during a run, so every later epoch reuses them.
    item_popularity: Option<Vec<u64>>,
}

impl<B: Backend<Elem = f32>> Trainer<B> {
    /// A fresh run. The model is built on `backend` with the configuration's GEMM precision, so its
    /// tensors, and every op on them, compute their GEMMs in it (a backend without it refuses).
    pub fn new(backend: &B, n_items: usize, config: TrainConfig) -> Result<Self> {
        let (evaluator, selection) = evaluator_of(&config.metrics, "the best epoch")?;
        let backend = &backend.with_gemm_precision(config.precision.gemm())?;
        let model = build_model(backend, n_items, &config)?;
        let adam = Adam::new(AdamConfig {
            lr: config.lr,
            ..AdamConfig::default()
        });
        Ok(Trainer {
            evaluator,
            selection,
            model,
            adam,
            updates: 0,
            epoch: 0,
            step: 0,
            epoch_loss: LossSums::default(),
            best: None,
            stale_epochs: 0,
            config,
            op_profile: None,
            loss_every: if backend.device_name() == "cpu" { 1 } else { 0 },
            unread: Vec::new(),
            item_popularity: None,
        })
    }

    /// Reads each step's loss every `n` steps (0: only before a checkpoint and at the epoch's end)
    /// instead of after every step. Reading a loss waits for the device to finish the step's work;
    /// on the CPU that costs nothing and the default is 1, so a NaN stops training before the update
    /// it would spoil. On a GPU the default is 0, so a step only queues work and the host never waits
    /// mid-epoch: a NaN is then found at the next read, after the updates that followed it, and the
    /// last checkpoint (written only after a read) predates it. The epoch's loss is the same sum of
    /// the same per-step values, in step order, whatever `n` is.
    pub fn set_loss_every(&mut self, n: usize) {
        self.loss_every = n;
    }

    /// Steps whose losses have been read (and added to [`Trainer::epoch_loss`]) in this epoch.
    pub fn read_steps(&self) -> usize {
        self.step - self.unread.len()
    }

    /// Reads the losses of the steps trained since the last read and adds them to the epoch's, in
    /// step order; the first non-finite one is an error naming its step.
    pub fn read_losses(&mut self) -> Result<()> {
        for (step, update, loss) in std::mem::take(&mut self.unread) {
            let terms = loss.read()?;
            if !terms.total.is_finite() {
                return Err(TrainError::NonFinite {
                    loss: terms.total,
                    epoch: self.epoch,
                    step,
                    update,
                    kept: "the updates queued after it ran too".into(),
                });
            }
            self.epoch_loss.add(&terms);
        }
        Ok(())
    }

    /// Times every op of the following steps (on a profiled tape, see [`autograd::profile`]).
    pub fn profile_ops(&mut self) {
        self.op_profile = Some(OpProfile::default());
    }

    /// Seconds per op of the steps since [`Trainer::profile_ops`].
    pub fn op_profile(&self) -> Option<&OpProfile> {
        self.op_profile.as_ref()
    }

    /// The metric that picks the best epoch (`ndcg@100` by default).
    pub fn selection_metric(&self) -> &str {
        &self.selection
    }

    pub fn evaluator(&self) -> &Evaluator {
        &self.evaluator
    }

    /// β for the next update.
    pub fn beta(&self) -> f64 {
        self.config.anneal.beta(self.updates)
    }

    /// One update on `batch` (the `step`-th of its epoch): forward, backward, Adam. Returns the loss.
    /// A NaN or infinite loss stops with the epoch and step named, before the update that would
    /// have spread it. `times` gathers the seconds of each phase.
    pub fn step(
        &mut self,
        batch: &CsrMatrix<f32>,
        step: usize,
        times: &mut PhaseTimes,
    ) -> Result<f64> {
        match self.update(batch, step, true, times)? {
            StepLoss::Read(v) => Ok(v.total),
            StepLoss::OnDevice(t) => Ok(t.total.scalar()?),
        }
    }

    /// [`Trainer::step`] without reading the loss: the step's work is queued and its loss, still on
    /// the device, returned (for a benchmark that must not wait for the device at every step).
    pub fn step_unread(
        &mut self,
        batch: &CsrMatrix<f32>,
        step: usize,
        times: &mut PhaseTimes,
    ) -> Result<Tensor<B>> {
        match self.update(batch, step, false, times)? {
            StepLoss::OnDevice(t) => Ok(t.total),
            StepLoss::Read(_) => unreachable!("update reads only when asked"),
        }
    }

    /// The update of [`Trainer::step`]; with `read`, the loss terms are read (and the total checked)
    /// before Adam, otherwise they are left on the device.
    fn update(
        &mut self,
        batch: &CsrMatrix<f32>,
        step: usize,
        read: bool,
        times: &mut PhaseTimes,
    ) -> Result<StepLoss<B>> {
        let backend = self.model.params()[0].value().backend().clone();
        let ctx = StepContext {
            beta: self.beta(),
            step: self.updates,
            train: true,
        };
        let (grads, loss) = {
            let t0 = Instant::now();
            let tape = if self.op_profile.is_some() {
                Tape::profiled(&backend)
            } else {
                Tape::new(&backend)
            };
            let loss = self.model.loss(&tape, batch, ctx)?;
            let terms = UnreadTerms {
                total: loss.total.value().clone(),
                nll: loss.nll.value().clone(),
                kl: loss.kl.as_ref().map(|kl| kl.value().clone()),
                beta: ctx.beta,
            };
            let value = if read {
                let terms = terms.read()?;
                if !terms.total.is_finite() {
                    return Err(TrainError::NonFinite {
                        loss: terms.total,
                        epoch: self.epoch,
                        step,
                        update: self.updates,
                        kept: "the state before this step is unchanged".into(),
                    });
                }
                StepLoss::Read(terms)
            } else {
                StepLoss::OnDevice(terms)
            };
            let t1 = Instant::now();
            times.forward += (t1 - t0).as_secs_f64();
            let grads = tape.backward(&loss.total)?;
            times.backward += t1.elapsed().as_secs_f64();
            if let (Some(all), Some(this)) = (&mut self.op_profile, tape.profile()) {
                all.merge(&this);
            }
            (grads, value)
        };
        let t2 = Instant::now();
        self.adam.step(&mut self.model.params_mut(), &grads)?;
        times.optimizer += t2.elapsed().as_secs_f64();
        self.updates += 1;
        Ok(loss)
    }

    /// The batches of the current epoch that remain: its shuffled order is a function of the seed and
    /// the epoch, so skipping the `step` batches already trained resumes it mid-way.
    pub fn remaining_batches(&self, data: &Dataset) -> Result<impl Iterator<Item = Vec<usize>>> {
        let batches =
            ShuffledBatches::new(data.train.rows(), self.config.batch_size, self.config.seed)?;
        Ok(batches.epoch(self.epoch as u64).skip(self.step))
    }

    /// Batches per epoch.
    pub fn steps_per_epoch(&self, data: &Dataset) -> usize {
        data.train.rows().div_ceil(self.config.batch_size.max(1))
    }

    /// Trains on the next batch of the epoch (its rows `rows`) and adds its loss to the epoch's, now
    /// or at the next read (see [`Trainer::set_loss_every`]). Returns the loss if it was read.
    pub fn train_step(
        &mut self,
        data: &Dataset,
        rows: &[usize],
        times: &mut PhaseTimes,
    ) -> Result<Option<f64>> {
        let batch = data.train.select_rows(rows)?;
        let (step, update) = (self.step, self.updates);
        let loss = self.update(&batch, step, self.loss_every == 1, times)?;
        self.step += 1;
        match loss {
            StepLoss::Read(v) => {
                self.epoch_loss.add(&v);
                Ok(Some(v.total))
            }
            StepLoss::OnDevice(t) => {
                self.unread.push((step, update, t));
                if self.loss_every > 0 && self.step.is_multiple_of(self.loss_every) {
                    self.read_losses()?;
                }
                Ok(None)
            }
        }
    }

    /// Ends the epoch whose steps have all been trained: validation, the best epoch, the stale
    /// count and the learning-rate schedule; then moves the counters to the next epoch.
    /// `started` is when this process began the epoch's training.
    pub fn finish_epoch(&mut self, data: &Dataset, started: Instant) -> Result<EpochSummary> {
        self.read_losses()?;
        let popularity = self
            .item_popularity
            .get_or_insert_with(|| item_popularity(&data.train));
        let validation = evaluate(
            self.model.as_ref(),
            &data.validation,
            popularity,
            &self.evaluator,
            self.config.eval_batch_size,
        )?;
        let score = validation
            .metrics
            .get(&self.selection)
            .copied()
            .unwrap_or(f64::NAN);
        if self.best.is_none_or(|(_, b)| score > b) {
            self.best = Some((self.epoch, score));
            self.stale_epochs = 0;
        } else {
            self.stale_epochs += 1;
        }
        let halve = match self.config.lr_schedule {
            LrSchedule::Constant => false,
            LrSchedule::Plateau { patience } => {
                self.stale_epochs > 0 && self.stale_epochs.is_multiple_of(patience.max(1))
            }
            LrSchedule::Step { every } => (self.epoch + 1).is_multiple_of(every.max(1)),
        };
        if halve {
            self.adam.config.lr *= 0.5;
        }
        // β of the epoch's last update (the notebook reports that one).
        let beta = match self.updates.checked_sub(1) {
            Some(last) if self.step > 0 => self.config.anneal.beta(last),
            _ => self.beta(),
        };
        let means = self.epoch_loss.means(self.step);
        let summary = EpochSummary {
            epoch: self.epoch,
            train_loss: means.total,
            nll: means.nll,
            kl: means.kl,
            beta_kl: means.beta_kl,
            beta,
            validation,
            seconds: started.elapsed().as_secs_f64(),
        };
        self.epoch += 1;
        self.step = 0;
        self.epoch_loss = LossSums::default();
        Ok(summary)
    }

    /// Whether early stopping (`patience`) says to stop.
    pub fn should_stop(&self) -> bool {
        self.config.patience.is_some_and(|p| self.stale_epochs >= p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use autograd::Cpu;

    #[test]
    fn the_first_ndcg_picks_the_best_epoch_however_it_is_spelt() {
        let config = TrainConfig {
            dims: vec![3],
            metrics: vec!["Recall@5".into(), " NDCG@4".into(), "ndcg@2".into()],
            ..TrainConfig::paper(ModelKind::Dae)
        };
        let t = Trainer::new(&Cpu::<f32>::new(), 6, config).unwrap();
        assert_eq!(t.selection_metric(), "ndcg@4");
    }
}
