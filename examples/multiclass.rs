//! Multiclass classification (section 4.3.2): a softmax output layer gives one probability per
//! class, and training minimises the cross-entropy between it and the one-hot target.
//!
//! Two real data sets from `data/`, each split by class (seed 1) into training, validation and
//! test parts, standardised with the statistics of the training part alone, and trained with
//! Adam by `nn::train::Trainer`, which stops early when the validation loss has not improved
//! for a while and gives back the network of the best epoch:
//!
//! - iris (`data/iris.csv`): 150 flowers, 4 measurements, 3 species; a 4-16-3 network (tanh,
//!   `l2: 1e-3`, the network `tests/datasets.rs` chose on validation splits), mini-batches of 8;
//! - digits (`data/digits.csv`): 1797 images of 8x8 pixels, 10 digits; a 64-128-64-10 relu
//!   network with Adam at 0.003 and mini-batches of 32, the settings `tests/datasets.rs` chose
//!   on the validation part.
//!
//! Look for, in the output:
//! - each data set's training and validation loss, epoch by epoch, in the plot (log scale):
//!   both fall together at first, then the validation loss levels off (digits, after a few
//!   epochs) or drifts up (iris, after about 15) while the training loss keeps falling, by
//!   three orders of magnitude for digits. Early stopping waits a while for an improvement,
//!   stops, and keeps the epoch of the lowest validation loss (the black dot);
//! - the test accuracy and the confusion matrix, rows the actual class and columns the
//!   predicted one: iris's errors, if any, are between versicolor (1) and virginica (2), the
//!   two species that overlap (setosa, 0, is linearly separable); digits' few errors are
//!   scattered off the diagonal of a 10x10 table;
//! - iris's test accuracy is measured on 30 flowers only, so one error moves it by 3.3
//!   points; `tests/datasets.rs` measures iris by cross-validation instead, for this reason.
//!
//! On a terminal, the Trainer's progress bar (its default) shows each epoch as it runs; in a
//! pipe it stays hidden.
//!
//! ```text
//! cargo run --release --example multiclass
//! ```
//!
//! The loss curves of both, one panel each, go to `target/plots/multiclass/loss.png` (or under
//! `$NN_PLOTS`).

#[path = "common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};

use nn::data::{Csv, Dataset, Split};
use nn::metrics::ConfusionMatrix;
use nn::nalgebra::SVector;
use nn::train::{History, Monitor, Trainer};
use nn::{network, Adam, Model};
use plotters::prelude::*;

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
    /// The digit in an 8x8 image.
    struct Digits {
        input: 64,
        hidden1: dense(128) -> relu,
        hidden2: dense(64) -> relu,
        output: dense(10) -> softmax,
        loss: cross_entropy,
    }
}

/// `data/<name>` in this repository.
fn data_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(name)
}

/// Splits `data` by class (seed 1) and standardises it with the training part's statistics.
fn prepare<const I: usize, const O: usize>(
    name: &str,
    data: &Dataset<f32, I, O>,
    validation: f64,
    test: f64,
) -> Split<f32, I, O> {
    let mut split = data.split_stratified(validation, test, 1);
    split.standardize();
    println!(
        "{name}: {} samples; training {}, validation {}, test {}",
        data.len(),
        split.train.len(),
        split.validation.len(),
        split.test.len()
    );
    split
}

/// Prints what training did and the test part's confusion matrix; returns the test accuracy.
fn report<N: Model<f32, I, O>, const I: usize, const O: usize>(
    name: &str,
    net: &N,
    split: &Split<f32, I, O>,
    history: &History,
) -> f64 {
    let best = &history.epochs[history.best.expect("early stopping records its best epoch")];
    let first = &history.epochs[0];
    let last = history.epochs.last().expect("at least one epoch");
    println!(
        "{name}: {} epochs ({}); training loss {:.4} -> {:.4}, validation loss {:.4} -> {:.4}",
        history.epochs.len(),
        if history.stopped_early { "stopped early" } else { "every epoch" },
        first.train_loss,
        last.train_loss,
        first.validation_loss.unwrap_or(f64::NAN),
        last.validation_loss.unwrap_or(f64::NAN),
    );
    println!(
        "{name}: kept epoch {}: validation loss {:.4}, validation accuracy {:.1}%",
        best.epoch,
        best.validation_loss.unwrap_or(f64::NAN),
        100.0 * best.validation_accuracy.unwrap_or(f64::NAN),
    );
    let predictions: Vec<SVector<f32, O>> =
        split.test.inputs.iter().map(|x| net.forward(x)).collect();
    let matrix = ConfusionMatrix::from_predictions(&predictions, &split.test.targets);
    let errors = split.test.len() - (matrix.accuracy() * split.test.len() as f64).round() as usize;
    println!(
        "{name}: test accuracy {:.1}% ({errors} wrong of {})\n{matrix}\n",
        100.0 * matrix.accuracy(),
        split.test.len()
    );
    matrix.accuracy()
}

fn main() {
    let quick = common::quick();

    // Iris: 150 flowers, 30 each for validation and test (10 of each species).
    let iris: Dataset<f32, 4, 3> = Csv::new(data_file("iris.csv")).header(true).classes().unwrap();
    let iris_split = prepare("iris", &iris, 0.2, 0.2);
    let (epochs, patience) = if quick { (60, 15) } else { (500, 30) };
    let mut iris_net = Iris::<f32>::seeded(1);
    let iris_history = Trainer::<f32, 8>::new(epochs)
        .seed(1)
        .early_stopping(Monitor::ValidationLoss, patience, 0.0)
        .fit(&mut iris_net, &mut Adam::new(0.01), &iris_split.train, Some(&iris_split.validation))
        .expect("iris training diverged");
    let iris_accuracy = report("iris", &iris_net, &iris_split, &iris_history);

    // Digits: 1797 images; 1078 for training, 359 each for validation and test.
    let digits: Dataset<f32, 64, 10> = Csv::new(data_file("digits.csv")).classes().unwrap();
    let digits_split = prepare("digits", &digits, 0.2, 0.2);
    let (epochs, patience) = if quick { (8, 3) } else { (100, 10) };
    let mut digits_net = Digits::<f32>::seeded(1);
    let digits_history = Trainer::<f32, 32>::new(epochs)
        .seed(1)
        .early_stopping(Monitor::ValidationLoss, patience, 0.0)
        .fit(
            &mut digits_net,
            &mut Adam::new(0.003),
            &digits_split.train,
            Some(&digits_split.validation),
        )
        .expect("digits training diverged");
    let digits_accuracy = report("digits", &digits_net, &digits_split, &digits_history);

    common::use_font();
    let plot = common::plot_dir("multiclass").join("loss.png");
    let root = BitMapBackend::new(&plot, (800, 380)).into_drawing_area();
    root.fill(&WHITE).unwrap();
    let (left, right) = root.split_horizontally(400);
    common::draw_losses(&left, "Iris, 4-16-3", "mean cross-entropy", &iris_history);
    common::draw_losses(&right, "Digits, 64-128-64-10", "mean cross-entropy", &digits_history);
    root.present().unwrap();
    println!("plot: {}", plot.display());

    // Iris's bar is lower than digits' because its test part holds 30 flowers: one error costs
    // 3.3 points, and over split seeds 1 to 10 a similar network scored 84% to 98% on a single
    // split (tests/datasets.rs). 85% allows four errors in thirty, so a working network passes
    // whatever split it gets while one that learnt nothing (33%) or only setosa (67%) fails.
    // Digits' 359 test images measure accuracy to about a point, so 95% is asked of it (the
    // full run scores 95.8%). The quick run trains digits for at most 8 epochs with patience 3
    // and is held to 93% (it scores 95.3%, too close to 95% to promise it).
    assert!(iris_accuracy >= 0.85, "iris test accuracy {iris_accuracy}");
    let digits_bar = if quick { 0.93 } else { 0.95 };
    assert!(digits_accuracy >= digits_bar, "digits test accuracy {digits_accuracy}");
}

#[cfg(test)]
mod tests {
    #[test]
    fn runs_briefly() {
        super::main()
    }
}
