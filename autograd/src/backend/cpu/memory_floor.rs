//! The machine's memory bandwidth at Adam's access pattern, measured: the floor Adam is judged
//! against.
//!
//! Fused Adam ([`super::adam`]) reads four arrays (`θ`, `g`, `m`, `v`) and writes three (`θ`, `m`,
//! `v`): 28 bytes an f32 parameter, far more than its arithmetic costs on a large model. So its
//! floor is the time to move those bytes, not a FLOP count. This pass moves the same bytes in the
//! same way — the same arrays' sizes, the same chunks on the same threads ([`super::for_each_chunk`])
//! — with one addition per value written in place of Adam's square root and division:
//!
//! ```text
//! θ_i ← θ_i + g_i,   m_i ← m_i + g_i,   v_i ← v_i + g_i
//! ```
//!
//! The rate is the best of several passes (a shared virtual machine's bandwidth drifts; the best is
//! what the memory can do), counting the bytes the code asks for, not the cache lines a write
//! allocation reads too: Adam is counted the same way, so the two compare.

use std::time::Instant;

use super::for_each_chunk;

/// Bytes an f32 Adam update moves per parameter: reads of `θ`, `g`, `m`, `v`; writes of `θ`, `m`, `v`.
pub const ADAM_BYTES_PER_PARAM: usize = 7 * 4;

/// GB/s (10⁹ bytes a second) of Adam's access pattern over `params` f32 values, on every thread of
/// the current rayon pool, best of `passes` (at least one).
pub fn adam_pattern_gbs(params: usize, passes: usize) -> f64 {
    let mut p = vec![1.0f32; params];
    let g = vec![1e-3f32; params];
    let mut m = vec![0.0f32; params];
    let mut v = vec![0.0f32; params];
    // The first pass touches every page, so that page faults are not timed.
    add_pass(&mut p, &g, &mut m, &mut v);
    let mut best = f64::INFINITY;
    for _ in 0..passes.max(1) {
        let start = Instant::now();
        add_pass(&mut p, &g, &mut m, &mut v);
        best = best.min(start.elapsed().as_secs_f64());
    }
    std::hint::black_box((&p, &m, &v));
    (ADAM_BYTES_PER_PARAM * params) as f64 / best / 1e9
}

/// One pass of the pattern: `θ`, `m` and `v` each gain `g`, chunked as Adam is.
fn add_pass(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
    let (pm, pv) = (m.as_mut_ptr() as usize, v.as_mut_ptr() as usize);
    for_each_chunk(p, |o, p| {
        // SAFETY: chunks of `p` are disjoint, and so are the same ranges of `m` and `v`, which
        // have `p`'s length.
        let m = unsafe { std::slice::from_raw_parts_mut((pm as *mut f32).add(o), p.len()) };
        let v = unsafe { std::slice::from_raw_parts_mut((pv as *mut f32).add(o), p.len()) };
        let g = &g[o..o + p.len()];
        for (((p, m), v), g) in p.iter_mut().zip(m).zip(v).zip(g) {
            *p += g;
            *m += g;
            *v += g;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_gains_g_once_per_pass() {
        let n = 100_003; // several chunks and a tail
        let (mut p, mut m, mut v) = (vec![1.0f32; n], vec![0.0f32; n], vec![2.0f32; n]);
        let g: Vec<f32> = (0..n).map(|i| (i % 7) as f32).collect();
        add_pass(&mut p, &g, &mut m, &mut v);
        add_pass(&mut p, &g, &mut m, &mut v);
        for i in 0..n {
            assert_eq!(
                (p[i], m[i], v[i]),
                (1.0 + 2.0 * g[i], 2.0 * g[i], 2.0 + 2.0 * g[i])
            );
        }
    }

    #[test]
    fn a_rate_is_positive_and_finite() {
        let r = adam_pattern_gbs(1 << 16, 2);
        assert!(r.is_finite() && r > 0.0, "{r}");
    }
}
