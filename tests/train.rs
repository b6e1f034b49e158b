//! The trainer's contract: deterministic by seed, schedules, early stopping that keeps the best
//! network, divergence reported with its epoch and batch, and errors for unusable settings.

use nn::data::Dataset;
use nn::nalgebra::SVector;
use nn::optim::Schedule;
use nn::train::{Monitor, TrainError, Trainer};
use nn::{network, Adam, Network, Sgd};

network! {
    struct Line {
        input: 1,
        output: dense(1),
        loss: mse,
    }
}

network! {
    struct Xor {
        input: 2,
        hidden: dense(8) -> tanh -> dropout(0.1),
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

/// `y = 3x - 1` at 40 points of `[-2, 2]`.
fn line() -> Dataset<f64, 1, 1> {
    let xs: Vec<f64> = (0..40).map(|i| -2.0 + 4.0 * i as f64 / 39.0).collect();
    Dataset::new(
        xs.iter().map(|&x| SVector::from([x])).collect(),
        xs.iter().map(|&x| SVector::from([3.0 * x - 1.0])).collect(),
    )
    .unwrap()
}

fn xor() -> Dataset<f32, 2, 1> {
    let x = |a: f32, b: f32| SVector::from([a, b]);
    let y = |c: f32| SVector::from([c]);
    Dataset::new(
        [x(0.0, 0.0), x(0.0, 1.0), x(1.0, 0.0), x(1.0, 1.0)].repeat(8),
        [y(0.0), y(1.0), y(1.0), y(0.0)].repeat(8),
    )
    .unwrap()
}

#[test]
fn training_fits_a_line_and_records_every_epoch() {
    let mut net = Line::<f64>::seeded(1);
    let mut seen = Vec::new();
    let history = Trainer::<f64, 8>::new(200)
        .progress(false)
        .fit_with(&mut net, &mut Sgd::new(0.1), &line(), Some(&line()), |e| seen.push(e.epoch))
        .unwrap();
    assert_eq!(seen, (1..=200).collect::<Vec<_>>());
    assert_eq!(history.epochs.len(), 200);
    assert!(!history.stopped_early);
    assert!((net.output.weight[0] - 3.0).abs() < 1e-6, "{}", net.output.weight[0]);
    assert!((net.output.bias[0] + 1.0).abs() < 1e-6, "{}", net.output.bias[0]);
    let last = history.epochs.last().unwrap();
    assert!(last.validation_loss.unwrap() < 1e-12);
    // A regression target is not a class: no accuracy.
    assert_eq!(last.validation_accuracy, None);
    assert!(last.samples_per_second > 0.0);
}

#[test]
fn the_same_seed_gives_the_same_run() {
    let run = |seed: u64| {
        let mut net = Xor::<f32>::seeded(1);
        let history = Trainer::<f32, 4>::new(20)
            .seed(seed)
            .progress(false)
            .fit(&mut net, &mut Adam::new(0.05), &xor(), Some(&xor()))
            .unwrap();
        let losses: Vec<f64> = history.epochs.iter().map(|e| e.train_loss).collect();
        (net, losses)
    };
    assert_eq!(run(7), run(7));
    // Another seed shuffles, and draws dropout masks, differently.
    assert_ne!(run(7).1, run(8).1);
}

#[test]
fn the_schedule_sets_each_epochs_learning_rate() {
    let mut net = Line::<f64>::seeded(1);
    let history = Trainer::<f64, 8>::new(6)
        .progress(false)
        .schedule(Schedule::Step { every: 2, gamma: 0.5 })
        .fit(&mut net, &mut Sgd::new(0.1), &line(), None)
        .unwrap();
    let rates: Vec<f64> = history.epochs.iter().map(|e| e.learning_rate).collect();
    assert_eq!(rates, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
}

#[test]
fn early_stopping_keeps_the_best_network() {
    // Training on one half and validating on a contradicting half: the validation loss is
    // best early and then only grows, so training stops `patience` epochs after its best.
    let train = line();
    let mut contradicting = line();
    for y in &mut contradicting.targets {
        y[0] = -y[0];
    }
    let mut net = Line::<f64>::seeded(1);
    let mut snapshots = Vec::new();
    let history = Trainer::<f64, 8>::new(100)
        .progress(false)
        .early_stopping(Monitor::ValidationLoss, 3, 0.0)
        .fit_with(&mut net, &mut Sgd::new(0.05), &train, Some(&contradicting), |e| {
            snapshots.push(e.validation_loss.unwrap())
        })
        .unwrap();
    assert!(history.stopped_early);
    let best = history.best.unwrap();
    assert_eq!(history.epochs.len(), best + 1 + 3, "stops 3 epochs after the best");
    let best_loss = snapshots.iter().cloned().fold(f64::INFINITY, f64::min);
    assert_eq!(snapshots[best], best_loss);
    // The network given back is the best epoch's: its validation loss is the best one seen.
    let mean: f64 = contradicting
        .inputs
        .iter()
        .zip(&contradicting.targets)
        .map(|(x, y)| net.loss(x, y))
        .sum::<f64>()
        / contradicting.len() as f64;
    assert!((mean - best_loss).abs() < 1e-12, "{mean} vs {best_loss}");
}

#[test]
fn divergence_stops_training_with_its_epoch_and_batch() {
    let mut net = Line::<f64>::seeded(1);
    let before = net.clone();
    let error = Trainer::<f64, 8>::new(50)
        .progress(false)
        .fit(&mut net, &mut Sgd::new(10.0), &line(), None)
        .unwrap_err();
    let TrainError::Diverged { epoch, batch, loss } = error else {
        panic!("expected divergence, got {error:?}")
    };
    assert!(!loss.is_finite());
    assert!(epoch >= 1 && (1..=5).contains(&batch), "epoch {epoch}, batch {batch}");
    let message = error.to_string();
    assert!(
        message.starts_with(&format!(
            "training diverged in epoch {epoch}, batch {batch}: the loss is"
        )),
        "{message}"
    );
    assert_ne!(net, before, "the steps before the divergence were taken");
}

#[test]
fn unusable_settings_are_errors() {
    let mut net = Line::<f64>::seeded(1);
    let error = Trainer::<f64, 64>::new(1)
        .progress(false)
        .fit(&mut net, &mut Sgd::new(0.1), &line(), None)
        .unwrap_err();
    assert_eq!(error, TrainError::TooFewSamples { samples: 40, batch: 64 });
    assert_eq!(
        error.to_string(),
        "the training data has 40 samples, fewer than one batch of 64; use a smaller batch"
    );
    let error = Trainer::<f64, 8>::new(1)
        .progress(false)
        .early_stopping(Monitor::ValidationLoss, 3, 0.0)
        .fit(&mut net, &mut Sgd::new(0.1), &line(), None)
        .unwrap_err();
    assert_eq!(error, TrainError::NoValidationData);
    let error = Trainer::<f64, 8>::new(1)
        .progress(false)
        .early_stopping(Monitor::ValidationAccuracy, 3, 0.0)
        .fit(&mut net, &mut Sgd::new(0.1), &line(), Some(&line()))
        .unwrap_err();
    assert_eq!(error, TrainError::NoAccuracy);
}

#[test]
fn accuracy_is_recorded_for_classes() {
    let mut net = Xor::<f32>::seeded(1);
    let history = Trainer::<f32, 4>::new(300)
        .seed(3)
        .progress(false)
        .fit(&mut net, &mut Adam::new(0.05), &xor(), Some(&xor()))
        .unwrap();
    assert_eq!(history.epochs.last().unwrap().validation_accuracy, Some(1.0));
    assert_eq!(<Xor as Network<f32>>::PARAMS, 33);
}
