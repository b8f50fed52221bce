//! Optimisers: they read a step's [`Gradients`](crate::Gradients) and update parameters in place.

mod adam;
mod sgd;

pub use adam::{Adam, AdamConfig, WeightDecay};
pub use sgd::Sgd;

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::param::Parameter;

/// The buffer of a parameter for an in-place update, or an error if a tape still holds it.
fn writable<'p, B: Backend>(
    op: &'static str,
    p: &'p mut Parameter<B>,
) -> Result<&'p mut B::Buffer> {
    let name = p.name().to_string();
    p.value_mut().ok_or_else(|| Error::Invalid {
        op,
        detail: format!("parameter {name} is still held by a live tape or tensor; drop the tape before stepping"),
    })
}
