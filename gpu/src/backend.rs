//! `autograd::Backend` for [`Cuda`]: a table from each primitive to its launch, in the file named
//! as its kernel file (`launch/rows.rs` for gpu/kernels/rows.cu), as autograd's CPU backend maps each
//! primitive to its loop in `backend/cpu/`.

use crate::csr::CudaCsr;
use crate::launch::{adam, bce, elementwise, gemm, memory, random, rows, sparse, top_k};
use crate::{Cuda, CudaBuffer};
use autograd::backend::{AdamStep, Backend, Binary, Gemm, TopK, Unary};
use autograd::rng::RngKey;
use autograd::{CsrMatrix, Result};
use std::sync::Arc;

impl Backend for Cuda {
    type Elem = f32;
    type Buffer = CudaBuffer;
    type Csr = CudaCsr;

    fn device_name(&self) -> String {
        if self.is_simulated() {
            "sim".into()
        } else {
            format!("cuda:{}", self.ordinal())
        }
    }

    /// The same opened handle (or a clone of it): two handles of one GPU have separate streams and
    /// caches, so a buffer of one must not be used by the other.
    fn same_device(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    fn synchronize(&self) -> Result<()> {
        Cuda::synchronize(self).map_err(Into::into)
    }

    fn zeros(&self, len: usize) -> Result<CudaBuffer> {
        memory::zeros(self, len)
    }
    fn upload(&self, host: &[f32]) -> Result<CudaBuffer> {
        memory::upload(self, host)
    }
    fn download(&self, buf: &CudaBuffer) -> Result<Vec<f32>> {
        memory::download(self, buf)
    }
    fn upload_csr(&self, m: &CsrMatrix<f32>) -> Result<CudaCsr> {
        memory::upload_csr(self, m)
    }
    fn len(&self, buf: &CudaBuffer) -> usize {
        buf.len()
    }

    fn gemm(&self, g: Gemm, a: &CudaBuffer, b: &CudaBuffer, c: &mut CudaBuffer) -> Result<()> {
        gemm::gemm(self, g, a, b, c)
    }
    fn gemm_new(&self, g: Gemm, a: &CudaBuffer, b: &CudaBuffer) -> Result<CudaBuffer> {
        gemm::gemm_new(self, g, a, b)
    }

    fn csr_matmul(&self, x: &CudaCsr, b: &CudaBuffer, n: usize, c: &mut CudaBuffer) -> Result<()> {
        sparse::csr_matmul(self, x, b, n, c)
    }
    fn csr_t_matmul_new(&self, x: &CudaCsr, d: &CudaBuffer, n: usize) -> Result<CudaBuffer> {
        sparse::csr_t_matmul_new(self, x, d, n)
    }
    fn csr_t_matmul_acc(
        &self,
        x: &CudaCsr,
        d: &CudaBuffer,
        n: usize,
        c: &mut CudaBuffer,
    ) -> Result<()> {
        sparse::csr_t_matmul_acc(self, x, d, n, c)
    }

    fn unary(&self, op: Unary, x: &CudaBuffer, y: &mut CudaBuffer) -> Result<()> {
        elementwise::unary(self, op, x, y)
    }
    fn unary_backward(
        &self,
        op: Unary,
        x: &CudaBuffer,
        y: &CudaBuffer,
        dy: &CudaBuffer,
        dx: &mut CudaBuffer,
    ) -> Result<()> {
        elementwise::unary_backward(self, op, x, y, dy, dx)
    }
    fn binary(&self, op: Binary, a: &CudaBuffer, b: &CudaBuffer, c: &mut CudaBuffer) -> Result<()> {
        elementwise::binary(self, op, a, b, c)
    }
    fn axpy(&self, alpha: f64, x: &CudaBuffer, y: &mut CudaBuffer) -> Result<()> {
        elementwise::axpy(self, alpha, x, y)
    }

    fn add_row_vector(&self, v: &CudaBuffer, cols: usize, y: &mut CudaBuffer) -> Result<()> {
        rows::add_row_vector(self, v, cols, y)
    }
    fn sum_rows(&self, x: &CudaBuffer, cols: usize, alpha: f64, s: &mut CudaBuffer) -> Result<()> {
        rows::sum_rows(self, x, cols, alpha, s)
    }
    fn sum_cols_acc(
        &self,
        x: &CudaBuffer,
        cols: usize,
        beta: f64,
        s: &mut CudaBuffer,
    ) -> Result<()> {
        rows::sum_cols_acc(self, x, cols, beta, s)
    }
    fn broadcast_col(
        &self,
        v: &CudaBuffer,
        cols: usize,
        alpha: f64,
        y: &mut CudaBuffer,
    ) -> Result<()> {
        rows::broadcast_col(self, v, cols, alpha, y)
    }
    fn copy_cols(
        &self,
        src: &CudaBuffer,
        src_cols: usize,
        src_col: usize,
        dst: &mut CudaBuffer,
        dst_cols: usize,
        dst_col: usize,
        width: usize,
    ) -> Result<()> {
        rows::copy_cols(self, src, src_cols, src_col, dst, dst_cols, dst_col, width)
    }
    fn log_softmax_rows(&self, x: &CudaBuffer, cols: usize, y: &mut CudaBuffer) -> Result<()> {
        rows::log_softmax_rows(self, x, cols, y)
    }
    fn log_softmax_rows_backward(
        &self,
        y: &CudaBuffer,
        dy: &CudaBuffer,
        cols: usize,
        dx: &mut CudaBuffer,
    ) -> Result<()> {
        rows::log_softmax_rows_backward(self, y, dy, cols, dx)
    }
    fn multinomial_nll_rows(
        &self,
        z: &CudaBuffer,
        t: &CudaCsr,
        loss: &mut CudaBuffer,
        lse: &mut CudaBuffer,
    ) -> Result<()> {
        sparse::multinomial_nll_rows(self, z, t, loss, lse)
    }
    fn multinomial_nll_rows_backward(
        &self,
        z: &CudaBuffer,
        lse: &CudaBuffer,
        t: &CudaCsr,
        dloss: &CudaBuffer,
        dz: &mut CudaBuffer,
    ) -> Result<()> {
        sparse::multinomial_nll_rows_backward(self, z, lse, t, dloss, dz)
    }
    fn l2_normalize_rows(
        &self,
        x: &CudaBuffer,
        cols: usize,
        eps: f64,
        y: &mut CudaBuffer,
        norms: &mut CudaBuffer,
    ) -> Result<()> {
        rows::l2_normalize_rows(self, x, cols, eps, y, norms)
    }
    fn l2_normalize_rows_backward(
        &self,
        y: &CudaBuffer,
        norms: &CudaBuffer,
        dy: &CudaBuffer,
        cols: usize,
        eps: f64,
        dx: &mut CudaBuffer,
    ) -> Result<()> {
        rows::l2_normalize_rows_backward(self, y, norms, dy, cols, eps, dx)
    }

    fn fill_csr_pattern(&self, x: &CudaCsr, value: f64, y: &mut CudaBuffer) -> Result<()> {
        sparse::fill_csr_pattern(self, x, value, y)
    }
    fn top_k_rows(&self, scores: &CudaBuffer, cols: usize, k: usize) -> Result<TopK> {
        top_k::top_k_rows(self, scores, cols, k)
    }

    fn dropout(&self, key: RngKey, p: f64, x: &CudaBuffer, y: &mut CudaBuffer) -> Result<()> {
        random::dropout(self, key, p, x, y)
    }
    fn gaussian(&self, key: RngKey, y: &mut CudaBuffer) -> Result<()> {
        random::gaussian(self, key, y)
    }

    fn gather_rows(
        &self,
        table: &CudaBuffer,
        cols: usize,
        index: &[u32],
        y: &mut CudaBuffer,
    ) -> Result<()> {
        rows::gather_rows(self, table, cols, index, y)
    }
    fn scatter_add_rows(
        &self,
        dy: &CudaBuffer,
        cols: usize,
        index: &[u32],
        table: &mut CudaBuffer,
    ) -> Result<()> {
        rows::scatter_add_rows(self, dy, cols, index, table)
    }

    fn bce_with_logits(&self, z: &CudaBuffer, t: &CudaBuffer, loss: &mut CudaBuffer) -> Result<()> {
        bce::bce_with_logits(self, z, t, loss)
    }
    fn bce_with_logits_backward(
        &self,
        z: &CudaBuffer,
        t: &CudaBuffer,
        alpha: f64,
        dz: &mut CudaBuffer,
    ) -> Result<()> {
        bce::bce_with_logits_backward(self, z, t, alpha, dz)
    }

    fn adam(
        &self,
        s: AdamStep,
        param: &mut CudaBuffer,
        grad: &CudaBuffer,
        m: &mut CudaBuffer,
        v: &mut CudaBuffer,
    ) -> Result<()> {
        adam::adam(self, s, param, grad, m, v)
    }
}
