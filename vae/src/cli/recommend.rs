//! `vae recommend`: the top items for a new user, from the raw ids of items they clicked.

use std::path::PathBuf;

use anyhow::Context;
use autograd::CsrMatrix;
use clap::Args;
use vae::train::RunDir;

use super::common::load_run;

#[derive(Debug, Args)]
pub struct RecommendArgs {
    /// A run folder written by `vae train`.
    #[arg(long)]
    checkpoint: PathBuf,
    /// The new user's items, raw ids as in the rating file.
    #[arg(long, value_delimiter = ',', required = true)]
    items: Vec<String>,
    #[arg(long, default_value_t = 10)]
    top: usize,
}

pub fn recommend_cmd(a: RecommendArgs) -> anyhow::Result<()> {
    let run = RunDir::open(&a.checkpoint)?;
    let path = run.path("items.txt");
    let items: Vec<String> = std::fs::read_to_string(&path)
        .with_context(|| format!("reading {}", path.display()))?
        .lines()
        .map(str::to_string)
        .collect();
    let mut cols = Vec::new();
    for id in &a.items {
        let col = items.iter().position(|s| s == id).with_context(|| {
            format!(
                "--items: {id} is not an item of this model ({})",
                path.display()
            )
        })?;
        cols.push((0, col, 1.0f32));
    }
    let t = load_run(&run, items.len())?;
    let fold_in = CsrMatrix::from_triplets(1, items.len(), &cols)?;
    let mut scores = t.model.scores(&fold_in)?.to_vec()?;
    for &(_, c, _) in &cols {
        scores[c] = f32::NEG_INFINITY;
    }
    for (rank, col) in vae::metrics::top_k(&scores, a.top.min(items.len() - cols.len()))
        .into_iter()
        .enumerate()
    {
        println!(
            "{:3}. {}  (score {:.4})",
            rank + 1,
            items[col as usize],
            scores[col as usize]
        );
    }
    Ok(())
}
