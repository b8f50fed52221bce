//! GEMM on the CPU, for both element types: f32 takes our packed GEMM ([`super::sgemm`]), or with
//! [`GemmPrecision::Bf16`] the bf16 one ([`super::bgemm`]); f64 (the gradient checks)
//! matrixmultiply's `dgemm` on strided views, so a transposed operand is read in place.
//!
//! For f64 the rows of `C` are split into blocks computed in parallel, each by one single-threaded
//! matrixmultiply call. matrixmultiply sums over `k` in the same blocked order for every element of a
//! block, and with `α = 1` and `β ∈ {0, 1}` its edge tiles round exactly as its interior tiles, so the
//! result does not depend on the split (a test checks this bit for bit).

use super::CpuReal;
use crate::backend::{Gemm, GemmPrecision};
use rayon::prelude::*;

/// A raw pointer that may cross threads: the blocks it addresses are disjoint.
#[derive(Clone, Copy)]
struct SendPtr<T>(*mut T);
unsafe impl<T> Send for SendPtr<T> {}
unsafe impl<T> Sync for SendPtr<T> {}

/// Below this many multiply-adds an f64 GEMM runs on the calling thread.
const PAR_MIN_FLOPS: usize = 1 << 20;

/// How many row blocks an f64 GEMM is cut into.
pub(crate) fn row_blocks(g: Gemm) -> usize {
    if g.m * g.n * g.k >= PAR_MIN_FLOPS {
        rayon::current_num_threads()
    } else {
        1
    }
}

/// `C ← α·op(A)·op(B) + β·C`, on operands rounded to `precision`.
pub(super) fn gemm<T: CpuReal>(g: Gemm, a: &[T], b: &[T], c: &mut [T], precision: GemmPrecision) {
    assert!(c.len() >= g.m * g.n);
    // SAFETY: `c` holds m × n initialised elements and is borrowed apart from `a` and `b`.
    unsafe {
        match precision {
            GemmPrecision::F32 => T::gemm_raw(g, a, b, c.as_mut_ptr()),
            GemmPrecision::Bf16 => T::gemm_bf16_raw(g, a, b, None, c.as_mut_ptr()),
        }
    }
}

/// `op(A)·op(B) (+ 1·biasᵀ)` (`α = 1`, `β = 0`) in a new buffer. The product writes every element,
/// so the memory is not zero-filled first: at the output layer that fill was a 40–48 MB memset per
/// GEMM.
pub(super) fn gemm_new<T: CpuReal>(
    g: Gemm,
    a: &[T],
    b: &[T],
    bias: Option<&[T]>,
    precision: GemmPrecision,
) -> Vec<T> {
    let g = Gemm {
        alpha: 1.0,
        beta: 0.0,
        ..g
    };
    let len = g.m * g.n;
    let mut c = Vec::with_capacity(len);
    // SAFETY: `c` has room for m × n elements; with β = 0 both GEMMs write each of them (zeros
    // when k = 0) and read none, so all `len` are initialised before `set_len`.
    unsafe {
        if let Some(bias) = bias {
            assert!(bias.len() >= g.n, "gemm: bias shorter than a row");
        }
        match (precision, bias) {
            (GemmPrecision::Bf16, _) => T::gemm_bf16_raw(g, a, b, bias, c.as_mut_ptr()),
            (GemmPrecision::F32, Some(bias)) => T::gemm_bias_raw(g, a, b, bias, c.as_mut_ptr()),
            (GemmPrecision::F32, None) => T::gemm_raw(g, a, b, c.as_mut_ptr()),
        }
        c.set_len(len);
    }
    c
}

/// `C ← α·op(A)·op(B) + β·C` in f64 by matrixmultiply, the rows of `C` cut into `blocks` parts.
///
/// # Safety
/// `c` must point to `m × n` writable elements, initialised unless `β = 0`, aliasing neither `a`
/// nor `b`.
pub(crate) unsafe fn dgemm_in_row_blocks(
    g: Gemm,
    a: &[f64],
    b: &[f64],
    c: *mut f64,
    blocks: usize,
) {
    let Gemm { m, n, k, .. } = g;
    assert!(a.len() >= m * k && b.len() >= k * n);
    if m == 0 || n == 0 {
        return;
    }
    // op(A)[i, p] sits at i·rsa + p·csa.
    let (rsa, csa) = if g.trans_a {
        (1, m as isize)
    } else {
        (k as isize, 1)
    };
    let (rsb, csb) = if g.trans_b {
        (1, k as isize)
    } else {
        (n as isize, 1)
    };
    let rows_per_block = m.div_ceil(blocks.max(1));
    let (a_ptr, b_ptr, c_ptr) = (
        SendPtr(a.as_ptr() as *mut f64),
        SendPtr(b.as_ptr() as *mut f64),
        SendPtr(c),
    );
    (0..m.div_ceil(rows_per_block))
        .into_par_iter()
        .for_each(|blk| {
            let (a_ptr, b_ptr, c_ptr) = (a_ptr, b_ptr, c_ptr);
            let r0 = blk * rows_per_block;
            let rows = rows_per_block.min(m - r0);
            // SAFETY: the strides above describe op(A) (m × k), op(B) (k × n) inside `a` and `b`,
            // whose lengths were checked; this task alone writes rows r0..r0+rows of C.
            unsafe {
                matrixmultiply::dgemm(
                    rows,
                    k,
                    n,
                    g.alpha,
                    a_ptr.0.offset(r0 as isize * rsa),
                    rsa,
                    csa,
                    b_ptr.0,
                    rsb,
                    csb,
                    g.beta,
                    c_ptr.0.add(r0 * n),
                    n as isize,
                    1,
                );
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(g: Gemm, a: &[f64], b: &[f64], c: &[f64]) -> Vec<f64> {
        let mut out = c.to_vec();
        for i in 0..g.m {
            for j in 0..g.n {
                let mut s = 0.0;
                for p in 0..g.k {
                    let av = a[g.a_index(i, p)];
                    let bv = b[g.b_index(p, j)];
                    s += av * bv;
                }
                out[i * g.n + j] = g.alpha * s + g.beta * c[i * g.n + j];
            }
        }
        out
    }

    fn values(n: usize, seed: u64) -> Vec<f64> {
        (0..n as u64)
            .map(|i| crate::rng::standard_normal(crate::rng::RngKey::new(seed, 0), i))
            .collect()
    }

    #[test]
    fn dgemm_matches_the_textbook_sum_for_every_transpose_flag() {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let g = Gemm {
                m: 5,
                n: 3,
                k: 4,
                trans_a: ta,
                trans_b: tb,
                alpha: 1.5,
                beta: 0.5,
            };
            let (a, b, c0) = (values(20, 1), values(12, 2), values(15, 3));
            let mut c = c0.clone();
            // SAFETY: c holds m × n values.
            unsafe { dgemm_in_row_blocks(g, &a, &b, c.as_mut_ptr(), 2) };
            let want = naive(g, &a, &b, &c0);
            for (x, y) in c.iter().zip(&want) {
                assert!((x - y).abs() < 1e-12, "{ta} {tb}: {x} vs {y}");
            }
        }
    }

    #[test]
    fn dgemm_is_bit_identical_whatever_the_row_split() {
        for (ta, tb) in [(false, false), (true, false), (false, true)] {
            let (m, n, k) = (67, 45, 301);
            let g = Gemm {
                m,
                n,
                k,
                trans_a: ta,
                trans_b: tb,
                alpha: 1.0,
                beta: 0.0,
            };
            let (a, b) = (values(m * k, 4), values(k * n, 5));
            let mut one = vec![0f64; m * n];
            // SAFETY: each output holds m × n values.
            unsafe { dgemm_in_row_blocks(g, &a, &b, one.as_mut_ptr(), 1) };
            for blocks in [2, 3, 7, 16] {
                let mut split = vec![0f64; m * n];
                unsafe { dgemm_in_row_blocks(g, &a, &b, split.as_mut_ptr(), blocks) };
                assert!(
                    one.iter()
                        .zip(&split)
                        .all(|(x, y)| x.to_bits() == y.to_bits()),
                    "{blocks} blocks"
                );
            }
        }
    }

    #[test]
    fn gemm_new_equals_the_product_into_zeros_even_with_an_empty_inner_dimension() {
        for (m, n, k) in [(67, 45, 301), (3, 4, 0), (130, 9, 700)] {
            let g = Gemm {
                m,
                n,
                k,
                trans_a: true,
                trans_b: false,
                alpha: 1.0,
                beta: 0.0,
            };
            let a: Vec<f32> = values(m * k, 6).iter().map(|&x| x as f32).collect();
            let b: Vec<f32> = values(k * n, 7).iter().map(|&x| x as f32).collect();
            let mut want = vec![0f32; m * n];
            gemm(g, &a, &b, &mut want, GemmPrecision::F32);
            // Freed NaNs of the same size, likely handed back by the allocator: an element the
            // product failed to write would show.
            drop(std::hint::black_box(vec![f32::NAN; m * n]));
            let got = gemm_new(g, &a, &b, None, GemmPrecision::F32);
            assert_eq!(got.len(), m * n);
            assert!(
                got.iter()
                    .zip(&want)
                    .all(|(x, y)| x.to_bits() == y.to_bits()),
                "{m}x{n}x{k}"
            );
        }
    }

    /// A backend made with bf16 GEMM precision computes `gemm`, `gemm_new` and `gemm_bias_new`
    /// with the bf16 GEMM (its bits), one made with f32 with the f32 GEMM; f64 has no bf16 GEMM.
    #[test]
    fn the_backend_precision_picks_the_gemm() {
        use crate::backend::cpu::{bgemm, sgemm, Cpu, Isa};
        use crate::backend::Backend;
        let g = Gemm {
            m: 37,
            n: 70,
            k: 301,
            trans_a: false,
            trans_b: true,
            alpha: 1.0,
            beta: 0.0,
        };
        let f = |v: Vec<f64>| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
        let (a, b, bias) = (
            f(values(g.m * g.k, 8)),
            f(values(g.k * g.n, 9)),
            f(values(g.n, 10)),
        );
        let want = |bf16: bool, bias: Option<&[f32]>| {
            let mut c = vec![0f32; g.m * g.n];
            let parallel = sgemm::runs_in_parallel(g);
            // SAFETY: c holds m × n values.
            unsafe {
                if bf16 {
                    bgemm::bgemm_with(g, &a, &b, bias, c.as_mut_ptr(), Isa::selected(), parallel)
                } else {
                    sgemm::sgemm_with(g, &a, &b, bias, c.as_mut_ptr(), Isa::selected(), parallel)
                }
            }
            c
        };
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let f32_cpu = Cpu::<f32>::new();
        let bf16_cpu = f32_cpu.with_gemm_precision(GemmPrecision::Bf16).unwrap();
        assert_eq!(bf16_cpu.gemm_precision(), GemmPrecision::Bf16);
        for (cpu, bf16) in [(f32_cpu, false), (bf16_cpu, true)] {
            let (av, bv, biasv) = (a.clone(), b.clone(), bias.clone());
            assert_eq!(
                bits(&cpu.gemm_new(g, &av, &bv).unwrap()),
                bits(&want(bf16, None))
            );
            assert_eq!(
                bits(&cpu.gemm_bias_new(g, &av, &bv, &biasv).unwrap()),
                bits(&want(bf16, Some(&bias)))
            );
            let mut c = vec![0f32; g.m * g.n];
            cpu.gemm(g, &av, &bv, &mut c).unwrap();
            assert_eq!(bits(&c), bits(&want(bf16, None)));
        }
        assert_ne!(bits(&want(true, None)), bits(&want(false, None)));
        assert_eq!(
            bf16_cpu.with_gemm_precision(GemmPrecision::F32).unwrap(),
            Cpu::<f32>::new()
        );
        let err = Cpu::<f64>::new()
            .with_gemm_precision(GemmPrecision::Bf16)
            .unwrap_err();
        assert!(
            err.to_string().contains("bf16 GEMMs take f32 tensors"),
            "{err}"
        );
    }
}
