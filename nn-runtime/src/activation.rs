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

/// The logistic function `sigmoid(x) = 1 / (1 + e^-x)`, computed stably.
///
/// For `x < 0` it is evaluated as `e^x / (1 + e^x)`, so no intermediate overflows: the result
/// lies in `[0, 1]` for every input, is exactly `0.5` at `0`, tends to `0` (through tiny and
/// subnormal values) as `x -> -inf` and is `1` for large positive `x`.
///
/// ```
/// use nn_runtime::activation::sigmoid;
/// assert_eq!(sigmoid(0.0_f64), 0.5);
/// assert!((sigmoid(1.0_f64) - 0.7310585786300049).abs() < 1e-15);
/// assert_eq!(sigmoid(1000.0_f32), 1.0);
/// assert_eq!(sigmoid(-1000.0_f32), 0.0);
/// ```
#[inline]
pub fn sigmoid<T: Float>(x: T) -> T {
    sigmoid_pair(x).0
}

/// `(sigmoid(x), 1 - sigmoid(x)) = (sigmoid(x), sigmoid(-x))`, both to full relative precision,
/// from a single exponential of a non-positive number.
#[inline]
fn sigmoid_pair<T: Float>(x: T) -> (T, T) {
    let one = T::one();
    if x >= T::zero() {
        let e = (-x).exp();
        let d = one + e;
        (one / d, e / d)
    } else {
        let e = x.exp();
        let d = one + e;
        (e / d, one / d)
    }
}

/// `x * sigmoid(beta x)`, the common form of [`Swish`] and [`GeluSigmoid`].
#[inline]
fn swish_f<T: Float>(x: T, beta: T) -> T {
    x * sigmoid(beta * x)
}

/// `d/dx [x sigmoid(beta x)] = s + beta x s (1 - s)` with `s = sigmoid(beta x)`.
///
/// When `s (1 - s)` underflows to zero, `beta x` may be infinite; the product is then taken to
/// be its limit, zero, instead of `inf * 0 = NaN`.
#[inline]
fn swish_df<T: Float>(x: T, beta: T) -> T {
    let bx = beta * x;
    let (s, one_minus_s) = sigmoid_pair(bx);
    let t = s * one_minus_s;
    if t == T::zero() {
        s
    } else {
        s + bx * t
    }
}

/// `x` clipped to `[lo, hi]`; a NaN stays NaN.
#[inline]
fn clip<T: Float>(x: T, lo: T, hi: T) -> T {
    if x < lo {
        lo
    } else if x > hi {
        hi
    } else {
        x
    }
}

/// The identity, `f(x) = x`, for linear output layers.
///
/// Derivative: `f'(x) = 1`.
///
/// ```
/// use nn_runtime::activation::{Activation, Identity};
/// assert_eq!(Identity.f(-2.5_f32), -2.5);
/// assert_eq!(Identity.df(3.0_f64, 3.0), 1.0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Identity;

impl<T: Float> Activation<T> for Identity {
    #[inline]
    fn f(&self, x: T) -> T {
        x
    }

    #[inline]
    fn df(&self, _x: T, _fx: T) -> T {
        T::one()
    }
}

/// The logistic sigmoid, `f(x) = 1 / (1 + e^-x)` (see [`sigmoid`] for its stable evaluation).
///
/// Derivative: `f'(x) = f(x) (1 - f(x))`.
///
/// ```
/// use nn_runtime::activation::{Activation, Sigmoid};
/// assert_eq!(Sigmoid.f(0.0_f32), 0.5);
/// assert_eq!(Sigmoid.df(0.0_f64, 0.5), 0.25);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sigmoid;

impl<T: Float> Activation<T> for Sigmoid {
    #[inline]
    fn f(&self, x: T) -> T {
        sigmoid(x)
    }

    #[inline]
    fn df(&self, _x: T, fx: T) -> T {
        fx * (T::one() - fx)
    }
}

/// The hyperbolic tangent, `f(x) = tanh(x) = (e^x - e^-x) / (e^x + e^-x)`.
///
/// Derivative: `f'(x) = 1 - f(x)^2`.
///
/// ```
/// use nn_runtime::activation::{Activation, Tanh};
/// assert_eq!(Tanh.f(0.0_f32), 0.0);
/// assert!((Tanh.f(1.0_f64) - 0.7615941559557649).abs() < 1e-15);
/// assert_eq!(Tanh.df(0.0_f64, 0.0), 1.0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Tanh;

impl<T: Float> Activation<T> for Tanh {
    #[inline]
    fn f(&self, x: T) -> T {
        x.tanh()
    }

    #[inline]
    fn df(&self, _x: T, fx: T) -> T {
        T::one() - fx * fx
    }
}

/// The hard logistic function, `f(x) = clip(x / 4 + 1/2, 0, 1)`: the textbook's piecewise-linear
/// sigmoid, the line tangent to the logistic function at `0`, clipped.
///
/// Derivative: `f'(x) = 1/4` for `-2 < x < 2`, else `0` (`0` at the kinks `±2`).
///
/// Other frameworks use other slopes under the name "hard sigmoid": PyTorch's `Hardsigmoid`
/// is `clip(x / 6 + 1/2, 0, 1)`, while Keras 2 and ONNX's `HardSigmoid` (default `alpha`) use
/// `clip(0.2 x + 1/2, 0, 1)`. Weights trained with one of them do not transfer unchanged.
///
/// ```
/// use nn_runtime::activation::{Activation, HardLogistic};
/// assert_eq!(HardLogistic.f(1.0_f32), 0.75);
/// assert_eq!(HardLogistic.f(-3.0_f64), 0.0);
/// assert_eq!(HardLogistic.f(5.0_f64), 1.0);
/// assert_eq!(HardLogistic.df(1.0_f64, 0.75), 0.25);
/// assert_eq!(HardLogistic.df(3.0_f64, 1.0), 0.0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HardLogistic;

impl<T: Float> Activation<T> for HardLogistic {
    #[inline]
    fn f(&self, x: T) -> T {
        clip(T::lit(0.25) * x + T::lit(0.5), T::zero(), T::one())
    }

    #[inline]
    fn df(&self, x: T, _fx: T) -> T {
        let two = T::lit(2.0);
        if x > -two && x < two {
            T::lit(0.25)
        } else {
            T::zero()
        }
    }
}

/// The hard hyperbolic tangent, `f(x) = clip(x, -1, 1)`.
///
/// Derivative: `f'(x) = 1` for `-1 < x < 1`, else `0` (`0` at the kinks `±1`).
///
/// ```
/// use nn_runtime::activation::{Activation, HardTanh};
/// assert_eq!(HardTanh.f(0.5_f32), 0.5);
/// assert_eq!(HardTanh.f(-3.0_f64), -1.0);
/// assert_eq!(HardTanh.df(0.5_f64, 0.5), 1.0);
/// assert_eq!(HardTanh.df(2.0_f64, 1.0), 0.0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HardTanh;

impl<T: Float> Activation<T> for HardTanh {
    #[inline]
    fn f(&self, x: T) -> T {
        clip(x, -T::one(), T::one())
    }

    #[inline]
    fn df(&self, x: T, _fx: T) -> T {
        if x > -T::one() && x < T::one() {
            T::one()
        } else {
            T::zero()
        }
    }
}

/// The rectified linear unit, `f(x) = max(x, 0)`.
///
/// Derivative: `f'(x) = 1` for `x > 0`, else `0` (`0` at the kink, as in PyTorch).
///
/// ```
/// use nn_runtime::activation::{Activation, Relu};
/// assert_eq!(Relu.f(-2.0_f32), 0.0);
/// assert_eq!(Relu.f(2.0_f32), 2.0);
/// assert_eq!(Relu.df(3.0_f64, 3.0), 1.0);
/// assert_eq!(Relu.df(-3.0_f64, 0.0), 0.0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Relu;

impl<T: Float> Activation<T> for Relu {
    #[inline]
    fn f(&self, x: T) -> T {
        // Written so that a NaN input stays NaN instead of being hidden as 0.
        if x < T::zero() {
            T::zero()
        } else {
            x
        }
    }

    #[inline]
    fn df(&self, x: T, _fx: T) -> T {
        if x > T::zero() {
            T::one()
        } else {
            T::zero()
        }
    }
}

/// The leaky ReLU, `f(x) = x` for `x > 0`, else `gamma x`.
///
/// Derivative: `f'(x) = 1` for `x > 0`, else `gamma`.
///
/// `Default` sets `gamma = 0.01`, PyTorch's default `negative_slope`.
///
/// ```
/// use nn_runtime::activation::{Activation, LeakyRelu};
/// let a = LeakyRelu { gamma: 0.1_f64 };
/// assert_eq!(a.f(2.0), 2.0);
/// assert_eq!(a.f(-2.0), -0.2);
/// assert_eq!(a.df(2.0, 2.0), 1.0);
/// assert_eq!(a.df(-2.0, -0.2), 0.1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LeakyRelu<T> {
    /// The slope for negative inputs.
    pub gamma: T,
}

impl<T: Float> Default for LeakyRelu<T> {
    fn default() -> Self {
        Self { gamma: T::lit(0.01) }
    }
}

impl<T: Float> Activation<T> for LeakyRelu<T> {
    #[inline]
    fn f(&self, x: T) -> T {
        if x > T::zero() {
            x
        } else {
            self.gamma * x
        }
    }

    #[inline]
    fn df(&self, x: T, _fx: T) -> T {
        if x > T::zero() {
            T::one()
        } else {
            self.gamma
        }
    }
}

/// The exponential linear unit, `f(x) = x` for `x > 0`, else `gamma (e^x - 1)`.
///
/// Derivative: `f'(x) = 1` for `x > 0`, else `gamma e^x = f(x) + gamma`.
///
/// `e^x - 1` is computed with `exp_m1`, accurate for small `|x|`. `Default` sets `gamma = 1`,
/// PyTorch's default `alpha`.
///
/// ```
/// use nn_runtime::activation::{Activation, Elu};
/// let a = Elu { gamma: 1.0_f64 };
/// assert_eq!(a.f(2.0), 2.0);
/// assert!((a.f(-1.0) - (-0.6321205588285577)).abs() < 1e-15);
/// assert_eq!(a.df(2.0, 2.0), 1.0);
/// assert!((a.df(-1.0, a.f(-1.0)) - 0.36787944117144233).abs() < 1e-15);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Elu<T> {
    /// The value `f` tends to as `x -> -inf` is `-gamma`.
    pub gamma: T,
}

impl<T: Float> Default for Elu<T> {
    fn default() -> Self {
        Self { gamma: T::one() }
    }
}

impl<T: Float> Activation<T> for Elu<T> {
    #[inline]
    fn f(&self, x: T) -> T {
        if x > T::zero() {
            x
        } else {
            self.gamma * x.exp_m1()
        }
    }

    #[inline]
    fn df(&self, x: T, fx: T) -> T {
        if x > T::zero() {
            T::one()
        } else {
            fx + self.gamma
        }
    }
}

/// The softplus, `f(x) = ln(1 + e^x)`, a smooth ReLU.
///
/// Computed stably as `max(x, 0) + ln_1p(e^-|x|)`: no overflow for large `x`
/// (`f(1000) = 1000`), and `f(x) >= 0` for very negative `x`.
///
/// Derivative: `f'(x) = sigmoid(x)`.
///
/// ```
/// use nn_runtime::activation::{Activation, Softplus};
/// assert!((Softplus.f(0.0_f64) - std::f64::consts::LN_2).abs() < 1e-16);
/// assert_eq!(Softplus.f(1000.0_f32), 1000.0);
/// assert_eq!(Softplus.df(0.0_f64, std::f64::consts::LN_2), 0.5);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Softplus;

impl<T: Float> Activation<T> for Softplus {
    #[inline]
    fn f(&self, x: T) -> T {
        let pos = if x > T::zero() { x } else { T::zero() };
        pos + (-x.abs()).exp().ln_1p()
    }

    #[inline]
    fn df(&self, x: T, _fx: T) -> T {
        sigmoid(x)
    }
}

/// The swish, `f(x) = x sigmoid(beta x)` (with `beta = 1`: the SiLU).
///
/// Derivative: `f'(x) = s + beta x s (1 - s)` with `s = sigmoid(beta x)`.
///
/// Both stay finite for every finite input: where `s (1 - s)` underflows to `0` (huge `|x|`)
/// the second term is taken as its limit `0` rather than `inf * 0`. `Default` sets `beta = 1`.
///
/// ```
/// use nn_runtime::activation::{Activation, Swish};
/// let a = Swish { beta: 1.0_f64 };
/// assert_eq!(a.f(0.0), 0.0);
/// assert!((a.f(1.0) - 0.7310585786300049).abs() < 1e-15);
/// assert_eq!(a.df(0.0, 0.0), 0.5);
/// assert!((a.df(1.0, a.f(1.0)) - 0.9276705118714867).abs() < 1e-15);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Swish<T> {
    /// The scale of the input inside the sigmoid.
    pub beta: T,
}

impl<T: Float> Default for Swish<T> {
    fn default() -> Self {
        Self { beta: T::one() }
    }
}

impl<T: Float> Activation<T> for Swish<T> {
    #[inline]
    fn f(&self, x: T) -> T {
        swish_f(x, self.beta)
    }

    #[inline]
    fn df(&self, x: T, _fx: T) -> T {
        swish_df(x, self.beta)
    }
}

/// The exact GELU, `f(x) = x Phi(x) = x/2 (1 + erf(x / sqrt 2))`, `Phi` the standard normal
/// distribution function (PyTorch's `GELU()` with the default `approximate='none'`).
///
/// Derivative: `f'(x) = Phi(x) + x phi(x)`, with `phi(x) = e^(-x^2/2) / sqrt(2 pi)` the
/// standard normal density.
///
/// ```
/// use nn_runtime::activation::{Activation, Gelu};
/// assert_eq!(Gelu.f(0.0_f64), 0.0);
/// assert!((Gelu.f(1.0_f64) - 0.8413447460685429).abs() < 1e-15);
/// assert_eq!(Gelu.df(0.0_f64, 0.0), 0.5);
/// assert!((Gelu.df(1.0_f64, Gelu.f(1.0)) - 1.0833154705876864).abs() < 1e-15);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Gelu;

impl<T: Float> Activation<T> for Gelu {
    #[inline]
    fn f(&self, x: T) -> T {
        let half = T::lit(0.5);
        half * x * (T::one() + (x * T::lit(std::f64::consts::FRAC_1_SQRT_2)).erf())
    }

    #[inline]
    fn df(&self, x: T, _fx: T) -> T {
        let half = T::lit(0.5);
        let cdf = half * (T::one() + (x * T::lit(std::f64::consts::FRAC_1_SQRT_2)).erf());
        // 1 / sqrt(2 pi)
        let pdf = T::lit(0.398_942_280_401_432_7) * (-(half * x * x)).exp();
        // For huge |x|, x^2 overflows to inf and the density underflows to exactly 0, and
        // x * 0 = 0: no NaN can arise since x itself is finite.
        cdf + x * pdf
    }
}

/// `sqrt(2 / pi)`, the scale inside [`GeluTanh`].
const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;

/// The tanh approximation of the GELU,
/// `f(x) = x/2 (1 + tanh(u))` with `u = sqrt(2/pi) (x + 0.044715 x^3)`
/// (PyTorch's `GELU(approximate='tanh')`).
///
/// Derivative: `f'(x) = (1 + tanh u)/2 + x/2 (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2)`.
///
/// Evaluated through the identity `(1 + tanh u)/2 = sigmoid(2u)`, which keeps full relative
/// precision in both tails. When `x^3` overflows (`f32` inputs beyond about `1e13`), `u` is
/// infinite, `1 - tanh^2 u = 0`, and the second term of the derivative is taken as its limit
/// `0` instead of `inf * 0 = NaN`.
///
/// ```
/// use nn_runtime::activation::{Activation, GeluTanh};
/// assert_eq!(GeluTanh.f(0.0_f64), 0.0);
/// assert!((GeluTanh.f(1.0_f64) - 0.8411919906082767).abs() < 1e-15);
/// assert_eq!(GeluTanh.df(0.0_f64, 0.0), 0.5);
/// assert_eq!(GeluTanh.f(1e20_f32), 1e20);
/// assert_eq!(GeluTanh.df(1e20_f32, 1e20), 1.0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct GeluTanh;

impl<T: Float> Activation<T> for GeluTanh {
    #[inline]
    fn f(&self, x: T) -> T {
        let two_u = T::lit(2.0 * SQRT_2_OVER_PI) * x * (T::one() + T::lit(0.044715) * x * x);
        x * sigmoid(two_u)
    }

    #[inline]
    fn df(&self, x: T, _fx: T) -> T {
        let x2 = x * x;
        let two_u = T::lit(2.0 * SQRT_2_OVER_PI) * x * (T::one() + T::lit(0.044715) * x2);
        let (s, one_minus_s) = sigmoid_pair(two_u);
        // d/dx sigmoid(2u) = 2 s (1 - s) u'.
        let t = s * one_minus_s;
        if t == T::zero() {
            s
        } else {
            let du = T::lit(SQRT_2_OVER_PI) * (T::one() + T::lit(3.0 * 0.044715) * x2);
            s + T::lit(2.0) * x * t * du
        }
    }
}

/// The sigmoid approximation of the GELU, `f(x) = x sigmoid(1.702 x)`: a [`Swish`] with
/// `beta = 1.702`.
///
/// Derivative: `f'(x) = s + 1.702 x s (1 - s)` with `s = sigmoid(1.702 x)`, finite for every
/// finite input (as for [`Swish`]).
///
/// ```
/// use nn_runtime::activation::{Activation, GeluSigmoid};
/// assert_eq!(GeluSigmoid.f(0.0_f64), 0.0);
/// assert!((GeluSigmoid.f(1.0_f64) - 0.8457957659328212).abs() < 1e-15);
/// assert_eq!(GeluSigmoid.df(0.0_f64, 0.0), 0.5);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct GeluSigmoid;

impl<T: Float> Activation<T> for GeluSigmoid {
    #[inline]
    fn f(&self, x: T) -> T {
        swish_f(x, T::lit(1.702))
    }

    #[inline]
    fn df(&self, x: T, _fx: T) -> T {
        swish_df(x, T::lit(1.702))
    }
}

/// The softmax, `out_i = e^(z_i) / sum_j e^(z_j)`, written into `out`.
///
/// The maximum logit is subtracted before exponentiating, so any finite logits give finite
/// outputs summing to 1. `z` and `out` should have the same length; an empty `z` leaves `out`
/// untouched. Never panics.
///
/// ```
/// use nn_runtime::activation::softmax;
/// let mut out = [0.0_f32; 3];
/// softmax(&[1000.0, 0.0, -1000.0], &mut out);
/// assert_eq!(out, [1.0, 0.0, 0.0]);
/// let mut out = [0.0_f64; 2];
/// softmax(&[0.0, 0.0], &mut out);
/// assert_eq!(out, [0.5, 0.5]);
/// ```
pub fn softmax<T: Float>(z: &[T], out: &mut [T]) {
    let Some(&first) = z.first() else {
        return;
    };
    let max = z.iter().fold(first, |m, &v| if v > m { v } else { m });
    let mut sum = T::zero();
    for (o, &zi) in out.iter_mut().zip(z) {
        *o = (zi - max).exp();
        sum += *o;
    }
    for o in out.iter_mut().take(z.len()) {
        *o /= sum;
    }
}

/// The backward pass of [`softmax`]: given its output `a` and the gradient `da` of a loss with
/// respect to `a`, writes the gradient with respect to the logits,
/// `dz_i = a_i (da_i - sum_j a_j da_j)` (the vector-Jacobian product `J^T da`, with
/// `J_ij = a_i (delta_ij - a_j)`).
///
/// The slices should have the same length; extra entries are ignored. Never panics.
///
/// ```
/// use nn_runtime::activation::softmax_backward;
/// let mut dz = [0.0_f64; 2];
/// softmax_backward(&[0.5, 0.5], &[1.0, 0.0], &mut dz);
/// assert_eq!(dz, [0.25, -0.25]);
/// ```
pub fn softmax_backward<T: Float>(a: &[T], da: &[T], dz: &mut [T]) {
    let dot = a.iter().zip(da).fold(T::zero(), |acc, (&ai, &dai)| acc + ai * dai);
    for ((d, &ai), &dai) in dz.iter_mut().zip(a).zip(da) {
        *d = ai * (dai - dot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: f64 = 1e-6;
    const TOL: f64 = 1e-7;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1.0)
    }

    /// Checks `df` against a central finite difference of `f` at many points of `[-6, 6]`,
    /// skipping those within `1e-3` of a kink.
    fn check_fd<A: Activation<f64> + std::fmt::Debug>(a: A, kinks: &[f64]) {
        let n = 2400;
        let mut checked = 0;
        for k in 0..=n {
            // An irrational-ish offset so that the grid does not land on round numbers only.
            let x = -6.0 + 12.0 * f64::from(k) / f64::from(n) + 1.234_567e-4;
            let x = x.min(6.0);
            if kinks.iter().any(|&c| (x - c).abs() < 1e-3) {
                continue;
            }
            let fd = (a.f(x + H) - a.f(x - H)) / (2.0 * H);
            let d = a.df(x, a.f(x));
            assert!(close(d, fd, TOL), "{a:?}: df({x}) = {d}, finite difference {fd}");
            checked += 1;
        }
        assert!(checked > 2000);
    }

    #[test]
    fn derivatives_match_finite_differences() {
        check_fd(Identity, &[]);
        check_fd(Sigmoid, &[]);
        check_fd(Tanh, &[]);
        check_fd(HardLogistic, &[-2.0, 2.0]);
        check_fd(HardTanh, &[-1.0, 1.0]);
        check_fd(Relu, &[0.0]);
        check_fd(LeakyRelu { gamma: 0.01 }, &[0.0]);
        check_fd(LeakyRelu { gamma: 0.3 }, &[0.0]);
        check_fd(Elu { gamma: 1.0 }, &[0.0]);
        check_fd(Elu { gamma: 0.5 }, &[0.0]);
        check_fd(Elu { gamma: 2.0 }, &[0.0]);
        check_fd(Softplus, &[]);
        check_fd(Swish { beta: 1.0 }, &[]);
        check_fd(Swish { beta: 0.5 }, &[]);
        check_fd(Swish { beta: 2.5 }, &[]);
        check_fd(Swish { beta: -1.0 }, &[]);
        check_fd(Gelu, &[]);
        check_fd(GeluTanh, &[]);
        check_fd(GeluSigmoid, &[]);
    }

    fn assert_close(got: f64, want: f64) {
        assert!(close(got, want, 1e-14), "got {got}, want {want}");
    }

    #[test]
    fn sigmoid_and_tanh_values() {
        assert_eq!(sigmoid(0.0_f64), 0.5);
        assert_close(sigmoid(1.0), 0.7310585786300049);
        assert_close(sigmoid(-1.0), 0.2689414213699951);
        assert_close(sigmoid(-5.0), 0.0066928509242848554);
        assert_close(sigmoid(-30.0), 9.357622968839299e-14);
        assert_close(Sigmoid.f(2.0), 0.8807970779778824);
        assert_close(Sigmoid.df(2.0, Sigmoid.f(2.0)), 0.10499358540350652);
        assert_close(Tanh.f(1.0), 0.7615941559557649);
        assert_close(Tanh.f(-0.5), -0.46211715726000974);
        assert_close(Tanh.df(1.0, Tanh.f(1.0)), 0.4199743416140261);
        assert_eq!(Identity.f(-7.5_f64), -7.5);
        assert_eq!(Identity.df(-7.5_f64, -7.5), 1.0);
    }

    #[test]
    fn piecewise_linear_values() {
        let h = HardLogistic;
        assert_eq!(h.f(0.0_f64), 0.5);
        assert_eq!(h.f(1.0_f64), 0.75);
        assert_eq!(h.f(-1.0_f64), 0.25);
        assert_eq!(h.f(-2.5_f64), 0.0);
        assert_eq!(h.f(2.5_f64), 1.0);
        assert_eq!(h.df(1.9_f64, 0.0), 0.25);
        assert_eq!(h.df(-1.9_f64, 0.0), 0.25);
        assert_eq!(h.df(2.0_f64, 1.0), 0.0);
        assert_eq!(h.df(-2.0_f64, 0.0), 0.0);
        assert_eq!(h.df(-2.1_f64, 0.0), 0.0);

        let t = HardTanh;
        assert_eq!(t.f(0.3_f64), 0.3);
        assert_eq!(t.f(-4.0_f64), -1.0);
        assert_eq!(t.f(4.0_f64), 1.0);
        assert_eq!(t.df(0.99_f64, 0.99), 1.0);
        assert_eq!(t.df(1.0_f64, 1.0), 0.0);
        assert_eq!(t.df(-1.0_f64, -1.0), 0.0);
        assert_eq!(t.df(-3.0_f64, -1.0), 0.0);

        assert_eq!(Relu.f(-3.0_f64), 0.0);
        assert_eq!(Relu.f(3.0_f64), 3.0);
        assert_eq!(Relu.df(0.0_f64, 0.0), 0.0);
        assert_eq!(Relu.df(1e-30_f64, 1e-30), 1.0);
        assert!(Relu.f(f64::NAN).is_nan());

        let l = LeakyRelu { gamma: 0.1_f64 };
        assert_eq!(l.f(5.0), 5.0);
        assert_eq!(l.f(-5.0), -0.5);
        assert_eq!(l.df(5.0, 5.0), 1.0);
        assert_eq!(l.df(-5.0, -0.5), 0.1);
        assert_eq!(l.df(0.0, 0.0), 0.1);
        assert_eq!(LeakyRelu::<f32>::default().gamma, 0.01);
    }

    #[test]
    fn smooth_values() {
        let e = Elu { gamma: 1.0_f64 };
        assert_close(e.f(-1.0), (-1.0_f64).exp() - 1.0);
        assert_close(e.f(-1.0), -0.6321205588285577);
        assert_eq!(e.f(2.0), 2.0);
        assert_close(e.df(-1.0, e.f(-1.0)), 0.36787944117144233);
        let e2 = Elu { gamma: 2.0_f64 };
        assert_close(e2.f(-0.5), -0.7869386805747332);
        assert_close(e2.df(-0.5, e2.f(-0.5)), 1.2130613194252668);
        // exp_m1 keeps the relative precision of tiny inputs.
        assert_close(e.f(-1e-20), -1e-20);
        assert_eq!(Elu::<f64>::default().gamma, 1.0);

        assert_close(Softplus.f(0.0), std::f64::consts::LN_2);
        assert_close(Softplus.f(1.0), 1.3132616875182228);
        assert_close(Softplus.f(-1.0), 0.3132616875182228);
        assert_close(Softplus.f(-40.0), 4.248354255291589e-18);
        assert_close(Softplus.df(1.0, 0.0), 0.7310585786300049);

        let s = Swish { beta: 1.0_f64 };
        assert_close(s.f(1.0), 0.7310585786300049);
        assert_close(s.f(-1.0), -0.2689414213699951);
        assert_close(s.df(1.0, 0.0), 0.9276705118714867);
        let s2 = Swish { beta: 2.0_f64 };
        assert_close(s2.f(0.5), 0.36552928931500245);
        assert_close(s2.df(0.5, 0.0), 0.9276705118714867);
        assert_eq!(Swish::<f32>::default().beta, 1.0);

        assert_close(Gelu.f(1.0), 0.8413447460685429);
        assert_close(Gelu.f(-1.0), -0.15865525393145705);
        assert_close(Gelu.f(2.0), 1.9544997361036416);
        assert_close(Gelu.df(1.0, 0.0), 1.0833154705876864);
        assert_close(Gelu.df(-1.0, 0.0), -0.0833154705876863);

        assert_close(GeluTanh.f(1.0), 0.8411919906082767);
        assert_close(GeluTanh.f(-1.0), -0.1588080093917233);
        assert_close(GeluTanh.f(2.0), 1.954597694087775);
        assert_close(GeluTanh.df(1.0, 0.0), 1.0829640838457826);
        // The tanh approximation stays within 1e-3 of the exact GELU.
        for k in -60..=60 {
            let x = f64::from(k) / 10.0;
            assert!((GeluTanh.f(x) - Gelu.f(x)).abs() < 1e-3);
        }

        assert_close(GeluSigmoid.f(1.0), 0.8457957659328212);
        assert_close(GeluSigmoid.f(-1.0), -0.1542042340671787);
        assert_close(GeluSigmoid.df(1.0, 0.0), 1.067779606556334);
    }

    fn check_finite<T: Float + std::fmt::Debug, A: Activation<T> + std::fmt::Debug>(
        a: A,
        inputs: &[T],
    ) {
        for &x in inputs {
            let fx = a.f(x);
            let d = a.df(x, fx);
            assert!(fx.is_finite(), "{a:?}.f({x:?}) = {fx:?} in {}", T::NAME);
            assert!(d.is_finite(), "{a:?}.df({x:?}) = {d:?} in {}", T::NAME);
        }
    }

    fn stability<T: Float + std::fmt::Debug>(max: T) {
        let mut inputs = vec![T::zero(), -T::zero(), max, -max];
        for v in [1e-40, 1e-310, 1e-3, 1.0, 20.0, 100.0, 1e4, 1e20, 1e30] {
            inputs.push(T::lit(v));
            inputs.push(-T::lit(v));
        }
        check_finite(Identity, &inputs);
        check_finite(Sigmoid, &inputs);
        check_finite(Tanh, &inputs);
        check_finite(HardLogistic, &inputs);
        check_finite(HardTanh, &inputs);
        check_finite(Relu, &inputs);
        check_finite(LeakyRelu::default(), &inputs);
        check_finite(LeakyRelu { gamma: T::lit(0.2) }, &inputs);
        check_finite(Elu::default(), &inputs);
        check_finite(Elu { gamma: T::lit(0.5) }, &inputs);
        check_finite(Softplus, &inputs);
        check_finite(Swish::default(), &inputs);
        check_finite(Swish { beta: T::lit(2.0) }, &inputs);
        check_finite(Swish { beta: T::lit(0.5) }, &inputs);
        check_finite(Swish { beta: T::lit(-1.0) }, &inputs);
        check_finite(Gelu, &inputs);
        check_finite(GeluTanh, &inputs);
        check_finite(GeluSigmoid, &inputs);
    }

    #[test]
    fn finite_at_extreme_inputs() {
        // The inputs include an f32 subnormal.
        let tiny = <f32 as Float>::lit(1e-40);
        assert!(tiny > 0.0 && tiny < f32::MIN_POSITIVE);
        stability::<f32>(f32::MAX);
        stability::<f64>(f64::MAX);
    }

    #[test]
    fn tails_are_right() {
        assert!((0.0..1e-300).contains(&sigmoid(-1000.0_f64)));
        assert!((0.0..1e-30).contains(&sigmoid(-1000.0_f32)));
        assert_eq!(sigmoid(1000.0_f64), 1.0);
        assert_eq!(sigmoid(1000.0_f32), 1.0);
        assert_eq!(sigmoid(f32::MAX), 1.0);
        assert_eq!(sigmoid(-f32::MAX), 0.0);
        assert_eq!(Softplus.f(1000.0_f64), 1000.0);
        assert_eq!(Softplus.f(1000.0_f32), 1000.0);
        for sp in [Softplus.f(-1000.0_f64), f64::from(Softplus.f(-1000.0_f32))] {
            assert!(sp >= 0.0 && sp.is_finite());
        }
        // GELU (tanh form) where x^3 overflows in f32.
        assert_eq!(GeluTanh.f(1e20_f32), 1e20);
        assert_eq!(GeluTanh.df(1e20_f32, 1e20), 1.0);
        assert_eq!(GeluTanh.f(-1e20_f32), 0.0);
        assert_eq!(GeluTanh.df(-1e20_f32, 0.0), 0.0);
        assert_eq!(GeluTanh.f(f32::MAX), f32::MAX);
        assert_eq!(Gelu.f(f32::MAX), f32::MAX);
        assert_eq!(Gelu.df(-f32::MAX, 0.0), 0.0);
        assert_eq!(Swish { beta: 1.0_f32 }.df(1e20, 1e20), 1.0);
        assert_eq!(Swish { beta: 1.0_f32 }.df(-1e20, 0.0), 0.0);
        assert_eq!(Elu { gamma: 1.5_f32 }.f(-f32::MAX), -1.5);
        // The negative tails keep relative precision where 1 + erf or 1 + tanh would not.
        assert_close(Swish { beta: 1.0 }.f(-40.0), -1.6993417021166355e-16);
        assert_close(GeluTanh.f(-4.0), -7.024594819237268e-05);
        assert_close(Gelu.f(-4.0), -1.266849673324797e-4);
    }

    #[test]
    fn softmax_is_a_stable_distribution() {
        let mut out = [0.0_f32; 3];
        softmax(&[1000.0, 0.0, -1000.0], &mut out);
        assert!(out.iter().all(|v| v.is_finite()));
        assert!((out.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert_eq!(out[0], 1.0);

        let z = [0.3_f64, -1.2, 2.5, 0.0, 1.0];
        let mut a = [0.0; 5];
        softmax(&z, &mut a);
        let denom: f64 = z.iter().map(|v| v.exp()).sum();
        for (ai, zi) in a.iter().zip(z) {
            assert_close(*ai, zi.exp() / denom);
        }
        assert_close(a.iter().sum(), 1.0);

        let mut one = [0.0_f32];
        softmax(&[-3.0], &mut one);
        assert_eq!(one, [1.0]);

        // Empty and mismatched slices do not panic.
        let mut none: [f64; 0] = [];
        softmax(&[], &mut none);
        let mut short = [7.0_f64; 2];
        softmax(&[], &mut short);
        assert_eq!(short, [7.0, 7.0]);
        softmax(&[0.0, 0.0, 0.0], &mut short);
        softmax(&[0.0], &mut short);
        let mut dz = [0.0_f64; 1];
        softmax_backward(&[0.5, 0.5], &[1.0], &mut dz);
        softmax_backward::<f32>(&[], &[], &mut []);
    }

    #[test]
    fn softmax_backward_matches_finite_differences() {
        let z = [0.3_f64, -1.2, 2.5, 0.0, 1.0];
        let c = [0.7_f64, -2.0, 0.1, 1.5, -0.4];
        // L(z) = <c, softmax(z)>; its gradient is the vector-Jacobian product J^T c.
        let loss = |z: &[f64]| {
            let mut a = [0.0; 5];
            softmax(z, &mut a);
            a.iter().zip(&c).map(|(ai, ci)| ai * ci).sum::<f64>()
        };
        let mut a = [0.0; 5];
        softmax(&z, &mut a);
        let mut dz = [0.0; 5];
        softmax_backward(&a, &c, &mut dz);
        for i in 0..5 {
            let (mut zp, mut zm) = (z, z);
            zp[i] += H;
            zm[i] -= H;
            let fd = (loss(&zp) - loss(&zm)) / (2.0 * H);
            assert!(close(dz[i], fd, TOL), "dz[{i}] = {}, finite difference {fd}", dz[i]);
        }
        // The gradient of a softmax output is orthogonal to the all-ones direction.
        assert!(dz.iter().sum::<f64>().abs() < 1e-15);
    }
}
