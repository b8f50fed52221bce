//! The CPU backend: buffers are `Vec<T>`, f32 GEMM is our packed GEMM (`sgemm`), f64 GEMM is
//! matrixmultiply, rows run in parallel on rayon.
//!
//! The loops live in files named as the CUDA kernel files they mirror, so one name leads to both:
//! `elementwise.rs`, `rows.rs`, `sparse.rs`, `random.rs`, `bce.rs` and `adam.rs` beside
//! `gpu/kernels/<name>.cu` (a loop and its kernel share a name, but for `unary`, whose kernel is
//! `unary_forward`), and `gemm.rs` where the GPU calls cuBLAS.
//!
//! Determinism: every output element is computed by exactly one task, in a fixed order of its own
//! inputs (rows are never split, reductions over rows run sequentially over per-row results), so the
//! same inputs give bit-identical outputs whatever the number of threads.

/// One public function, compiled three times (AVX-512, AVX2, baseline), the one run picked by
/// [`Isa::selected`]. A body written `name::<FMA>` is generic over whether it fuses multiply-adds:
/// the vector paths run it with `true`, the baseline one with `false` (see `exp_lanes`).
/// Defined before the modules below so that each of them can use it (`exp_lanes`, `rows`).
macro_rules! dispatch {
    ($(#[$doc:meta])* $name:ident => $body:ident::<FMA> ($($arg:ident: $ty:ty),*) -> $ret:ty) => {
        dispatch!(@ $(#[$doc])* $name => ($body::<true>, $body::<false>) ($($arg: $ty),*) -> $ret);
    };
    ($(#[$doc:meta])* $name:ident => $body:ident ($($arg:ident: $ty:ty),*) -> $ret:ty) => {
        dispatch!(@ $(#[$doc])* $name => ($body, $body) ($($arg: $ty),*) -> $ret);
    };
    (@ $(#[$doc:meta])* $name:ident => ($vector:expr, $base:expr) ($($arg:ident: $ty:ty),*) -> $ret:ty) => {
        $(#[$doc])*
        pub fn $name($($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,fma")]
                unsafe fn avx512($($arg: $ty),*) -> $ret {
                    $vector($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2($($arg: $ty),*) -> $ret {
                    $vector($($arg),*)
                }
                match $crate::backend::cpu::Isa::selected().f32_path() {
                    // SAFETY: the selected path is one this CPU was found to run.
                    $crate::backend::cpu::Isa::Avx512 => return unsafe { avx512($($arg),*) },
                    // SAFETY: as above.
                    $crate::backend::cpu::Isa::Avx2 => return unsafe { avx2($($arg),*) },
                    _ => {}
                }
            }
            $base($($arg),*)
        }
    };
}

mod adam;
mod amx_support;
mod bce;
pub mod bgemm;
mod elementwise;
pub(crate) mod exp_lanes;
pub mod fma_peak;
pub(crate) mod gemm;
mod isa;
pub mod memory_floor;
mod random;
mod real;
pub(crate) mod rows;
pub mod sgemm;
pub(crate) mod sparse;
pub mod top_k;

pub use isa::Isa;
pub use real::CpuReal;

use super::{AdamStep, Backend, Binary, Gemm, GemmPrecision, TopK, Unary};
use crate::csr::CsrMatrix;
use crate::error::Result;
use crate::real::Real;
use crate::rng::RngKey;
use rayon::prelude::*;
use std::marker::PhantomData;

/// The CPU backend for element type `T` (`f32` or `f64`), its GEMMs in `T` ([`Cpu::new`]) or, for
/// f32, on operands rounded to bf16 ([`Backend::with_gemm_precision`], [`bgemm`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cpu<T> {
    precision: GemmPrecision,
    elem: PhantomData<T>,
}

impl<T: Real> Cpu<T> {
    /// GEMMs in `T`.
    pub fn new() -> Self {
        Cpu {
            precision: GemmPrecision::F32,
            elem: PhantomData,
        }
    }
}

/// Below this many elements a loop runs on the calling thread: rayon's hand-off costs more.
const PAR_MIN: usize = 1 << 15;

/// Runs `f(r, row)` on every `cols`-wide row of `y`, in parallel when `y` is large.
fn for_each_row<T: Send>(y: &mut [T], cols: usize, f: impl Fn(usize, &mut [T]) + Sync + Send) {
    if cols == 0 {
        return;
    }
    if y.len() >= PAR_MIN {
        let rows_per_task = (PAR_MIN / cols).max(1);
        y.par_chunks_mut(cols * rows_per_task)
            .enumerate()
            .for_each(|(t, block)| {
                for (i, row) in block.chunks_mut(cols).enumerate() {
                    f(t * rows_per_task + i, row)
                }
            });
    } else {
        y.chunks_mut(cols)
            .enumerate()
            .for_each(|(r, row)| f(r, row));
    }
}

/// Asks for the cache lines of `v`: for reads the hardware prefetchers do not follow, such as rows
/// of a matrix a whole row apart, each starting on a new page.
#[inline(always)]
fn prefetch<T>(v: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        let p = v.as_ptr() as *const i8;
        for off in (0..std::mem::size_of_val(v)).step_by(64) {
            // SAFETY: a prefetch of an address inside `v`; it reads nothing architecturally.
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.add(off))
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = v;
}

/// Runs `f(offset, chunk)` over contiguous chunks of `y`, in parallel when `y` is large.
fn for_each_chunk<T: Send>(y: &mut [T], f: impl Fn(usize, &mut [T]) + Sync + Send) {
    if y.len() >= PAR_MIN {
        y.par_chunks_mut(PAR_MIN)
            .enumerate()
            .for_each(|(i, c)| f(i * PAR_MIN, c));
    } else {
        f(0, y)
    }
}

impl<T: CpuReal> Backend for Cpu<T> {
    type Elem = T;
    type Buffer = Vec<T>;
    type Csr = CsrMatrix<T>;

    fn device_name(&self) -> String {
        "cpu".into()
    }
    fn same_device(&self, _: &Self) -> bool {
        true
    }
    fn zeros(&self, len: usize) -> Result<Vec<T>> {
        Ok(vec![T::zero(); len])
    }
    fn upload(&self, host: &[T]) -> Result<Vec<T>> {
        Ok(host.to_vec())
    }
    fn download(&self, buf: &Vec<T>) -> Result<Vec<T>> {
        Ok(buf.clone())
    }
    fn download_owned(&self, buf: Vec<T>) -> Result<Vec<T>> {
        Ok(buf)
    }
    fn upload_csr(&self, m: &CsrMatrix<T>) -> Result<CsrMatrix<T>> {
        Ok(m.clone())
    }
    fn len(&self, buf: &Vec<T>) -> usize {
        buf.len()
    }

    fn gemm_precision(&self) -> GemmPrecision {
        self.precision
    }
    /// bf16 for f32 only: f64 (the gradient checks) has no bf16 GEMM.
    fn with_gemm_precision(&self, precision: GemmPrecision) -> Result<Self> {
        if precision == GemmPrecision::Bf16 && !T::BF16_GEMM {
            return Err(crate::Error::invalid(
                "with_gemm_precision",
                format!(
                    "bf16 GEMMs take f32 tensors, not {}",
                    std::any::type_name::<T>()
                ),
            ));
        }
        Ok(Cpu {
            precision,
            elem: PhantomData,
        })
    }
    fn gemm(&self, g: Gemm, a: &Vec<T>, b: &Vec<T>, c: &mut Vec<T>) -> Result<()> {
        gemm::gemm(g, a, b, c, self.precision);
        Ok(())
    }
    fn gemm_new(&self, g: Gemm, a: &Vec<T>, b: &Vec<T>) -> Result<Vec<T>> {
        Ok(gemm::gemm_new(g, a, b, None, self.precision))
    }
    fn gemm_bias_new(&self, g: Gemm, a: &Vec<T>, b: &Vec<T>, bias: &Vec<T>) -> Result<Vec<T>> {
        Ok(gemm::gemm_new(g, a, b, Some(bias), self.precision))
    }
    fn csr_matmul(&self, x: &CsrMatrix<T>, b: &Vec<T>, n: usize, c: &mut Vec<T>) -> Result<()> {
        sparse::csr_matmul(x, b, n, c);
        Ok(())
    }
    fn csr_t_matmul_acc(
        &self,
        x: &CsrMatrix<T>,
        d: &Vec<T>,
        n: usize,
        c: &mut Vec<T>,
    ) -> Result<()> {
        sparse::csr_t_matmul_acc(x, d, n, c);
        Ok(())
    }
    fn csr_t_matmul_new(&self, x: &CsrMatrix<T>, d: &Vec<T>, n: usize) -> Result<Vec<T>> {
        Ok(sparse::csr_t_matmul_new(x, d, n))
    }

    fn unary(&self, op: Unary, x: &Vec<T>, y: &mut Vec<T>) -> Result<()> {
        elementwise::unary(op, x, y);
        Ok(())
    }
    fn unary_backward(
        &self,
        op: Unary,
        x: &Vec<T>,
        y: &Vec<T>,
        dy: &Vec<T>,
        dx: &mut Vec<T>,
    ) -> Result<()> {
        elementwise::unary_backward(op, x, y, dy, dx);
        Ok(())
    }
    fn binary(&self, op: Binary, a: &Vec<T>, b: &Vec<T>, c: &mut Vec<T>) -> Result<()> {
        elementwise::binary(op, a, b, c);
        Ok(())
    }
    fn axpy(&self, alpha: f64, x: &Vec<T>, y: &mut Vec<T>) -> Result<()> {
        elementwise::axpy(T::of(alpha), x, y);
        Ok(())
    }

    fn add_row_vector(&self, v: &Vec<T>, cols: usize, y: &mut Vec<T>) -> Result<()> {
        rows::add_row_vector(v, cols, y);
        Ok(())
    }
    fn sum_rows(&self, x: &Vec<T>, cols: usize, alpha: f64, s: &mut Vec<T>) -> Result<()> {
        rows::sum_rows(x, cols, alpha, s);
        Ok(())
    }
    fn sum_cols_acc(&self, x: &Vec<T>, cols: usize, beta: f64, s: &mut Vec<T>) -> Result<()> {
        rows::sum_cols_acc(x, cols, beta, s);
        Ok(())
    }
    fn broadcast_col(&self, v: &Vec<T>, cols: usize, alpha: f64, y: &mut Vec<T>) -> Result<()> {
        rows::broadcast_col(v, cols, alpha, y);
        Ok(())
    }
    fn copy_cols(
        &self,
        src: &Vec<T>,
        src_cols: usize,
        src_col: usize,
        dst: &mut Vec<T>,
        dst_cols: usize,
        dst_col: usize,
        width: usize,
    ) -> Result<()> {
        rows::copy_cols(src, src_cols, src_col, dst, dst_cols, dst_col, width);
        Ok(())
    }

    fn log_softmax_rows(&self, x: &Vec<T>, cols: usize, y: &mut Vec<T>) -> Result<()> {
        rows::log_softmax_rows(x, cols, y);
        Ok(())
    }
    fn log_softmax_rows_backward(
        &self,
        y: &Vec<T>,
        dy: &Vec<T>,
        cols: usize,
        dx: &mut Vec<T>,
    ) -> Result<()> {
        rows::log_softmax_rows_backward(y, dy, cols, dx);
        Ok(())
    }
    fn multinomial_nll_rows(
        &self,
        z: &Vec<T>,
        t: &CsrMatrix<T>,
        loss: &mut Vec<T>,
        lse: &mut Vec<T>,
    ) -> Result<()> {
        sparse::multinomial_nll_rows(z, t, loss, lse);
        Ok(())
    }
    fn multinomial_nll_rows_backward(
        &self,
        z: &Vec<T>,
        lse: &Vec<T>,
        t: &CsrMatrix<T>,
        dloss: &Vec<T>,
        dz: &mut Vec<T>,
    ) -> Result<()> {
        sparse::multinomial_nll_rows_backward(z, lse, t, dloss, dz);
        Ok(())
    }
    fn l2_normalize_rows(
        &self,
        x: &Vec<T>,
        cols: usize,
        eps: f64,
        y: &mut Vec<T>,
        norms: &mut Vec<T>,
    ) -> Result<()> {
        rows::l2_normalize_rows(x, cols, eps, y, norms);
        Ok(())
    }
    fn l2_normalize_rows_backward(
        &self,
        y: &Vec<T>,
        norms: &Vec<T>,
        dy: &Vec<T>,
        cols: usize,
        eps: f64,
        dx: &mut Vec<T>,
    ) -> Result<()> {
        rows::l2_normalize_rows_backward(y, norms, dy, cols, eps, dx);
        Ok(())
    }

    fn fill_csr_pattern(&self, x: &CsrMatrix<T>, value: f64, y: &mut Vec<T>) -> Result<()> {
        sparse::fill_csr_pattern(x, T::of(value), y);
        Ok(())
    }
    fn top_k_rows(&self, scores: &Vec<T>, cols: usize, k: usize) -> Result<TopK> {
        Ok(top_k::top_k_rows(scores, cols, k))
    }

    fn dropout(&self, key: RngKey, p: f64, x: &Vec<T>, y: &mut Vec<T>) -> Result<()> {
        random::dropout(key, p, x, y);
        Ok(())
    }
    fn gaussian(&self, key: RngKey, y: &mut Vec<T>) -> Result<()> {
        random::gaussian(key, y);
        Ok(())
    }

    fn gather_rows(
        &self,
        table: &Vec<T>,
        cols: usize,
        index: &[u32],
        y: &mut Vec<T>,
    ) -> Result<()> {
        rows::gather_rows(table, cols, index, y);
        Ok(())
    }
    fn scatter_add_rows(
        &self,
        dy: &Vec<T>,
        cols: usize,
        index: &[u32],
        table: &mut Vec<T>,
    ) -> Result<()> {
        rows::scatter_add_rows(dy, cols, index, table);
        Ok(())
    }

    fn bce_with_logits(&self, z: &Vec<T>, t: &Vec<T>, loss: &mut Vec<T>) -> Result<()> {
        bce::bce_with_logits(z, t, loss);
        Ok(())
    }
    fn bce_with_logits_backward(
        &self,
        z: &Vec<T>,
        t: &Vec<T>,
        alpha: f64,
        dz: &mut Vec<T>,
    ) -> Result<()> {
        bce::bce_with_logits_backward(z, t, T::of(alpha), dz);
        Ok(())
    }

    fn adam(
        &self,
        step: AdamStep,
        param: &mut Vec<T>,
        grad: &Vec<T>,
        m: &mut Vec<T>,
        v: &mut Vec<T>,
    ) -> Result<()> {
        adam::adam(step, param, grad, m, v);
        Ok(())
    }
}
