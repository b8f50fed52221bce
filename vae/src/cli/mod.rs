//! Command-line interface: one subcommand group per concern, each in its own module.

mod bench;
mod data;
mod inspect;
mod ncf;
mod train;

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
    Eval(train::EvalArgs),
    /// Recommend items for a new user given the raw ids of items they clicked.
    Recommend(train::RecommendArgs),
    /// Fetch ML-100k, split it as the paper does, train Mult-VAE and print the test metrics.
    Quickstart(train::QuickstartArgs),
    /// Time training and evaluation at a data set's shape (ML-20M's by default) against the GEMM floor.
    Bench(bench::BenchArgs),
    /// Record one training step of a tiny model and draw its tape as DOT and SVG.
    Graph(inspect::GraphArgs),
    /// Check every parameter gradient of a tiny model's full loss against finite differences.
    Gradcheck(inspect::TinyArgs),
}

impl Cli {
    /// Runs the chosen command.
    pub fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Data(args) => data::run(args),
            Command::Train(args) => train::train_cmd(*args),
            Command::Eval(args) => train::eval_cmd(args),
            Command::Recommend(args) => train::recommend_cmd(args),
            Command::Quickstart(args) => train::quickstart_cmd(args),
            Command::Bench(args) => bench::bench_cmd(args),
            Command::Graph(args) => inspect::graph(args),
            Command::Gradcheck(args) => inspect::gradcheck(args),
        }
    }
}
