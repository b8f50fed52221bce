//! A tape made by `Tape::keeping_values` keeps every node's value, to be read by node id after the
//! pass (what `vae graph --values` prints); any other tape keeps none, and keeping changes nothing
//! the tape computes.

use autograd::{Cpu, Parameter, Tape, Tensor};

fn t(rows: usize, cols: usize, v: &[f64]) -> Tensor<Cpu<f64>> {
    Tensor::from_f64(&Cpu::new(), rows, cols, v).unwrap()
}

#[test]
fn a_tape_keeping_values_returns_each_nodes_value_and_other_tapes_none() {
    let w = Parameter::new("w", t(2, 2, &[1.0, 2.0, 3.0, 4.0]));
    let run = |tape: &Tape<Cpu<f64>>| {
        let x = tape.variable(t(1, 2, &[0.5, -1.0]));
        let c = tape.constant(t(1, 2, &[1.0, 1.0]));
        let y = x.matmul(&tape.param(&w)).unwrap().tanh().unwrap();
        let loss = y.mul(&c).unwrap().sum().unwrap();
        let values: Vec<Vec<f64>> = [&x, &y, &loss]
            .iter()
            .map(|v| v.value().to_f64().unwrap())
            .collect();
        let nodes: Vec<usize> = [&x, &y, &loss].iter().map(|v| v.node().unwrap()).collect();
        let grad = tape
            .backward(&loss)
            .unwrap()
            .wrt(&x)
            .unwrap()
            .to_f64()
            .unwrap();
        (values, nodes, grad, c.node())
    };
    let keeping = Tape::keeping_values(&Cpu::new());
    let (values, nodes, grad, constant) = run(&keeping);
    for (v, &n) in values.iter().zip(&nodes) {
        assert_eq!(&keeping.kept_value(n).unwrap().to_f64().unwrap(), v);
    }
    // The parameter's leaf holds its value too; a constant has no node to keep it under.
    let leaf = keeping
        .nodes()
        .into_iter()
        .find(|n| n.inputs.is_empty() && n.shape == [2, 2])
        .unwrap();
    assert_eq!(
        keeping.kept_value(leaf.id).unwrap().to_f64().unwrap(),
        [1.0, 2.0, 3.0, 4.0]
    );
    assert_eq!(constant, None);
    assert!(keeping.kept_value(keeping.len()).is_none());

    let plain = Tape::new(&Cpu::new());
    let (plain_values, plain_nodes, plain_grad, _) = run(&plain);
    assert!(plain_nodes.iter().all(|&n| plain.kept_value(n).is_none()));
    assert_eq!((plain_values, plain_grad), (values, grad));
}
