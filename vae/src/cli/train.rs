//! `vae train`: Mult-VAE or Mult-DAE into a run folder, popularity, EASE or ItemKNN fitted into one
//! ([`vae::baselines`]), or NCF through [`super::ncf`].

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use autograd::Cpu;
use clap::{Args, ValueEnum};
use vae::baselines::{self, BaselineConfig, BaselineKind};
use vae::metrics::{Metric, MetricKind};
use vae::ncf::{NcfModelKind, Protocol};
use vae::train::{
    self, LrSchedule, ModelKind, Precision, RunDir, RunOptions, Start, TrainConfig, TrainError,
};
use vae::vae_cf::Anneal;

use super::common::{
    at_least_one, check_precision, gpu_backend, metric, metrics_text, non_negative, parse_device,
    positive, probability, set_threads, Console, Device, RunFlags,
};
use super::ncf::{self, NcfArgs, NcfFlags};
use super::values::PrecisionArg;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ScheduleArg {
    Constant,
    Plateau,
    Step,
}

/// Every model `vae train` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModelArg {
    /// Mult-VAE^PR.
    Vae,
    /// Mult-DAE.
    Dae,
    /// NCF's generalised matrix factorisation.
    Gmf,
    /// NCF's multi-layer perceptron.
    Mlp,
    /// NCF's fusion of GMF and MLP.
    Neumf,
    /// The training click count of each item, the same list for every user.
    Popularity,
    /// Steck's EASE: item–item weights in closed form, λ chosen on the validation users.
    Ease,
    /// RecBole's ItemKNN: each item's k most cosine-similar items, k chosen on the validation users.
    #[value(name = "itemknn")]
    ItemKnn,
}

impl ModelArg {
    /// As `--model` spells it.
    fn name(self) -> String {
        self.to_possible_value()
            .map_or_else(String::new, |v| v.get_name().to_string())
    }
}

/// The defaults of the flags Mult-VAE/DAE and NCF share.
const SEED: u64 = 98765;
/// EASE's λ when none is given: the paper's choice for ML-20M (Steck 2019, §4.2).
const LAMBDA: f64 = 500.0;
/// ItemKNN's k when none is given: RecBole's default.
const KNN_K: usize = 100;
/// About 105 s of work at ML-20M's shape on the project's 2-core CPU (0.35 s per update): at most
/// that much is lost to a crash.
const CHECKPOINT_EVERY: u64 = 300;

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Mult-VAE/DAE: a pro_sg folder (from `vae data prepare`, `vae data synth` or the authors'
    /// notebook). NCF: a rating file, or a folder holding one.
    #[arg(long)]
    data: PathBuf,
    /// Which model (default vae).
    #[arg(long, value_enum)]
    model: Option<ModelArg>,
    /// The run folder to write (config, metrics, checkpoints, results, plots).
    #[arg(long, required_unless_present = "resume")]
    out: Option<PathBuf>,
    /// Continue the run saved in this folder where its last checkpoint left it, with the settings
    /// of its config.json (only --epochs may change, to extend the run).
    #[arg(long, conflicts_with = "out")]
    resume: Option<PathBuf>,
    /// Let --out replace the run in its folder (that run's files are deleted; other files are
    /// kept). Without it, a folder that is not empty is refused.
    #[arg(long, conflicts_with = "resume")]
    overwrite: bool,
    /// cpu, cuda, cuda:N, or sim (the GPU code path on the simulated device, slow).
    #[arg(long, default_value = "cpu", value_parser = parse_device)]
    device: Device,
    /// Epochs (default 200 for vae/dae, 20 for NCF).
    #[arg(long, value_parser = at_least_one, allow_negative_numbers = true)]
    epochs: Option<usize>,
    /// Mini-batch size (default 500 for vae/dae, 256 for NCF).
    #[arg(long, value_parser = at_least_one, allow_negative_numbers = true)]
    batch_size: Option<usize>,
    /// Adam's learning rate (default 1e-3).
    #[arg(long, value_parser = positive, allow_negative_numbers = true)]
    lr: Option<f64>,
    /// The seed of initialisation, shuffling, dropout and noise (default 98765).
    #[arg(long, allow_negative_numbers = true)]
    seed: Option<u64>,
    /// Encoder sizes after the item layer, the last being the latent size (default 600,200 for
    /// vae, 200 for dae).
    #[arg(long, value_delimiter = ',', value_parser = at_least_one, allow_negative_numbers = true)]
    dims: Option<Vec<usize>>,
    /// Dropout probability on the input, in [0, 1) (default 0.5).
    #[arg(long, value_parser = probability, allow_negative_numbers = true)]
    dropout: Option<f64>,
    /// Weight penalty λ·Σ‖W‖² (the notebook's Mult-DAE regulariser; default 0).
    #[arg(long, value_parser = non_negative, allow_negative_numbers = true)]
    l2: Option<f64>,
    /// The largest β of the linear annealing (default 0.2).
    #[arg(long, value_parser = non_negative, allow_negative_numbers = true)]
    anneal_cap: Option<f64>,
    /// Updates over which β rises from 0 to 1, capped at --anneal-cap (default 200000).
    #[arg(long, allow_negative_numbers = true)]
    total_anneal_steps: Option<u64>,
    /// A constant β instead of annealing.
    #[arg(long, value_parser = non_negative, allow_negative_numbers = true)]
    beta: Option<f64>,
    /// Stop after this many epochs without a better validation NDCG.
    #[arg(long, value_parser = at_least_one, allow_negative_numbers = true)]
    patience: Option<usize>,
    /// The learning-rate schedule (default constant).
    #[arg(long, value_enum)]
    lr_schedule: Option<ScheduleArg>,
    /// Epochs: without improvement before halving (plateau), or between halvings (step) (default 10).
    #[arg(long, value_parser = at_least_one, allow_negative_numbers = true)]
    lr_epochs: Option<usize>,
    /// Users per evaluation batch (default 2000).
    #[arg(long, value_parser = at_least_one, allow_negative_numbers = true)]
    eval_batch_size: Option<usize>,
    /// Metrics, comma-separated, each NAME@K: per user ndcg, recall, mrr, hr, precision, map; over
    /// the split coverage, gini, avgpop. The first NDCG picks the best epoch (default
    /// ndcg@100,recall@20,recall@50).
    #[arg(long, value_delimiter = ',', value_parser = metric)]
    k: Option<Vec<Metric>>,
    /// Mult-VAE/DAE: also checkpoint every this many updates within an epoch (default 300, about
    /// 2 minutes of ML-20M on a 2-core CPU); a checkpoint ends every epoch anyway.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..), allow_negative_numbers = true)]
    checkpoint_every: Option<u64>,
    /// Mult-VAE/DAE: read the training loss every this many steps; 0 reads it only at checkpoints
    /// and epoch ends. A read waits for the device to finish, so the default is 1 on the CPU (where
    /// it costs nothing and a NaN stops before its update) and 0 on a GPU. The results are the same.
    #[arg(long, allow_negative_numbers = true)]
    loss_every: Option<usize>,
    /// EASE: the L2 weights λ to fit, comma-separated; the best by validation NDCG is kept
    /// (default 500).
    #[arg(long, value_delimiter = ',', value_parser = positive, allow_negative_numbers = true)]
    lambda: Option<Vec<f64>>,
    /// ItemKNN: the neighbourhood sizes k to fit, comma-separated; the best by validation NDCG is
    /// kept (default 100, RecBole's).
    #[arg(long, value_delimiter = ',', value_parser = at_least_one, allow_negative_numbers = true)]
    knn_k: Option<Vec<usize>>,
    /// ItemKNN: the shrink term added to the cosine's denominator ‖x_i‖·‖x_j‖ (default 0, RecBole's).
    #[arg(long, value_parser = non_negative, allow_negative_numbers = true)]
    shrink: Option<f64>,
    /// Worker threads (default: all cores).
    #[arg(long, allow_negative_numbers = true)]
    threads: Option<usize>,
    /// On a GPU, let cuBLAS use TF32 tensor cores for GEMMs (faster, ~1e-3 relative error).
    #[arg(long)]
    tf32: bool,
    /// Mult-VAE/DAE on the CPU: the dense layers' GEMM operands, f32 or bf16 (f32 sums; parameters,
    /// Adam, softmax and loss stay f32), training and evaluation alike; recorded in config.json
    /// (default f32).
    #[arg(long, value_enum)]
    precision: Option<PrecisionArg>,
    #[command(flatten)]
    ncf: NcfFlags,
}

impl TrainArgs {
    /// The flags given that would change what a run computes; `--resume` takes all of them from
    /// the run's config.json instead.
    fn run_flags_given(&self) -> Vec<&'static str> {
        [
            ("--model", self.model.is_some()),
            ("--batch-size", self.batch_size.is_some()),
            ("--lr", self.lr.is_some()),
            ("--seed", self.seed.is_some()),
            ("--dims", self.dims.is_some()),
            ("--dropout", self.dropout.is_some()),
            ("--l2", self.l2.is_some()),
            ("--anneal-cap", self.anneal_cap.is_some()),
            ("--total-anneal-steps", self.total_anneal_steps.is_some()),
            ("--beta", self.beta.is_some()),
            ("--patience", self.patience.is_some()),
            ("--lr-schedule", self.lr_schedule.is_some()),
            ("--lr-epochs", self.lr_epochs.is_some()),
            ("--eval-batch-size", self.eval_batch_size.is_some()),
            ("--k", self.k.is_some()),
            ("--precision", self.precision.is_some()),
            ("--lambda", self.lambda.is_some()),
            ("--knn-k", self.knn_k.is_some()),
            ("--shrink", self.shrink.is_some()),
            ("--protocol", self.ncf.protocol.is_some()),
            ("--factors", self.ncf.factors.is_some()),
            ("--layers", self.ncf.layers.is_some()),
            ("--learner", self.ncf.learner.is_some()),
            ("--pretrain", self.ncf.pretrain),
            ("--eval", self.ncf.eval.is_some()),
        ]
        .into_iter()
        .filter_map(|(flag, given)| given.then_some(flag))
        .collect()
    }

    /// Refuses a flag the model does not read, or one another flag overrides, naming both: a
    /// dropped flag would run something other than what the command says.
    fn refuse_ignored_flags(&self, model: ModelArg) -> anyhow::Result<()> {
        use ModelArg::{Dae, Ease, Gmf, ItemKnn, Mlp, Neumf, Popularity, Vae};
        let vae_dae: &[ModelArg] = &[Vae, Dae];
        let ncf: &[ModelArg] = &[Gmf, Mlp, Neumf];
        let evaluated: &[ModelArg] = &[Vae, Dae, Popularity, Ease, ItemKnn];
        let trained: &[ModelArg] = &[Vae, Dae, Gmf, Mlp, Neumf];
        let scoped: [(&str, bool, &[ModelArg]); 28] = [
            // β weighs the KL term of Eq. 6 (arXiv:1802.05814v1), which Mult-DAE does not have.
            ("--beta", self.beta.is_some(), &[Vae]),
            ("--anneal-cap", self.anneal_cap.is_some(), &[Vae]),
            (
                "--total-anneal-steps",
                self.total_anneal_steps.is_some(),
                &[Vae],
            ),
            // The notebook's Mult-DAE regulariser; Mult-VAE is built without one.
            ("--l2", self.l2.is_some(), &[Dae]),
            ("--dims", self.dims.is_some(), vae_dae),
            ("--dropout", self.dropout.is_some(), vae_dae),
            ("--patience", self.patience.is_some(), vae_dae),
            ("--lr-schedule", self.lr_schedule.is_some(), vae_dae),
            ("--lr-epochs", self.lr_epochs.is_some(), vae_dae),
            ("--precision", self.precision.is_some(), vae_dae),
            (
                "--eval-batch-size",
                self.eval_batch_size.is_some(),
                evaluated,
            ),
            // NCF reads it under --protocol heldout only, checked with the protocol.
            (
                "--k",
                self.k.is_some(),
                &[Vae, Dae, Popularity, Ease, ItemKnn, Gmf, Mlp, Neumf],
            ),
            ("--lambda", self.lambda.is_some(), &[Ease]),
            ("--knn-k", self.knn_k.is_some(), &[ItemKnn]),
            ("--shrink", self.shrink.is_some(), &[ItemKnn]),
            // The baselines are fitted in closed form: no epochs, batches, steps or seed.
            ("--epochs", self.epochs.is_some(), trained),
            ("--batch-size", self.batch_size.is_some(), trained),
            ("--lr", self.lr.is_some(), trained),
            ("--seed", self.seed.is_some(), trained),
            (
                "--checkpoint-every",
                self.checkpoint_every.is_some(),
                trained,
            ),
            ("--loss-every", self.loss_every.is_some(), trained),
            ("--tf32", self.tf32, trained),
            ("--protocol", self.ncf.protocol.is_some(), ncf),
            ("--learner", self.ncf.learner.is_some(), ncf),
            // GMF's embeddings; the MLP has only its tower.
            ("--factors", self.ncf.factors.is_some(), &[Gmf, Neumf]),
            ("--layers", self.ncf.layers.is_some(), &[Mlp, Neumf]),
            ("--pretrain", self.ncf.pretrain, &[Neumf]),
            ("--eval", self.ncf.eval.is_some(), ncf),
        ];
        for (flag, given, models) in scoped {
            anyhow::ensure!(
                !given || models.contains(&model),
                "{flag} applies to --model {}, not --model {}",
                models
                    .iter()
                    .map(|m| m.name())
                    .collect::<Vec<_>>()
                    .join("|"),
                model.name()
            );
        }
        for (flag, given) in [
            ("--anneal-cap", self.anneal_cap.is_some()),
            ("--total-anneal-steps", self.total_anneal_steps.is_some()),
        ] {
            anyhow::ensure!(
                !(given && self.beta.is_some()),
                "--beta fixes β, which {flag} would anneal: give one or the other"
            );
        }
        let schedule = self.lr_schedule.unwrap_or(ScheduleArg::Constant);
        anyhow::ensure!(
            self.lr_epochs.is_none() || !matches!(schedule, ScheduleArg::Constant),
            "--lr-epochs applies to --lr-schedule plateau|step, not --lr-schedule constant{}",
            if self.lr_schedule.is_none() {
                " (the default)"
            } else {
                ""
            }
        );
        Ok(())
    }

    fn config(&self, model: ModelKind) -> anyhow::Result<TrainConfig> {
        let mut c = TrainConfig::paper(model);
        if let Some(d) = &self.dims {
            c.dims = d.clone();
        }
        c.dropout = self.dropout.unwrap_or(c.dropout);
        c.l2 = self.l2.unwrap_or(c.l2);
        c.epochs = self.epochs.unwrap_or(c.epochs);
        c.batch_size = self.batch_size.unwrap_or(c.batch_size);
        c.lr = self.lr.unwrap_or(c.lr);
        c.seed = self.seed.unwrap_or(SEED);
        c.anneal = match (self.beta, c.anneal) {
            (Some(b), _) => Anneal::Constant(b),
            (None, Anneal::Linear { cap, total_steps }) => Anneal::Linear {
                cap: self.anneal_cap.unwrap_or(cap),
                total_steps: self.total_anneal_steps.unwrap_or(total_steps),
            },
            (None, constant) => constant,
        };
        c.patience = self.patience;
        let lr_epochs = self.lr_epochs.unwrap_or(10);
        c.lr_schedule = match self.lr_schedule.unwrap_or(ScheduleArg::Constant) {
            ScheduleArg::Constant => LrSchedule::Constant,
            ScheduleArg::Plateau => LrSchedule::Plateau {
                patience: lr_epochs,
            },
            ScheduleArg::Step => LrSchedule::Step { every: lr_epochs },
        };
        c.eval_batch_size = self.eval_batch_size.unwrap_or(c.eval_batch_size);
        if let Some(names) = self.metric_names("the best epoch")? {
            c.metrics = names;
        }
        c.precision = self.precision.map_or(c.precision, Precision::from);
        Ok(c)
    }

    /// `--k` as config.json spells each metric, refused without an NDCG to pick `what` by.
    fn metric_names(&self, what: &str) -> anyhow::Result<Option<Vec<String>>> {
        let Some(k) = &self.k else {
            return Ok(None);
        };
        let names: Vec<String> = k.iter().map(Metric::to_string).collect();
        anyhow::ensure!(
            k.iter().any(|m| m.kind == MetricKind::Ndcg),
            "--k {}: the list needs an ndcg@K to pick {what}",
            names.join(",")
        );
        Ok(Some(names))
    }

    /// `config.json` of a popularity, EASE or ItemKNN run.
    fn baseline_config(&self, model: BaselineKind) -> anyhow::Result<BaselineConfig> {
        let paper = TrainConfig::paper(ModelKind::Vae);
        Ok(BaselineConfig {
            model,
            lambdas: match model {
                BaselineKind::Ease => self.lambda.clone().unwrap_or(vec![LAMBDA]),
                _ => vec![],
            },
            knn_k: match model {
                BaselineKind::ItemKnn => self.knn_k.clone().unwrap_or(vec![KNN_K]),
                _ => vec![],
            },
            shrink: (model == BaselineKind::ItemKnn).then(|| self.shrink.unwrap_or(0.0)),
            eval_batch_size: self.eval_batch_size.unwrap_or(paper.eval_batch_size),
            metrics: self
                .metric_names(if model == BaselineKind::ItemKnn {
                    "k"
                } else {
                    "λ"
                })?
                .unwrap_or(paper.metrics),
        })
    }
}

/// Sets the returned flag on the first SIGINT or SIGTERM, so that training stops after its step
/// with a checkpoint; a second one, finding the flag set, exits at once (status 130) without
/// touching the files.
pub fn stop_on_signals() -> anyhow::Result<Arc<AtomicBool>> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&stop))
            .and_then(|_| signal_hook::flag::register(signal, Arc::clone(&stop)))
            .context("installing the SIGINT/SIGTERM handler")?;
    }
    Ok(stop)
}

/// The model a run folder's config.json names.
fn saved_model(run: &RunDir) -> anyhow::Result<ModelArg> {
    let path = run.config();
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{}", path.display()))?;
    let name = json["model"].as_str().unwrap_or_default();
    ModelArg::from_str(name, true)
        .map_err(|_| anyhow::anyhow!("{}: unknown model {name:?}", path.display()))
}

/// The GEMM precision a run's config.json records (f32 when it records none: a run from before the
/// setting, or an NCF run).
fn saved_precision(run: &RunDir) -> anyhow::Result<Precision> {
    let path = run.config();
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{}", path.display()))?;
    match json.get("precision") {
        None => Ok(Precision::F32),
        Some(v) => serde_json::from_value(v.clone())
            .with_context(|| format!("{}: precision {v}", path.display())),
    }
}

/// `vae train --model popularity|ease|itemknn`: the fit, its validation and test, in the run folder.
fn fit_baseline(a: &TrainArgs, config: BaselineConfig, run: &RunDir) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut console = Console::new();
    let r = match gpu_backend(&a.device, false)? {
        None => baselines::fit(
            &Cpu::<f32>::new(),
            &a.data,
            &config,
            run,
            a.overwrite,
            &mut console,
        ),
        Some(g) => baselines::fit(&g, &a.data, &config, run, a.overwrite, &mut console),
    }?;
    let chosen = match (r.lambda, r.knn_k) {
        (Some(l), _) => format!(" (λ {l})"),
        (_, Some(k)) => format!(" (k {k})"),
        _ => String::new(),
    };
    println!(
        "\n{}{chosen}; test: {}  ({} users, {} without held-out items)",
        a.model.map_or(String::new(), ModelArg::name),
        metrics_text(&r.test),
        r.test_users_evaluated,
        r.test_users_skipped
    );
    println!(
        "fit {:.2}s, {:.1}s in all; results in {}",
        r.fit_seconds,
        started.elapsed().as_secs_f64(),
        run.results().display()
    );
    Ok(())
}

pub fn train_cmd(a: TrainArgs) -> anyhow::Result<()> {
    set_threads(a.threads)?;
    let (run, resume) = match (&a.out, &a.resume) {
        (_, Some(r)) => {
            let run = RunDir::open(r)?;
            let given = a.run_flags_given();
            anyhow::ensure!(
                given.is_empty(),
                "{}: --resume continues the run with the settings of {}; drop {} (only --epochs \
                 may be given, to change the number of epochs)",
                given.join(", "),
                run.config().display(),
                if given.len() == 1 { "it" } else { "them" }
            );
            (run, true)
        }
        (Some(o), None) => (RunDir::new(o)?, false),
        (None, None) => anyhow::bail!("give --out RUN_DIR (or --resume RUN_DIR)"),
    };
    let model_arg = match (resume, a.model) {
        (true, _) => saved_model(&run)?,
        (false, m) => m.unwrap_or(ModelArg::Vae),
    };
    a.refuse_ignored_flags(model_arg)?;
    if resume {
        let what = format!(
            "{}: the run's config.json has precision bf16",
            run.dir.display()
        );
        check_precision(&a.device, saved_precision(&run)?, &what)?;
    } else {
        check_precision(
            &a.device,
            a.precision.map_or(Precision::F32, Precision::from),
            "--precision bf16",
        )?;
    }
    let model = match model_arg {
        ModelArg::Vae => ModelKind::Vae,
        ModelArg::Dae => ModelKind::Dae,
        ModelArg::Popularity | ModelArg::Ease | ModelArg::ItemKnn => {
            anyhow::ensure!(
                !resume,
                "{}: a {} run is fitted in closed form, with nothing to resume; fit it again with \
                 --out {} --overwrite",
                run.dir.display(),
                model_arg.name(),
                run.dir.display()
            );
            let kind = match model_arg {
                ModelArg::Ease => BaselineKind::Ease,
                ModelArg::ItemKnn => BaselineKind::ItemKnn,
                _ => BaselineKind::Popularity,
            };
            return fit_baseline(&a, a.baseline_config(kind)?, &run);
        }
        ncf_model => {
            anyhow::ensure!(
                a.checkpoint_every.is_none(),
                "--checkpoint-every: NCF runs checkpoint at the end of each epoch only"
            );
            anyhow::ensure!(
                a.loss_every.is_none(),
                "--loss-every: NCF runs read their loss every step"
            );
            let kind = match ncf_model {
                ModelArg::Gmf => NcfModelKind::Gmf,
                ModelArg::Mlp => NcfModelKind::Mlp,
                _ => NcfModelKind::Neumf,
            };
            let common = RunFlags {
                epochs: a.epochs,
                batch_size: a.batch_size,
                lr: a.lr.unwrap_or(autograd::optim::AdamConfig::default().lr),
                seed: a.seed.unwrap_or(SEED),
            };
            let protocol = a.ncf.protocol.map_or(Protocol::Implicit, Protocol::from);
            anyhow::ensure!(
                a.ncf.eval.is_none() || protocol == Protocol::Implicit,
                "--eval ranks the held-out item of --protocol implicit, not of --protocol {}",
                if protocol == Protocol::HeldOut {
                    "heldout"
                } else {
                    "explicit"
                }
            );
            let mut config = ncf::config(kind, protocol, &a.ncf, common);
            if let Some(names) = a.metric_names("the best epoch")? {
                anyhow::ensure!(
                    protocol == Protocol::HeldOut,
                    "--k lists the metrics of --protocol heldout; --protocol implicit measures \
                     HR@K and NDCG@K, --protocol explicit RMSE and MAE"
                );
                config.metrics = names;
            }
            let args = NcfArgs {
                config,
                epochs_given: a.epochs.is_some(),
                overwrite: a.overwrite,
            };
            return match gpu_backend(&a.device, a.tf32)? {
                None => ncf::train(&Cpu::<f32>::new(), &a.data, args, &run, resume),
                Some(g) => ncf::train(&g, &a.data, args, &run, resume),
            };
        }
    };
    let started = Instant::now();
    let start = if resume {
        Start::Resume { epochs: a.epochs }
    } else {
        Start::Fresh(a.config(model)?)
    };
    let options = RunOptions {
        checkpoint_every: Some(a.checkpoint_every.unwrap_or(CHECKPOINT_EVERY)),
        stop: Some(stop_on_signals()?),
        loss_every: a.loss_every,
        overwrite: a.overwrite,
    };
    let mut console = Console::new();
    let trained = match gpu_backend(&a.device, a.tf32)? {
        None => train::train(
            &Cpu::<f32>::new(),
            &a.data,
            start,
            &run,
            &options,
            &mut console,
        ),
        Some(g) => train::train(&g, &a.data, start, &run, &options, &mut console),
    };
    let results = match trained {
        Err(TrainError::Interrupted { .. }) => {
            let e = trained.err().map(|e| e.to_string()).unwrap_or_default();
            anyhow::bail!(
                "{e}\nresume with: vae train --data {} --resume {}",
                a.data.display(),
                run.dir.display()
            )
        }
        other => other?,
    };
    // Mult-DAE's loss has no KL term for a β to weigh.
    let beta = match model {
        ModelKind::Vae => format!(" (β {:.4})", results.beta_at_best),
        ModelKind::Dae => String::new(),
    };
    println!(
        "\nbest epoch {}{beta}; test: {}  ({} users, {} without held-out items)",
        results.best_epoch,
        metrics_text(&results.test),
        results.test_users_evaluated,
        results.test_users_skipped
    );
    println!(
        "{:.1}s; results in {}, plots {} and {}",
        started.elapsed().as_secs_f64(),
        run.results().display(),
        run.path("beta_ndcg.png").display(),
        run.path("loss.png").display()
    );
    Ok(())
}
