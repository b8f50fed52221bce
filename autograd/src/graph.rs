//! Drawing a recorded tape: Graphviz DOT text, and an SVG laid out here (no `dot` program needed).
//!
//! One node per recorded value (parameters and variables as leaves, ops with their output shape), an
//! edge from each input to its op, the output (the loss) at the root. With `backward`, each op also
//! gets its VJP node, wired the other way: the gradient flows from the loss's VJP back to the
//! parameters' gradients, which is the reverse walk of [`crate::Tape::backward`].

use crate::backend::Backend;
use crate::tape::{NodeKind, Tape, Var};
use std::fmt::Write;

/// A node to draw.
struct Item {
    label: String,
    kind: &'static str,
    layer: usize,
}

/// The nodes that `output` depends on, with their edges, forward and (optionally) backward.
fn collect<B: Backend>(
    tape: &Tape<B>,
    output: &Var<'_, B>,
    backward: bool,
) -> (Vec<Item>, Vec<(usize, usize)>) {
    let nodes = tape.nodes();
    let Some(root) = output.node() else {
        return (vec![], vec![]);
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
    let mut depth = vec![0usize; root + 1];
    for i in 0..=root {
        depth[i] = nodes[i]
            .inputs
            .iter()
            .map(|&j| depth[j] + 1)
            .max()
            .unwrap_or(0);
    }
    // Draw each leaf just above its first consumer rather than all in the top row.
    let mut first_use = vec![usize::MAX; root + 1];
    for i in (0..=root).filter(|&i| keep[i]) {
        for &j in &nodes[i].inputs {
            first_use[j] = first_use[j].min(depth[i]);
        }
    }
    for i in 0..=root {
        if nodes[i].inputs.is_empty() && first_use[i] != usize::MAX {
            depth[i] = first_use[i] - 1;
        }
    }
    let max_depth = depth[root];
    let mut index = vec![usize::MAX; root + 1];
    let mut items = Vec::new();
    let shape = |s: [usize; 2]| format!("[{}, {}]", s[0], s[1]);
    for i in (0..=root).filter(|&i| keep[i]) {
        let n = &nodes[i];
        let (label, kind) = match &n.kind {
            NodeKind::Parameter(name) => (format!("{name}\n{}", shape(n.shape)), "param"),
            NodeKind::Variable => (format!("variable #{i}\n{}", shape(n.shape)), "variable"),
            NodeKind::Op(op) => (
                format!("{op}\n{}", shape(n.shape)),
                if i == root { "root" } else { "op" },
            ),
        };
        index[i] = items.len();
        items.push(Item {
            label,
            kind,
            layer: depth[i],
        });
    }
    let mut edges: Vec<(usize, usize)> = Vec::new();
    for i in (0..=root).filter(|&i| keep[i]) {
        for &j in &nodes[i].inputs {
            edges.push((index[j], index[i]));
        }
    }
    if backward {
        // The VJP of node i sits as far below the forward graph as node i sits below the root.
        let mut vjp = vec![usize::MAX; root + 1];
        for i in (0..=root).rev().filter(|&i| keep[i]) {
            let n = &nodes[i];
            let label = match &n.kind {
                NodeKind::Op(op) => format!("{op} VJP\n{}", shape(n.shape)),
                NodeKind::Parameter(name) => format!("∇ {name}\n{}", shape(n.shape)),
                NodeKind::Variable => format!("∇ variable #{i}\n{}", shape(n.shape)),
            };
            vjp[i] = items.len();
            let kind = if n.inputs.is_empty() { "grad" } else { "vjp" };
            items.push(Item {
                label,
                kind,
                layer: max_depth + 1 + (max_depth - depth[i]),
            });
        }
        for i in (0..=root).filter(|&i| keep[i]) {
            for &j in &nodes[i].inputs {
                edges.push((vjp[i], vjp[j]));
            }
        }
    }
    (items, edges)
}

/// The graph of everything `output` depends on, as Graphviz DOT.
pub fn to_dot<B: Backend>(tape: &Tape<B>, output: &Var<'_, B>, backward: bool) -> String {
    let (items, edges) = collect(tape, output, backward);
    let mut s = String::from(
        "digraph tape {\n  rankdir=TB;\n  node [shape=box, fontname=\"Helvetica\"];\n",
    );
    for (k, it) in items.iter().enumerate() {
        let style = match it.kind {
            "param" => "style=filled, fillcolor=\"#ffe9a8\"",
            "root" => "peripheries=2, style=filled, fillcolor=\"#c8e6c9\"",
            "vjp" => "style=dashed",
            "grad" => "style=\"filled,dashed\", fillcolor=\"#ffe9a8\"",
            _ => "style=solid",
        };
        let _ = writeln!(
            s,
            "  n{k} [label=\"{}\", {style}];",
            it.label.replace('\n', "\\n")
        );
    }
    for (a, b) in edges {
        let _ = writeln!(s, "  n{a} -> n{b};");
    }
    s.push_str("}\n");
    s
}

fn escape(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The same graph as a standalone SVG: nodes in layers by their distance from the leaves.
pub fn to_svg<B: Backend>(tape: &Tape<B>, output: &Var<'_, B>, backward: bool) -> String {
    let (items, edges) = collect(tape, output, backward);
    let (w, h, gap_x, gap_y) = (170.0, 40.0, 20.0, 40.0);
    let layers = items.iter().map(|i| i.layer).max().map_or(0, |m| m + 1);
    let mut slot = vec![0usize; items.len()];
    let mut width_of = vec![0usize; layers];
    for (k, it) in items.iter().enumerate() {
        slot[k] = width_of[it.layer];
        width_of[it.layer] += 1;
    }
    let widest = width_of.iter().copied().max().unwrap_or(1) as f64;
    let page_w = widest * (w + gap_x) + gap_x;
    let page_h = layers as f64 * (h + gap_y) + gap_y;
    let pos = |k: usize| {
        let it = &items[k];
        let row = width_of[it.layer] as f64;
        let left = (page_w - row * (w + gap_x) + gap_x) / 2.0;
        (
            left + slot[k] as f64 * (w + gap_x),
            gap_y + it.layer as f64 * (h + gap_y),
        )
    };
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{page_w:.0}\" height=\"{page_h:.0}\" \
         font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\">\n\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"6\" \
         markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker></defs>\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    for &(a, b) in &edges {
        let ((xa, ya), (xb, yb)) = (pos(a), pos(b));
        let (y1, y2) = if ya < yb { (ya + h, yb) } else { (ya, yb + h) };
        let _ = writeln!(
            s,
            "<line x1=\"{:.1}\" y1=\"{y1:.1}\" x2=\"{:.1}\" y2=\"{y2:.1}\" stroke=\"#555\" marker-end=\"url(#arrow)\"/>",
            xa + w / 2.0,
            xb + w / 2.0
        );
    }
    for (k, it) in items.iter().enumerate() {
        let (x, y) = pos(k);
        let (fill, dash, stroke) = match it.kind {
            "param" => ("#ffe9a8", "", 1.0),
            "root" => ("#c8e6c9", "", 3.0),
            "vjp" => ("#f3f3f3", " stroke-dasharray=\"4 3\"", 1.0),
            "grad" => ("#ffe9a8", " stroke-dasharray=\"4 3\"", 1.0),
            _ => ("#e3f2fd", "", 1.0),
        };
        let _ = writeln!(
            s,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w}\" height=\"{h}\" rx=\"5\" fill=\"{fill}\" stroke=\"#333\" stroke-width=\"{stroke}\"{dash}/>"
        );
        for (line, text) in it.label.lines().enumerate() {
            let _ = writeln!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                x + w / 2.0,
                y + 16.0 + 13.0 * line as f64,
                escape(text)
            );
        }
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cpu, Parameter, Tensor};

    #[test]
    fn dot_and_svg_show_every_op_with_its_shape_and_the_parameters() {
        let cpu = Cpu::<f64>::new();
        let w = Parameter::new("layer.weight", Tensor::zeros(&cpu, 3, 2).unwrap());
        let tape = Tape::new(&cpu);
        let x = tape.constant(Tensor::zeros(&cpu, 4, 3).unwrap());
        let loss = x
            .matmul(&tape.param(&w))
            .unwrap()
            .tanh()
            .unwrap()
            .sum()
            .unwrap();
        let dot = to_dot(&tape, &loss, false);
        for needle in [
            "layer.weight\\n[3, 2]",
            "matmul\\n[4, 2]",
            "tanh\\n[4, 2]",
            "sum\\n[1, 1]",
            "peripheries=2",
        ] {
            assert!(dot.contains(needle), "{needle} missing from\n{dot}");
        }
        assert_eq!(dot.matches("->").count(), 3);
        let with_backward = to_dot(&tape, &loss, true);
        assert!(with_backward.contains("tanh VJP") && with_backward.contains("∇ layer.weight"));
        assert_eq!(with_backward.matches("->").count(), 6);
        let svg = to_svg(&tape, &loss, true);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<rect x=").count(), 8);
    }
}
