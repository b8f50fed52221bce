//! Parameters: named tensors that live across training steps, bound into each step's tape.

use crate::backend::Backend;
use crate::tensor::Tensor;
use std::sync::atomic::{AtomicU64, Ordering};

/// A process-unique identity, so a tape can tell parameters apart even when two share a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParamId(u64);

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// A trainable tensor with a name such as `encoder.0.weight`.
#[derive(Debug, Clone)]
pub struct Parameter<B: Backend> {
    id: ParamId,
    name: String,
    value: Tensor<B>,
}

impl<B: Backend> Parameter<B> {
    pub fn new(name: impl Into<String>, value: Tensor<B>) -> Self {
        Parameter {
            id: ParamId(NEXT_ID.fetch_add(1, Ordering::Relaxed)),
            name: name.into(),
            value,
        }
    }
    pub fn id(&self) -> ParamId {
        self.id
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn value(&self) -> &Tensor<B> {
        &self.value
    }
    /// Replaces the value (loading a checkpoint); the shape may not change.
    pub fn set_value(&mut self, value: Tensor<B>) -> crate::Result<()> {
        if value.shape() != self.value.shape() {
            return Err(crate::Error::Shape {
                op: "Parameter::set_value",
                detail: format!(
                    "{}: {:?} → {:?}",
                    self.name,
                    self.value.shape(),
                    value.shape()
                ),
            });
        }
        self.value = value;
        Ok(())
    }
    /// The value for an in-place update; `None` while a live tape still holds it.
    pub fn value_mut(&mut self) -> Option<&mut B::Buffer> {
        self.value.buffer_mut()
    }
}
