//! The tape's contract: gradients accumulate where a value is used twice, evaluation records
//! nothing, a tape runs backward once, parameters bind to one leaf, and bad input is a clear error.

use autograd::ops::{csr_matmul, SparseTensor};
use autograd::{Cpu, CsrMatrix, Parameter, RngKey, Tape, Tensor};

fn t(rows: usize, cols: usize, v: &[f64]) -> Tensor<Cpu<f64>> {
    Tensor::from_f64(&Cpu::new(), rows, cols, v).unwrap()
}

#[test]
fn gradient_of_a_value_used_twice_is_the_sum_of_both_paths() {
    let tape = Tape::new(&Cpu::new());
    let x = tape.variable(t(1, 2, &[3.0, -2.0]));
    // y = Σ (x ⊙ x + 2x)  ⇒  ∂y/∂x = 2x + 2
    let y = x
        .mul(&x)
        .unwrap()
        .add(&x.scale(2.0).unwrap())
        .unwrap()
        .sum()
        .unwrap();
    let g = tape.backward(&y).unwrap();
    assert_eq!(g.wrt(&x).unwrap().to_vec().unwrap(), vec![8.0, -2.0]);
}

#[test]
fn no_grad_tape_records_nothing_and_gives_the_same_values() {
    let p = Parameter::new("w", t(2, 2, &[1.0, 2.0, 3.0, 4.0]));
    let run = |tape: &Tape<Cpu<f64>>| {
        let x = tape.constant(t(1, 2, &[0.5, -1.0]));
        x.matmul(&tape.param(&p))
            .unwrap()
            .tanh()
            .unwrap()
            .sum()
            .unwrap()
            .value()
            .to_vec()
            .unwrap()
    };
    let eval = Tape::no_grad(&Cpu::new());
    let train = Tape::new(&Cpu::new());
    assert_eq!(run(&eval), run(&train));
    assert_eq!(eval.len(), 0, "evaluation must record no node");
    assert_eq!(train.len(), 4, "param, matmul, tanh, sum");
}

#[test]
fn constants_get_no_gradient_and_create_no_nodes() {
    let tape = Tape::new(&Cpu::new());
    let c = tape.constant(t(1, 1, &[2.0]));
    let y = c.tanh().unwrap();
    assert!(!y.requires_grad());
    assert_eq!(tape.len(), 0);
}

#[test]
fn a_parameter_bound_twice_is_one_leaf_with_both_gradients() {
    let p = Parameter::new("w", t(1, 1, &[3.0]));
    let tape = Tape::new(&Cpu::new());
    let (a, b) = (tape.param(&p), tape.param(&p));
    let y = a.mul(&b).unwrap().sum().unwrap();
    let g = tape.backward(&y).unwrap();
    assert_eq!(g.param(&p).unwrap().to_vec().unwrap(), vec![6.0]);
}

#[test]
fn backward_runs_once_and_needs_a_scalar() {
    let tape = Tape::new(&Cpu::new());
    let x = tape.variable(t(2, 1, &[1.0, 2.0]));
    let err = tape.backward(&x.tanh().unwrap()).err().unwrap();
    assert!(
        err.to_string()
            .contains("the loss must be 1 × 1, found [2, 1]"),
        "{err}"
    );
    let y = x.sum().unwrap();
    tape.backward(&y).unwrap();
    assert!(tape.backward(&y).is_err());
}

#[test]
fn shape_errors_name_the_op_and_both_shapes() {
    let cpu = Cpu::<f32>::new();
    let tape = Tape::new(&cpu);
    let a = tape.constant(Tensor::zeros(&cpu, 500, 600).unwrap());
    let b = tape.constant(Tensor::zeros(&cpu, 200, 600).unwrap());
    let err = a.matmul(&b).err().unwrap();
    assert_eq!(
        err.to_string(),
        "shape mismatch in matmul: [500, 600] · [200, 600]"
    );
    assert!(a
        .add(&b)
        .err()
        .unwrap()
        .to_string()
        .contains("add: [500, 600] + [200, 600]"));
    let bias = tape.constant(Tensor::zeros(&cpu, 1, 5).unwrap());
    let w = tape.constant(Tensor::zeros(&cpu, 600, 4).unwrap());
    let err = a.dense(&w, &bias).err().unwrap().to_string();
    assert!(
        err.contains("dense: [500, 600] · [600, 4] + [1, 5]"),
        "{err}"
    );
}

#[test]
fn out_of_range_indices_are_errors_not_panics() {
    let tape = Tape::new(&Cpu::<f64>::new());
    let table = tape.variable(t(3, 2, &[0.0; 6]));
    let err = table.gather_rows(&[0, 3]).err().unwrap().to_string();
    assert!(
        err.contains("gather_rows: row 3 of a table [3, 2]"),
        "{err}"
    );
    assert!(CsrMatrix::new(1, 2, vec![0, 1], vec![5], vec![1.0f64]).is_err());
    let x = SparseTensor::new(
        &Cpu::new(),
        &CsrMatrix::from_triplets(2, 4, &[(0, 1, 1.0)]).unwrap(),
    )
    .unwrap();
    let err = csr_matmul(&x, &table).err().unwrap().to_string();
    assert!(
        err.contains("csr_matmul: [2, 4] (sparse) · [3, 2]"),
        "{err}"
    );
}

#[test]
fn invalid_arguments_are_errors() {
    let tape = Tape::new(&Cpu::<f64>::new());
    let x = tape.variable(t(1, 2, &[1.0, 2.0]));
    assert!(x.dropout(1.0, RngKey::new(0, 0), true).is_err());
    assert!(x.slice_cols(1, 2).is_err());
    assert!(x.split_cols(&[1, 2]).is_err());
    assert!(autograd::ops::concat_cols::<Cpu<f64>>(&[]).is_err());
}

#[test]
fn dropout_is_the_identity_in_evaluation_and_inverted_in_training() {
    let tape = Tape::new(&Cpu::<f64>::new());
    let x = tape.variable(t(1, 1000, &[1.0; 1000]));
    let key = RngKey::new(42, 7);
    assert_eq!(
        x.dropout(0.5, key, false)
            .unwrap()
            .value()
            .to_vec()
            .unwrap(),
        vec![1.0; 1000]
    );
    let y = x.dropout(0.5, key, true).unwrap().value().to_vec().unwrap();
    assert!(y.iter().all(|&v| v == 0.0 || v == 2.0));
    let kept = y.iter().filter(|&&v| v == 2.0).count();
    assert!((430..570).contains(&kept), "{kept} of 1000 kept");
    // The same key gives the same mask; f32 and f64 agree on it.
    let tape32 = Tape::new(&Cpu::<f32>::new());
    let x32 = tape32.constant(Tensor::full(&Cpu::new(), 1, 1000, 1.0).unwrap());
    let y32 = x32
        .dropout(0.5, key, true)
        .unwrap()
        .value()
        .to_vec()
        .unwrap();
    assert!(y.iter().zip(&y32).all(|(a, b)| (*a == 0.0) == (*b == 0.0)));
}

#[test]
fn a_custom_op_records_through_the_public_api() {
    // y = x³ with its VJP 3x²ȳ, defined outside the crate.
    let tape = Tape::new(&Cpu::<f64>::new());
    let x = tape.variable(t(1, 1, &[2.0]));
    let y = tape.record("cube", &[&x], t(1, 1, &[8.0]), |gy, _| {
        let g = gy.to_vec()?[0];
        Ok(vec![Some(Tensor::from_f64(
            gy.backend(),
            1,
            1,
            &[12.0 * g],
        )?)])
    });
    let g = tape.backward(&y.sum().unwrap()).unwrap();
    assert_eq!(g.wrt(&x).unwrap().to_vec().unwrap(), vec![12.0]);
}

#[test]
fn a_vjp_returning_a_wrong_shape_is_reported_with_the_op_name() {
    let tape = Tape::new(&Cpu::<f64>::new());
    let x = tape.variable(t(1, 2, &[1.0, 2.0]));
    let y = tape.record("broken", &[&x], t(1, 1, &[0.0]), |gy, _| {
        Ok(vec![Some(gy.clone())])
    });
    let err = tape.backward(&y).err().unwrap().to_string();
    assert!(
        err.contains("broken: VJP returned [1, 1] for an input of shape [1, 2]"),
        "{err}"
    );
}

#[test]
fn into_vec_returns_the_values_whether_or_not_the_buffer_is_shared() {
    let a = t(1, 3, &[1.0, 2.0, 3.0]);
    let shared = a.clone();
    assert_eq!(a.into_vec().unwrap(), vec![1.0, 2.0, 3.0]);
    let ptr = shared.buffer().as_ptr();
    let v = shared.into_vec().unwrap();
    assert_eq!(
        v.as_ptr(),
        ptr,
        "a unique CPU buffer is handed over, not copied"
    );
}

#[test]
fn profiled_tape_times_every_op_and_gives_the_same_gradients() {
    let run = |tape: &Tape<Cpu<f64>>| {
        let x = tape.variable(t(2, 3, &[0.1, -0.2, 0.3, 0.4, -0.5, 0.6]));
        let y = x
            .tanh()
            .unwrap()
            .mul(&x)
            .unwrap()
            .tanh()
            .unwrap()
            .sum()
            .unwrap();
        tape.backward(&y)
            .unwrap()
            .wrt(&x)
            .unwrap()
            .to_vec()
            .unwrap()
    };
    let plain = Tape::new(&Cpu::new());
    let profiled = Tape::profiled(&Cpu::new());
    assert_eq!(run(&plain), run(&profiled));
    assert!(plain.profile().is_none());
    let ops = profiled.profile().unwrap();
    let seen: Vec<_> = ops.ops().iter().map(|o| (o.op, o.calls)).collect();
    assert_eq!(seen, [("tanh", 2), ("mul", 1), ("sum", 1)]);
    assert!(ops
        .ops()
        .iter()
        .all(|o| o.forward >= 0.0 && o.backward >= 0.0 && o.forward.is_finite()));
}

#[test]
fn a_retained_intermediate_gets_its_gradient_and_one_not_retained_gets_none() {
    let tape = Tape::new(&Cpu::new());
    let x = tape.variable(t(1, 2, &[0.5, -1.0]));
    // h = tanh(x), used twice: y = Σ (h ⊙ h + h)  ⇒  ∂y/∂h = 2h + 1, summed over both paths.
    let h = x.tanh().unwrap();
    let s = h.mul(&h).unwrap();
    h.retain_grad().unwrap();
    let y = s.add(&h).unwrap().sum().unwrap();
    let g = tape.backward(&y).unwrap();
    let hv = h.value().to_vec().unwrap();
    let want: Vec<f64> = hv.iter().map(|h| 2.0 * h + 1.0).collect();
    assert_eq!(g.wrt(&h).unwrap().to_vec().unwrap(), want);
    // Not asked for: freed during the pass, as in training.
    assert!(g.wrt(&s).is_none());
    // The leaf's gradient is unchanged by the retained one: (2h + 1)(1 − h²).
    let dx: Vec<f64> = hv.iter().map(|h| (2.0 * h + 1.0) * (1.0 - h * h)).collect();
    assert_eq!(g.wrt(&x).unwrap().to_vec().unwrap(), dx);
}

#[test]
fn retain_grad_on_a_constant_or_after_backward_is_an_error() {
    let tape = Tape::new(&Cpu::new());
    let c = tape.constant(t(1, 1, &[2.0]));
    let err = c.retain_grad().unwrap_err().to_string();
    assert!(
        err.contains("retain_grad") && err.contains("constant"),
        "{err}"
    );
    let x = tape.variable(t(1, 1, &[2.0]));
    let y = x.tanh().unwrap();
    tape.backward(&y).unwrap();
    let err = y.retain_grad().unwrap_err().to_string();
    assert!(err.contains("ask before"), "{err}");
    let eval = Tape::no_grad(&Cpu::new());
    let v = eval.variable(t(1, 1, &[2.0]));
    assert!(v.tanh().unwrap().retain_grad().is_err());
}
