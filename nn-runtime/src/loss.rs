//! Loss functions.
//!
//! Each loss is computed for one sample: `output` (or `logits`) is the network's output vector
//! for that sample and `target` the desired one, both as slices of the same length. Batch code
//! calls them once per column and averages. Every loss has a `_grad` companion that writes the
//! gradient with respect to the output into `grad` (same length again).
//!
//! The classification losses take logits, the pre-activation of the last layer, rather than
//! probabilities: fusing the sigmoid or softmax into the loss keeps it finite and accurate for
//! any finite logits, and gives the simple gradients `sigmoid(z) - y` and `softmax(z) - y`.
//!
//! Slices of unequal length are walked up to the shorter one; empty slices give a loss of `0`.
//! None of these functions panics.

use nalgebra::SVector;

use crate::activation::{sigmoid, softmax};
use crate::Float;

/// The length the zipped slices are walked over, as a scalar.
#[inline]
fn count<T: Float>(a: &[T], b: &[T]) -> T {
    T::lit(a.len().min(b.len()) as f64)
}

/// The mean squared error, `(1/n) sum_i (a_i - y_i)^2`, with `a` the output and `y` the target.
///
/// This is PyTorch's `MSELoss` convention (mean over the elements, no factor `1/2`).
///
/// ```
/// use nn_runtime::loss::mse;
/// assert_eq!(mse(&[1.0_f64, 2.0], &[0.0, 0.0]), 2.5);
/// assert_eq!(mse::<f32>(&[], &[]), 0.0);
/// ```
pub fn mse<T: Float>(output: &[T], target: &[T]) -> T {
    let n = count(output, target);
    if n == T::zero() {
        return T::zero();
    }
    let sum = output.iter().zip(target).fold(T::zero(), |acc, (&a, &y)| {
        let d = a - y;
        acc + d * d
    });
    sum / n
}

/// The gradient of [`mse`]: `grad_i = 2 (a_i - y_i) / n`.
///
/// ```
/// use nn_runtime::loss::mse_grad;
/// let mut grad = [0.0_f64; 2];
/// mse_grad(&[1.0, 2.0], &[0.0, 0.0], &mut grad);
/// assert_eq!(grad, [1.0, 2.0]);
/// ```
pub fn mse_grad<T: Float>(output: &[T], target: &[T], grad: &mut [T]) {
    let n = count(output, target);
    if n == T::zero() {
        return;
    }
    let scale = T::lit(2.0) / n;
    for ((g, &a), &y) in grad.iter_mut().zip(output).zip(target) {
        *g = scale * (a - y);
    }
}

/// The binary cross-entropy of independent sigmoid outputs, from their logits:
/// `(1/n) sum_i [max(z_i, 0) - z_i y_i + ln(1 + e^-|z_i|)]`.
///
/// This equals `-(1/n) sum_i [y_i ln s_i + (1 - y_i) ln(1 - s_i)]` with `s_i = sigmoid(z_i)`
/// (PyTorch's `BCEWithLogitsLoss`), but is finite and accurate for any finite logit, where
/// `ln s_i` would underflow to `-inf`. Targets are usually `0` or `1`; any `y` in `[0, 1]` works.
///
/// ```
/// use nn_runtime::loss::binary_cross_entropy_with_logits as bce;
/// assert!((bce(&[0.0_f64], &[1.0]) - std::f64::consts::LN_2).abs() < 1e-16);
/// assert_eq!(bce(&[1e4_f32], &[0.0]), 1e4);
/// assert_eq!(bce(&[1e4_f32], &[1.0]), 0.0);
/// ```
pub fn binary_cross_entropy_with_logits<T: Float>(logits: &[T], target: &[T]) -> T {
    let n = count(logits, target);
    if n == T::zero() {
        return T::zero();
    }
    // Each term is scaled before summing, so that the mean of terms near `T::MAX` (logits of
    // that size) cannot overflow in the sum.
    let inv_n = T::one() / n;
    logits.iter().zip(target).fold(T::zero(), |acc, (&z, &y)| {
        // max(z, 0) - z y, split by sign so that z = y = 1 cancels exactly.
        let linear = if z > T::zero() { z * (T::one() - y) } else { -(z * y) };
        acc + (linear + (-z.abs()).exp().ln_1p()) * inv_n
    })
}

/// The gradient of [`binary_cross_entropy_with_logits`] with respect to the logits:
/// `grad_i = (sigmoid(z_i) - y_i) / n`.
///
/// ```
/// use nn_runtime::loss::binary_cross_entropy_with_logits_grad as bce_grad;
/// let mut grad = [0.0_f64; 2];
/// bce_grad(&[0.0, 0.0], &[1.0, 0.0], &mut grad);
/// assert_eq!(grad, [-0.25, 0.25]);
/// ```
pub fn binary_cross_entropy_with_logits_grad<T: Float>(logits: &[T], target: &[T], grad: &mut [T]) {
    let n = count(logits, target);
    if n == T::zero() {
        return;
    }
    for ((g, &z), &y) in grad.iter_mut().zip(logits).zip(target) {
        *g = (sigmoid(z) - y) / n;
    }
}

/// `ln sum_i e^(z_i)`, computed stably as `m + ln sum_i e^(z_i - m)` with `m = max_i z_i`.
///
/// Finite for any finite logits. An infinite maximum is returned as is (`+inf`, or `-inf` when
/// every logit is `-inf`). An empty slice gives `0` (by this module's convention; the
/// mathematical value would be `-inf`).
///
/// ```
/// use nn_runtime::loss::log_sum_exp;
/// assert!((log_sum_exp(&[0.0_f64, 0.0, 0.0]) - 3.0_f64.ln()).abs() < 1e-15);
/// assert_eq!(log_sum_exp(&[1000.0_f32, 0.0, -1000.0]), 1000.0);
/// ```
pub fn log_sum_exp<T: Float>(z: &[T]) -> T {
    let Some(&first) = z.first() else {
        return T::zero();
    };
    let max = z.iter().fold(first, |m, &v| if v > m { v } else { m });
    if !max.is_finite() {
        return max;
    }
    let sum = z.iter().fold(T::zero(), |acc, &v| acc + (v - max).exp());
    max + sum.ln()
}

/// The cross-entropy of a softmax output, from its logits:
/// `sum_i y_i (lse(z) - z_i) = -sum_i y_i ln softmax(z)_i`, with `lse` the [`log_sum_exp`].
///
/// The target `y` is a one-hot vector (see [`one_hot`]) or any probability distribution
/// (PyTorch's `CrossEntropyLoss` with class probabilities, for one sample). Terms with
/// `y_i = 0` are skipped, so a logit far below the others cannot produce `0 * inf`.
///
/// ```
/// use nn_runtime::loss::cross_entropy_with_logits as ce;
/// assert!((ce(&[0.0_f64, 0.0, 0.0], &[0.0, 1.0, 0.0]) - 3.0_f64.ln()).abs() < 1e-15);
/// assert_eq!(ce(&[1000.0_f32, 0.0, -1000.0], &[0.0, 0.0, 1.0]), 2000.0);
/// ```
pub fn cross_entropy_with_logits<T: Float>(logits: &[T], target: &[T]) -> T {
    let lse = log_sum_exp(logits);
    logits.iter().zip(target).fold(T::zero(), |acc, (&z, &y)| {
        if y == T::zero() {
            acc
        } else {
            acc + y * (lse - z)
        }
    })
}

/// The gradient of [`cross_entropy_with_logits`] with respect to the logits:
/// `grad_i = softmax(z)_i * (sum_j y_j) - y_i`, which is `softmax(z) - y` when the target
/// sums to 1.
///
/// ```
/// use nn_runtime::loss::cross_entropy_with_logits_grad as ce_grad;
/// let mut grad = [0.0_f64; 2];
/// ce_grad(&[0.0, 0.0], &[1.0, 0.0], &mut grad);
/// assert_eq!(grad, [-0.5, 0.5]);
/// ```
pub fn cross_entropy_with_logits_grad<T: Float>(logits: &[T], target: &[T], grad: &mut [T]) {
    let total = target.iter().fold(T::zero(), |acc, &y| acc + y);
    softmax(logits, grad);
    for ((g, &y), _) in grad.iter_mut().zip(target).zip(logits) {
        *g = *g * total - y;
    }
}

/// The one-hot encoding of `class` among `N` classes: `1` at index `class`, `0` elsewhere.
/// `None` when `class >= N`.
///
/// ```
/// use nn_runtime::loss::one_hot;
/// let y = one_hot::<f32, 3>(1).unwrap();
/// assert_eq!(y.as_slice(), &[0.0, 1.0, 0.0]);
/// assert!(one_hot::<f64, 3>(3).is_none());
/// ```
pub fn one_hot<T: Float, const N: usize>(class: usize) -> Option<SVector<T, N>> {
    if class >= N {
        return None;
    }
    let mut v = SVector::<T, N>::zeros();
    v[class] = T::one();
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: f64 = 1e-6;

    fn assert_close(got: f64, want: f64, tol: f64) {
        assert!((got - want).abs() <= tol * want.abs().max(1.0), "got {got}, want {want}");
    }

    /// Checks `grad` against central finite differences of `loss` in every coordinate.
    fn check_grad(
        loss: impl Fn(&[f64], &[f64]) -> f64,
        grad: impl Fn(&[f64], &[f64], &mut [f64]),
        output: &[f64],
        target: &[f64],
    ) {
        let mut g = vec![f64::NAN; output.len()];
        grad(output, target, &mut g);
        for i in 0..output.len() {
            let (mut p, mut m) = (output.to_vec(), output.to_vec());
            p[i] += H;
            m[i] -= H;
            let fd = (loss(&p, target) - loss(&m, target)) / (2.0 * H);
            assert!(
                (g[i] - fd).abs() <= 1e-7 * fd.abs().max(1.0),
                "grad[{i}] = {}, finite difference {fd}",
                g[i]
            );
        }
    }

    const Z: [f64; 5] = [0.3, -1.2, 2.5, 0.0, -4.0];

    #[test]
    fn mse_values_and_gradient() {
        assert_eq!(mse(&[1.0_f64, 2.0], &[0.0, 0.0]), 2.5);
        assert_eq!(mse(&[1.0_f32, 2.0], &[0.0, 0.0]), 2.5);
        assert_eq!(mse(&[3.0_f64], &[1.0]), 4.0);
        assert_close(mse(&[0.3, -1.2, 2.5], &[1.0, 0.0, 0.25]), 2.3308333333333335, 1e-15);
        check_grad(mse, mse_grad, &Z, &[1.0, 0.0, 0.5, -2.0, 3.0]);
        let mut g = [0.0_f64; 2];
        mse_grad(&[1.0, 2.0], &[0.0, 0.0], &mut g);
        assert_eq!(g, [1.0, 2.0]);
    }

    #[test]
    fn bce_values_and_gradient() {
        let ln2 = std::f64::consts::LN_2;
        assert_close(binary_cross_entropy_with_logits(&[0.0], &[1.0]), ln2, 1e-16);
        assert_close(binary_cross_entropy_with_logits(&[0.0], &[0.0]), ln2, 1e-16);
        let bce32 = binary_cross_entropy_with_logits(&[0.0_f32], &[1.0]);
        assert!((bce32 - core::f32::consts::LN_2).abs() < 1e-7);
        // Independently: -(1/n) sum [y ln s + (1 - y) ln(1 - s)], computed to 40 digits.
        let got = binary_cross_entropy_with_logits(&[0.3, -1.2, 2.5], &[1.0, 0.0, 0.25]);
        assert_close(got, 0.923842482033036, 1e-15);
        // Agrees with the naive formula where that one is accurate.
        for (&z, y) in Z.iter().zip([1.0, 0.0, 0.5, 0.3, 0.9]) {
            let s = 1.0 / (1.0 + (-z).exp());
            let naive = -(y * s.ln() + (1.0 - y) * (1.0 - s).ln());
            assert_close(binary_cross_entropy_with_logits(&[z], &[y]), naive, 1e-13);
        }
        assert_eq!(binary_cross_entropy_with_logits(&[1e4_f32], &[0.0]), 1e4);
        assert_eq!(binary_cross_entropy_with_logits(&[1e4_f64], &[0.0]), 1e4);
        assert_eq!(binary_cross_entropy_with_logits(&[-1e4_f64], &[1.0]), 1e4);
        assert_eq!(binary_cross_entropy_with_logits(&[1e4_f64], &[1.0]), 0.0);

        check_grad(
            binary_cross_entropy_with_logits,
            binary_cross_entropy_with_logits_grad,
            &Z,
            &[1.0, 0.0, 0.5, 0.3, 1.0],
        );
        let mut g = [0.0_f64; 2];
        binary_cross_entropy_with_logits_grad(&[0.0, 0.0], &[1.0, 0.0], &mut g);
        assert_eq!(g, [-0.25, 0.25]);
    }

    #[test]
    fn log_sum_exp_values() {
        assert_close(log_sum_exp(&[0.3, -1.2, 2.5]), 2.627096582800486, 1e-15);
        let naive = (1.0_f64.exp() + 2.0_f64.exp() + 3.0_f64.exp()).ln();
        assert_close(log_sum_exp(&[1.0, 2.0, 3.0]), naive, 1e-15);
        assert_close(log_sum_exp(&[0.0; 3]), 3.0_f64.ln(), 1e-15);
        assert_eq!(log_sum_exp(&[1000.0_f32, 0.0, -1000.0]), 1000.0);
        assert_eq!(log_sum_exp(&[-5.0_f64]), -5.0);
        assert_eq!(log_sum_exp::<f64>(&[]), 0.0);
        assert_eq!(log_sum_exp(&[f64::INFINITY, 0.0]), f64::INFINITY);
        assert_eq!(log_sum_exp(&[f64::NEG_INFINITY; 2]), f64::NEG_INFINITY);
        assert_close(log_sum_exp(&[f64::NEG_INFINITY, 0.0]), 0.0, 1e-16);
    }

    #[test]
    fn cross_entropy_values_and_gradient() {
        let ce = cross_entropy_with_logits::<f64>;
        assert_close(ce(&[0.0; 3], &[0.0, 1.0, 0.0]), 3.0_f64.ln(), 1e-15);
        let ce32 = cross_entropy_with_logits(&[0.0_f32; 3], &[1.0, 0.0, 0.0]);
        assert!((ce32 - 3.0_f32.ln()).abs() < 1e-6);
        assert_close(ce(&[0.3, -1.2, 2.5], &[0.0, 0.0, 1.0]), 0.12709658280048583, 1e-15);
        assert_close(ce(&[0.3, -1.2, 2.5], &[0.2, 0.5, 0.3]), 2.417096582800486, 1e-15);
        // Agrees with -sum y ln softmax(z).
        let y = [0.1, 0.2, 0.3, 0.15, 0.25];
        let denom: f64 = Z.iter().map(|z| z.exp()).sum();
        let naive: f64 = -Z.iter().zip(y).map(|(z, y)| y * (z.exp() / denom).ln()).sum::<f64>();
        assert_close(ce(&Z, &y), naive, 1e-14);

        check_grad(ce, cross_entropy_with_logits_grad, &Z, &[0.0, 0.0, 1.0, 0.0, 0.0]);
        check_grad(ce, cross_entropy_with_logits_grad, &Z, &y);
        // A target that does not sum to 1 exercises the sum_j y_j factor.
        check_grad(ce, cross_entropy_with_logits_grad, &Z, &[0.5, 1.0, 0.0, 2.0, 0.25]);
        let mut g = [0.0_f64; 2];
        cross_entropy_with_logits_grad(&[0.0, 0.0], &[1.0, 0.0], &mut g);
        assert_eq!(g, [-0.5, 0.5]);
    }

    #[test]
    fn finite_for_huge_logits_in_f32() {
        for big in [1e4_f32, 1e30, f32::MAX] {
            let z = [big, -big, 0.0, big];
            for y in [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]] {
                let mut g = [f32::NAN; 4];
                let ce = cross_entropy_with_logits(&z, &y);
                if big < f32::MAX || y[1] == 0.0 {
                    // For a target on -MAX the loss is 2 MAX, beyond f32.
                    assert!(ce.is_finite(), "ce({z:?}, {y:?}) = {ce}");
                }
                cross_entropy_with_logits_grad(&z, &y, &mut g);
                assert!(g.iter().all(|v| v.is_finite()), "ce grad {g:?}");
                let bce = binary_cross_entropy_with_logits(&z, &y);
                assert!(bce.is_finite(), "bce({z:?}, {y:?}) = {bce}");
                binary_cross_entropy_with_logits_grad(&z, &y, &mut g);
                assert!(g.iter().all(|v| v.is_finite()), "bce grad {g:?}");
                assert!(log_sum_exp(&z).is_finite());
            }
        }
        assert_eq!(cross_entropy_with_logits(&[1e30_f32, -1e30], &[0.0, 1.0]), 2e30);
        assert_eq!(cross_entropy_with_logits(&[1e30_f32, -1e30], &[1.0, 0.0]), 0.0);
        assert_eq!(binary_cross_entropy_with_logits(&[-1e30_f32], &[1.0]), 1e30);
        let mut g = [0.0_f32; 2];
        cross_entropy_with_logits_grad(&[1e30, -1e30], &[0.0, 1.0], &mut g);
        assert_eq!(g, [1.0, -1.0]);
    }

    #[test]
    fn empty_and_mismatched_slices() {
        let empty: [f64; 0] = [];
        assert_eq!(mse(&empty, &empty), 0.0);
        assert_eq!(binary_cross_entropy_with_logits(&empty, &empty), 0.0);
        assert_eq!(cross_entropy_with_logits(&empty, &empty), 0.0);
        let mut none: [f64; 0] = [];
        mse_grad(&empty, &empty, &mut none);
        binary_cross_entropy_with_logits_grad(&empty, &empty, &mut none);
        cross_entropy_with_logits_grad(&empty, &empty, &mut none);
        let mut g = [0.0_f64; 1];
        mse_grad(&[1.0, 2.0], &[0.0, 0.0, 0.0], &mut g);
        binary_cross_entropy_with_logits_grad(&[1.0, 2.0], &[0.0], &mut g);
        cross_entropy_with_logits_grad(&[1.0, 2.0], &[1.0, 0.0, 0.0], &mut g);
        assert!(g[0].is_finite());
        assert_eq!(mse(&[1.0, 2.0], &[0.0]), 1.0);
    }

    #[test]
    fn one_hot_vectors() {
        let y = one_hot::<f64, 4>(2).unwrap();
        assert_eq!(y.as_slice(), &[0.0, 0.0, 1.0, 0.0]);
        let y = one_hot::<f32, 1>(0).unwrap();
        assert_eq!(y.as_slice(), &[1.0]);
        assert!(one_hot::<f32, 4>(4).is_none());
        assert!(one_hot::<f32, 4>(usize::MAX).is_none());
        assert!(one_hot::<f64, 0>(0).is_none());
    }
}
