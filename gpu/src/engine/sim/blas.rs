//! cuBLAS's `sgemm` on the host, with its argument rules: column-major operands, `op(A)` m×k read
//! with leading dimension `lda` (rows of the stored matrix), `op(B)` k×n with `ldb`, C m×n with
//! `ldc`; CUBLAS_STATUS_INVALID_VALUE for a negative size or a leading dimension below the stored
//! matrix's rows; C not read when β = 0 (NaN there is overwritten, as on the GPU); C ← βC when k = 0.
//! The backend swaps the operands to compute a row-major product, and that swap, the transposes and
//! every leading dimension are what the simulator checks: an element read outside a buffer is an
//! error here where a GPU would read whatever lies there.
//!
//! The product itself is matrixmultiply's, which takes any row and column strides. Under TF32 the
//! operands are first rounded to TF32 (10-bit mantissa, round to nearest even), as tensor cores read
//! them, so the TF32 tolerance is tested against TF32 precision.

use crate::alloc::DeviceBuf;
use crate::engine::{foreign, EngineError, EngineResult, Mem, Sgemm};

fn host(buf: &DeviceBuf<f32>) -> EngineResult<&[f32]> {
    match buf.mem() {
        Mem::Host(h) => Ok(&h.as_slice()[..buf.len()]),
        Mem::Driver(_) => Err(foreign()),
    }
}

/// The element count a column-major `rows × cols` matrix with leading dimension `ld` spans.
fn extent(rows: usize, cols: usize, ld: usize) -> usize {
    if rows == 0 || cols == 0 {
        0
    } else {
        (cols - 1) * ld + rows
    }
}

/// Rounds to TF32: 10 explicit mantissa bits, nearest even; infinities and NaN unchanged.
pub(crate) fn round_tf32(x: f32) -> f32 {
    if !x.is_finite() {
        return x;
    }
    let b = x.to_bits();
    let rounded = b.wrapping_add(0x0FFF + ((b >> 13) & 1)) & !0x1FFF;
    f32::from_bits(rounded)
}

pub(crate) fn sgemm(
    g: Sgemm,
    tf32: bool,
    a: &DeviceBuf<f32>,
    b: &DeviceBuf<f32>,
    c: &mut DeviceBuf<f32>,
) -> EngineResult<()> {
    let invalid = |why: String| {
        Err(EngineError(format!(
            "cublasSgemm: CUBLAS_STATUS_INVALID_VALUE: {why}"
        )))
    };
    if g.m < 0 || g.n < 0 || g.k < 0 {
        return invalid(format!("m={} n={} k={}", g.m, g.n, g.k));
    }
    let (m, n, k) = (g.m as usize, g.n as usize, g.k as usize);
    // The stored shapes: A is m×k, or k×m when transposed; B is k×n, or n×k.
    let (a_rows, a_cols) = if g.transa { (k, m) } else { (m, k) };
    let (b_rows, b_cols) = if g.transb { (n, k) } else { (k, n) };
    for (what, ld, rows) in [
        ("lda", g.lda, a_rows),
        ("ldb", g.ldb, b_rows),
        ("ldc", g.ldc, m),
    ] {
        if (ld as i64) < rows.max(1) as i64 {
            return invalid(format!("{what}={ld} is below max(1, {rows})"));
        }
    }
    let (lda, ldb, ldc) = (g.lda as usize, g.ldb as usize, g.ldc as usize);
    if m == 0 || n == 0 {
        return Ok(());
    }
    let c_len = c.len();
    let outside = |what: &str, need: usize, have: usize| {
        Err(EngineError(format!(
            "cublasSgemm reads {what} up to element {need} of a buffer of {have}: on a GPU this \
             reads past the buffer (check the dimensions and leading dimensions)"
        )))
    };
    let need_c = extent(m, n, ldc);
    if need_c > c_len {
        return outside("C", need_c, c_len);
    }
    let mut a_op = host(a)?;
    let mut b_op = host(b)?;
    if k > 0 {
        let (need_a, need_b) = (extent(a_rows, a_cols, lda), extent(b_rows, b_cols, ldb));
        if need_a > a_op.len() {
            return outside("A", need_a, a_op.len());
        }
        if need_b > b_op.len() {
            return outside("B", need_b, b_op.len());
        }
    }
    let (a_tf32, b_tf32);
    if tf32 {
        a_tf32 = a_op.iter().map(|&x| round_tf32(x)).collect::<Vec<_>>();
        b_tf32 = b_op.iter().map(|&x| round_tf32(x)).collect::<Vec<_>>();
        a_op = &a_tf32;
        b_op = &b_tf32;
    }
    let Mem::Host(c_mem) = c.mem_mut() else {
        return Err(foreign());
    };
    let c_all = &mut c_mem.as_mut_slice()[..c_len];
    // C ← βC first, with β = 0 meaning "overwrite" (0·NaN would stay NaN).
    for j in 0..n {
        for v in &mut c_all[j * ldc..j * ldc + m] {
            *v = if g.beta == 0.0 { 0.0 } else { g.beta * *v };
        }
    }
    if k == 0 || g.alpha == 0.0 {
        return Ok(());
    }
    // Element (i, p) of op(A): stored (i, p) at i + p·lda, or stored (p, i) at p + i·lda.
    let (rsa, csa) = if g.transa { (lda, 1) } else { (1, lda) };
    let (rsb, csb) = if g.transb { (ldb, 1) } else { (1, ldb) };
    // SAFETY: every element the strides reach lies inside the slices (the extents checked above),
    // and C does not overlap A or B (distinct buffers).
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            g.alpha,
            a_op.as_ptr(),
            rsa as isize,
            csa as isize,
            b_op.as_ptr(),
            rsb as isize,
            csb as isize,
            1.0,
            c_all.as_mut_ptr(),
            1,
            ldc as isize,
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{round_tf32, sgemm, Sgemm};
    use crate::Cuda;

    fn spec(transa: bool, transb: bool, lda: i32, ldb: i32, ldc: i32) -> Sgemm {
        Sgemm {
            transa,
            transb,
            m: 2,
            n: 3,
            k: 4,
            alpha: 1.0,
            lda,
            ldb,
            beta: 0.0,
            ldc,
        }
    }

    #[test]
    fn column_major_product_with_cublas_leading_dimension_rules() {
        let g = Cuda::simulated().unwrap();
        // A 2×4 column-major with lda 3 (a padding row), B 4×3 with ldb 4, C 2×3 with ldc 2.
        let a_host: Vec<f32> = (0..12).map(|v| v as f32).collect();
        let b_host: Vec<f32> = (0..12).map(|v| (v % 5) as f32 - 2.0).collect();
        let a = crate::launch::memory::upload(&g, &a_host).unwrap();
        let b = crate::launch::memory::upload(&g, &b_host).unwrap();
        let mut c = g.take::<f32>(6).unwrap(); // NaN: β = 0 must not read it
        sgemm(spec(false, false, 3, 4, 2), false, &a, &b, &mut c).unwrap();
        let got = g.engine().download(&c).unwrap();
        for i in 0..2 {
            for j in 0..3 {
                let want: f32 = (0..4).map(|p| a_host[i + p * 3] * b_host[p + j * 4]).sum();
                assert_eq!(got[i + j * 2], want, "C[{i},{j}]");
            }
        }
        // A leading dimension below the stored rows is CUBLAS_STATUS_INVALID_VALUE.
        let e = sgemm(spec(false, false, 1, 4, 2), false, &a, &b, &mut c)
            .unwrap_err()
            .0;
        assert!(e.contains("INVALID_VALUE") && e.contains("lda=1"), "{e}");
        let e = sgemm(spec(true, false, 3, 4, 2), false, &a, &b, &mut c)
            .unwrap_err()
            .0;
        assert!(e.contains("lda=3 is below max(1, 4)"), "{e}");
        // A leading dimension that runs past the buffer is what a GPU would read silently.
        let e = sgemm(spec(false, false, 3, 5, 2), false, &a, &b, &mut c)
            .unwrap_err()
            .0;
        assert!(
            e.contains("reads B up to element 14 of a buffer of 12"),
            "{e}"
        );
    }

    #[test]
    fn tf32_keeps_ten_mantissa_bits_and_rounds_to_nearest_even() {
        assert_eq!(round_tf32(1.0), 1.0);
        // 1 + 2⁻¹¹ is halfway between 1 and 1 + 2⁻¹⁰: to even, 1.
        assert_eq!(round_tf32(1.0 + 2f32.powi(-11)), 1.0);
        // 1 + 3·2⁻¹¹ is halfway between 1 + 2⁻¹⁰ and 1 + 2⁻⁹: to even, 1 + 2⁻⁹.
        assert_eq!(round_tf32(1.0 + 3.0 * 2f32.powi(-11)), 1.0 + 2f32.powi(-9));
        assert_eq!(round_tf32(1.0 + 2f32.powi(-10)), 1.0 + 2f32.powi(-10));
        assert!(round_tf32(f32::NAN).is_nan());
        assert_eq!(round_tf32(f32::INFINITY), f32::INFINITY);
    }
}
