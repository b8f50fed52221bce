//! Seeded draws for the protocols: uniform indices and permutations, each a pure function of
//! `(key, counter)` through the Philox generator of [`autograd::rng`], so a split, a negative sample or
//! an epoch's order is reproduced exactly from the seed (and from the epoch, on resume).

use autograd::rng::{draw, RngKey};

/// The streams of [`crate::seed::derive_seed`] used by NCF, one per purpose.
pub(crate) const SPLIT_STREAM: u64 = 3 << 32;
pub(crate) const TRAIN_NEGATIVE_STREAM: u64 = 4 << 32;
pub(crate) const EVAL_NEGATIVE_STREAM: u64 = 5 << 32;
pub(crate) const SHUFFLE_STREAM: u64 = 6 << 32;

/// A uniform integer in `0..n` from a 32-bit word (multiply-shift: bias below `n / 2³²`).
pub(crate) fn below(word: u32, n: usize) -> usize {
    ((word as u64 * n as u64) >> 32) as usize
}

/// A uniformly random permutation of `0..n` (Fisher–Yates, step `i` drawing counter `i` of `key`).
pub(crate) fn permutation(n: usize, key: RngKey) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = below(draw(key, i as u64)[0], i + 1);
        p.swap(i, j);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutation_is_a_seeded_bijection() {
        let p = permutation(1000, RngKey::new(1, 2));
        let mut sorted = p.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..1000).collect::<Vec<_>>());
        assert_ne!(p, sorted);
        assert_eq!(p, permutation(1000, RngKey::new(1, 2)));
        assert_ne!(p, permutation(1000, RngKey::new(1, 3)));
    }
}
