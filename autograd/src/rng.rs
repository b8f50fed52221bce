//! The counter-based random number generator behind dropout masks, Gaussian noise and initialisers.
//!
//! Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011), the generator
//! of cuRAND and PyTorch's CUDA backend. It is a pure function
//! `(key, counter) ↦ 4 × u32`: element `i` of a draw keyed by `(seed, step)` uses the counter
//! `(i, step)` and the key `seed`, so any backend, any thread count and any order of evaluation gives
//! the same numbers. The CUDA kernels implement the same rounds and the same derivations below.

/// What a random draw is keyed by: the user's seed and a step counter (the training step, so that
/// each mini-batch gets a fresh mask). Element `i` of the draw is a function of `(seed, step, i)` only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RngKey {
    pub seed: u64,
    pub step: u64,
}

impl RngKey {
    pub fn new(seed: u64, step: u64) -> Self {
        RngKey { seed, step }
    }
}

const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

#[inline(always)]
fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let p = a as u64 * b as u64;
    ((p >> 32) as u32, p as u32)
}

/// One Philox4x32 round of the counter `c` under the round key `k`.
#[inline(always)]
fn round(c: [u32; 4], k: [u32; 2]) -> [u32; 4] {
    let (hi0, lo0) = mulhilo(M0, c[0]);
    let (hi1, lo1) = mulhilo(M1, c[2]);
    [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0]
}

/// The key of the next round: the Weyl sequence `key + (W0, W1)`.
#[inline(always)]
fn next_key(k: [u32; 2]) -> [u32; 2] {
    [k[0].wrapping_add(W0), k[1].wrapping_add(W1)]
}

/// Philox4x32 with 10 rounds: four 32-bit words for `counter` under `key`.
pub fn philox4x32(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let (mut c, mut k) = (counter, key);
    for r in 0..10 {
        if r > 0 {
            k = next_key(k);
        }
        c = round(c, k);
    }
    c
}

/// The counter of element `index` of the draw `key`.
#[inline(always)]
fn counter(key: RngKey, index: u64) -> [u32; 4] {
    [
        index as u32,
        (index >> 32) as u32,
        key.step as u32,
        (key.step >> 32) as u32,
    ]
}

/// The Philox key of the draw `key`: its seed.
#[inline(always)]
fn philox_key(key: RngKey) -> [u32; 2] {
    [key.seed as u32, (key.seed >> 32) as u32]
}

/// The four words of element `index` of the draw `key`.
pub fn draw(key: RngKey, index: u64) -> [u32; 4] {
    philox4x32(counter(key, index), philox_key(key))
}

/// [`draw`] for the `L` consecutive indices `index0 + l`, as `words[w][l]` (word `w` of lane `l`):
/// the same rounds run on arrays of lanes, so the compiler makes each multiply a vector multiply
/// (`vpmuludq`), where [`draw`] makes one element's four words at a time.
#[inline(always)]
#[allow(clippy::needless_range_loop)] // lane `l` of the four word arrays at once
pub fn draw_lanes<const L: usize>(key: RngKey, index0: u64) -> [[u32; L]; 4] {
    let mut c = [[0u32; L]; 4];
    for l in 0..L {
        let first = counter(key, index0 + l as u64);
        (0..4).for_each(|w| c[w][l] = first[w]);
    }
    let mut k = philox_key(key);
    for r in 0..10 {
        if r > 0 {
            k = next_key(k);
        }
        for l in 0..L {
            let next = round([c[0][l], c[1][l], c[2][l], c[3][l]], k);
            (0..4).for_each(|w| c[w][l] = next[w]);
        }
    }
    c
}

/// The integer threshold of a keep probability: element `i` is kept iff
/// `(draw(key, i)[0] >> 8) < keep_threshold(1 − p)`. Comparing 24-bit integers makes the mask
/// identical on every backend, whatever its float precision.
pub fn keep_threshold(keep_prob: f64) -> u32 {
    (keep_prob.clamp(0.0, 1.0) * (1u32 << 24) as f64).round() as u32
}

/// The factor of a kept element: `1/q`, with `q = threshold / 2²⁴` the probability that [`keeps`]
/// keeps one, so that `E[mᵢ]·scale = 1` exactly and dropout leaves the expectation of its input
/// unchanged. `1/(1 − p)` would not: `q` is `1 − p` rounded to a multiple of 2⁻²⁴, off by up to
/// 2⁻²⁵ (relative `1.5·10⁻⁸` at `p = 0.2`; none at `p = 0.5`). Zero when `threshold` is 0, as no
/// element is kept then.
pub fn keep_scale(threshold: u32) -> f64 {
    if threshold == 0 {
        0.0
    } else {
        (1u32 << 24) as f64 / threshold as f64
    }
}

/// Whether element `index` survives dropout with keep probability given by `threshold`.
pub fn keeps(key: RngKey, index: u64, threshold: u32) -> bool {
    (draw(key, index)[0] >> 8) < threshold
}

/// A uniform number in the open interval (0, 1) from one 32-bit word: `(w + ½) / 2³²`.
pub fn open_unit(word: u32) -> f64 {
    (word as f64 + 0.5) / 4_294_967_296.0
}

/// A standard normal number for element `index` by Box–Muller on the first two words:
/// `z = √(−2 ln u₁) · cos(2π u₂)`.
pub fn standard_normal(key: RngKey, index: u64) -> f64 {
    let w = draw(key, index);
    let (u1, u2) = (open_unit(w[0]), open_unit(w[1]));
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn philox_matches_the_random123_known_answers() {
        // Known-answer vectors of Random123's kat_vectors for philox4x32_10.
        assert_eq!(
            philox4x32([0, 0, 0, 0], [0, 0]),
            [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]
        );
        assert_eq!(
            philox4x32([u32::MAX; 4], [u32::MAX; 2]),
            [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]
        );
        assert_eq!(
            philox4x32(
                [0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344],
                [0xa409_3822, 0x299f_31d0]
            ),
            [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]
        );
    }

    #[test]
    fn keep_rate_and_normal_moments_are_close_to_their_targets() {
        let key = RngKey::new(7, 3);
        let n = 200_000u64;
        let t = keep_threshold(0.5);
        let kept = (0..n).filter(|&i| keeps(key, i, t)).count() as f64 / n as f64;
        assert!((kept - 0.5).abs() < 0.005, "keep rate {kept}");
        let z: Vec<f64> = (0..n).map(|i| standard_normal(key, i)).collect();
        let mean = z.iter().sum::<f64>() / n as f64;
        let var = z.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(
            mean.abs() < 0.01 && (var - 1.0).abs() < 0.01,
            "{mean} {var}"
        );
    }

    #[test]
    fn lane_draws_are_the_draws_of_each_index() {
        let key = RngKey::new(0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210);
        // Indices crossing a 2³² boundary, so the counter's high word changes between lanes.
        for index0 in [0u64, 5, (1 << 32) - 3] {
            let lanes = draw_lanes::<16>(key, index0);
            for l in 0..16 {
                let index = index0 + l as u64;
                assert_eq!(lanes.map(|word| word[l]), draw(key, index), "index {index}");
            }
        }
    }

    /// The scale is the inverse of the probability the integer comparison actually keeps with,
    /// `threshold / 2²⁴` (every 24-bit word below the threshold is kept), not of `1 − p`.
    #[test]
    fn dropout_scale_times_the_exact_keep_probability_is_one() {
        for p in [0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.999] {
            let t = keep_threshold(1.0 - p);
            let q = t as f64 / (1u32 << 24) as f64;
            let unbiased = keep_scale(t) * q;
            assert!(
                (unbiased - 1.0).abs() <= f64::EPSILON,
                "p = {p}: scale·q = {unbiased}"
            );
        }
        assert_eq!(keep_scale(keep_threshold(1e-9)), 0.0, "nothing kept");
    }

    #[test]
    fn different_steps_give_different_masks() {
        let t = keep_threshold(0.5);
        let a: Vec<bool> = (0..64).map(|i| keeps(RngKey::new(1, 0), i, t)).collect();
        let b: Vec<bool> = (0..64).map(|i| keeps(RngKey::new(1, 1), i, t)).collect();
        assert_ne!(a, b);
    }
}
