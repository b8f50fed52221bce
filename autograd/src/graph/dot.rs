//! The picture as Graphviz DOT text, for `dot -Tpng` or any DOT viewer: Graphviz routes the edges
//! itself. Off-tape values sit in a dashed cluster labelled "off the tape".

use super::{picture, Drawing, Kind};
use crate::backend::Backend;
use crate::tape::{Tape, Var};
use std::fmt::Write;

fn quote(t: &str) -> String {
    t.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The graph of everything `output` depends on, as Graphviz DOT.
pub fn to_dot<B: Backend>(tape: &Tape<B>, output: &Var<'_, B>, d: &Drawing) -> String {
    let p = picture(tape, output, d);
    let mut s = String::from(
        "digraph tape {\n  rankdir=TB;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n",
    );
    let node = |s: &mut String, indent: &str, it: &super::Item| {
        let style = match it.kind {
            Kind::Param => "style=\"rounded,filled\", fillcolor=\"#ffe9a8\"",
            Kind::Variable => "style=\"rounded,filled\", fillcolor=\"#fff3e0\"",
            Kind::Root => "peripheries=2, style=\"rounded,filled\", fillcolor=\"#c8e6c9\"",
            Kind::OffTape => "style=\"rounded,dashed,filled\", fillcolor=\"#f5f5f5\"",
            Kind::Vjp => "style=\"rounded,dashed\"",
            Kind::Grad => "style=\"rounded,filled,dashed\", fillcolor=\"#ffe9a8\"",
            Kind::Op => "style=\"rounded,filled\", fillcolor=\"#e3f2fd\"",
        };
        // The cluster's label says "off the tape" once for all its boxes.
        let lines = match it.kind {
            Kind::OffTape => &it.lines[..it.lines.len() - 1],
            _ => &it.lines[..],
        };
        let label: Vec<String> = lines.iter().map(|l| quote(l)).collect();
        let _ = writeln!(
            s,
            "{indent}{} [label=\"{}\", {style}];",
            it.id,
            label.join("\\n")
        );
    };
    for it in p.items.iter().filter(|it| it.kind != Kind::OffTape) {
        node(&mut s, "  ", it);
    }
    if p.items.iter().any(|it| it.kind == Kind::OffTape) {
        s.push_str(
            "  subgraph cluster_off_tape {\n    label=\"off the tape\";\n    style=dashed;\n",
        );
        for it in p.items.iter().filter(|it| it.kind == Kind::OffTape) {
            node(&mut s, "    ", it);
        }
        s.push_str("  }\n");
    }
    for &(a, b) in &p.edges {
        let style = match (p.items[a].kind, p.items[b].kind) {
            (Kind::OffTape, _) => " [style=dashed]",
            (_, Kind::Vjp | Kind::Grad) => " [color=\"#c62828\"]",
            _ => "",
        };
        let _ = writeln!(s, "  {} -> {}{style};", p.items[a].id, p.items[b].id);
    }
    s.push_str("}\n");
    s
}
