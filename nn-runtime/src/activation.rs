//! Activation functions (section 4.1 of the textbook).
//!
//! Each activation is a value `f(x)` and a derivative `df(x, fx)`, written once for both
//! scalar types. The derivative receives `fx = f(x)` as well as `x` because several
//! derivatives are cheapest in terms of the output (`sigmoid'(x) = fx (1 - fx)`).
//!
//! Activations with a learnable parameter `p` ([`Prelu`]'s slope, [`Swish`]'s beta) also
//! implement [`Learnable`], which adds `df/dp`; [`learnable_forward`] and
//! [`learnable_backward`] apply them to a layer whose parameters are one per unit or one
//! shared by the whole layer. Activations that mix several inputs work on slices:
//! [`softmax`] and [`maxout`], with their backward passes.

use crate::Float;

/// An element-wise activation function.
pub trait Activation<T: Float>: Copy {
    /// `f(x)`.
    fn f(&self, x: T) -> T;

    /// `f'(x)`, given `x` and `fx = f(x)`.
    fn df(&self, x: T, fx: T) -> T;

    /// Which lane-parallel kernel computes `f` on whole vectors, if any: what the
    /// [`kernels`](crate::kernels) use at the wider [`simd`](crate::simd) levels. The default,
    /// [`Elementwise::Other`], applies [`Activation::f`] element by element.
    #[inline]
    fn elementwise(&self) -> Elementwise<T> {
        Elementwise::Other
    }
}

/// The element-wise activations the kernels compute a vector at a time (see
/// [`Activation::elementwise`]); the same functions as their [`Activation`] types, with the
/// error bounds of [`simd::math`](crate::simd::math) in `f32` at the wider levels.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Elementwise<T> {
    /// [`Identity`].
    Identity,
    /// [`Relu`].
    Relu,
    /// [`LeakyRelu`] with its slope.
    LeakyRelu(T),
    /// [`Tanh`].
    Tanh,
    /// [`Sigmoid`].
    Sigmoid,
    /// Any other: applied with [`Activation::f`], one element at a time.
    Other,
}

impl<T> Elementwise<T> {
    /// The same kind with its parameter mapped by `f`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Elementwise<U> {
        match self {
            Elementwise::Identity => Elementwise::Identity,
            Elementwise::Relu => Elementwise::Relu,
            Elementwise::LeakyRelu(g) => Elementwise::LeakyRelu(f(g)),
            Elementwise::Tanh => Elementwise::Tanh,
            Elementwise::Sigmoid => Elementwise::Sigmoid,
            Elementwise::Other => Elementwise::Other,
        }
    }
}

/// An activation with one learnable scalar parameter `p`, trained with the network's weights:
/// [`Prelu`]'s slope or [`Swish`]'s beta.
///
/// Besides `f(x; p)` and `df/dx` (from [`Activation`]), it gives `df/dp`, which the backward
/// pass accumulates into the parameter's gradient.
///
/// ```
/// use nn_runtime::activation::{Activation, Learnable, Prelu};
/// let a = Prelu::with_param(0.25_f64);
/// assert_eq!(a.f(-2.0), -0.5);
/// // f(x; p) = p x for x <= 0, so df/dp = x.
/// assert_eq!(a.dparam(-2.0, -0.5), -2.0);
/// ```
pub trait Learnable<T: Float>: Activation<T> {
    /// The activation with its learnable parameter set to `p`.
    fn with_param(p: T) -> Self;
    /// d f / d p at x, given fx = f(x).
    fn dparam(&self, x: T, fx: T) -> T;
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

/// Whether `x` is NaN (the only value not comparable with itself).
#[inline]
fn is_nan<T: Float>(x: T) -> bool {
    x.partial_cmp(&x).is_none()
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
    fn elementwise(&self) -> Elementwise<T> {
        Elementwise::Identity
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
    fn elementwise(&self) -> Elementwise<T> {
        Elementwise::Sigmoid
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
        x.tanh_activation()
    }

    #[inline]
    fn elementwise(&self) -> Elementwise<T> {
        Elementwise::Tanh
    }

    #[inline]
    fn df(&self, _x: T, fx: T) -> T {
        T::one() - fx * fx
    }
}

/// `tanh(x)` in `f32` without libm: the rational approximation `x P(x^2) / Q(x^2)` of
/// Eigen's `generic_fast_tanh_float` (degrees 13 and 6), on `x` clamped to `±7.9053`, where
/// it reaches `±1` in `f32`. It has no branches but the clamp, so loops over it vectorise;
/// [`Tanh`] uses it for `f32` (libm's `tanh` for `f64`).
///
/// Its error against the exact `tanh`, measured by this module's tests on a grid of `2^-12`
/// over `[-10, 10]`, is at most 4.2e-7, absolutely and relatively (3.5 times `f32::EPSILON`;
/// libm's `tanhf` is within one unit in the last place), and at most 5e-7 relative over a
/// sweep of every `f32` magnitude ([`simd::math`](crate::simd::math)'s tests, which check its
/// vector form at every level against it); the derivative `1 - f(x)^2` inherits it. A NaN
/// stays NaN.
///
/// ```
/// use nn_runtime::activation::tanh_f32;
/// assert_eq!(tanh_f32(0.0), 0.0);
/// assert!((tanh_f32(0.5) - 0.5_f64.tanh() as f32).abs() < 1e-7);
/// assert_eq!(tanh_f32(20.0), 1.0);
/// assert!(tanh_f32(f32::NAN).is_nan());
/// ```
#[inline(always)]
pub fn tanh_f32(x: f32) -> f32 {
    const CLAMP: f32 = 7.905_311;
    // `clamp` keeps a NaN a NaN.
    let x = x.clamp(-CLAMP, CLAMP);
    let x2 = x * x;
    let mut p = x2 * -2.760_768_5e-16 + 2.000_188e-13;
    p = x2 * p + -8.604_672e-11;
    p = x2 * p + 5.122_297e-8;
    p = x2 * p + 1.485_722_4e-5;
    p = x2 * p + 6.372_619_3e-4;
    p = x2 * p + 4.893_524_6e-3;
    let mut q = x2 * 1.198_258_4e-6 + 1.185_347e-4;
    q = x2 * q + 2.268_434_6e-3;
    q = x2 * q + 4.893_525e-3;
    let r = x * p / q;
    // Below 4e-4, `tanh x = x` to within f32's precision.
    if x.abs() < 4e-4 {
        x
    } else {
        r
    }
}

/// The hard logistic function, `f(x) = clip(x / 4 + 1/2, 0, 1)`: the textbook's piecewise-linear
/// sigmoid, the line tangent to the logistic function at `0`, clipped.
///
/// Derivative: `f'(x) = 1/4` for `-2 < x < 2`, else `0` (`0` at the kinks `±2`).
///
/// Other frameworks use other slopes under the name "hard sigmoid", and weights trained with
/// one of them are only right with the same function. The three conventions, all `1/2` at
/// `0` and differing in slope, so in where they saturate: `f(x) = 0` for `x <= -c` and
/// `f(x) = 1` for `x >= c`.
///
/// | convention | in `network!` | here | `f(x)` | `c` |
/// |---|---|---|---|---|
/// | textbook | `hard_logistic` | [`HardLogistic`] | `clip(x/4 + 1/2, 0, 1)` | `2` |
/// | PyTorch, Keras 3 | `hard_sigmoid_pytorch` | [`HardSigmoid::pytorch`] | `clip(x/6 + 1/2, 0, 1)` | `3` |
/// | Keras 2, ONNX | `hard_sigmoid_onnx` | [`HardSigmoid::onnx`] | `clip(0.2 x + 1/2, 0, 1)` | `2.5` |
///
/// PyTorch's `nn.Hardsigmoid` and Keras 3's `hard_sigmoid` compute `relu6(x + 3) / 6`; ONNX's
/// `HardSigmoid` is `clip(alpha x + beta, 0, 1)`, whose defaults `alpha = 0.2`, `beta = 0.5`
/// give Keras 2's `hard_sigmoid`.
///
/// [`HardSigmoid`] takes the slope as a value and has a constructor for each framework's.
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

/// A hard sigmoid of any slope, `f(x) = clip(slope x + 1/2, 0, 1)`, for weights trained in
/// a framework whose hard sigmoid is not the textbook's [`HardLogistic`].
///
/// Derivative: `f'(x) = slope` where `0 < slope x + 1/2 < 1`, else `0` (`0` at the kinks
/// `x = ±1 / (2 slope)`, as for [`HardLogistic`]).
///
/// The frameworks disagree on the slope; pick the constructor of the one the weights come
/// from. `f(x) = 0` for `x <= -c` and `f(x) = 1` for `x >= c`, `c = 1 / (2 slope)`:
///
/// | convention | in `network!` | here | `f(x)` | `c` |
/// |---|---|---|---|---|
/// | textbook | `hard_logistic` | [`HardLogistic`] | `clip(x/4 + 1/2, 0, 1)` | `2` |
/// | PyTorch, Keras 3 | `hard_sigmoid_pytorch` | [`HardSigmoid::pytorch`] | `clip(x/6 + 1/2, 0, 1)` | `3` |
/// | Keras 2, ONNX | `hard_sigmoid_onnx` | [`HardSigmoid::onnx`] | `clip(0.2 x + 1/2, 0, 1)` | `2.5` |
///
/// PyTorch's `nn.Hardsigmoid` and Keras 3's `hard_sigmoid` compute `relu6(x + 3) / 6`; ONNX's
/// `HardSigmoid` is `clip(alpha x + beta, 0, 1)`, whose defaults `alpha = 0.2`, `beta = 0.5`
/// give Keras 2's `hard_sigmoid`.
///
/// `HardSigmoid { slope: 0.25 }` is [`HardLogistic`]. The offset is always `1/2`, ONNX's
/// default `beta`. There is no `Default`: no slope is more standard than the others.
///
/// ```
/// use nn_runtime::activation::{Activation, HardSigmoid};
/// let torch = HardSigmoid::<f64>::pytorch();
/// assert_eq!(torch.f(0.0), 0.5);
/// assert_eq!(torch.f(1.5), 0.75);
/// assert_eq!(torch.f(-3.0), 0.0);
/// assert_eq!(torch.f(3.0), 1.0);
/// assert_eq!(torch.df(1.5, 0.75), 1.0 / 6.0);
/// assert_eq!(torch.df(3.0, 1.0), 0.0);
///
/// let onnx = HardSigmoid::<f32>::onnx();
/// assert_eq!(onnx.f(1.25), 0.75);
/// assert_eq!(onnx.f(-2.5), 0.0);
/// assert_eq!(onnx.f(2.5), 1.0);
/// assert_eq!(onnx.df(1.25, 0.75), 0.2);
/// assert_eq!(onnx.df(-2.5, 0.0), 0.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HardSigmoid<T> {
    /// The slope of the linear part; the function saturates at `x = ±1 / (2 slope)`.
    pub slope: T,
}

impl<T: Float> HardSigmoid<T> {
    /// PyTorch's convention, `slope = 1/6`: `nn.Hardsigmoid`, Keras 3's `hard_sigmoid`,
    /// `relu6(x + 3) / 6`, saturating at `x = ±3`.
    ///
    /// ```
    /// use nn_runtime::activation::{Activation, HardSigmoid};
    /// assert_eq!(HardSigmoid::<f64>::pytorch().f(-1.5), 0.25);
    /// ```
    pub fn pytorch() -> Self {
        Self { slope: T::lit(1.0 / 6.0) }
    }

    /// The convention of ONNX's `HardSigmoid` (defaults `alpha = 0.2`, `beta = 0.5`) and of
    /// Keras 2's `hard_sigmoid`, `slope = 0.2`, saturating at `x = ±2.5`.
    ///
    /// ```
    /// use nn_runtime::activation::{Activation, HardSigmoid};
    /// assert_eq!(HardSigmoid::<f64>::onnx().f(-1.25), 0.25);
    /// ```
    pub fn onnx() -> Self {
        Self { slope: T::lit(0.2) }
    }
}

impl<T: Float> Activation<T> for HardSigmoid<T> {
    #[inline]
    fn f(&self, x: T) -> T {
        clip(self.slope * x + T::lit(0.5), T::zero(), T::one())
    }

    #[inline]
    fn df(&self, x: T, _fx: T) -> T {
        // Tested on the same expression `f` clips, so `f` and `df` agree on where the linear
        // region ends; for slopes 1/6 and 0.2 it ends exactly at ±3 and ±2.5.
        let y = self.slope * x + T::lit(0.5);
        if y > T::zero() && y < T::one() {
            self.slope
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
    fn elementwise(&self) -> Elementwise<T> {
        Elementwise::Relu
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
    fn elementwise(&self) -> Elementwise<T> {
        Elementwise::LeakyRelu(self.gamma)
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

/// The parametric ReLU, `f(x) = x` for `x > 0`, else `slope x`: a [`LeakyRelu`] whose slope
/// is learned (PyTorch's `nn.PReLU`).
///
/// Derivatives: `df/dx = 1` for `x > 0`, else `slope` (the slope at the kink, as in PyTorch);
/// `df/dslope = 0` for `x > 0`, else `x` (see [`Learnable`]).
///
/// `Default` sets `slope = 0.25`, PyTorch's initial value.
///
/// ```
/// use nn_runtime::activation::{Activation, Learnable, Prelu};
/// let a = Prelu { slope: 0.25_f64 };
/// assert_eq!(a.f(3.0), 3.0);
/// assert_eq!(a.f(-2.0), -0.5);
/// assert_eq!(a.df(3.0, 3.0), 1.0);
/// assert_eq!(a.df(-2.0, -0.5), 0.25);
/// assert_eq!(a.df(0.0, 0.0), 0.25);
/// assert_eq!(a.dparam(3.0, 3.0), 0.0);
/// assert_eq!(a.dparam(-2.0, -0.5), -2.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prelu<T> {
    /// The learned slope for inputs `x <= 0`.
    pub slope: T,
}

impl<T: Float> Default for Prelu<T> {
    fn default() -> Self {
        Self { slope: T::lit(0.25) }
    }
}

impl<T: Float> Activation<T> for Prelu<T> {
    #[inline]
    fn f(&self, x: T) -> T {
        if x > T::zero() {
            x
        } else {
            self.slope * x
        }
    }

    #[inline]
    fn df(&self, x: T, _fx: T) -> T {
        if x > T::zero() {
            T::one()
        } else {
            self.slope
        }
    }
}

impl<T: Float> Learnable<T> for Prelu<T> {
    #[inline]
    fn with_param(p: T) -> Self {
        Self { slope: p }
    }

    /// `df/dslope = 0` for `x > 0`, else `x`.
    #[inline]
    fn dparam(&self, x: T, _fx: T) -> T {
        if x > T::zero() {
            T::zero()
        } else {
            x
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
/// Derivatives, with `s = sigmoid(beta x)`: `df/dx = s + beta x s (1 - s)` and, when `beta` is
/// learned (see [`Learnable`]), `df/dbeta = x^2 s (1 - s)`.
///
/// All three stay finite for every finite input: where `s (1 - s)` underflows to `0` (huge
/// `|x|`) the terms containing it are taken as their limit `0` rather than `inf * 0`.
/// `Default` sets `beta = 1`.
///
/// ```
/// use nn_runtime::activation::{Activation, Learnable, Swish};
/// let a = Swish { beta: 1.0_f64 };
/// assert_eq!(a.f(0.0), 0.0);
/// assert!((a.f(1.0) - 0.7310585786300049).abs() < 1e-15);
/// assert_eq!(a.df(0.0, 0.0), 0.5);
/// assert!((a.df(1.0, a.f(1.0)) - 0.9276705118714867).abs() < 1e-15);
/// assert_eq!(a.dparam(0.0, 0.0), 0.0);
/// assert!((a.dparam(1.0, a.f(1.0)) - 0.19661193324148185).abs() < 1e-15);
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

impl<T: Float> Learnable<T> for Swish<T> {
    #[inline]
    fn with_param(p: T) -> Self {
        Self { beta: p }
    }

    /// `df/dbeta = x^2 s (1 - s)` with `s = sigmoid(beta x)`; `0` where `s (1 - s)`
    /// underflows to `0`, so never NaN for finite `x`.
    #[inline]
    fn dparam(&self, x: T, _fx: T) -> T {
        let (s, one_minus_s) = sigmoid_pair(self.beta * x);
        let t = s * one_minus_s;
        if t == T::zero() {
            T::zero()
        } else {
            x * (x * t)
        }
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
        half * x * (T::one() + (x * T::lit(core::f64::consts::FRAC_1_SQRT_2)).erf())
    }

    #[inline]
    fn df(&self, x: T, _fx: T) -> T {
        let half = T::lit(0.5);
        let cdf = half * (T::one() + (x * T::lit(core::f64::consts::FRAC_1_SQRT_2)).erf());
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

/// The index of the parameter that element `i` of a layer uses: the only one when the layer
/// shares one parameter, else its own.
#[inline]
fn param_index(len: usize, i: usize) -> usize {
    if len == 1 {
        0
    } else {
        i
    }
}

/// A learnable activation applied to a layer: `a_i = f(z_i; p_k)`, with `k = 0` when `params`
/// holds one parameter shared by the whole layer and `k = i` when it holds one per element.
///
/// `z` and `a` are expected to have the same length, and `params` length 1 or `z.len()`.
/// Otherwise only the elements present in both `z` and `a` and having a parameter are
/// written, the others are left untouched; never panics.
///
/// ```
/// use nn_runtime::activation::{learnable_forward, Prelu};
/// let z = [2.0_f64, -2.0, -4.0];
/// let mut a = [0.0; 3];
/// // One slope shared by the layer.
/// learnable_forward::<f64, Prelu<f64>>(&z, &[0.25], &mut a);
/// assert_eq!(a, [2.0, -0.5, -1.0]);
/// // One slope per unit.
/// learnable_forward::<f64, Prelu<f64>>(&z, &[0.1, 0.25, 0.5], &mut a);
/// assert_eq!(a, [2.0, -0.5, -2.0]);
/// ```
pub fn learnable_forward<T: Float, A: Learnable<T>>(z: &[T], params: &[T], a: &mut [T]) {
    for (i, (ai, &zi)) in a.iter_mut().zip(z).enumerate() {
        let Some(&p) = params.get(param_index(params.len(), i)) else {
            return;
        };
        *ai = A::with_param(p).f(zi);
    }
}

/// The backward pass of [`learnable_forward`]: given its input `z`, its output `a` and the
/// gradient `d_a` of a loss with respect to `a`,
///
/// - overwrites `d_z` with the gradient with respect to the input,
///   `d_z_i = d_a_i f'(z_i; p_k)`;
/// - adds `scale` times the gradient with respect to the parameters to `d_params`,
///   `d_params_k += scale * d_a_i df/dp(z_i; p_k)`, so that a shared parameter (`k = 0`)
///   collects the sum over the layer and a batch can be accumulated sample by sample
///   (`scale = 1 / batch` averages).
///
/// `k` is chosen as in [`learnable_forward`]. The slices are expected to have the same length,
/// except `params` and `d_params`: length 1 or `z.len()`. Otherwise only the elements present
/// in `z`, `a`, `d_a` and `d_z` and having a parameter are processed, and a missing entry of
/// `d_params` is skipped; never panics.
///
/// ```
/// use nn_runtime::activation::{learnable_backward, Prelu};
/// let z = [2.0_f64, -2.0, -4.0];
/// let a = [2.0, -0.5, -1.0];
/// let mut d_z = [0.0; 3];
/// let d_a = [1.0, 1.0, 2.0];
/// let mut d_slope = [10.0];
/// learnable_backward::<f64, Prelu<f64>>(&z, &a, &[0.25], &d_a, &mut d_z, &mut d_slope, 0.5);
/// assert_eq!(d_z, [1.0, 0.25, 0.5]);
/// // 10 + 0.5 * (1 * 0 + 1 * -2 + 2 * -4)
/// assert_eq!(d_slope, [5.0]);
/// ```
pub fn learnable_backward<T: Float, A: Learnable<T>>(
    z: &[T],
    a: &[T],
    params: &[T],
    d_a: &[T],
    d_z: &mut [T],
    d_params: &mut [T],
    scale: T,
) {
    let inputs = z.iter().zip(a).zip(d_a);
    for (i, (d_zi, ((&zi, &ai), &d_ai))) in d_z.iter_mut().zip(inputs).enumerate() {
        let k = param_index(params.len(), i);
        let Some(&p) = params.get(k) else {
            return;
        };
        let act = A::with_param(p);
        *d_zi = d_ai * act.df(zi, ai);
        if let Some(d_p) = d_params.get_mut(k) {
            *d_p += scale * d_ai * act.dparam(zi, ai);
        }
    }
}

/// The piece a maxout unit takes its value from: the index and value of the largest of
/// `pieces`, the first of equal ones, or of the first NaN if there is one. `None` when empty.
#[inline]
fn winner<T: Float>(pieces: &[T]) -> Option<(usize, T)> {
    let mut candidates = pieces.iter().copied().enumerate();
    let mut best = candidates.next()?;
    for (k, v) in candidates {
        if is_nan(best.1) {
            break;
        }
        if v > best.1 || is_nan(v) {
            best = (k, v);
        }
    }
    Some(best)
}

/// Maxout (section 4.1 of the textbook): each unit's value is the largest of `pieces` affine
/// maps of the input, `out_u = max_k h_(u pieces + k)`.
///
/// The layer before computes `h = W x + b` with `units * pieces` rows, row `u * pieces + k`
/// being piece `k` of unit `u`: the layout of PyTorch's `Linear(in, units * pieces)` followed
/// by `.view(units, pieces).max(-1)`. Equal pieces are resolved in favour of the first
/// (lowest `k`), and a NaN among a unit's pieces makes the unit NaN.
///
/// `h` is expected to have `out.len() * pieces` entries. Otherwise the units that fit in both
/// are written and the rest of `out` is left untouched; `pieces = 0` writes nothing. Never
/// panics.
///
/// ```
/// use nn_runtime::activation::maxout;
/// let h = [1.0_f64, 3.0, /* */ 2.0, 2.0, /* */ -1.0, -4.0];
/// let mut out = [0.0; 3];
/// maxout(&h, 2, &mut out);
/// assert_eq!(out, [3.0, 2.0, -1.0]);
/// ```
pub fn maxout<T: Float>(h: &[T], pieces: usize, out: &mut [T]) {
    if pieces == 0 {
        return;
    }
    for (o, unit) in out.iter_mut().zip(h.chunks_exact(pieces)) {
        if let Some((_, v)) = winner(unit) {
            *o = v;
        }
    }
}

/// Maxout's directional derivative: overwrites `d_out[u]` with the tangent `d_h` of unit
/// `u`'s winning piece (the one [`maxout`] picks), the Jacobian-vector product of the
/// selection. Processes the whole units that fit, like [`maxout_backward`].
pub fn maxout_jvp<T: Float>(h: &[T], pieces: usize, d_h: &[T], d_out: &mut [T]) {
    if pieces == 0 {
        return;
    }
    for ((h, d_h), d) in h.chunks_exact(pieces).zip(d_h.chunks_exact(pieces)).zip(d_out) {
        if let Some(&t) = winner(h).and_then(|(k, _)| d_h.get(k)) {
            *d = t;
        }
    }
}

/// The backward pass of [`maxout`]: given its input `h` and the gradient `d_out` of a loss with
/// respect to its output, overwrites `d_h` with the gradient with respect to `h`. Each unit's
/// gradient goes to its winning piece, the one [`maxout`] takes the value of (the first of
/// equal pieces, the first NaN if any), and the unit's other pieces get `0`:
/// `d_h_(u pieces + k) = d_out_u` if `k = k*_u`, else `0`.
///
/// `h` and `d_h` are expected to have `d_out.len() * pieces` entries. Otherwise the units that
/// fit in all three are written and the rest of `d_h` is left untouched; `pieces = 0` writes
/// nothing. Never panics.
///
/// ```
/// use nn_runtime::activation::maxout_backward;
/// let h = [1.0_f64, 3.0, /* */ 2.0, 2.0, /* */ -1.0, -4.0];
/// let mut d_h = [9.0; 6];
/// maxout_backward(&h, 2, &[10.0, 20.0, 30.0], &mut d_h);
/// assert_eq!(d_h, [0.0, 10.0, /* */ 20.0, 0.0, /* */ 30.0, 0.0]);
/// ```
pub fn maxout_backward<T: Float>(h: &[T], pieces: usize, d_out: &[T], d_h: &mut [T]) {
    if pieces == 0 {
        return;
    }
    let units = h.chunks_exact(pieces).zip(d_out);
    for (d_unit, (unit, &d)) in d_h.chunks_exact_mut(pieces).zip(units) {
        d_unit.fill(T::zero());
        if let Some(d_win) = winner(unit).and_then(|(k, _)| d_unit.get_mut(k)) {
            *d_win = d;
        }
    }
}

#[cfg(test)]
mod tests {
    /// The documented bounds of `tanh_f32`: every point of a `2^-12` grid over `[-10, 10]`
    /// against `f64`'s `tanh`.
    #[test]
    fn tanh_f32_is_within_its_documented_error() {
        let (mut absolute, mut relative) = (0.0_f64, 0.0_f64);
        let mut i = -10 * 4096;
        while i <= 10 * 4096 {
            let x = i as f32 / 4096.0;
            let exact = f64::from(x).tanh();
            let error = (f64::from(super::tanh_f32(x)) - exact).abs();
            absolute = absolute.max(error);
            if exact != 0.0 {
                relative = relative.max(error / exact.abs());
            }
            i += 1;
        }
        println!("tanh_f32: absolute {absolute:e}, relative {relative:e}");
        assert!(absolute <= 4.2e-7, "absolute error {absolute:e}");
        assert!(relative <= 4.2e-7, "relative error {relative:e}");
        assert_eq!(super::tanh_f32(1e30), 1.0);
        assert_eq!(super::tanh_f32(-1e30), -1.0);
        assert_eq!(super::tanh_f32(1e-30), 1e-30);
    }

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
        check_fd(HardSigmoid::pytorch(), &[-3.0, 3.0]);
        check_fd(HardSigmoid::onnx(), &[-2.5, 2.5]);
        check_fd(HardSigmoid { slope: 0.25 }, &[-2.0, 2.0]);
        check_fd(HardSigmoid { slope: -0.3 }, &[-1.0 / 0.6, 1.0 / 0.6]);
        check_fd(Prelu { slope: 0.25 }, &[0.0]);
        check_fd(Prelu { slope: -0.7 }, &[0.0]);
        check_fd(Prelu { slope: 1.5 }, &[0.0]);
    }

    /// Checks `dparam` against a central finite difference of `f` in the parameter, at `p` and
    /// many points of `[-6, 6]`, skipping those within `1e-3` of a kink.
    fn check_dparam_fd<A: Learnable<f64> + std::fmt::Debug>(p: f64, kinks: &[f64]) {
        let n = 2400;
        let mut checked = 0;
        let a = A::with_param(p);
        let (plus, minus) = (A::with_param(p + H), A::with_param(p - H));
        for k in 0..=n {
            let x = -6.0 + 12.0 * f64::from(k) / f64::from(n) + 1.234_567e-4;
            let x = x.min(6.0);
            if kinks.iter().any(|&c| (x - c).abs() < 1e-3) {
                continue;
            }
            let fd = (plus.f(x) - minus.f(x)) / (2.0 * H);
            let d = a.dparam(x, a.f(x));
            assert!(close(d, fd, TOL), "{a:?}: dparam({x}) = {d}, finite difference {fd}");
            checked += 1;
        }
        assert!(checked > 2000);
    }

    #[test]
    fn parameter_derivatives_match_finite_differences() {
        for p in [0.25, 0.01, -0.5, 1.0, 2.0] {
            check_dparam_fd::<Prelu<f64>>(p, &[0.0]);
        }
        for p in [1.0, 0.5, 2.5, -1.0, 0.0, 1.702] {
            check_dparam_fd::<Swish<f64>>(p, &[]);
        }
    }

    #[test]
    fn learnable_parameters_round_trip() {
        assert_eq!(Prelu::with_param(0.3_f64), Prelu { slope: 0.3 });
        assert_eq!(Swish::with_param(1.5_f32), Swish { beta: 1.5 });
        assert_eq!(Prelu::<f64>::default().slope, 0.25);
        // At beta = 0 the swish is x / 2, and df/dbeta = x^2 sigmoid'(0) = x^2 / 4.
        assert_eq!(Swish { beta: 0.0_f64 }.f(3.0), 1.5);
        assert_eq!(Swish { beta: 0.0_f64 }.dparam(3.0, 1.5), 2.25);
        assert_close(Swish { beta: 2.0 }.dparam(0.5, 0.0), 0.04915298331037046);
        assert_close(Swish { beta: 0.5 }.dparam(-2.0, 0.0), 0.7864477329659274);
        let p = Prelu { slope: 0.25_f64 };
        assert_eq!(p.dparam(0.0, 0.0), 0.0);
        assert_eq!(p.dparam(-3.0, -0.75), -3.0);
        assert_eq!(p.dparam(1e-300, 1e-300), 0.0);
        assert_eq!(p.df(0.0, 0.0), 0.25);
        assert!(p.f(f64::NAN).is_nan());
    }

    #[test]
    fn hard_sigmoid_saturates_where_each_convention_says() {
        fn check<T: Float + std::fmt::Debug>() {
            let (half, one, zero) = (T::lit(0.5), T::one(), T::zero());
            let torch = HardSigmoid::<T>::pytorch();
            assert_eq!(torch.f(zero), half);
            assert_eq!(torch.f(T::lit(-3.0)), zero);
            assert_eq!(torch.f(T::lit(3.0)), one);
            assert_eq!(torch.f(T::lit(-3.5)), zero);
            assert_eq!(torch.f(T::lit(3.5)), one);
            assert_eq!(torch.f(T::lit(-1.5)), T::lit(0.25));
            assert_eq!(torch.df(T::lit(-3.0), zero), zero);
            assert_eq!(torch.df(T::lit(3.0), one), zero);
            assert_eq!(torch.df(T::lit(2.9), zero), T::lit(1.0 / 6.0));
            assert_eq!(torch.df(T::lit(-2.9), zero), T::lit(1.0 / 6.0));
            assert_eq!(torch.df(T::lit(3.1), zero), zero);

            let onnx = HardSigmoid::<T>::onnx();
            assert_eq!(onnx.f(zero), half);
            assert_eq!(onnx.f(T::lit(-2.5)), zero);
            assert_eq!(onnx.f(T::lit(2.5)), one);
            assert_eq!(onnx.f(T::lit(-3.0)), zero);
            assert_eq!(onnx.f(T::lit(3.0)), one);
            assert_eq!(onnx.f(T::lit(1.25)), T::lit(0.75));
            assert_eq!(onnx.df(T::lit(-2.5), zero), zero);
            assert_eq!(onnx.df(T::lit(2.5), one), zero);
            assert_eq!(onnx.df(T::lit(2.4), zero), T::lit(0.2));
            assert_eq!(onnx.df(T::lit(-2.4), zero), T::lit(0.2));
            assert_eq!(onnx.df(T::lit(-2.6), zero), zero);

            // The ONNX form is not yet saturated where the textbook's is, and the PyTorch form
            // not where the ONNX one is.
            assert_eq!(HardLogistic.f(T::lit(2.0)), one);
            assert!(onnx.f(T::lit(2.0)) < one);
            assert!(torch.f(T::lit(2.5)) < one);

            // Slope 1/4 is the textbook's hard logistic.
            let quarter = HardSigmoid { slope: T::lit(0.25) };
            for k in -40..=40 {
                let x = T::lit(f64::from(k) / 8.0);
                assert_eq!(quarter.f(x), HardLogistic.f(x));
                assert_eq!(quarter.df(x, zero), HardLogistic.df(x, zero));
            }
        }
        check::<f32>();
        check::<f64>();
        assert!(HardSigmoid::<f64>::pytorch().f(f64::NAN).is_nan());
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
        check_finite(HardSigmoid::pytorch(), &inputs);
        check_finite(HardSigmoid::onnx(), &inputs);
        check_finite(Prelu::default(), &inputs);
        check_finite(Prelu { slope: T::lit(-0.5) }, &inputs);
        for beta in [1.0, 2.0, 0.5, -1.0, 1e-3] {
            let s = Swish { beta: T::lit(beta) };
            for &x in &inputs {
                // x^2 itself overflows for the largest inputs whose s (1 - s) does not
                // underflow, so only NaN is ruled out there.
                let d = s.dparam(x, s.f(x));
                assert!(!is_nan(d), "{s:?}.dparam({x:?}) = {d:?} in {}", T::NAME);
            }
        }
        for &x in &inputs {
            let p = Prelu { slope: T::lit(0.25) };
            assert!(p.dparam(x, p.f(x)).is_finite());
        }
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
        assert_eq!(Swish { beta: 1.0_f32 }.dparam(1e20, 1e20), 0.0);
        assert_eq!(Swish { beta: 1.0_f32 }.dparam(-1e20, 0.0), 0.0);
        assert_eq!(Swish { beta: 1.0_f64 }.dparam(f64::MAX, f64::MAX), 0.0);
        assert_eq!(Swish { beta: 1.0_f64 }.dparam(-f64::MAX, 0.0), 0.0);
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

    /// `df/dp` of a learnable activation by central differences in `p`.
    fn fd_param<A: Learnable<f64>>(p: f64, x: f64) -> f64 {
        (A::with_param(p + H).f(x) - A::with_param(p - H).f(x)) / (2.0 * H)
    }

    #[test]
    fn learnable_kernels_with_shared_parameter() {
        let z = [1.5_f64, -0.5, 0.25, -3.0];
        let beta = 1.3;
        let mut a = [0.0; 4];
        learnable_forward::<f64, Swish<f64>>(&z, &[beta], &mut a);
        for (ai, zi) in a.iter().zip(z) {
            assert_eq!(*ai, Swish { beta }.f(zi));
        }

        let d_a = [0.5, -1.0, 2.0, 0.75];
        let mut d_z = [7.0; 4];
        let mut d_beta = [0.125];
        learnable_backward::<f64, Swish<f64>>(&z, &a, &[beta], &d_a, &mut d_z, &mut d_beta, 0.5);
        let mut want = 0.0;
        for i in 0..4 {
            assert_eq!(d_z[i], d_a[i] * Swish { beta }.df(z[i], a[i]));
            want += d_a[i] * fd_param::<Swish<f64>>(beta, z[i]);
        }
        assert!(close(d_beta[0], 0.125 + 0.5 * want, TOL), "{} vs {want}", d_beta[0]);

        // A second call accumulates into the parameter's gradient and overwrites d_z.
        let before = d_beta[0];
        learnable_backward::<f64, Swish<f64>>(&z, &a, &[beta], &d_a, &mut d_z, &mut d_beta, 2.0);
        assert!(close(d_beta[0] - before, 2.0 * want, TOL));
        assert_eq!(d_z[3], d_a[3] * Swish { beta }.df(z[3], a[3]));
    }

    #[test]
    fn learnable_kernels_with_one_parameter_per_element() {
        let z = [2.0_f64, -2.0, -4.0, 0.0];
        let slopes = [0.1, 0.25, 0.5, 0.75];
        let mut a = [0.0; 4];
        learnable_forward::<f64, Prelu<f64>>(&z, &slopes, &mut a);
        assert_eq!(a, [2.0, -0.5, -2.0, 0.0]);

        let d_a = [1.0, 2.0, -1.0, 4.0];
        let mut d_z = [0.0; 4];
        let mut d_slopes = [1.0, 1.0, 1.0, 1.0];
        learnable_backward::<f64, Prelu<f64>>(&z, &a, &slopes, &d_a, &mut d_z, &mut d_slopes, 0.5);
        // d_z = d_a * (1 or slope), with the slope at 0.
        assert_eq!(d_z, [1.0, 0.5, -0.5, 3.0]);
        // d_slope_i += 0.5 * d_a_i * (0 or z_i).
        assert_eq!(d_slopes, [1.0, -1.0, 3.0, 1.0]);

        // Per-element betas, against finite differences.
        let z = [1.5_f64, -0.5, 0.25];
        let betas = [0.5, 1.0, 2.0];
        let mut a = [0.0; 3];
        learnable_forward::<f64, Swish<f64>>(&z, &betas, &mut a);
        let d_a = [1.0, -2.0, 0.5];
        let (mut d_z, mut d_betas) = ([0.0; 3], [0.0; 3]);
        learnable_backward::<f64, Swish<f64>>(&z, &a, &betas, &d_a, &mut d_z, &mut d_betas, 1.0);
        for i in 0..3 {
            assert_eq!(a[i], Swish { beta: betas[i] }.f(z[i]));
            let want = d_a[i] * fd_param::<Swish<f64>>(betas[i], z[i]);
            assert!(close(d_betas[i], want, TOL), "d_beta[{i}] = {}, want {want}", d_betas[i]);
        }
    }

    #[test]
    fn learnable_kernels_tolerate_mismatched_lengths() {
        let z = [-1.0_f64, -2.0, -3.0];
        let mut a = [9.0; 3];
        // No parameter: nothing written.
        learnable_forward::<f64, Prelu<f64>>(&z, &[], &mut a);
        assert_eq!(a, [9.0; 3]);
        // Two parameters for three elements: the elements that have one are written.
        learnable_forward::<f64, Prelu<f64>>(&z, &[0.5, 0.25], &mut a);
        assert_eq!(a, [-0.5, -0.5, 9.0]);
        let mut short = [0.0; 2];
        learnable_forward::<f64, Prelu<f64>>(&z, &[0.5], &mut short);
        assert_eq!(short, [-0.5, -1.0]);

        let mut d_z = [9.0; 3];
        let mut d_p: [f64; 0] = [];
        learnable_backward::<f64, Prelu<f64>>(&z, &a, &[0.5], &[1.0; 3], &mut d_z, &mut d_p, 1.0);
        assert_eq!(d_z, [0.5; 3]);
        let mut d_p = [0.0];
        learnable_backward::<f64, Prelu<f64>>(&z, &a, &[0.5; 3], &[1.0], &mut d_z, &mut d_p, 1.0);
        assert_eq!(d_p, [-1.0]);
        learnable_backward::<f32, Swish<f32>>(&[], &[], &[], &[], &mut [], &mut [], 1.0);
    }

    #[test]
    fn maxout_picks_the_first_largest_piece_and_routes_to_it() {
        // Three units of three pieces: a clear winner, a tie between pieces 1 and 2, and a tie
        // between all three.
        let h = [1.0_f64, 5.0, -2.0, /* */ 0.0, 4.0, 4.0, /* */ -1.0, -1.0, -1.0];
        let mut out = [0.0; 3];
        maxout(&h, 3, &mut out);
        assert_eq!(out, [5.0, 4.0, -1.0]);

        let mut d_h = [7.0; 9];
        maxout_backward(&h, 3, &[10.0, 20.0, 30.0], &mut d_h);
        assert_eq!(d_h, [0.0, 10.0, 0.0, /* */ 0.0, 20.0, 0.0, /* */ 30.0, 0.0, 0.0]);

        // One piece per unit is the identity.
        let mut out = [0.0; 9];
        maxout(&h, 1, &mut out);
        assert_eq!(out, h);

        // A NaN among a unit's pieces makes it NaN and takes its gradient.
        let h = [1.0_f64, f64::NAN, 5.0, /* */ f64::NAN, 2.0, 3.0];
        let mut out = [0.0; 2];
        maxout(&h, 3, &mut out);
        assert!(out[0].is_nan() && out[1].is_nan());
        let mut d_h = [7.0; 6];
        maxout_backward(&h, 3, &[1.0, 2.0], &mut d_h);
        assert_eq!(d_h, [0.0, 1.0, 0.0, 2.0, 0.0, 0.0]);

        // Infinities are ordinary values.
        let mut out = [0.0_f32; 1];
        maxout(&[f32::NEG_INFINITY, f32::INFINITY], 2, &mut out);
        assert_eq!(out, [f32::INFINITY]);
    }

    #[test]
    fn maxout_backward_matches_finite_differences() {
        let h = [
            0.3_f64, -1.2, 2.5, /* */ 0.0, 1.0, -0.7, /* */ -2.0, -0.1, -0.4,
            /* */ 1.1, 0.9, 1.0,
        ];
        let c = [0.7_f64, -2.0, 1.5, -0.4];
        let loss = |h: &[f64]| {
            let mut out = [0.0; 4];
            maxout(h, 3, &mut out);
            out.iter().zip(&c).map(|(o, ci)| o * ci).sum::<f64>()
        };
        let mut d_h = [0.0; 12];
        maxout_backward(&h, 3, &c, &mut d_h);
        for i in 0..12 {
            let (mut hp, mut hm) = (h, h);
            hp[i] += H;
            hm[i] -= H;
            let fd = (loss(&hp) - loss(&hm)) / (2.0 * H);
            assert!(close(d_h[i], fd, TOL), "d_h[{i}] = {}, finite difference {fd}", d_h[i]);
        }
    }

    #[test]
    fn maxout_tolerates_bad_shapes() {
        let h = [1.0_f64, 2.0, 3.0, 4.0, 5.0];
        let mut out = [9.0; 3];
        // No pieces: nothing written.
        maxout(&h, 0, &mut out);
        assert_eq!(out, [9.0; 3]);
        let mut d_h = [9.0; 5];
        maxout_backward(&h, 0, &[1.0; 3], &mut d_h);
        assert_eq!(d_h, [9.0; 5]);
        // Five entries make two units of two pieces; the fifth and the third output are left.
        maxout(&h, 2, &mut out);
        assert_eq!(out, [2.0, 4.0, 9.0]);
        maxout_backward(&h, 2, &[1.0; 3], &mut d_h);
        assert_eq!(d_h, [0.0, 1.0, 0.0, 1.0, 9.0]);
        // Fewer outputs than units, and more pieces than entries.
        let mut one = [0.0];
        maxout(&h, 2, &mut one);
        assert_eq!(one, [2.0]);
        maxout(&h, 6, &mut out);
        maxout_backward(&h, 6, &[1.0], &mut d_h);
        maxout_backward(&h, 2, &[1.0], &mut d_h[..3]);
        maxout::<f32>(&[], 3, &mut []);
    }
}
