//! Training as a user relies on it: a run folder with every file, resuming is bit-identical to
//! running straight through, a NaN stops with the step named, and a wrong data folder is refused.

use autograd::Cpu;
use std::path::{Path, PathBuf};
use vae::data::{pro_sg, synth, SynthConfig};
use vae::models::Anneal;
use vae::train::{self, ModelKind, Quiet, RunDir, TrainConfig, TrainError};

fn tiny_data(dir: &Path, items: usize) -> PathBuf {
    let out = dir.join(format!("synth-{items}"));
    let split = synth(&SynthConfig {
        users: 260,
        heldout_users: 30,
        items,
        mean_clicks: 12.0,
        seed: 5,
        ..SynthConfig::default()
    })
    .unwrap();
    pro_sg::write(&out, &split).unwrap();
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
        tiny_config(ModelKind::Vae, 3),
        &run,
        false,
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
    assert_eq!(run.records(usize::MAX).unwrap().len(), 3);
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
fn four_epochs_straight_equal_two_then_resume_then_two_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_data(dir.path(), 60);
    for model in [ModelKind::Vae, ModelKind::Dae] {
        let straight = RunDir::new(dir.path().join(format!("{model:?}-straight"))).unwrap();
        train::train(
            &Cpu::<f32>::new(),
            &data,
            tiny_config(model, 4),
            &straight,
            false,
            &mut Quiet,
        )
        .unwrap();
        let resumed = RunDir::new(dir.path().join(format!("{model:?}-resumed"))).unwrap();
        train::train(
            &Cpu::<f32>::new(),
            &data,
            tiny_config(model, 2),
            &resumed,
            false,
            &mut Quiet,
        )
        .unwrap();
        train::train(
            &Cpu::<f32>::new(),
            &data,
            tiny_config(model, 4),
            &resumed,
            true,
            &mut Quiet,
        )
        .unwrap();
        assert_eq!(weights(&straight), weights(&resumed), "{model:?}");
        let epochs: Vec<usize> = resumed
            .records(usize::MAX)
            .unwrap()
            .iter()
            .map(|r| r.epoch)
            .collect();
        assert_eq!(epochs, [0, 1, 2, 3]);
    }
}

#[test]
fn a_nan_loss_stops_training_naming_epoch_and_step() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_data(dir.path(), 60);
    let run = RunDir::new(dir.path().join("run")).unwrap();
    // A step this large puts weights near f32's maximum, so the next logits overflow to ±∞.
    let config = TrainConfig {
        lr: 1e38,
        ..tiny_config(ModelKind::Dae, 5)
    };
    let err = train::train(&Cpu::<f32>::new(), &data, config, &run, false, &mut Quiet).unwrap_err();
    match &err {
        TrainError::NonFinite { epoch, step, .. } => assert!(*epoch < 5 && *step < 4),
        other => panic!("expected a non-finite loss, got {other}"),
    }
    assert!(
        err.to_string().contains("training stopped: the loss is"),
        "{err}"
    );
}

#[test]
fn resuming_on_a_data_folder_with_another_item_count_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let run = RunDir::new(dir.path().join("run")).unwrap();
    train::train(
        &Cpu::<f32>::new(),
        &tiny_data(dir.path(), 60),
        tiny_config(ModelKind::Dae, 1),
        &run,
        false,
        &mut Quiet,
    )
    .unwrap();
    let err = train::train(
        &Cpu::<f32>::new(),
        &tiny_data(dir.path(), 70),
        tiny_config(ModelKind::Dae, 2),
        &run,
        true,
        &mut Quiet,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("cannot resume") && err.contains("encoder.0.weight"),
        "{err}"
    );
}
