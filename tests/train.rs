//! The trainer's contract: deterministic by seed, schedules, early stopping that keeps the best
//! network, divergence reported with its epoch and batch, and errors for unusable settings.

use nn::data::Dataset;
use nn::nalgebra::SVector;
use nn::optim::{Schedule, SettingError};
use nn::train::{Monitor, TrainError, Trainer};
use nn::{network, Adam, AdamW, Momentum, Network, RmsProp, Sgd};

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
    // A regression target is not a class: no accuracy or F1, but MAE and R².
    assert_eq!((last.validation_accuracy, last.validation_f1), (None, None));
    assert!(last.validation_mae.unwrap() < 1e-6, "{last}");
    assert!(last.validation_r2.unwrap() > 1.0 - 1e-12, "{last}");
    // Early on, the line is not fitted yet: MAE and R² say so, and the line shows them.
    let first = &history.epochs[0];
    assert!(first.validation_mae.unwrap() > 0.01 && first.validation_r2.unwrap() < 1.0 - 1e-6);
    assert!(first.to_string().contains("  mae ") && first.to_string().contains("  r2 "));
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
    let TrainError::Diverged { epoch, batch, loss, .. } = error else {
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
    let last = history.epochs.last().unwrap();
    assert_eq!(last.validation_accuracy, Some(1.0));
    assert_eq!(last.validation_f1, Some(1.0));
    assert_eq!((last.validation_mae, last.validation_r2), (None, None));
    assert!(last.to_string().contains("  accuracy 100.00%  f1 1.0000  lr"), "{last}");
    assert_eq!(<Xor as Network<f32>>::PARAMS, 33);
}

/// The mean validation loss of `net` on `data`, as the trainer computes it.
fn mean_loss(net: &Line<f64>, data: &Dataset<f64, 1, 1>) -> f64 {
    data.inputs.iter().zip(&data.targets).map(|(x, y)| net.loss(x, y)).sum::<f64>()
        / data.len() as f64
}

#[test]
fn divergence_after_good_epochs_restores_the_best_network_and_returns_the_history() {
    // The learning rate doubles every epoch: the first epochs fit the line, then the steps
    // grow past 2 / curvature and the loss runs to infinity.
    let mut net = Line::<f64>::seeded(1);
    let mut seen = Vec::new();
    let error = Trainer::<f64, 8>::new(200)
        .progress(false)
        .schedule(Schedule::Exponential { gamma: 2.0 })
        .early_stopping(Monitor::ValidationLoss, 100, 0.0)
        .fit_with(&mut net, &mut Sgd::new(0.01), &line(), Some(&line()), |e| {
            seen.push(e.validation_loss.unwrap())
        })
        .unwrap_err();
    let TrainError::Diverged { epoch, loss, history, .. } = error else {
        panic!("expected divergence, got {error:?}")
    };
    assert!(!loss.is_finite());
    assert!(epoch > 4, "diverged in epoch {epoch}, before any good epochs");
    // The history holds every epoch seen, the best among them.
    assert!(history.epochs.len() >= 4);
    let losses: Vec<f64> = history.epochs.iter().map(|e| e.validation_loss.unwrap()).collect();
    assert_eq!(&losses[..seen.len()], &seen[..]);
    let best = history.best.unwrap();
    let best_loss = losses.iter().cloned().filter(|l| l.is_finite()).fold(f64::INFINITY, f64::min);
    assert_eq!(losses[best], best_loss);
    assert!(best_loss < 1e-3, "{best_loss}");
    // The network given back is that epoch's, not the diverged one.
    assert!(net.output.weight[0].is_finite() && net.output.bias[0].is_finite());
    assert!((mean_loss(&net, &line()) - best_loss).abs() < 1e-12);
}

#[test]
fn settings_that_cannot_work_are_rejected_before_anything_changes() {
    let before = Line::<f64>::seeded(1);
    // Runs a failing `fit` on a copy of `before` and checks that it left the copy alone.
    let rejects = |run: &mut dyn FnMut(&mut Line<f64>) -> TrainError| {
        let mut net = before.clone();
        let error = run(&mut net);
        assert_eq!(net, before, "{error}");
        error
    };
    let trainer = || Trainer::<f64, 8>::new(5).progress(false);
    let data = line();
    let setting = |setting: &'static str, value: f64, expected: &'static str| {
        TrainError::Setting(SettingError { setting, value, expected })
    };
    let rate = "a finite number, 0 or more";
    let unit = "at least 0 and below 1";

    let error =
        rejects(&mut |net| trainer().fit(net, &mut Sgd::new(f64::NAN), &data, None).unwrap_err());
    assert!(matches!(error, TrainError::Setting(SettingError { setting: "learning_rate", .. })));
    assert_eq!(
        error.to_string(),
        "cannot train: `learning_rate` is NaN, but it must be a finite number, 0 or more"
    );
    let error =
        rejects(&mut |net| trainer().fit(net, &mut Adam::new(-0.01), &data, None).unwrap_err());
    assert_eq!(error, setting("learning_rate", -0.01, rate));
    let error = rejects(&mut |net| {
        let mut adam = Adam::new(0.01).with_betas(1.0, 0.999);
        trainer().fit(net, &mut adam, &data, None).unwrap_err()
    });
    assert_eq!(error, setting("beta1", 1.0, unit));
    let error = rejects(&mut |net| {
        let mut adam = AdamW::new(0.01).with_eps(0.0);
        trainer().fit(net, &mut adam, &data, None).unwrap_err()
    });
    assert_eq!(error, setting("eps", 0.0, "a finite number above 0"));
    let error = rejects(&mut |net| {
        let mut momentum = Momentum::new(0.01, 1.5);
        trainer().fit(net, &mut momentum, &data, None).unwrap_err()
    });
    assert_eq!(error, setting("momentum", 1.5, unit));
    let error = rejects(&mut |net| {
        let mut rms = RmsProp::new(0.01).with_weight_decay(-1.0);
        trainer().fit(net, &mut rms, &data, None).unwrap_err()
    });
    assert_eq!(error, setting("weight_decay", -1.0, rate));
    let error = rejects(&mut |net| {
        let patient = trainer().early_stopping(Monitor::ValidationLoss, 0, 0.0);
        patient.fit(net, &mut Sgd::new(0.1), &data, Some(&data)).unwrap_err()
    });
    assert!(matches!(error, TrainError::Setting(SettingError { setting: "patience", .. })));
    let error = rejects(&mut |net| {
        let delta = trainer().early_stopping(Monitor::ValidationLoss, 3, f64::NAN);
        delta.fit(net, &mut Sgd::new(0.1), &data, Some(&data)).unwrap_err()
    });
    assert!(matches!(error, TrainError::Setting(SettingError { setting: "min_delta", .. })));
    let error = rejects(&mut |net| {
        let clip = trainer().clip_grad_norm(-1.0);
        clip.fit(net, &mut Sgd::new(0.1), &data, None).unwrap_err()
    });
    assert_eq!(error, setting("clip_grad_norm", -1.0, "a finite number above 0"));
    let error = rejects(&mut |net| {
        let schedule = trainer().schedule(Schedule::Step { every: 2, gamma: f64::NAN });
        schedule.fit(net, &mut Sgd::new(0.1), &data, None).unwrap_err()
    });
    assert!(matches!(error, TrainError::Setting(SettingError { setting: "gamma", .. })));

    // The constructors that check.
    assert_eq!(Sgd::try_new(f64::NAN).unwrap_err().setting, "learning_rate");
    assert!(Sgd::try_new(0.1_f32).is_ok());
    assert!(Adam::<f64, Line<f64>>::try_new(f64::INFINITY).is_err());
    assert!(AdamW::<f64, Line<f64>>::try_new(1e-3).is_ok());
    assert!(RmsProp::<f32, Line<f32>>::try_new(-1.0).is_err());
    assert_eq!(
        Momentum::<f64, Line<f64>>::try_nesterov(0.1, 1.0).unwrap_err().to_string(),
        "`momentum` is 1, but it must be at least 0 and below 1"
    );
}

#[test]
fn data_with_missing_targets_or_non_finite_values_is_rejected_naming_the_sample() {
    let mut net = Line::<f64>::seeded(1);
    let before = net.clone();
    let trainer = Trainer::<f64, 8>::new(5).progress(false);
    // Validation data with 4 targets for 16 inputs, built by hand: its loss would be divided
    // by the wrong count.
    let mut short = line();
    short.inputs.truncate(16);
    short.targets.truncate(4);
    let error = trainer.fit(&mut net, &mut Sgd::new(0.1), &line(), Some(&short)).unwrap_err();
    assert_eq!(error, TrainError::Lengths { data: "validation", inputs: 16, targets: 4 });
    assert_eq!(
        error.to_string(),
        "the validation data has 16 inputs but 4 targets; each input needs one target"
    );
    short.targets.clear();
    assert!(trainer.fit(&mut net, &mut Sgd::new(0.1), &line(), Some(&short)).is_err());
    let mut nan = line();
    nan.inputs[17][0] = f64::NAN;
    let error = trainer.fit(&mut net, &mut Sgd::new(0.1), &nan, None).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the training data holds NaN at `inputs[17][0]`; remove or fill the sample"
    );
    let mut inf = line();
    inf.targets[3][0] = f64::INFINITY;
    let error = trainer.fit(&mut net, &mut Sgd::new(0.1), &line(), Some(&inf)).unwrap_err();
    assert!(matches!(
        error,
        TrainError::NotFinite { data: "validation", field: "targets", sample: 3, column: 0, .. }
    ));
    assert_eq!(net, before);
    // `Dataset::new` rejects them when the data set is built.
    let error = Dataset::new(nan.inputs.clone(), nan.targets.clone()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "`inputs[17][0]` is NaN; expected a finite number (remove or fill the sample)"
    );
}

#[test]
fn training_until_early_stopping_does_not_overflow() {
    // `usize::MAX` epochs: the progress bar's length and every count must not overflow (the
    // tests build with overflow checks on).
    let mut net = Line::<f64>::seeded(1);
    let history = Trainer::<f64, 8>::new(usize::MAX)
        .progress(true)
        .early_stopping(Monitor::ValidationLoss, 3, 1e-6)
        .fit(&mut net, &mut Sgd::new(0.05), &line(), Some(&line()))
        .unwrap();
    assert!(history.stopped_early);
}
