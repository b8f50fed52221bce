//! `vae gradcheck`: a tiny model's full loss differentiated against finite differences, parameter by
//! parameter, on a synthetic batch.

use autograd::gradcheck::{check_jacobian, Tolerance};
use autograd::Tensor;

use super::tiny::{TinyArgs, TinyModel, B};

/// NeuMF's parameters and its BCE loss on a tiny batch, for the gradient check.
fn neumf_check(a: &TinyArgs) -> anyhow::Result<(Vec<String>, autograd::gradcheck::Report)> {
    use vae::ncf::NcfModel;
    let (model, batch) = a.neumf()?;
    let names = model
        .params()
        .iter()
        .map(|p| p.name().to_string())
        .collect();
    let values: Vec<Tensor<B>> = model.params().iter().map(|p| p.value().clone()).collect();
    let report = check_jacobian(&values, Tolerance::default(), |tape, p| {
        model
            .loss_with(tape, p, &batch)
            .map_err(|e| autograd::Error::Invalid {
                op: "neumf",
                detail: e.to_string(),
            })
    })?;
    Ok((names, report))
}

pub fn gradcheck(a: TinyArgs) -> anyhow::Result<()> {
    let (names, report) = match a.model {
        TinyModel::Neumf => neumf_check(&a)?,
        _ => {
            let model = a.model()?;
            let x = a.clicks()?;
            let ctx = a.context();
            let values: Vec<Tensor<B>> = model.params().iter().map(|p| p.value().clone()).collect();
            let names = model
                .params()
                .iter()
                .map(|p| p.name().to_string())
                .collect();
            let report = check_jacobian(&values, Tolerance::default(), |tape, p| {
                model.loss_with(tape, p, &x, ctx).map(|l| l.total)
            })?;
            (names, report)
        }
    };
    println!(
        "{:<28} {:>9} {:>12} {:>12}  result",
        "parameter", "shape", "max abs err", "max rel err"
    );
    for (name, s) in names.iter().zip(report.per_input()) {
        println!(
            "{:<28} {:>9} {:>12.3e} {:>12.3e}  {}",
            name,
            format!("{}x{}", s.shape[0], s.shape[1]),
            s.max_abs_err,
            s.max_rel_err,
            if s.passed { "pass" } else { "FAIL" }
        );
    }
    println!("\n{report}");
    anyhow::ensure!(report.passed, "the gradient check failed");
    Ok(())
}
