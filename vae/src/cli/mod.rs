//! Command-line interface: one file per command (`train.rs` hands NCF models to `ncf.rs`; `graph.rs`
//! and `gradcheck.rs` share their tiny model, `tiny.rs`), what the commands share in `common.rs`,
//! and the library's configuration enums as command-line values in `values.rs`, so that clap stays
//! in this folder.

mod bench;
mod bench_ease;
mod common;
mod compare;
mod data;
mod eval;
mod gradcheck;
mod graph;
mod ncf;
mod quickstart;
mod recommend;
mod step;
mod sweep;
mod tiny;
mod train;
mod values;

use clap::{Parser, Subcommand};

/// Mult-VAE for collaborative filtering (Liang et al., WWW 2018).
#[derive(Debug, Parser)]
#[command(name = "vae", version)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Fetch, prepare, inspect or synthesise click data.
    Data(data::DataArgs),
    /// Train Mult-VAE or Mult-DAE on a pro_sg folder and evaluate the best epoch on the test split.
    Train(Box<train::TrainArgs>),
    /// Evaluate a trained run on a split.
    Eval(eval::EvalArgs),
    /// Compare runs (or groups of seeds) user by user: mean difference, paired t and Wilcoxon tests.
    Compare(compare::CompareArgs),
    /// Recommend items for a new user given the raw ids of items they clicked.
    Recommend(recommend::RecommendArgs),
    /// Fetch ML-100k, split it as the paper does, train Mult-VAE and print the test metrics.
    Quickstart(quickstart::QuickstartArgs),
    /// Time training and evaluation at a data set's shape (ML-20M's by default) against the GEMM floor.
    Bench(bench::BenchArgs),
    /// Record one training step of a tiny model and draw its tape as DOT and SVG.
    Graph(graph::GraphArgs),
    /// Check every parameter gradient of a tiny model's full loss against finite differences.
    Gradcheck(tiny::TinyArgs),
    /// One training step in the open: every value under its symbol, every gradient, an Adam update.
    Step(Box<step::StepArgs>),
    /// Train a grid of Mult-VAE/DAE runs (one folder each), then tabulate and plot them.
    Sweep(Box<sweep::SweepArgs>),
}

impl Cli {
    /// Runs the chosen command.
    pub fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Data(args) => data::run(args),
            Command::Train(args) => train::train_cmd(*args),
            Command::Eval(args) => eval::eval_cmd(args),
            Command::Compare(args) => compare::compare_cmd(args),
            Command::Recommend(args) => recommend::recommend_cmd(args),
            Command::Quickstart(args) => quickstart::quickstart_cmd(args),
            Command::Bench(args) => bench::bench_cmd(args),
            Command::Graph(args) => graph::graph(args),
            Command::Gradcheck(args) => gradcheck::gradcheck(args),
            Command::Step(args) => step::step(*args),
            Command::Sweep(args) => sweep::sweep_cmd(*args),
        }
    }
}
