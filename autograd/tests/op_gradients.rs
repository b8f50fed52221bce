//! Property tests: every registered op's VJP matches central finite differences, on random shapes
//! (each dimension 1 to 7) and random values drawn from the op's domain, 200 cases per op.

use autograd::gradcheck::{check_jacobian, Tolerance};
use autograd::ops::{registry, Dims, OpCheck};
use autograd::{Cpu, Tape, Tensor};
use proptest::prelude::*;
use std::collections::BTreeSet;

fn inputs(check: &OpCheck, dims: Dims) -> Vec<Tensor<Cpu<f64>>> {
    check.inputs(dims).unwrap()
}

fn find(name: &str) -> OpCheck {
    registry()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("{name} is not in the registry"))
}

fn check_op(name: &str, dims: Dims) -> Result<(), TestCaseError> {
    let check = find(name);
    let report = check_jacobian(&inputs(&check, dims), Tolerance::default(), |tape, x| {
        (check.build)(tape, x, &dims)
    })
    .map_err(|e| TestCaseError::fail(format!("{name} {dims:?}: {e}")))?;
    prop_assert!(report.passed, "{} {:?}: {}", name, dims, report);
    Ok(())
}

macro_rules! op_property_tests {
    ($($op:ident),* $(,)?) => {
        $(
            mod $op {
                use super::*;
                proptest! {
                    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]
                    #[test]
                    fn vjp_matches_finite_differences(
                        m in 1usize..=7, n in 1usize..=7, k in 1usize..=7, seed in any::<u64>()
                    ) {
                        check_op(stringify!($op), Dims { m, n, k, seed })?;
                    }
                }
            }
        )*
        /// The ops that have a property test above.
        const PROPERTY_TESTED: &[&str] = &[$(stringify!($op)),*];
    };
}

op_property_tests!(
    matmul,
    dense,
    add_bias,
    csr_matmul,
    add,
    sub,
    mul,
    neg,
    square,
    tanh,
    relu,
    sigmoid,
    exp,
    log,
    scale,
    add_scalar,
    sum,
    mean,
    sum_rows,
    mean_rows,
    l2_normalize_rows,
    dropout,
    reparameterize,
    gaussian_kl,
    slice_cols,
    concat_cols,
    log_softmax_rows,
    multinomial_nll,
    gather_rows,
    mse,
    bce_with_logits,
);

/// The public functions of `autograd/src/ops/` that return a `Var`: the ops a user can call.
fn public_ops_in_source() -> BTreeSet<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/ops");
    let mut ops = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for (at, _) in text.match_indices("pub fn ") {
            let rest = &text[at + 7..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let signature = &rest[..rest.find('{').unwrap_or(rest.len())];
            if signature.contains("-> Result<Var<") {
                ops.insert(name);
            }
        }
    }
    ops
}

#[test]
fn every_public_op_is_registered_and_property_tested() {
    // `gaussian` draws ε: it has no inputs, so there is nothing to differentiate. Its numbers are
    // checked in `rng` and it is exercised by `reparameterize`, which is checked here.
    let mut public = public_ops_in_source();
    assert!(
        public.remove("gaussian"),
        "the source scan found no `gaussian`: is it still scanning?"
    );
    let registered: BTreeSet<String> = registry().iter().map(|c| c.name.to_string()).collect();
    let tested: BTreeSet<String> = PROPERTY_TESTED.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        public, registered,
        "public ops (left) vs registered checks (right)"
    );
    assert_eq!(
        registered, tested,
        "registered checks (left) vs property tests (right)"
    );
    assert!(registered.len() >= 30);
}

#[test]
fn every_registered_op_records_itself_under_its_name() {
    let dims = Dims {
        m: 3,
        n: 4,
        k: 2,
        seed: 11,
    };
    for check in registry() {
        let tape = Tape::new(&Cpu::new());
        let vars: Vec<_> = inputs(&check, dims)
            .into_iter()
            .map(|x| tape.variable(x))
            .collect();
        let y = (check.build)(&tape, &vars, &dims).unwrap();
        let node = tape.nodes()[y.node().unwrap()].clone();
        assert_eq!(
            node.kind,
            autograd::tape::NodeKind::Op(check.name),
            "{}",
            check.name
        );
    }
}
