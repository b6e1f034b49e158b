//! Training loops, written once against [`Model`]: epochs of shuffled mini-batches, validation
//! after each epoch, early stopping, a learning-rate schedule, gradient clipping, a progress
//! bar, and a history of what happened.
//!
//! Nothing is lost and nothing fails silently:
//!
//! - settings and data are checked before the first step ([`Trainer::check`],
//!   [`Optimizer::check`], [`TrainError::Lengths`], [`TrainError::NotFinite`]), so an error
//!   leaves the network as it was;
//! - with early stopping, a run that diverges gives back the best network seen, and the
//!   error carries the history ([`TrainError::Diverged`]);
//! - a run can stop and go on: [`Trainer::fit_from`] trains from a [`TrainState`], whose
//!   callback's [`Checkpoint`] saves the network, the optimizer and the state in one file
//!   that [`load_checkpoint`] reads back, and 10 + 10 epochs equal 20 bit for bit;
//! - without a terminal, each epoch is one plain line on standard error.
//!
//! The crate documentation of `nn` has a runnable example, under "Training".

use std::fmt;
use std::io::IsTerminal;
use std::path::Path;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use nalgebra::{SMatrix, SVector};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use std::collections::HashMap;

use crate::data::Dataset;
use crate::io::{self, WeightsError};
use crate::metrics;
use crate::optim::{self, clip_grad_norm, Optimizer, Schedule, SettingError};
use crate::{zeroed_box, Float, Model, Network};

/// What early stopping watches, after each epoch, on the validation data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Monitor {
    /// The mean validation loss; lower is better.
    ValidationLoss,
    /// The validation accuracy; higher is better. Needs class targets (see
    /// [`Epoch::validation_accuracy`]).
    ValidationAccuracy,
}

/// Stop when the monitored value has not improved for `patience` epochs, and give the network
/// back as it was at its best epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EarlyStopping {
    /// What is watched.
    pub monitor: Monitor,
    /// How many epochs without improvement end training.
    pub patience: usize,
    /// The least change that counts as an improvement.
    pub min_delta: f64,
}

/// A training loop over mini-batches of `B` samples (`B` a const, the batch the network's
/// `loss_and_grad_batch_training` is compiled for).
///
/// Each epoch shuffles the training samples with a ChaCha8 generator seeded by
/// [`Trainer::seed`], runs the optimizer on every full batch (the last `len % B` samples of an
/// epoch's order are left out, as PyTorch's `drop_last`; they take part in other epochs), then
/// evaluates the validation data in inference mode. Dropout masks come from a second ChaCha8
/// stream of the same seed, so a seed fixes the whole run.
#[derive(Clone, Debug)]
pub struct Trainer<T, const B: usize> {
    epochs: usize,
    seed: u64,
    schedule: Schedule<T>,
    clip: Option<T>,
    early_stopping: Option<EarlyStopping>,
    progress: bool,
    threads: usize,
}

impl<T: Float, const B: usize> Trainer<T, B> {
    /// A trainer for `epochs` epochs, seed 0, a constant learning rate, no clipping, no early
    /// stopping, and a progress bar when standard error is a terminal.
    pub fn new(epochs: usize) -> Self {
        Self {
            epochs,
            seed: 0,
            schedule: Schedule::Constant,
            clip: None,
            early_stopping: None,
            progress: true,
            threads: 1,
        }
    }

    /// Seeds the shuffling and the dropout masks: the same seed gives the same run.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the optimizer's learning rate before each epoch from `schedule` and the rate the
    /// optimizer had when training started.
    pub fn schedule(mut self, schedule: Schedule<T>) -> Self {
        self.schedule = schedule;
        self
    }

    /// Scales each batch's gradient down to a global norm of at most `max_norm`.
    pub fn clip_grad_norm(mut self, max_norm: T) -> Self {
        self.clip = Some(max_norm);
        self
    }

    /// Stops when `monitor` has not improved by more than `min_delta` for `patience` epochs,
    /// and restores the network of the best epoch. Needs validation data. `patience` must be
    /// at least 1 and `min_delta` a finite number, 0 or more ([`Trainer::check`]).
    ///
    /// With early stopping on, the best network is never lost: if training diverges, the
    /// network of the best epoch so far is restored too, and the error carries the history.
    pub fn early_stopping(mut self, monitor: Monitor, patience: usize, min_delta: f64) -> Self {
        self.early_stopping = Some(EarlyStopping { monitor, patience, min_delta });
        self
    }

    /// The threads each batch's gradient may use (default 1): with the `parallel` feature and
    /// `threads >= 2`, every batched product of a step is split between two threads
    /// ([`kernels::with_threads`](crate::kernels::with_threads)); the run is the same, bit
    /// for bit, as on one thread. Without the feature the setting has no effect.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// Whether to report progress on standard error (default `true`). In a terminal: a
    /// progress bar (epoch, batch, loss, throughput), with each finished epoch's line (its
    /// [`Epoch`] `Display`) printed above it. Elsewhere (a pipe, a file, a CI log): no bar,
    /// no escape codes, one plain line per epoch. `false` prints nothing.
    pub fn progress(mut self, show: bool) -> Self {
        self.progress = show;
        self
    }

    /// The first setting that cannot work: a schedule's `gamma` or `min`, or a clipping norm,
    /// that is NaN, infinite or negative (a clipping norm of 0 too), an early-stopping
    /// `patience` of 0 or a `min_delta` that is NaN, infinite or negative. [`Trainer::fit`]
    /// calls it, and the optimizer's [`Optimizer::check`], before it changes anything.
    pub fn check(&self) -> Result<(), SettingError> {
        self.schedule.check()?;
        if let Some(max_norm) = self.clip {
            optim::positive("clip_grad_norm", max_norm)?;
        }
        if let Some(stopping) = self.early_stopping {
            if stopping.patience == 0 {
                return Err(SettingError {
                    setting: "patience",
                    value: 0.0,
                    expected: "at least 1 (the epochs without improvement that end training)",
                });
            }
            optim::non_negative("min_delta", stopping.min_delta)?;
        }
        Ok(())
    }

    /// Trains `net` on `train` with `optimizer`, evaluating `validation` after each epoch.
    ///
    /// Before anything changes, the settings ([`Trainer::check`], [`Optimizer::check`]) and
    /// the data are checked: each data set must have one target per input
    /// ([`TrainError::Lengths`]) and hold only finite numbers ([`TrainError::NotFinite`]).
    pub fn fit<N, Opt, const I: usize, const O: usize>(
        &self,
        net: &mut N,
        optimizer: &mut Opt,
        train: &Dataset<T, I, O>,
        validation: Option<&Dataset<T, I, O>>,
    ) -> Result<History, TrainError>
    where
        N: Model<T, I, O>,
        Opt: Optimizer<T, N>,
    {
        self.fit_with(net, optimizer, train, validation, |_| {})
    }

    /// [`Trainer::fit`], calling `on_epoch` after each epoch with what it measured.
    pub fn fit_with<N, Opt, const I: usize, const O: usize>(
        &self,
        net: &mut N,
        optimizer: &mut Opt,
        train: &Dataset<T, I, O>,
        validation: Option<&Dataset<T, I, O>>,
        mut on_epoch: impl FnMut(&Epoch),
    ) -> Result<History, TrainError>
    where
        N: Model<T, I, O>,
        Opt: Optimizer<T, N>,
    {
        let mut state = self.start();
        self.fit_from(net, optimizer, train, validation, &mut state, |e, _| on_epoch(e))
    }

    /// A fresh [`TrainState`]: no epoch done, the generators seeded by [`Trainer::seed`].
    /// [`Trainer::fit`] starts from it.
    pub fn start<N>(&self) -> TrainState<T, N> {
        let shuffle = ChaCha8Rng::seed_from_u64(self.seed);
        let mut dropout = ChaCha8Rng::seed_from_u64(self.seed);
        dropout.set_stream(1);
        TrainState {
            epoch: 0,
            base_rate: None,
            shuffle,
            dropout,
            order: Vec::new(),
            history: History { epochs: Vec::new(), best: None, stopped_early: false },
            best: None,
        }
    }

    /// Trains from `state` (epoch `state.epoch + 1`) up to epoch `self.epochs`, as
    /// [`Trainer::fit_with`] would have gone on: a run of 10 epochs resumed up to 20 equals a
    /// run of 20, bit for bit, when the network, the optimizer and the state are the ones
    /// the first run left (in memory, or saved by [`Checkpoint::save`] and read back by
    /// [`load_checkpoint`]) and the trainer has the same settings. `on_epoch` gets each
    /// epoch's record and a [`Checkpoint`] of the run as it stands, which it may save.
    ///
    /// At the end, as in `fit`, early stopping puts the best network back into `net`; to
    /// resume a run with early stopping exactly, resume from a checkpoint saved by
    /// `on_epoch`, which holds the last network. A state whose run stopped early trains no
    /// more.
    pub fn fit_from<N, Opt, const I: usize, const O: usize>(
        &self,
        net: &mut N,
        optimizer: &mut Opt,
        train: &Dataset<T, I, O>,
        validation: Option<&Dataset<T, I, O>>,
        state: &mut TrainState<T, N>,
        mut on_epoch: impl FnMut(&Epoch, &Checkpoint<'_, T, N, Opt>),
    ) -> Result<History, TrainError>
    where
        N: Model<T, I, O>,
        Opt: Optimizer<T, N>,
    {
        self.check().map_err(TrainError::Setting)?;
        optimizer.check().map_err(TrainError::Setting)?;
        check_data("training", train)?;
        if let Some(validation) = validation {
            check_data("validation", validation)?;
        }
        let samples = train.inputs.len();
        let batches = samples / B;
        if batches == 0 {
            return Err(TrainError::TooFewSamples { samples, batch: B });
        }
        if self.early_stopping.is_some() && validation.is_none_or(|v| v.inputs.is_empty()) {
            return Err(TrainError::NoValidationData);
        }
        if state.order.is_empty() {
            state.order = (0..samples).collect();
        } else if !is_permutation(&state.order, samples) {
            let order = state.order.len();
            return Err(TrainError::StateMismatch { samples, order });
        }
        // Batches live on the heap: `I x B` scalars can exceed what belongs on a stack.
        let mut xs: Box<SMatrix<T, I, B>> = zeroed_box();
        let mut ys: Box<SMatrix<T, O, B>> = zeroed_box();
        let base_rate = *state.base_rate.get_or_insert(optimizer.learning_rate());
        let remaining = self.epochs.saturating_sub(state.epoch);
        let bar = self.progress_bar(remaining, batches);

        let first = state.epoch.saturating_add(1);
        for epoch in first..=self.epochs {
            if state.history.stopped_early {
                break;
            }
            let rate = self.schedule.learning_rate(base_rate, epoch - 1);
            optimizer.set_learning_rate(rate);
            state.order.shuffle(&mut state.shuffle);
            let started = Instant::now();
            let mut total = 0.0;
            for (batch, indices) in state.order.chunks_exact(B).enumerate() {
                for (column, &i) in indices.iter().enumerate() {
                    xs.set_column(column, &train.inputs[i]);
                    ys.set_column(column, &train.targets[i]);
                }
                let (loss, mut grad) = crate::kernels::with_threads(self.threads, || {
                    net.loss_and_grad_batch_training(&xs, &ys, &mut state.dropout)
                });
                let loss = loss.as_f64();
                if !loss.is_finite() {
                    bar.abandon();
                    restore_best(net, &state.best);
                    let history = Box::new(state.history.clone());
                    return Err(TrainError::Diverged { epoch, batch: batch + 1, loss, history });
                }
                if let Some(max_norm) = self.clip {
                    clip_grad_norm(&mut grad, max_norm);
                }
                optimizer.step(net, &grad);
                total += loss;
                bar.inc(1);
                if batch % 8 == 0 || batch + 1 == batches {
                    let seconds = started.elapsed().as_secs_f64();
                    let throughput = ((batch + 1) * B) as f64 / seconds.max(1e-9);
                    bar.set_message(format!(
                        "epoch {epoch}/{} batch {}/{batches} loss {:.4} {throughput:.0} samples/s",
                        self.epochs,
                        batch + 1,
                        total / (batch + 1) as f64,
                    ));
                }
            }
            let seconds = started.elapsed().as_secs_f64();
            let measures = match validation {
                Some(data) if !data.inputs.is_empty() => evaluate(net, data),
                _ => Measures::default(),
            };
            let (validation_loss, validation_accuracy) = (measures.loss, measures.accuracy);
            let record = Epoch {
                epoch,
                train_loss: total / batches as f64,
                validation_loss,
                validation_accuracy,
                validation_f1: measures.f1,
                validation_mae: measures.mae,
                validation_r2: measures.r2,
                learning_rate: rate.as_f64(),
                seconds,
                samples_per_second: (batches * B) as f64 / seconds.max(1e-9),
            };
            if let Some(loss) = validation_loss.filter(|l| !l.is_finite()) {
                bar.abandon();
                restore_best(net, &state.best);
                let mut history = Box::new(state.history.clone());
                history.epochs.push(record);
                return Err(TrainError::Diverged { epoch, batch: 0, loss, history });
            }
            self.log(&bar, &record);
            state.history.epochs.push(record.clone());
            state.epoch = epoch;

            if let Some(stopping) = self.early_stopping {
                let score = match stopping.monitor {
                    Monitor::ValidationLoss => validation_loss.map(|l| -l),
                    Monitor::ValidationAccuracy => validation_accuracy,
                };
                let Some(score) = score else {
                    bar.abandon();
                    return Err(TrainError::NoAccuracy);
                };
                match &state.best {
                    Some((best_score, _)) if score <= best_score + stopping.min_delta => {
                        let best_epoch = state.history.best.unwrap_or(0).saturating_add(1);
                        if epoch.saturating_sub(best_epoch) >= stopping.patience {
                            state.history.stopped_early = true;
                        }
                    }
                    _ => {
                        state.best = Some((score, net.clone()));
                        state.history.best = Some(state.history.epochs.len() - 1);
                    }
                }
            }
            on_epoch(&record, &Checkpoint { net, optimizer, state });
        }
        bar.finish_and_clear();
        restore_best(net, &state.best);
        Ok(state.history.clone())
    }

    /// The bar for `epochs` epochs of `batches` batches.
    fn progress_bar(&self, epochs: usize, batches: usize) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        // `stderr()` draws only when standard error is a terminal: hidden in pipes and logs.
        // `Trainer::new(usize::MAX)` trains until early stopping ends it: saturate, not wrap.
        let length = u64::try_from(epochs.saturating_mul(batches)).unwrap_or(u64::MAX);
        let bar = ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("[{elapsed_precise}] {bar:30} {msg}") {
            bar.set_style(style);
        }
        bar
    }

    /// Reports an epoch: above the bar in a terminal, as a line of its own on standard error
    /// otherwise (a pipe, a CI log), and not at all with `progress(false)`.
    fn log(&self, bar: &ProgressBar, record: &Epoch) {
        if !self.progress {
            return;
        }
        if std::io::stderr().is_terminal() {
            bar.println(record.to_string());
        } else {
            eprintln!("{record}");
        }
    }
}

/// Whether `order` holds each of `0..samples` once.
fn is_permutation(order: &[usize], samples: usize) -> bool {
    let mut seen = vec![false; samples];
    order.len() == samples
        && order.iter().all(|&i| i < samples && !std::mem::replace(&mut seen[i], true))
}

/// Puts the best network seen back into `net`, if early stopping kept one.
fn restore_best<N: Clone>(net: &mut N, best: &Option<(f64, N)>) {
    if let Some((_, best_net)) = best {
        net.clone_from(best_net);
    }
}

/// Checks that `data` has one target per input and only finite numbers.
fn check_data<T: Float, const I: usize, const O: usize>(
    data: &'static str,
    set: &Dataset<T, I, O>,
) -> Result<(), TrainError> {
    let (inputs, targets) = (set.inputs.len(), set.targets.len());
    if inputs != targets {
        return Err(TrainError::Lengths { data, inputs, targets });
    }
    let not_finite = |field: &'static str, sample: usize, v: &[T]| {
        let column = v.iter().position(|x| !x.is_finite())?;
        Some(TrainError::NotFinite { data, field, sample, column, value: v[column].as_f64() })
    };
    for (sample, (x, y)) in set.inputs.iter().zip(&set.targets).enumerate() {
        if let Some(error) = not_finite("inputs", sample, x.as_slice())
            .or_else(|| not_finite("targets", sample, y.as_slice()))
        {
            return Err(error);
        }
    }
    Ok(())
}

/// What [`evaluate`] measures on a data set; `None` where it does not apply.
#[derive(Default)]
struct Measures {
    loss: Option<f64>,
    accuracy: Option<f64>,
    f1: Option<f64>,
    mae: Option<f64>,
    r2: Option<f64>,
}

/// The mean loss over a data set (of one target per input), and: when every target is a
/// class (a one-hot vector, or 0 or 1 for a single output), the accuracy and the F1 score;
/// otherwise the mean absolute error and R².
fn evaluate<T: Float, N: Model<T, I, O>, const I: usize, const O: usize>(
    net: &N,
    data: &Dataset<T, I, O>,
) -> Measures {
    let predictions: Vec<SVector<T, O>> = data.inputs.iter().map(|x| net.forward(x)).collect();
    let loss =
        data.inputs.iter().zip(&data.targets).map(|(x, y)| net.loss(x, y).as_f64()).sum::<f64>()
            / data.inputs.len() as f64;
    let mut measures = Measures { loss: Some(loss), ..Measures::default() };
    if data.targets.iter().all(|y| is_class(y)) {
        let matrix = metrics::ConfusionMatrix::from_predictions(&predictions, &data.targets);
        measures.accuracy = Some(matrix.accuracy());
        measures.f1 = Some(if O <= 2 { matrix.f1() } else { matrix.macro_f1() });
    } else {
        measures.mae = Some(metrics::mean_absolute_error(&predictions, &data.targets));
        measures.r2 = Some(metrics::r2(&predictions, &data.targets));
    }
    measures
}

/// Whether a target names a class: one-hot for two or more outputs, 0 or 1 for one.
fn is_class<T: Float, const O: usize>(y: &SVector<T, O>) -> bool {
    let binary = y.iter().all(|&v| v == T::zero() || v == T::one());
    binary && (O == 1 || y.iter().filter(|&&v| v == T::one()).count() == 1)
}

/// What one epoch measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Epoch {
    /// The epoch's number, from 1.
    pub epoch: usize,
    /// The mean training loss over the epoch's batches, in training mode (with dropout).
    pub train_loss: f64,
    /// The mean loss over the validation data, in inference mode.
    pub validation_loss: Option<f64>,
    /// The fraction of validation samples classified right, when every validation target is
    /// a class (one-hot, or 0/1 for one output; see [`metrics::accuracy`]).
    pub validation_accuracy: Option<f64>,
    /// With class targets, the validation F1 score: of the positive class for a binary
    /// classifier (one output, or two), the mean over the classes for more
    /// ([`ConfusionMatrix::macro_f1`](metrics::ConfusionMatrix::macro_f1)).
    pub validation_f1: Option<f64>,
    /// Without class targets (a regression), the validation mean absolute error
    /// ([`metrics::mean_absolute_error`]).
    pub validation_mae: Option<f64>,
    /// Without class targets, the validation R² ([`metrics::r2`]).
    pub validation_r2: Option<f64>,
    /// The learning rate of the epoch.
    pub learning_rate: f64,
    /// The time the epoch's training took, without validation.
    pub seconds: f64,
    /// Training samples per second.
    pub samples_per_second: f64,
}

impl fmt::Display for Epoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "epoch {:>3}  loss {:.4}", self.epoch, self.train_loss)?;
        if let Some(loss) = self.validation_loss {
            write!(f, "  validation loss {loss:.4}")?;
        }
        if let Some(accuracy) = self.validation_accuracy {
            write!(f, "  accuracy {:.2}%", 100.0 * accuracy)?;
        }
        if let Some(f1) = self.validation_f1 {
            write!(f, "  f1 {f1:.4}")?;
        }
        if let Some(mae) = self.validation_mae {
            write!(f, "  mae {mae:.4}")?;
        }
        if let Some(r2) = self.validation_r2 {
            write!(f, "  r2 {r2:.4}")?;
        }
        write!(f, "  lr {:.3e}  {:.0} samples/s", self.learning_rate, self.samples_per_second)
    }
}

/// What a training run did, epoch by epoch.
#[derive(Clone, Debug, PartialEq)]
pub struct History {
    /// One record per epoch run.
    pub epochs: Vec<Epoch>,
    /// With early stopping, the index in `epochs` of the best epoch, whose network `fit` gave
    /// back.
    pub best: Option<usize>,
    /// Whether early stopping ended training before the last epoch.
    pub stopped_early: bool,
}

/// Why training stopped without a result.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum TrainError {
    /// The loss became NaN or infinite. `batch` counts from 1; 0 means the validation loss at
    /// the end of the epoch.
    ///
    /// With early stopping on, `fit` has put the network of the best epoch so far
    /// (`history.best`) back into the network, as at the end of a run; without it, or before
    /// the first epoch ended, the network is left as the last step made it.
    Diverged {
        /// The epoch, from 1.
        epoch: usize,
        /// The batch, from 1, or 0 for validation.
        batch: usize,
        /// The loss seen.
        loss: f64,
        /// The epochs completed before, and for a validation loss that diverged, the epoch
        /// that diverged.
        history: Box<History>,
    },
    /// A setting of the trainer or of the optimizer cannot work (a NaN learning rate, Adam's
    /// `beta1 = 1`, a patience of 0, ...). Nothing was changed.
    Setting(SettingError),
    /// A data set has not one target per input. Nothing was changed.
    Lengths {
        /// `"training"` or `"validation"`.
        data: &'static str,
        /// How many inputs it has.
        inputs: usize,
        /// How many targets it has.
        targets: usize,
    },
    /// A data set holds NaN or an infinity: `data.<field>[sample][column]` is `value`.
    /// Nothing was changed.
    NotFinite {
        /// `"training"` or `"validation"`.
        data: &'static str,
        /// `"inputs"` or `"targets"`.
        field: &'static str,
        /// The sample, from 0.
        sample: usize,
        /// The entry of its vector, from 0.
        column: usize,
        /// The value found.
        value: f64,
    },
    /// The training data has fewer samples than one batch.
    TooFewSamples {
        /// Training samples.
        samples: usize,
        /// The batch size `B`.
        batch: usize,
    },
    /// The [`TrainState`] given to [`Trainer::fit_from`] is of a run on another number of
    /// training samples (its order of the samples is not one of these).
    StateMismatch {
        /// The training samples given.
        samples: usize,
        /// The samples in the state's order.
        order: usize,
    },
    /// Early stopping was asked for without validation data.
    NoValidationData,
    /// Early stopping on accuracy, but the validation targets are not classes.
    NoAccuracy,
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            TrainError::Diverged { epoch, batch: 0, loss, .. } => write!(
                f,
                "training diverged in epoch {epoch}: the validation loss is {loss}; lower the learning rate, clip gradients or standardise the inputs"
            ),
            TrainError::Diverged { epoch, batch, loss, .. } => write!(
                f,
                "training diverged in epoch {epoch}, batch {batch}: the loss is {loss}; lower the learning rate, clip gradients or standardise the inputs"
            ),
            TrainError::TooFewSamples { samples, batch } => write!(
                f,
                "the training data has {samples} samples, fewer than one batch of {batch}; use a smaller batch"
            ),
            TrainError::Setting(ref error) => write!(f, "cannot train: {error}"),
            TrainError::Lengths { data, inputs, targets } => write!(
                f,
                "the {data} data has {inputs} inputs but {targets} targets; each input needs one target"
            ),
            TrainError::NotFinite { data, field, sample, column, value } => write!(
                f,
                "the {data} data holds {value} at `{field}[{sample}][{column}]`; remove or fill the sample"
            ),
            TrainError::StateMismatch { samples, order } => write!(
                f,
                "the training state is of a run on {order} samples, but the training data has {samples}; resume with the same data"
            ),
            TrainError::NoValidationData => {
                write!(f, "early stopping needs validation data; pass some to `fit`")
            }
            TrainError::NoAccuracy => write!(
                f,
                "early stopping on accuracy needs class targets (one-hot, or 0/1 for one output); monitor the validation loss instead"
            ),
        }
    }
}

impl std::error::Error for TrainError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TrainError::Setting(error) => Some(error),
            _ => None,
        }
    }
}

/// Where a training run stands between epochs: everything besides the network and the
/// optimizer that [`Trainer::fit_from`] needs to go on as if it had never stopped.
///
/// Made by [`Trainer::start`], advanced by [`Trainer::fit_from`], saved with the network and
/// the optimizer by [`Checkpoint::save`] and read back by [`load_checkpoint`].
#[derive(Clone, Debug, PartialEq)]
pub struct TrainState<T, N> {
    /// The number of epochs completed.
    pub epoch: usize,
    /// The optimizer's learning rate when the run began, which the schedule scales; `None`
    /// before the first epoch.
    pub base_rate: Option<T>,
    /// The generator of the epochs' shuffles.
    shuffle: ChaCha8Rng,
    /// The generator of the dropout masks.
    dropout: ChaCha8Rng,
    /// The order of the samples after the last shuffle (each epoch shuffles it again).
    order: Vec<usize>,
    /// The epochs completed, and early stopping's best epoch.
    pub history: History,
    /// Early stopping's best score (higher is better) and the network of that epoch.
    best: Option<(f64, N)>,
}

/// A training run as it stands after an epoch, handed to [`Trainer::fit_from`]'s callback:
/// the network, the optimizer and the [`TrainState`], which [`Checkpoint::save`] writes
/// together.
#[derive(Debug)]
pub struct Checkpoint<'a, T, N, Opt> {
    /// The network after the epoch (not the best one: that is in the state).
    pub net: &'a N,
    /// The optimizer, with its state (moments, step count).
    pub optimizer: &'a Opt,
    /// The run's state.
    pub state: &'a TrainState<T, N>,
}

/// The tag in a checkpoint's metadata under `format`.
const CHECKPOINT_FORMAT: &str = "nn checkpoint 1";

/// The columns of the `trainer.history` tensor, one row per epoch.
const HISTORY_COLUMNS: usize = 10;

impl<T: Float, N: Network<T>, Opt: Optimizer<T, N>> Checkpoint<'_, T, N, Opt> {
    /// Writes the checkpoint to the safetensors file at `path`, atomically (see
    /// [`io::write_atomic`]).
    ///
    /// The file holds, as tensors: the network under its own names (so that
    /// [`load_safetensors`](crate::io::load_safetensors) cannot load it by mistake, the other
    /// tensors make it strictly a checkpoint); the optimizer's state networks under
    /// `optimizer.<state>.<name>` (`optimizer.m.hidden.weight`); early stopping's best network
    /// under `best.<name>`; the sample order as `trainer.order` (`U64`); the history as
    /// `trainer.history` (`F64`, one row per epoch: epoch, training loss, validation loss,
    /// accuracy, F1, MAE and R², learning rate, seconds, samples per second; NaN for none). Its
    /// header's metadata holds `format` (`nn checkpoint 1`), `epoch`, `base_rate`,
    /// `learning_rate`, `optimizer_steps`, the generators as `shuffle` and `dropout`
    /// (`<seed in hex>:<stream>:<word position>`), `best_epoch`, `best_score` and
    /// `stopped_early`. The optimizer's settings (betas, ...) are not saved: resume with an
    /// optimizer built the same way.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), WeightsError> {
        let path = path.as_ref();
        let bytes = self.to_bytes()?;
        crate::io::write_atomic(path, &bytes)
            .map_err(|source| WeightsError::Write { path: path.to_path_buf(), source })
    }

    /// The bytes [`Checkpoint::save`] writes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, WeightsError> {
        let state = self.state;
        let mut tensors = Vec::new();
        io::push_network(self.net, "", &mut tensors);
        self.optimizer.visit_state(&mut |name, net| {
            io::push_network(net, &format!("optimizer.{name}."), &mut tensors);
        });
        if let Some((_, best)) = &state.best {
            io::push_network(best, "best.", &mut tensors);
        }
        let order: Vec<u8> = state.order.iter().flat_map(|&i| (i as u64).to_le_bytes()).collect();
        let shape = vec![state.order.len()];
        tensors.push(io::OwnedTensor {
            name: "trainer.order".into(),
            dtype: io::Dtype::U64,
            shape,
            bytes: order,
        });
        let mut history = Vec::new();
        for e in &state.history.epochs {
            let row = [
                e.epoch as f64,
                e.train_loss,
                e.validation_loss.unwrap_or(f64::NAN),
                e.validation_accuracy.unwrap_or(f64::NAN),
                e.validation_f1.unwrap_or(f64::NAN),
                e.validation_mae.unwrap_or(f64::NAN),
                e.validation_r2.unwrap_or(f64::NAN),
                e.learning_rate,
                e.seconds,
                e.samples_per_second,
            ];
            history.extend(row.iter().flat_map(|v| v.to_le_bytes()));
        }
        let shape = vec![state.history.epochs.len(), HISTORY_COLUMNS];
        tensors.push(io::OwnedTensor {
            name: "trainer.history".into(),
            dtype: io::Dtype::F64,
            shape,
            bytes: history,
        });

        let mut meta = HashMap::new();
        let mut put = |key: &str, value: String| meta.insert(key.to_string(), value);
        put("format", CHECKPOINT_FORMAT.to_string());
        put("epoch", state.epoch.to_string());
        if let Some(rate) = state.base_rate {
            put("base_rate", format!("{:?}", rate.as_f64()));
        }
        put("learning_rate", format!("{:?}", self.optimizer.learning_rate().as_f64()));
        put("optimizer_steps", self.optimizer.step_count().to_string());
        put("shuffle", rng_to_string(&state.shuffle));
        put("dropout", rng_to_string(&state.dropout));
        if let Some(best) = state.history.best {
            put("best_epoch", best.to_string());
        }
        if let Some((score, _)) = &state.best {
            put("best_score", format!("{score:?}"));
        }
        put("stopped_early", state.history.stopped_early.to_string());
        io::serialize_tensors(&tensors, meta)
    }
}

/// Reads a checkpoint written by [`Checkpoint::save`] into the network, the optimizer's state
/// and `state`, so that [`Trainer::fit_from`] goes on where the saved run was. Everything is
/// checked before anything is written: on error all three are unchanged.
pub fn load_checkpoint<T, N, Opt>(
    path: impl AsRef<Path>,
    net: &mut N,
    optimizer: &mut Opt,
    state: &mut TrainState<T, N>,
) -> Result<(), WeightsError>
where
    T: Float,
    N: Network<T>,
    Opt: Optimizer<T, N>,
{
    let path = path.as_ref();
    let bytes = std::fs::read(path)
        .map_err(|source| WeightsError::Read { path: path.to_path_buf(), source })?;
    load_checkpoint_bytes(&bytes, net, optimizer, state)
}

/// [`load_checkpoint`] from the bytes of the file.
pub fn load_checkpoint_bytes<T, N, Opt>(
    bytes: &[u8],
    net: &mut N,
    optimizer: &mut Opt,
    state: &mut TrainState<T, N>,
) -> Result<(), WeightsError>
where
    T: Float,
    N: Network<T>,
    Opt: Optimizer<T, N>,
{
    let bad = |reason: String| WeightsError::Format { reason };
    let (file, meta) = io::parse_file(bytes)?;
    let text = |key: &str| {
        meta.get(key)
            .ok_or_else(|| bad(format!("it is not a checkpoint: its metadata has no `{key}`")))
    };
    fn number<V: std::str::FromStr>(key: &str, text: &str) -> Result<V, WeightsError> {
        text.parse().map_err(|_| WeightsError::Format {
            reason: format!("its metadata's `{key}` is not a number: {text:?}"),
        })
    }
    if text("format")? != CHECKPOINT_FORMAT {
        return Err(bad(format!("its format is {:?}, not {CHECKPOINT_FORMAT:?}", meta["format"])));
    }
    let epoch: usize = number("epoch", text("epoch")?)?;
    let base_rate = match meta.get("base_rate") {
        Some(t) => Some(T::lit(number::<f64>("base_rate", t)?)),
        None => None,
    };
    let learning_rate = T::lit(number::<f64>("learning_rate", text("learning_rate")?)?);
    let steps: u64 = number("optimizer_steps", text("optimizer_steps")?)?;
    let shuffle = rng_from_string("shuffle", text("shuffle")?)?;
    let dropout = rng_from_string("dropout", text("dropout")?)?;
    let best_epoch = match meta.get("best_epoch") {
        Some(t) => Some(number::<usize>("best_epoch", t)?),
        None => None,
    };
    let stopped_early = text("stopped_early")? == "true";

    let mut new_net = net.clone();
    io::read_network(&mut new_net, &file, "")?;
    let mut optimizer_state = Vec::new();
    let mut failed = None;
    optimizer.visit_state(&mut |name, _| {
        let mut s = N::zeros();
        match io::read_network(&mut s, &file, &format!("optimizer.{name}.")) {
            Ok(()) => optimizer_state.push(s),
            Err(e) => failed = failed.take().or(Some(e)),
        }
    });
    if let Some(error) = failed {
        return Err(error);
    }
    let best = match meta.get("best_score") {
        Some(t) => {
            let mut best = N::zeros();
            io::read_network(&mut best, &file, "best.")?;
            Some((number::<f64>("best_score", t)?, best))
        }
        None => None,
    };
    let tensor = |name: &str, dtype: io::Dtype| {
        let t = file.tensor(name).map_err(|_| bad(format!("it has no tensor \"{name}\"")))?;
        if t.dtype() != dtype {
            return Err(bad(format!("tensor \"{name}\" is {}, not {dtype}", t.dtype())));
        }
        Ok(t)
    };
    let order: Vec<usize> = tensor("trainer.order", io::Dtype::U64)?
        .data()
        .chunks_exact(8)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()) as usize)
        .collect();
    let history = tensor("trainer.history", io::Dtype::F64)?;
    let values: Vec<f64> = history
        .data()
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().unwrap_or_default()))
        .collect();
    if history.shape().get(1) != Some(&HISTORY_COLUMNS) {
        return Err(bad(format!("tensor \"trainer.history\" has shape {:?}", history.shape())));
    }
    let samples = order.len();
    if !is_permutation(&order, samples) {
        return Err(bad("tensor \"trainer.order\" is not an order of the samples".to_string()));
    }
    let optional = |v: f64| (!v.is_nan()).then_some(v);
    let epochs = values
        .chunks_exact(HISTORY_COLUMNS)
        .map(|r| Epoch {
            epoch: r[0] as usize,
            train_loss: r[1],
            validation_loss: optional(r[2]),
            validation_accuracy: optional(r[3]),
            validation_f1: optional(r[4]),
            validation_mae: optional(r[5]),
            validation_r2: optional(r[6]),
            learning_rate: r[7],
            seconds: r[8],
            samples_per_second: r[9],
        })
        .collect();

    if best_epoch.is_some_and(|b| b >= values.len() / HISTORY_COLUMNS) {
        return Err(bad("its `best_epoch` is not an epoch of its history".to_string()));
    }

    // Everything read: write.
    *net = new_net;
    let mut loaded = optimizer_state.into_iter();
    optimizer.visit_state_mut(&mut |_, s| {
        if let Some(l) = loaded.next() {
            *s = l;
        }
    });
    optimizer.set_learning_rate(learning_rate);
    optimizer.set_step_count(steps);
    *state = TrainState {
        epoch,
        base_rate,
        shuffle,
        dropout,
        order,
        history: History { epochs, best: best_epoch, stopped_early },
        best,
    };
    Ok(())
}

/// A generator's position as `<seed in hex>:<stream>:<word position>`.
fn rng_to_string(rng: &ChaCha8Rng) -> String {
    let seed: String = rng.get_seed().iter().map(|b| format!("{b:02x}")).collect();
    format!("{seed}:{}:{}", rng.get_stream(), rng.get_word_pos())
}

/// The generator [`rng_to_string`] wrote.
fn rng_from_string(key: &str, text: &str) -> Result<ChaCha8Rng, WeightsError> {
    let bad = || WeightsError::Format {
        reason: format!("its metadata's `{key}` is not a generator's position: {text:?}"),
    };
    let mut parts = text.split(':');
    let (Some(seed), Some(stream), Some(word), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    if seed.len() != 64 || !seed.is_ascii() {
        return Err(bad());
    }
    let mut bytes = [0_u8; 32];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = u8::from_str_radix(&seed[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    let mut rng = ChaCha8Rng::from_seed(bytes);
    rng.set_stream(stream.parse().map_err(|_| bad())?);
    rng.set_word_pos(word.parse().map_err(|_| bad())?);
    Ok(rng)
}
