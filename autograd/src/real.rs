//! The element types of tensors: `f32` for training, `f64` for gradient checks.

use std::fmt::{Debug, Display};

/// A floating-point element type: arithmetic, its name, and exact conversion to and from f64. Which
/// loops the CPU computes in it is `backend::cpu::CpuReal`'s to say.
pub trait Real:
    num_traits::Float + num_traits::FromPrimitive + Default + Debug + Display + Send + Sync + 'static
{
    /// `"f32"` or `"f64"`, as written in checkpoints and error messages.
    const DTYPE: &'static str;

    /// `x` rounded to this type.
    fn of(x: f64) -> Self;
    /// The value as an `f64` (exact).
    fn f64(self) -> f64;
}

impl Real for f32 {
    const DTYPE: &'static str = "f32";
    fn of(x: f64) -> Self {
        x as f32
    }
    fn f64(self) -> f64 {
        self as f64
    }
}

impl Real for f64 {
    const DTYPE: &'static str = "f64";
    fn of(x: f64) -> Self {
        x
    }
    fn f64(self) -> f64 {
        self
    }
}
