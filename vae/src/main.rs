//! The `vae` binary: `vae data ...` now; training and evaluation commands join `Command` beside it.

mod cli;

use clap::Parser;

fn main() -> anyhow::Result<()> {
    cli::Cli::parse().run()
}
