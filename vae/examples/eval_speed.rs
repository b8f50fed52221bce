//! Times the evaluation of 10,000 users × 20,108 items (ML-20M's catalogue) in batches of 2,000, the
//! notebook's evaluation batch: fold-in masking, top-100 selection, NDCG@100, Recall@20, Recall@50.
//! The scores are synthetic and generated outside the timed part.
//!
//! `cargo run --release -p vae --example eval_speed`

use std::time::Instant;

use autograd::CsrMatrix;
use vae::metrics::Evaluator;

const USERS: usize = 10_000;
const ITEMS: usize = 20_108;
const BATCH: usize = 2_000;
const FOLD_IN: usize = 80;
const HELDOUT: usize = 20;
/// The budget for this part of an evaluation pass (scoring by the model is extra).
const FLOOR_SECONDS: f64 = 1.0;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let evaluator = Evaluator::default();
    let mut acc = evaluator.accumulator();
    let mut seconds = 0.0;
    for _ in 0..USERS / BATCH {
        let mut scores: Vec<f32> = (0..BATCH * ITEMS)
            .map(|_| (next() >> 40) as f32 / (1u64 << 24) as f32)
            .collect();
        let mut fold_in = Vec::with_capacity(BATCH * FOLD_IN);
        let mut heldout = Vec::with_capacity(BATCH * HELDOUT);
        for u in 0..BATCH {
            for j in 0..FOLD_IN + HELDOUT {
                let item = (next() % ITEMS as u64) as usize;
                if j < FOLD_IN {
                    fold_in.push((u, item, 1.0f32));
                } else {
                    heldout.push((u, item, 1.0f32));
                }
            }
        }
        let fold_in = CsrMatrix::from_triplets(BATCH, ITEMS, &fold_in)?;
        let heldout = CsrMatrix::from_triplets(BATCH, ITEMS, &heldout)?;
        let start = Instant::now();
        let batch = evaluator.evaluate_batch(&mut scores, ITEMS, &fold_in, &heldout)?;
        seconds += start.elapsed().as_secs_f64();
        acc.add(&batch)?;
    }
    let report = acc.report()?;
    println!(
        "evaluated {} users × {ITEMS} items on {} threads in {seconds:.3} s (floor {FLOOR_SECONDS} s); \
         random-score NDCG@100 {:.5}",
        report.users_evaluated,
        rayon::current_num_threads(),
        report.means["ndcg@100"],
    );
    Ok(())
}
