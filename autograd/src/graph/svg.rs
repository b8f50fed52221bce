//! The picture as a standalone SVG, laid out by [`super::layout`], with a legend of the box styles.
//! Each box is a `<rect class="node" data-id=…>` and each edge a
//! `<polyline class="edge" data-from=… data-to=…>`, so a test (or a reader's script) can check the
//! drawing's geometry against the tape.

use super::layout::{layout, Rect};
use super::{picture, Drawing, Kind};
use crate::backend::Backend;
use crate::tape::{Tape, Var};
use std::fmt::Write;

const FONT_SIZE: f64 = 11.0;
/// Helvetica's mean advance at 11 px is about 6 px; a little more keeps long labels inside.
const CHAR_WIDTH: f64 = 6.4;
const LINE: f64 = 14.0;
const PAD: f64 = 8.0;
const MIN_WIDTH: f64 = 90.0;

fn escape(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Fill, dash and stroke width of a box of kind `k`.
fn style(k: Kind) -> (&'static str, &'static str, f64) {
    const DASHED: &str = " stroke-dasharray=\"4 3\"";
    match k {
        Kind::Param => ("#ffe9a8", "", 1.0),
        Kind::Variable => ("#fff3e0", "", 1.0),
        Kind::Op => ("#e3f2fd", "", 1.0),
        Kind::Root => ("#c8e6c9", "", 3.0),
        Kind::OffTape => ("#f5f5f5", DASHED, 1.0),
        Kind::Vjp => ("#fbe9e7", DASHED, 1.0),
        Kind::Grad => ("#ffe9a8", DASHED, 1.0),
    }
}

fn size(lines: &[String]) -> (f64, f64) {
    let chars = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    (
        (chars as f64 * CHAR_WIDTH + 2.0 * PAD).max(MIN_WIDTH),
        lines.len() as f64 * LINE + PAD,
    )
}

/// One box with its text; the first line bold when it is a name, the "off the tape" tag grey.
fn draw_box(s: &mut String, id: &str, r: Rect, kind: Kind, lines: &[String], named: bool) {
    let (fill, dash, stroke) = style(kind);
    let _ = writeln!(
        s,
        "<rect class=\"node\" data-id=\"{id}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"5\" fill=\"{fill}\" stroke=\"#333\" stroke-width=\"{stroke}\"{dash}/>",
        r.x, r.y, r.w, r.h
    );
    for (k, text) in lines.iter().enumerate() {
        let attrs = if k == 0 && named {
            " font-weight=\"bold\""
        } else if kind == Kind::OffTape && k + 1 == lines.len() {
            " fill=\"#777\" font-style=\"italic\""
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\"{attrs}>{}</text>",
            r.x + r.w / 2.0,
            r.y + PAD / 2.0 + FONT_SIZE + LINE * k as f64,
            escape(text)
        );
    }
}

/// The graph of everything `output` depends on, as a standalone SVG: forward edges grey, off-tape
/// inputs dashed, the backward pass (with [`Drawing::backward`]) in red below.
pub fn to_svg<B: Backend>(tape: &Tape<B>, output: &Var<'_, B>, d: &Drawing) -> String {
    let p = picture(tape, output, d);
    let sizes: Vec<(f64, f64)> = p.items.iter().map(|it| size(&it.lines)).collect();
    let layers: Vec<usize> = p.items.iter().map(|it| it.layer).collect();
    let l = layout(&sizes, &layers, &p.edges);
    let mut legend: Vec<(Kind, &str)> = vec![
        (Kind::Param, "parameter"),
        (Kind::Op, "op (its output)"),
        (Kind::Root, "the loss"),
    ];
    if p.items.iter().any(|it| it.kind == Kind::Variable) {
        legend.push((Kind::Variable, "variable"));
    }
    if !d.off_tape.is_empty() {
        legend.push((Kind::OffTape, "off the tape: no node, no gradient"));
    }
    if d.backward {
        legend.push((Kind::Vjp, "VJP"));
        legend.push((Kind::Grad, "gradient of a leaf"));
    }
    let legend_w: f64 = legend
        .iter()
        .map(|(_, t)| 40.0 + t.chars().count() as f64 * CHAR_WIDTH)
        .sum();
    let width = l.width.max(legend_w + 40.0);
    let height = l.height + 40.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         font-family=\"Helvetica, Arial, sans-serif\" font-size=\"{FONT_SIZE}\">\n\
         <defs>\
         <marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker>\
         <marker id=\"arrow-back\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#c62828\"/></marker>\
         </defs>\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    for (e, points) in p.edges.iter().zip(&l.edges) {
        let (from, to) = (&p.items[e.0], &p.items[e.1]);
        let (stroke, dash, marker) = if from.kind == Kind::OffTape {
            ("#888", " stroke-dasharray=\"5 3\"", "arrow")
        } else if matches!(to.kind, Kind::Vjp | Kind::Grad) {
            ("#c62828", "", "arrow-back")
        } else {
            ("#555", "", "arrow")
        };
        let pts: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = writeln!(
            s,
            "<polyline class=\"edge\" data-from=\"{}\" data-to=\"{}\" points=\"{}\" fill=\"none\" stroke=\"{stroke}\"{dash} marker-end=\"url(#{marker})\"/>",
            from.id,
            to.id,
            pts.join(" ")
        );
    }
    for (it, r) in p.items.iter().zip(&l.boxes) {
        draw_box(&mut s, &it.id, *r, it.kind, &it.lines, it.named);
    }
    // The legend, a row of sample boxes under the graph.
    let mut x = 20.0;
    let y = l.height + 8.0;
    for (kind, text) in legend {
        let (fill, dash, stroke) = style(kind);
        let _ = writeln!(
            s,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"22\" height=\"14\" rx=\"3\" fill=\"{fill}\" stroke=\"#333\" stroke-width=\"{stroke}\"{dash}/>\n\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            x + 28.0,
            y + 11.0,
            escape(text)
        );
        x += 40.0 + text.chars().count() as f64 * CHAR_WIDTH;
    }
    s.push_str("</svg>\n");
    s
}
