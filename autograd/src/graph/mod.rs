//! Drawing a recorded tape: Graphviz DOT text, and an SVG laid out here (no `dot` program needed).
//!
//! One box per recorded value (parameters and variables as leaves, ops with their output shape), an
//! edge from each input to its op, the output (the loss) at the root. With [`Drawing::backward`],
//! each op also gets its VJP box, wired the other way: the gradient flows from the loss's VJP back
//! to the parameters' gradients, which is the reverse walk of [`crate::Tape::backward`].
//!
//! What the tape cannot know comes from the caller in a [`Drawing`]: names for nodes (`μ`, `log σ²`,
//! `β·KL`), and the values prepared off the tape (the click rows, their normalisation and dropout,
//! the noise ε), which have no node and no gradient and are drawn in their own dashed style. With
//! [`Drawing::values`], each box also shows its first values (on a tape made by
//! [`crate::Tape::keeping_values`]).
//!
//! The SVG's layout ([`layout`]) routes every edge between the rows of boxes, never under a box.

mod dot;
mod layout;
mod svg;

use crate::backend::Backend;
use crate::tape::{NodeKind, Tape, Var};

pub use dot::to_dot;
pub use svg::to_svg;

/// What to draw besides the tape's own nodes, and how.
#[derive(Debug, Clone, Default)]
pub struct Drawing {
    /// Add the VJP box of every node, below the forward graph.
    pub backward: bool,
    /// Print each node's first values under its shape (needs a tape made by
    /// [`crate::Tape::keeping_values`]; other tapes show shapes only).
    pub values: bool,
    /// A name for a tape node (by [`crate::tape::NodeInfo::id`]), drawn above its op, its first
    /// line bold: `μ`, `log σ²`, `β·KL, β = 0.2`; more lines after `\n`.
    pub names: Vec<(usize, String)>,
    /// Values computed off the tape, in the order [`Feed::OffTape`] counts them.
    pub off_tape: Vec<OffTape>,
}

/// A value computed off the tape: no node, no gradient (the click rows, their dropout, ε).
#[derive(Debug, Clone)]
pub struct OffTape {
    /// What it is, one line per `\n`.
    pub label: String,
    /// What it is an input of.
    pub feeds: Vec<Feed>,
}

/// Where an off-tape value goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Feed {
    /// A tape node, by id.
    Node(usize),
    /// Another off-tape value, by its index in [`Drawing::off_tape`].
    OffTape(usize),
}

/// How a box is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Param,
    Variable,
    Op,
    /// The output the graph is drawn for.
    Root,
    OffTape,
    Vjp,
    /// The gradient of a leaf.
    Grad,
}

/// A box to draw.
struct Item {
    /// Its id in the DOT and SVG text: `n{node}`, `v{node}` (its VJP), `o{index}` (off the tape).
    id: String,
    lines: Vec<String>,
    /// Whether the first line is a name from [`Drawing::names`].
    named: bool,
    kind: Kind,
    layer: usize,
}

/// The boxes and edges (by index into the boxes, from input to consumer) to draw.
struct Picture {
    items: Vec<Item>,
    edges: Vec<(usize, usize)>,
}

fn shape(s: [usize; 2]) -> String {
    format!("[{}, {}]", s[0], s[1])
}

/// A value in 4 significant digits, in the width a box can hold.
fn number(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 || !v.is_finite() {
        format!("{v}")
    } else if (1e-3..1e4).contains(&a) {
        let decimals = (3 - a.log10().floor() as i32).max(0) as usize;
        format!("{v:.decimals$}")
    } else {
        format!("{v:.3e}")
    }
}

/// The first values of a `[rows, cols]` tensor: up to 2 rows of up to 3 values, `…` for the rest.
fn value_lines(values: &[f64], [rows, cols]: [usize; 2]) -> Vec<String> {
    if rows * cols == 1 {
        return vec![format!("= {}", number(values[0]))];
    }
    let mut lines: Vec<String> = (0..rows.min(2))
        .map(|r| {
            let row = &values[r * cols..(r + 1) * cols];
            let mut line: Vec<String> = row.iter().take(3).map(|&v| number(v)).collect();
            if cols > 3 {
                line.push("…".into());
            }
            line.join("  ")
        })
        .collect();
    if rows > 2 {
        let more = rows - 2;
        lines.push(format!(
            "… {more} more row{}",
            if more == 1 { "" } else { "s" }
        ));
    }
    lines
}

/// The boxes and edges of everything `output` depends on, with `d`'s additions.
fn picture<B: Backend>(tape: &Tape<B>, output: &Var<'_, B>, d: &Drawing) -> Picture {
    let nodes = tape.nodes();
    let Some(root) = output.node() else {
        return Picture {
            items: vec![],
            edges: vec![],
        };
    };
    // Keep only the ancestors of the root.
    let mut keep = vec![false; root + 1];
    keep[root] = true;
    for i in (0..=root).rev() {
        if keep[i] {
            for &j in &nodes[i].inputs {
                keep[j] = true;
            }
        }
    }
    let mut depth = vec![0i64; root + 1];
    for i in 0..=root {
        depth[i] = nodes[i]
            .inputs
            .iter()
            .map(|&j| depth[j] + 1)
            .max()
            .unwrap_or(0);
    }
    // Draw each leaf just above its first consumer rather than all in the top row.
    let mut first_use = vec![i64::MAX; root + 1];
    for i in (0..=root).filter(|&i| keep[i]) {
        for &j in &nodes[i].inputs {
            first_use[j] = first_use[j].min(depth[i]);
        }
    }
    for i in 0..=root {
        if nodes[i].inputs.is_empty() && first_use[i] != i64::MAX {
            depth[i] = first_use[i] - 1;
        }
    }
    let max_depth = depth[root];
    let name_of = |i: usize| {
        d.names
            .iter()
            .filter(|(n, _)| *n == i)
            .map(|(_, s)| s.as_str())
            .next()
    };
    let mut index = vec![usize::MAX; root + 1];
    let mut items = Vec::new();
    let mut layers: Vec<i64> = Vec::new();
    for i in (0..=root).filter(|&i| keep[i]) {
        let n = &nodes[i];
        let (what, kind) = match &n.kind {
            NodeKind::Parameter(name) => (name.clone(), Kind::Param),
            NodeKind::Variable => (format!("variable #{i}"), Kind::Variable),
            NodeKind::Op(op) => (
                op.to_string(),
                if i == root { Kind::Root } else { Kind::Op },
            ),
        };
        let mut lines: Vec<String> = name_of(i)
            .into_iter()
            .flat_map(str::lines)
            .map(str::to_string)
            .collect();
        lines.push(format!("{what}  {}", shape(n.shape)));
        if d.values {
            if let Some(v) = tape.kept_value(i).and_then(|t| t.to_f64().ok()) {
                lines.extend(value_lines(&v, n.shape));
            }
        }
        index[i] = items.len();
        items.push(Item {
            id: format!("n{i}"),
            lines,
            named: name_of(i).is_some(),
            kind,
            layer: 0,
        });
        layers.push(depth[i]);
    }
    let mut edges: Vec<(usize, usize)> = Vec::new();
    for i in (0..=root).filter(|&i| keep[i]) {
        for &j in &nodes[i].inputs {
            edges.push((index[j], index[i]));
        }
    }
    // Off the tape: each value a row above the highest box it feeds (found by relaxing, as one
    // off-tape value may feed another listed after it).
    let off_base = items.len();
    let target = |f: Feed| match f {
        Feed::Node(n) => (n <= root && keep[n]).then(|| index[n]),
        Feed::OffTape(k) => (k < d.off_tape.len()).then_some(off_base + k),
    };
    for (k, o) in d.off_tape.iter().enumerate() {
        let mut lines: Vec<String> = o.label.lines().map(str::to_string).collect();
        lines.push("off the tape".into());
        items.push(Item {
            id: format!("o{k}"),
            lines,
            named: false,
            kind: Kind::OffTape,
            layer: 0,
        });
        layers.push(i64::MAX);
        for &f in &o.feeds {
            if let Some(t) = target(f) {
                edges.push((off_base + k, t));
            }
        }
    }
    for _ in 0..d.off_tape.len() {
        for k in 0..d.off_tape.len() {
            let above = d.off_tape[k]
                .feeds
                .iter()
                .filter_map(|&f| target(f))
                .map(|t| layers[t].saturating_sub(1))
                .min()
                .unwrap_or(0);
            layers[off_base + k] = above;
        }
    }
    if d.backward {
        // The VJP of node i sits as far below the forward graph as node i sits below the root.
        let mut vjp = vec![usize::MAX; root + 1];
        for i in (0..=root).rev().filter(|&i| keep[i]) {
            let n = &nodes[i];
            // The gradient of a named value, by the name's first line: `∇ μ`.
            let mut lines: Vec<String> = name_of(i)
                .and_then(|name| name.lines().next())
                .map(|name| format!("∇ {name}"))
                .into_iter()
                .collect();
            lines.push(match &n.kind {
                NodeKind::Op(op) => format!("{op} VJP  {}", shape(n.shape)),
                NodeKind::Parameter(name) => format!("∇ {name}  {}", shape(n.shape)),
                NodeKind::Variable => format!("∇ variable #{i}  {}", shape(n.shape)),
            });
            if i == root {
                lines.push("seeded with ∂L/∂L = 1".into());
            }
            vjp[i] = items.len();
            items.push(Item {
                id: format!("v{i}"),
                lines,
                named: name_of(i).is_some(),
                kind: if n.inputs.is_empty() {
                    Kind::Grad
                } else {
                    Kind::Vjp
                },
                layer: 0,
            });
            layers.push(max_depth + 1 + (max_depth - depth[i]));
        }
        // The backward pass starts from the loss, seeded with ∂L/∂L = 1.
        edges.push((index[root], vjp[root]));
        for i in (0..=root).filter(|&i| keep[i]) {
            for &j in &nodes[i].inputs {
                edges.push((vjp[i], vjp[j]));
            }
        }
    }
    let lowest = layers.iter().copied().min().unwrap_or(0);
    for (it, l) in items.iter_mut().zip(&layers) {
        it.layer = (l - lowest) as usize;
    }
    Picture { items, edges }
}

#[cfg(test)]
mod tests;
