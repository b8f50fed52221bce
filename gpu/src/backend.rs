//! `autograd::Backend` for [`Cuda`]: each primitive checks the lengths it relies on (a kernel that
//! strays past a buffer corrupts device memory silently), then queues one kernel or one cuBLAS call
//! on the stream and returns without waiting.

use crate::alloc::DeviceBuf;
use crate::device::{elementwise_config, rows_config, Cuda};
use crate::error::device;
use crate::CudaBuffer;
use autograd::backend::{AdamStep, Backend, Binary, Gemm, Unary};
use autograd::rng::{keep_threshold, RngKey};
use autograd::{CsrMatrix, Error, Result};
use cudarc::cublas::sys::cublasOperation_t;
use cudarc::cublas::{Gemm as _, GemmConfig};
use cudarc::driver::PushKernelArg;

/// A CSR matrix on the device, with its transpose: `Xᵀ·D` walks `Xᵀ`'s rows so it needs no atomics
/// and sums in the CPU's order (see sparse.cu). The transpose is built on the host at upload, a
/// counting sort of `nnz` entries.
#[derive(Debug)]
pub struct CudaCsr {
    rows: usize,
    cols: usize,
    indptr: DeviceBuf<u32>,
    indices: DeviceBuf<u32>,
    values: CudaBuffer,
    t_indptr: DeviceBuf<u32>,
    t_rows: DeviceBuf<u32>,
    t_values: CudaBuffer,
}

impl CudaCsr {
    pub fn rows(&self) -> usize {
        self.rows
    }
    pub fn cols(&self) -> usize {
        self.cols
    }
}

/// `Err` with `detail` unless `ok`: the shape checks of the primitives.
fn ensure(op: &'static str, ok: bool, detail: impl FnOnce() -> String) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::Shape {
            op,
            detail: detail(),
        })
    }
}

/// `len` equals `want`, for buffer `what` of primitive `op`.
fn len_is(op: &'static str, what: &str, len: usize, want: usize) -> Result<()> {
    ensure(op, len == want, || {
        format!("{what} has {len} elements, expected {want}")
    })
}

/// The rows of a buffer of `len` elements `cols` wide (none when `cols` is 0).
fn rows_of(op: &'static str, len: usize, cols: usize) -> Result<usize> {
    if cols == 0 {
        return Ok(0);
    }
    ensure(op, len.is_multiple_of(cols), || {
        format!("{len} elements are not rows of {cols}")
    })?;
    Ok(len / cols)
}

/// Queues kernel `$name` with the arguments in order; scalars must be named locals (the launch
/// keeps pointers to them until it is queued).
macro_rules! launch {
    ($self:ident, $name:literal, $cfg:expr; $($arg:expr),* $(,)?) => {{
        let cfg = $cfg;
        let mut builder = $self.inner.stream.launch_builder($self.function($name));
        $( builder.arg($arg); )*
        // SAFETY: the arguments match the kernel's signature in gpu/kernels (same order and types:
        // pointers for buffers, u64 for sizes), and the lengths were checked against the sizes.
        unsafe { builder.launch(cfg) }.map(|_| ()).map_err(device($name))
    }};
}

fn unary_code(op: Unary) -> (i32, f32) {
    // The codes of elementwise.cu's U_* constants.
    match op {
        Unary::Neg => (0, 0.0),
        Unary::Square => (1, 0.0),
        Unary::Tanh => (2, 0.0),
        Unary::Relu => (3, 0.0),
        Unary::Sigmoid => (4, 0.0),
        Unary::Exp => (5, 0.0),
        Unary::Log => (6, 0.0),
        Unary::Scale(c) => (7, c as f32),
        Unary::AddScalar(c) => (8, c as f32),
    }
}

impl Cuda {
    fn upload_u32(&self, host: &[u32]) -> Result<DeviceBuf<u32>> {
        let mut buf = self.take::<u32>(host.len())?;
        if !host.is_empty() {
            self.inner
                .stream
                .memcpy_htod(host, buf.slice_mut())
                .map_err(device("upload"))?;
        }
        Ok(buf)
    }

    fn to_u32(op: &'static str, v: usize) -> Result<u32> {
        u32::try_from(v).map_err(|_| Error::Invalid {
            op,
            detail: format!("{v} exceeds the GPU backend's 32-bit indices"),
        })
    }
}

impl Backend for Cuda {
    type Elem = f32;
    type Buffer = CudaBuffer;
    type Csr = CudaCsr;

    fn device_name(&self) -> String {
        format!("cuda:{}", self.ordinal())
    }

    fn synchronize(&self) -> Result<()> {
        Cuda::synchronize(self).map_err(Into::into)
    }

    fn zeros(&self, len: usize) -> Result<CudaBuffer> {
        let mut buf = self.take::<f32>(len)?;
        self.inner
            .stream
            .memset_zeros(buf.slice_mut())
            .map_err(device("zeros"))?;
        Ok(buf)
    }

    fn upload(&self, host: &[f32]) -> Result<CudaBuffer> {
        let mut buf = self.take::<f32>(host.len())?;
        if !host.is_empty() {
            self.inner
                .stream
                .memcpy_htod(host, buf.slice_mut())
                .map_err(device("upload"))?;
        }
        Ok(buf)
    }

    fn download(&self, buf: &CudaBuffer) -> Result<Vec<f32>> {
        let mut host = vec![0f32; buf.len()];
        if !host.is_empty() {
            let stream = &self.inner.stream;
            stream
                .memcpy_dtoh(&buf.slice().slice(..buf.len()), &mut host)
                .map_err(device("download"))?;
            // The one synchronisation point of the backend: the host is about to read the data.
            stream.synchronize().map_err(device("download"))?;
        }
        Ok(host)
    }

    fn upload_csr(&self, m: &CsrMatrix<f32>) -> Result<CudaCsr> {
        const OP: &str = "upload_csr";
        let (rows, cols, nnz) = (m.rows(), m.cols(), m.nnz());
        Self::to_u32(OP, nnz)?;
        Self::to_u32(OP, cols)?;
        let indptr: Vec<u32> = m.indptr().iter().map(|&p| p as u32).collect();
        // Xᵀ by counting sort over the columns; scanning the rows in order leaves each column's
        // entries in increasing row order, the order the CPU adds them in.
        let mut t_indptr = vec![0u32; cols + 1];
        for &c in m.indices() {
            t_indptr[c as usize + 1] += 1;
        }
        for c in 0..cols {
            t_indptr[c + 1] += t_indptr[c];
        }
        let mut next: Vec<u32> = t_indptr[..cols].to_vec();
        let (mut t_rows, mut t_values) = (vec![0u32; nnz], vec![0f32; nnz]);
        for r in 0..rows {
            let (cs, vs) = m.row(r);
            for (&c, &v) in cs.iter().zip(vs) {
                let slot = &mut next[c as usize];
                t_rows[*slot as usize] = r as u32;
                t_values[*slot as usize] = v;
                *slot += 1;
            }
        }
        Ok(CudaCsr {
            rows,
            cols,
            indptr: self.upload_u32(&indptr)?,
            indices: self.upload_u32(m.indices())?,
            values: self.upload(m.values())?,
            t_indptr: self.upload_u32(&t_indptr)?,
            t_rows: self.upload_u32(&t_rows)?,
            t_values: self.upload(&t_values)?,
        })
    }

    fn len(&self, buf: &CudaBuffer) -> usize {
        buf.len()
    }

    fn gemm(&self, g: Gemm, a: &CudaBuffer, b: &CudaBuffer, c: &mut CudaBuffer) -> Result<()> {
        const OP: &str = "gemm";
        let Gemm { m, n, k, .. } = g;
        ensure(
            OP,
            a.len() >= m * k && b.len() >= k * n && c.len() >= m * n,
            || {
                format!(
                    "m={m} n={n} k={k} with buffers of {}, {}, {}",
                    a.len(),
                    b.len(),
                    c.len()
                )
            },
        )?;
        if m == 0 || n == 0 {
            return Ok(());
        }
        let dim = |v: usize| {
            i32::try_from(v.max(1)).map_err(|_| Error::Invalid {
                op: OP,
                detail: format!("dimension {v} exceeds cuBLAS's 32-bit sizes"),
            })
        };
        let op = |t: bool| {
            if t {
                cublasOperation_t::CUBLAS_OP_T
            } else {
                cublasOperation_t::CUBLAS_OP_N
            }
        };
        // cuBLAS is column-major, and a row-major matrix read column-major is its transpose. So the
        // row-major C = op(A)·op(B) is computed as the column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: the operands
        // swap, keep their own transpose flags, and every leading dimension is a row-major row
        // length.
        let cfg = GemmConfig {
            transa: op(g.trans_b),
            transb: op(g.trans_a),
            m: dim(n)?,
            n: dim(m)?,
            k: k.try_into().map_err(|_| Error::Invalid {
                op: OP,
                detail: format!("k={k} exceeds cuBLAS's 32-bit sizes"),
            })?,
            alpha: g.alpha as f32,
            lda: dim(if g.trans_b { k } else { n })?,
            ldb: dim(if g.trans_a { m } else { k })?,
            beta: g.beta as f32,
            ldc: dim(n)?,
        };
        // cuBLAS runs in the calling thread's current context, which cudarc's kernel launches set
        // for themselves but its GEMM does not.
        self.inner.ctx.bind_to_thread().map_err(device(OP))?;
        // SAFETY: the dimensions and leading dimensions describe matrices inside the buffers,
        // whose lengths were checked above; C does not alias A or B (distinct Rust borrows).
        unsafe {
            self.inner
                .blas
                .gemm(cfg, b.slice(), a.slice(), c.slice_mut())
        }
        .map_err(|e| Error::Device {
            op: OP,
            detail: format!("cuBLAS sgemm: {e:?}"),
        })
    }

    fn csr_matmul(&self, x: &CudaCsr, b: &CudaBuffer, n: usize, c: &mut CudaBuffer) -> Result<()> {
        const OP: &str = "csr_matmul";
        len_is(OP, "B", b.len(), x.cols * n)?;
        len_is(OP, "C", c.len(), x.rows * n)?;
        if x.rows == 0 || n == 0 {
            return Ok(());
        }
        let (rows, n64) = (x.rows as u64, n as u64);
        launch!(self, "csr_matmul", rows_config(x.rows);
            x.indptr.slice(), x.indices.slice(), x.values.slice(), &rows, b.slice(), &n64,
            c.slice_mut())
    }

    fn csr_t_matmul_new(&self, x: &CudaCsr, d: &CudaBuffer, n: usize) -> Result<CudaBuffer> {
        let mut c = self.zeros(x.cols * n)?;
        self.csr_t_matmul_acc(x, d, n, &mut c)?;
        Ok(c)
    }

    fn csr_t_matmul_acc(
        &self,
        x: &CudaCsr,
        d: &CudaBuffer,
        n: usize,
        c: &mut CudaBuffer,
    ) -> Result<()> {
        const OP: &str = "csr_t_matmul_acc";
        len_is(OP, "D", d.len(), x.rows * n)?;
        len_is(OP, "C", c.len(), x.cols * n)?;
        if x.cols == 0 || n == 0 {
            return Ok(());
        }
        let (k_rows, n64) = (x.cols as u64, n as u64);
        launch!(self, "csr_t_matmul_acc", rows_config(x.cols);
            x.t_indptr.slice(), x.t_rows.slice(), x.t_values.slice(), &k_rows, d.slice(), &n64,
            c.slice_mut())
    }

    fn unary(&self, op: Unary, x: &CudaBuffer, y: &mut CudaBuffer) -> Result<()> {
        len_is("unary", "y", y.len(), x.len())?;
        let ((code, c), n) = (unary_code(op), x.len() as u64);
        if n == 0 {
            return Ok(());
        }
        launch!(self, "unary_forward", elementwise_config(x.len());
            &code, &c, x.slice(), y.slice_mut(), &n)
    }

    fn unary_backward(
        &self,
        op: Unary,
        x: &CudaBuffer,
        y: &CudaBuffer,
        dy: &CudaBuffer,
        dx: &mut CudaBuffer,
    ) -> Result<()> {
        const OP: &str = "unary_backward";
        for (what, len) in [("y", y.len()), ("dy", dy.len()), ("dx", dx.len())] {
            len_is(OP, what, len, x.len())?;
        }
        let ((code, c), n) = (unary_code(op), x.len() as u64);
        if n == 0 {
            return Ok(());
        }
        launch!(self, "unary_backward", elementwise_config(x.len());
            &code, &c, x.slice(), y.slice(), dy.slice(), dx.slice_mut(), &n)
    }

    fn binary(&self, op: Binary, a: &CudaBuffer, b: &CudaBuffer, c: &mut CudaBuffer) -> Result<()> {
        len_is("binary", "b", b.len(), a.len())?;
        len_is("binary", "c", c.len(), a.len())?;
        let code: i32 = match op {
            Binary::Add => 0,
            Binary::Sub => 1,
            Binary::Mul => 2,
        };
        let n = a.len() as u64;
        if n == 0 {
            return Ok(());
        }
        launch!(self, "binary", elementwise_config(a.len());
            &code, a.slice(), b.slice(), c.slice_mut(), &n)
    }

    fn axpy(&self, alpha: f64, x: &CudaBuffer, y: &mut CudaBuffer) -> Result<()> {
        len_is("axpy", "y", y.len(), x.len())?;
        let (alpha, n) = (alpha as f32, x.len() as u64);
        if n == 0 {
            return Ok(());
        }
        launch!(self, "axpy", elementwise_config(x.len()); &alpha, x.slice(), y.slice_mut(), &n)
    }

    fn add_row_vector(&self, v: &CudaBuffer, cols: usize, y: &mut CudaBuffer) -> Result<()> {
        const OP: &str = "add_row_vector";
        len_is(OP, "v", v.len(), cols)?;
        rows_of(OP, y.len(), cols)?;
        let (cols64, n) = (cols as u64, y.len() as u64);
        if n == 0 || cols == 0 {
            return Ok(());
        }
        launch!(self, "add_row_vector", elementwise_config(y.len());
            v.slice(), &cols64, y.slice_mut(), &n)
    }

    fn sum_rows(&self, x: &CudaBuffer, cols: usize, alpha: f64, s: &mut CudaBuffer) -> Result<()> {
        const OP: &str = "sum_rows";
        let rows = rows_of(OP, x.len(), cols)?;
        if cols == 0 {
            // Σ over no columns: zeros for however many rows `s` stands for.
            return self
                .inner
                .stream
                .memset_zeros(s.slice_mut())
                .map_err(device(OP));
        }
        len_is(OP, "s", s.len(), rows)?;
        if rows == 0 {
            return Ok(());
        }
        let (rows64, cols64) = (rows as u64, cols as u64);
        launch!(self, "sum_rows", rows_config(rows);
            x.slice(), &rows64, &cols64, &alpha, s.slice_mut())
    }

    fn sum_cols_acc(
        &self,
        x: &CudaBuffer,
        cols: usize,
        beta: f64,
        s: &mut CudaBuffer,
    ) -> Result<()> {
        const OP: &str = "sum_cols_acc";
        let rows = rows_of(OP, x.len(), cols)?;
        len_is(OP, "s", s.len(), cols)?;
        if cols == 0 {
            return Ok(());
        }
        let (rows64, cols64) = (rows as u64, cols as u64);
        launch!(self, "sum_cols_acc", elementwise_config(cols);
            x.slice(), &rows64, &cols64, &beta, s.slice_mut())
    }

    fn broadcast_col(
        &self,
        v: &CudaBuffer,
        cols: usize,
        alpha: f64,
        y: &mut CudaBuffer,
    ) -> Result<()> {
        const OP: &str = "broadcast_col";
        let rows = rows_of(OP, y.len(), cols)?;
        if cols == 0 {
            return Ok(());
        }
        len_is(OP, "v", v.len(), rows)?;
        let (cols64, alpha, n) = (cols as u64, alpha as f32, y.len() as u64);
        if n == 0 {
            return Ok(());
        }
        launch!(self, "broadcast_col", elementwise_config(y.len());
            v.slice(), &cols64, &alpha, y.slice_mut(), &n)
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
        const OP: &str = "copy_cols";
        let rows = rows_of(OP, dst.len(), dst_cols)?;
        ensure(
            OP,
            src_col + width <= src_cols && dst_col + width <= dst_cols,
            || {
                format!(
                    "columns {src_col}+{width} of {src_cols} into {dst_col}+{width} of {dst_cols}"
                )
            },
        )?;
        ensure(OP, src.len() >= rows * src_cols, || {
            format!(
                "source of {} elements has fewer than {rows} rows of {src_cols}",
                src.len()
            )
        })?;
        if rows == 0 || width == 0 {
            return Ok(());
        }
        let [sc, s0, dc, d0, w, r] =
            [src_cols, src_col, dst_cols, dst_col, width, rows].map(|v| v as u64);
        launch!(self, "copy_cols", elementwise_config(rows * width);
            src.slice(), &sc, &s0, dst.slice_mut(), &dc, &d0, &w, &r)
    }

    fn log_softmax_rows(&self, x: &CudaBuffer, cols: usize, y: &mut CudaBuffer) -> Result<()> {
        const OP: &str = "log_softmax_rows";
        let rows = rows_of(OP, x.len(), cols)?;
        len_is(OP, "y", y.len(), x.len())?;
        if rows == 0 {
            return Ok(());
        }
        let (rows64, cols64) = (rows as u64, cols as u64);
        launch!(self, "log_softmax_rows", rows_config(rows);
            x.slice(), &rows64, &cols64, y.slice_mut())
    }

    fn log_softmax_rows_backward(
        &self,
        y: &CudaBuffer,
        dy: &CudaBuffer,
        cols: usize,
        dx: &mut CudaBuffer,
    ) -> Result<()> {
        const OP: &str = "log_softmax_rows_backward";
        let rows = rows_of(OP, y.len(), cols)?;
        len_is(OP, "dy", dy.len(), y.len())?;
        len_is(OP, "dx", dx.len(), y.len())?;
        if rows == 0 {
            return Ok(());
        }
        let (rows64, cols64) = (rows as u64, cols as u64);
        launch!(self, "log_softmax_rows_backward", rows_config(rows);
            y.slice(), dy.slice(), &rows64, &cols64, dx.slice_mut())
    }

    fn multinomial_nll_rows(
        &self,
        z: &CudaBuffer,
        t: &CudaCsr,
        loss: &mut CudaBuffer,
        lse: &mut CudaBuffer,
    ) -> Result<()> {
        const OP: &str = "multinomial_nll_rows";
        len_is(OP, "z", z.len(), t.rows * t.cols)?;
        len_is(OP, "loss", loss.len(), t.rows)?;
        len_is(OP, "lse", lse.len(), t.rows)?;
        if t.rows == 0 {
            return Ok(());
        }
        let (rows, cols) = (t.rows as u64, t.cols as u64);
        launch!(self, "multinomial_nll_rows", rows_config(t.rows);
            z.slice(), t.indptr.slice(), t.indices.slice(), t.values.slice(), &rows, &cols,
            loss.slice_mut(), lse.slice_mut())
    }

    fn multinomial_nll_rows_backward(
        &self,
        z: &CudaBuffer,
        lse: &CudaBuffer,
        t: &CudaCsr,
        dloss: &CudaBuffer,
        dz: &mut CudaBuffer,
    ) -> Result<()> {
        const OP: &str = "multinomial_nll_rows_backward";
        len_is(OP, "z", z.len(), t.rows * t.cols)?;
        len_is(OP, "dz", dz.len(), t.rows * t.cols)?;
        len_is(OP, "lse", lse.len(), t.rows)?;
        len_is(OP, "dloss", dloss.len(), t.rows)?;
        if t.rows == 0 {
            return Ok(());
        }
        let (rows, cols) = (t.rows as u64, t.cols as u64);
        launch!(self, "multinomial_nll_rows_backward", rows_config(t.rows);
            z.slice(), lse.slice(), t.indptr.slice(), t.indices.slice(), t.values.slice(),
            dloss.slice(), &rows, &cols, dz.slice_mut())
    }

    fn l2_normalize_rows(
        &self,
        x: &CudaBuffer,
        cols: usize,
        eps: f64,
        y: &mut CudaBuffer,
        norms: &mut CudaBuffer,
    ) -> Result<()> {
        const OP: &str = "l2_normalize_rows";
        let rows = rows_of(OP, x.len(), cols)?;
        len_is(OP, "y", y.len(), x.len())?;
        if cols == 0 {
            return Ok(());
        }
        len_is(OP, "norms", norms.len(), rows)?;
        if rows == 0 {
            return Ok(());
        }
        let (rows64, cols64) = (rows as u64, cols as u64);
        launch!(self, "l2_normalize_rows", rows_config(rows);
            x.slice(), &rows64, &cols64, &eps, y.slice_mut(), norms.slice_mut())
    }

    fn l2_normalize_rows_backward(
        &self,
        y: &CudaBuffer,
        norms: &CudaBuffer,
        dy: &CudaBuffer,
        cols: usize,
        dx: &mut CudaBuffer,
    ) -> Result<()> {
        const OP: &str = "l2_normalize_rows_backward";
        let rows = rows_of(OP, y.len(), cols)?;
        len_is(OP, "dy", dy.len(), y.len())?;
        len_is(OP, "dx", dx.len(), y.len())?;
        if rows == 0 {
            return Ok(());
        }
        len_is(OP, "norms", norms.len(), rows)?;
        let (rows64, cols64) = (rows as u64, cols as u64);
        launch!(self, "l2_normalize_rows_backward", rows_config(rows);
            y.slice(), norms.slice(), dy.slice(), &rows64, &cols64, dx.slice_mut())
    }

    fn dropout(&self, key: RngKey, p: f64, x: &CudaBuffer, y: &mut CudaBuffer) -> Result<()> {
        len_is("dropout", "y", y.len(), x.len())?;
        let (seed, step, n) = (key.seed, key.step, x.len() as u64);
        // The threshold and the scale exactly as the CPU derives them (autograd/src/rng.rs).
        let (threshold, scale) = (keep_threshold(1.0 - p), (1.0 / (1.0 - p)) as f32);
        if n == 0 {
            return Ok(());
        }
        launch!(self, "dropout", elementwise_config(x.len());
            &seed, &step, &threshold, &scale, x.slice(), y.slice_mut(), &n)
    }

    fn gaussian(&self, key: RngKey, y: &mut CudaBuffer) -> Result<()> {
        let (seed, step, n) = (key.seed, key.step, y.len() as u64);
        if n == 0 {
            return Ok(());
        }
        launch!(self, "gaussian", elementwise_config(y.len()); &seed, &step, y.slice_mut(), &n)
    }

    fn gather_rows(
        &self,
        table: &CudaBuffer,
        cols: usize,
        index: &[u32],
        y: &mut CudaBuffer,
    ) -> Result<()> {
        const OP: &str = "gather_rows";
        let table_rows = rows_of(OP, table.len(), cols)?;
        len_is(OP, "y", y.len(), index.len() * cols)?;
        if let Some(&bad) = index.iter().find(|&&i| i as usize >= table_rows) {
            return Err(Error::Index {
                op: OP,
                detail: format!("row {bad} of a table of {table_rows}"),
            });
        }
        if y.is_empty() {
            return Ok(());
        }
        let idx = self.upload_u32(index)?;
        let (cols64, n) = (cols as u64, y.len() as u64);
        launch!(self, "gather_rows", elementwise_config(y.len());
            table.slice(), &cols64, idx.slice(), y.slice_mut(), &n)
    }

    fn scatter_add_rows(
        &self,
        dy: &CudaBuffer,
        cols: usize,
        index: &[u32],
        table: &mut CudaBuffer,
    ) -> Result<()> {
        const OP: &str = "scatter_add_rows";
        let table_rows = rows_of(OP, table.len(), cols)?;
        len_is(OP, "dy", dy.len(), index.len() * cols)?;
        if let Some(&bad) = index.iter().find(|&&i| i as usize >= table_rows) {
            return Err(Error::Index {
                op: OP,
                detail: format!("row {bad} of a table of {table_rows}"),
            });
        }
        if index.is_empty() || cols == 0 {
            return Ok(());
        }
        Self::to_u32(OP, index.len())?;
        // Group the rows by destination; the stable sort keeps each group in increasing row order,
        // the order the CPU accumulates repeats in.
        let mut order: Vec<u32> = (0..index.len() as u32).collect();
        order.sort_by_key(|&r| index[r as usize]);
        let (mut starts, mut dests) = (Vec::new(), Vec::new());
        for (k, &r) in order.iter().enumerate() {
            if dests.last() != Some(&index[r as usize]) {
                dests.push(index[r as usize]);
                starts.push(k as u32);
            }
        }
        starts.push(order.len() as u32);
        let groups = dests.len();
        let (order, starts, dests) = (
            self.upload_u32(&order)?,
            self.upload_u32(&starts)?,
            self.upload_u32(&dests)?,
        );
        let (cols64, groups64) = (cols as u64, groups as u64);
        launch!(self, "scatter_add_rows", rows_config(groups);
            dy.slice(), &cols64, order.slice(), starts.slice(), dests.slice(), &groups64,
            table.slice_mut())
    }

    fn bce_with_logits(&self, z: &CudaBuffer, t: &CudaBuffer, loss: &mut CudaBuffer) -> Result<()> {
        len_is("bce_with_logits", "t", t.len(), z.len())?;
        len_is("bce_with_logits", "loss", loss.len(), z.len())?;
        let n = z.len() as u64;
        if n == 0 {
            return Ok(());
        }
        launch!(self, "bce_with_logits", elementwise_config(z.len());
            z.slice(), t.slice(), loss.slice_mut(), &n)
    }

    fn bce_with_logits_backward(
        &self,
        z: &CudaBuffer,
        t: &CudaBuffer,
        alpha: f64,
        dz: &mut CudaBuffer,
    ) -> Result<()> {
        const OP: &str = "bce_with_logits_backward";
        len_is(OP, "t", t.len(), z.len())?;
        len_is(OP, "dz", dz.len(), z.len())?;
        let (alpha, n) = (alpha as f32, z.len() as u64);
        if n == 0 {
            return Ok(());
        }
        launch!(self, "bce_with_logits_backward", elementwise_config(z.len());
            z.slice(), t.slice(), &alpha, dz.slice_mut(), &n)
    }

    fn adam(
        &self,
        s: AdamStep,
        param: &mut CudaBuffer,
        grad: &CudaBuffer,
        m: &mut CudaBuffer,
        v: &mut CudaBuffer,
    ) -> Result<()> {
        for (what, len) in [("grad", grad.len()), ("m", m.len()), ("v", v.len())] {
            len_is("adam", what, len, param.len())?;
        }
        let n = param.len() as u64;
        if n == 0 {
            return Ok(());
        }
        // The step's scalars resolved as the CPU backend resolves them, then rounded to f32.
        let [beta1, beta2, eps, l2, shrink, step, sqrt_bias2] = [
            s.beta1,
            s.beta2,
            s.eps,
            s.l2,
            1.0 - s.lr * s.decoupled,
            s.lr / s.bias1,
            s.bias2.sqrt(),
        ]
        .map(|x| x as f32);
        launch!(self, "adam", elementwise_config(param.len());
            param.slice_mut(), grad.slice(), m.slice_mut(), v.slice_mut(), &n, &beta1, &beta2,
            &eps, &l2, &shrink, &step, &sqrt_bias2)
    }
}
