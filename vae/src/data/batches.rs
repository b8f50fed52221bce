//! Shuffled mini-batches of rows for training: each epoch visits every row once, in an order that
//! depends only on the seed and the epoch number, so a run can resume at any epoch and replay it.

use super::error::{DataError, Result};
use super::numpy_rng::NumpyRandomState;

/// Mini-batches of `batch_size` row indices over `rows` rows (the last batch may be smaller).
#[derive(Debug, Clone, PartialEq)]
pub struct ShuffledBatches {
    rows: usize,
    batch_size: usize,
    seed: u64,
}

impl ShuffledBatches {
    /// Batches over `rows` rows; `batch_size` must be positive.
    pub fn new(rows: usize, batch_size: usize, seed: u64) -> Result<Self> {
        if batch_size == 0 {
            return Err(DataError::Invalid("batch size 0".into()));
        }
        Ok(ShuffledBatches {
            rows,
            batch_size,
            seed,
        })
    }

    /// Number of batches per epoch.
    pub fn len(&self) -> usize {
        self.rows.div_ceil(self.batch_size)
    }

    /// Whether an epoch has no batches.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The batches of epoch `epoch`: a permutation of `0..rows` cut into consecutive chunks (the
    /// notebook shuffles `idxlist` once per epoch and slices it the same way).
    pub fn epoch(&self, epoch: u64) -> EpochBatches {
        let mut rng = NumpyRandomState::new(epoch_seed(self.seed, epoch));
        EpochBatches {
            order: rng.permutation(self.rows),
            batch_size: self.batch_size,
            next: 0,
        }
    }
}

/// One epoch's batches; each item is the row indices of one batch.
#[derive(Debug, Clone)]
pub struct EpochBatches {
    order: Vec<usize>,
    batch_size: usize,
    next: usize,
}

impl Iterator for EpochBatches {
    type Item = Vec<usize>;

    fn next(&mut self) -> Option<Vec<usize>> {
        if self.next >= self.order.len() {
            return None;
        }
        let end = (self.next + self.batch_size).min(self.order.len());
        let batch = self.order[self.next..end].to_vec();
        self.next = end;
        Some(batch)
    }
}

/// One 32-bit MT seed per (seed, epoch), through SplitMix64's finaliser so that neighbouring epochs
/// get unrelated streams.
fn epoch_seed(seed: u64, epoch: u64) -> u32 {
    let mut z = seed ^ epoch.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_epoch_visits_every_row_exactly_once() {
        let b = ShuffledBatches::new(1003, 100, 7).unwrap();
        let batches: Vec<Vec<usize>> = b.epoch(3).collect();
        assert_eq!(batches.len(), b.len());
        assert_eq!(batches.last().unwrap().len(), 3);
        let mut all: Vec<usize> = batches.concat();
        all.sort_unstable();
        assert_eq!(all, (0..1003).collect::<Vec<_>>());
    }

    #[test]
    fn order_is_reproducible_per_epoch_and_differs_between_epochs_and_seeds() {
        let b = ShuffledBatches::new(500, 64, 1).unwrap();
        let e0: Vec<_> = b.epoch(0).collect();
        assert_eq!(e0, b.epoch(0).collect::<Vec<_>>());
        assert_ne!(e0, b.epoch(1).collect::<Vec<_>>());
        let other = ShuffledBatches::new(500, 64, 2).unwrap();
        assert_ne!(e0, other.epoch(0).collect::<Vec<_>>());
    }

    #[test]
    fn zero_batch_size_is_rejected() {
        assert!(ShuffledBatches::new(10, 0, 0).is_err());
    }
}
