//! Lane-parallel `f32` transcendental functions: what the activations use at the wider
//! [`Level`](super::Level)s, one vector of lanes at a time.
//!
//! Each function is also available on slices (`exp_slice`, `tanh_slice`, `sigmoid_slice`),
//! dispatched to the thread's level, which is how the tests below measure their error over
//! the whole `f32` range, against `f64` references, at every level the CPU has:
//!
//! | function | method | measured error bound (every finite `f32`) |
//! |---|---|---|
//! | `exp` | `2^n` times a degree-6 polynomial on `[-ln2/2, ln2/2]` (Cephes' `expf`) | 2 ulp relative where the result is normal; 0 below `-103.97` and `+inf` above `88.72`; subnormal results to within their spacing |
//! | `tanh` | Eigen's rational `x P(x^2)/Q(x^2)`, as [`tanh_f32`](crate::activation::tanh_f32) | 5e-7 relative (so absolute) (`x` for `|x| < 4e-4`, `±1` beyond `±7.9053`) |
//! | logistic | `1 / (1 + exp(-x))` for `x >= 0`, `e / (1 + e)` with `e = exp(x)` below | 3 ulp relative where the result is normal, 2^-149 absolute below |
//!
//! A NaN input gives a NaN. `f64` never uses these: its activations keep libm's correctly
//! rounded functions, at every level.

use pulp::Simd;

use super::dispatch;

/// `e^x` in every lane.
#[inline(always)]
pub(crate) fn exp<S: Simd>(s: S, x: S::f32s) -> S::f32s {
    // exp(x) = 2^n e^r with n = round(x / ln 2), r = x - n ln 2 in [-ln2/2, ln2/2];
    // 2^n is built from two halves so that subnormal results keep their digits.
    const LOG2E: f32 = core::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding 1.5 2^23 rounds to an integer held in the low mantissa bits.
    const ROUND: f32 = 12_582_912.0;
    let nan = s.not_m32s(s.equal_f32s(x, x));
    let x = s.max_f32s(s.min_f32s(x, s.splat_f32s(88.722_84)), s.splat_f32s(-103.972_08));
    let t = s.mul_add_e_f32s(x, s.splat_f32s(LOG2E), s.splat_f32s(ROUND));
    let n = s.sub_f32s(t, s.splat_f32s(ROUND));
    let r = s.negate_mul_add_e_f32s(n, s.splat_f32s(LN2_HI), x);
    let r = s.negate_mul_add_e_f32s(n, s.splat_f32s(LN2_LO), r);
    let mut p = s.splat_f32s(1.987_569_1e-4);
    for c in [1.398_199_9e-3, 8.333_452e-3, 4.166_579_6e-2, 1.666_666_5e-1, 0.5] {
        p = s.mul_add_e_f32s(p, r, s.splat_f32s(c));
    }
    let r2 = s.mul_f32s(r, r);
    let e = s.add_f32s(s.mul_add_e_f32s(p, r2, r), s.splat_f32s(1.0));
    // n = n1 + n2, each within the exponent's range.
    let n1 = s
        .sub_f32s(s.mul_add_e_f32s(n, s.splat_f32s(0.5), s.splat_f32s(ROUND)), s.splat_f32s(ROUND));
    let n2 = s.sub_f32s(n, n1);
    let e = s.mul_f32s(s.mul_f32s(e, pow2(s, n1)), pow2(s, n2));
    s.select_f32s(nan, s.add_f32s(x, x), e)
}

/// `2^n` for an integral `n` in `[-126, 127]`.
#[inline(always)]
fn pow2<S: Simd>(s: S, n: S::f32s) -> S::f32s {
    const ROUND: f32 = 12_582_912.0;
    // The bits of `n + ROUND` are `0x4B40_0000 + n`: move `n + 127` into the exponent field.
    let bits = s.transmute_u32s_f32s(s.add_f32s(n, s.splat_f32s(ROUND)));
    let biased = s.add_u32s(bits, s.splat_u32s(127u32.wrapping_sub(0x4B40_0000)));
    s.transmute_f32s_u32s(s.wrapping_dyn_shl_u32s(biased, s.splat_u32s(23)))
}

/// `tanh(x)` in every lane: the same rational function as
/// [`tanh_f32`](crate::activation::tanh_f32).
#[inline(always)]
pub(crate) fn tanh<S: Simd>(s: S, x: S::f32s) -> S::f32s {
    const CLAMP: f32 = 7.905_311;
    let nan = s.not_m32s(s.equal_f32s(x, x));
    let small = s.less_than_f32s(s.abs_f32s(x), s.splat_f32s(4e-4));
    let c = s.max_f32s(s.min_f32s(x, s.splat_f32s(CLAMP)), s.splat_f32s(-CLAMP));
    let x2 = s.mul_f32s(c, c);
    let mut p = s.mul_add_e_f32s(x2, s.splat_f32s(-2.760_768_5e-16), s.splat_f32s(2.000_188e-13));
    for k in [-8.604_672e-11, 5.122_297e-8, 1.485_722_4e-5, 6.372_619_3e-4, 4.893_524_6e-3] {
        p = s.mul_add_e_f32s(x2, p, s.splat_f32s(k));
    }
    let mut q = s.mul_add_e_f32s(x2, s.splat_f32s(1.198_258_4e-6), s.splat_f32s(1.185_347e-4));
    for k in [2.268_434_6e-3, 4.893_525e-3] {
        q = s.mul_add_e_f32s(x2, q, s.splat_f32s(k));
    }
    let r = s.div_f32s(s.mul_f32s(c, p), q);
    let r = s.select_f32s(small, x, r);
    s.select_f32s(nan, x, r)
}

/// The logistic function `1 / (1 + e^-x)` in every lane, from one exponential of `-|x|`.
#[inline(always)]
pub(crate) fn sigmoid<S: Simd>(s: S, x: S::f32s) -> S::f32s {
    let one = s.splat_f32s(1.0);
    let e = exp(s, s.neg_f32s(s.abs_f32s(x)));
    let d = s.add_f32s(one, e);
    let positive = s.greater_than_or_equal_f32s(x, s.splat_f32s(0.0));
    let nan = s.not_m32s(s.equal_f32s(x, x));
    let r = s.select_f32s(positive, s.div_f32s(one, d), s.div_f32s(e, d));
    s.select_f32s(nan, x, r)
}

/// A function of one lane, applied a vector at a time. A trait and not a closure: the body
/// must be inlined into the function compiled for the level, which closures are not.
pub(crate) trait Lanewise: Copy {
    fn apply<S: Simd>(self, s: S, x: S::f32s) -> S::f32s;
}

/// [`exp`].
#[derive(Clone, Copy)]
pub(crate) struct Exp;
/// [`tanh`].
#[derive(Clone, Copy)]
pub(crate) struct Tanh;
/// [`sigmoid`].
#[derive(Clone, Copy)]
pub(crate) struct Sigmoid;

impl Lanewise for Exp {
    #[inline(always)]
    fn apply<S: Simd>(self, s: S, x: S::f32s) -> S::f32s {
        exp(s, x)
    }
}

impl Lanewise for Tanh {
    #[inline(always)]
    fn apply<S: Simd>(self, s: S, x: S::f32s) -> S::f32s {
        tanh(s, x)
    }
}

impl Lanewise for Sigmoid {
    #[inline(always)]
    fn apply<S: Simd>(self, s: S, x: S::f32s) -> S::f32s {
        sigmoid(s, x)
    }
}

/// Applies `f` to every element of `x`, writing `out`, a vector of lanes at a time.
#[inline(always)]
pub(crate) fn map<S: Simd, F: Lanewise>(s: S, x: &[f32], out: &mut [f32], f: F) {
    let len = x.len().min(out.len());
    let (x, out) = (&x[..len], &mut out[..len]);
    let (xv, xt) = S::as_simd_f32s(x);
    let (ov, ot) = S::as_mut_simd_f32s(out);
    for (o, &x) in ov.iter_mut().zip(xv) {
        *o = f.apply(s, x);
    }
    if !xt.is_empty() {
        s.partial_store_f32s(ot, f.apply(s, s.partial_load_f32s(xt)));
    }
}

macro_rules! slice_fn {
    ($(#[$doc:meta])* $name:ident, $f:ident) => {
        $(#[$doc])*
        ///
        /// Writes `min(x.len(), out.len())` elements, at this thread's
        /// [`level`](super::level).
        pub fn $name(x: &[f32], out: &mut [f32]) {
            struct Op<'a>(&'a [f32], &'a mut [f32]);
            impl pulp::WithSimd for Op<'_> {
                type Output = ();
                #[inline(always)]
                fn with_simd<S: Simd>(self, s: S) {
                    let len = self.0.len().min(self.1.len());
                    map(s, &self.0[..len], &mut self.1[..len], $f);
                }
            }
            dispatch(Op(x, out));
        }
    };
}

slice_fn!(
    /// `e^x` for every element of `x`.
    exp_slice,
    Exp
);
slice_fn!(
    /// `tanh(x)` for every element of `x`.
    tanh_slice,
    Tanh
);
slice_fn!(
    /// The logistic function of every element of `x`.
    sigmoid_slice,
    Sigmoid
);

#[cfg(test)]
mod tests {
    use super::super::{available, with_level};
    use super::*;

    /// Every `f32` bit pattern in steps of `stride`, both signs, plus the special values.
    fn sweep(stride: u32) -> Vec<f32> {
        let mut xs: Vec<f32> = (0..=0x7F80_0000u32)
            .step_by(stride as usize)
            .flat_map(|b| [f32::from_bits(b), -f32::from_bits(b)])
            .collect();
        xs.extend([0.0, -0.0, f32::MIN_POSITIVE, f32::MAX, f32::MIN, f32::INFINITY]);
        xs.extend([f32::NEG_INFINITY, 1e-30, -1e-30, 88.72, -103.9, 0.5, -0.5]);
        xs
    }

    /// Distance in units of the last place between `got` and the correctly rounded `exact`.
    fn ulps(got: f32, exact: f64) -> f64 {
        let e = exact as f32;
        if got == e {
            return 0.0;
        }
        let spacing =
            f64::from(e.abs().max(f32::MIN_POSITIVE)).max(1e-300) * f64::from(f32::EPSILON);
        (f64::from(got) - exact).abs() / spacing.max(f64::from(f32::from_bits(1)))
    }

    /// Runs `f_slice` on `xs` at every level the CPU has.
    fn at_every_level(xs: &[f32], f_slice: fn(&[f32], &mut [f32])) -> Vec<(String, Vec<f32>)> {
        available()
            .map(|level| {
                let mut out = vec![0.0; xs.len()];
                with_level(level, || f_slice(xs, &mut out)).unwrap();
                (level.to_string(), out)
            })
            .collect()
    }

    #[test]
    fn exp_is_within_2_ulp_over_the_f32_range() {
        let xs = sweep(97);
        for (level, out) in at_every_level(&xs, exp_slice) {
            for (&x, &y) in xs.iter().zip(&out) {
                let exact = f64::from(x).exp();
                if x.is_nan() {
                    assert!(y.is_nan(), "{level}: exp({x}) = {y}");
                } else if exact > f64::from(f32::MAX) {
                    assert_eq!(y, f32::INFINITY, "{level}: exp({x})");
                } else if exact < f64::from(f32::MIN_POSITIVE) {
                    // Subnormal or zero: within the spacing of subnormals, 2^-149.
                    assert!(
                        (f64::from(y) - exact).abs() <= 2.0 * f64::from(f32::from_bits(1)),
                        "{level}: exp({x}) = {y:e}, exact {exact:e}"
                    );
                } else {
                    let u = ulps(y, exact);
                    assert!(u <= 2.0, "{level}: exp({x}) = {y:e}, exact {exact:e}: {u} ulp");
                }
            }
        }
    }

    #[test]
    fn tanh_is_within_5e_7_over_the_f32_range_and_matches_the_scalar_form() {
        let xs = sweep(89);
        for (level, out) in at_every_level(&xs, tanh_slice) {
            let mut worst = 0.0_f64;
            for (&x, &y) in xs.iter().zip(&out) {
                if x.is_nan() {
                    assert!(y.is_nan());
                    continue;
                }
                let exact = f64::from(x).tanh();
                // Absolute and relative: |tanh x| <= 1, and near 0 the error scales with x.
                let err =
                    (f64::from(y) - exact).abs() / exact.abs().max(f64::from(f32::MIN_POSITIVE));
                worst = worst.max(err);
                // The scalar form used per element is the same function: within a few
                // roundings of the fused multiply-adds.
                let scalar = crate::activation::tanh_f32(x);
                let diff = (y - scalar).abs();
                assert!(
                    diff <= 4.0 * f32::EPSILON * scalar.abs(),
                    "{level}: tanh({x}) = {y:e}, scalar {scalar:e}"
                );
            }
            assert!(worst <= 5e-7, "{level}: worst relative error of tanh {worst:e}");
        }
    }

    #[test]
    fn sigmoid_is_within_3_ulp_over_the_f32_range() {
        let xs = sweep(97);
        for (level, out) in at_every_level(&xs, sigmoid_slice) {
            for (&x, &y) in xs.iter().zip(&out) {
                if x.is_nan() {
                    assert!(y.is_nan());
                    continue;
                }
                let exact = 1.0 / (1.0 + (-f64::from(x)).exp());
                if exact < f64::from(f32::MIN_POSITIVE) {
                    assert!(
                        (f64::from(y) - exact).abs() <= 2.0 * f64::from(f32::from_bits(1)),
                        "{level}: sigmoid({x}) = {y:e}, exact {exact:e}"
                    );
                } else {
                    let u = ulps(y, exact);
                    assert!(u <= 3.0, "{level}: sigmoid({x}) = {y:e}, exact {exact:e}: {u} ulp");
                }
                assert!((0.0..=1.0).contains(&y));
            }
        }
    }
}
