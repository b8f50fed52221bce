//! Training as a user relies on it: a run folder with every file, a run stopped anywhere and resumed
//! writes the same bytes as one run straight through, a NaN stops with the step named, and a wrong
//! data folder is refused.

use autograd::Cpu;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use vae::data::{pro_sg, synth, SynthConfig};
use vae::train::{
    self, ModelKind, Progress, Quiet, RunDir, RunOptions, Start, TrainConfig, TrainError,
};
use vae::vae_cf::Anneal;

fn tiny_data(dir: &Path, items: usize) -> PathBuf {
    let out = dir.join(format!("synth-{items}"));
    let config = SynthConfig {
        users: 260,
        heldout_users: 30,
        items,
        mean_clicks: 12.0,
        seed: 5,
        ..SynthConfig::default()
    };
    let split = synth(&config).unwrap();
    let stats = vae::data::SplitStats::synthetic(&split, &config, None);
    pro_sg::write(&out, &split, &stats).unwrap();
    out
}

fn tiny_config(model: ModelKind, epochs: usize) -> TrainConfig {
    TrainConfig {
        dims: vec![16, 8],
        epochs,
        batch_size: 64,
        eval_batch_size: 20,
        anneal: Anneal::Linear {
            cap: 0.2,
            total_steps: 20,
        },
        ..TrainConfig::paper(model)
    }
}

fn weights(run: &RunDir) -> Vec<(String, Vec<u32>)> {
    let ck = vae::checkpoint::load(&run.last()).unwrap();
    ck.tensors
        .into_values()
        .map(|t| (t.name, t.data.iter().map(|v| v.to_bits()).collect()))
        .collect()
}

#[test]
fn a_run_writes_config_metrics_checkpoints_results_and_plots() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_data(dir.path(), 60);
    let run = RunDir::new(dir.path().join("run")).unwrap();
    let results = train::train(
        &Cpu::<f32>::new(),
        &data,
        Start::Fresh(tiny_config(ModelKind::Vae, 3)),
        &run,
        &RunOptions::default(),
        &mut Quiet,
    )
    .unwrap();
    for f in [
        "config.json",
        "metrics.jsonl",
        "best.safetensors",
        "last.safetensors",
        "results.json",
        "items.txt",
    ] {
        assert!(run.path(f).exists(), "{f} missing");
    }
    for f in ["beta_ndcg.png", "beta_ndcg.svg", "loss.png", "loss.svg"] {
        assert!(run.path(f).exists(), "plot {f} missing");
    }
    assert_eq!(run.records().unwrap().len(), 3);
    assert!(results.best_epoch < 3);
    for k in ["ndcg@100", "recall@20", "recall@50"] {
        let v = results.test[k];
        assert!((0.0..=1.0).contains(&v), "{k} = {v}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.results()).unwrap()).unwrap();
    assert!(json["test"]["ndcg@100"].is_number() && json["validation"]["recall@20"].is_number());
}

#[test]
fn test_users_csv_holds_each_test_user_and_averages_to_the_reported_test_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_data(dir.path(), 60);
    let run = RunDir::new(dir.path().join("run")).unwrap();
    let mut config = tiny_config(ModelKind::Dae, 2);
    config.metrics = vec!["ndcg@10".into(), "mrr@5".into(), "coverage@10".into()];
    let results = train::train(
        &Cpu::<f32>::new(),
        &data,
        Start::Fresh(config),
        &run,
        &RunOptions::default(),
        &mut Quiet,
    )
    .unwrap();
    let users = run.read_test_users().unwrap();
    // Coverage is one number of the whole list, not a user's.
    assert_eq!(users.metrics, ["ndcg@10", "mrr@5"]);
    assert_eq!(users.uids.len(), results.test_users_evaluated);
    let dataset = vae::data::Dataset::load(&data).unwrap();
    let first = dataset.test.first_uid;
    let expected: Vec<u32> = (0..dataset.test.heldout.rows())
        .filter(|&r| !dataset.test.heldout.row(r).0.is_empty())
        .map(|r| first + r as u32)
        .collect();
    assert_eq!(users.uids, expected);
    for m in &users.metrics {
        let column = users.column(m).unwrap();
        let mean = column.iter().sum::<f64>() / column.len() as f64;
        assert!(
            (mean - results.test[m]).abs() < 1e-12,
            "{m}: {mean} against {}",
            results.test[m]
        );
    }
    assert!(users.column("ndcg@10").unwrap().iter().any(|&v| v > 0.0));
}

/// Sets the stop flag after the `at`-th step of the run, as the SIGINT handler of `vae train` does.
struct StopAfter {
    at: usize,
    steps: usize,
    flag: Arc<AtomicBool>,
}

impl Progress for StopAfter {
    fn step(&mut self, _: usize, _: usize, _: f64) {
        self.steps += 1;
        if self.steps == self.at {
            self.flag.store(true, Ordering::SeqCst);
        }
    }
}

/// Every file of a run folder but the timings, which are all that may differ between two runs.
fn folder_bytes(run: &RunDir) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(&run.dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != "timings.jsonl")
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

fn fresh(data: &Path, config: TrainConfig, run: &RunDir) {
    train::train(
        &Cpu::<f32>::new(),
        data,
        Start::Fresh(config),
        run,
        &RunOptions::default(),
        &mut Quiet,
    )
    .unwrap();
}

/// `vae train --resume RUN [--epochs N]` on the CPU, quietly.
fn resume(data: &Path, epochs: Option<usize>, run: &RunDir) -> train::Result<train::Results> {
    train::train(
        &Cpu::<f32>::new(),
        data,
        Start::Resume { epochs },
        run,
        &RunOptions::default(),
        &mut Quiet,
    )
}

/// Both run folders hold the same files with the same bytes (`timings.jsonl` aside).
fn assert_same_folder(expected: &RunDir, got: &RunDir, what: &str) {
    let (want, got) = (folder_bytes(expected), folder_bytes(got));
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &want {
        assert!(&got[name] == bytes, "{what}{name} differs");
    }
}

#[test]
fn a_run_stopped_mid_epoch_or_before_validation_resumes_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_data(dir.path(), 60);
    for model in [ModelKind::Vae, ModelKind::Dae] {
        let straight = RunDir::new(dir.path().join(format!("{model:?}-straight"))).unwrap();
        fresh(&data, tiny_config(model, 4), &straight);
        let expected = folder_bytes(&straight);
        assert!(
            expected.contains_key("last.safetensors") && expected.contains_key("metrics.jsonl")
        );
        // 200 training users in batches of 64: 4 steps an epoch. Step 6 is within epoch 1, step 8
        // its last (the resume starts with its validation), step 1 the run's first.
        for at in [6, 8, 1] {
            let run = RunDir::new(dir.path().join(format!("{model:?}-stop-{at}"))).unwrap();
            let stop = Arc::new(AtomicBool::new(false));
            let options = RunOptions {
                checkpoint_every: Some(3),
                stop: Some(Arc::clone(&stop)),
                ..RunOptions::default()
            };
            let err = train::train(
                &Cpu::<f32>::new(),
                &data,
                Start::Fresh(tiny_config(model, 4)),
                &run,
                &options,
                &mut StopAfter {
                    at,
                    steps: 0,
                    flag: stop,
                },
            )
            .unwrap_err();
            match err {
                TrainError::Interrupted { epoch, step, .. } => {
                    assert_eq!(epoch * 4 + step, at, "{model:?}")
                }
                other => panic!("expected an interruption, got {other}"),
            }
            resume(&data, None, &run).unwrap();
            assert_same_folder(
                &straight,
                &run,
                &format!("{model:?}, stopped after step {at}: "),
            );
        }
    }
}

#[test]
fn each_epoch_logs_its_nll_and_kl_and_they_add_up_to_its_loss() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_data(dir.path(), 60);
    let vae = RunDir::new(dir.path().join("vae")).unwrap();
    fresh(&data, tiny_config(ModelKind::Vae, 3), &vae);
    for r in vae.records().unwrap() {
        let (nll, kl, beta_kl) = (r.nll.unwrap(), r.kl.unwrap(), r.beta_kl.unwrap());
        // Means of f32 step losses: equal up to their rounding.
        assert!(
            (r.train_loss - (nll + beta_kl)).abs() <= 1e-5 * r.train_loss,
            "epoch {}: {} ≠ {nll} + {beta_kl}",
            r.epoch,
            r.train_loss
        );
        // Each step's β is at most the epoch's last (β rises with annealing) and a KL is ≥ 0, so
        // Σ β_s·KL_s ≤ β_last·Σ KL_s: equal once β is at its cap (from update 4 here), well below
        // in epoch 0, whose β are 0, 0.05, 0.1, 0.15.
        assert!(kl > 0.0 && beta_kl <= r.beta * kl * (1.0 + 1e-12), "{r:?}");
        if r.epoch == 0 {
            assert!(beta_kl < 0.8 * r.beta * kl, "{r:?}");
        }
    }
    let dae = RunDir::new(dir.path().join("dae")).unwrap();
    fresh(
        &data,
        TrainConfig {
            l2: 0.01,
            ..tiny_config(ModelKind::Dae, 2)
        },
        &dae,
    );
    let text = std::fs::read_to_string(dae.metrics()).unwrap();
    assert!(
        !text.contains("\"kl\"") && !text.contains("beta_kl"),
        "{text}"
    );
    for r in dae.records().unwrap() {
        // Mult-DAE's loss is its NLL and the weights' penalty λ·Σ‖W‖².
        assert!(r.nll.unwrap() < r.train_loss, "{r:?}");
    }
}

#[test]
fn extending_a_finished_run_appends_to_its_log_and_equals_the_longer_run() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_data(dir.path(), 60);
    let straight = RunDir::new(dir.path().join("straight")).unwrap();
    fresh(&data, tiny_config(ModelKind::Vae, 4), &straight);
    let extended = RunDir::new(dir.path().join("extended")).unwrap();
    fresh(&data, tiny_config(ModelKind::Vae, 2), &extended);
    let two_epochs = std::fs::read(extended.metrics()).unwrap();
    resume(&data, Some(4), &extended).unwrap();
    assert_eq!(weights(&straight), weights(&extended));
    let four_epochs = std::fs::read(extended.metrics()).unwrap();
    assert!(
        four_epochs.starts_with(&two_epochs),
        "the first two lines were rewritten"
    );
    assert_eq!(four_epochs, std::fs::read(straight.metrics()).unwrap());
    assert_eq!(extended.read_config().unwrap().epochs, 4);
    let epochs: Vec<usize> = extended
        .records()
        .unwrap()
        .iter()
        .map(|r| r.epoch)
        .collect();
    assert_eq!(epochs, [0, 1, 2, 3]);
}

#[test]
fn a_resume_without_epochs_goes_to_the_runs_own_epoch_count() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_data(dir.path(), 60);
    let run = RunDir::new(dir.path().join("run")).unwrap();
    fresh(&data, tiny_config(ModelKind::Dae, 2), &run);
    let results = resume(&data, None, &run).unwrap();
    assert!(results.best_epoch < 2);
    assert_eq!(run.records().unwrap().len(), 2);
}

/// A step this large puts weights near f32's maximum, so the next logits overflow to ±∞.
fn diverging_config() -> TrainConfig {
    TrainConfig {
        lr: 1e38,
        ..tiny_config(ModelKind::Dae, 5)
    }
}

#[test]
fn a_nan_loss_stops_training_naming_epoch_and_step() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_data(dir.path(), 60);
    let run = RunDir::new(dir.path().join("run")).unwrap();
    let config = diverging_config();
    let err = train::train(
        &Cpu::<f32>::new(),
        &data,
        Start::Fresh(config),
        &run,
        &RunOptions::default(),
        &mut Quiet,
    )
    .unwrap_err();
    match &err {
        TrainError::NonFinite { epoch, step, .. } => assert!(*epoch < 5 && *step < 4),
        other => panic!("expected a non-finite loss, got {other}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("training stopped: the loss is")
            && text.ends_with("no checkpoint had been written yet"),
        "{text}"
    );
}

#[test]
fn resuming_on_a_data_folder_with_another_item_count_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let run = RunDir::new(dir.path().join("run")).unwrap();
    fresh(
        &tiny_data(dir.path(), 60),
        tiny_config(ModelKind::Dae, 1),
        &run,
    );
    let err = resume(&tiny_data(dir.path(), 70), Some(2), &run)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("synth-70/unique_sid.txt: not the data the run was trained on"),
        "{err}"
    );
}

struct DiskFullFromTheFirstStep {
    tmp: PathBuf,
}

impl Progress for DiskFullFromTheFirstStep {
    fn step(&mut self, _: usize, _: usize, _: f64) {
        if !self.tmp.is_symlink() {
            std::os::unix::fs::symlink("/dev/full", &self.tmp).unwrap();
        }
    }
}

#[test]
fn a_full_disk_stops_the_run_naming_the_file_and_the_last_checkpoint_survives() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_data(dir.path(), 60);
    let straight = RunDir::new(dir.path().join("straight")).unwrap();
    fresh(&data, tiny_config(ModelKind::Dae, 3), &straight);
    let run = RunDir::new(dir.path().join("run")).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = train::train(
        &Cpu::<f32>::new(),
        &data,
        Start::Fresh(tiny_config(ModelKind::Dae, 3)),
        &run,
        &RunOptions {
            checkpoint_every: None,
            stop: Some(Arc::clone(&stop)),
            ..RunOptions::default()
        },
        &mut StopAfter {
            at: 6,
            steps: 0,
            flag: stop,
        },
    );
    assert!(matches!(stopped, Err(TrainError::Interrupted { .. })));
    let before = std::fs::read(run.last()).unwrap();

    // The next last.safetensors is written through this name, and /dev/full fails every write
    // with ENOSPC, as a full disk does. (Made once training runs: a resume first clears such
    // leftovers.)
    let tmp = run.path(&format!(".last.safetensors.tmp-{}", std::process::id()));
    let err = train::train(
        &Cpu::<f32>::new(),
        &data,
        Start::Resume { epochs: None },
        &run,
        &RunOptions::default(),
        &mut DiskFullFromTheFirstStep { tmp: tmp.clone() },
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(&tmp.display().to_string()) && err.contains("No space left on device"),
        "{err}"
    );
    assert_eq!(std::fs::read(run.last()).unwrap(), before);
    assert!(
        !tmp.exists(),
        "the failed write's temporary file is left behind"
    );

    // With space again, the run goes on from that checkpoint as if nothing had happened.
    resume(&data, None, &run).unwrap();
    assert_same_folder(&straight, &run, "");
}

/// `train::train` with the given loss-read interval and a checkpoint every 2 updates, quietly.
fn fresh_reading_every<B: autograd::Backend<Elem = f32>>(
    backend: &B,
    data: &Path,
    config: TrainConfig,
    run: &RunDir,
    loss_every: Option<usize>,
) -> train::Result<train::Results> {
    let options = RunOptions {
        checkpoint_every: Some(2),
        loss_every,
        ..RunOptions::default()
    };
    train::train(
        backend,
        data,
        Start::Fresh(config),
        run,
        &options,
        &mut Quiet,
    )
}

#[test]
fn reading_the_loss_every_step_or_only_at_checkpoints_gives_the_same_run() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_data(dir.path(), 60);
    for model in [ModelKind::Vae, ModelKind::Dae] {
        let every_step = RunDir::new(dir.path().join(format!("{model:?}-1"))).unwrap();
        fresh_reading_every(
            &Cpu::<f32>::new(),
            &data,
            tiny_config(model, 3),
            &every_step,
            Some(1),
        )
        .unwrap();
        for n in [0, 3] {
            let run = RunDir::new(dir.path().join(format!("{model:?}-{n}"))).unwrap();
            fresh_reading_every(
                &Cpu::<f32>::new(),
                &data,
                tiny_config(model, 3),
                &run,
                Some(n),
            )
            .unwrap();
            assert_same_folder(
                &every_step,
                &run,
                &format!("{model:?}, loss read every {n}: "),
            );
        }
    }
}

/// The GPU code path end to end (the simulated device where there is no GPU): its default reads the
/// loss only at checkpoints and epoch ends, and gives the run that reading it every step gives.
#[test]
fn a_run_on_the_gpu_path_reads_its_loss_without_a_sync_per_step_to_the_same_run() {
    let Ok(g) = gpu::Cuda::new(0).or_else(|_| gpu::Cuda::simulated()) else {
        panic!("neither a GPU nor the simulated device (g++) is available");
    };
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_data(dir.path(), 60);
    let every_step = RunDir::new(dir.path().join("1")).unwrap();
    fresh_reading_every(
        &g,
        &data,
        tiny_config(ModelKind::Vae, 2),
        &every_step,
        Some(1),
    )
    .unwrap();
    let deferred = RunDir::new(dir.path().join("default")).unwrap();
    fresh_reading_every(&g, &data, tiny_config(ModelKind::Vae, 2), &deferred, None).unwrap();
    assert_same_folder(&every_step, &deferred, &format!("{}: ", g.description()));
}

#[test]
fn a_nan_found_at_a_deferred_read_names_its_step() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_data(dir.path(), 60);
    let run = RunDir::new(dir.path().join("run")).unwrap();
    let config = diverging_config();
    let err = fresh_reading_every(&Cpu::<f32>::new(), &data, config, &run, Some(0)).unwrap_err();
    match &err {
        TrainError::NonFinite { epoch, step, .. } => assert!(*epoch < 5 && *step < 4),
        other => panic!("expected a non-finite loss, got {other}"),
    }
    let text = err.to_string();
    assert!(text.contains("training stopped: the loss is"), "{text}");
}

#[test]
fn list_metrics_do_not_depend_on_the_evaluation_batch_size_and_need_the_splits_popularity() {
    let dir = tempfile::tempdir().unwrap();
    let data = vae::data::Dataset::load(&tiny_data(dir.path(), 50)).unwrap();
    let config = TrainConfig {
        metrics: ["ndcg@10", "mrr@5", "coverage@5", "gini@5", "avgpop@5"]
            .map(String::from)
            .to_vec(),
        ..tiny_config(ModelKind::Dae, 1)
    };
    let t = train::Trainer::new(&Cpu::<f32>::new(), data.n_items, config).unwrap();
    let popularity = vae::metrics::item_popularity(&data.train);
    let at = |batch_size: usize| {
        train::evaluate(
            t.model.as_ref(),
            &data.test,
            &popularity,
            t.evaluator(),
            batch_size,
        )
        .unwrap()
    };
    let (one_batch, small_batches) = (at(1000), at(7));
    for name in ["coverage@5", "gini@5"] {
        assert_eq!(
            one_batch.metrics[name], small_batches.metrics[name],
            "{name}"
        );
    }
    let (a, b) = (
        one_batch.metrics["avgpop@5"],
        small_batches.metrics["avgpop@5"],
    );
    assert!((a - b).abs() <= 1e-12 * a, "{a} vs {b}");
    assert!(a > 0.0 && one_batch.metrics["coverage@5"] > 0.0);

    let err = train::evaluate(
        t.model.as_ref(),
        &data.test,
        &popularity[1..],
        t.evaluator(),
        7,
    )
    .unwrap_err();
    let said = format!("popularity of {} items", data.n_items - 1);
    assert!(err.to_string().contains(&said), "{err}");
}
