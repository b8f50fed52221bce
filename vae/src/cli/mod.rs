//! Command-line interface: one subcommand group per concern, each in its own module.

mod data;
mod inspect;

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
            Command::Graph(args) => inspect::graph(args),
            Command::Gradcheck(args) => inspect::gradcheck(args),
        }
    }
}
