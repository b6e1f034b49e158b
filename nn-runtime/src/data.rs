//! Data sets of fixed-width samples: reading them from CSV files, splitting them into training,
//! validation and test parts, and standardising their inputs.
//!
//! A [`Dataset<T, I, O>`](Dataset) holds samples whose inputs are `SVector<T, I>` and whose
//! targets are `SVector<T, O>`, the types a network with `I` inputs and `O` outputs takes.
//! [`Csv`] reads one from a file whose rows are the samples; every mistake in the file is a
//! [`DataError`] naming the file, the line, the column, what was expected and what was found.
//!
//! ```
//! use nn_runtime::data::{Csv, Dataset};
//! use nn_runtime::nalgebra::SVector;
//!
//! // Two inputs, then a class index among three classes, one-hot encoded.
//! let text = "x,y,class\n0.5,1.0,2\n1.5,-1.0,0\n2.5,0.0,1\n3.5,2.0,2\n";
//! let data: Dataset<f32, 2, 3> = Csv::from_text(text).header(true).classes().unwrap();
//! assert_eq!(data.len(), 4);
//! assert_eq!(data.targets[0].as_slice(), &[0.0, 0.0, 1.0]);
//! assert_eq!(data.class_counts(), [1, 1, 2]);
//!
//! // Half for training, a quarter each to validate and test on; then standardise every part
//! // with the mean and standard deviation of the training part.
//! let mut split = data.split(0.25, 0.25, 7);
//! assert_eq!((split.train.len(), split.validation.len(), split.test.len()), (2, 1, 1));
//! let standardizer = split.standardize();
//! assert!(split.train.inputs.iter().all(|x| x.iter().all(|v| v.abs() == 1.0)));
//! // New samples go through the same transformation before the network sees them.
//! let x = standardizer.transform(&SVector::from([2.0, 0.5]));
//! # let _ = x;
//!
//! // A mistake is an error that says where it is.
//! let error = Csv::from_text("0.5,1.0,2\n1.5,abc,0\n").classes::<f32, 2, 3>().unwrap_err();
//! assert_eq!(error.to_string(), r#"<input>:2:2: expected a number, found "abc""#);
//! ```

use std::error::Error;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use nalgebra::{SMatrix, SVector};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::io::{parse_file, serialize_tensors, Dtype, OwnedTensor, WeightsError};
use crate::metrics::class_of;
use crate::optim::SettingError;
use crate::Float;

/// The name errors give to CSV text that did not come from a file ([`Csv::from_text`]).
pub const TEXT_NAME: &str = "<input>";

/// The ChaCha8 stream [`Dataset::split`] shuffles with (the bytes `nn-split`), apart from the
/// stream 0 that `Net::seeded(seed)` initialises networks from, so that a program may use one
/// seed for both without the shuffle repeating the initialisation's random numbers.
pub const SPLIT_STREAM: u64 = u64::from_be_bytes(*b"nn-split");

/// A data set of fixed-width samples: `inputs[i]` goes with `targets[i]`.
///
/// The fields are public so that a program can build, edit or take apart a data set. The
/// methods read the first `min(inputs.len(), targets.len())` samples, so a data set whose
/// vectors were made of unequal lengths by hand is cut to the shorter one and never panics;
/// [`Dataset::new`] rejects unequal lengths.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset<T, const I: usize, const O: usize> {
    /// The inputs of the samples, in order.
    pub inputs: Vec<SVector<T, I>>,
    /// The targets of the samples, one for each input.
    pub targets: Vec<SVector<T, O>>,
}

/// A data set cut in three by [`Dataset::split`] or [`Dataset::split_stratified`].
#[derive(Clone, Debug, PartialEq)]
pub struct Split<T, const I: usize, const O: usize> {
    /// The samples to fit the parameters on.
    pub train: Dataset<T, I, O>,
    /// The samples to choose hyperparameters on (learning rate, epochs, architecture).
    pub validation: Dataset<T, I, O>,
    /// The samples held out to measure the final model on, once.
    pub test: Dataset<T, I, O>,
}

/// Standardisation of inputs: each column `j` becomes `(x_j - mean_j) / std_j`.
///
/// [`Standardizer::fit`] takes the mean and the standard deviation of each input column of the
/// training data only; [`Standardizer::transform`] and [`Standardizer::apply`] then use those
/// same numbers for every sample, so that nothing of the validation or test data leaks into
/// training. This is scikit-learn's `StandardScaler`: the population standard deviation
/// (dividing by `n`, not `n - 1`), and a standard deviation of `1` in place of `0` for a
/// column that is constant in the training data, so that it maps to `0` rather than `NaN`.
#[derive(Clone, Debug, PartialEq)]
pub struct Standardizer<T, const I: usize> {
    /// The mean of each input column of the data it was fitted on.
    pub mean: SVector<T, I>,
    /// The population standard deviation of each input column, or `1` for a column whose
    /// standard deviation is `0` (or rounds to `0` in `T`).
    pub std: SVector<T, I>,
}

/// What went wrong reading or building a data set.
///
/// The `Display` form is a complete message in the style of a compiler's: for a bad row,
/// `file:line:column: expected ..., found ...`, with 1-based line and column numbers.
#[derive(Debug)]
pub enum DataError {
    /// A file could not be opened or read.
    ///
    /// `cannot read data/iris.csv: No such file or directory (os error 2)`
    Io {
        /// The file, as given to [`Csv::new`] ([`TEXT_NAME`] for text).
        path: PathBuf,
        /// What the operating system reported.
        error: io::Error,
    },
    /// A row of a CSV file is not a sample of the expected form.
    ///
    /// `data/iris.csv:12:3: expected a number, found "abc"`, or without a column for a row
    /// with the wrong number of fields:
    /// `data/iris.csv:12: expected 5 fields (4 inputs and 1 class), found 4`.
    Row {
        /// The file, as given to [`Csv::new`], or [`TEXT_NAME`] for text.
        file: String,
        /// The line the row starts on, counting from 1 (blank and header lines count).
        line: u64,
        /// The field, counting from 1, or `None` when the row has the wrong number of fields.
        column: Option<usize>,
        /// What the field (or the row) should have been: `a number`, `a finite number`,
        /// `a class index from 0 to 2`, `5 fields (4 inputs and 1 class)`, ...
        expected: String,
        /// What it was, as printed: the field's text in quotes (`"abc"`, at most 40
        /// characters before `...`), `an empty field`, or the number of fields.
        found: String,
        /// A hint after the message: given when the first line fails and could be a header,
        /// or to say that a quote is never closed.
        help: Option<String>,
    },
    /// The file holds no samples (it is empty, blank, or a header alone).
    ///
    /// `data/empty.csv: expected at least one sample, found none`
    Empty {
        /// The file, as given to [`Csv::new`], or [`TEXT_NAME`] for text.
        file: String,
    },
    /// [`Dataset::new`] was given a different number of inputs and targets.
    ///
    /// `expected one target for each input, found 3 inputs and 2 targets`
    Lengths {
        /// How many inputs there were.
        inputs: usize,
        /// How many targets there were.
        targets: usize,
    },
    /// [`Csv::classes`] was asked for targets of width `O = 0`, which can hold no class.
    NoClasses,
    /// Several rows are bad: each one's error, in order, up to [`Csv::max_errors`].
    Rows {
        /// The errors, one per bad row.
        errors: Vec<DataError>,
        /// Whether reading stopped at the limit, with rows left unread.
        stopped: bool,
    },
    /// A file of text labels holds more distinct labels than the targets have classes.
    ///
    /// `<input>: found 4 labels ("a", "b", "c", "d"), but targets of width 3 hold 3 classes`
    Labels {
        /// The file, as given to [`Csv::new`], or [`TEXT_NAME`] for text.
        file: String,
        /// The labels found, sorted.
        found: Vec<String>,
        /// The classes the targets hold.
        classes: usize,
    },
    /// A file is larger than [`Csv::max_bytes`] allows (it may not be a CSV file at all, as
    /// `/dev/zero` is not).
    ///
    /// `big.csv: the file is larger than the limit of 1073741824 bytes; raise it with
    /// `.max_bytes(n)` if the file is right`
    TooLarge {
        /// The file, as given to [`Csv::new`].
        file: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// A line of a file is longer than [`Csv::max_line_bytes`] allows.
    ///
    /// `/dev/zero:1: the line is longer than the limit of 1048576 bytes; is this a CSV file?
    /// (raise the limit with `.max_line_bytes(n)` if it is)`
    LineTooLong {
        /// The file, as given to [`Csv::new`].
        file: String,
        /// The line, counting from 1.
        line: u64,
        /// The limit, in bytes.
        limit: u64,
    },
    /// A value built into a data set by hand ([`Dataset::new`], [`Standardizer::try_fit`]) is
    /// NaN or infinite: `field[row][column]` is `value`.
    ///
    /// `` `inputs[3][1]` is NaN; expected a finite number (remove or fill the sample) ``
    NotFinite {
        /// `"inputs"` or `"targets"`.
        field: &'static str,
        /// The sample, counting from 0.
        row: usize,
        /// The entry of its vector, counting from 0.
        column: usize,
        /// The value found.
        value: f64,
    },
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::Io { path, error } => write!(f, "cannot read {}: {error}", path.display()),
            DataError::Row { file, line, column, expected, found, help } => {
                write!(f, "{file}:{line}")?;
                if let Some(column) = column {
                    write!(f, ":{column}")?;
                }
                write!(f, ": expected {expected}, found {found}")?;
                if let Some(help) = help {
                    write!(f, "; {help}")?;
                }
                Ok(())
            }
            DataError::Empty { file } => {
                write!(f, "{file}: expected at least one sample, found none")
            }
            DataError::Lengths { inputs, targets } => write!(
                f,
                "expected one target for each input, found {} and {}",
                count(*inputs, "input"),
                count(*targets, "target")
            ),
            DataError::Rows { errors, stopped } => {
                for (i, error) in errors.iter().enumerate() {
                    if i > 0 {
                        f.write_str("\n")?;
                    }
                    write!(f, "{error}")?;
                }
                if *stopped {
                    write!(
                        f,
                        "\nstopped after {} bad rows; raise the limit with `.max_errors(n)`",
                        errors.len()
                    )?;
                }
                Ok(())
            }
            DataError::Labels { file, found, classes } => {
                write!(f, "{file}: found {} (", count(found.len(), "label"))?;
                for (i, label) in found.iter().take(5).enumerate() {
                    write!(f, "{}{label:?}", if i == 0 { "" } else { ", " })?;
                }
                if found.len() > 5 {
                    f.write_str(", ...")?;
                }
                let s = if *classes == 1 { "" } else { "es" };
                write!(f, "), but the targets hold {classes} class{s}")
            }
            DataError::TooLarge { file, limit } => write!(
                f,
                "{file}: the file is larger than the limit of {limit} bytes; \
                 raise it with `.max_bytes(n)` if the file is right"
            ),
            DataError::LineTooLong { file, line, limit } => write!(
                f,
                "{file}:{line}: the line is longer than the limit of {limit} bytes; \
                 is this a CSV file? (raise the limit with `.max_line_bytes(n)` if it is)"
            ),
            DataError::NotFinite { field, row, column, value } => write!(
                f,
                "`{field}[{row}][{column}]` is {value}; expected a finite number \
                 (remove or fill the sample)"
            ),
            DataError::NoClasses => f.write_str(
                "cannot one-hot encode classes into targets of width 0; \
                 use a width of 1 for a 0/1 class, or one per class",
            ),
        }
    }
}

impl DataError {
    /// The line of the first bad row this error is about, if it is about rows.
    fn first_line(&self) -> Option<u64> {
        match self {
            DataError::Row { line, .. } => Some(*line),
            DataError::Rows { errors, .. } => errors.first().and_then(DataError::first_line),
            _ => None,
        }
    }
}

impl Error for DataError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            DataError::Io { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// `n` followed by `noun`, with an `s` unless `n` is 1: `1 input`, `4 inputs`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

impl<T: Float, const I: usize, const O: usize> Dataset<T, I, O> {
    /// A data set of the samples `(inputs[i], targets[i])`; an error unless there are as many
    /// targets as inputs, all of them finite ([`DataError::NotFinite`] names the first value
    /// that is not, by sample and column: one NaN would otherwise make every loss NaN, and
    /// one infinity a whole standardised column).
    ///
    /// ```
    /// use nn_runtime::data::Dataset;
    /// use nn_runtime::nalgebra::SVector;
    ///
    /// let xs = vec![SVector::<f64, 2>::new(0.0, 1.0); 3];
    /// let ys = vec![SVector::<f64, 1>::new(1.0); 2];
    /// let error = Dataset::new(xs, ys).unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "expected one target for each input, found 3 inputs and 2 targets"
    /// );
    /// let xs = vec![SVector::<f64, 2>::new(0.0, 1.0), SVector::<f64, 2>::new(f64::NAN, 1.0)];
    /// let error = Dataset::new(xs, vec![SVector::<f64, 1>::new(1.0); 2]).unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "`inputs[1][0]` is NaN; expected a finite number (remove or fill the sample)"
    /// );
    /// ```
    pub fn new(inputs: Vec<SVector<T, I>>, targets: Vec<SVector<T, O>>) -> Result<Self, DataError> {
        if inputs.len() != targets.len() {
            return Err(DataError::Lengths { inputs: inputs.len(), targets: targets.len() });
        }
        check_finite("inputs", &inputs)?;
        check_finite("targets", &targets)?;
        Ok(Dataset { inputs, targets })
    }

    /// The number of samples, `min(inputs.len(), targets.len())`.
    pub fn len(&self) -> usize {
        self.inputs.len().min(self.targets.len())
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sample `index`: its input and its target, or `None` past the end.
    pub fn get(&self, index: usize) -> Option<(&SVector<T, I>, &SVector<T, O>)> {
        Some((self.inputs.get(index)?, self.targets.get(index)?))
    }

    /// The samples at `indices`, in that order (an index may repeat), or `None` if an index is
    /// out of range.
    pub fn subset(&self, indices: &[usize]) -> Option<Self> {
        let n = indices.len();
        let mut subset = Dataset { inputs: Vec::with_capacity(n), targets: Vec::with_capacity(n) };
        for &i in indices {
            let (x, y) = self.get(i)?;
            subset.inputs.push(*x);
            subset.targets.push(*y);
        }
        Some(subset)
    }

    /// The samples at `indices` as the columns of a batch, inputs `I x B` and targets `O x B`,
    /// column `j` holding sample `indices[j]`: what a network's `*_batch` calls take.
    ///
    /// `None` unless `indices` holds exactly `B` indices, all in range. A training loop walks
    /// a shuffled order in chunks of `B` (`order.chunks_exact(B)`); what is left over after the
    /// last full batch is for the caller to drop or carry into the next epoch.
    ///
    /// ```
    /// use nn_runtime::data::Csv;
    ///
    /// let data = Csv::from_text("1,2,0\n3,4,1\n5,6,1\n").classes::<f32, 2, 2>().unwrap();
    /// let (xs, ys) = data.batch::<2>(&[2, 0]).unwrap();
    /// assert_eq!(xs.column(0).as_slice(), &[5.0, 6.0]);
    /// assert_eq!(ys.column(1).as_slice(), &[1.0, 0.0]);
    /// assert!(data.batch::<2>(&[0]).is_none()); // one index for a batch of two
    /// assert!(data.batch::<1>(&[3]).is_none()); // past the end
    /// ```
    #[allow(clippy::type_complexity)]
    pub fn batch<const B: usize>(
        &self,
        indices: &[usize],
    ) -> Option<(SMatrix<T, I, B>, SMatrix<T, O, B>)> {
        if indices.len() != B {
            return None;
        }
        let mut xs = SMatrix::<T, I, B>::zeros();
        let mut ys = SMatrix::<T, O, B>::zeros();
        for (j, &i) in indices.iter().enumerate() {
            let (x, y) = self.get(i)?;
            xs.set_column(j, x);
            ys.set_column(j, y);
        }
        Some((xs, ys))
    }

    /// How many samples each class has, by the class each target stands for (see
    /// [`class_of`]): one entry per class, `O` of them for one-hot targets (`O >= 2`) and two
    /// (0 and 1) for a 0/1 target (`O == 1`). Targets that stand for no class (a `NaN`) are
    /// not counted.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; class_slots(O)];
        for y in &self.targets[..self.len()] {
            if let Some(c) = class_of(y) {
                counts[c] += 1;
            }
        }
        counts
    }

    /// Cuts the samples, shuffled, into training, validation and test parts; `validation` and
    /// `test` are fractions of the whole data set.
    ///
    /// With `n` samples, the test part has `round(test * n)` of them and the validation part
    /// `round(validation * n)` (rounding halves away from zero); the training part has the
    /// rest. A fraction outside `[0, 1]` is clamped into it (`NaN` counts as `0`), and if the
    /// two parts would need more than `n` samples the test part is served first.
    ///
    /// The shuffle is a Fisher-Yates shuffle drawing from the ChaCha8 stream [`SPLIT_STREAM`]
    /// of `ChaCha8Rng::seed_from_u64(seed)`, through its raw 64-bit outputs and Lemire's
    /// unbiased bounded integers, so the same seed splits the same data identically on every
    /// platform. The test part is the first `round(test * n)` samples of the shuffled order,
    /// the validation part the next, so changing `validation` never moves a sample into or out
    /// of the test part. Each part keeps the shuffled order.
    ///
    /// This split ignores the classes: see [`Dataset::split_stratified`] to keep each class's
    /// share the same in the three parts.
    ///
    /// ```
    /// use nn_runtime::data::Dataset;
    /// use nn_runtime::nalgebra::SVector;
    ///
    /// let xs: Vec<_> = (0..10).map(|i| SVector::<f64, 1>::new(i as f64)).collect();
    /// let data = Dataset::new(xs.clone(), xs).unwrap();
    /// let split = data.split(0.2, 0.25, 1); // 2.5 test samples round to 3
    /// assert_eq!((split.train.len(), split.validation.len(), split.test.len()), (5, 2, 3));
    /// assert_eq!(split, data.split(0.2, 0.25, 1));
    /// ```
    pub fn split(&self, validation: f64, test: f64, seed: u64) -> Split<T, I, O> {
        let n = self.len();
        let (n_validation, n_test) = part_sizes(n, validation, test);
        let order = shuffled(n, seed);
        let (test_part, rest) = order.split_at(n_test);
        let (validation_part, train_part) = rest.split_at(n_validation);
        Split {
            train: self.take(train_part),
            validation: self.take(validation_part),
            test: self.take(test_part),
        }
    }

    /// [`Dataset::split`], or an error if a fraction is not a number from 0 to 1, or the two
    /// add up to more than 1 (which `split` would quietly clamp).
    ///
    /// ```
    /// use nn_runtime::data::Csv;
    ///
    /// let data = Csv::from_text("0,0\n1,1\n2,0\n3,1\n").classes::<f64, 1, 2>().unwrap();
    /// assert!(data.try_split(0.25, 0.25, 1).is_ok());
    /// let error = data.try_split(0.6, 0.6, 1).unwrap_err();
    /// assert_eq!(error.to_string(), "`validation + test` is 1.2, but it must be at most 1");
    /// assert_eq!(data.try_split(f64::NAN, 0.2, 1).unwrap_err().setting, "validation");
    /// ```
    pub fn try_split(
        &self,
        validation: f64,
        test: f64,
        seed: u64,
    ) -> Result<Split<T, I, O>, SettingError> {
        check_fractions(validation, test)?;
        Ok(self.split(validation, test, seed))
    }

    /// [`Dataset::split_stratified`], or an error for fractions as [`Dataset::try_split`] says.
    pub fn try_split_stratified(
        &self,
        validation: f64,
        test: f64,
        seed: u64,
    ) -> Result<Split<T, I, O>, SettingError> {
        check_fractions(validation, test)?;
        Ok(self.split_stratified(validation, test, seed))
    }

    /// Like [`Dataset::split`], but class by class, so that every class has (up to rounding)
    /// the same share of each part as of the whole data set.
    ///
    /// The classes are those of the targets (see [`class_of`]: the index of the largest entry
    /// of a one-hot target, or 0/1 for a target of width 1); targets that stand for no class
    /// form a group of their own. A group of `n_c` samples gives `round(test * n_c)` to the
    /// test part and `round(validation * n_c)` to the validation part, so the parts' sizes can
    /// differ by a sample or so per class from those of [`Dataset::split`]. The samples are
    /// taken from one shuffled order of the whole data set (the one [`Dataset::split`] uses),
    /// so each part is in shuffled order, not grouped by class.
    ///
    /// ```
    /// use nn_runtime::data::Csv;
    ///
    /// let text = "0,0\n1,0\n2,0\n3,0\n4,1\n5,1\n6,1\n7,1\n8,1\n9,1\n10,1\n11,1\n";
    /// let data = Csv::from_text(text).classes::<f64, 1, 2>().unwrap();
    /// let split = data.split_stratified(0.25, 0.25, 3);
    /// assert_eq!(split.test.class_counts(), [1, 2]);
    /// assert_eq!(split.validation.class_counts(), [1, 2]);
    /// assert_eq!(split.train.class_counts(), [2, 4]);
    /// ```
    pub fn split_stratified(&self, validation: f64, test: f64, seed: u64) -> Split<T, I, O> {
        let n = self.len();
        // One group per class, and a last one for targets without a class.
        let slots = class_slots(O);
        let group = |i: usize| class_of(&self.targets[i]).unwrap_or(slots);
        let mut sizes = vec![0; slots + 1];
        for i in 0..n {
            sizes[group(i)] += 1;
        }
        let quotas: Vec<(usize, usize)> =
            sizes.iter().map(|&size| part_sizes(size, validation, test)).collect();
        let mut seen = vec![0; slots + 1];
        let (mut train_part, mut validation_part, mut test_part) = (vec![], vec![], vec![]);
        for i in shuffled(n, seed) {
            let g = group(i);
            let (n_validation, n_test) = quotas[g];
            if seen[g] < n_test {
                test_part.push(i);
            } else if seen[g] < n_test + n_validation {
                validation_part.push(i);
            } else {
                train_part.push(i);
            }
            seen[g] += 1;
        }
        Split {
            train: self.take(&train_part),
            validation: self.take(&validation_part),
            test: self.take(&test_part),
        }
    }

    /// The samples at `indices`, all known to be in range.
    fn take(&self, indices: &[usize]) -> Self {
        Dataset {
            inputs: indices.iter().map(|&i| self.inputs[i]).collect(),
            targets: indices.iter().map(|&i| self.targets[i]).collect(),
        }
    }
}

/// The first value of `vectors` that is NaN or infinite, as an error naming it.
fn check_finite<T: Float, const N: usize>(
    field: &'static str,
    vectors: &[SVector<T, N>],
) -> Result<(), DataError> {
    for (row, v) in vectors.iter().enumerate() {
        if let Some(column) = v.iter().position(|x| !x.is_finite()) {
            return Err(DataError::NotFinite { field, row, column, value: v[column].as_f64() });
        }
    }
    Ok(())
}

/// The number of classes targets of width `o` stand for: `o`, or 2 for a 0/1 target.
fn class_slots(o: usize) -> usize {
    if o == 1 {
        2
    } else {
        o
    }
}

/// Checks the fractions of [`Dataset::try_split`]: each from 0 to 1, their sum at most 1.
fn check_fractions(validation: f64, test: f64) -> Result<(), SettingError> {
    const FRACTION: &str = "a fraction from 0 to 1";
    for (setting, value) in [("validation", validation), ("test", test)] {
        if !(0.0..=1.0).contains(&value) {
            return Err(SettingError { setting, value, expected: FRACTION });
        }
    }
    if validation + test > 1.0 {
        let value = validation + test;
        return Err(SettingError { setting: "validation + test", value, expected: "at most 1" });
    }
    Ok(())
}

/// `round(fraction * n)`, with `fraction` clamped into `[0, 1]` and `NaN` read as `0`.
fn share(n: usize, fraction: f64) -> usize {
    let fraction = if fraction.is_nan() { 0.0 } else { fraction.clamp(0.0, 1.0) };
    // At most n, so the cast back is exact for any data set that fits in memory.
    ((n as f64 * fraction).round() as usize).min(n)
}

/// The sizes `(validation, test)` of the parts of `n` samples, the test part served first.
fn part_sizes(n: usize, validation: f64, test: f64) -> (usize, usize) {
    let n_test = share(n, test);
    (share(n, validation).min(n - n_test), n_test)
}

/// `0..n` in the order of a Fisher-Yates shuffle driven by ChaCha8 stream [`SPLIT_STREAM`].
fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(SPLIT_STREAM);
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        // i + 1 <= n fits in u64, and the result is at most i.
        let j = below(&mut rng, i as u64 + 1) as usize;
        order.swap(i, j);
    }
    order
}

/// A uniform integer in `0..bound` (`bound >= 1`), by Lemire's multiply-and-reject method
/// ("Fast random integer generation in an interval", 2019): unbiased, and a function of the
/// generator's 64-bit outputs alone.
fn below(rng: &mut impl RngCore, bound: u64) -> u64 {
    let mut product = u128::from(rng.next_u64()) * u128::from(bound);
    if (product as u64) < bound {
        let threshold = bound.wrapping_neg() % bound;
        while (product as u64) < threshold {
            product = u128::from(rng.next_u64()) * u128::from(bound);
        }
    }
    (product >> 64) as u64
}

impl<T: Float, const I: usize, const O: usize> Split<T, I, O> {
    /// Fits a [`Standardizer`] on the training part only, applies it to all three parts, and
    /// returns it (to apply to new samples later).
    pub fn standardize(&mut self) -> Standardizer<T, I> {
        let standardizer = Standardizer::fit(&self.train);
        standardizer.apply(&mut self.train);
        standardizer.apply(&mut self.validation);
        standardizer.apply(&mut self.test);
        standardizer
    }

    /// [`Split::standardize`], or an error naming the first training input that is NaN or
    /// infinite (see [`Standardizer::try_fit`]); on error nothing is changed.
    pub fn try_standardize(&mut self) -> Result<Standardizer<T, I>, DataError> {
        let standardizer = Standardizer::try_fit(&self.train)?;
        standardizer.apply(&mut self.train);
        standardizer.apply(&mut self.validation);
        standardizer.apply(&mut self.test);
        Ok(standardizer)
    }
}

impl<T: Float, const I: usize> Standardizer<T, I> {
    /// The mean and population standard deviation of each input column of `data`, which should
    /// be the training part alone.
    ///
    /// Computed in `f64` in two passes (the mean, then the mean squared deviation from it).
    /// A column whose standard deviation is `0`, or rounds to `0` in `T`, gets a standard
    /// deviation of `1`. An empty data set gives the identity: mean `0`, standard deviation `1`.
    /// A NaN or infinite input makes its column's statistics NaN; [`Standardizer::try_fit`]
    /// rejects it instead, naming it (data sets made by [`Dataset::new`] or [`Csv`] hold none).
    ///
    /// ```
    /// use nn_runtime::data::{Dataset, Standardizer};
    /// use nn_runtime::nalgebra::SVector;
    ///
    /// let xs = vec![SVector::<f64, 2>::new(1.0, 5.0), SVector::<f64, 2>::new(3.0, 5.0)];
    /// let data = Dataset::new(xs, vec![SVector::<f64, 1>::zeros(); 2]).unwrap();
    /// let s = Standardizer::fit(&data);
    /// assert_eq!((s.mean.as_slice(), s.std.as_slice()), (&[2.0, 5.0][..], &[1.0, 1.0][..]));
    /// // The constant second column maps to 0, not NaN.
    /// assert_eq!(s.transform(&SVector::<f64, 2>::new(4.0, 5.0)).as_slice(), &[2.0, 0.0]);
    /// ```
    pub fn fit<const O: usize>(data: &Dataset<T, I, O>) -> Self {
        Self::fit_inputs(&data.inputs[..data.len()])
    }

    /// [`Standardizer::fit`], or an error naming the first input that is NaN or infinite, by
    /// sample and column. (`fit` gives such a column a NaN mean, which then makes the column
    /// NaN in every sample it transforms.)
    ///
    /// ```
    /// use nn_runtime::data::Standardizer;
    /// use nn_runtime::nalgebra::SVector;
    ///
    /// let xs = [SVector::<f32, 2>::new(1.0, 2.0), SVector::<f32, 2>::new(3.0, f32::INFINITY)];
    /// let error = Standardizer::try_fit_inputs(&xs).unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "`inputs[1][1]` is inf; expected a finite number (remove or fill the sample)"
    /// );
    /// ```
    pub fn try_fit<const O: usize>(data: &Dataset<T, I, O>) -> Result<Self, DataError> {
        Self::try_fit_inputs(&data.inputs[..data.len()])
    }

    /// [`Standardizer::try_fit`] on the inputs alone.
    pub fn try_fit_inputs(inputs: &[SVector<T, I>]) -> Result<Self, DataError> {
        check_finite("inputs", inputs)?;
        Ok(Self::fit_inputs(inputs))
    }

    /// [`Standardizer::fit`] on the inputs alone.
    pub fn fit_inputs(inputs: &[SVector<T, I>]) -> Self {
        let n = inputs.len() as f64;
        if inputs.is_empty() {
            return Standardizer { mean: SVector::zeros(), std: SVector::repeat(T::one()) };
        }
        let mut mean = [0.0_f64; I];
        for x in inputs {
            for (m, v) in mean.iter_mut().zip(x.iter()) {
                *m += v.as_f64();
            }
        }
        mean.iter_mut().for_each(|m| *m /= n);
        let mut variance = [0.0_f64; I];
        for x in inputs {
            for ((s, m), v) in variance.iter_mut().zip(&mean).zip(x.iter()) {
                let d = v.as_f64() - m;
                *s += d * d;
            }
        }
        Standardizer {
            mean: SVector::from_fn(|j, _| T::lit(mean[j])),
            std: SVector::from_fn(|j, _| {
                let std = T::lit((variance[j] / n).sqrt());
                if std == T::zero() {
                    T::one()
                } else {
                    std
                }
            }),
        }
    }

    /// The standardised input, `(x_j - mean_j) / std_j` in each column.
    pub fn transform(&self, x: &SVector<T, I>) -> SVector<T, I> {
        x.zip_zip_map(&self.mean, &self.std, |x, mean, std| (x - mean) / std)
    }

    /// Standardises every input of `data` in place; the targets are left as they are.
    pub fn apply<const O: usize>(&self, data: &mut Dataset<T, I, O>) {
        for x in &mut data.inputs {
            *x = self.transform(x);
        }
    }
}

/// The tag in a saved [`Standardizer`]'s metadata under `format`.
const STANDARDIZER_FORMAT: &str = "nn standardizer 1";

impl<T: Float, const I: usize> Standardizer<T, I> {
    /// The standardizer as the bytes of a safetensors file: tensors `mean` and `std` of shape
    /// `[I]` in the scalar type (`F32` or `F64`), and `format` = `nn standardizer 1` in the
    /// header's metadata. What [`Standardizer::save`] writes.
    pub fn to_safetensors_bytes(&self) -> Result<Vec<u8>, WeightsError> {
        let dtype = if T::NAME == "f32" { Dtype::F32 } else { Dtype::F64 };
        let tensor = |name: &str, v: &SVector<T, I>| OwnedTensor {
            name: name.to_string(),
            dtype,
            shape: vec![I],
            bytes: v.iter().flat_map(|x| le_bytes(*x)).collect(),
        };
        let tensors = [tensor("mean", &self.mean), tensor("std", &self.std)];
        let meta = [("format".to_string(), STANDARDIZER_FORMAT.to_string())].into();
        serialize_tensors(&tensors, meta)
    }

    /// Writes the standardizer to the file at `path`, atomically, so that new samples can be
    /// standardised as the training data was after the program ends. See
    /// [`Standardizer::to_safetensors_bytes`] for the layout.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), WeightsError> {
        let path = path.as_ref();
        crate::io::write_atomic(path, &self.to_safetensors_bytes()?)
            .map_err(|source| WeightsError::Write { path: path.to_path_buf(), source })
    }

    /// Reads a standardizer that [`Standardizer::save`] wrote, checking its width, its scalar
    /// type, and that every mean is finite and every standard deviation finite and above 0.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, WeightsError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path)
            .map_err(|source| WeightsError::Read { path: path.to_path_buf(), source })?;
        Self::from_safetensors_bytes(&bytes)
    }

    /// [`Standardizer::load`] from the bytes of the file.
    pub fn from_safetensors_bytes(bytes: &[u8]) -> Result<Self, WeightsError> {
        let bad = |reason: String| WeightsError::Format { reason };
        let (file, meta) = parse_file(bytes)?;
        if meta.get("format").map(String::as_str) != Some(STANDARDIZER_FORMAT) {
            return Err(bad(format!(
                "it is not a standardizer: its metadata's `format` is not {STANDARDIZER_FORMAT:?}"
            )));
        }
        let read = |name: &str| -> Result<SVector<T, I>, WeightsError> {
            let t = file.tensor(name).map_err(|_| bad(format!("it has no tensor \"{name}\"")))?;
            if t.shape() != [I] {
                let shape = t.shape();
                return Err(bad(format!(
                    "tensor \"{name}\" has shape {shape:?}; the standardizer expects [{I}]"
                )));
            }
            let size = std::mem::size_of::<T>();
            let dtype = if size == 4 { Dtype::F32 } else { Dtype::F64 };
            if t.dtype() != dtype {
                let (found, expected) = (t.dtype(), T::NAME);
                return Err(bad(format!(
                    "tensor \"{name}\" is {found}; the standardizer is {expected}"
                )));
            }
            let mut v = SVector::<T, I>::zeros();
            for (x, b) in v.iter_mut().zip(t.data().chunks_exact(size)) {
                *x = if size == 4 {
                    T::lit(f64::from(f32::from_le_bytes(b.try_into().unwrap_or_default())))
                } else {
                    T::lit(f64::from_le_bytes(b.try_into().unwrap_or_default()))
                };
            }
            Ok(v)
        };
        let (mean, std) = (read("mean")?, read("std")?);
        if let Some(j) = mean.iter().position(|m| !m.is_finite()) {
            return Err(bad(format!("its mean of column {j} is {}", mean[j])));
        }
        if let Some(j) = std.iter().position(|s| !(s.is_finite() && *s > T::zero())) {
            return Err(bad(format!(
                "its standard deviation of column {j} is {}, not above 0",
                std[j]
            )));
        }
        Ok(Standardizer { mean, std })
    }
}

/// The little-endian bytes of a scalar.
fn le_bytes<T: Float>(x: T) -> Vec<u8> {
    if T::NAME == "f32" {
        (x.as_f64() as f32).to_le_bytes().to_vec()
    } else {
        x.as_f64().to_le_bytes().to_vec()
    }
}

/// A reader of CSV files whose rows are samples: inputs first, then the target.
///
/// Set up with [`Csv::new`] (a file) or [`Csv::from_text`], then [`Csv::header`] and
/// [`Csv::delimiter`]; read with [`Csv::classes`] or [`Csv::values`], which check every row
/// and convert it to the scalar type `T`.
///
/// Blank lines are skipped, fields are trimmed of surrounding spaces and tabs, line ends may
/// be `\n` or `\r\n`, fields may be quoted, and a UTF-8 byte order mark at the start is
/// ignored. Numbers are read as Rust reads `f32` or `f64` (`1`, `-0.5`, `1e-3`, `.5`); `NaN`
/// and infinities, and numbers beyond the range of `T`, are errors. A quote that is never
/// closed is an error at the field it opens. A file is read up to a size limit
/// ([`Csv::max_bytes`], 1 GiB) and a line-length limit ([`Csv::max_line_bytes`], 1 MiB), so
/// that a file that is not CSV at all fails early rather than filling the memory.
///
/// ```
/// use nn_runtime::data::Csv;
///
/// // The first line of the sklearn-style files in `data/` counts the samples and names the
/// // classes; it is a header to skip.
/// let text = "3,2,no,yes\n0.5,1.5,0\n1.5,0.5,1\n2.0,2.0,1\n";
/// let data = Csv::from_text(text).header(true).classes::<f64, 2, 2>().unwrap();
/// assert_eq!(data.class_counts(), [1, 2]);
/// let error = Csv::from_text(text).classes::<f64, 2, 2>().unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "<input>:1: expected 3 fields (2 inputs and 1 class), found 4; \
///      if the first line is a header, skip it with `.header(true)`"
/// );
/// ```
#[derive(Clone, Debug)]
pub struct Csv {
    source: Source,
    header: bool,
    delimiter: u8,
    max_bytes: u64,
    max_line_bytes: u64,
    missing: Missing,
    max_errors: usize,
}

/// How many bad rows [`Csv`] reports before it stops reading, unless told otherwise
/// ([`Csv::max_errors`]).
pub const DEFAULT_MAX_ERRORS: usize = 20;

/// The largest file [`Csv`] reads unless told otherwise ([`Csv::max_bytes`]): 1 GiB.
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;

/// The longest line [`Csv`] reads unless told otherwise ([`Csv::max_line_bytes`]): 1 MiB, a
/// row of some 50,000 numbers.
pub const DEFAULT_MAX_LINE_BYTES: u64 = 1 << 20;

/// Where [`Csv`] reads from.
#[derive(Clone, Debug)]
enum Source {
    File(PathBuf),
    Text(String),
}

/// What the columns after the inputs hold.
#[derive(Clone, Copy)]
enum Target<'a> {
    /// One column, a class index to one-hot encode.
    Class,
    /// `O` columns of target values.
    Values,
    /// One column, a class label (any text) to one-hot encode: by the given labels, or by
    /// the sorted labels found.
    Label(Option<&'a Labels>),
}

/// What [`Csv`] does with a missing input value: an empty field, or one of `NA`, `N/A`,
/// `NaN`, `nan` and `?`. A missing target is an error unless the row is dropped.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Missing {
    /// An error naming the row and the column (the default).
    #[default]
    Error,
    /// Leave the row out.
    Drop,
    /// The mean of the column's values in the rows read (0 if it has none).
    Mean,
    /// This value, which must be finite.
    Value(f64),
}

/// Whether a field is a missing value, as [`Missing`] says.
fn is_missing(field: &[u8]) -> bool {
    matches!(field, b"" | b"NA" | b"N/A" | b"NaN" | b"nan" | b"?")
}

/// The names of the classes, class `i` called `names[i]`: what [`Csv::labels`] found in a
/// file of text labels, to save with the network's weights
/// ([`SaveOptions::labels`](crate::io::SaveOptions::labels), read back by
/// [`labels_of_safetensors`](crate::io::labels_of_safetensors)) or in a file of their own
/// ([`Labels::save`]), so that its outputs can be named, and new files read with the same
/// classes ([`Csv::classes_with_labels`]).
///
/// ```
/// use nn_runtime::data::{Csv, Labels};
///
/// let text = "5.1,setosa\n6.3,virginica\n5.8,versicolor\n4.9,setosa\n";
/// let (data, labels) = Csv::from_text(text).labels::<f32, 1, 3>().unwrap();
/// assert_eq!(labels.names, ["setosa", "versicolor", "virginica"]); // sorted
/// assert_eq!(data.targets[1].as_slice(), &[0.0, 0.0, 1.0]);
/// assert_eq!(labels.name(2), Some("virginica"));
/// assert_eq!(Labels::from_text(&labels.to_text()).unwrap(), labels);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Labels {
    /// The name of each class, by index.
    pub names: Vec<String>,
}

/// The first line of a labels file.
const LABELS_FORMAT: &str = "nn labels 1";

impl Labels {
    /// The class called `name`.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The name of class `class`.
    pub fn name(&self, class: usize) -> Option<&str> {
        self.names.get(class).map(String::as_str)
    }

    /// The labels as text: the line `nn labels 1`, then one name per line, in class order.
    /// (Names never hold a line end: [`Csv`] rejects such labels.)
    pub fn to_text(&self) -> String {
        let mut text = format!("{LABELS_FORMAT}\n");
        for name in &self.names {
            text += name;
            text.push('\n');
        }
        text
    }

    /// Reads [`Labels::to_text`]; `None` unless the first line is `nn labels 1`.
    pub fn from_text(text: &str) -> Option<Self> {
        let mut lines = text.lines();
        if lines.next() != Some(LABELS_FORMAT) {
            return None;
        }
        Some(Labels { names: lines.map(str::to_string).collect() })
    }

    /// Writes [`Labels::to_text`] to the file at `path`, atomically.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), DataError> {
        let path = path.as_ref();
        crate::io::write_atomic(path, self.to_text().as_bytes())
            .map_err(|error| DataError::Io { path: path.to_path_buf(), error })
    }

    /// Reads a file [`Labels::save`] wrote.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, DataError> {
        let path = path.as_ref();
        let io_error = |error| DataError::Io { path: path.to_path_buf(), error };
        let text = std::fs::read_to_string(path).map_err(io_error)?;
        Labels::from_text(&text).ok_or_else(|| {
            io_error(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("not a labels file: its first line is not `{LABELS_FORMAT}`"),
            ))
        })
    }
}

impl Csv {
    /// Reads the file at `path` (when [`Csv::classes`] or [`Csv::values`] is called), with
    /// no header and comma delimiters.
    pub fn new(path: impl AsRef<Path>) -> Self {
        Csv::with_source(Source::File(path.as_ref().to_path_buf()))
    }

    /// Reads `text` as the contents of a CSV file, which errors call [`TEXT_NAME`]
    /// (`<input>`).
    pub fn from_text(text: impl Into<String>) -> Self {
        Csv::with_source(Source::Text(text.into()))
    }

    /// A reader of `source` with the defaults.
    fn with_source(source: Source) -> Self {
        Csv {
            source,
            header: false,
            delimiter: b',',
            max_bytes: DEFAULT_MAX_BYTES,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            missing: Missing::Error,
            max_errors: DEFAULT_MAX_ERRORS,
        }
    }

    /// What to do with missing input values (default [`Missing::Error`]).
    ///
    /// ```
    /// use nn_runtime::data::{Csv, Missing};
    ///
    /// let text = "1,,0\n3,4,1\nNA,8,1\n";
    /// let error = Csv::from_text(text).classes::<f64, 2, 2>().unwrap_err();
    /// assert!(error.to_string().starts_with("<input>:1:2: expected a number, found an empty field"));
    /// let dropped = Csv::from_text(text).missing(Missing::Drop).classes::<f64, 2, 2>().unwrap();
    /// assert_eq!(dropped.len(), 1);
    /// let filled = Csv::from_text(text).missing(Missing::Mean).classes::<f64, 2, 2>().unwrap();
    /// assert_eq!((filled.inputs[0][1], filled.inputs[2][0]), (6.0, 2.0));
    /// ```
    pub fn missing(mut self, policy: Missing) -> Self {
        self.missing = policy;
        self
    }

    /// How many bad rows to report before stopping (default [`DEFAULT_MAX_ERRORS`]); at least
    /// one is. One bad row is its own error; more are [`DataError::Rows`]. A first row with
    /// the wrong number of fields stops reading at once: the file's layout is not the one
    /// asked for, and every row would say so.
    ///
    /// ```
    /// use nn_runtime::data::Csv;
    ///
    /// let text = "1,2,0\n3,x,1\n5,6,7\n8,9\n";
    /// let error = Csv::from_text(text).classes::<f64, 2, 2>().unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "<input>:2:2: expected a number, found \"x\"\n\
    ///      <input>:3:3: expected a class index 0 or 1, found \"7\"\n\
    ///      <input>:4: expected 3 fields (2 inputs and 1 class), found 2"
    /// );
    /// let error = Csv::from_text(text).max_errors(2).classes::<f64, 2, 2>().unwrap_err();
    /// assert!(error.to_string().ends_with("stopped after 2 bad rows; raise the limit with `.max_errors(n)`"));
    /// ```
    pub fn max_errors(mut self, limit: usize) -> Self {
        self.max_errors = limit.max(1);
        self
    }

    /// The largest file to read, in bytes (default [`DEFAULT_MAX_BYTES`], 1 GiB): a larger
    /// one is [`DataError::TooLarge`], found after reading `limit` bytes, not after running
    /// out of memory. (Text given to [`Csv::from_text`] is in memory already and not limited.)
    pub fn max_bytes(mut self, limit: u64) -> Self {
        self.max_bytes = limit;
        self
    }

    /// The longest line of a file to read, in bytes, its line end aside (default
    /// [`DEFAULT_MAX_LINE_BYTES`], 1 MiB): a longer one is [`DataError::LineTooLong`], found
    /// as soon as the line passes the limit. A file that is not text, `/dev/zero` or a binary
    /// file, fails here quickly. Lines inside a quoted field count separately.
    pub fn max_line_bytes(mut self, limit: u64) -> Self {
        self.max_line_bytes = limit;
        self
    }

    /// Whether the first line is a header to skip (default `false`). It is skipped unread,
    /// whatever it holds, and still counts in line numbers. (Blank lines before it, like all
    /// blank lines, are skipped too.)
    pub fn header(mut self, header: bool) -> Self {
        self.header = header;
        self
    }

    /// The byte between fields (default `b','`): `b';'`, `b'\t'`, ...
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// Reads rows of `I + 1` fields: `I` inputs, then a class index, one-hot encoded into a
    /// target of width `O` (see [`crate::loss::one_hot`]).
    ///
    /// The class index is a whole number from `0` to `O - 1` (written `2` or `2.0`). For
    /// `O == 1` it is a binary class, `0` or `1`, kept as the target value itself: the 0/1
    /// target of a network with one sigmoid output. `O == 0` is [`DataError::NoClasses`].
    ///
    /// ```
    /// use nn_runtime::data::Csv;
    ///
    /// let error = Csv::from_text("1,2,0\n3,4,2\n").classes::<f32, 2, 2>().unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     r#"<input>:2:3: expected a class index 0 or 1, found "2""#
    /// );
    /// ```
    pub fn classes<T: Float, const I: usize, const O: usize>(
        &self,
    ) -> Result<Dataset<T, I, O>, DataError> {
        if O == 0 {
            return Err(DataError::NoClasses);
        }
        self.read(Target::Class)
    }

    /// Reads rows of `I + O` fields: `I` inputs, then the `O` target values as they are: the
    /// targets of a regression, or a 0/1 target of width 1 for binary classification.
    ///
    /// ```
    /// use nn_runtime::data::Csv;
    ///
    /// let data = Csv::from_text("x;y\n1;2\n3;4\n").header(true).delimiter(b';');
    /// let data = data.values::<f64, 1, 1>().unwrap();
    /// assert_eq!(data.targets[1][0], 4.0);
    /// ```
    pub fn values<T: Float, const I: usize, const O: usize>(
        &self,
    ) -> Result<Dataset<T, I, O>, DataError> {
        self.read(Target::Values)
    }

    /// Reads rows of `I + 1` fields: `I` inputs, then a class label, any text (`setosa`,
    /// `spam`, `7`), one-hot encoded into a target of width `O`. The classes are the distinct
    /// labels sorted (as scikit-learn's `LabelEncoder` numbers them), returned as [`Labels`];
    /// more distinct labels than `O` holds (2 for `O == 1`) is [`DataError::Labels`].
    pub fn labels<T: Float, const I: usize, const O: usize>(
        &self,
    ) -> Result<(Dataset<T, I, O>, Labels), DataError> {
        if O == 0 {
            return Err(DataError::NoClasses);
        }
        let (data, labels) = self.read_with(Target::Label(None))?;
        Ok((data, labels.unwrap_or_default()))
    }

    /// [`Csv::labels`] with the classes of `labels` (those of the training file, for a test
    /// file): a label not among them is an error naming its row.
    pub fn classes_with_labels<T: Float, const I: usize, const O: usize>(
        &self,
        labels: &Labels,
    ) -> Result<Dataset<T, I, O>, DataError> {
        if O == 0 {
            return Err(DataError::NoClasses);
        }
        self.read_with(Target::Label(Some(labels))).map(|(data, _)| data)
    }

    /// Reads the whole source into memory and parses it.
    fn read<T: Float, const I: usize, const O: usize>(
        &self,
        target: Target<'_>,
    ) -> Result<Dataset<T, I, O>, DataError> {
        self.read_with(target).map(|(data, _)| data)
    }

    /// Reads the whole source into memory and parses it; the labels found, for text labels.
    fn read_with<T: Float, const I: usize, const O: usize>(
        &self,
        target: Target<'_>,
    ) -> Result<(Dataset<T, I, O>, Option<Labels>), DataError> {
        match &self.source {
            Source::File(path) => {
                let name = path.display().to_string();
                let bytes = self.read_file(path, &name)?;
                self.parse(&name, &bytes, target)
            }
            Source::Text(text) => self.parse(TEXT_NAME, text.as_bytes(), target),
        }
    }

    /// Reads the file at `path`, called `name` in errors, within the limits of size and line
    /// length, in blocks, so that a file beyond them is never read whole.
    fn read_file(&self, path: &Path, name: &str) -> Result<Vec<u8>, DataError> {
        use std::io::Read;

        let io_error = |error| DataError::Io { path: path.to_path_buf(), error };
        let mut file = std::fs::File::open(path).map_err(io_error)?;
        let mut bytes = Vec::new();
        let mut block = vec![0_u8; 64 * 1024];
        // The length of the line being read, its number, and the byte before (a line ends at
        // `\n`, `\r\n` or a lone `\r`, as the reader counts them).
        let (mut line_bytes, mut line, mut previous) = (0_u64, 1_u64, 0_u8);
        loop {
            let read = match file.read(&mut block) {
                Ok(0) => break,
                Ok(read) => read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(io_error(error)),
            };
            let block = &block[..read];
            for &b in block {
                let ends = b == b'\r' || (b == b'\n' && previous != b'\r');
                previous = b;
                if b == b'\n' || b == b'\r' {
                    line += u64::from(ends);
                    line_bytes = 0;
                } else {
                    line_bytes += 1;
                    if line_bytes > self.max_line_bytes {
                        let limit = self.max_line_bytes;
                        return Err(DataError::LineTooLong { file: name.to_string(), line, limit });
                    }
                }
            }
            if bytes.len() as u64 + read as u64 > self.max_bytes {
                return Err(DataError::TooLarge { file: name.to_string(), limit: self.max_bytes });
            }
            bytes.extend_from_slice(block);
        }
        Ok(bytes)
    }

    /// Reads every row of `bytes`, called `file` in errors. A quote that is never closed
    /// swallows the rest of the file into one field; it is reported as such, unless a row
    /// before it has an error of its own.
    fn parse<T: Float, const I: usize, const O: usize>(
        &self,
        file: &str,
        bytes: &[u8],
        target: Target<'_>,
    ) -> Result<(Dataset<T, I, O>, Option<Labels>), DataError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let Some((offset, field)) = unterminated_quote(bytes, self.delimiter) else {
            return self.parse_rows(file, bytes, target);
        };
        let line = Lines { bytes, scanned: 0, line: 1 }.line_of(offset);
        let quote = DataError::Row {
            file: file.to_string(),
            line,
            column: Some(field + 1),
            expected: "a closing quote `\"`".to_string(),
            found: "the end of the file".to_string(),
            help: Some("the quote that opens this field is never closed".to_string()),
        };
        // The rows before the quote are read as they are; the rest is the quoted field.
        let mut errors: Vec<DataError> = match self.parse_rows::<T, I, O>(file, bytes, target) {
            Ok(_) => Vec::new(),
            Err(DataError::Rows { errors, .. }) => errors,
            Err(error) => vec![error],
        };
        errors.retain(|e| e.first_line().is_some_and(|before| before < line));
        if errors.is_empty() {
            return Err(quote);
        }
        errors.push(quote);
        Err(DataError::Rows { errors, stopped: false })
    }

    /// Reads every row of `bytes` (without a byte order mark), called `file` in errors,
    /// collecting the bad rows' errors up to [`Csv::max_errors`].
    fn parse_rows<T: Float, const I: usize, const O: usize>(
        &self,
        file: &str,
        bytes: &[u8],
        target: Target<'_>,
    ) -> Result<(Dataset<T, I, O>, Option<Labels>), DataError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .delimiter(self.delimiter)
            .from_reader(bytes);
        let (fields, layout) = match target {
            Target::Class | Target::Label(_) => {
                (I + 1, format!("{} and 1 class", count(I, "input")))
            }
            Target::Values => (I + O, format!("{} and {}", count(I, "input"), count(O, "target"))),
        };
        let mut data = Dataset { inputs: Vec::new(), targets: Vec::new() };
        // Text labels of the rows read, and the cells to fill with a column's mean.
        let mut texts: Vec<String> = Vec::new();
        let mut holes: Vec<(usize, usize)> = Vec::new();
        let mut errors = Vec::new();
        let mut stopped = false;
        let mut record = csv::ByteRecord::new();
        let mut lines = Lines { bytes, scanned: 0, line: 1 };
        let mut first = true;
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(error) => return Err(csv_error(file, error)),
            }
            // A line of spaces is blank too.
            if record.len() == 1 && record[0].is_empty() {
                continue;
            }
            if errors.len() >= self.max_errors {
                stopped = true;
                break;
            }
            let start = record.position().map_or(0, |p| p.byte());
            let row = Row {
                file,
                line: lines.line_of(usize::try_from(start).unwrap_or(usize::MAX)),
                record: &record,
                first: first && !self.header,
            };
            let skip = first && self.header;
            first = false;
            if skip {
                continue;
            }
            match self.sample::<T, I, O>(&row, target, fields, &layout) {
                Ok(Some(sample)) => {
                    let index = data.inputs.len();
                    holes.extend(sample.holes.iter().map(|&column| (index, column)));
                    data.inputs.push(sample.input);
                    data.targets.push(sample.output);
                    texts.extend(sample.label);
                }
                Ok(None) => {}
                Err(error) => {
                    // A first row of the wrong width says the file's layout is not the one
                    // asked for; every row would repeat it.
                    let layout = matches!(error, DataError::Row { column: None, .. });
                    let first_row = data.inputs.is_empty() && errors.is_empty();
                    errors.push(error);
                    if layout && first_row {
                        break;
                    }
                }
            }
        }
        match errors.len() {
            0 => {}
            1 if !stopped || self.max_errors == 1 => return Err(errors.remove(0)),
            _ => return Err(DataError::Rows { errors, stopped }),
        }
        self.fill(&mut data, &holes)?;
        let labels = match target {
            Target::Label(given) => Some(encode(file, &mut data, &texts, given)?),
            _ => None,
        };
        if data.is_empty() {
            return Err(DataError::Empty { file: file.to_string() });
        }
        Ok((data, labels))
    }

    /// One row as a sample; `None` for a row dropped by [`Missing::Drop`].
    fn sample<T: Float, const I: usize, const O: usize>(
        &self,
        row: &Row<'_>,
        target: Target<'_>,
        fields: usize,
        layout: &str,
    ) -> Result<Option<Sample<T, I, O>>, DataError> {
        if row.record.len() != fields {
            return Err(row.error(
                None,
                format!("{} ({layout})", count(fields, "field")),
                row.record.len().to_string(),
                true,
            ));
        }
        let drop = self.missing == Missing::Drop;
        let mut sample: Sample<T, I, O> = Sample {
            input: SVector::zeros(),
            output: SVector::zeros(),
            label: None,
            holes: Vec::new(),
        };
        for j in 0..I {
            if self.missing != Missing::Error && is_missing(row.field(j)) {
                if drop {
                    return Ok(None);
                }
                sample.holes.push(j);
            } else {
                sample.input[j] = row.number(j)?;
            }
        }
        let targets = match target {
            Target::Values => I..I + O,
            Target::Class | Target::Label(_) => I..I + 1,
        };
        if drop && targets.clone().any(|j| is_missing(row.field(j))) {
            return Ok(None);
        }
        match target {
            Target::Class => {
                let class = row.class(I, O)?;
                if O == 1 {
                    sample.output[0] = T::lit(class as f64);
                } else {
                    sample.output[class] = T::one();
                }
            }
            Target::Values => {
                for (j, y) in sample.output.iter_mut().enumerate() {
                    *y = row.number(I + j)?;
                }
            }
            Target::Label(given) => sample.label = Some(row.label(I, given)?),
        }
        Ok(Some(sample))
    }

    /// Fills the missing cells `(sample, column)` as [`Csv::missing`] says.
    fn fill<T: Float, const I: usize, const O: usize>(
        &self,
        data: &mut Dataset<T, I, O>,
        holes: &[(usize, usize)],
    ) -> Result<(), DataError> {
        let value = match self.missing {
            Missing::Error | Missing::Drop => return Ok(()),
            Missing::Value(v) => {
                if let Some(&(row, column)) = holes.first().filter(|_| !v.is_finite()) {
                    return Err(DataError::NotFinite { field: "inputs", row, column, value: v });
                }
                [T::lit(v); I]
            }
            Missing::Mean => {
                let (mut sums, mut counts) = ([0.0_f64; I], [0_usize; I]);
                for x in &data.inputs {
                    for j in 0..I {
                        sums[j] += x[j].as_f64();
                        counts[j] += 1;
                    }
                }
                // The holes hold 0 and count as values: take them out.
                for &(_, column) in holes {
                    counts[column] -= 1;
                }
                let mut means = [T::zero(); I];
                for j in 0..I {
                    if counts[j] > 0 {
                        means[j] = T::lit(sums[j] / counts[j] as f64);
                    }
                }
                means
            }
        };
        for &(row, column) in holes {
            data.inputs[row][column] = value[column];
        }
        Ok(())
    }
}

/// One row read: its input and target, its text label, and its missing input columns.
struct Sample<T, const I: usize, const O: usize> {
    input: SVector<T, I>,
    output: SVector<T, O>,
    label: Option<String>,
    holes: Vec<usize>,
}

/// One-hot encodes the text labels `texts` (one per sample) into the targets: by `given`, or
/// by the sorted distinct labels, which are returned.
fn encode<T: Float, const I: usize, const O: usize>(
    file: &str,
    data: &mut Dataset<T, I, O>,
    texts: &[String],
    given: Option<&Labels>,
) -> Result<Labels, DataError> {
    let labels = match given {
        Some(labels) => labels.clone(),
        None => {
            let mut names: Vec<String> = texts.to_vec();
            names.sort_unstable();
            names.dedup();
            Labels { names }
        }
    };
    if labels.names.len() > class_slots(O) {
        return Err(DataError::Labels {
            file: file.to_string(),
            found: labels.names,
            classes: class_slots(O),
        });
    }
    for (y, text) in data.targets.iter_mut().zip(texts) {
        // Every label is known: found here, or checked against `given` row by row.
        let class = labels.index(text).unwrap_or(0);
        *y = SVector::zeros();
        if O == 1 {
            y[0] = T::lit(class as f64);
        } else {
            y[class] = T::one();
        }
    }
    Ok(labels)
}
/// Where a quoted field that is never closed starts: its opening quote's byte offset and the
/// field's index in its row, or `None` if every quote is closed.
///
/// The states are the `csv` crate's: a quote opens a quoted field only as a field's first
/// byte; inside, `""` is a quote and a lone `"` closes the field; anything else is literal.
fn unterminated_quote(bytes: &[u8], delimiter: u8) -> Option<(usize, usize)> {
    #[derive(PartialEq)]
    enum State {
        Start,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let (mut state, mut field, mut opened) = (State::Start, 0, 0);
    for (i, &b) in bytes.iter().enumerate() {
        let end_of_line = b == b'\n' || b == b'\r';
        state = match state {
            State::Start | State::Unquoted | State::QuoteInQuoted if end_of_line => {
                field = 0;
                State::Start
            }
            State::Start | State::Unquoted | State::QuoteInQuoted if b == delimiter => {
                field += 1;
                State::Start
            }
            State::Start if b == b'"' => {
                opened = i;
                State::Quoted
            }
            State::Start | State::Unquoted => State::Unquoted,
            State::Quoted if b == b'"' => State::QuoteInQuoted,
            State::Quoted => State::Quoted,
            State::QuoteInQuoted if b == b'"' => State::Quoted,
            State::QuoteInQuoted => State::Unquoted,
        };
    }
    (state == State::Quoted).then_some((opened, field))
}

/// A reading error of the `csv` crate as a [`DataError`]. Records are read as bytes, from
/// memory, by a reader that accepts any number of fields, so the `csv` crate has no error to
/// report; this is for completeness.
fn csv_error(file: &str, error: csv::Error) -> DataError {
    let error = match error.into_kind() {
        csv::ErrorKind::Io(error) => error,
        other => io::Error::new(io::ErrorKind::InvalidData, format!("{other:?}")),
    };
    DataError::Io { path: PathBuf::from(file), error }
}

/// Line numbers of records, counted as the records are read.
///
/// The `csv` crate's record positions are where the reader started reading the record, which
/// can be before the blank lines it skipped, or before the `\n` of the previous record's
/// `\r\n`. The record itself starts at the first byte from there that is not `\r` or `\n`.
struct Lines<'a> {
    bytes: &'a [u8],
    /// Bytes before this have been counted.
    scanned: usize,
    /// The line `bytes[scanned]` is on, counting from 1.
    line: u64,
}

impl Lines<'_> {
    /// The line of the record whose reading started at byte `start` (records in order).
    fn line_of(&mut self, start: usize) -> u64 {
        let mut at = start.clamp(self.scanned, self.bytes.len());
        while at < self.bytes.len() && matches!(self.bytes[at], b'\r' | b'\n') {
            at += 1;
        }
        // A line ends at `\n`, or at a `\r` not followed by `\n`, as the reader reads them.
        for i in self.scanned..at {
            let ends = match self.bytes[i] {
                b'\n' => true,
                b'\r' => self.bytes.get(i + 1) != Some(&b'\n'),
                _ => false,
            };
            self.line += u64::from(ends);
        }
        self.scanned = at;
        self.line
    }
}

/// One row of a CSV file, for reading its fields with errors that point at them.
struct Row<'a> {
    file: &'a str,
    line: u64,
    record: &'a csv::ByteRecord,
    /// Whether this is the first line, read as a sample; its errors suggest `.header(true)`.
    first: bool,
}

impl Row<'_> {
    /// An error at this row, in field `index` (0-based) or for the row as a whole. `headerish`
    /// says whether a header line could explain it (it does not explain a number out of range).
    fn error(
        &self,
        index: Option<usize>,
        expected: String,
        found: String,
        headerish: bool,
    ) -> DataError {
        DataError::Row {
            file: self.file.to_string(),
            line: self.line,
            column: index.map(|i| i + 1),
            expected,
            found,
            help: (self.first && headerish)
                .then(|| "if the first line is a header, skip it with `.header(true)`".to_string()),
        }
    }

    /// Field `index` (0-based, in range).
    fn field(&self, index: usize) -> &[u8] {
        self.record.get(index).unwrap_or_default()
    }

    /// Field `index` as a finite number of type `T`.
    fn number<T: Float>(&self, index: usize) -> Result<T, DataError> {
        let field = self.field(index);
        let text = std::str::from_utf8(field).unwrap_or_default();
        let fail = |expected: &str, headerish| {
            self.error(Some(index), expected.to_string(), describe(field), headerish)
        };
        let Ok(wide) = text.parse::<f64>() else {
            return Err(fail("a number", true));
        };
        if !wide.is_finite() {
            return Err(fail("a finite number", false));
        }
        // Read an f32 directly rather than rounding through f64, which can differ by an ulp.
        let value = if T::NAME == "f32" {
            T::lit(text.parse::<f32>().map_or(f64::INFINITY, f64::from))
        } else {
            T::lit(wide)
        };
        if !value.is_finite() {
            return Err(fail(&format!("a number within the range of {}", T::NAME), false));
        }
        Ok(value)
    }

    /// Field `index` as a class label: text on one line, among `given` if there are labels.
    fn label(&self, index: usize, given: Option<&Labels>) -> Result<String, DataError> {
        let field = self.field(index);
        let fail = |expected: String| self.error(Some(index), expected, describe(field), false);
        let Ok(text) = std::str::from_utf8(field) else {
            return Err(fail("a label in UTF-8".to_string()));
        };
        if text.is_empty() || text.contains(['\n', '\r']) {
            return Err(fail("a label on one line".to_string()));
        }
        if let Some(labels) = given {
            if labels.index(text).is_none() {
                let names: Vec<String> = labels.names.iter().map(|n| format!("{n:?}")).collect();
                return Err(fail(format!("one of the labels {}", names.join(", "))));
            }
        }
        Ok(text.to_string())
    }

    /// Field `index` as a class index below `classes` (below 2 for `classes == 1`).
    fn class(&self, index: usize, classes: usize) -> Result<usize, DataError> {
        let field = self.field(index);
        let slots = class_slots(classes);
        let expected = if slots == 2 {
            "a class index 0 or 1".to_string()
        } else {
            format!("a class index from 0 to {}", slots - 1)
        };
        let parsed = std::str::from_utf8(field).ok().and_then(|text| text.parse::<f64>().ok());
        match parsed {
            Some(v) if v.fract() == 0.0 && v >= 0.0 && v < slots as f64 => Ok(v as usize),
            // Not a number at all could be a header's name for the column.
            _ => Err(self.error(Some(index), expected, describe(field), parsed.is_none())),
        }
    }
}

/// A field as an error message shows it: `"abc"` (quoted and escaped as in Rust, cut after 40
/// characters with `...`), `an empty field`, or `bytes that are not UTF-8`.
fn describe(field: &[u8]) -> String {
    const SHOWN: usize = 40;
    if field.is_empty() {
        return "an empty field".to_string();
    }
    match std::str::from_utf8(field) {
        Ok(text) if text.chars().count() > SHOWN => {
            format!("{:?}...", text.chars().take(SHOWN).collect::<String>())
        }
        Ok(text) => format!("{text:?}"),
        Err(_) => "bytes that are not UTF-8".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The message of reading `text` as `I` inputs and a class among `O`.
    fn class_error<const I: usize, const O: usize>(text: &str) -> String {
        Csv::from_text(text).classes::<f64, I, O>().unwrap_err().to_string()
    }

    fn numbered(n: usize) -> Dataset<f64, 1, 1> {
        let xs: Vec<_> = (0..n).map(|i| SVector::<f64, 1>::new(i as f64)).collect();
        Dataset::new(xs.clone(), xs).unwrap()
    }

    #[test]
    fn below_is_in_range_and_uniform() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        assert!((0..100).all(|_| below(&mut rng, 1) == 0));
        let mut histogram = [0_u32; 3];
        for _ in 0..30_000 {
            histogram[below(&mut rng, 3) as usize] += 1;
        }
        // Each count is Binomial(30000, 1/3): mean 10000, standard deviation 82.
        assert!(histogram.iter().all(|&h| (9_600..=10_400).contains(&h)), "{histogram:?}");
        // A bound just above 2^63 rejects about half of the draws, and still ends.
        let big = (1_u64 << 63) + 1;
        assert!((0..100).all(|_| below(&mut rng, big) < big));
    }

    #[test]
    fn the_shuffle_is_pinned() {
        // Fixed by ChaCha8 and the algorithm alone: if this changes, every split changes.
        assert_eq!(shuffled(10, 1), PINNED);
        assert_eq!(shuffled(10, 1), shuffled(10, 1));
        assert_ne!(shuffled(10, 1), shuffled(10, 2));
        let mut order = shuffled(1000, 9);
        order.sort_unstable();
        assert!(order.iter().enumerate().all(|(i, &j)| i == j));
        assert!(shuffled(0, 1).is_empty());
        assert_eq!(shuffled(1, 1), [0]);
    }

    const PINNED: [usize; 10] = [9, 5, 3, 7, 6, 4, 8, 0, 2, 1];

    #[test]
    fn shares_round_and_clamp() {
        assert_eq!(share(10, 0.25), 3); // 2.5 rounds away from zero
        assert_eq!(share(10, 0.24), 2);
        assert_eq!(share(10, 0.0), 0);
        assert_eq!(share(10, 1.0), 10);
        assert_eq!(share(10, -0.5), 0);
        assert_eq!(share(10, 7.0), 10);
        assert_eq!(share(10, f64::NAN), 0);
        assert_eq!(share(10, f64::INFINITY), 10);
        assert_eq!(share(0, 0.5), 0);
        assert_eq!(part_sizes(10, 0.2, 0.2), (2, 2));
        assert_eq!(part_sizes(10, 0.5, 0.7), (3, 7)); // the test part is served first
        assert_eq!(part_sizes(10, 1.0, 1.0), (0, 10));
    }

    #[test]
    fn splits_never_panic() {
        let data = numbered(7);
        for (v, t) in [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (0.9, 0.9), (f64::NAN, -3.0)] {
            let split = data.split(v, t, 3);
            assert_eq!(split.train.len() + split.validation.len() + split.test.len(), 7);
            let split = data.split_stratified(v, t, 3);
            assert_eq!(split.train.len() + split.validation.len() + split.test.len(), 7);
        }
        let empty = numbered(0).split(0.2, 0.2, 1);
        assert!(empty.train.is_empty() && empty.validation.is_empty() && empty.test.is_empty());
        // Unequal lengths made by hand are cut to the shorter.
        let mut uneven = numbered(5);
        uneven.targets.truncate(3);
        assert_eq!(uneven.len(), 3);
        assert_eq!(uneven.split(0.0, 0.0, 1).train.len(), 3);
        assert_eq!(uneven.class_counts(), [1, 2]); // targets 0, 1, 2: above 0.5 is class 1
    }

    #[test]
    fn subsets_and_batches() {
        let data = numbered(4);
        let subset = data.subset(&[3, 1, 3]).unwrap();
        assert_eq!(subset.inputs.iter().map(|x| x[0]).collect::<Vec<_>>(), [3.0, 1.0, 3.0]);
        assert!(data.subset(&[4]).is_none());
        assert_eq!(data.subset(&[]).unwrap().len(), 0);
        let (xs, ys) = data.batch::<3>(&[2, 0, 1]).unwrap();
        assert_eq!(xs.as_slice(), &[2.0, 0.0, 1.0]);
        assert_eq!(ys.as_slice(), &[2.0, 0.0, 1.0]);
        assert!(data.batch::<3>(&[0, 1]).is_none());
        assert!(data.batch::<3>(&[0, 1, 2, 3]).is_none());
        assert!(data.batch::<2>(&[0, 9]).is_none());
        assert!(data.batch::<0>(&[]).is_some());
        assert_eq!(data.get(3).map(|(x, _)| x[0]), Some(3.0));
        assert!(data.get(4).is_none());
    }

    #[test]
    fn standardizer_edge_cases() {
        let empty = Standardizer::<f32, 2>::fit_inputs(&[]);
        assert_eq!(empty.mean, SVector::<f32, 2>::zeros());
        assert_eq!(empty.std, SVector::<f32, 2>::repeat(1.0));
        // A constant column must not divide by 0.
        let xs = [SVector::<f32, 2>::new(1.0, 0.0); 2];
        let s = Standardizer::fit_inputs(&xs);
        assert_eq!(s.std, SVector::<f32, 2>::repeat(1.0));
        assert_eq!(s.transform(&SVector::<f32, 2>::new(3.0, 2.0)).as_slice(), &[2.0, 2.0]);
        let tiny = [1e-50, -1e-50].map(SVector::<f64, 1>::new);
        assert_eq!(Standardizer::fit_inputs(&tiny).std[0], 1e-50);
        // Two neighbouring f32 values: half the smallest subnormal rounds to 0 in f32.
        let tiny32 = [0.0, f32::from_bits(1)].map(SVector::<f32, 1>::new);
        assert_eq!(Standardizer::fit_inputs(&tiny32).std[0], 1.0);
        // Population standard deviation: 1, 2, 3, 4 has mean 2.5 and std sqrt(1.25).
        let xs: Vec<_> = [1.0, 2.0, 3.0, 4.0].map(SVector::<f64, 1>::new).to_vec();
        let s = Standardizer::fit_inputs(&xs);
        assert_eq!((s.mean[0], s.std[0]), (2.5, 1.25_f64.sqrt()));
        // Large offsets keep their precision (two passes, not E[x^2] - E[x]^2).
        let xs: Vec<_> = [1e9 + 1.0, 1e9 + 3.0].map(SVector::<f64, 1>::new).to_vec();
        assert_eq!(Standardizer::fit_inputs(&xs).std[0], 1.0);
    }

    #[test]
    fn reads_the_format() {
        let text = "\u{feff}1, 2 ,0\r\n\n\"3\",4,1\r\n  \n5\t,6,1";
        let data = Csv::from_text(text).classes::<f32, 2, 2>().unwrap();
        assert_eq!(data.inputs, [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]].map(SVector::from));
        assert_eq!(data.class_counts(), [1, 2]);
        // Lines are counted in the file, blank ones included.
        let message = class_error::<2, 2>("1,2,0\n\n\r\n3,x,1\n");
        assert_eq!(message, r#"<input>:4:2: expected a number, found "x""#);
        // ... after \r\n, lines of spaces, lone \r, and a quoted field over two lines.
        let message = class_error::<2, 2>("1,2,0\r\n\r\n   \r\n\"3\n\",4,1\r\r5,y,1\r\n");
        assert_eq!(message, r#"<input>:7:2: expected a number, found "y""#);
        // A header is skipped whatever it holds, and counts as a line.
        let data = Csv::from_text("a;b\n1;0\n").header(true).delimiter(b';');
        assert_eq!(data.classes::<f64, 1, 2>().unwrap().targets[0].as_slice(), &[1.0, 0.0]);
        let message = Csv::from_text("a,b\n1,x\n").header(true).classes::<f64, 1, 2>();
        assert_eq!(
            message.unwrap_err().to_string(),
            r#"<input>:2:2: expected a class index 0 or 1, found "x""#
        );
        // Classes written as whole numbers in any notation.
        let data = Csv::from_text("0,2.0\n0,1e0\n0,-0\n").classes::<f64, 1, 3>().unwrap();
        assert_eq!(data.class_counts(), [1, 1, 1]);
        // Width 1: the 0/1 class is the target value.
        let data = Csv::from_text("0,1\n0,0\n").classes::<f64, 1, 1>().unwrap();
        assert_eq!(data.targets, [1.0, 0.0].map(SVector::<f64, 1>::new));
        // f32 reads the decimal directly, not rounded twice through f64.
        let data = Csv::from_text("16777217.000000001,0\n").values::<f32, 1, 1>().unwrap();
        assert_eq!(data.inputs[0][0], 16777218.0);
    }

    #[test]
    fn errors_point_at_the_field() {
        let cases = [
            ("1,2,0\n3,4\n", "<input>:2: expected 3 fields (2 inputs and 1 class), found 2"),
            ("1,2,0\n3,4,1,5\n", "<input>:2: expected 3 fields (2 inputs and 1 class), found 4"),
            ("1,2,0\n3,,1\n", "<input>:2:2: expected a number, found an empty field"),
            ("1,2,0\n3,NaN,1\n", r#"<input>:2:2: expected a finite number, found "NaN""#),
            ("1,2,0\n-inf,2,1\n", r#"<input>:2:1: expected a finite number, found "-inf""#),
            ("1,2,0\n1,2,3\n", r#"<input>:2:3: expected a class index from 0 to 2, found "3""#),
            ("1,2,0\n1,2,1.5\n", r#"<input>:2:3: expected a class index from 0 to 2, found "1.5""#),
            ("1,2,0\n1,2,-1\n", r#"<input>:2:3: expected a class index from 0 to 2, found "-1""#),
            (
                "1,2,0\n1,2,\n",
                "<input>:2:3: expected a class index from 0 to 2, found an empty field",
            ),
        ];
        for (text, message) in cases {
            assert_eq!(class_error::<2, 3>(text), message, "reading {text:?}");
        }
        let long = "x".repeat(50);
        assert_eq!(
            class_error::<1, 2>(&format!("0,0\n{long},1\n")),
            format!("<input>:2:1: expected a number, found \"{}\"...", "x".repeat(40))
        );
        let not_utf8 = Csv::from_text(String::from_utf8_lossy(b"0,0\n")).classes::<f64, 1, 2>();
        assert!(not_utf8.is_ok());
        assert_eq!(
            class_error::<1, 2>("0,0\n\"a\"\"b\",1\n"),
            r#"<input>:2:1: expected a number, found "a\"b""#
        );
    }

    #[test]
    fn first_line_errors_suggest_a_header() {
        let hint = "; if the first line is a header, skip it with `.header(true)`";
        assert_eq!(
            class_error::<2, 3>("x,y,class\n1,2,0\n"),
            format!(r#"<input>:1:1: expected a number, found "x"{hint}"#)
        );
        assert_eq!(
            class_error::<2, 3>("3,2,a,b\n1,2,0\n"),
            format!("<input>:1: expected 3 fields (2 inputs and 1 class), found 4{hint}")
        );
        assert_eq!(
            class_error::<2, 3>("1,2,name\n"),
            format!(r#"<input>:1:3: expected a class index from 0 to 2, found "name"{hint}"#)
        );
        // A number out of range is not what a header looks like.
        assert_eq!(
            class_error::<2, 3>("1,2,7\n"),
            r#"<input>:1:3: expected a class index from 0 to 2, found "7""#
        );
        assert_eq!(
            class_error::<2, 3>("1,inf,0\n"),
            r#"<input>:1:2: expected a finite number, found "inf""#
        );
    }

    #[test]
    fn values_errors() {
        let read = |text: &str| Csv::from_text(text).values::<f32, 1, 2>().unwrap_err().to_string();
        assert_eq!(
            read("1,2,3\n1,2\n"),
            "<input>:2: expected 3 fields (1 input and 2 targets), found 2"
        );
        assert_eq!(
            read("1,2,3\n1,2,1e39\n"),
            r#"<input>:2:3: expected a number within the range of f32, found "1e39""#
        );
        assert!(Csv::from_text("1,2,1e39\n").values::<f64, 1, 2>().is_ok());
        let one = Csv::from_text("1\n1,2\n").values::<f64, 0, 1>().unwrap_err();
        assert_eq!(one.to_string(), "<input>:2: expected 1 field (0 inputs and 1 target), found 2");
    }

    #[test]
    fn files_without_samples_and_zero_classes() {
        for text in ["", "\n\n", "\r\n"] {
            assert_eq!(
                class_error::<1, 2>(text),
                "<input>: expected at least one sample, found none"
            );
        }
        let header_only = Csv::from_text("a,b\n").header(true).classes::<f64, 1, 2>();
        assert_eq!(
            header_only.unwrap_err().to_string(),
            "<input>: expected at least one sample, found none"
        );
        let zero = Csv::from_text("1,0\n").classes::<f64, 1, 0>().unwrap_err();
        assert!(matches!(zero, DataError::NoClasses));
        assert_eq!(
            zero.to_string(),
            "cannot one-hot encode classes into targets of width 0; \
             use a width of 1 for a 0/1 class, or one per class"
        );
        assert!(zero.source().is_none());
    }

    #[test]
    fn unterminated_quotes_are_reported_where_they_open() {
        let cases = [
            ("1,2,0\n3,\"4,1\n5,6,1\n", 2, 2),
            ("\"1,2,0\n", 1, 1),
            ("1,2,0\r\n\r\n3,4,\"1\n", 3, 3),
            ("1,\"a\"\"b,0\n", 1, 2),
        ];
        for (text, line, column) in cases {
            assert_eq!(
                class_error::<2, 3>(text),
                format!(
                    "<input>:{line}:{column}: expected a closing quote `\"`, found the end of \
                     the file; the quote that opens this field is never closed"
                ),
                "reading {text:?}"
            );
        }
        // A row before the quote with an error of its own reports that error too.
        assert_eq!(
            class_error::<2, 3>("1,x,0\n3,\"4,1\n"),
            "<input>:1:2: expected a number, found \"x\"; if the first line is a header, skip \
             it with `.header(true)`\n<input>:2:2: expected a closing quote `\"`, found the end \
             of the file; the quote that opens this field is never closed"
        );
        // Closed quotes, quotes inside unquoted fields, and escaped quotes are fine.
        assert_eq!(unterminated_quote(b"\"1\",\"\"\"\",a\"b\n\"x\ny\"", b','), None);
        assert_eq!(unterminated_quote(b"1;\"2", b';'), Some((2, 1)));
        // The field swallowed would have parsed: the quote is still an error.
        let error = Csv::from_text("1,\"2\n").values::<f64, 1, 1>().unwrap_err();
        assert!(error.to_string().starts_with("<input>:1:2: expected a closing quote"), "{error}");
    }

    #[test]
    fn files_beyond_the_limits_are_errors_before_they_are_read_whole() {
        let path = std::env::temp_dir().join(format!("nn-data-limits-{}.csv", std::process::id()));
        std::fs::write(&path, "1,2\r\n3,4\r5,6666\n").unwrap();
        let name = path.display().to_string();
        let read = |csv: Csv| csv.values::<f64, 1, 1>().map(|d| d.len()).map_err(|e| e.to_string());
        assert_eq!(read(Csv::new(&path)), Ok(3));
        assert_eq!(
            read(Csv::new(&path).max_bytes(10)),
            Err(format!(
                "{name}: the file is larger than the limit of 10 bytes; \
                 raise it with `.max_bytes(n)` if the file is right"
            ))
        );
        assert_eq!(
            read(Csv::new(&path).max_line_bytes(5)),
            Err(format!(
                "{name}:3: the line is longer than the limit of 5 bytes; \
                 is this a CSV file? (raise the limit with `.max_line_bytes(n)` if it is)"
            ))
        );
        assert_eq!(read(Csv::new(&path).max_line_bytes(6).max_bytes(16)), Ok(3));
        std::fs::remove_file(&path).unwrap();
        #[cfg(unix)]
        {
            // An endless file without a line end stops at the line limit, at once.
            let error = Csv::new("/dev/zero").values::<f32, 1, 1>().unwrap_err();
            assert!(matches!(error, DataError::LineTooLong { line: 1, limit: 1_048_576, .. }));
            assert!(error.to_string().starts_with("/dev/zero:1: the line is longer than"));
        }
    }

    #[test]
    fn non_utf8_fields() {
        let text = b"0,0\n\xff\xfe,1\n";
        let data = Csv::with_source(Source::Text(String::new()));
        let error = data.parse::<f64, 1, 2>(TEXT_NAME, text, Target::Class).unwrap_err();
        assert_eq!(
            error.to_string(),
            "<input>:2:1: expected a number, found bytes that are not UTF-8"
        );
    }
}
