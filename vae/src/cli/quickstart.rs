//! `vae quickstart`: fetch ML-100k, split it as the paper does, train Mult-VAE, print the test metrics.

use std::path::{Path, PathBuf};
use std::time::Instant;

use autograd::Cpu;
use clap::Args;
use vae::data::{self, fetch};
use vae::train::{self, ModelKind, RunDir, RunOptions, Start, TrainConfig};

use super::common::{metrics_text, Console};

#[derive(Debug, Args)]
pub struct QuickstartArgs {
    /// Where the data goes.
    #[arg(long, default_value = "data/ml-100k")]
    data: PathBuf,
    /// Where the run goes.
    #[arg(long, default_value = "runs/quickstart")]
    out: PathBuf,
    #[arg(long, default_value_t = 200)]
    epochs: usize,
    /// Replace the run already in --out (a second quickstart); without it that run is kept and
    /// the command refused.
    #[arg(long)]
    overwrite: bool,
}

pub fn quickstart_cmd(a: QuickstartArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let inter = fetch::fetch_ml100k(&a.data, None)?;
    println!("MovieLens-100k: {}", inter.display());
    let split_dir = a.data.join("pro_sg");
    prepare_ml100k(&inter, &split_dir)?;
    println!(
        "split (the paper's protocol, 10% held-out users): {}",
        split_dir.display()
    );
    let run = RunDir::new(&a.out)?;
    let mut config = TrainConfig::paper(ModelKind::Vae);
    config.epochs = a.epochs;
    let results = train::train(
        &Cpu::<f32>::new(),
        &split_dir,
        Start::Fresh(config),
        &run,
        &RunOptions {
            overwrite: a.overwrite,
            ..RunOptions::default()
        },
        &mut Console::new(),
    )?;
    println!(
        "\nMult-VAE on ML-100k: best epoch {}; test {}",
        results.best_epoch,
        metrics_text(&results.test)
    );
    println!(
        "done in {:.1}s. Run folder: {} (results.json, metrics.jsonl, beta_ndcg.png/svg, loss.png/svg)",
        started.elapsed().as_secs_f64(),
        run.dir.display()
    );
    Ok(())
}

/// `vae data prepare --heldout-frac 0.1` on the fetched file.
fn prepare_ml100k(inter: &Path, out: &Path) -> anyhow::Result<()> {
    let ratings = data::load(inter, &data::Format::Auto, &data::LoadOptions::default())?;
    let config = data::SplitConfig {
        heldout: data::Heldout::Fraction(0.1),
        ..data::SplitConfig::default()
    };
    let split = data::split(&ratings, &config)?;
    data::pro_sg::write(
        out,
        &split,
        &data::SplitStats::vae_cf(&split, &config, None),
    )?;
    Ok(())
}
