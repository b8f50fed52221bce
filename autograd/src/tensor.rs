//! Tensors: a row-major `rows × cols` matrix living on a backend. Cloning is cheap (the buffer is
//! shared); ops never write into an input, they allocate their output.

mod display;

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::real::Real;
use std::fmt;
use std::sync::Arc;

/// A 2-D row-major tensor on backend `B`.
#[derive(Debug)]
pub struct Tensor<B: Backend> {
    backend: B,
    shape: [usize; 2],
    buf: Arc<B::Buffer>,
}

impl<B: Backend> Clone for Tensor<B> {
    fn clone(&self) -> Self {
        Tensor {
            backend: self.backend.clone(),
            shape: self.shape,
            buf: self.buf.clone(),
        }
    }
}

impl<B: Backend> Tensor<B> {
    /// A tensor from row-major host values; `values.len()` must be `rows·cols`.
    pub fn from_vec(backend: &B, rows: usize, cols: usize, values: &[B::Elem]) -> Result<Self> {
        if values.len() != rows * cols {
            return Err(Error::shape(
                "Tensor::from_vec",
                format!("{} values for shape [{rows}, {cols}]", values.len()),
            ));
        }
        Ok(Self::from_buffer(
            backend,
            [rows, cols],
            backend.upload(values)?,
        ))
    }

    /// A tensor of `f64` values rounded to the element type (convenient in tests and examples).
    pub fn from_f64(backend: &B, rows: usize, cols: usize, values: &[f64]) -> Result<Self> {
        let v: Vec<B::Elem> = values.iter().map(|&x| B::Elem::of(x)).collect();
        Self::from_vec(backend, rows, cols, &v)
    }

    /// A tensor of zeros.
    pub fn zeros(backend: &B, rows: usize, cols: usize) -> Result<Self> {
        Ok(Self::from_buffer(
            backend,
            [rows, cols],
            backend.zeros(rows * cols)?,
        ))
    }

    /// A tensor of one repeated value.
    pub fn full(backend: &B, rows: usize, cols: usize, value: f64) -> Result<Self> {
        Self::from_vec(backend, rows, cols, &vec![B::Elem::of(value); rows * cols])
    }

    /// Wraps a device buffer of `shape[0]·shape[1]` elements.
    pub fn from_buffer(backend: &B, shape: [usize; 2], buf: B::Buffer) -> Self {
        debug_assert_eq!(backend.len(&buf), shape[0] * shape[1]);
        Tensor {
            backend: backend.clone(),
            shape,
            buf: Arc::new(buf),
        }
    }

    /// `[rows, cols]`.
    pub fn shape(&self) -> [usize; 2] {
        self.shape
    }
    pub fn rows(&self) -> usize {
        self.shape[0]
    }
    pub fn cols(&self) -> usize {
        self.shape[1]
    }
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape[0] * self.shape[1]
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn backend(&self) -> &B {
        &self.backend
    }
    /// The device buffer.
    pub fn buffer(&self) -> &B::Buffer {
        &self.buf
    }
    /// The device buffer for writing, when no other tensor shares it (`None` otherwise).
    pub fn buffer_mut(&mut self) -> Option<&mut B::Buffer> {
        Arc::get_mut(&mut self.buf)
    }

    /// The values, row-major, on the host.
    pub fn to_vec(&self) -> Result<Vec<B::Elem>> {
        self.backend.download(&self.buf)
    }

    /// The values, row-major, on the host, consuming the tensor: no copy on the CPU when no other
    /// tensor shares the buffer.
    pub fn into_vec(self) -> Result<Vec<B::Elem>> {
        match Arc::try_unwrap(self.buf) {
            Ok(buf) => self.backend.download_owned(buf),
            Err(shared) => self.backend.download(&shared),
        }
    }

    /// The device buffer, consuming the tensor: the buffer itself when no other tensor shares it,
    /// otherwise a copy on the device (for writing in place, as the evaluation's mask does).
    pub fn into_buffer(self) -> Result<B::Buffer> {
        match Arc::try_unwrap(self.buf) {
            Ok(buf) => Ok(buf),
            Err(shared) => {
                let cols = self.shape[1];
                let mut copy = self.backend.zeros(self.shape[0] * cols)?;
                self.backend
                    .copy_cols(&shared, cols, 0, &mut copy, cols, 0, cols)?;
                Ok(copy)
            }
        }
    }

    /// The values as `f64`, row-major, on the host.
    pub fn to_f64(&self) -> Result<Vec<f64>> {
        Ok(self.to_vec()?.into_iter().map(|x| x.f64()).collect())
    }

    /// The single value of a `1 × 1` tensor.
    pub fn scalar(&self) -> Result<f64> {
        if self.shape != [1, 1] {
            return Err(Error::shape(
                "Tensor::scalar",
                format!("{:?} is not a 1 × 1 tensor", self.shape),
            ));
        }
        Ok(self.to_vec()?[0].f64())
    }

    /// A tensor of the same data viewed with another shape of the same size.
    pub fn reshape(&self, rows: usize, cols: usize) -> Result<Self> {
        if rows * cols != self.len() {
            return Err(Error::shape(
                "reshape",
                format!("{:?} → [{rows}, {cols}]", self.shape),
            ));
        }
        Ok(Tensor {
            backend: self.backend.clone(),
            shape: [rows, cols],
            buf: self.buf.clone(),
        })
    }
}

/// The values as NumPy prints them, under a header of shape and element type (see
/// [`display`](self::display)); `{:.8}` sets the precision (4 by default). Reads the values back
/// from the device.
impl<B: Backend> fmt::Display for Tensor<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_f64() {
            Ok(values) => f.write_str(&display::format(
                &values,
                self.shape,
                B::Elem::DTYPE,
                f.precision().unwrap_or(4),
            )),
            Err(e) => write!(
                f,
                "tensor {} {} (its values cannot be read: {e})",
                fmt_shape(self.shape),
                B::Elem::DTYPE
            ),
        }
    }
}

/// `[r, c]` as written in messages.
pub(crate) fn fmt_shape(s: [usize; 2]) -> String {
    format!("[{}, {}]", s[0], s[1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Cpu;

    #[test]
    fn into_buffer_hands_over_an_unshared_buffer_and_copies_a_shared_one() {
        let c = Cpu::<f32>::new();
        let t = Tensor::from_vec(&c, 2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        let own_ptr = t.buffer().as_ptr();
        let mut copy = t.clone().into_buffer().unwrap();
        copy[0] = -1.0;
        assert_eq!(copy, vec![-1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(t.to_vec().unwrap(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let own = t.into_buffer().unwrap();
        assert_eq!(own.as_ptr(), own_ptr);
    }
}
