//! `gradcheck`: see every op's analytic gradient beside its finite-difference estimate.
//!
//! `gradcheck` checks every registered op and prints one row each: its largest absolute and relative
//! errors, and its worst entry (the one closest to failing) as error over allowance, where ≤ 1
//! passes. `gradcheck --op tanh --shape 3x4` prints that op's analytic Jacobian (row `k` from a
//! backward pass seeded with `e_k`) and numeric one (column `j` from central differences along
//! `e_j`) side by side, then the verdict. The exit status is non-zero when any check fails.

use autograd::gradcheck::{check_jacobian, Jacobians, Report, Tolerance};
use autograd::ops::{registry, Dims, OpCheck};
use clap::Parser;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    about = "Compare every op's vector-Jacobian product with central finite differences (f64)"
)]
struct Args {
    /// One op to check in detail (its name as listed by the table); all ops when absent.
    #[arg(long)]
    op: Option<String>,
    /// The main shape `MxN` (`matmul`: [M, K]·[K, N]; element-wise ops: [M, N]).
    #[arg(long, default_value = "3x4", value_parser = parse_shape)]
    shape: (usize, usize),
    /// The inner dimension K of products, the row count of gather tables and the second concat width.
    #[arg(long, default_value_t = 2)]
    inner: usize,
    /// Seed for the input values and whatever else the op draws (masks, sparse patterns).
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn parse_shape(s: &str) -> Result<(usize, usize), String> {
    let (m, n) = s
        .split_once('x')
        .ok_or_else(|| format!("--shape {s}: expected MxN, e.g. 3x4"))?;
    let dim = |d: &str| match d.parse::<usize>() {
        Ok(v) if v > 0 => Ok(v),
        _ => Err(format!("--shape {s}: {d} is not a positive integer")),
    };
    Ok((dim(m)?, dim(n)?))
}

fn run(check: &OpCheck, dims: Dims) -> autograd::Result<Report> {
    check_jacobian(&check.inputs(dims)?, Tolerance::default(), |tape, x| {
        (check.build)(tape, x, &dims)
    })
}

fn shapes_text(check: &OpCheck, dims: Dims) -> String {
    let s: Vec<String> = (check.shapes)(dims)
        .iter()
        .map(|[r, c]| format!("{r}x{c}"))
        .collect();
    s.join(", ")
}

fn print_jacobians(i: usize, j: &Jacobians) {
    let (n_out, n_in) = (
        j.output_shape[0] * j.output_shape[1],
        j.input_shape[0] * j.input_shape[1],
    );
    println!(
        "\n∂y/∂x{i}: output {:?} × input {:?} (row = output element, column = input element)",
        j.output_shape, j.input_shape
    );
    let width = n_in * 10;
    println!(
        "{:<width$} | {:<width$}",
        "analytic (VJP)", "numeric (central differences)"
    );
    for k in 0..n_out {
        let row = |v: &[f64]| {
            v[k * n_in..(k + 1) * n_in]
                .iter()
                .map(|x| format!("{x:>10.5}"))
                .collect::<String>()
        };
        println!("{} | {}", row(&j.analytic), row(&j.numeric));
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let dims = Dims {
        m: args.shape.0,
        n: args.shape.1,
        k: args.inner.max(1),
        seed: args.seed,
    };
    let checks = registry();
    if let Some(name) = &args.op {
        let Some(check) = checks.iter().find(|c| c.name == name) else {
            let names: Vec<&str> = checks.iter().map(|c| c.name).collect();
            eprintln!("--op {name}: no such op; the ops are: {}", names.join(", "));
            return ExitCode::from(2);
        };
        println!(
            "{} on inputs {} (seed {})",
            check.name,
            shapes_text(check, dims),
            dims.seed
        );
        return match run(check, dims) {
            Ok(report) => {
                for (i, j) in report.jacobians.iter().enumerate() {
                    print_jacobians(i, j);
                }
                println!("\n{report}");
                if report.passed {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                }
            }
            Err(e) => {
                eprintln!("{}: {e}", check.name);
                ExitCode::FAILURE
            }
        };
    }
    let t = Tolerance::default();
    println!(
        "Every Jacobian entry must pass |analytic − numeric| ≤ {:.0e} + {:.0e}·|numeric|.\n\
         worst: the entry closest to failing, its error / that allowance (≤ 1 passes).\n",
        t.atol, t.rtol
    );
    println!(
        "{:<18} {:<20} {:>12} {:>12} {:>12}  result",
        "op", "inputs", "max abs err", "max rel err", "worst"
    );
    let mut failed = 0;
    for check in &checks {
        match run(check, dims) {
            Ok(r) => {
                let worst = r.worst.as_ref().map_or(0.0, |w| w.allowance_used);
                println!(
                    "{:<18} {:<20} {:>12.3e} {:>12.3e} {:>12.2e}  {}",
                    check.name,
                    shapes_text(check, dims),
                    r.max_abs_err,
                    r.max_rel_err,
                    worst,
                    if r.passed { "pass" } else { "FAIL" }
                );
                failed += usize::from(!r.passed);
            }
            Err(e) => {
                println!("{:<18} error: {e}", check.name);
                failed += 1;
            }
        }
    }
    println!(
        "\n{} ops checked, {} passed, {failed} failed",
        checks.len(),
        checks.len() - failed
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
