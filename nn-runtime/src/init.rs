//! Parameter initialisation.
//!
//! Weights are drawn from a uniform distribution whose bound keeps the variance of the
//! activations steady through the layers (section 7.3 of the textbook); biases start at zero.
//! The generated `seeded` and `new` constructors pick the scheme from each layer's activation:
//! Glorot for the sigmoid and tanh families (and for linear or softmax outputs), He for the
//! ReLU family and its smooth relatives.

use rand::Rng;

use crate::Float;

/// How a layer's weights are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Init {
    /// Glorot (Xavier) uniform: `U(-a, a)` with `a = sqrt(6 / (fan_in + fan_out))`.
    Glorot,
    /// He (Kaiming) uniform: `U(-a, a)` with `a = sqrt(6 / fan_in)`.
    He,
}

impl Init {
    /// The bound `a` of the uniform distribution `U(-a, a)` for a layer with `fan_in` inputs
    /// and `fan_out` outputs.
    ///
    /// ```
    /// use nn_runtime::Init;
    /// assert_eq!(Init::Glorot.bound(2, 1), 2.0_f64.sqrt());
    /// assert_eq!(Init::He.bound(6, 100), 1.0);
    /// ```
    pub fn bound(self, fan_in: usize, fan_out: usize) -> f64 {
        match self {
            Init::Glorot => nalgebra::ComplexField::sqrt(6.0 / (fan_in + fan_out) as f64),
            Init::He => nalgebra::ComplexField::sqrt(6.0 / fan_in as f64),
        }
    }

    /// Fills `values` with independent draws from `U(-a, a)`, in slice order.
    ///
    /// Each draw is made in `f64` and rounded to `T`, so `f32` and `f64` networks built from
    /// the same seed hold the same values up to rounding.
    pub fn fill<T: Float, R: Rng + ?Sized>(
        self,
        values: &mut [T],
        fan_in: usize,
        fan_out: usize,
        rng: &mut R,
    ) {
        let a = self.bound(fan_in, fan_out);
        for v in values {
            *v = T::lit(rng.random_range(-a..=a));
        }
    }
}
