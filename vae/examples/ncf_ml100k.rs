//! Trains one NCF configuration on MovieLens-100k and prints each epoch and the final metrics beside
//! the baselines: the figures of docs/results-ncf.md.
//!
//! `cargo run --release -p vae --example ncf_ml100k -- MODEL PROTOCOL [EPOCHS] [pretrain] [sgd]
//! [seed=N]` with MODEL `gmf|mlp|neumf`, PROTOCOL `implicit|explicit`, e.g.
//! `-- neumf implicit 20 pretrain sgd seed=1`.
//! The data is `.cache/ml-100k/ml-100k.inter` (run `vae data fetch ml-100k --out .cache/ml-100k`).

use std::path::Path;

use vae::data::{load, Format, LoadOptions};
use vae::ncf::{
    train_ncf, Learner, NcfConfig, NcfEpoch, NcfModelKind, NcfObserver, NcfTrainer, Protocol,
};

struct Print;

impl<B: autograd::Backend> NcfObserver<B> for Print {
    fn epoch(
        &mut self,
        model: &str,
        r: &NcfEpoch,
        _: &NcfTrainer<'_, B>,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let metrics: Vec<String> = r
            .metrics
            .iter()
            .map(|(k, v)| format!("{k} {v:.4}"))
            .collect();
        println!(
            "{model} epoch {:>2}: loss {:.4}  {}  [{:.1} s]",
            r.epoch,
            r.train_loss,
            metrics.join("  "),
            r.seconds
        );
        Ok(())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage =
        "usage: ncf_ml100k gmf|mlp|neumf implicit|explicit [EPOCHS] [pretrain] [sgd] [seed=N]";
    let model = match args.first().map(String::as_str) {
        Some("gmf") => NcfModelKind::Gmf,
        Some("mlp") => NcfModelKind::Mlp,
        Some("neumf") => NcfModelKind::Neumf,
        _ => return Err(usage.into()),
    };
    let protocol = match args.get(1).map(String::as_str) {
        Some("implicit") => Protocol::Implicit,
        Some("explicit") => Protocol::Explicit,
        _ => return Err(usage.into()),
    };
    let mut config = NcfConfig::paper(model, protocol);
    if let Some(e) = args.get(2) {
        config.epochs = e.parse().map_err(|_| usage)?;
    }
    config.pretrain = args.iter().any(|a| a == "pretrain");
    if args.iter().any(|a| a == "sgd") {
        config.learner = Learner::Sgd;
    }
    if let Some(seed) = args.iter().find_map(|a| a.strip_prefix("seed=")) {
        config.seed = seed.parse().map_err(|_| usage)?;
    }
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.cache/ml-100k/ml-100k.inter");
    let ratings = load(&data, &Format::Auto, &LoadOptions::default())?;
    let start = std::time::Instant::now();
    let run = train_ncf(&autograd::Cpu::<f32>::new(), &config, &ratings, &mut Print)?;
    println!("config {}", serde_json::to_string(&config)?);
    for (k, v) in &run.metrics {
        println!("final {k} {v:.4}");
    }
    println!("total {:.1} s", start.elapsed().as_secs_f64());
    Ok(())
}
