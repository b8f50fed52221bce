//! `vae graph`: one training step of a tiny model made visible, its tape drawn as DOT and SVG, with
//! the model's symbols on its boxes (μ, log σ², z, β·KL with β's value and step) and what the model
//! prepares off the tape (the click rows normalised and dropped out, the noise ε; NeuMF's index and
//! target vectors) drawn as such.

use std::path::PathBuf;

use anyhow::Context;
use autograd::graph::{Drawing, Feed, OffTape};
use autograd::tape::{NodeInfo, NodeKind};
use autograd::{Cpu, Tape, Var};
use clap::Args;
use vae::ncf::NcfModel;
use vae::vae_cf::{Anneal, StepContext};

use super::tiny::{TinyArgs, TinyModel, B};

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
    /// Print in each box the first values of its output (up to 2 rows of 3).
    #[arg(long)]
    values: bool,
    /// Mult-VAE/DAE: the update count of the drawn step. It keys the dropout mask and ε and sets β
    /// as training's default annealing does, min(0.2, step / 200000). Without it the step is
    /// --seed and β is held at the cap, 0.2, so that the KL's share is visible.
    #[arg(long)]
    step: Option<u64>,
}

/// The first op node of kind `op`.
fn find(nodes: &[NodeInfo], op: &str) -> Option<usize> {
    nodes
        .iter()
        .find(|n| matches!(n.kind, NodeKind::Op(o) if o == op))
        .map(|n| n.id)
}

/// The op node of kind `op` whose only input is `input`.
fn find_on(nodes: &[NodeInfo], op: &str, input: usize) -> Option<usize> {
    nodes
        .iter()
        .find(|n| matches!(n.kind, NodeKind::Op(o) if o == op) && n.inputs == [input])
        .map(|n| n.id)
}

/// Mult-VAE's or Mult-DAE's loss on the tiny click rows, with its symbols and off-tape input.
fn click_model<'t>(a: &GraphArgs, tape: &'t Tape<B>) -> anyhow::Result<(Var<'t, B>, Drawing)> {
    let model = a.tiny.model()?;
    let x = a.tiny.clicks()?;
    let ctx = match a.step {
        Some(step) => StepContext {
            beta: Anneal::default().beta(step),
            step,
            train: true,
        },
        None => a.tiny.context(),
    };
    let loss = model.loss(tape, &x, ctx)?;
    let nodes = tape.nodes();
    let id = |v: &Var<'_, B>| {
        v.node()
            .context("the loss does not depend on the parameters")
    };
    let (total, nll) = (id(&loss.total)?, id(&loss.nll)?);
    let mut names = vec![(
        nll,
        "NLL\n= mean over users u of −Σ_i x_ui log π_ui".to_string(),
    )];
    let per_user = find(&nodes, "multinomial_nll").context("no multinomial_nll on the tape")?;
    names.push((
        per_user,
        "NLL per user\n= −Σ_i x_ui log softmax(logits_u)_i".into(),
    ));
    if let Some(&logits) = nodes[per_user].inputs.first() {
        names.push((logits, "logits\n= f_θ(z)".into()));
    }
    let first = find(&nodes, "csr_matmul").context("no csr_matmul on the tape")?;
    let (users, items) = (x.rows(), x.cols());
    let mut clicks = format!("x: click rows  [{users}, {items}]\n{} clicks", x.nnz());
    if a.values {
        for u in 0..users.min(2) {
            let (cols, _) = x.row(u);
            let list: Vec<String> = cols.iter().map(u32::to_string).collect();
            clicks.push_str(&format!("\nrow {u}: items {}", list.join(", ")));
        }
    }
    let mut off_tape = vec![
        OffTape {
            label: clicks,
            feeds: vec![Feed::OffTape(1), Feed::Node(per_user)],
        },
        OffTape {
            label: "x / ‖x‖\neach row L2-normalised".into(),
            feeds: vec![Feed::OffTape(2)],
        },
        OffTape {
            label: format!("dropout\nmask keyed by step {}", ctx.step),
            feeds: vec![Feed::Node(first)],
        },
    ];
    match &loss.kl {
        Some(kl) => {
            let kl = id(kl)?;
            let beta_from = match a.step {
                Some(_) => format!("min(0.2, {} / 200000) at step {}", ctx.step, ctx.step),
                None => format!("held at the cap, step {}", ctx.step),
            };
            names.push((total, "L\n= NLL + β·KL".into()));
            names.push((
                kl,
                "KL\n= mean over users u of KL(q(z_u | x_u) ‖ N(0, I))".into(),
            ));
            if let Some(scaled) = find_on(&nodes, "scale", kl) {
                names.push((scaled, format!("β·KL\nβ = {}, {beta_from}", ctx.beta)));
            }
            if let Some(kl_u) = find(&nodes, "gaussian_kl") {
                names.push((kl_u, "KL per user".into()));
            }
            let z = find(&nodes, "reparameterize").context("no reparameterize on the tape")?;
            names.push((z, "z\n= μ + ε ⊙ σ, σ = exp(½ log σ²)".into()));
            if let [mu, logvar] = nodes[z].inputs[..] {
                names.push((mu, "μ".into()));
                names.push((logvar, "log σ²".into()));
            }
            off_tape.push(OffTape {
                label: format!(
                    "ε ~ N(0, I)  [{users}, {}]\nkeyed by step {}",
                    nodes[z].shape[1], ctx.step
                ),
                feeds: vec![Feed::Node(z)],
            });
        }
        None if total != nll => names.push((total, "L\n= NLL + λ·Σ‖W‖²".into())),
        None => names.push((total, "L\n= NLL".into())),
    }
    Ok((loss.total, labelled(a, names, off_tape)))
}

/// NeuMF's BCE on the tiny batch of pairs, with its index and target vectors off the tape.
fn neumf<'t>(a: &GraphArgs, tape: &'t Tape<B>) -> anyhow::Result<(Var<'t, B>, Drawing)> {
    let (model, batch) = a.tiny.neumf()?;
    let loss = model.loss(tape, &batch)?;
    let nodes = tape.nodes();
    let root = loss
        .node()
        .context("the loss does not depend on the parameters")?;
    // Each embedding lookup gathers the rows of a user or an item table.
    let lookups = |table: &str| -> Vec<Feed> {
        nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::Op("gather_rows")))
            .filter(|n| {
                n.inputs
                    .iter()
                    .any(|&j| matches!(&nodes[j].kind, NodeKind::Parameter(p) if p.contains(table)))
            })
            .map(|n| Feed::Node(n.id))
            .collect()
    };
    let head = |v: &[usize]| {
        let list: Vec<String> = v.iter().take(6).map(usize::to_string).collect();
        format!(
            "{}{}",
            list.join(", "),
            if v.len() > 6 { ", …" } else { "" }
        )
    };
    let n = batch.users.len();
    let mut names = vec![(
        root,
        "L\n= BCE, the mean over pairs of\n−y log σ(s) − (1 − y) log(1 − σ(s))".to_string(),
    )];
    if let Some(&s) = nodes[root].inputs.first() {
        names.push((s, "s_ui\nthe pair's score, a logit".into()));
        if let Some(&joined) = nodes[s].inputs.first() {
            names.push((joined, "[GMF ‖ MLP]".into()));
        }
    }
    if let Some(gmf) = find(&nodes, "mul") {
        names.push((gmf, "GMF\n= p_u ⊙ q_i".into()));
    }
    if let Some(mlp_in) = find(&nodes, "concat_cols") {
        names.push((mlp_in, "MLP input\n= [p_u ‖ q_i]".into()));
    }
    let off_tape = vec![
        OffTape {
            label: format!("users  [{n}]\n{}", head(&batch.users)),
            feeds: lookups("user"),
        },
        OffTape {
            label: format!("items  [{n}]\n{}", head(&batch.items)),
            feeds: lookups("item"),
        },
        OffTape {
            label: format!("targets y  [{n}, 1]\n1 clicked, 0 sampled negative"),
            feeds: vec![Feed::Node(root)],
        },
    ];
    Ok((loss, labelled(a, names, off_tape)))
}

/// The drawing of `a` with the model's names and off-tape inputs.
fn labelled(a: &GraphArgs, names: Vec<(usize, String)>, off_tape: Vec<OffTape>) -> Drawing {
    Drawing {
        backward: a.backward,
        values: a.values,
        names,
        off_tape,
    }
}

pub fn graph(a: GraphArgs) -> anyhow::Result<()> {
    let cpu = Cpu::new();
    // Only a drawing with values keeps them: a plain tape frees each value with its VJP.
    let tape = if a.values {
        Tape::keeping_values(&cpu)
    } else {
        Tape::new(&cpu)
    };
    let (loss, drawing) = match a.tiny.model {
        TinyModel::Neumf => neumf(&a, &tape)?,
        TinyModel::Vae | TinyModel::Dae => click_model(&a, &tape)?,
    };
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let dot = a.out.join("graph.dot");
    let svg = a.out.join("graph.svg");
    std::fs::write(&dot, autograd::graph::to_dot(&tape, &loss, &drawing))
        .with_context(|| format!("writing {}", dot.display()))?;
    std::fs::write(&svg, autograd::graph::to_svg(&tape, &loss, &drawing))
        .with_context(|| format!("writing {}", svg.display()))?;
    println!(
        "{} nodes recorded; wrote {} and {}",
        tape.len(),
        dot.display(),
        svg.display()
    );
    Ok(())
}
