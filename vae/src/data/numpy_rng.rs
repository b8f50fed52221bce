//! numpy's legacy `RandomState`, exactly: the part the vae_cf notebook uses.
//!
//! The notebook shuffles users with `np.random.seed(98765); np.random.permutation(n)` and picks each
//! held-out user's test clicks with `np.random.choice(n, size, replace=False)`. To reproduce its split
//! bit for bit we reproduce numpy's algorithm, not its distribution:
//!
//! - `seed(s)` with an integer `s` is MT19937's `init_genrand(s)` (numpy `_legacy_seeding` calls
//!   `mt19937_seed`, not `init_by_array`; checked against numpy 2.4 `get_state()`);
//! - `permutation(n)` is `shuffle(arange(n))`: Fisher–Yates from the last element down, the swap
//!   partner drawn by `random_interval(i)` (numpy `distributions.c`), which masks 32-bit draws to the
//!   next power of two minus one and rejects values above `i`;
//! - `choice(n, size, replace=False)` is `permutation(n)[:size]` (mtrand.pyx, legacy path).

const N: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// numpy's legacy random state: MT19937 plus the legacy sampling routines built on it.
#[derive(Clone)]
pub struct NumpyRandomState {
    mt: [u32; N],
    pos: usize,
}

impl NumpyRandomState {
    /// `np.random.seed(seed)` for an integer seed: Matsumoto and Nishimura's `init_genrand`.
    pub fn new(seed: u32) -> Self {
        let mut mt = [0u32; N];
        mt[0] = seed;
        for i in 1..N {
            mt[i] = 1_812_433_253u32
                .wrapping_mul(mt[i - 1] ^ (mt[i - 1] >> 30))
                .wrapping_add(i as u32);
        }
        NumpyRandomState { mt, pos: N }
    }

    fn generate(&mut self) {
        for i in 0..N {
            let y = (self.mt[i] & UPPER_MASK) | (self.mt[(i + 1) % N] & LOWER_MASK);
            let mag = if y & 1 == 1 { MATRIX_A } else { 0 };
            self.mt[i] = self.mt[(i + M) % N] ^ (y >> 1) ^ mag;
        }
        self.pos = 0;
    }

    /// The next raw 32-bit output (`genrand_int32`, numpy's `next_uint32`).
    pub fn next_u32(&mut self) -> u32 {
        if self.pos >= N {
            self.generate();
        }
        let mut y = self.mt[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// A double in [0, 1) from two draws, 53 random bits (numpy's `random_sample`).
    pub fn next_f64(&mut self) -> f64 {
        let a = (self.next_u32() >> 5) as f64;
        let b = (self.next_u32() >> 6) as f64;
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// A uniform integer in `0..=max` by masked rejection (numpy's `random_interval`).
    pub fn random_interval(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let mut mask = max;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        mask |= mask >> 32;
        if max <= u64::from(u32::MAX) {
            loop {
                let v = u64::from(self.next_u32()) & mask;
                if v <= max {
                    return v;
                }
            }
        }
        loop {
            // numpy's legacy next_uint64 for MT19937: high word first.
            let v = ((u64::from(self.next_u32()) << 32) | u64::from(self.next_u32())) & mask;
            if v <= max {
                return v;
            }
        }
    }

    /// Shuffles `items` in place as `np.random.shuffle` does for a 1-d array.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.random_interval(i as u64) as usize;
            items.swap(i, j);
        }
    }

    /// `np.random.permutation(n)`.
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        self.shuffle(&mut p);
        p
    }

    /// `np.random.choice(n, size, replace=False)` (`size ≤ n`; larger sizes are clamped to `n`,
    /// where numpy would raise).
    pub fn choice_without_replacement(&mut self, n: usize, size: usize) -> Vec<usize> {
        let mut p = self.permutation(n);
        p.truncate(size.min(n));
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values below were printed by numpy 2.4.6 (`RandomState(s)._bit_generator.random_raw`,
    // `np.random.permutation`, `np.random.choice`); tests must not need numpy.

    #[test]
    fn raw_outputs_match_numpy_for_several_seeds() {
        let cases: [(u32, [u32; 5]); 3] = [
            (
                98765,
                [381816597, 462228979, 4069238124, 3270897581, 3428218845],
            ),
            (
                0,
                [2357136044, 2546248239, 3071714933, 3626093760, 2588848963],
            ),
            (
                4294967295,
                [419326371, 479346978, 3918654476, 2416749639, 3388880820],
            ),
        ];
        for (seed, expected) in cases {
            let mut rng = NumpyRandomState::new(seed);
            let got: Vec<u32> = (0..5).map(|_| rng.next_u32()).collect();
            assert_eq!(got, expected, "seed {seed}");
        }
    }

    #[test]
    fn permutation_matches_numpy_for_small_n() {
        assert_eq!(
            NumpyRandomState::new(98765).permutation(10),
            vec![8, 7, 1, 2, 0, 6, 9, 4, 3, 5]
        );
        assert_eq!(NumpyRandomState::new(98765).permutation(1), vec![0]);
        assert_eq!(
            NumpyRandomState::new(1).permutation(17),
            vec![3, 13, 7, 2, 6, 10, 4, 1, 14, 0, 16, 15, 9, 8, 12, 11, 5]
        );
    }

    #[test]
    fn permutation_of_ml20m_users_matches_numpy() {
        // 138,493 users: ML-20M after the notebook's filter, so the state runs through many refills.
        let p = NumpyRandomState::new(98765).permutation(138_493);
        assert_eq!(
            &p[..8],
            &[118873, 60752, 101006, 80791, 2795, 135271, 78707, 36177]
        );
        assert_eq!(&p[p.len() - 5..], &[2057, 37808, 126893, 69107, 134933]);
        let mut sorted = p.clone();
        sorted.sort_unstable();
        assert!(sorted.iter().enumerate().all(|(i, &v)| i == v));
    }

    #[test]
    fn successive_choices_continue_one_stream_as_numpy_does() {
        let mut rng = NumpyRandomState::new(98765);
        let got: Vec<Vec<usize>> = [5usize, 7, 12, 33, 100]
            .iter()
            .map(|&n| rng.choice_without_replacement(n, n / 5))
            .collect();
        assert_eq!(got[0], vec![4]);
        assert_eq!(got[1], vec![5]);
        assert_eq!(got[2], vec![4, 1]);
        assert_eq!(got[3], vec![0, 22, 9, 31, 10, 23]);
        assert_eq!(
            got[4],
            vec![25, 6, 60, 47, 67, 54, 41, 84, 92, 51, 30, 23, 91, 37, 29, 88, 32, 72, 12, 94]
        );
    }

    #[test]
    fn random_interval_stays_within_bounds() {
        let mut rng = NumpyRandomState::new(7);
        for max in [
            0u64,
            1,
            2,
            3,
            1000,
            u64::from(u32::MAX),
            u64::from(u32::MAX) + 5,
        ] {
            for _ in 0..50 {
                assert!(rng.random_interval(max) <= max);
            }
        }
    }
}
