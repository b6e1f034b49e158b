//! Binary classification (section 4.3.2): one sigmoid output read as the probability of the
//! positive class, trained by minimising the binary cross-entropy.
//!
//! The Wisconsin breast cancer data (`data/breast_cancer.csv`: 569 patients, 30 measurements
//! of cell nuclei, class 0 malignant, 1 benign) is split by class into training (60%),
//! validation (20%) and test (20%) parts, standardised with the mean and standard deviation of
//! the training part alone, and a 30-16-1 network (relu, then sigmoid) is trained with Adam in
//! mini-batches of 16 by `nn::train::Trainer`. Early stopping watches the validation loss and
//! gives back the network of its best epoch. The settings are those of `tests/datasets.rs`,
//! chosen there on the validation part only; the test part is used once, at the end.
//!
//! Look for, in the output:
//! - the training loss falling by two orders of magnitude while the validation loss is lowest
//!   after the very first epoch (Adam at 0.03 on 343 samples learns fast) and then climbs:
//!   the network goes on fitting the training part's noise, which is what early stopping is
//!   for. It waits `patience` epochs for an improvement, then hands back the epoch-1 network;
//! - the test accuracy (99.1% with these seeds; tests/datasets.rs chose the settings for about
//!   97% on validation), the 2x2 confusion matrix (rows the actual class, columns the
//!   predicted one) and the precision, recall and F1 score. Class 1, the positive class of
//!   `precision()` and `recall()`, is *benign*; the recall of class 0, printed beside them, is
//!   the share of malignant tumours caught, the number a clinician would ask for first;
//! - the network's summary table: its layers, widths and 513 parameters.
//!
//! The epoch table is printed after training; on a terminal the Trainer's progress bar (its
//! default) also shows each epoch as it runs.
//!
//! ```text
//! cargo run --release --example binary_classification
//! ```
//!
//! The loss curves go to `target/plots/binary_classification/loss.png` (or under `$NN_PLOTS`).

#[path = "common/mod.rs"]
mod common;

use std::path::Path;

use nn::data::{Csv, Dataset};
use nn::metrics::ConfusionMatrix;
use nn::nalgebra::SVector;
use nn::train::{Monitor, Trainer};
use nn::{network, Adam, Network};
use plotters::prelude::*;

network! {
    /// Malignant (0) or benign (1), from thirty measurements of cell nuclei.
    struct Cancer {
        input: 30,
        hidden: dense(16) -> relu,
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {
    let quick = common::quick();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join("breast_cancer.csv");
    // The first line is scikit-learn's header; with one output a 0/1 class stays the target.
    let data: Dataset<f32, 30, 1> = Csv::new(&path).header(true).classes().unwrap();

    // Split by class (seed 1), then standardise all parts with the training part's statistics:
    // the columns' scales differ by five orders of magnitude.
    let mut split = data.split_stratified(0.2, 0.2, 1);
    split.standardize();
    let counts = |d: &Dataset<f32, 30, 1>| d.class_counts();
    println!(
        "breast cancer: {} patients; training {} {:?}, validation {} {:?}, test {} {:?} \
         (malignant, benign)",
        data.len(),
        split.train.len(),
        counts(&split.train),
        split.validation.len(),
        counts(&split.validation),
        split.test.len(),
        counts(&split.test),
    );

    // The quick run (tests) allows fewer epochs and gives up sooner; it still stops early.
    let (epochs, patience) = if quick { (40, 10) } else { (200, 20) };
    let mut net = Cancer::<f32>::seeded(1);
    let history = Trainer::<f32, 16>::new(epochs)
        .seed(1)
        .early_stopping(Monitor::ValidationLoss, patience, 0.0)
        .fit(&mut net, &mut Adam::new(0.03), &split.train, Some(&split.validation))
        .expect("training diverged");

    println!(
        "\n{:>5}  {:>10}  {:>15}  {:>19}",
        "epoch", "train loss", "validation loss", "validation accuracy"
    );
    for e in &history.epochs {
        println!(
            "{:>5}  {:>10.4}  {:>15.4}  {:>18.1}%",
            e.epoch,
            e.train_loss,
            e.validation_loss.unwrap_or(f64::NAN),
            100.0 * e.validation_accuracy.unwrap_or(f64::NAN),
        );
    }
    let best = &history.epochs[history.best.expect("early stopping records its best epoch")];
    println!(
        "{} after {} epochs; kept the network of epoch {} (validation loss {:.4})",
        if history.stopped_early { "stopped early" } else { "ran every epoch" },
        history.epochs.len(),
        best.epoch,
        best.validation_loss.unwrap_or(f64::NAN),
    );

    // The test part, once: predictions are probabilities of class 1, read as class 1 above 0.5.
    let predictions: Vec<SVector<f32, 1>> =
        split.test.inputs.iter().map(|x| net.forward(x)).collect();
    let matrix = ConfusionMatrix::from_predictions(&predictions, &split.test.targets);
    let accuracy = matrix.accuracy();
    println!("\ntest accuracy {:.1}% of {} patients\n{matrix}", 100.0 * accuracy, split.test.len());
    println!(
        "benign (class 1): precision {:.3}, recall {:.3}, F1 {:.3}",
        matrix.precision(),
        matrix.recall(),
        matrix.f1()
    );
    println!(
        "malignant (class 0): precision {:.3}, recall {:.3}, F1 {:.3}\n",
        matrix.class_precision(0),
        matrix.class_recall(0),
        matrix.class_f1(0)
    );
    net.summary();

    common::use_font();
    let plot = common::plot_dir("binary_classification").join("loss.png");
    let root = BitMapBackend::new(&plot, (640, 400)).into_drawing_area();
    root.fill(&WHITE).unwrap();
    common::draw_losses(&root, "Breast cancer, 30-16-1", "mean binary cross-entropy", &history);
    root.present().unwrap();
    println!("\nplot: {}", plot.display());

    // The claims above. The quick run trains for at most 40 epochs, enough here: early
    // stopping ends the full run within a few dozen epochs too, so both must reach 95%.
    assert!(history.stopped_early, "the validation loss should stop improving");
    assert!(accuracy >= 0.95, "breast cancer test accuracy {accuracy}");
    assert_eq!(Cancer::<f32>::summary_table().params(), 30 * 16 + 16 + 16 + 1);
}

#[cfg(test)]
mod tests {
    #[test]
    fn runs_briefly() {
        super::main()
    }
}
