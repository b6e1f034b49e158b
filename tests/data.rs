//! `nn::data` and `nn::metrics` on the project's real data sets (`data/`, described in
//! `data/README.md`) and on broken files: sample and class counts, the exact error for each
//! kind of bad row, splits, standardisation fitted on the training part only, the confusion
//! matrix against a worked example, and two small networks trained end to end through
//! `Dataset::batch`.

use std::path::{Path, PathBuf};

use nn::data::{Csv, DataError, Dataset, Labels, Missing, Standardizer};
use nn::metrics::{accuracy, ConfusionMatrix};
use nn::prelude::*;

/// `data/<name>` in this package.
fn data_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(name)
}

fn iris<T: Float>() -> Dataset<T, 4, 3> {
    Csv::new(data_file("iris.csv")).header(true).classes().unwrap()
}

fn breast_cancer<T: Float, const O: usize>() -> Dataset<T, 30, O> {
    Csv::new(data_file("breast_cancer.csv")).header(true).classes().unwrap()
}

/// The message of reading `path` as iris-shaped rows: a header, 4 inputs and 3 classes.
/// The first bad row's error reading `path` as iris.
fn iris_error(path: &Path) -> String {
    Csv::new(path).header(true).max_errors(1).classes::<f32, 4, 3>().unwrap_err().to_string()
}

#[test]
fn iris_has_150_samples_50_per_class() {
    let data = iris::<f32>();
    assert_eq!(data.len(), 150);
    assert_eq!(data.class_counts(), [50, 50, 50]);
    assert_eq!(data.inputs[0].as_slice(), &[5.1, 3.5, 1.4, 0.2]);
    assert_eq!(data.targets[0].as_slice(), &[1.0, 0.0, 0.0]);
    assert_eq!(data.inputs[149].as_slice(), &[5.9, 3.0, 5.1, 1.8]);
    assert_eq!(data.targets[149].as_slice(), &[0.0, 0.0, 1.0]);
    // The same file in f64 holds the same decimals, read without going through f32.
    let wide = iris::<f64>();
    assert_eq!(wide.inputs[0].as_slice(), &[5.1, 3.5, 1.4, 0.2]);
}

#[test]
fn breast_cancer_has_212_malignant_and_357_benign() {
    let data = breast_cancer::<f64, 2>();
    assert_eq!(data.len(), 569);
    assert_eq!(data.class_counts(), [212, 357]);
    assert_eq!(data.inputs[0][0], 17.99);
    assert_eq!(data.inputs[0][3], 1001.0);
    assert_eq!(data.inputs[0][29], 0.1189);
    // One output: the class is the 0/1 target itself, as `values` reads the same column.
    let binary = breast_cancer::<f32, 1>();
    assert_eq!(binary.class_counts(), [212, 357]);
    assert_eq!(binary.targets.iter().map(|y| y[0]).sum::<f32>(), 357.0);
    let values = Csv::new(data_file("breast_cancer.csv")).header(true).values::<f32, 30, 1>();
    assert_eq!(values.unwrap(), binary);
}

#[test]
fn digits_has_1797_images() {
    let data = Csv::new(data_file("digits.csv")).classes::<f32, 64, 10>().unwrap();
    assert_eq!(data.len(), 1797);
    assert_eq!(data.class_counts(), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
    let pixels = data.inputs.iter().flat_map(|x| x.iter().copied());
    assert_eq!(pixels.fold(0.0_f32, f32::max), 16.0);
}

#[test]
fn the_real_files_read_wrongly_say_why() {
    let iris_path = data_file("iris.csv");
    let cancer_path = data_file("breast_cancer.csv");
    let hint = "; if the first line is a header, skip it with `.header(true)`";
    // Without `.header(true)`, the sklearn-style first line is read as a sample.
    let error = Csv::new(&iris_path).classes::<f32, 4, 3>().unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(r#"{}:1:3: expected a number, found "setosa"{hint}"#, iris_path.display())
    );
    let error = Csv::new(&cancer_path).classes::<f32, 30, 2>().unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "{}:1: expected 31 fields (30 inputs and 1 class), found 4{hint}",
            cancer_path.display()
        )
    );
    // Widths that do not match the file.
    let error = Csv::new(&iris_path).header(true).classes::<f32, 3, 3>().unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("{}:2: expected 4 fields (3 inputs and 1 class), found 5", iris_path.display())
    );
    // Every row of the third class is bad: the first 20 are reported, one per line.
    let error = Csv::new(&iris_path).header(true).classes::<f32, 4, 2>().unwrap_err();
    let message = error.to_string();
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(lines.len(), 21, "{message}");
    for (i, line) in lines[..20].iter().enumerate() {
        let at = iris_path.display();
        assert_eq!(
            *line,
            format!(r#"{at}:{}:5: expected a class index 0 or 1, found "2""#, 102 + i)
        );
    }
    assert_eq!(lines[20], "stopped after 20 bad rows; raise the limit with `.max_errors(n)`");
    let DataError::Rows { errors, stopped: true } = error else {
        panic!("expected the bad rows, found {error:?}")
    };
    assert_eq!(errors.len(), 20);
    match errors.into_iter().next().unwrap() {
        DataError::Row { line, column, expected, found, help, .. } => {
            assert_eq!((line, column), (102, Some(5)));
            assert_eq!((expected.as_str(), found.as_str()), ("a class index 0 or 1", r#""2""#));
            assert_eq!(help, None);
        }
        other => panic!("expected a row error, found {other:?}"),
    }
}

/// A directory of this test process's own under the system's temporary directory.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("nn-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// Writes `text` to the file `name` in the directory and returns its path.
    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn each_kind_of_bad_row_in_a_file_gives_its_exact_error() {
    let dir = TempDir::new("bad-rows");
    // A header and ten good rows; the bad row is on line 12, unless it says otherwise.
    let good =
        "150,4,setosa,versicolor,virginica\n".to_string() + &"5.1,3.5,1.4,0.2,0\n".repeat(10);
    let cases = [
        ("abc", "5.1,3.5,abc,0.2,0", 12, r#":12:3: expected a number, found "abc""#),
        ("too-few", "5.1,3.5,1.4,0", 12, ":12: expected 5 fields (4 inputs and 1 class), found 4"),
        (
            "too-many",
            "5.1,3.5,1.4,0.2,0,1",
            12,
            ":12: expected 5 fields (4 inputs and 1 class), found 6",
        ),
        ("empty", "5.1,,1.4,0.2,0", 12, ":12:2: expected a number, found an empty field"),
        ("nan", "5.1,3.5,1.4,NaN,0", 12, r#":12:4: expected a finite number, found "NaN""#),
        ("inf", "inf,3.5,1.4,0.2,0", 12, r#":12:1: expected a finite number, found "inf""#),
        (
            "f32",
            "5.1,3.5,1e39,0.2,0",
            12,
            r#":12:3: expected a number within the range of f32, found "1e39""#,
        ),
        (
            "class",
            "5.1,3.5,1.4,0.2,3",
            40,
            r#":40:5: expected a class index from 0 to 2, found "3""#,
        ),
        (
            "fraction",
            "5.1,3.5,1.4,0.2,1.5",
            40,
            r#":40:5: expected a class index from 0 to 2, found "1.5""#,
        ),
        (
            "negative",
            "5.1,3.5,1.4,0.2,-1",
            40,
            r#":40:5: expected a class index from 0 to 2, found "-1""#,
        ),
        (
            "name",
            "5.1,3.5,1.4,0.2,setosa",
            40,
            r#":40:5: expected a class index from 0 to 2, found "setosa""#,
        ),
    ];
    for (name, bad, line, message) in cases {
        let before = good.clone() + &"6.3,3.3,6.0,2.5,2\n".repeat(line - 12);
        let path = dir.file(&format!("{name}.csv"), &format!("{before}{bad}\n{good}"));
        assert_eq!(iris_error(&path), format!("{}{message}", path.display()), "case {name}");
    }

    // A file that is missing, empty, or a header alone.
    let missing = dir.0.join("missing.csv");
    let os_error = std::fs::File::open(&missing).unwrap_err();
    let error = Csv::new(&missing).classes::<f32, 4, 3>().unwrap_err();
    assert_eq!(error.to_string(), format!("cannot read {}: {os_error}", missing.display()));
    assert!(error.to_string().contains("No such file or directory"));
    assert!(std::error::Error::source(&error).is_some());
    for (name, text) in [("blank", ""), ("header", "150,4,setosa,versicolor,virginica\n\n")] {
        let path = dir.file(&format!("{name}.csv"), text);
        assert_eq!(
            iris_error(&path),
            format!("{}: expected at least one sample, found none", path.display())
        );
    }
}

#[test]
fn bad_rows_in_text_name_the_input() {
    let error = Csv::from_text("1,2,0\n3,4,1\nx,5,1\n").classes::<f32, 2, 2>().unwrap_err();
    assert_eq!(error.to_string(), r#"<input>:3:1: expected a number, found "x""#);
    let error = Csv::from_text("1;2;0.5\n").delimiter(b';').values::<f64, 1, 1>().unwrap_err();
    assert_eq!(error.to_string(), "<input>:1: expected 2 fields (1 input and 1 target), found 3; if the first line is a header, skip it with `.header(true)`");
}

/// The iris classes, each sample's input its index in the file, to follow samples through a
/// split.
fn numbered_iris() -> Dataset<f64, 1, 3> {
    let data = iris::<f64>();
    let indices = (0..data.len()).map(|i| SVector::<f64, 1>::new(i as f64)).collect();
    Dataset::new(indices, data.targets).unwrap()
}

fn indices(data: &Dataset<f64, 1, 3>) -> Vec<usize> {
    data.inputs.iter().map(|x| x[0] as usize).collect()
}

#[test]
fn splits_are_sized_deterministic_and_disjoint() {
    let data = numbered_iris();
    let split = data.split(0.2, 0.2, 1);
    assert_eq!((split.train.len(), split.validation.len(), split.test.len()), (90, 30, 30));
    assert_eq!(split, data.split(0.2, 0.2, 1));
    assert_ne!(split.test, data.split(0.2, 0.2, 2).test);
    // Every sample is in exactly one part, with its own target.
    let mut all: Vec<usize> = [&split.train, &split.validation, &split.test]
        .into_iter()
        .flat_map(|part| {
            for (x, y) in part.inputs.iter().zip(&part.targets) {
                assert_eq!(y, &data.targets[x[0] as usize]);
            }
            indices(part)
        })
        .collect();
    all.sort_unstable();
    assert_eq!(all, (0..150).collect::<Vec<_>>());
    // Shuffled, not in file order.
    assert_ne!(indices(&split.train), {
        let mut sorted = indices(&split.train);
        sorted.sort_unstable();
        sorted
    });
    // The test part does not move when the validation fraction does.
    for validation in [0.0, 0.1, 0.35] {
        assert_eq!(data.split(validation, 0.2, 1).test, split.test);
        assert_eq!(
            data.split_stratified(validation, 0.2, 1).test,
            data.split_stratified(0.2, 0.2, 1).test
        );
    }
    // Rounding: 569 * 0.2 = 113.8 samples.
    let cancer = breast_cancer::<f32, 2>().split(0.2, 0.2, 1);
    assert_eq!((cancer.train.len(), cancer.validation.len(), cancer.test.len()), (341, 114, 114));
}

#[test]
fn stratified_splits_keep_the_class_shares() {
    let split = numbered_iris().split_stratified(0.2, 0.2, 1);
    assert_eq!(split.train.class_counts(), [30, 30, 30]);
    assert_eq!(split.validation.class_counts(), [10, 10, 10]);
    assert_eq!(split.test.class_counts(), [10, 10, 10]);
    let mut all: Vec<usize> =
        [&split.train, &split.validation, &split.test].into_iter().flat_map(indices).collect();
    all.sort_unstable();
    assert_eq!(all, (0..150).collect::<Vec<_>>());
    // Not grouped by class: the first ten test samples are not all of one class.
    let first: Vec<usize> = split.test.targets[..10].iter().map(|y| y.argmax().0).collect();
    assert!(first.iter().any(|&c| c != first[0]), "{first:?}");
    // 212 * 0.2 = 42.4 and 357 * 0.2 = 71.4, rounded per class.
    let cancer = breast_cancer::<f32, 1>().split_stratified(0.2, 0.2, 1);
    assert_eq!(cancer.test.class_counts(), [42, 71]);
    assert_eq!(cancer.validation.class_counts(), [42, 71]);
    assert_eq!(cancer.train.class_counts(), [128, 215]);
}

/// The mean and population standard deviation of each column.
fn column_stats<const I: usize, const O: usize>(data: &Dataset<f64, I, O>) -> Vec<(f64, f64)> {
    let n = data.len() as f64;
    (0..I)
        .map(|j| {
            let mean = data.inputs.iter().map(|x| x[j]).sum::<f64>() / n;
            let var = data.inputs.iter().map(|x| (x[j] - mean).powi(2)).sum::<f64>() / n;
            (mean, var.sqrt())
        })
        .collect()
}

#[test]
fn the_standardizer_is_fitted_on_the_training_part_only() {
    let data = breast_cancer::<f64, 2>();
    // The raw columns' means range from below 0.01 (fractal dimension) to 880 (worst area).
    let raw = column_stats(&data);
    assert!(raw.iter().any(|&(m, _)| m < 0.01) && raw.iter().any(|&(m, _)| m > 800.0));

    let mut split = data.split(0.2, 0.2, 1);
    let train_before = split.train.clone();
    let standardizer = split.standardize();
    assert_eq!(standardizer, Standardizer::fit(&train_before));
    assert_ne!(standardizer, Standardizer::fit(&data));
    for (j, (mean, std)) in column_stats(&split.train).into_iter().enumerate() {
        assert!(mean.abs() < 1e-12, "train column {j}: mean {mean}");
        assert!((std - 1.0).abs() < 1e-12, "train column {j}: std {std}");
    }
    // The other parts were moved by the training statistics: close to 0 and 1, not exactly.
    for part in [&split.validation, &split.test] {
        let stats = column_stats(part);
        assert!(stats.iter().all(|&(m, s)| m.abs() < 0.5 && (s - 1.0).abs() < 0.5));
        let worst_mean = stats.iter().map(|&(m, _)| m.abs()).fold(0.0, f64::max);
        let worst_std = stats.iter().map(|&(_, s)| (s - 1.0).abs()).fold(0.0, f64::max);
        assert!(worst_mean > 0.01 && worst_std > 0.01, "{worst_mean} {worst_std}");
    }
    assert_eq!(split.test.targets, data.split(0.2, 0.2, 1).test.targets);
    assert_eq!(standardizer.transform(&train_before.inputs[7]), split.train.inputs[7]);
}

/// Ten binary predictions, worked by hand: 4 true positives, 1 false positive, 2 false
/// negatives and 3 true negatives.
const BINARY: [(f64, f64); 10] = [
    (0.9, 1.0),  // TP
    (0.7, 1.0),  // TP
    (0.6, 1.0),  // TP
    (0.51, 1.0), // TP
    (0.8, 0.0),  // FP
    (0.4, 1.0),  // FN
    (0.5, 1.0),  // FN: 0.5 is not above the threshold
    (0.1, 0.0),  // TN
    (0.2, 0.0),  // TN
    (0.3, 0.0),  // TN
];

#[test]
fn binary_metrics_against_a_worked_example() {
    let p: Vec<SVector<f64, 1>> = BINARY.iter().map(|&(p, _)| SVector::<f64, 1>::new(p)).collect();
    let y: Vec<SVector<f64, 1>> = BINARY.iter().map(|&(_, y)| SVector::<f64, 1>::new(y)).collect();
    assert_eq!(accuracy(&p, &y), 0.7);
    let matrix = ConfusionMatrix::from_predictions(&p, &y);
    assert_eq!([matrix.count(0, 0), matrix.count(0, 1)], [3, 1]);
    assert_eq!([matrix.count(1, 0), matrix.count(1, 1)], [2, 4]);
    assert_eq!(matrix.to_string(), "        predicted\nactual  0  1\n     0  3  1\n     1  2  4");
    assert_eq!(matrix.accuracy(), 0.7);
    assert_eq!(matrix.precision(), 0.8); // 4 / (4 + 1)
    assert_eq!(matrix.recall(), 4.0 / 6.0); // 4 / (4 + 2)
    assert_eq!(matrix.f1(), 8.0 / 11.0); // 2 * 4 / (2 * 4 + 1 + 2)
    let harmonic = 2.0 * 0.8 * (4.0 / 6.0) / (0.8 + 4.0 / 6.0);
    assert!((matrix.f1() - harmonic).abs() < 1e-15);
    // The negative class, 0, seen from its side.
    assert_eq!(matrix.class_precision(0), 0.6); // 3 / (3 + 2)
    assert_eq!(matrix.class_recall(0), 0.75); // 3 / (3 + 1)

    // The same samples as two softmax outputs and one-hot targets give the same matrix.
    let p2: Vec<SVector<f64, 2>> =
        BINARY.iter().map(|&(p, _)| SVector::<f64, 2>::new(0.5, p)).collect();
    let y2: Vec<SVector<f64, 2>> =
        BINARY.iter().map(|&(_, y)| SVector::<f64, 2>::new(1.0 - y, y)).collect();
    let matrix2 = ConfusionMatrix::from_predictions(&p2, &y2);
    assert_eq!(matrix2.to_string(), matrix.to_string());
    assert_eq!((matrix2.precision(), matrix2.recall()), (matrix.precision(), matrix.recall()));
    assert_eq!(accuracy(&p2, &y2), 0.7);
}

#[test]
fn multiclass_metrics_against_a_worked_example() {
    // (actual, predicted) of twelve samples among three classes.
    let pairs = [
        (0, 0),
        (0, 0),
        (0, 0),
        (0, 1),
        (1, 1),
        (1, 1),
        (1, 2),
        (2, 2),
        (2, 2),
        (2, 2),
        (2, 0),
        (2, 1),
    ];
    let one_hot = |c: usize| nn::loss::one_hot::<f32, 3>(c).unwrap();
    let y: Vec<_> = pairs.iter().map(|&(a, _)| one_hot(a)).collect();
    let p: Vec<_> = pairs.iter().map(|&(_, q)| one_hot(q) * 0.6 + SVector::repeat(0.1)).collect();
    let matrix = ConfusionMatrix::from_predictions(&p, &y);
    assert_eq!(
        matrix.to_string(),
        "        predicted\nactual  0  1  2\n     0  3  1  0\n     1  0  2  1\n     2  1  1  3"
    );
    assert_eq!(matrix.accuracy(), 8.0 / 12.0);
    assert_eq!(accuracy(&p, &y), 8.0 / 12.0);
    // Precision: the diagonal over each column (4, 4, 4); recall: over each row (4, 3, 5).
    assert_eq!([0, 1, 2].map(|c| matrix.class_precision(c)), [0.75, 0.5, 0.75]);
    assert_eq!([0, 1, 2].map(|c| matrix.class_recall(c)), [0.75, 2.0 / 3.0, 0.6]);
    assert_eq!(matrix.class_f1(2), 6.0 / 9.0);
    assert_eq!(matrix.samples(), 12);
}

#[test]
fn string_labels_are_encoded_by_a_recorded_map() {
    let train = "1,2,spam\n3,4,ham\n5,6,spam\n";
    let (data, labels) = Csv::from_text(train).labels::<f64, 2, 2>().unwrap();
    assert_eq!(labels, Labels { names: vec!["ham".into(), "spam".into()] });
    assert_eq!(data.class_counts(), [1, 2]);
    assert_eq!(data.targets[1].as_slice(), &[1.0, 0.0]);
    // One output: the 0/1 class, by the same sorted order.
    let (binary, _) = Csv::from_text(train).labels::<f64, 2, 1>().unwrap();
    assert_eq!(binary.targets.iter().map(|y| y[0]).collect::<Vec<_>>(), [1.0, 0.0, 1.0]);
    // The map saved beside the network reads a test file with the same classes.
    let dir = TempDir::new("labels");
    let path = dir.0.join("labels.txt");
    labels.save(&path).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "nn labels 1\nham\nspam\n");
    let loaded = Labels::load(&path).unwrap();
    let test = Csv::from_text("7,8,ham\n").classes_with_labels::<f64, 2, 2>(&loaded).unwrap();
    assert_eq!(test.targets[0].as_slice(), &[1.0, 0.0]);
    let error = Csv::from_text("7,8,eggs\n").classes_with_labels::<f64, 2, 2>(&loaded);
    assert_eq!(
        error.unwrap_err().to_string(),
        r#"<input>:1:3: expected one of the labels "ham", "spam", found "eggs""#
    );
    // More labels than classes.
    let error = Csv::from_text("1,a\n2,b\n3,c\n").labels::<f64, 1, 2>().unwrap_err();
    assert_eq!(
        error.to_string(),
        r#"<input>: found 3 labels ("a", "b", "c"), but the targets hold 2 classes"#
    );
    let error = Csv::from_text("1,\n").labels::<f64, 1, 2>().unwrap_err();
    assert_eq!(
        error.to_string(),
        "<input>:1:2: expected a label on one line, found an empty field"
    );
    std::fs::write(&path, "ham\n").unwrap();
    assert!(Labels::load(&path).unwrap_err().to_string().contains("not a labels file"));
}

#[test]
fn missing_values_follow_the_policy() {
    let text = "0,0,0\n1,?,0\n3,4,1\n5,N/A,1\n2,6,NA\n";
    // By default the first missing value is an error with its row and column, and every bad
    // row is reported.
    let error = Csv::from_text(text).classes::<f64, 2, 2>().unwrap_err().to_string();
    assert_eq!(
        error,
        "<input>:2:2: expected a number, found \"?\"\n\
         <input>:4:2: expected a number, found \"N/A\"\n\
         <input>:5:3: expected a class index 0 or 1, found \"NA\""
    );
    let read = |policy| Csv::from_text(text).missing(policy).classes::<f64, 2, 2>();
    let dropped = read(Missing::Drop).unwrap();
    assert_eq!(dropped.inputs, [SVector::from([0.0, 0.0]), SVector::from([3.0, 4.0])]);
    // A missing target is never filled in.
    let error = read(Missing::Mean).unwrap_err().to_string();
    assert_eq!(error, r#"<input>:5:3: expected a class index 0 or 1, found "NA""#);
    let values = "1,?,0.5\n3,4,1\n5,N/A,1\n";
    let read = |policy| Csv::from_text(values).missing(policy).values::<f64, 2, 1>();
    let mean = read(Missing::Mean).unwrap();
    assert_eq!(mean.inputs.iter().map(|x| x[1]).collect::<Vec<_>>(), [4.0, 4.0, 4.0]);
    let zero = read(Missing::Value(-1.0)).unwrap();
    assert_eq!(zero.inputs.iter().map(|x| x[1]).collect::<Vec<_>>(), [-1.0, 4.0, -1.0]);
    let error = read(Missing::Value(f64::NAN)).unwrap_err();
    assert!(matches!(error, DataError::NotFinite { row: 0, column: 1, .. }), "{error}");
}
