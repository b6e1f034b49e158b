//! Measures of a classifier (accuracy, the confusion matrix, precision, recall and F1) and of
//! a regression (mean absolute and squared error, R²).
//!
//! Everything here is computed from predictions and targets, vectors of width `O`, and knows
//! nothing of networks: pass it `net.forward(x)` for each sample and the data set's targets.
//! A vector stands for a class as [`class_of`] says: for `O >= 2` the index of its largest
//! entry (a network's softmax output, or a one-hot target); for `O == 1` a binary class, `1`
//! when the value is above `0.5` (a sigmoid output, or a 0/1 target), `0` otherwise.
//!
//! A ratio with nothing to divide by (the accuracy of no samples, the precision of a class
//! never predicted) is `NaN`, not `0`: it is undefined, and a `NaN` makes any comparison such
//! as `accuracy >= 0.95` fail rather than pass or fail by accident.
//!
//! ```
//! use nn_runtime::metrics::{accuracy, ConfusionMatrix};
//! use nn_runtime::nalgebra::SVector;
//!
//! // Sigmoid outputs of a binary classifier, and the 0/1 targets.
//! let p = [0.9, 0.8, 0.3, 0.6, 0.1].map(SVector::<f64, 1>::new);
//! let y = [1.0, 1.0, 1.0, 0.0, 0.0].map(SVector::<f64, 1>::new);
//! assert_eq!(accuracy(&p, &y), 0.6);
//! let matrix = ConfusionMatrix::from_predictions(&p, &y);
//! assert_eq!(matrix.count(1, 1), 2); // true positives
//! assert_eq!(matrix.precision(), 2.0 / 3.0);
//! assert_eq!(matrix.recall(), 2.0 / 3.0);
//! ```

use std::fmt;

use nalgebra::SVector;

use crate::Float;

/// The class a prediction or target of width `O` stands for, or `None` if it stands for none.
///
/// - `O >= 2`: the index of the largest entry (the first of equal largest ones), as for a
///   softmax output or a one-hot target; `None` if any entry is `NaN`.
/// - `O == 1`: `1` if the value is above `0.5`, `0` otherwise (`0.5` itself is `0`, as in
///   Keras's `binary_accuracy` and torchmetrics); `None` if it is `NaN`. The value is a
///   probability (a network ending in `sigmoid`) or a 0/1 target.
/// - `O == 0`: `None`.
///
/// A network whose outputs became `NaN` thus predicts no class, and every metric counts its
/// predictions as wrong.
///
/// ```
/// use nn_runtime::metrics::class_of;
/// use nn_runtime::nalgebra::SVector;
///
/// assert_eq!(class_of(&SVector::<f32, 3>::new(0.2, 0.7, 0.1)), Some(1));
/// assert_eq!(class_of(&SVector::<f32, 1>::new(0.7)), Some(1));
/// assert_eq!(class_of(&SVector::<f32, 1>::new(0.5)), Some(0));
/// assert_eq!(class_of(&SVector::<f32, 2>::new(f32::NAN, 0.5)), None);
/// ```
pub fn class_of<T: Float, const O: usize>(v: &SVector<T, O>) -> Option<usize> {
    if v.iter().any(|x| x.as_f64().is_nan()) {
        return None;
    }
    match O {
        0 => None,
        1 => Some(usize::from(v[0] > T::lit(0.5))),
        _ => {
            let mut best = 0;
            for (i, &x) in v.iter().enumerate() {
                if x > v[best] {
                    best = i;
                }
            }
            Some(best)
        }
    }
}

/// The fraction of samples whose prediction stands for the target's class (see [`class_of`]):
/// for `O >= 2` the largest output against the one-hot target, for `O == 1` the output
/// thresholded at `0.5` against the 0/1 target.
///
/// Slices of unequal length give `NaN`: some sample lacks its prediction or its target, so
/// the accuracy is undefined (a mistake in the caller's data, which a number would hide).
/// No samples give `NaN` too. A prediction or target without a class (`NaN`) counts as wrong.
///
/// ```
/// use nn_runtime::metrics::accuracy;
/// use nn_runtime::nalgebra::SVector;
///
/// let predictions = [SVector::<f32, 2>::new(0.9, 0.1), SVector::<f32, 2>::new(0.4, 0.6)];
/// let targets = [SVector::<f32, 2>::new(1.0, 0.0); 2];
/// assert_eq!(accuracy(&predictions, &targets), 0.5);
/// assert!(accuracy::<f32, 2>(&[], &[]).is_nan());
/// assert!(accuracy(&predictions, &targets[..1]).is_nan()); // two predictions, one target
/// ```
pub fn accuracy<T: Float, const O: usize>(
    predictions: &[SVector<T, O>],
    targets: &[SVector<T, O>],
) -> f64 {
    if predictions.len() != targets.len() {
        return f64::NAN;
    }
    let n = predictions.len();
    let correct = predictions
        .iter()
        .zip(targets)
        .filter(|(p, y)| matches!((class_of(*p), class_of(*y)), (Some(a), Some(b)) if a == b))
        .count();
    ratio(correct, n)
}

/// The mean absolute error `1/(n O) Σ_i Σ_k |p_ik - y_ik|` over every output of every
/// sample: scikit-learn's `mean_absolute_error` averaged over the outputs. `NaN` for no
/// samples or slices of unequal length.
///
/// ```
/// use nn_runtime::metrics::mean_absolute_error;
/// use nn_runtime::nalgebra::SVector;
///
/// let p = [1.0, 2.0, 4.0].map(SVector::<f64, 1>::new);
/// let y = [1.5, 2.0, 3.0].map(SVector::<f64, 1>::new);
/// assert_eq!(mean_absolute_error(&p, &y), 0.5);
/// ```
pub fn mean_absolute_error<T: Float, const O: usize>(
    predictions: &[SVector<T, O>],
    targets: &[SVector<T, O>],
) -> f64 {
    mean_over_entries(predictions, targets, |d| d.abs())
}

/// The mean squared error `1/(n O) Σ_i Σ_k (p_ik - y_ik)²`, as [`mean_absolute_error`].
pub fn mean_squared_error<T: Float, const O: usize>(
    predictions: &[SVector<T, O>],
    targets: &[SVector<T, O>],
) -> f64 {
    mean_over_entries(predictions, targets, |d| d * d)
}

/// The mean of `f(p - y)` over all entries, `NaN` for none or unequal lengths.
fn mean_over_entries<T: Float, const O: usize>(
    predictions: &[SVector<T, O>],
    targets: &[SVector<T, O>],
    f: impl Fn(f64) -> f64,
) -> f64 {
    if predictions.len() != targets.len() || predictions.is_empty() || O == 0 {
        return f64::NAN;
    }
    let total: f64 = predictions
        .iter()
        .zip(targets)
        .flat_map(|(p, y)| p.iter().zip(y.iter()).map(|(p, y)| f(p.as_f64() - y.as_f64())))
        .sum();
    total / (predictions.len() * O) as f64
}

/// The coefficient of determination `R² = 1 - Σ (y - p)² / Σ (y - ȳ)²` of each output,
/// averaged over the outputs (scikit-learn's `r2_score` with `multioutput =
/// "uniform_average"`): 1 for perfect predictions, 0 for predicting the mean, negative for
/// worse. An output whose targets are all equal scores 1 if predicted exactly and 0
/// otherwise, as in scikit-learn. `NaN` for no samples or slices of unequal length.
///
/// ```
/// use nn_runtime::metrics::r2;
/// use nn_runtime::nalgebra::SVector;
///
/// let y = [1.0, 2.0, 3.0, 4.0].map(SVector::<f64, 1>::new);
/// assert_eq!(r2(&y, &y), 1.0);
/// let mean = [2.5; 4].map(SVector::<f64, 1>::new);
/// assert_eq!(r2(&mean, &y), 0.0);
/// let p = [1.5, 2.0, 3.0, 3.5].map(SVector::<f64, 1>::new);
/// assert_eq!(r2(&p, &y), 0.9); // 1 - 0.5 / 5
/// ```
pub fn r2<T: Float, const O: usize>(
    predictions: &[SVector<T, O>],
    targets: &[SVector<T, O>],
) -> f64 {
    if predictions.len() != targets.len() || predictions.is_empty() || O == 0 {
        return f64::NAN;
    }
    let n = targets.len() as f64;
    let mut total = 0.0;
    for k in 0..O {
        let mean = targets.iter().map(|y| y[k].as_f64()).sum::<f64>() / n;
        let spread: f64 = targets.iter().map(|y| (y[k].as_f64() - mean).powi(2)).sum();
        let residual: f64 = predictions
            .iter()
            .zip(targets)
            .map(|(p, y)| (y[k].as_f64() - p[k].as_f64()).powi(2))
            .sum();
        total += match (spread == 0.0, residual == 0.0) {
            (_, true) => 1.0,
            (true, false) => 0.0,
            (false, false) => 1.0 - residual / spread,
        };
    }
    total / O as f64
}

/// `numerator / denominator`, `NaN` for `0 / 0`.
fn ratio(numerator: usize, denominator: usize) -> f64 {
    if denominator == 0 {
        f64::NAN
    } else {
        numerator as f64 / denominator as f64
    }
}

/// Counts of samples by actual class (rows) and predicted class (columns).
///
/// The matrix is square, of [`ConfusionMatrix::CLASSES`] rows: `O` for outputs of width
/// `O >= 2`, and 2 for `O == 1`, whose classes are 0 (negative) and 1 (positive), so that a
/// binary classifier with one sigmoid output gets the familiar 2x2 table. Samples whose
/// prediction or target stands for no class ([`class_of`] is `None`, from a `NaN`) are not
/// in the table but counted apart ([`ConfusionMatrix::unclassified`]), and count against the
/// accuracy.
///
/// `Display` prints the table, rows and columns labelled by class:
///
/// ```
/// use nn_runtime::metrics::ConfusionMatrix;
///
/// let mut matrix = ConfusionMatrix::<3>::new();
/// for (actual, predicted) in [(0, 0), (0, 0), (1, 1), (1, 2), (2, 2), (2, 2), (2, 0)] {
///     matrix.record(actual, predicted);
/// }
/// assert_eq!(
///     matrix.to_string(),
///     "        predicted\n\
///      actual  0  1  2\n     \
///           0  2  0  0\n     \
///           1  0  1  1\n     \
///           2  1  0  2"
/// );
/// assert_eq!(matrix.class_recall(2), 2.0 / 3.0);
/// assert_eq!(matrix.class_precision(0), 2.0 / 3.0);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfusionMatrix<const O: usize> {
    /// `counts[actual * CLASSES + predicted]`.
    counts: Vec<usize>,
    /// Samples whose prediction or target stands for no class.
    unclassified: usize,
}

impl<const O: usize> Default for ConfusionMatrix<O> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const O: usize> ConfusionMatrix<O> {
    /// The number of classes, the matrix's rows and columns: `O`, or 2 for `O == 1`.
    pub const CLASSES: usize = if O == 1 { 2 } else { O };

    /// A matrix of zeros.
    pub fn new() -> Self {
        ConfusionMatrix { counts: vec![0; Self::CLASSES * Self::CLASSES], unclassified: 0 }
    }

    /// The matrix of `predictions` against `targets`, each vector's class read by
    /// [`class_of`]. If the slices have unequal lengths, the samples of the longer one beyond
    /// the shorter lack a prediction or a target, and are counted as
    /// [`ConfusionMatrix::unclassified`], so that they lower the accuracy rather than vanish.
    pub fn from_predictions<T: Float>(
        predictions: &[SVector<T, O>],
        targets: &[SVector<T, O>],
    ) -> Self {
        let mut matrix = Self::new();
        matrix.unclassified = predictions.len().abs_diff(targets.len());
        for (p, y) in predictions.iter().zip(targets) {
            match (class_of(y), class_of(p)) {
                (Some(actual), Some(predicted)) => {
                    matrix.record(actual, predicted);
                }
                _ => matrix.unclassified += 1,
            }
        }
        matrix
    }

    /// Counts one sample of class `actual` predicted as `predicted`. Returns `false`, and
    /// counts nothing, if either is not below [`ConfusionMatrix::CLASSES`].
    pub fn record(&mut self, actual: usize, predicted: usize) -> bool {
        if actual >= Self::CLASSES || predicted >= Self::CLASSES {
            return false;
        }
        self.counts[actual * Self::CLASSES + predicted] += 1;
        true
    }

    /// The number of samples of class `actual` predicted as `predicted`; `0` for a class not
    /// below [`ConfusionMatrix::CLASSES`], of which there are no samples.
    pub fn count(&self, actual: usize, predicted: usize) -> usize {
        if actual >= Self::CLASSES || predicted >= Self::CLASSES {
            return 0;
        }
        self.counts[actual * Self::CLASSES + predicted]
    }

    /// The number of samples counted: those in the table and the unclassified ones.
    pub fn samples(&self) -> usize {
        self.counts.iter().sum::<usize>() + self.unclassified
    }

    /// The number of samples left out of the table because their prediction or their target
    /// stands for no class (a `NaN` output).
    pub fn unclassified(&self) -> usize {
        self.unclassified
    }

    /// The fraction of all samples predicted correctly, the diagonal over
    /// [`ConfusionMatrix::samples`]; `NaN` for no samples. Equals [`accuracy`] of the same
    /// predictions when there are as many predictions as targets.
    pub fn accuracy(&self) -> f64 {
        let correct = (0..Self::CLASSES).map(|c| self.count(c, c)).sum();
        ratio(correct, self.samples())
    }

    /// Of the samples predicted as `class`, the fraction that are of that class:
    /// `TP / (TP + FP)`, the diagonal entry over its column. `NaN` if no sample was predicted
    /// as `class`, or `class` is not below [`ConfusionMatrix::CLASSES`].
    pub fn class_precision(&self, class: usize) -> f64 {
        let predicted = (0..Self::CLASSES).map(|actual| self.count(actual, class)).sum();
        ratio(self.count(class, class), predicted)
    }

    /// Of the samples of `class`, the fraction predicted as that class: `TP / (TP + FN)`, the
    /// diagonal entry over its row. `NaN` if there is no sample of `class`.
    pub fn class_recall(&self, class: usize) -> f64 {
        let actual = (0..Self::CLASSES).map(|predicted| self.count(class, predicted)).sum();
        ratio(self.count(class, class), actual)
    }

    /// The F1 score of `class`, the harmonic mean of its precision and recall, computed as
    /// `2 TP / (2 TP + FP + FN)`: `0` when there are no true positives but some false ones,
    /// `NaN` only when `class` was neither predicted nor present.
    pub fn class_f1(&self, class: usize) -> f64 {
        let tp = self.count(class, class);
        let predicted: usize = (0..Self::CLASSES).map(|actual| self.count(actual, class)).sum();
        let actual: usize = (0..Self::CLASSES).map(|predicted| self.count(class, predicted)).sum();
        ratio(2 * tp, predicted + actual)
    }

    /// The precision of the positive class, 1, for binary classification (`O == 1`, or
    /// `O == 2` with class 1 the positive one): [`ConfusionMatrix::class_precision`]`(1)`.
    pub fn precision(&self) -> f64 {
        self.class_precision(1)
    }

    /// The recall of the positive class, 1: [`ConfusionMatrix::class_recall`]`(1)`.
    pub fn recall(&self) -> f64 {
        self.class_recall(1)
    }

    /// The F1 score of the positive class, 1: [`ConfusionMatrix::class_f1`]`(1)`.
    pub fn f1(&self) -> f64 {
        self.class_f1(1)
    }

    /// The mean of the classes' F1 scores (scikit-learn's `f1_score(average = "macro")`),
    /// over the classes that were predicted or present (the others' F1 is undefined); `NaN`
    /// if there are none.
    pub fn macro_f1(&self) -> f64 {
        let scores: Vec<f64> =
            (0..Self::CLASSES).map(|c| self.class_f1(c)).filter(|f| !f.is_nan()).collect();
        if scores.is_empty() {
            f64::NAN
        } else {
            scores.iter().sum::<f64>() / scores.len() as f64
        }
    }
}

impl<const O: usize> fmt::Display for ConfusionMatrix<O> {
    /// The table, right-aligned, actual classes down the side and predicted ones across, and
    /// below it the number of unclassified samples if there are any.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SIDE: &str = "actual";
        let n = Self::CLASSES;
        let widest_count = self.counts.iter().max().copied().unwrap_or(0);
        let width = widest_count.to_string().len().max(n.saturating_sub(1).to_string().len());
        write!(f, "{:indent$}predicted\n{SIDE}", "", indent = SIDE.len() + 2)?;
        for class in 0..n {
            write!(f, "  {class:>width$}")?;
        }
        for actual in 0..n {
            write!(f, "\n{actual:>side$}", side = SIDE.len())?;
            for predicted in 0..n {
                write!(f, "  {:>width$}", self.count(actual, predicted))?;
            }
        }
        match self.unclassified {
            0 => Ok(()),
            1 => write!(f, "\n1 sample without a class (NaN) is not in the table"),
            u => write!(f, "\n{u} samples without a class (NaN) are not in the table"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v1(x: f64) -> SVector<f64, 1> {
        SVector::<f64, 1>::new(x)
    }

    fn v3(x: [f64; 3]) -> SVector<f64, 3> {
        SVector::from(x)
    }

    #[test]
    fn classes_of_vectors() {
        assert_eq!(class_of(&v3([0.1, 0.5, 0.5])), Some(1)); // the first of equal largest
        assert_eq!(class_of(&v3([-1.0, -3.0, -2.0])), Some(0));
        assert_eq!(class_of(&v3([0.0, f64::INFINITY, 1.0])), Some(1));
        assert_eq!(class_of(&v3([0.0, 1.0, f64::NAN])), None);
        assert_eq!(class_of(&v1(0.0)), Some(0));
        assert_eq!(class_of(&v1(1.0)), Some(1));
        assert_eq!(class_of(&v1(0.5)), Some(0));
        assert_eq!(class_of(&v1(0.5000001)), Some(1));
        assert_eq!(class_of(&v1(f64::NAN)), None);
        assert_eq!(class_of(&SVector::<f32, 0>::zeros()), None);
    }

    #[test]
    fn accuracy_of_mismatched_and_nan_predictions() {
        let targets = [v3([1.0, 0.0, 0.0]), v3([0.0, 0.0, 1.0]), v3([0.0, 1.0, 0.0])];
        let predictions = [v3([0.5, 0.3, 0.2]), v3([0.1, 0.1, 0.8]), v3([0.9, 0.0, 0.1])];
        assert_eq!(accuracy(&predictions, &targets), 2.0 / 3.0);
        // Unequal lengths are undefined, not the accuracy of the shorter slice (1.0 here).
        assert!(accuracy(&predictions[..2], &targets).is_nan());
        assert!(accuracy(&predictions, &targets[..1]).is_nan());
        // The matrix counts the samples without a target as unclassified.
        let matrix = ConfusionMatrix::from_predictions(&predictions, &targets[..1]);
        assert_eq!((matrix.samples(), matrix.unclassified()), (3, 2));
        assert_eq!(matrix.accuracy(), 1.0 / 3.0);
        assert!(accuracy(&predictions[..0], &targets[..0]).is_nan());
        // A NaN output is wrong, even where the target is class 0.
        let nan = [v3([f64::NAN; 3]), v3([0.1, 0.1, 0.8])];
        assert_eq!(accuracy(&nan, &targets[..2]), 0.5);
        let matrix = ConfusionMatrix::from_predictions(&nan, &targets[..2]);
        assert_eq!((matrix.samples(), matrix.unclassified()), (2, 1));
        assert_eq!(matrix.accuracy(), 0.5);
        assert!(matrix
            .to_string()
            .ends_with("\n1 sample without a class (NaN) is not in the table"));
    }

    #[test]
    fn regression_metrics_match_hand_computed_values() {
        // Two outputs: the first predicted with errors 1, -1, 0; the second exactly.
        let y = [v2(1.0, 5.0), v2(2.0, 6.0), v2(3.0, 7.0)];
        let p = [v2(2.0, 5.0), v2(1.0, 6.0), v2(3.0, 7.0)];
        assert_eq!(mean_absolute_error(&p, &y), 2.0 / 6.0);
        assert_eq!(mean_squared_error(&p, &y), 2.0 / 6.0);
        // Output 0: residual 2 over spread 2, R² 0; output 1: exact, 1. Mean 0.5.
        assert_eq!(r2(&p, &y), 0.5);
        // Constant targets: exact is 1, anything else 0.
        let flat = [v2(1.0, 1.0); 3];
        assert_eq!(r2(&flat, &flat), 1.0);
        assert_eq!(r2(&p, &flat), 0.0);
        for metric in [mean_absolute_error::<f64, 2>, mean_squared_error, r2] {
            assert!(metric(&p[..2], &y).is_nan());
            assert!(metric(&[], &[]).is_nan());
        }
        let mut m = ConfusionMatrix::<3>::new();
        for (a, p) in [(0, 0), (0, 1), (1, 1), (1, 1)] {
            m.record(a, p);
        }
        // F1: class 0 2/3, class 1 4/5, class 2 undefined and left out.
        assert!((m.macro_f1() - (2.0 / 3.0 + 0.8) / 2.0).abs() < 1e-15);
        assert!(ConfusionMatrix::<3>::new().macro_f1().is_nan());
    }

    fn v2(a: f64, b: f64) -> SVector<f64, 2> {
        SVector::<f64, 2>::new(a, b)
    }

    #[test]
    fn matrix_edges() {
        assert_eq!(ConfusionMatrix::<1>::CLASSES, 2);
        assert_eq!(ConfusionMatrix::<2>::CLASSES, 2);
        assert_eq!(ConfusionMatrix::<10>::CLASSES, 10);
        assert_eq!(ConfusionMatrix::<0>::CLASSES, 0);
        let mut m = ConfusionMatrix::<1>::default();
        assert!(m.record(1, 0));
        assert!(!m.record(2, 0));
        assert!(!m.record(0, usize::MAX));
        assert_eq!((m.count(1, 0), m.count(2, 2), m.samples()), (1, 0, 1));
        assert!(m.precision().is_nan()); // nothing predicted positive
        assert_eq!(m.recall(), 0.0);
        assert_eq!(m.f1(), 0.0);
        assert!(m.class_recall(0).is_nan()); // no sample of class 0
        assert_eq!(m.class_f1(0), 0.0); // but one predicted as 0, wrongly
        assert!(m.class_f1(7).is_nan());
        assert!(m.class_precision(5).is_nan());
        let empty = ConfusionMatrix::<3>::new();
        assert!(empty.accuracy().is_nan() && empty.precision().is_nan());
        let none = ConfusionMatrix::<0>::new();
        assert!(none.accuracy().is_nan());
        assert_eq!(none.to_string(), "        predicted\nactual");
    }

    #[test]
    fn display_widens_for_large_counts_and_many_classes() {
        let mut m = ConfusionMatrix::<11>::new();
        for _ in 0..1234 {
            m.record(10, 3);
        }
        let text = m.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 13);
        assert_eq!(
            lines[1],
            format!("actual{}", (0..11).map(|c| format!("  {c:>4}")).collect::<String>())
        );
        assert!(lines[12].starts_with("    10     0     0     0  1234"));
        // Every row is as wide as the header.
        assert!(lines[1..].iter().all(|l| l.len() == lines[1].len()));
    }
}
