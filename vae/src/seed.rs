//! Seeds derived from one run seed, shared by both papers' models.

use autograd::rng::{draw, RngKey};

/// A seed of its own for each purpose (`stream`), derived from the model's seed, so that the dropout
/// mask, the noise and each layer's initial weights are independent draws.
pub fn derive_seed(seed: u64, stream: u64) -> u64 {
    let w = draw(RngKey::new(seed, stream), 0xD3A1);
    (w[0] as u64) << 32 | w[1] as u64
}
