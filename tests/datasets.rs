//! Small networks trained by [`Trainer`] on the three real data sets in `data/` reach at least
//! 95% accuracy on samples held out from training and from every choice made.
//!
//! Breast cancer and digits are split by class (`split_stratified`, seed 1) into training (60%),
//! validation (20%) and test (20%) parts, standardised with statistics of the training part
//! only, and trained with Adam in mini-batches, stopping early when the validation loss has not
//! improved for a while (the network of the best epoch is kept). Adam's learning rate was
//! chosen from {0.001, 0.003, 0.01, 0.03} on the validation parts only, each trained from four
//! initialisations (seeds 1 to 4; two for digits). Mean validation accuracies:
//!
//! | data set (validation samples) | 0.001 | 0.003 | 0.01 | 0.03 |
//! |---|---|---|---|---|
//! | breast cancer, 30-16-1 relu, batch 16 (113) | 96.2% | 96.2% | 96.9% | **97.1%** |
//! | digits, 64-128-64-10 relu, batch 32 (359) | 96.9% | **97.4%** | 96.1% | |
//!
//! The test parts were then used once, with the choices in bold.
//!
//! Iris has 150 samples, too few for one test part to measure 95%: the same protocol
//! (a 4-16-3 relu network, validation 20%, test 30%, 75 training samples) scored 88.9% on its
//! 45 test samples, and 84% to 98% (mean 92%) over split seeds 1 to 10, while a
//! nearest-centroid classifier scored 71% to 96%. Iris is therefore measured by nested,
//! stratified 5-fold cross-validation: every sample is predicted once by a network that never
//! saw it, and each fold chooses its learning rate on validation splits of its own training
//! folds. The network (16 tanh units, `l2: 1e-3`) was chosen over relu, 32 units, no penalty
//! and a linear model by the mean accuracy over eight validation splits of 120 samples.
use std::path::{Path, PathBuf};

use nn::data::{Csv, Dataset, Split, Standardizer};
use nn::metrics::{accuracy, class_of, ConfusionMatrix};
use nn::rand::seq::SliceRandom;
use nn::rand::SeedableRng;
use nn::train::{History, Monitor, Trainer};
use nn::{network, Adam, Model};
use rand_chacha::ChaCha8Rng;

/// `data/<name>` in this package.
fn data_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(name)
}

network! {
    /// Iris species from four measurements of the flower.
    struct Iris {
        input: 4,
        hidden: dense(16) -> tanh,
        output: dense(3) -> softmax,
        loss: cross_entropy,
        l2: 1e-3,
    }
}

network! {
    /// Malignant (0) or benign (1), from thirty measurements of cell nuclei.
    struct Cancer {
        input: 30,
        hidden: dense(16) -> relu,
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

network! {
    /// The digit in an 8x8 image.
    struct Digits {
        input: 64,
        hidden1: dense(128) -> relu,
        hidden2: dense(64) -> relu,
        output: dense(10) -> softmax,
        loss: cross_entropy,
    }
}

/// Splits (validation `validation`, test `test`, by class, seed 1) and standardises.
fn prepare<const I: usize, const O: usize>(
    data: Dataset<f32, I, O>,
    validation: f64,
    test: f64,
) -> Split<f32, I, O> {
    let mut split = data.split_stratified(validation, test, 1);
    split.standardize();
    split
}

fn predictions<N: Model<f32, I, O>, const I: usize, const O: usize>(
    net: &N,
    data: &Dataset<f32, I, O>,
) -> Vec<nn::nalgebra::SVector<f32, O>> {
    data.inputs.iter().map(|x| net.forward(x)).collect()
}

/// Prints what training did and the test part's confusion matrix; returns the test accuracy.
fn report<N: Model<f32, I, O>, const I: usize, const O: usize>(
    name: &str,
    net: &N,
    split: &Split<f32, I, O>,
    history: &History,
) -> f64 {
    let best = &history.epochs[history.best.expect("early stopping records the best epoch")];
    let test = predictions(net, &split.test);
    let matrix = ConfusionMatrix::from_predictions(&test, &split.test.targets);
    let seconds: f64 = history.epochs.iter().map(|e| e.seconds).sum();
    println!(
        "{name}: {} epochs in {seconds:.2} s, best epoch {} (validation loss {:.4}, accuracy {:.1}%), test accuracy {:.1}% of {}\n{matrix}",
        history.epochs.len(),
        best.epoch,
        best.validation_loss.unwrap_or(f64::NAN),
        100.0 * best.validation_accuracy.unwrap_or(f64::NAN),
        100.0 * matrix.accuracy(),
        split.test.len(),
    );
    accuracy(&test, &split.test.targets)
}

/// The learning rates each iris fold chooses from.
const IRIS_RATES: [f32; 3] = [0.003, 0.01, 0.03];

/// An iris network trained on `train`, stopping early on `validation`, both standardised with
/// the statistics of `train`; returns it with the standardiser.
fn train_iris(
    train: &Dataset<f32, 4, 3>,
    validation: &Dataset<f32, 4, 3>,
    rate: f32,
    seed: u64,
) -> (Iris<f32>, Standardizer<f32, 4>) {
    let standardizer = Standardizer::fit(train);
    let (mut train, mut validation) = (train.clone(), validation.clone());
    standardizer.apply(&mut train);
    standardizer.apply(&mut validation);
    let mut net = Iris::<f32>::seeded(seed);
    Trainer::<f32, 8>::new(500)
        .seed(seed)
        .progress(false)
        .early_stopping(Monitor::ValidationLoss, 30, 0.0)
        .fit(&mut net, &mut Adam::new(rate), &train, Some(&validation))
        .unwrap();
    (net, standardizer)
}

/// The sample indices of `data` dealt into `k` folds class by class, in an order shuffled by
/// `seed`, so that every fold holds each class in proportion.
fn stratified_folds<const I: usize, const O: usize>(
    data: &Dataset<f32, I, O>,
    k: usize,
    seed: u64,
) -> Vec<Vec<usize>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut folds = vec![Vec::new(); k];
    let mut next = 0;
    for class in 0..O {
        let mut members: Vec<usize> =
            (0..data.len()).filter(|&i| class_of(&data.targets[i]) == Some(class)).collect();
        members.shuffle(&mut rng);
        for i in members {
            folds[next % k].push(i);
            next += 1;
        }
    }
    folds
}

#[test]
fn iris_reaches_95_percent() {
    let data: Dataset<f32, 4, 3> = Csv::new(data_file("iris.csv")).header(true).classes().unwrap();
    let folds = stratified_folds(&data, 5, 1);
    let (mut predicted, mut actual) = (Vec::new(), Vec::new());
    for (f, fold) in folds.iter().enumerate() {
        let rest: Vec<usize> = folds
            .iter()
            .enumerate()
            .filter(|&(g, _)| g != f)
            .flat_map(|(_, g)| g.clone())
            .collect();
        let pool = data.subset(&rest).unwrap();
        // The learning rate with the best mean accuracy over four validation splits of the
        // training folds; the held-out fold plays no part.
        let score = |rate: f32| -> f64 {
            (1..=4)
                .map(|seed| {
                    let split = pool.split_stratified(0.25, 0.0, seed);
                    let (net, standardizer) =
                        train_iris(&split.train, &split.validation, rate, seed);
                    let mut validation = split.validation.clone();
                    standardizer.apply(&mut validation);
                    accuracy(&predictions(&net, &validation), &validation.targets)
                })
                .sum::<f64>()
                / 4.0
        };
        let scores = IRIS_RATES.map(score);
        let best = (0..IRIS_RATES.len()).fold(0, |b, i| if scores[i] > scores[b] { i } else { b });
        let split = pool.split_stratified(0.25, 0.0, 0);
        let (net, standardizer) = train_iris(&split.train, &split.validation, IRIS_RATES[best], 1);
        let mut test = data.subset(fold).unwrap();
        standardizer.apply(&mut test);
        let fold_accuracy = accuracy(&predictions(&net, &test), &test.targets);
        println!(
            "iris fold {}: validation accuracies {scores:.3?} for rates {IRIS_RATES:?}; rate {} scores {:.1}% on its {} held-out samples",
            f + 1,
            IRIS_RATES[best],
            100.0 * fold_accuracy,
            test.len()
        );
        predicted.extend(predictions(&net, &test));
        actual.extend(test.targets);
    }
    let matrix = ConfusionMatrix::from_predictions(&predicted, &actual);
    let cross_validated = accuracy(&predicted, &actual);
    println!(
        "iris: {:.1}% of {} samples, each held out once\n{matrix}",
        100.0 * cross_validated,
        actual.len()
    );
    assert_eq!(actual.len(), 150);
    assert!(cross_validated >= 0.95, "iris cross-validated accuracy {cross_validated}");
}

#[test]
fn breast_cancer_reaches_95_percent() {
    let data = Csv::new(data_file("breast_cancer.csv")).header(true).classes().unwrap();
    let split = prepare(data, 0.2, 0.2);
    let mut net = Cancer::<f32>::seeded(1);
    let history = Trainer::<f32, 16>::new(200)
        .seed(1)
        .early_stopping(Monitor::ValidationLoss, 20, 0.0)
        .fit(&mut net, &mut Adam::new(0.03), &split.train, Some(&split.validation))
        .unwrap();
    let test = report("breast cancer", &net, &split, &history);
    assert!(test >= 0.95, "breast cancer test accuracy {test}");
}

#[test]
fn digits_reach_95_percent() {
    let data = Csv::new(data_file("digits.csv")).classes().unwrap();
    let split = prepare(data, 0.2, 0.2);
    let mut net = Digits::<f32>::seeded(1);
    let history = Trainer::<f32, 32>::new(100)
        .seed(1)
        .early_stopping(Monitor::ValidationLoss, 10, 0.0)
        .fit(&mut net, &mut Adam::new(0.003), &split.train, Some(&split.validation))
        .unwrap();
    let test = report("digits", &net, &split, &history);
    assert!(test >= 0.95, "digits test accuracy {test}");
}
