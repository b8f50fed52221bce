//! `vae graph`: one training step of a tiny model made visible, its tape drawn as DOT and SVG.

use std::path::PathBuf;

use anyhow::Context;
use autograd::{Cpu, Tape};
use clap::Args;

use super::tiny::TinyArgs;

#[derive(Debug, Args)]
pub struct GraphArgs {
    #[command(flatten)]
    tiny: TinyArgs,
    /// Folder for graph.dot and graph.svg.
    #[arg(long, default_value = "graph")]
    out: PathBuf,
    /// Add the VJP node of every op.
    #[arg(long)]
    backward: bool,
}

pub fn graph(a: GraphArgs) -> anyhow::Result<()> {
    let model = a.tiny.model()?;
    let x = a.tiny.clicks()?;
    let tape = Tape::new(&Cpu::new());
    let loss = model.loss(&tape, &x, a.tiny.context())?;
    let drawing = autograd::graph::Drawing {
        backward: a.backward,
        ..Default::default()
    };
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let dot = a.out.join("graph.dot");
    let svg = a.out.join("graph.svg");
    std::fs::write(&dot, autograd::graph::to_dot(&tape, &loss.total, &drawing))
        .with_context(|| format!("writing {}", dot.display()))?;
    std::fs::write(&svg, autograd::graph::to_svg(&tape, &loss.total, &drawing))
        .with_context(|| format!("writing {}", svg.display()))?;
    println!(
        "{} nodes recorded; wrote {} and {}",
        tape.len(),
        dot.display(),
        svg.display()
    );
    Ok(())
}
