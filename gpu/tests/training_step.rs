//! One whole Mult-VAE step and one Mult-DAE step on the CUDA backend against the CPU f64 backend:
//! the same parameters (the GPU model's f32 values copied into the f64 model), the same batch, the
//! same dropout mask and ε (counter-based, keyed by seed and step), then the loss and the gradient
//! of every parameter compared. This is every op of the model, forward and backward, in the order a
//! training step runs them: the launches, the buffer reuse of the allocator and the tape together.

mod common;

use autograd::{Cpu, Tape, Tensor};
use common::*;
use vae::vae_cf::{MultDae, MultVae, Recommender, StepContext};

/// ‖gpu − ref‖/‖ref‖ for the loss and for each parameter's gradient. The f32 path rounds every
/// intermediate (tanh, the 2,000-way softmax, the products): measured on the simulator, at most
/// 5e-7 for a gradient and 3e-8 for the loss. 1e-5 leaves a margin of 20 for a GPU's own rounding
/// (its expf and tanhf are within 2 ulp) while a wrong index or a missed term gives O(1).
const STEP_TOL: f64 = 1e-5;

fn compare_step<MG, MC>(what: &str, g: &gpu::Cuda, gpu_model: &MG, cpu_model: &mut MC)
where
    MG: Recommender<gpu::Cuda>,
    MC: Recommender<Cpu<f64>>,
{
    let c = Cpu::<f64>::new();
    // The GPU model's f32 initial values, exactly, in the f64 model.
    for (pg, pc) in gpu_model.params().iter().zip(cpu_model.params_mut()) {
        let [rows, cols] = pg.value().shape();
        let host = widen(&pg.value().to_vec().unwrap());
        pc.set_value(Tensor::from_vec(&c, rows, cols, &host).unwrap())
            .unwrap();
    }
    let (batch, _) = sparse(64, 2_000, 0.02, 81);
    let ctx = StepContext {
        beta: 0.2,
        step: 3,
        train: true,
    };
    let tape_g = Tape::new(g);
    let loss_g = gpu_model.loss(&tape_g, &batch, ctx).unwrap();
    let grads_g = tape_g.backward(&loss_g.total).unwrap();
    let tape_c = Tape::new(&c);
    let loss_c = cpu_model.loss(&tape_c, &batch, ctx).unwrap();
    let grads_c = tape_c.backward(&loss_c.total).unwrap();

    let (lg, lc) = (
        loss_g.total.value().scalar().unwrap(),
        loss_c.total.value().scalar().unwrap(),
    );
    let err = ((lg - lc) / lc).abs();
    eprintln!("{what} loss: gpu {lg:.6}, cpu f64 {lc:.6}, relative error {err:.3e}");
    assert!(err <= STEP_TOL, "{what} loss {lg} vs {lc}");
    for (pg, pc) in gpu_model.params().iter().zip(cpu_model.params()) {
        let dg = grads_g.param(pg).expect("every parameter has a gradient");
        let dc = grads_c.param(pc).expect("every parameter has a gradient");
        let err = rel_err(&dg.to_vec().unwrap(), &dc.to_vec().unwrap());
        eprintln!("{what} ∂/∂{}: relative error {err:.3e}", pg.name());
        assert!(
            err <= STEP_TOL,
            "{what} ∂/∂{}: relative error {err:e}",
            pg.name()
        );
    }
}

#[test]
fn a_mult_vae_step_matches_the_cpu_f64_step() {
    let Some((g, c)) = devices() else { return };
    let gpu_model = MultVae::new(&g, 2_000, &[120, 40], 0.5, 7).unwrap();
    let mut cpu_model = MultVae::new(&c, 2_000, &[120, 40], 0.5, 7).unwrap();
    compare_step("Mult-VAE", &g, &gpu_model, &mut cpu_model);
}

#[test]
fn a_mult_dae_step_matches_the_cpu_f64_step() {
    let Some((g, c)) = devices() else { return };
    let gpu_model = MultDae::new(&g, 2_000, &[120], 0.5, 0.01, 7).unwrap();
    let mut cpu_model = MultDae::new(&c, 2_000, &[120], 0.5, 0.01, 7).unwrap();
    compare_step("Mult-DAE", &g, &gpu_model, &mut cpu_model);
}
