//! Activation functions (section 4.1 of the textbook).
//!
//! Each activation is a value `f(x)` and a derivative `df(x, fx)`, written once for both
//! scalar types. The derivative receives `fx = f(x)` as well as `x` because several
//! derivatives are cheapest in terms of the output (`sigmoid'(x) = fx (1 - fx)`).

use crate::Float;

/// An element-wise activation function.
pub trait Activation<T: Float>: Copy {
    /// `f(x)`.
    fn f(&self, x: T) -> T;

    /// `f'(x)`, given `x` and `fx = f(x)`.
    fn df(&self, x: T, fx: T) -> T;
}
