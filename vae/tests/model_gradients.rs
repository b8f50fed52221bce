//! The whole Mult-VAE and Mult-DAE losses against finite differences, every parameter at once, with the
//! dropout mask and ε held fixed (they are functions of the step's key, not of the parameters).

use autograd::gradcheck::{check_jacobian, check_projection, Tolerance};
use autograd::{Cpu, CsrMatrix, Tensor};
use vae::vae_cf::{MultDae, MultVae, Recommender, StepContext};

type B = Cpu<f64>;

fn clicks() -> CsrMatrix<f32> {
    let t = [
        (0, 0),
        (0, 3),
        (0, 6),
        (1, 1),
        (1, 2),
        (2, 4),
        (2, 5),
        (2, 6),
        (2, 0),
        (3, 2),
    ];
    CsrMatrix::from_triplets(4, 7, &t.map(|(r, c)| (r, c, 1.0f32))).unwrap()
}

fn check_model(model: &dyn Recommender<B>, label: &str) {
    let x = clicks();
    let ctx = StepContext {
        beta: 0.3,
        step: 5,
        train: true,
    };
    let values: Vec<Tensor<B>> = model.params().iter().map(|p| p.value().clone()).collect();
    let projected = check_projection(&values, Tolerance::default(), 11, 10, |t, p| {
        model.loss_with(t, p, &x, ctx).map(|l| l.total)
    })
    .unwrap();
    assert!(projected.passed, "{label}: {projected}");
    let full = check_jacobian(&values, Tolerance::default(), |t, p| {
        model.loss_with(t, p, &x, ctx).map(|l| l.total)
    })
    .unwrap();
    assert!(full.passed, "{label}: {full}");
    assert_eq!(full.compared, values.iter().map(|v| v.len()).sum::<usize>());
}

#[test]
fn mult_vae_loss_gradient_matches_finite_differences_for_every_parameter() {
    let model = MultVae::new(&Cpu::new(), 7, &[5, 3], 0.5, 17).unwrap();
    assert_eq!(model.params().len(), 8);
    check_model(&model, "Mult-VAE 7-5-3");
}

#[test]
fn mult_dae_loss_gradient_matches_finite_differences_for_every_parameter() {
    let model = MultDae::new(&Cpu::new(), 7, &[5, 3], 0.5, 0.01, 17).unwrap();
    assert_eq!(model.params().len(), 8, "7-5-3-5-7 has four layers");
    check_model(&model, "Mult-DAE 7-5-3-5-7 with L2");
}

#[test]
fn layer_names_follow_pytorch_conventions() {
    let vae = MultVae::<B>::new(&Cpu::new(), 7, &[5, 3], 0.5, 1).unwrap();
    let names: Vec<&str> = vae.params().iter().map(|p| p.name()).collect();
    assert_eq!(
        names,
        [
            "encoder.0.weight",
            "encoder.0.bias",
            "encoder.1.weight",
            "encoder.1.bias",
            "decoder.0.weight",
            "decoder.0.bias",
            "decoder.1.weight",
            "decoder.1.bias"
        ]
    );
    let shapes: Vec<[usize; 2]> = vae.params().iter().map(|p| p.value().shape()).collect();
    assert_eq!(
        shapes[2],
        [5, 6],
        "the last encoder layer outputs μ ‖ log σ²"
    );
    assert_eq!(shapes[6], [5, 7]);
}

#[test]
fn evaluation_scores_are_deterministic_and_ignore_dropout() {
    let vae = MultVae::<B>::new(&Cpu::new(), 7, &[5, 3], 0.5, 1).unwrap();
    let a = vae.scores(&clicks()).unwrap().to_vec().unwrap();
    let b = vae.scores(&clicks()).unwrap().to_vec().unwrap();
    assert_eq!(a, b);
    assert_eq!(a.len(), 4 * 7);
}
