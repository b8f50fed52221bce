//! Column slices and concatenation: splitting the encoder output into `μ ‖ log σ²`, and joining the
//! GMF and MLP branches of NeuMF.
//!
//! slice_cols: `y = x[:, s..s+w]`; VJP `x̄[:, s..s+w] = ȳ`, zero elsewhere.
//! concat_cols: `y = [x₁ ‖ x₂ ‖ …]`; VJP `x̄ᵢ = ȳ[:, offsetᵢ..offsetᵢ+widthᵢ]`.
//!
//! Where it runs (one hop from here to each loop and its test):
//! - CPU loop: `autograd/src/backend/cpu/rows.rs` · `copy_cols`
//! - CUDA kernel: `gpu/kernels/rows.cu` · `copy_cols`
//! - GPU parity test: `gpu/tests/parity.rs` ·
//!   `column_copies_split_and_concatenate_like_the_reference`

use super::registry::{Dims, Domain, OpCheck};
use super::{alloc, same_device, wrap};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::tape::Var;
use crate::tensor::{fmt_shape, Tensor};

/// Columns `start..start+width` of `x` as a new tensor.
fn cut<B: Backend>(x: &Tensor<B>, start: usize, width: usize) -> Result<Tensor<B>> {
    let backend = x.backend();
    let mut y = alloc(backend, [x.rows(), width])?;
    backend.copy_cols(x.buffer(), x.cols(), start, &mut y, width, 0, width)?;
    Ok(wrap(backend, [x.rows(), width], y))
}

impl<'t, B: Backend> Var<'t, B> {
    /// Columns `start..start + width`.
    pub fn slice_cols(&self, start: usize, width: usize) -> Result<Var<'t, B>> {
        if start + width > self.cols() {
            return Err(Error::shape(
                "slice_cols",
                format!(
                    "columns {start}..{} of {}",
                    start + width,
                    fmt_shape(self.shape())
                ),
            ));
        }
        let shape = self.shape();
        let y = cut(self.value(), start, width)?;
        Ok(self.tape().record("slice_cols", &[self], y, move |gy, _| {
            let backend = gy.backend();
            let mut gx = alloc(backend, shape)?;
            backend.copy_cols(gy.buffer(), width, 0, &mut gx, shape[1], start, width)?;
            Ok(vec![Some(wrap(backend, shape, gx))])
        }))
    }

    /// Splits the columns into consecutive parts of the given widths (which must add up to all of
    /// them): `let [mu, logvar] = h.split_cols(&[d, d])?`.
    pub fn split_cols(&self, widths: &[usize]) -> Result<Vec<Var<'t, B>>> {
        if widths.iter().sum::<usize>() != self.cols() {
            return Err(Error::shape(
                "split_cols",
                format!("widths {widths:?} for {}", fmt_shape(self.shape())),
            ));
        }
        let mut start = 0;
        widths
            .iter()
            .map(|&w| {
                start += w;
                self.slice_cols(start - w, w)
            })
            .collect()
    }
}

/// `[x₁ ‖ x₂ ‖ …]`: the parts side by side; all must have the same number of rows.
pub fn concat_cols<'t, B: Backend>(parts: &[&Var<'t, B>]) -> Result<Var<'t, B>> {
    let Some(first) = parts.first() else {
        return Err(Error::invalid("concat_cols", "no tensors to concatenate"));
    };
    let rows = first.rows();
    for p in parts {
        same_device("concat_cols", first, p.value())?;
        if p.rows() != rows {
            let shapes: Vec<String> = parts.iter().map(|p| fmt_shape(p.shape())).collect();
            return Err(Error::shape("concat_cols", shapes.join(" ‖ ")));
        }
    }
    let widths: Vec<usize> = parts.iter().map(|p| p.cols()).collect();
    let cols: usize = widths.iter().sum();
    let backend = first.backend();
    let mut y = alloc(backend, [rows, cols])?;
    let mut start = 0;
    for p in parts {
        backend.copy_cols(
            p.value().buffer(),
            p.cols(),
            0,
            &mut y,
            cols,
            start,
            p.cols(),
        )?;
        start += p.cols();
    }
    let y = wrap(backend, [rows, cols], y);
    Ok(first
        .tape()
        .record("concat_cols", parts, y, move |gy, needs| {
            let mut start = 0;
            let mut grads = Vec::with_capacity(widths.len());
            for (&w, &need) in widths.iter().zip(needs) {
                grads.push(if need { Some(cut(gy, start, w)?) } else { None });
                start += w;
            }
            Ok(grads)
        }))
}

pub(crate) fn checks() -> Vec<OpCheck> {
    vec![
        OpCheck {
            name: "slice_cols",
            shapes: |d: Dims| vec![[d.m, d.n]],
            domain: Domain::Any,
            build: |_, x, d| {
                let start = d.seed as usize % d.n;
                let width = 1 + (d.seed as usize / 7) % (d.n - start);
                x[0].slice_cols(start, width)
            },
        },
        OpCheck {
            name: "concat_cols",
            shapes: |d: Dims| vec![[d.m, d.n], [d.m, d.k]],
            domain: Domain::Any,
            build: |_, x, _| concat_cols(&[&x[0], &x[1]]),
        },
    ]
}
