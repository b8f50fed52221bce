//! The whole GMF, MLP and NeuMF losses (MSE and BCE on logits) against finite differences in f64,
//! every parameter at once: embedding tables (gather and its scatter-add, with repeated users and
//! items in the batch), tower, and prediction layer.

use autograd::gradcheck::{check_jacobian, check_projection, Tolerance};
use autograd::{Cpu, Tensor};
use vae::ncf::{Batch, Gmf, Mlp, NcfModel, NeuMf, Objective};

type B = Cpu<f64>;

const USERS: usize = 5;
const ITEMS: usize = 6;

/// Seven pairs over 5 users and 6 items; user 1 and item 2 repeat, user 4 and item 5 never appear
/// (their rows must get a zero gradient, which the finite differences confirm).
fn batch(objective: Objective) -> Batch {
    let targets = match objective {
        Objective::Mse => vec![4.0, 1.0, 3.5, 5.0, 2.0, 3.0, 4.5],
        Objective::Bce => vec![1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0],
    };
    Batch {
        users: vec![0, 1, 1, 2, 3, 1, 0],
        items: vec![2, 0, 2, 3, 4, 1, 2],
        targets,
        objective,
    }
}

/// Embeddings of N(0, 0.01²) make the loss nearly flat in the tower; checking at a point where every
/// parameter matters means scaling them up first.
fn spread(model: &dyn NcfModel<B>) -> Vec<Tensor<B>> {
    model
        .params()
        .iter()
        .map(|p| {
            let v: Vec<f64> = p.value().to_vec().unwrap();
            let scale = if p.name().contains("embedding") {
                60.0
            } else {
                1.0
            };
            let v: Vec<f64> = v.iter().map(|x| x * scale).collect();
            Tensor::from_vec(&Cpu::new(), p.value().rows(), p.value().cols(), &v).unwrap()
        })
        .collect()
}

fn check(model: &dyn NcfModel<B>, label: &str) {
    for objective in [Objective::Mse, Objective::Bce] {
        let b = batch(objective);
        let values = spread(model);
        let full = check_jacobian(&values, Tolerance::default(), |t, p| {
            model.loss_with(t, p, &b)
        })
        .unwrap();
        assert!(full.passed, "{label} {objective:?}: {full}");
        assert_eq!(
            full.compared,
            values.iter().map(|v| v.len()).sum::<usize>(),
            "every parameter element is compared"
        );
        let projected = check_projection(&values, Tolerance::default(), 3, 8, |t, p| {
            model.loss_with(t, p, &b)
        })
        .unwrap();
        assert!(projected.passed, "{label} {objective:?}: {projected}");
    }
}

#[test]
fn gmf_mse_and_bce_gradients_match_finite_differences_for_every_parameter() {
    let gmf = Gmf::<B>::new(&Cpu::new(), USERS, ITEMS, 3, 0.5, 11).unwrap();
    assert_eq!(gmf.params().len(), 4);
    check(&gmf, "GMF K=3");
}

#[test]
fn mlp_mse_and_bce_gradients_match_finite_differences_for_every_parameter() {
    let mlp = Mlp::<B>::new(&Cpu::new(), USERS, ITEMS, &[8, 4, 3], 0.5, 12).unwrap();
    assert_eq!(
        mlp.params().len(),
        8,
        "2 embeddings, 2 layers, the prediction layer"
    );
    check(&mlp, "MLP [8, 4, 3]");
}

#[test]
fn neumf_mse_and_bce_gradients_match_finite_differences_for_every_parameter() {
    let neumf = NeuMf::<B>::new(&Cpu::new(), USERS, ITEMS, 3, &[8, 4, 3], 0.5, 13).unwrap();
    assert_eq!(neumf.params().len(), 10);
    check(&neumf, "NeuMF K=3, [8, 4, 3]");
}

#[test]
fn pretrained_neumf_gradients_match_finite_differences() {
    let cpu = Cpu::new();
    let gmf = Gmf::<B>::new(&cpu, USERS, ITEMS, 2, 0.1, 1).unwrap();
    let mlp = Mlp::<B>::new(&cpu, USERS, ITEMS, &[6, 3], -0.2, 2).unwrap();
    check(
        &NeuMf::from_pretrained(&gmf, &mlp, 0.5).unwrap(),
        "pre-trained NeuMF",
    );
}

#[test]
fn parameter_names_follow_pytorch_conventions() {
    let cpu = Cpu::new();
    let names = |m: &dyn NcfModel<B>| -> Vec<String> {
        m.params().iter().map(|p| p.name().to_string()).collect()
    };
    assert_eq!(
        names(&Gmf::<B>::new(&cpu, 2, 2, 2, 0.0, 1).unwrap()),
        [
            "gmf.user_embedding.weight",
            "gmf.item_embedding.weight",
            "predict.weight",
            "predict.bias"
        ]
    );
    assert_eq!(
        names(&Mlp::<B>::new(&cpu, 2, 2, &[4, 2], 0.0, 1).unwrap()),
        [
            "mlp.user_embedding.weight",
            "mlp.item_embedding.weight",
            "mlp.layers.0.weight",
            "mlp.layers.0.bias",
            "predict.weight",
            "predict.bias"
        ]
    );
}
