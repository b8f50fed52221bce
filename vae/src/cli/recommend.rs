//! `vae recommend`: the top items for a new user, from the raw ids of items they clicked.

use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;
use autograd::CsrMatrix;
use clap::{ArgGroup, Args};
use vae::train::{RunDir, Scorer};

use super::common::{at_least_one, load_run};

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("clicked").required(true).args(["items", "items_file"])))]
pub struct RecommendArgs {
    /// A run folder written by `vae train`.
    #[arg(long)]
    checkpoint: PathBuf,
    /// The new user's items, raw ids as in the rating file, comma-separated (spaces around each
    /// are dropped); an id that holds a comma goes in --items-file.
    #[arg(long, value_delimiter = ',', value_parser = item_id)]
    items: Vec<String>,
    /// A file of the new user's items, one raw id a line (blank lines skipped); `-` reads them
    /// from standard input.
    #[arg(long)]
    items_file: Option<PathBuf>,
    /// How many items to recommend.
    #[arg(long, default_value_t = 10, value_parser = at_least_one, allow_negative_numbers = true)]
    top: usize,
}

/// One id of `--items`, without the spaces a list typed as `a, b` puts around it.
fn item_id(s: &str) -> Result<String, String> {
    match s.trim() {
        "" => Err("an empty id (ids are comma-separated, none empty)".into()),
        id => Ok(id.to_string()),
    }
}

/// The ids of `--items-file`, a line each.
fn read_items_file(path: &Path) -> anyhow::Result<Vec<String>> {
    let mut text = String::new();
    if path == Path::new("-") {
        std::io::stdin()
            .read_to_string(&mut text)
            .context("--items-file -: reading standard input")?;
    } else {
        text = std::fs::read_to_string(path)
            .with_context(|| format!("--items-file {}", path.display()))?;
    }
    let ids: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    anyhow::ensure!(
        !ids.is_empty(),
        "--items-file {}: no item ids in it (one a line)",
        path.display()
    );
    Ok(ids)
}

/// A new user is folded in through the encoder (or, for the baselines, scored from their clicks
/// directly), which NCF models lack: they learn one embedding per training user, so an NCF run can
/// only score the users it was trained on.
fn refuse_ncf(run: &RunDir) -> anyhow::Result<()> {
    let path = run.config();
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let config: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))?;
    if let Some(model @ ("gmf" | "mlp" | "neumf")) = config["model"].as_str() {
        anyhow::bail!(
            "{}: a {model} run; vae recommend needs a Mult-VAE, Mult-DAE, popularity, EASE or ItemKNN \
             run (--model vae|dae|popularity|ease|itemknn), which takes a new user's clicks, while \
             {model} has an embedding only for each training user",
            path.display()
        );
    }
    Ok(())
}

pub fn recommend_cmd(a: RecommendArgs) -> anyhow::Result<()> {
    let (flag, given) = match &a.items_file {
        Some(f) => ("--items-file", read_items_file(f)?),
        None => ("--items", a.items),
    };
    let run = RunDir::open(&a.checkpoint)?;
    refuse_ncf(&run)?;
    let path = run.path("items.txt");
    let items: Vec<String> = std::fs::read_to_string(&path)
        .with_context(|| format!("reading {}", path.display()))?
        .lines()
        .map(str::to_string)
        .collect();
    // The first column of an id, as a search from the top would find it.
    let mut column: HashMap<&str, usize> = HashMap::new();
    for (c, id) in items.iter().enumerate() {
        column.entry(id.as_str()).or_insert(c);
    }
    // A set: an id given twice is one click, and what is left to recommend counts it once.
    let mut clicked = BTreeSet::new();
    for id in &given {
        let col = column.get(id.as_str()).with_context(|| {
            // ML-1M's ids are titles such as `Bug's Life, A (1998)`, which --items cuts in two.
            let hint = if a.items_file.is_none() {
                "; --items splits at commas: an id that holds one goes in --items-file"
            } else {
                ""
            };
            format!(
                "{flag}: {id} is not an item of this model ({}){hint}",
                path.display()
            )
        })?;
        clicked.insert(*col);
    }
    let left = items.len() - clicked.len();
    anyhow::ensure!(
        left > 0,
        "{flag}: the user clicked every one of the model's {} items; nothing is left to recommend",
        items.len()
    );
    let t = load_run(&run, items.len())?;
    let cols: Vec<_> = clicked.iter().map(|&c| (0, c, 1.0f32)).collect();
    let fold_in = CsrMatrix::from_triplets(1, items.len(), &cols)?;
    let mut scores = t.scores(&fold_in)?.to_vec()?;
    for &c in &clicked {
        scores[c] = f32::NEG_INFINITY;
    }
    for (rank, col) in vae::metrics::top_k(&scores, a.top.min(left))
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
