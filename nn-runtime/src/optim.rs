//! Optimizers, learning-rate schedules and gradient clipping, written once against [`Network`].
//!
//! Every optimizer implements [`Optimizer`], so a training loop is written once for all of
//! them. With `g` the gradient of the loss, `lr` the learning rate and `t = 1, 2, ...` the
//! number of the step, an optimizer moves each parameter `w` as follows (all operations
//! elementwise; each is PyTorch's optimizer of the same name with its defaults):
//!
//! | optimizer | state | update |
//! |---|---|---|
//! | [`Sgd`] | none | `w <- w - lr * g` |
//! | [`Momentum::new`] | `b` | `b <- mu * b + g`, `w <- w - lr * b` |
//! | [`Momentum::nesterov`] | `b` | `b <- mu * b + g`, `w <- w - lr * (g + mu * b)` |
//! | [`Adam`] | `m`, `v` | `m <- b1 * m + (1 - b1) * g`, `v <- b2 * v + (1 - b2) * g^2`, `w <- w - lr * m_hat / (sqrt(v_hat) + eps)` with `m_hat = m / (1 - b1^t)`, `v_hat = v / (1 - b2^t)` |
//! | [`AdamW`] | `m`, `v` | `w <- w - lr * wd * w`, then Adam's update |
//! | [`RmsProp`] | `v` | `v <- alpha * v + (1 - alpha) * g^2`, `w <- w - lr * g / (sqrt(v) + eps)` |
//!
//! Weight decay `wd` applies to weights only ([`ParamKind::Weight`]): biases and learnable
//! activation parameters are never decayed. For every optimizer but [`AdamW`] it is the L2
//! penalty of PyTorch's `weight_decay`, `g <- g + wd * w`, added to a weight's gradient before
//! the update; [`AdamW`] decays the weight itself instead (Loshchilov and Hutter's decoupled
//! weight decay), so the decay is not rescaled by Adam's `1 / sqrt(v_hat)`.
//!
//! # State
//!
//! An optimizer's state (momentum buffers, moment estimates) is held in values of the
//! network's own type `N`, one scalar per parameter, so it is sized at compile time like the
//! network and lives beside it: for a network whose parameters are inline, `Adam<f32, Net>`
//! holds two `Net`s and five scalars, and no pointer. The state is created by the constructor
//! from [`Network::zeros`] (which allocates only if `N` boxes its largest layers), so that no
//! step allocates. The constructor takes only the hyperparameters; `N` is inferred
//! from the first call to [`Optimizer::step`], or named: `Adam::<f32, Net>::new(1e-3)`.
//!
//! A step walks the network, its gradient and the state together, tensor by tensor, in one
//! pass of [`Network::zip_state_mut`]: a call per tensor besides the arithmetic on the scalars.
//!
//! # Schedules and clipping
//!
//! A [`Schedule`] maps an epoch to a learning rate, which a training loop hands to
//! [`Optimizer::set_learning_rate`] between epochs; [`clip_grad_norm`] rescales a gradient
//! whose global norm exceeds a bound before the step.
//!
//! A full-batch training loop, written once for any network (`N` and the optimizer's
//! state type are inferred from the call to `step`):
//!
//! ```
//! use nn_runtime::optim::{clip_grad_norm, Adam, Optimizer, Schedule};
//! use nn_runtime::Network;
//!
//! /// Trains `net` for `epochs` epochs with Adam, its rate annealed from `base` to 0 along a
//! /// cosine, each gradient clipped to norm 1; `gradient` is the gradient of the loss at `net`.
//! fn train<N: Network<f64>>(net: &mut N, gradient: impl Fn(&N) -> N, base: f64, epochs: usize) {
//!     let mut adam = Adam::new(base);
//!     let schedule = Schedule::Cosine { period: epochs, min: 0.0 };
//!     for epoch in 0..epochs {
//!         adam.set_learning_rate(schedule.learning_rate(base, epoch));
//!         let mut grad = gradient(net);
//!         if clip_grad_norm(&mut grad, 1.0).is_finite() {
//!             adam.step(net, &grad);
//!         }
//!     }
//! }
//! ```

use std::fmt;

use crate::{Float, Network, ParamKind};

/// A setting that cannot work: a NaN or negative learning rate, Adam's `beta1 = 1`, a zero
/// `eps`, a patience of 0, ...
///
/// Returned by the optimizers' `try_new` constructors and [`Optimizer::check`], and by the
/// trainer (inside [`TrainError::Setting`](crate::train::TrainError::Setting)) before it
/// changes anything. Its message names the setting, its value and what it must be:
///
/// ```
/// use nn_runtime::optim::Sgd;
///
/// let error = Sgd::try_new(-0.01).unwrap_err();
/// assert_eq!(error.to_string(), "`learning_rate` is -0.01, but it must be a finite number, 0 or more");
/// let error = Sgd::new(0.1).with_weight_decay(f64::NAN).check().unwrap_err();
/// assert_eq!(error.setting, "weight_decay");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SettingError {
    /// The setting, as its field or argument is called: `"learning_rate"`, `"beta1"`, ...
    pub setting: &'static str,
    /// Its value.
    pub value: f64,
    /// What it must be: `"a finite number, 0 or more"`, `"at least 0 and below 1"`, ...
    pub expected: &'static str,
}

impl fmt::Display for SettingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is {}, but it must be {}", self.setting, self.value, self.expected)
    }
}

impl std::error::Error for SettingError {}

/// `Ok` if `value` passes `ok`, else the error naming `setting` and what it must be.
fn require<T: Float>(
    setting: &'static str,
    value: T,
    expected: &'static str,
    ok: impl Fn(f64) -> bool,
) -> Result<(), SettingError> {
    let value = value.as_f64();
    if ok(value) {
        Ok(())
    } else {
        Err(SettingError { setting, value, expected })
    }
}

/// A finite number, 0 or more: a learning rate, a weight decay. NaN fails every comparison.
pub(crate) fn non_negative<T: Float>(setting: &'static str, v: T) -> Result<(), SettingError> {
    require(setting, v, "a finite number, 0 or more", |v| v.is_finite() && v >= 0.0)
}

/// A finite number above 0: `eps`, a clipping norm.
pub(crate) fn positive<T: Float>(setting: &'static str, v: T) -> Result<(), SettingError> {
    require(setting, v, "a finite number above 0", |v| v.is_finite() && v > 0.0)
}

/// A decay in `[0, 1)`: a momentum, Adam's betas, RMSprop's alpha.
fn decay<T: Float>(setting: &'static str, v: T) -> Result<(), SettingError> {
    require(setting, v, "at least 0 and below 1", |v| (0.0..1.0).contains(&v))
}

/// What a training loop calls: one step of an optimizer, and its learning rate.
///
/// `N` is the network type and the type of its gradient. Implemented by [`Sgd`],
/// [`Momentum`], [`Adam`], [`AdamW`] and [`RmsProp`].
pub trait Optimizer<T: Float, N: Network<T>> {
    /// Moves `net` one step against `grad`, the gradient of its loss.
    fn step(&mut self, net: &mut N, grad: &N);
    /// The step size used by the next `step`.
    fn learning_rate(&self) -> T;
    /// Sets the step size (what a schedule does between epochs).
    fn set_learning_rate(&mut self, learning_rate: T);
    /// The first setting that cannot work, if any: what each optimizer's `try_new` checks,
    /// checked again on the settings as they are now (the fields are public, and `with_*`
    /// does not check). The trainer calls it before its first step. The default accepts
    /// everything.
    fn check(&self) -> Result<(), SettingError> {
        Ok(())
    }
    /// Calls `f` on each of the optimizer's state networks (momentum buffers, moment
    /// estimates) with its name (`"buffer"`, `"m"`, `"v"`): what a checkpoint saves. The
    /// default has none.
    fn visit_state(&self, f: &mut dyn FnMut(&'static str, &N)) {
        let _ = f;
    }
    /// [`Optimizer::visit_state`], mutably: what loading a checkpoint fills in.
    fn visit_state_mut(&mut self, f: &mut dyn FnMut(&'static str, &mut N)) {
        let _ = f;
    }
    /// The number of steps taken, where the update depends on it (Adam's bias correction);
    /// 0 for the others.
    fn step_count(&self) -> u64 {
        0
    }
    /// Sets the number of steps taken (loading a checkpoint). The default ignores it.
    fn set_step_count(&mut self, steps: u64) {
        let _ = steps;
    }
}

/// The weight-decay coefficient for a tensor of kind `kind`: `weight_decay` for weights, zero
/// for biases and activation parameters.
fn decay_for<T: Float>(kind: ParamKind, weight_decay: T) -> T {
    if kind == ParamKind::Weight {
        weight_decay
    } else {
        T::zero()
    }
}

/// Calls `f(kind, w, g, s)` on every tensor `w` of `net` (mutably) beside the same tensor `g`
/// of `grad` and `s` of `state` (mutably).
fn walk1<T: Float, N: Network<T>>(
    net: &mut N,
    grad: &N,
    state: &mut N,
    mut f: impl FnMut(ParamKind, &mut [T], &[T], &mut [T]),
) {
    net.zip_state_mut(grad, state, None, &mut |p, g, s, _| f(p.kind, p.values, g, s));
}

/// Calls `f(kind, w, g, a, b)` on every tensor `w` of `net` (mutably) beside the same tensor
/// `g` of `grad` and `a`, `b` of the two state networks (mutably).
fn walk2<T: Float, N: Network<T>>(
    net: &mut N,
    grad: &N,
    (a, b): (&mut N, &mut N),
    mut f: impl FnMut(ParamKind, &mut [T], &[T], &mut [T], &mut [T]),
) {
    net.zip_state_mut(grad, a, Some(b), &mut |p, g, a, b| f(p.kind, p.values, g, a, b));
}

/// Plain stochastic gradient descent with optional weight decay.
///
/// One step updates every weight `w <- w - lr * (g + weight_decay * w)` and every other
/// parameter (biases, learnable activation parameters) `b <- b - lr * g`. For plain SGD this
/// is exactly gradient descent on the structured risk `R = loss + weight_decay / 2 *
/// sum ||W||^2` (section 4.3.3 of the textbook); biases and activation parameters are not
/// decayed, as is usual (a decayed PReLU slope would be pulled toward a plain ReLU).
///
/// `Sgd` has no state, so it is not tied to a network type: one value steps any network,
/// through the inherent [`Sgd::step`] or through [`Optimizer`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sgd<T> {
    /// The step size `lr`. No default: it depends on the problem.
    pub learning_rate: T,
    /// The L2 coefficient applied to weights. Default 0 (no decay).
    pub weight_decay: T,
}

impl<T: Float> Sgd<T> {
    /// SGD with the given learning rate and no weight decay. The rate is not checked here:
    /// see [`Sgd::try_new`]; the trainer checks it before its first step.
    pub fn new(learning_rate: T) -> Self {
        Self { learning_rate, weight_decay: T::zero() }
    }

    /// [`Sgd::new`], or an error if the learning rate is NaN, infinite or negative.
    pub fn try_new(learning_rate: T) -> Result<Self, SettingError> {
        let sgd = Self::new(learning_rate);
        sgd.check()?;
        Ok(sgd)
    }

    /// The first setting that cannot work: a learning rate or weight decay that is NaN,
    /// infinite or negative.
    pub fn check(&self) -> Result<(), SettingError> {
        non_negative("learning_rate", self.learning_rate)?;
        non_negative("weight_decay", self.weight_decay)
    }

    /// The same optimizer with weight decay `weight_decay` on the weights.
    pub fn with_weight_decay(self, weight_decay: T) -> Self {
        Self { weight_decay, ..self }
    }

    /// Moves `net` one step against `grad`, the gradient of its loss.
    pub fn step<N: Network<T>>(&self, net: &mut N, grad: &N) {
        let (lr, decay) = (self.learning_rate, self.weight_decay);
        net.zip_mut(grad, &mut |p, g| {
            let decay = if p.kind == ParamKind::Weight { decay } else { T::zero() };
            if p.values.len() < 64 {
                // A small tensor's loop costs less than a kernel call.
                for (w, &g) in p.values.iter_mut().zip(g) {
                    *w -= lr * (g + decay * *w);
                }
            } else {
                (T::kernels().sgd)(lr, decay, p.values, g);
            }
        });
    }
}

impl<T: Float, N: Network<T>> Optimizer<T, N> for Sgd<T> {
    fn step(&mut self, net: &mut N, grad: &N) {
        Sgd::step(self, net, grad);
    }

    fn learning_rate(&self) -> T {
        self.learning_rate
    }

    fn set_learning_rate(&mut self, learning_rate: T) {
        self.learning_rate = learning_rate;
    }

    fn check(&self) -> Result<(), SettingError> {
        Self::check(self)
    }
}

/// Stochastic gradient descent with momentum, heavy-ball or Nesterov: PyTorch's `SGD` with
/// `momentum = mu` (and `nesterov = True`), `dampening = 0`.
///
/// With `g` the gradient plus the L2 term on weights (`g + weight_decay * w`), one step is
///
/// ```text
/// b <- mu * b + g                     (b = 0 before the first step, so b = g after it)
/// w <- w - lr * b                     heavy-ball momentum (Momentum::new)
/// w <- w - lr * (g + mu * b)          Nesterov momentum (Momentum::nesterov)
/// ```
///
/// Nesterov's form is Sutskever et al.'s, rewritten so that the gradient is taken at the
/// current parameters. The buffer `b` is a value of the network's type `N`.
#[derive(Clone, Debug)]
pub struct Momentum<T, N> {
    /// The step size `lr`. No default: it depends on the problem.
    pub learning_rate: T,
    /// The momentum `mu`, usually 0.9. No default; `0 <= mu < 1`.
    pub momentum: T,
    /// Nesterov momentum when true, heavy-ball momentum when false. Set by the constructor.
    pub nesterov: bool,
    /// The L2 coefficient applied to weights. Default 0 (no decay).
    pub weight_decay: T,
    /// The momentum buffer `b`.
    buffer: N,
}

impl<T: Float, N: Network<T>> Momentum<T, N> {
    /// Heavy-ball momentum `mu` with learning rate `learning_rate`, no weight decay. The
    /// settings are not checked here: see [`Momentum::try_new`]; the trainer checks them
    /// before its first step.
    pub fn new(learning_rate: T, momentum: T) -> Self {
        Self {
            learning_rate,
            momentum,
            nesterov: false,
            weight_decay: T::zero(),
            buffer: N::zeros(),
        }
    }

    /// Nesterov momentum `mu` with learning rate `learning_rate`, no weight decay.
    pub fn nesterov(learning_rate: T, momentum: T) -> Self {
        Self { nesterov: true, ..Self::new(learning_rate, momentum) }
    }

    /// [`Momentum::new`], or an error for a learning rate that is NaN, infinite or negative,
    /// or a momentum outside `[0, 1)`.
    pub fn try_new(learning_rate: T, momentum: T) -> Result<Self, SettingError> {
        let optimizer = Self::new(learning_rate, momentum);
        optimizer.check()?;
        Ok(optimizer)
    }

    /// [`Momentum::nesterov`], or an error as [`Momentum::try_new`] gives.
    pub fn try_nesterov(learning_rate: T, momentum: T) -> Result<Self, SettingError> {
        let optimizer = Self::nesterov(learning_rate, momentum);
        optimizer.check()?;
        Ok(optimizer)
    }

    /// The first setting that cannot work: a learning rate or weight decay that is NaN,
    /// infinite or negative, or a momentum outside `[0, 1)`.
    pub fn check(&self) -> Result<(), SettingError> {
        non_negative("learning_rate", self.learning_rate)?;
        decay("momentum", self.momentum)?;
        non_negative("weight_decay", self.weight_decay)
    }

    /// The same optimizer with L2 weight decay `weight_decay` on the weights.
    pub fn with_weight_decay(self, weight_decay: T) -> Self {
        Self { weight_decay, ..self }
    }
}

impl<T: Float, N: Network<T>> Optimizer<T, N> for Momentum<T, N> {
    fn step(&mut self, net: &mut N, grad: &N) {
        let (lr, mu, nesterov) = (self.learning_rate, self.momentum, self.nesterov);
        let weight_decay = self.weight_decay;
        walk1(net, grad, &mut self.buffer, |kind, w, g, b| {
            let decay = decay_for(kind, weight_decay);
            for ((w, &g), b) in w.iter_mut().zip(g).zip(b) {
                let g = g + decay * *w;
                *b = mu * *b + g;
                *w -= lr * if nesterov { g + mu * *b } else { *b };
            }
        });
    }

    fn learning_rate(&self) -> T {
        self.learning_rate
    }

    fn set_learning_rate(&mut self, learning_rate: T) {
        self.learning_rate = learning_rate;
    }

    fn check(&self) -> Result<(), SettingError> {
        Self::check(self)
    }

    fn visit_state(&self, f: &mut dyn FnMut(&'static str, &N)) {
        f("buffer", &self.buffer);
    }

    fn visit_state_mut(&mut self, f: &mut dyn FnMut(&'static str, &mut N)) {
        f("buffer", &mut self.buffer);
    }
}

/// One step of Adam on the moments `m`, `v` at step number `t`; with `decoupled`, weight decay
/// is AdamW's `w <- w - lr * wd * w` instead of an L2 term in the gradient.
fn adam_step<T: Float, N: Network<T>>(
    net: &mut N,
    grad: &N,
    moments: (&mut N, &mut N),
    t: u64,
    (lr, beta1, beta2, eps): (T, T, T, T),
    weight_decay: T,
    decoupled: bool,
) {
    let t = T::lit(t as f64);
    // PyTorch's arrangement: lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps), which
    // is lr * m_hat / (sqrt(v_hat) + eps).
    let step_size = lr / (T::one() - beta1.powf(t));
    let correction2_sqrt = (T::one() - beta2.powf(t)).sqrt();
    walk2(net, grad, moments, |kind, w, g, m, v| {
        let decay = decay_for(kind, weight_decay);
        for (((w, &g), m), v) in w.iter_mut().zip(g).zip(m).zip(v) {
            let g = if decoupled {
                *w -= lr * decay * *w;
                g
            } else {
                g + decay * *w
            };
            *m = beta1 * *m + (T::one() - beta1) * g;
            *v = beta2 * *v + (T::one() - beta2) * g * g;
            *w -= step_size * *m / (v.sqrt() / correction2_sqrt + eps);
        }
    });
}

/// Adam (Kingma and Ba, 2015) with bias correction, as PyTorch's `Adam`.
///
/// With `g` the gradient plus the L2 term on weights (`g + weight_decay * w`) and `t` the
/// number of the step, starting at 1:
///
/// ```text
/// m <- b1 * m + (1 - b1) * g              first moment, m = 0 before the first step
/// v <- b2 * v + (1 - b2) * g^2            second moment, v = 0 before the first step
/// m_hat = m / (1 - b1^t),  v_hat = v / (1 - b2^t)
/// w <- w - lr * m_hat / (sqrt(v_hat) + eps)
/// ```
///
/// `eps` is added after the square root and the bias correction, as in PyTorch and the paper.
/// The moments are values of the network's type `N`. For weight decay that is not rescaled
/// by `1 / sqrt(v_hat)`, use [`AdamW`].
#[derive(Clone, Debug)]
pub struct Adam<T, N> {
    /// The step size `lr`. No default here (PyTorch's is `1e-3`).
    pub learning_rate: T,
    /// The decay `b1` of the first moment. Default 0.9; `0 <= b1 < 1`.
    pub beta1: T,
    /// The decay `b2` of the second moment. Default 0.999; `0 <= b2 < 1`.
    pub beta2: T,
    /// Added to the denominator for stability. Default `1e-8`.
    pub eps: T,
    /// The L2 coefficient added to the gradient of weights. Default 0 (no decay).
    pub weight_decay: T,
    /// The first moment `m`.
    m: N,
    /// The second moment `v`.
    v: N,
    /// The number of steps taken.
    t: u64,
}

impl<T: Float, N: Network<T>> Adam<T, N> {
    /// Adam with learning rate `learning_rate` and PyTorch's defaults: `b1 = 0.9`,
    /// `b2 = 0.999`, `eps = 1e-8`, no weight decay.
    ///
    /// The settings are not checked here: see [`Adam::try_new`]; the trainer checks them
    /// before its first step.
    pub fn new(learning_rate: T) -> Self {
        Self {
            learning_rate,
            beta1: T::lit(0.9),
            beta2: T::lit(0.999),
            eps: T::lit(1e-8),
            weight_decay: T::zero(),
            m: N::zeros(),
            v: N::zeros(),
            t: 0,
        }
    }

    /// The same optimizer with moment decays `beta1` and `beta2`.
    pub fn with_betas(self, beta1: T, beta2: T) -> Self {
        Self { beta1, beta2, ..self }
    }

    /// The same optimizer with `eps` in the denominator.
    pub fn with_eps(self, eps: T) -> Self {
        Self { eps, ..self }
    }

    /// The same optimizer with L2 weight decay `weight_decay` added to the weights' gradient.
    pub fn with_weight_decay(self, weight_decay: T) -> Self {
        Self { weight_decay, ..self }
    }

    /// [`Adam::new`], or an error for a learning rate that is NaN, infinite or negative.
    pub fn try_new(learning_rate: T) -> Result<Self, SettingError> {
        let optimizer = Self::new(learning_rate);
        optimizer.check()?;
        Ok(optimizer)
    }

    /// The first setting that cannot work: a learning rate or weight decay that is NaN,
    /// infinite or negative, a beta outside `[0, 1)` (`beta1 = 1` would divide by
    /// `1 - beta1^t = 0`), or an `eps` that is not above 0 (with `eps = 0`, a parameter whose
    /// gradients have all been 0 would step by `0 / 0`).
    pub fn check(&self) -> Result<(), SettingError> {
        non_negative("learning_rate", self.learning_rate)?;
        decay("beta1", self.beta1)?;
        decay("beta2", self.beta2)?;
        positive("eps", self.eps)?;
        non_negative("weight_decay", self.weight_decay)
    }

    /// The number of steps taken, `t` of the last step.
    pub fn steps(&self) -> u64 {
        self.t
    }
}

impl<T: Float, N: Network<T>> Optimizer<T, N> for Adam<T, N> {
    fn step(&mut self, net: &mut N, grad: &N) {
        self.t = self.t.saturating_add(1);
        let hyper = (self.learning_rate, self.beta1, self.beta2, self.eps);
        let moments = (&mut self.m, &mut self.v);
        adam_step(net, grad, moments, self.t, hyper, self.weight_decay, false);
    }

    fn learning_rate(&self) -> T {
        self.learning_rate
    }

    fn set_learning_rate(&mut self, learning_rate: T) {
        self.learning_rate = learning_rate;
    }

    fn check(&self) -> Result<(), SettingError> {
        Self::check(self)
    }

    fn visit_state(&self, f: &mut dyn FnMut(&'static str, &N)) {
        f("m", &self.m);
        f("v", &self.v);
    }

    fn visit_state_mut(&mut self, f: &mut dyn FnMut(&'static str, &mut N)) {
        f("m", &mut self.m);
        f("v", &mut self.v);
    }

    fn step_count(&self) -> u64 {
        self.t
    }

    fn set_step_count(&mut self, steps: u64) {
        self.t = steps;
    }
}

/// Adam with decoupled weight decay (Loshchilov and Hutter, 2019), as PyTorch's `AdamW`.
///
/// Each step first decays every weight, `w <- w - lr * weight_decay * w` (biases and
/// activation parameters are not decayed), then takes [`Adam`]'s step with the plain gradient
/// `g`. Unlike Adam's L2 term, the decay is not divided by `sqrt(v_hat)`, so every weight
/// shrinks by the same factor `1 - lr * weight_decay` whatever the size of its gradients.
#[derive(Clone, Debug)]
pub struct AdamW<T, N> {
    /// The step size `lr`. No default here (PyTorch's is `1e-3`).
    pub learning_rate: T,
    /// The decay `b1` of the first moment. Default 0.9; `0 <= b1 < 1`.
    pub beta1: T,
    /// The decay `b2` of the second moment. Default 0.999; `0 <= b2 < 1`.
    pub beta2: T,
    /// Added to the denominator for stability. Default `1e-8`.
    pub eps: T,
    /// The decoupled decay coefficient `wd` of the weights. Default 0.01, PyTorch's.
    pub weight_decay: T,
    /// The first moment `m`.
    m: N,
    /// The second moment `v`.
    v: N,
    /// The number of steps taken.
    t: u64,
}

impl<T: Float, N: Network<T>> AdamW<T, N> {
    /// AdamW with learning rate `learning_rate` and PyTorch's defaults: `b1 = 0.9`,
    /// `b2 = 0.999`, `eps = 1e-8`, `weight_decay = 0.01`.
    ///
    /// The settings are not checked here: see [`AdamW::try_new`]; the trainer checks them
    /// before its first step.
    pub fn new(learning_rate: T) -> Self {
        Self {
            learning_rate,
            beta1: T::lit(0.9),
            beta2: T::lit(0.999),
            eps: T::lit(1e-8),
            weight_decay: T::lit(0.01),
            m: N::zeros(),
            v: N::zeros(),
            t: 0,
        }
    }

    /// The same optimizer with moment decays `beta1` and `beta2`.
    pub fn with_betas(self, beta1: T, beta2: T) -> Self {
        Self { beta1, beta2, ..self }
    }

    /// The same optimizer with `eps` in the denominator.
    pub fn with_eps(self, eps: T) -> Self {
        Self { eps, ..self }
    }

    /// The same optimizer with decoupled weight decay `weight_decay`.
    pub fn with_weight_decay(self, weight_decay: T) -> Self {
        Self { weight_decay, ..self }
    }

    /// [`AdamW::new`], or an error for a learning rate that is NaN, infinite or negative.
    pub fn try_new(learning_rate: T) -> Result<Self, SettingError> {
        let optimizer = Self::new(learning_rate);
        optimizer.check()?;
        Ok(optimizer)
    }

    /// The first setting that cannot work: a learning rate or weight decay that is NaN,
    /// infinite or negative, a beta outside `[0, 1)` (`beta1 = 1` would divide by
    /// `1 - beta1^t = 0`), or an `eps` that is not above 0 (with `eps = 0`, a parameter whose
    /// gradients have all been 0 would step by `0 / 0`).
    pub fn check(&self) -> Result<(), SettingError> {
        non_negative("learning_rate", self.learning_rate)?;
        decay("beta1", self.beta1)?;
        decay("beta2", self.beta2)?;
        positive("eps", self.eps)?;
        non_negative("weight_decay", self.weight_decay)
    }

    /// The number of steps taken, `t` of the last step.
    pub fn steps(&self) -> u64 {
        self.t
    }
}

impl<T: Float, N: Network<T>> Optimizer<T, N> for AdamW<T, N> {
    fn step(&mut self, net: &mut N, grad: &N) {
        self.t = self.t.saturating_add(1);
        let hyper = (self.learning_rate, self.beta1, self.beta2, self.eps);
        let moments = (&mut self.m, &mut self.v);
        adam_step(net, grad, moments, self.t, hyper, self.weight_decay, true);
    }

    fn learning_rate(&self) -> T {
        self.learning_rate
    }

    fn set_learning_rate(&mut self, learning_rate: T) {
        self.learning_rate = learning_rate;
    }

    fn check(&self) -> Result<(), SettingError> {
        Self::check(self)
    }

    fn visit_state(&self, f: &mut dyn FnMut(&'static str, &N)) {
        f("m", &self.m);
        f("v", &self.v);
    }

    fn visit_state_mut(&mut self, f: &mut dyn FnMut(&'static str, &mut N)) {
        f("m", &mut self.m);
        f("v", &mut self.v);
    }

    fn step_count(&self) -> u64 {
        self.t
    }

    fn set_step_count(&mut self, steps: u64) {
        self.t = steps;
    }
}

/// RMSprop (Tieleman and Hinton, 2012), as PyTorch's `RMSprop` without momentum or centering.
///
/// With `g` the gradient plus the L2 term on weights (`g + weight_decay * w`):
///
/// ```text
/// v <- alpha * v + (1 - alpha) * g^2      v = 0 before the first step
/// w <- w - lr * g / (sqrt(v) + eps)
/// ```
///
/// There is no bias correction, so early steps are larger than `lr` (the first is
/// `lr / sqrt(1 - alpha)`, ten times `lr` for `alpha = 0.99`). The running average `v` is a
/// value of the network's type `N`.
#[derive(Clone, Debug)]
pub struct RmsProp<T, N> {
    /// The step size `lr`. No default here (PyTorch's is `1e-2`).
    pub learning_rate: T,
    /// The decay `alpha` of the running average of squared gradients. Default 0.99.
    pub alpha: T,
    /// Added to the denominator for stability. Default `1e-8`.
    pub eps: T,
    /// The L2 coefficient added to the gradient of weights. Default 0 (no decay).
    pub weight_decay: T,
    /// The running average `v` of squared gradients.
    v: N,
}

impl<T: Float, N: Network<T>> RmsProp<T, N> {
    /// RMSprop with learning rate `learning_rate` and PyTorch's defaults: `alpha = 0.99`,
    /// `eps = 1e-8`, no weight decay. The settings are not checked here: see
    /// [`RmsProp::try_new`]; the trainer checks them before its first step.
    pub fn new(learning_rate: T) -> Self {
        Self {
            learning_rate,
            alpha: T::lit(0.99),
            eps: T::lit(1e-8),
            weight_decay: T::zero(),
            v: N::zeros(),
        }
    }

    /// [`RmsProp::new`], or an error for a learning rate that is NaN, infinite or negative.
    pub fn try_new(learning_rate: T) -> Result<Self, SettingError> {
        let optimizer = Self::new(learning_rate);
        optimizer.check()?;
        Ok(optimizer)
    }

    /// The first setting that cannot work: a learning rate or weight decay that is NaN,
    /// infinite or negative, an `alpha` outside `[0, 1)`, or an `eps` not above 0.
    pub fn check(&self) -> Result<(), SettingError> {
        non_negative("learning_rate", self.learning_rate)?;
        decay("alpha", self.alpha)?;
        positive("eps", self.eps)?;
        non_negative("weight_decay", self.weight_decay)
    }

    /// The same optimizer with decay `alpha`.
    pub fn with_alpha(self, alpha: T) -> Self {
        Self { alpha, ..self }
    }

    /// The same optimizer with `eps` in the denominator.
    pub fn with_eps(self, eps: T) -> Self {
        Self { eps, ..self }
    }

    /// The same optimizer with L2 weight decay `weight_decay` added to the weights' gradient.
    pub fn with_weight_decay(self, weight_decay: T) -> Self {
        Self { weight_decay, ..self }
    }
}

impl<T: Float, N: Network<T>> Optimizer<T, N> for RmsProp<T, N> {
    fn step(&mut self, net: &mut N, grad: &N) {
        let (lr, alpha, eps) = (self.learning_rate, self.alpha, self.eps);
        let weight_decay = self.weight_decay;
        walk1(net, grad, &mut self.v, |kind, w, g, v| {
            let decay = decay_for(kind, weight_decay);
            for ((w, &g), v) in w.iter_mut().zip(g).zip(v) {
                let g = g + decay * *w;
                *v = alpha * *v + (T::one() - alpha) * g * g;
                *w -= lr * g / (v.sqrt() + eps);
            }
        });
    }

    fn learning_rate(&self) -> T {
        self.learning_rate
    }

    fn set_learning_rate(&mut self, learning_rate: T) {
        self.learning_rate = learning_rate;
    }

    fn check(&self) -> Result<(), SettingError> {
        Self::check(self)
    }

    fn visit_state(&self, f: &mut dyn FnMut(&'static str, &N)) {
        f("v", &self.v);
    }

    fn visit_state_mut(&mut self, f: &mut dyn FnMut(&'static str, &mut N)) {
        f("v", &mut self.v);
    }
}

/// A learning-rate schedule: the learning rate of each epoch, from a base rate `base` at
/// epoch 0. The closed forms of PyTorch's `StepLR`, `ExponentialLR` and `CosineAnnealingLR`.
///
/// A training loop sets the rate at the start of each epoch:
/// `opt.set_learning_rate(schedule.learning_rate(base, epoch))`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Schedule<T> {
    /// `base` at every epoch.
    Constant,
    /// `base * gamma^floor(epoch / every)`: the rate is multiplied by `gamma` every `every`
    /// epochs (PyTorch's `StepLR(step_size = every, gamma)`). `every = 0` is taken as 1.
    Step {
        /// The number of epochs between two decays.
        every: usize,
        /// The factor of each decay, usually 0.1.
        gamma: T,
    },
    /// `base * gamma^epoch` (PyTorch's `ExponentialLR(gamma)`).
    Exponential {
        /// The factor of each epoch.
        gamma: T,
    },
    /// `min + (base - min) * (1 + cos(pi * epoch / period)) / 2`: half a cosine from `base`
    /// at epoch 0 down to `min` at epoch `period` (PyTorch's `CosineAnnealingLR(T_max =
    /// period, eta_min = min)`). As in PyTorch, the formula goes on beyond `period`, climbing
    /// back to `base` at `2 * period`; train for `period` epochs to end at `min`. A `period`
    /// of 0 gives `min` at every epoch.
    Cosine {
        /// The number of epochs `T_max` from `base` to `min`.
        period: usize,
        /// The rate `eta_min` reached at epoch `period`.
        min: T,
    },
}

impl<T: Float> Schedule<T> {
    /// The first setting that cannot work: a `gamma` or `min` that is NaN, infinite or
    /// negative (a rate below 0 would climb the loss).
    pub fn check(&self) -> Result<(), SettingError> {
        match *self {
            Schedule::Constant => Ok(()),
            Schedule::Step { gamma, .. } | Schedule::Exponential { gamma } => {
                non_negative("gamma", gamma)
            }
            Schedule::Cosine { min, .. } => non_negative("min", min),
        }
    }

    /// The learning rate of epoch `epoch` (counted from 0) for a base rate `base`.
    ///
    /// ```
    /// use nn_runtime::optim::Schedule;
    ///
    /// let step = Schedule::Step { every: 2, gamma: 0.5 };
    /// assert_eq!([0, 1, 2, 3, 4].map(|e| step.learning_rate(0.8, e)), [0.8, 0.8, 0.4, 0.4, 0.2]);
    /// let cosine = Schedule::Cosine { period: 4, min: 0.0 };
    /// assert!((cosine.learning_rate(0.8, 2) - 0.4_f64).abs() < 1e-15);
    /// ```
    pub fn learning_rate(&self, base: T, epoch: usize) -> T {
        match *self {
            Schedule::Constant => base,
            Schedule::Step { every, gamma } => {
                base * gamma.powf(T::lit((epoch / every.max(1)) as f64))
            }
            Schedule::Exponential { gamma } => base * gamma.powf(T::lit(epoch as f64)),
            Schedule::Cosine { period: 0, min } => min,
            Schedule::Cosine { period, min } => {
                let phase = T::pi() * T::lit(epoch as f64) / T::lit(period as f64);
                min + (base - min) * (T::one() + phase.cos()) / T::lit(2.0)
            }
        }
    }
}

/// Rescales `grad` so that its global norm is at most `max_norm`, and returns the norm it had.
///
/// The global norm is `||g|| = sqrt(sum g_i^2)` over every scalar of every tensor. When
/// `||g|| > max_norm`, every scalar is multiplied by `max_norm / (||g|| + 1e-6)`; precisely,
/// as PyTorch's `clip_grad_norm_`, by `min(1, max_norm / (||g|| + 1e-6))`, so a norm within
/// `1e-6` below `max_norm` is also scaled, by a factor within `1e-6` of 1.
///
/// The norm is computed scaled by the largest magnitude, so that a finite gradient whose sum
/// of squares would overflow (entries above `1e19` in `f32`) still has a finite norm and is
/// clipped. If the norm is not finite, because an entry is infinite or NaN, the gradient is
/// left as it is and that norm (infinity or NaN) is returned: test `norm.is_finite()` and skip
/// the step. (PyTorch would multiply the gradient by 0 or NaN.) A negative `max_norm` scales
/// the gradient to zero; a NaN `max_norm` leaves it as it is.
///
/// For example, a gradient with entries `(3, 4)` and zeros elsewhere has norm 5; clipped to
/// norm 1 it becomes `(0.6, 0.8) * 5 / (5 + 1e-6)`, and 5 is returned.
pub fn clip_grad_norm<T: Float, N: Network<T>>(grad: &mut N, max_norm: T) -> T {
    let norm = global_norm(grad);
    if !norm.is_finite() {
        return norm;
    }
    let coefficient = max_norm / (norm + T::lit(1e-6));
    if coefficient < T::one() {
        let coefficient = coefficient.max(T::zero());
        grad.visit_mut(&mut |p| p.values.iter_mut().for_each(|g| *g *= coefficient));
    }
    norm
}

/// `sqrt(sum g_i^2)` over all scalars, computed as `a * sqrt(sum (g_i / a)^2)` with `a` the
/// largest magnitude so that the sum cannot overflow; NaN if an entry is NaN, infinity if one
/// is infinite.
fn global_norm<T: Float, N: Network<T>>(grad: &N) -> T {
    let mut largest = T::zero();
    let mut nan = false;
    grad.visit(&mut |p| {
        for &g in p.values {
            // NaN is the one value not ordered with itself; `max` would drop it.
            nan |= g.partial_cmp(&g).is_none();
            largest = largest.max(g.abs());
        }
    });
    if nan {
        return T::lit(f64::NAN);
    }
    if largest == T::zero() || !largest.is_finite() {
        return largest;
    }
    let mut sum = T::zero();
    grad.visit(&mut |p| {
        sum += p.values.iter().fold(T::zero(), |s, &g| s + (g / largest) * (g / largest));
    });
    largest * sum.sqrt()
}
