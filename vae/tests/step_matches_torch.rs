//! `vae step` against PyTorch's own numbers for the same tiny step (fixtures made by
//! `scripts/torch_step.py --write-fixture`, see its header): every value, every gradient and Adam's
//! update, f64 to 1e-12 and f32 to 1e-5 of the largest magnitude of each of PyTorch's tensors. And
//! the step `vae step --data` shows is the step `vae train` takes: the same loss.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use safetensors::{Dtype, SafeTensors};

fn vae(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_vae"))
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "vae {args:?}:\n{text}");
    text
}

/// Every tensor of a safetensors file, as f64.
fn tensors(path: &Path) -> BTreeMap<String, Vec<f64>> {
    let bytes = std::fs::read(path).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    st.tensors()
        .into_iter()
        .map(|(name, view)| {
            let values = match view.dtype() {
                Dtype::F64 => view
                    .data()
                    .chunks_exact(8)
                    .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
                    .collect(),
                Dtype::F32 => view
                    .data()
                    .chunks_exact(4)
                    .map(|b| f64::from(f32::from_le_bytes(b.try_into().unwrap())))
                    .collect(),
                other => panic!("{name}: {other:?}"),
            };
            (name, values)
        })
        .collect()
}

/// Each of PyTorch's tensors against ours: the largest difference within `tol` of its largest
/// magnitude. Returns how many tensors were compared.
fn assert_close(fixture: &str, ours: &Path, tol: f64) -> usize {
    let torch = tensors(&Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture));
    let ours = tensors(ours);
    for (name, want) in &torch {
        let got = ours
            .get(name)
            .unwrap_or_else(|| panic!("vae step saved no {name}"));
        assert_eq!(got.len(), want.len(), "{name}");
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let diff = got
            .iter()
            .zip(want)
            .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
        assert!(
            diff <= tol * scale.max(f64::MIN_POSITIVE),
            "{fixture}: {name} differs from PyTorch's by {diff:e} (largest magnitude {scale:e}, \
             tolerance {tol:e} of it)"
        );
    }
    torch.len()
}

#[test]
fn the_tiny_step_matches_pytorch_in_f64_and_in_f32() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "tests/fixtures/torch_step_vae.safetensors",
            &["--model", "vae"][..],
        ),
        (
            "tests/fixtures/torch_step_dae.safetensors",
            &["--model", "dae", "--hidden", "5"][..],
        ),
    ];
    for (fixture, model) in cases {
        for (precision, tol) in [(None, 1e-12), (Some("--f32"), 1e-5)] {
            let out = dir.path().join("step.safetensors");
            let mut args = vec!["step", "--save", out.to_str().unwrap()];
            args.extend_from_slice(model);
            args.extend(precision);
            vae(&args);
            let compared = assert_close(fixture, &out, tol);
            assert!(compared >= 17, "{fixture}: only {compared} tensors");
        }
    }
}

#[test]
fn the_step_vae_step_shows_on_real_rows_is_the_first_step_vae_train_takes() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    vae(&[
        "data",
        "synth",
        "--users",
        "140",
        "--heldout-users",
        "20",
        "--items",
        "30",
        "--mean-clicks",
        "6",
        "--seed",
        "4",
        "--out",
        &p("data"),
    ]);
    // 100 training users in one batch: the epoch's loss is its one step's.
    vae(&[
        "train",
        "--data",
        &p("data"),
        "--out",
        &p("run"),
        "--epochs",
        "1",
        "--batch-size",
        "100",
        "--dims",
        "16,8",
        "--seed",
        "3",
    ]);
    let logged: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(p("run/metrics.jsonl"))
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    vae(&[
        "step",
        "--data",
        &p("data"),
        "--users",
        "100",
        "--hidden",
        "16,8",
        "--seed",
        "3",
        "--save",
        &p("step.safetensors"),
    ]);
    let saved = tensors(Path::new(&p("step.safetensors")));
    assert_eq!(saved["loss"][0], logged["train_loss"].as_f64().unwrap());
}
