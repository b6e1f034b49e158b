//! Checkpoints and resume: a run of 10 epochs, saved, loaded into fresh values and resumed to
//! 20, ends with the same network, bit for bit, and the same history as a run of 20 epochs.
//! The optimizer's moments and step count, the schedule's position, the shuffle and the
//! dropout stream all carry over; dropout and Adam make any of them that did not show.

#![deny(warnings)]

use std::path::PathBuf;

use nn::data::Dataset;
use nn::io::load_safetensors;
use nn::nalgebra::SVector;
use nn::optim::Schedule;
use nn::train::{load_checkpoint, Epoch, History, Monitor, TrainState, Trainer};
use nn::{network, Adam, Network, WeightsError};

network! {
    struct Net {
        input: 2,
        hidden: dense(8) -> tanh -> dropout(0.2),
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

/// A noisy circle: class 1 inside radius 1.
fn circle(n: usize, salt: f64) -> Dataset<f64, 2, 1> {
    let xs: Vec<SVector<f64, 2>> = (0..n)
        .map(|i| {
            let t = i as f64 + salt;
            SVector::from([1.6 * (t * 0.7).sin(), 1.6 * (t * 1.3).cos()])
        })
        .collect();
    let ys = xs.iter().map(|x| SVector::from([f64::from(u8::from(x.norm() < 1.0))])).collect();
    Dataset::new(xs, ys).unwrap()
}

fn trainer(epochs: usize) -> Trainer<f64, 8> {
    Trainer::new(epochs).seed(11).progress(false).schedule(Schedule::Step { every: 3, gamma: 0.7 })
}

/// Every parameter's bits.
fn bits(net: &Net<f64>) -> Vec<u64> {
    let mut bits = Vec::new();
    net.visit(&mut |p| bits.extend(p.values.iter().map(|v| v.to_bits())));
    bits
}

/// One epoch's measures as bits: epoch, training loss, validation loss and accuracy, rate.
type Measures = (usize, u64, Option<u64>, Option<u64>, u64);

/// What a history measured, without the timings.
fn measured(history: &History) -> Vec<Measures> {
    let bits = |e: &Epoch| {
        (
            e.epoch,
            e.train_loss.to_bits(),
            e.validation_loss.map(f64::to_bits),
            e.validation_accuracy.map(f64::to_bits),
            e.learning_rate.to_bits(),
        )
    };
    history.epochs.iter().map(bits).collect::<Vec<_>>()
}

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("nn-resume-{}-{name}.safetensors", std::process::id()))
}

#[test]
fn ten_plus_ten_epochs_from_a_checkpoint_file_equal_twenty() {
    let (train, validation) = (circle(60, 0.0), circle(20, 0.5));
    let mut whole = Net::<f64>::seeded(3);
    let whole_history =
        trainer(20).fit(&mut whole, &mut Adam::new(0.05), &train, Some(&validation)).unwrap();

    // The first half saves a checkpoint after its last epoch, from the callback.
    let path = temp_path("file");
    let mut first = Net::<f64>::seeded(3);
    let mut adam = Adam::new(0.05);
    let mut state = trainer(10).start();
    trainer(10)
        .fit_from(&mut first, &mut adam, &train, Some(&validation), &mut state, |e, c| {
            if e.epoch == 10 {
                c.save(&path).unwrap();
            }
        })
        .unwrap();

    // The second half starts from fresh values and the file alone.
    let mut net = Net::<f64>::zeros();
    let mut adam = Adam::new(0.05);
    let mut resumed: TrainState<f64, Net<f64>> = trainer(20).start();
    load_checkpoint(&path, &mut net, &mut adam, &mut resumed).unwrap();
    assert_eq!(resumed.epoch, 10);
    assert_eq!(bits(&net), bits(&first));
    assert_eq!(adam.steps(), 10 * 7);
    let history = trainer(20)
        .fit_from(&mut net, &mut adam, &train, Some(&validation), &mut resumed, |_, _| {})
        .unwrap();
    assert_eq!(bits(&net), bits(&whole), "10 + 10 epochs differ from 20");
    assert_eq!(measured(&history), measured(&whole_history));
    assert_eq!(history.epochs.len(), 20);

    // A checkpoint is not a weights file: strict loading refuses its extra tensors.
    let error = load_safetensors(&mut Net::<f64>::zeros(), &path).unwrap_err();
    assert!(matches!(error, WeightsError::Names { .. }), "{error}");
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn ten_plus_ten_epochs_in_memory_equal_twenty() {
    let train = circle(40, 0.0);
    let mut whole = Net::<f64>::seeded(4);
    trainer(20).fit(&mut whole, &mut Adam::new(0.02), &train, None).unwrap();
    let mut net = Net::<f64>::seeded(4);
    let mut adam = Adam::new(0.02);
    let mut state = trainer(10).start();
    trainer(10).fit_from(&mut net, &mut adam, &train, None, &mut state, |_, _| {}).unwrap();
    assert_ne!(bits(&net), bits(&whole));
    trainer(20).fit_from(&mut net, &mut adam, &train, None, &mut state, |_, _| {}).unwrap();
    assert_eq!(bits(&net), bits(&whole));
}

#[test]
fn resuming_with_early_stopping_keeps_the_best_network_and_the_patience() {
    // Validation on contradicting labels: the best epoch comes early, and the run stops
    // `patience` epochs later whether or not it was interrupted in between.
    let train = circle(48, 0.0);
    let mut contradicting = circle(16, 0.25);
    for y in &mut contradicting.targets {
        y[0] = 1.0 - y[0];
    }
    let stopping = |t: Trainer<f64, 8>| t.early_stopping(Monitor::ValidationLoss, 4, 0.0);
    let mut whole = Net::<f64>::seeded(5);
    let whole_history = stopping(trainer(60))
        .fit(&mut whole, &mut Adam::new(0.05), &train, Some(&contradicting))
        .unwrap();
    assert!(whole_history.stopped_early);
    let best = whole_history.best.unwrap();
    assert_eq!(whole_history.epochs.len(), best + 1 + 4);

    // Interrupt after the best epoch, before the stop.
    let cut = best + 2;
    let path = temp_path("stopping");
    let mut net = Net::<f64>::seeded(5);
    let mut state = stopping(trainer(cut)).start();
    stopping(trainer(cut))
        .fit_from(
            &mut net,
            &mut Adam::new(0.05),
            &train,
            Some(&contradicting),
            &mut state,
            |e, c| {
                if e.epoch == cut {
                    c.save(&path).unwrap();
                }
            },
        )
        .unwrap();
    let mut net = Net::<f64>::zeros();
    let mut adam = Adam::new(0.05);
    let mut state = trainer(60).start();
    load_checkpoint(&path, &mut net, &mut adam, &mut state).unwrap();
    let history = stopping(trainer(60))
        .fit_from(&mut net, &mut adam, &train, Some(&contradicting), &mut state, |_, _| {})
        .unwrap();
    assert_eq!(measured(&history), measured(&whole_history));
    assert_eq!((history.best, history.stopped_early), (Some(best), true));
    assert_eq!(bits(&net), bits(&whole), "the best network was not the same");
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn a_checkpoint_that_does_not_fit_changes_nothing() {
    let train = circle(40, 0.0);
    let path = temp_path("mismatch");
    let mut net = Net::<f64>::seeded(6);
    let mut state = trainer(2).start();
    trainer(2)
        .fit_from(&mut net, &mut Adam::new(0.02), &train, None, &mut state, |_, c| {
            c.save(&path).unwrap()
        })
        .unwrap();
    // Into an f32 network: the dtype differs, and nothing is written.
    let mut small = Net::<f32>::seeded(1);
    let before = small.clone();
    let mut adam = Adam::new(0.01_f32);
    let mut fresh = Trainer::<f32, 8>::new(2).start();
    let untouched = fresh.clone();
    let error = load_checkpoint(&path, &mut small, &mut adam, &mut fresh).unwrap_err();
    assert!(matches!(error, WeightsError::Dtype { .. }), "{error}");
    assert!(small == before && fresh == untouched && adam.steps() == 0);
    // A weights file is not a checkpoint.
    nn::io::save_safetensors(&net, &path).unwrap();
    let mut state = trainer(2).start();
    let error = load_checkpoint(&path, &mut net, &mut Adam::new(0.02), &mut state).unwrap_err();
    assert_eq!(
        error.to_string(),
        "not a valid safetensors file: it is not a checkpoint: its metadata has no `format`"
    );
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn the_fitted_standardizer_saves_and_loads_bit_for_bit() {
    use nn::data::Standardizer;

    let data = circle(30, 0.1);
    let standardizer = Standardizer::<f64, 2>::fit(&data);
    let path = temp_path("standardizer");
    standardizer.save(&path).unwrap();
    let loaded = Standardizer::<f64, 2>::load(&path).unwrap();
    assert_eq!(loaded, standardizer);
    let x = SVector::from([0.3, -1.2]);
    assert_eq!(loaded.transform(&x), standardizer.transform(&x));
    // Another width or scalar type is an error naming the tensor.
    let error = Standardizer::<f64, 3>::load(&path).unwrap_err();
    assert_eq!(
        error.to_string(),
        "not a valid safetensors file: tensor \"mean\" has shape [2]; the standardizer expects [3]"
    );
    let error = Standardizer::<f32, 2>::load(&path).unwrap_err();
    assert_eq!(
        error.to_string(),
        "not a valid safetensors file: tensor \"mean\" is F64; the standardizer is f32"
    );
    // f32 too.
    let small =
        Standardizer::<f32, 2> { mean: SVector::from([0.1, 0.2]), std: SVector::from([3.0, 1e-3]) };
    small.save(&path).unwrap();
    assert_eq!(Standardizer::<f32, 2>::load(&path).unwrap(), small);
    // A zero standard deviation would divide by zero.
    let broken = Standardizer::<f32, 2> { mean: SVector::zeros(), std: SVector::from([1.0, 0.0]) };
    let bytes = broken.to_safetensors_bytes().unwrap();
    let error = Standardizer::<f32, 2>::from_safetensors_bytes(&bytes).unwrap_err();
    assert_eq!(
        error.to_string(),
        "not a valid safetensors file: its standard deviation of column 1 is 0, not above 0"
    );
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn no_corruption_of_a_checkpoint_makes_loading_or_resuming_panic() {
    use nn::train::load_checkpoint_bytes;

    let train = circle(24, 0.0);
    let mut net = Net::<f64>::seeded(7);
    let mut bytes = Vec::new();
    let mut state = trainer(2).start();
    let stopping = |t: Trainer<f64, 8>| t.early_stopping(Monitor::ValidationLoss, 3, 0.0);
    stopping(trainer(2))
        .fit_from(&mut net, &mut Adam::new(0.02), &train, Some(&train), &mut state, |_, c| {
            bytes = c.to_bytes().unwrap()
        })
        .unwrap();
    // Every byte of the header (names, shapes, offsets, metadata) and some of the data, each
    // replaced by a few values.
    let header = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let (mut loaded, mut resumed) = (0, 0);
    for at in (0..header).chain((header..bytes.len()).step_by(97)) {
        for value in [b'0', b'9', b'"', b'{', 0xff] {
            let mut bad = bytes.clone();
            bad[at] = value;
            let outcome = std::panic::catch_unwind(|| {
                let mut net = Net::<f64>::zeros();
                let mut adam = Adam::new(0.02);
                let mut state = trainer(3).start();
                if load_checkpoint_bytes(&bad, &mut net, &mut adam, &mut state).is_err() {
                    return (false, false);
                }
                let run = stopping(trainer(3)).fit_from(
                    &mut net,
                    &mut adam,
                    &train,
                    Some(&train),
                    &mut state,
                    |_, _| {},
                );
                (true, run.is_ok())
            });
            let (load, run) = outcome.unwrap_or_else(|_| panic!("byte {at} set to {value}"));
            loaded += usize::from(load);
            resumed += usize::from(run);
        }
    }
    // Some corruptions are harmless (a changed weight, a changed digit of a loss).
    assert!(loaded > 0 && resumed > 0, "{loaded} {resumed}");
}
