//! `vae gradcheck` prints a passing row per parameter tensor; `vae graph` writes the tape as DOT and
//! SVG for every model it offers, with the same edges in both, none drawn under a box, the model's
//! symbols named and its off-tape inputs drawn as such.

use std::process::Command;

fn vae(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vae"))
        .args(args)
        .output()
        .expect("the vae binary runs")
}

#[test]
fn model_gradcheck_prints_a_passing_row_per_parameter() {
    for model in ["vae", "dae"] {
        let out = vae(&[
            "gradcheck",
            "--model",
            model,
            "--items",
            "7",
            "--hidden",
            "5,3",
        ]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{model}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let rows = text.lines().filter(|l| l.ends_with(" pass")).count();
        assert_eq!(rows, 8, "{model}: 8 parameter tensors in\n{text}");
        assert!(text.contains("encoder.0.weight") && text.contains("7x5"));
    }
}

#[test]
fn neumf_gradcheck_prints_a_passing_row_per_parameter() {
    let out = vae(&[
        "gradcheck",
        "--model",
        "neumf",
        "--items",
        "7",
        "--hidden",
        "5,3",
        "--users",
        "4",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        text.lines().filter(|l| l.ends_with(" pass")).count(),
        8,
        "{text}"
    );
    assert!(text.contains("gmf.user_embedding.weight") && text.contains("predict.weight"));
}

/// `vae graph ARGS --out DIR`: the DOT and SVG it wrote.
fn graph(args: &[&str]) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let mut all = vec!["graph", "--out", out];
    all.extend_from_slice(args);
    let run = vae(&all);
    assert!(
        run.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).unwrap();
    (read("graph.dot"), read("graph.svg"))
}

fn attr<'a>(tag: &'a str, name: &str) -> &'a str {
    let start = tag.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
    &tag[start..start + tag[start..].find('"').unwrap()]
}

/// A drawn box: its id, its rectangle (x0, y0, x1, y1) and its text.
struct Box {
    id: String,
    rect: [f64; 4],
    text: String,
}

/// The boxes and the edges `(from, to, points)` of `vae graph`'s SVG.
#[allow(clippy::type_complexity)]
fn svg_geometry(svg: &str) -> (Vec<Box>, Vec<(String, String, Vec<(f64, f64)>)>) {
    let (mut boxes, mut edges) = (Vec::<Box>::new(), Vec::new());
    let num = |tag: &str, name: &str| attr(tag, name).parse::<f64>().unwrap();
    for line in svg.lines() {
        if line.starts_with("<rect class=\"node\"") {
            let (x, y) = (num(line, "x"), num(line, "y"));
            boxes.push(Box {
                id: attr(line, "data-id").into(),
                rect: [x, y, x + num(line, "width"), y + num(line, "height")],
                text: String::new(),
            });
        } else if line.starts_with("<text") && line.contains("text-anchor=\"middle\"") {
            let text = &line[line.find('>').unwrap() + 1..line.rfind("</text>").unwrap()];
            let b = boxes.last_mut().unwrap();
            b.text = format!("{}{text}\n", b.text);
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

/// Whether the segment a–b passes through the inside of `r`, sampled every tenth of a pixel.
fn crosses(a: (f64, f64), b: (f64, f64), r: [f64; 4]) -> bool {
    let steps = (((b.0 - a.0).abs() + (b.1 - a.1).abs()) * 10.0)
        .ceil()
        .max(1.0) as usize;
    (0..=steps).any(|k| {
        let t = k as f64 / steps as f64;
        let (x, y) = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
        x > r[0] + 0.5 && x < r[2] - 0.5 && y > r[1] + 0.5 && y < r[3] - 0.5
    })
}

#[test]
fn graph_draws_every_model_forward_and_backward_with_no_edge_under_a_box() {
    for model in ["vae", "dae", "neumf"] {
        for extra in [&[][..], &["--backward", "--values"][..]] {
            let mut args = vec!["--model", model];
            args.extend_from_slice(extra);
            let (dot, svg) = graph(&args);
            let (boxes, edges) = svg_geometry(&svg);
            // The SVG draws the edges the DOT lists, no more, no fewer.
            let mut from_dot: Vec<(String, String)> = dot
                .lines()
                .filter_map(|l| l.trim().split_once(" -> "))
                .map(|(a, b)| {
                    (
                        a.to_string(),
                        b.split([' ', ';']).next().unwrap().to_string(),
                    )
                })
                .collect();
            let mut from_svg: Vec<(String, String)> = edges
                .iter()
                .map(|(a, b, _)| (a.clone(), b.clone()))
                .collect();
            from_dot.sort();
            from_svg.sort();
            assert_eq!(from_dot, from_svg, "{model} {extra:?}");
            for (a, b, points) in &edges {
                for w in points.windows(2) {
                    for bx in &boxes {
                        assert!(
                            !crosses(w[0], w[1], bx.rect),
                            "{model} {extra:?}: {a} → {b} passes under {}",
                            bx.id
                        );
                    }
                }
            }
            assert!(boxes.iter().any(|b| b.text.contains("off the tape")));
        }
    }
}

#[test]
fn graph_names_the_losss_two_inputs_and_mu_logvar_epsilon_and_beta_with_its_step() {
    let (_, svg) = graph(&["--model", "vae"]);
    let (boxes, edges) = svg_geometry(&svg);
    let named = |first: &str| {
        boxes
            .iter()
            .find(|b| b.text.starts_with(&format!("{first}\n")))
            .unwrap_or_else(|| panic!("no box named {first}"))
    };
    // The loss reads both the NLL and β·KL: the NLL's edge was once drawn under the β·KL boxes.
    let loss = named("L");
    let mut inputs: Vec<&str> = edges
        .iter()
        .filter(|(_, to, _)| *to == loss.id)
        .map(|(from, _, _)| from.as_str())
        .collect();
    inputs.sort();
    let mut want = vec![named("NLL").id.as_str(), named("β·KL").id.as_str()];
    want.sort();
    assert_eq!(inputs, want);
    for first in ["μ", "log σ²", "z", "KL"] {
        named(first);
    }
    assert!(named("β·KL")
        .text
        .contains("β = 0.2, held at the cap, step 1"));
    let eps = boxes
        .iter()
        .find(|b| b.text.starts_with("ε ~ N(0, I)"))
        .unwrap();
    assert!(eps.text.contains("off the tape"));
    assert!(edges
        .iter()
        .any(|(a, b, _)| *a == eps.id && *b == named("z").id));
    for prep in ["x: click rows", "x / ‖x‖", "dropout"] {
        assert!(
            boxes
                .iter()
                .any(|b| b.text.starts_with(prep) && b.text.contains("off the tape")),
            "{prep}"
        );
    }
    // β from the default annealing at the step asked for.
    let (_, svg) = graph(&["--model", "vae", "--step", "1000"]);
    assert!(
        svg.contains("β = 0.005, min(0.2, 1000 / 200000) at step 1000"),
        "{svg}"
    );
}

#[test]
fn graph_values_print_the_loss_of_the_step() {
    let (_, svg) = graph(&["--model", "dae", "--values"]);
    let (boxes, _) = svg_geometry(&svg);
    let loss = boxes.iter().find(|b| b.text.starts_with("L\n")).unwrap();
    let value = loss.text.lines().last().unwrap();
    let v: f64 = value.strip_prefix("= ").unwrap().parse().unwrap();
    // Seven items, clicks spread over them: the NLL of near-uniform logits is about
    // (clicks per user) · ln 7.
    assert!(v > 1.0 && v < 20.0, "{}", loss.text);
    let (_, plain) = graph(&["--model", "dae"]);
    assert!(!plain.contains(value));
}
