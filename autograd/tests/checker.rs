//! The gradient checker itself: it must catch a wrong VJP, name the worst element, and check whole
//! composed graphs — here a two-layer tanh network with a multinomial likelihood and a Gaussian KL
//! term, the shape of the Mult-VAE loss, with every parameter differentiated at once.

use autograd::gradcheck::{check_jacobian, check_projection, Tolerance};
use autograd::ops::{gaussian_kl, SparseTensor};
use autograd::rng::{standard_normal, RngKey};
use autograd::{Cpu, CsrMatrix, Tape, Tensor, Var};

type B = Cpu<f64>;

fn normal(rows: usize, cols: usize, seed: u64) -> Tensor<B> {
    let v: Vec<f64> = (0..(rows * cols) as u64)
        .map(|i| 0.5 * standard_normal(RngKey::new(seed, 9), i))
        .collect();
    Tensor::from_f64(&Cpu::new(), rows, cols, &v).unwrap()
}

/// `tanh` with a VJP off by 10%: `x̄ = 0.9·ȳ(1 − y²)`.
fn wrong_tanh<'t>(x: &Var<'t, B>) -> autograd::Result<Var<'t, B>> {
    let y = x.tanh()?.value().clone();
    let saved = y.clone();
    Ok(x.tape().record("wrong_tanh", &[x], y, move |gy, _| {
        let (g, y) = (gy.to_vec()?, saved.to_vec()?);
        let gx: Vec<f64> = g
            .iter()
            .zip(&y)
            .map(|(g, y)| 0.9 * g * (1.0 - y * y))
            .collect();
        Ok(vec![Some(Tensor::from_f64(
            gy.backend(),
            gy.rows(),
            gy.cols(),
            &gx,
        )?)])
    }))
}

#[test]
fn checker_catches_a_wrong_vjp_and_names_the_worst_element() {
    let x = normal(3, 4, 1);
    let report = check_jacobian(std::slice::from_ref(&x), Tolerance::default(), |_, v| {
        wrong_tanh(&v[0])
    })
    .unwrap();
    assert!(!report.passed);
    let worst = report.worst.clone().unwrap();
    assert_eq!(worst.input, Some(0));
    assert!(
        (worst.analytic - 0.9 * worst.numeric).abs() < 1e-6,
        "{report}"
    );
    let text = report.to_string();
    assert!(
        text.starts_with("FAIL") && text.contains("analytic") && text.contains("numeric"),
        "{text}"
    );
    // The projection mode catches it too, and the right op passes both.
    assert!(
        !check_projection(
            std::slice::from_ref(&x),
            Tolerance::default(),
            3,
            3,
            |_, v| wrong_tanh(&v[0])
        )
        .unwrap()
        .passed
    );
    assert!(
        check_jacobian(std::slice::from_ref(&x), Tolerance::default(), |_, v| v[0]
            .tanh())
        .unwrap()
        .passed
    );
}

#[test]
fn checker_passes_an_exact_vjp_even_where_the_gradient_is_zero() {
    // y = x·0: analytic and numeric are both exactly 0.
    let report = check_jacobian(&[normal(2, 2, 3)], Tolerance::default(), |_, v| {
        v[0].scale(0.0)
    })
    .unwrap();
    assert!(report.passed, "{report}");
    assert_eq!(report.compared, 16);
}

/// A two-layer tanh encoder to a Gaussian (μ, log σ²), a tanh decoder, loss
/// `mean_u ℓ_u + β·mean_u Σ_k ½(−log σ² + σ² + μ² − 1)` with ε held fixed; the KL is the model's
/// own `gaussian_kl`.
fn tiny_vae_loss<'t>(
    tape: &'t Tape<B>,
    p: &[Var<'t, B>],
    x: &CsrMatrix<f64>,
) -> autograd::Result<Var<'t, B>> {
    let [w1, b1, w2, b2, w3, b3, w4, b4] = p else {
        unreachable!()
    };
    let input = tape.constant(Tensor::from_f64(
        tape.backend(),
        x.rows(),
        x.cols(),
        &x.to_dense(0.0),
    )?);
    let h = input.l2_normalize_rows()?.dense(w1, b1)?.tanh()?;
    let stats = h.dense(w2, b2)?;
    let [mu, logvar] = &stats.split_cols(&[2, 2])?[..] else {
        unreachable!()
    };
    let z = mu.reparameterize(logvar, RngKey::new(5, 1))?;
    let logits = z.dense(w3, b3)?.tanh()?.dense(w4, b4)?;
    let nll = logits
        .multinomial_nll(&SparseTensor::new(tape.backend(), x)?)?
        .mean()?;
    let kl = gaussian_kl(mu, logvar)?.mean()?;
    nll.add(&kl.scale(0.2)?)
}

#[test]
fn composed_tanh_network_with_nll_and_kl_passes_for_all_parameters() {
    let (items, hidden, latent) = (6, 5, 2);
    let x = CsrMatrix::from_triplets(
        3,
        items,
        &[
            (0, 0, 1.0),
            (0, 3, 1.0),
            (1, 1, 1.0),
            (1, 2, 1.0),
            (1, 5, 1.0),
            (2, 4, 1.0),
        ],
    )
    .unwrap();
    let shapes = [
        [items, hidden],
        [1, hidden],
        [hidden, 2 * latent],
        [1, 2 * latent],
        [latent, hidden],
        [1, hidden],
        [hidden, items],
        [1, items],
    ];
    let params: Vec<Tensor<B>> = shapes
        .iter()
        .enumerate()
        .map(|(i, s)| normal(s[0], s[1], 20 + i as u64))
        .collect();
    let projected = check_projection(&params, Tolerance::default(), 7, 8, |tape, p| {
        tiny_vae_loss(tape, p, &x)
    })
    .unwrap();
    assert!(projected.passed, "{projected}");
    let full = check_jacobian(&params, Tolerance::default(), |tape, p| {
        tiny_vae_loss(tape, p, &x)
    })
    .unwrap();
    assert!(full.passed, "{full}");
    assert_eq!(
        full.compared,
        shapes.iter().map(|s| s[0] * s[1]).sum::<usize>()
    );
}
