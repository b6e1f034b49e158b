//! Training loops, written once against [`Model`]: epochs of shuffled mini-batches, validation
//! after each epoch, early stopping, a learning-rate schedule, gradient clipping, a progress
//! bar, and a history of what happened.
//!
//! The crate documentation of `nn` has a runnable example, under "Training".

use std::fmt;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use nalgebra::{SMatrix, SVector};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::data::Dataset;
use crate::metrics;
use crate::optim::{self, clip_grad_norm, Optimizer, Schedule, SettingError};
use crate::{zeroed_box, Float, Model};

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

    /// Whether to show a progress bar (epoch, batch, loss, throughput). It is drawn on standard
    /// error, and only when that is a terminal: in a pipe or a CI log it is hidden either way.
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
        let mut order: Vec<usize> = (0..samples).collect();
        let mut shuffle = ChaCha8Rng::seed_from_u64(self.seed);
        let mut dropout = ChaCha8Rng::seed_from_u64(self.seed);
        dropout.set_stream(1);
        // Batches live on the heap: `I x B` scalars can exceed what belongs on a stack.
        let mut xs: Box<SMatrix<T, I, B>> = zeroed_box();
        let mut ys: Box<SMatrix<T, O, B>> = zeroed_box();
        let base_rate = optimizer.learning_rate();
        let bar = self.progress_bar(batches);

        let mut history = History { epochs: Vec::new(), best: None, stopped_early: false };
        let mut best: Option<(f64, N)> = None;
        for epoch in 1..=self.epochs {
            let rate = self.schedule.learning_rate(base_rate, epoch - 1);
            optimizer.set_learning_rate(rate);
            order.shuffle(&mut shuffle);
            let started = Instant::now();
            let mut total = 0.0;
            for (batch, indices) in order.chunks_exact(B).enumerate() {
                for (column, &i) in indices.iter().enumerate() {
                    xs.set_column(column, &train.inputs[i]);
                    ys.set_column(column, &train.targets[i]);
                }
                let (loss, mut grad) = net.loss_and_grad_batch_training(&xs, &ys, &mut dropout);
                let loss = loss.as_f64();
                if !loss.is_finite() {
                    bar.abandon();
                    restore_best(net, best);
                    let history = Box::new(history);
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
            let (validation_loss, validation_accuracy) = match validation {
                Some(data) if !data.inputs.is_empty() => evaluate(net, data),
                _ => (None, None),
            };
            let record = Epoch {
                epoch,
                train_loss: total / batches as f64,
                validation_loss,
                validation_accuracy,
                learning_rate: rate.as_f64(),
                seconds,
                samples_per_second: (batches * B) as f64 / seconds.max(1e-9),
            };
            if let Some(loss) = validation_loss.filter(|l| !l.is_finite()) {
                bar.abandon();
                restore_best(net, best);
                history.epochs.push(record);
                let history = Box::new(history);
                return Err(TrainError::Diverged { epoch, batch: 0, loss, history });
            }
            on_epoch(&record);
            bar.println(record.to_string());
            history.epochs.push(record);

            let Some(stopping) = self.early_stopping else { continue };
            let score = match stopping.monitor {
                Monitor::ValidationLoss => validation_loss.map(|l| -l),
                Monitor::ValidationAccuracy => validation_accuracy,
            };
            let Some(score) = score else {
                bar.abandon();
                return Err(TrainError::NoAccuracy);
            };
            match &best {
                Some((best_score, _)) if score <= best_score + stopping.min_delta => {
                    let best_epoch = history.best.unwrap_or(0) + 1;
                    if epoch - best_epoch >= stopping.patience {
                        history.stopped_early = true;
                        break;
                    }
                }
                _ => {
                    best = Some((score, net.clone()));
                    history.best = Some(epoch - 1);
                }
            }
        }
        bar.finish_and_clear();
        restore_best(net, best);
        Ok(history)
    }

    fn progress_bar(&self, batches: usize) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        // `stderr()` draws only when standard error is a terminal: hidden in pipes and logs.
        // `Trainer::new(usize::MAX)` trains until early stopping ends it: saturate, not wrap.
        let length = u64::try_from(self.epochs.saturating_mul(batches)).unwrap_or(u64::MAX);
        let bar = ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("[{elapsed_precise}] {bar:30} {msg}") {
            bar.set_style(style);
        }
        bar
    }
}

/// Puts the best network seen back into `net`, if early stopping kept one.
fn restore_best<N>(net: &mut N, best: Option<(f64, N)>) {
    if let Some((_, best_net)) = best {
        *net = best_net;
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

/// The mean loss over a data set, and its accuracy when every target is a class: a one-hot
/// vector, or 0 or 1 for a single output.
fn evaluate<T: Float, N: Model<T, I, O>, const I: usize, const O: usize>(
    net: &N,
    data: &Dataset<T, I, O>,
) -> (Option<f64>, Option<f64>) {
    let predictions: Vec<SVector<T, O>> = data.inputs.iter().map(|x| net.forward(x)).collect();
    let loss =
        data.inputs.iter().zip(&data.targets).map(|(x, y)| net.loss(x, y).as_f64()).sum::<f64>()
            / data.inputs.len() as f64;
    let classes = data.targets.iter().all(|y| is_class(y));
    let accuracy = classes.then(|| metrics::accuracy(&predictions, &data.targets));
    (Some(loss), accuracy)
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
