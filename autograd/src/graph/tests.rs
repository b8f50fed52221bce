use super::*;
use crate::ops::{csr_matmul, gaussian_kl, SparseTensor};
use crate::{Cpu, CsrMatrix, Parameter, RngKey, Tensor};

type B = Cpu<f64>;

fn param(name: &str, rows: usize, cols: usize, seed: u64) -> Parameter<B> {
    let v: Vec<f64> = (0..rows * cols)
        .map(|k| ((k as u64 * 7919 + seed * 104_729) % 97) as f64 / 97.0 - 0.5)
        .collect();
    Parameter::new(name, Tensor::from_f64(&Cpu::new(), rows, cols, &v).unwrap())
}

/// A Mult-VAE's loss in miniature, from the same ops: x (sparse) → h → μ ‖ log σ² → z → logits,
/// `NLL + β·KL`. Its KL branch and its NLL meet at the root after paths of different lengths, and
/// log σ² feeds three ops at once: the edges that passed under boxes before.
struct Vae {
    params: Vec<Parameter<B>>,
    x: CsrMatrix<f64>,
}

impl Vae {
    fn new() -> Self {
        let shapes = [
            (7, 5),
            (1, 5),
            (5, 6),
            (1, 6),
            (3, 5),
            (1, 5),
            (5, 7),
            (1, 7),
        ];
        let names = [
            "e0.w", "e0.b", "e1.w", "e1.b", "d0.w", "d0.b", "d1.w", "d1.b",
        ];
        let params = names
            .iter()
            .zip(shapes)
            .enumerate()
            .map(|(k, (n, (r, c)))| param(n, r, c, k as u64))
            .collect();
        let x = CsrMatrix::from_triplets(
            4,
            7,
            &[
                (0, 0, 1.0),
                (0, 3, 1.0),
                (1, 1, 1.0),
                (2, 2, 1.0),
                (3, 6, 1.0),
            ],
        )
        .unwrap();
        Vae { params, x }
    }

    /// The tape's nodes and the loss, with the ids of μ, log σ² and the β-scaling.
    fn loss<'t>(&self, tape: &'t Tape<B>) -> (Var<'t, B>, [usize; 3]) {
        let p: Vec<_> = self.params.iter().map(|p| tape.param(p)).collect();
        let x = SparseTensor::new(tape.backend(), &self.x).unwrap();
        let h = csr_matmul(&x, &p[0]).unwrap().add_bias(&p[1]).unwrap();
        let h = h.tanh().unwrap().dense(&p[2], &p[3]).unwrap();
        let mut parts = h.split_cols(&[3, 3]).unwrap().into_iter();
        let (mu, logvar) = (parts.next().unwrap(), parts.next().unwrap());
        let z = mu.reparameterize(&logvar, RngKey::new(1, 2)).unwrap();
        let logits = z
            .dense(&p[4], &p[5])
            .unwrap()
            .tanh()
            .unwrap()
            .dense(&p[6], &p[7])
            .unwrap();
        let nll = logits.multinomial_nll(&x).unwrap().mean().unwrap();
        let kl = gaussian_kl(&mu, &logvar).unwrap().mean().unwrap();
        let beta_kl = kl.scale(0.2).unwrap();
        let total = nll.add(&beta_kl).unwrap();
        let ids = [mu, logvar, beta_kl].map(|v| v.node().unwrap());
        (total, ids)
    }
}

fn drawing(backward: bool, values: bool, ids: [usize; 3], root: usize) -> Drawing {
    Drawing {
        backward,
        values,
        names: vec![
            (ids[0], "μ".into()),
            (ids[1], "log σ²".into()),
            (ids[2], "β·KL, β = 0.2".into()),
        ],
        off_tape: vec![
            OffTape {
                label: "x: clicks".into(),
                feeds: vec![Feed::OffTape(1), Feed::Node(root)],
            },
            OffTape {
                label: "x / ‖x‖".into(),
                feeds: vec![Feed::Node(ids[0])],
            },
        ],
    }
}

/// `name="…"` of an SVG element.
fn attr<'a>(tag: &'a str, name: &str) -> &'a str {
    let start = tag
        .find(&format!(" {name}=\""))
        .unwrap_or_else(|| panic!("no {name} in {tag}"))
        + name.len()
        + 3;
    let len = tag[start..].find('"').unwrap();
    &tag[start..start + len]
}

fn num(tag: &str, name: &str) -> f64 {
    attr(tag, name).parse().unwrap()
}

/// The node boxes `(id, x0, y0, x1, y1)` and edges `(from, to, points)` of an SVG drawn here.
#[allow(clippy::type_complexity)]
fn geometry(
    svg: &str,
) -> (
    Vec<(String, [f64; 4])>,
    Vec<(String, String, Vec<(f64, f64)>)>,
) {
    let mut boxes = Vec::new();
    let mut edges = Vec::new();
    for line in svg.lines() {
        if line.starts_with("<rect class=\"node\"") {
            let (x, y) = (num(line, "x"), num(line, "y"));
            let r = [x, y, x + num(line, "width"), y + num(line, "height")];
            boxes.push((attr(line, "data-id").to_string(), r));
        } else if line.starts_with("<polyline class=\"edge\"") {
            let points = attr(line, "points")
                .split_whitespace()
                .map(|p| {
                    let (x, y) = p.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect();
            edges.push((
                attr(line, "data-from").to_string(),
                attr(line, "data-to").to_string(),
                points,
            ));
        }
    }
    (boxes, edges)
}

/// Whether the segment a–b enters the open rectangle `r` (Liang–Barsky clipping).
fn enters(a: (f64, f64), b: (f64, f64), r: [f64; 4]) -> bool {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - r[0]),
        (dx, r[2] - a.0),
        (-dy, a.1 - r[1]),
        (dy, r[3] - a.1),
    ] {
        if p == 0.0 {
            if q <= 0.0 {
                return false;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    t1 - t0 > 1e-9
}

/// Every edge segment that enters a box, its own source and target included (an edge starts on
/// its source's border and ends on its target's, so it never needs to enter one), as text.
fn edges_under_boxes(svg: &str) -> Vec<String> {
    let (boxes, edges) = geometry(svg);
    assert!(
        !boxes.is_empty() && !edges.is_empty(),
        "nothing drawn:\n{svg}"
    );
    let mut found = Vec::new();
    for (from, to, points) in &edges {
        for w in points.windows(2) {
            for (id, r) in &boxes {
                // Half a pixel inside: touching a border at a port is not passing under.
                let inner = [r[0] + 0.5, r[1] + 0.5, r[2] - 0.5, r[3] - 0.5];
                if enters(w[0], w[1], inner) {
                    found.push(format!("{from} → {to}: {:?}–{:?} under {id}", w[0], w[1]));
                }
            }
        }
    }
    found
}

#[test]
fn the_segment_test_sees_a_segment_through_a_box_and_not_one_beside_it() {
    let r = [10.0, 10.0, 20.0, 20.0];
    assert!(enters((15.0, 0.0), (15.0, 30.0), r));
    assert!(enters((0.0, 0.0), (30.0, 30.0), r));
    assert!(!enters((25.0, 0.0), (25.0, 30.0), r));
    assert!(!enters((15.0, 0.0), (15.0, 10.0), r));
}

#[test]
fn no_edge_passes_under_a_box_forward_or_backward() {
    let vae = Vae::new();
    for (backward, values) in [(false, false), (true, false), (false, true), (true, true)] {
        let tape = Tape::keeping_values(&Cpu::new());
        let (loss, ids) = vae.loss(&tape);
        let d = drawing(backward, values, ids, loss.node().unwrap());
        let svg = to_svg(&tape, &loss, &d);
        let under = edges_under_boxes(&svg);
        assert!(
            under.is_empty(),
            "backward {backward}, values {values}: {under:#?}"
        );
    }
}

#[test]
fn every_input_of_every_drawn_node_is_an_edge_in_dot_and_svg() {
    let vae = Vae::new();
    let tape = Tape::new(&Cpu::new());
    let (loss, ids) = vae.loss(&tape);
    let root = loss.node().unwrap();
    let d = drawing(true, false, ids, root);
    let (dot, svg) = (to_dot(&tape, &loss, &d), to_svg(&tape, &loss, &d));
    let (_, svg_edges) = geometry(&svg);
    let has = |a: String, b: String| {
        assert!(
            dot.contains(&format!("  {a} -> {b}")),
            "{a} -> {b} not in\n{dot}"
        );
        assert!(
            svg_edges.iter().any(|(f, t, _)| *f == a && *t == b),
            "{a} -> {b} not in the SVG"
        );
    };
    let mut count = 0;
    for n in tape.nodes() {
        for &j in &n.inputs {
            has(format!("n{j}"), format!("n{}", n.id));
            has(format!("v{}", n.id), format!("v{j}"));
            count += 2;
        }
    }
    // The backward pass hangs from the loss.
    has(format!("n{root}"), format!("v{root}"));
    count += 1;
    // The loss has its two inputs, NLL and β·KL, however they are laid out.
    let root_inputs = &tape.nodes()[root].inputs;
    assert_eq!(root_inputs.len(), 2);
    has("o0".into(), format!("n{root}"));
    has("o0".into(), "o1".into());
    has("o1".into(), format!("n{}", ids[0]));
    count += 3;
    assert_eq!(svg_edges.len(), count, "edges the tape does not have");
    assert_eq!(dot.matches(" -> ").count(), count);
}

#[test]
fn names_values_and_off_tape_values_are_drawn_in_their_boxes() {
    let vae = Vae::new();
    let tape = Tape::keeping_values(&Cpu::new());
    let (loss, ids) = vae.loss(&tape);
    let root = loss.node().unwrap();
    let svg = to_svg(&tape, &loss, &drawing(false, true, ids, root));
    for needle in [
        ">μ</text>",
        ">log σ²</text>",
        ">β·KL, β = 0.2</text>",
        ">x / ‖x‖</text>",
        "font-style=\"italic\">off the tape</text>",
        ">e0.w  [7, 5]</text>",
        ">slice_cols  [4, 3]</text>",
    ] {
        assert!(svg.contains(needle), "{needle} missing");
    }
    // The loss's value, and μ's first row, as the tape computed them.
    let total = loss.value().scalar().unwrap();
    assert!(
        svg.contains(&format!(">= {}</text>", number(total))),
        "{svg}"
    );
    let mu = tape.kept_value(ids[0]).unwrap().to_f64().unwrap();
    let row: Vec<String> = mu[..3].iter().map(|&v| number(v)).collect();
    assert!(svg.contains(&format!(">{}</text>", row.join("  "))));
    // Without values kept, shapes only.
    let plain = Tape::new(&Cpu::new());
    let (loss, ids) = vae.loss(&plain);
    let svg = to_svg(&plain, &loss, &drawing(false, true, ids, root));
    assert!(!svg.contains(&format!(">= {}</text>", number(total))));
    let dot = to_dot(&plain, &loss, &drawing(false, true, ids, root));
    assert!(dot.contains("subgraph cluster_off_tape {\n    label=\"off the tape\";"));
    assert!(dot.contains("peripheries=2"));
}

#[test]
fn numbers_keep_four_significant_digits() {
    assert_eq!(number(0.123456), "0.1235");
    assert_eq!(number(-12.3456), "-12.35");
    assert_eq!(number(1234.4), "1234");
    assert_eq!(number(0.0), "0");
    assert_eq!(number(1.5e-7), "1.500e-7");
    assert_eq!(
        value_lines(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0], [3, 3]),
        ["1.000  2.000  3.000", "4.000  5.000  6.000", "… 1 more row"]
    );
    assert_eq!(
        value_lines(&[1.0, 2.0, 3.0, 4.0], [1, 4]),
        ["1.000  2.000  3.000  …"]
    );
}
