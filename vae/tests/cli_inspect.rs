//! `vae gradcheck` prints a passing row per parameter tensor; `vae graph` writes the tape as DOT and
//! SVG with every parameter and the loss at the root.

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

#[test]
fn graph_writes_dot_and_svg_of_one_step() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let run = vae(&["graph", "--model", "vae", "--backward", "--out", out]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let dot = std::fs::read_to_string(dir.path().join("graph.dot")).unwrap();
    for needle in [
        "encoder.0.weight",
        "multinomial_nll",
        "reparameterize",
        "peripheries=2",
        "csr_matmul VJP",
    ] {
        assert!(dot.contains(needle), "{needle}");
    }
    let svg = std::fs::read_to_string(dir.path().join("graph.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("decoder.1.bias"));
}
