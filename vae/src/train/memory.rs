//! The memory a Mult-VAE or Mult-DAE run needs, estimated from its configuration and the data's
//! shape before anything is allocated: a run that cannot fit is refused with the figures instead
//! of being killed by the kernel (`--dims 100000000,200` was), and every run prints its estimate.

use super::config::{ModelKind, TrainConfig};
use super::error::{Result, TrainError};
use super::run::Progress;
use crate::data::Dataset;
use autograd::Backend;

/// Bytes of f32 values.
const F32: f64 = 4.0;

/// The bytes a run holds at its peak, part by part. The counts are `f64` so that no
/// configuration, however absurd, overflows them. The data itself is not counted: it is loaded
/// (and so already taken from the available memory) by the time the estimate is made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemoryEstimate {
    /// Every layer's weights and biases.
    pub weights: f64,
    /// Adam's first and second moments, two per weight.
    pub adam: f64,
    /// One gradient per weight, all alive when the backward pass ends.
    pub gradients: f64,
    /// A training batch's tape: for each layer, batch × width values before and after its
    /// activation, and the gradient of each. The last layer's are the batch × items logits, which
    /// the fused multinomial NLL keeps only twice; the other two cover the ops' temporaries.
    pub training_batch: f64,
    /// An evaluation batch: for each layer, users × width values before and after its activation,
    /// the last being the users × items scores. Counted beside the training batch, since the
    /// allocator may still hold the step's buffers when validation runs.
    pub evaluation_batch: f64,
}

impl MemoryEstimate {
    /// The estimate for `config` on `n_items` items, with training batches of `train_rows` users
    /// and evaluation batches of `eval_rows` (each at most its configured size).
    pub fn new(config: &TrainConfig, n_items: usize, train_rows: usize, eval_rows: usize) -> Self {
        let layers = layers(config, n_items);
        let weights: f64 = layers.iter().map(|&(i, o)| i * o + o).sum();
        let outputs: f64 = layers.iter().map(|&(_, o)| o).sum();
        let train_rows = train_rows.min(config.batch_size) as f64;
        let eval_rows = eval_rows.min(config.eval_batch_size) as f64;
        MemoryEstimate {
            weights: F32 * weights,
            adam: 2.0 * F32 * weights,
            gradients: F32 * weights,
            training_batch: 4.0 * F32 * train_rows * outputs,
            evaluation_batch: 2.0 * F32 * eval_rows * outputs,
        }
    }

    /// The estimate for `config` on `data`.
    pub fn of_run(config: &TrainConfig, data: &Dataset) -> Self {
        let eval_rows = data.validation.fold_in.rows().max(data.test.fold_in.rows());
        Self::new(config, data.n_items, data.train.rows(), eval_rows)
    }

    pub fn total(&self) -> f64 {
        self.weights + self.adam + self.gradients + self.training_batch + self.evaluation_batch
    }

    /// `~1.9 GiB (weights 97.7 MiB, Adam 195.3 MiB, …)`.
    fn describe(&self) -> String {
        format!(
            "~{} (weights {}, Adam {}, gradients {}, training batch {}, evaluation batch {})",
            bytes(self.total()),
            bytes(self.weights),
            bytes(self.adam),
            bytes(self.gradients),
            bytes(self.training_batch),
            bytes(self.evaluation_batch)
        )
    }

    /// Refuses the run when it needs more than `available` bytes (`None`: unknown, not refused).
    pub fn check(&self, available: Option<f64>) -> Result<()> {
        match available {
            Some(free) if self.total() > free => Err(TrainError::Invalid(format!(
                "the run needs {} of memory, more than the {} available: make dims, the batch \
                 size or the evaluation batch size smaller",
                self.describe(),
                bytes(free)
            ))),
            _ => Ok(()),
        }
    }
}

/// `(inputs, outputs)` of each layer, in the order `MultVae::new` and `MultDae::new` build them.
fn layers(config: &TrainConfig, n_items: usize) -> Vec<(f64, f64)> {
    let dims: Vec<f64> = config.dims.iter().map(|&d| d as f64).collect();
    let mut sizes = vec![n_items as f64];
    sizes.extend(&dims);
    let pairs = |s: &[f64]| s.windows(2).map(|w| (w[0], w[1])).collect::<Vec<_>>();
    match config.model {
        ModelKind::Vae => {
            // The encoder's last layer outputs μ and log σ² side by side.
            let mut encoder = pairs(&sizes);
            if let Some(last) = encoder.last_mut() {
                last.1 *= 2.0;
            }
            sizes.reverse();
            encoder.extend(pairs(&sizes));
            encoder
        }
        ModelKind::Dae => {
            sizes.extend(dims.iter().rev().skip(1));
            sizes.push(n_items as f64);
            pairs(&sizes)
        }
    }
}

/// The `MemAvailable` of /proc/meminfo in bytes; `None` where it cannot be read.
pub fn available_memory() -> Option<f64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}

/// Prints the estimate of `config`'s run on `data` and, on the CPU, refuses it when it exceeds the
/// machine's available memory. A GPU's memory is not the host's, and is not checked here.
pub fn check_fits<B: Backend>(
    backend: &B,
    config: &TrainConfig,
    data: &Dataset,
    progress: &mut dyn Progress,
) -> Result<()> {
    let estimate = MemoryEstimate::of_run(config, data);
    let device = backend.device_name();
    let available = (device == "cpu").then(available_memory).flatten();
    let room = match available {
        Some(free) => format!("{} available", bytes(free)),
        None if device == "cpu" => "available memory unknown".into(),
        None => format!("on {device}, not checked"),
    };
    progress.note(&format!(
        "memory: {} estimated; {room}",
        estimate.describe()
    ));
    estimate.check(available)
}

/// `bytes` in binary units, e.g. `97.7 MiB`.
pub fn bytes(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024.0 {
        return format!("{bytes:.0} B");
    }
    let (mut value, mut unit) = (bytes / 1024.0, 0);
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::build_model;
    use autograd::Cpu;

    fn config(model: ModelKind, dims: Vec<usize>) -> TrainConfig {
        TrainConfig {
            dims,
            ..TrainConfig::paper(model)
        }
    }

    #[test]
    fn weights_are_the_models_parameters() {
        for (model, dims) in [
            (ModelKind::Vae, vec![7, 3]),
            (ModelKind::Vae, vec![4]),
            (ModelKind::Dae, vec![5]),
            (ModelKind::Dae, vec![6, 2]),
        ] {
            let c = config(model, dims);
            let built = build_model(&Cpu::<f32>::new(), 11, &c).unwrap();
            let count: usize = built
                .params()
                .iter()
                .map(|p| p.value().rows() * p.value().cols())
                .sum();
            let estimate = MemoryEstimate::new(&c, 11, 100, 100);
            assert_eq!(estimate.weights, 4.0 * count as f64, "{c:?}");
            assert_eq!(estimate.adam, 2.0 * estimate.weights);
        }
    }

    #[test]
    fn batches_count_at_most_the_users_there_are() {
        let c = config(ModelKind::Dae, vec![200]);
        let few = MemoryEstimate::new(&c, 1000, 20, 30);
        let many = MemoryEstimate::new(&c, 1000, 1_000_000, 1_000_000);
        // Layers 1000 → 200 → 1000: 1200 outputs per user.
        assert_eq!(few.training_batch, 4.0 * 4.0 * 20.0 * 1200.0);
        assert_eq!(many.training_batch, 4.0 * 4.0 * 500.0 * 1200.0);
        assert_eq!(few.evaluation_batch, 2.0 * 4.0 * 30.0 * 1200.0);
        assert_eq!(many.evaluation_batch, 2.0 * 4.0 * 2000.0 * 1200.0);
    }

    #[test]
    fn a_run_larger_than_the_available_memory_is_refused_with_both_figures() {
        let c = config(ModelKind::Vae, vec![100_000_000, 200]);
        let huge = MemoryEstimate::new(&c, 20_000, 100_000, 10_000);
        let err = huge.check(Some(21.3 * 1024f64.powi(3))).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("TiB (weights") && msg.contains("21.3 GiB available"),
            "{msg}"
        );
        assert!(huge.check(None).is_ok(), "unknown memory is not refused");
        let paper = MemoryEstimate::new(
            &config(ModelKind::Vae, vec![600, 200]),
            20_108,
            116_677,
            10_000,
        );
        assert!(paper.check(Some(21.3 * 1024f64.powi(3))).is_ok());
    }

    #[test]
    fn absurd_sizes_are_estimated_without_overflow() {
        let c = config(ModelKind::Dae, vec![usize::MAX, usize::MAX]);
        let e = MemoryEstimate::new(&c, usize::MAX, usize::MAX, usize::MAX);
        assert!(e.total() > 1e40, "{e:?}");
        assert!(e.check(Some(1e12)).is_err());
    }
}
