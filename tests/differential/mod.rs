//! The differential harness: every way the generated API computes a network's loss, gradient
//! and outputs must give what the per-sample code gives, in `f64`, to `TOLERANCE`.
//!
//! For one network, [`check`] moves every parameter off its initial value, draws inputs and
//! targets that fit the loss, and compares, entry by entry:
//!
//! - the reference: the mean over columns of `loss_and_grad(x_j, y_j)`, loss and gradient;
//! - `loss_and_grad_batch::<B>`, `loss_and_grad_batch_into` (into a buffer holding junk),
//!   `loss_and_grad_batch_parallel` and `_parallel_into` (both buffers holding junk) and
//!   `loss_batch` against it, for `B` = 3 (below the batched path's minimum batch of 6), 6,
//!   7, 13 and 16 (at and above it; 13 splits unevenly between the parallel halves);
//! - `forward_batch` against `forward`, column by column;
//! - per sample: `loss` and `loss_and_grad_into` (junk buffer) against `loss_and_grad`, the
//!   loss and parameter gradient of `loss_and_grad_input` against `loss_and_grad`, `jvp`'s
//!   output against `forward`, the adjoint identity `<u, J v> = <J^T u, v>` between `jvp`
//!   and `vjp`, and `vjp(x, dL/df)` against `loss_and_grad_input`'s input gradient;
//! - training mode: without dropout, every `*_training` call equals its inference form and
//!   leaves the generator untouched; with dropout, `loss_and_grad_batch_training::<B>` on a
//!   generator equals `loss_and_grad_training` called on each sample in order on a generator
//!   seeded the same (the mask draw order: samples in order, each sample's masks in line
//!   order), leaving the generator in the same state; and on one sample, `loss_training`,
//!   `loss_and_grad_training` and `forward_training` draw the same masks (the loss of
//!   `forward_training`'s output is `loss_training`'s, less the penalty).
//!
//! All of it runs at every vector-unit level the CPU has, each level's per-sample reference
//! equal to the baseline level's bit for bit.
//!
//! Every disagreement is collected, and the test fails once at the end listing them all, each
//! with the call, the entry that differs most and both values.
//!
//! A network joins with [`differential!`], which implements [`Paths`] (the generated inherent
//! methods, seen through one trait so that the harness is written once) and declares the test.

// Each test crate that includes the harness uses the part of `Spec` its networks need.
#![allow(dead_code)]

use std::fmt::{Debug, Write as _};

use nn::nalgebra::{SMatrix, SVector};
use nn::rand::{Rng, SeedableRng};
use nn::Network;
use rand_chacha::ChaCha8Rng;

/// How far two results may be apart: `|a - b| <= TOLERANCE * max(|a|, |b|, 1)`, relative for
/// values above 1 and absolute below.
pub const TOLERANCE: f64 = 1e-12;

/// The seed of the generator that moves the parameters and draws the data.
const SEED: u64 = 11;

/// The seed of the dropout generators in training-mode calls.
const MASKS: u64 = 99;

/// Samples of the per-sample checks.
const SAMPLES: usize = 8;

/// The targets a loss accepts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Target {
    /// Any values (`mse`): uniform in `[-1, 1]`.
    Mse,
    /// Values in `[0, 1]` (`binary_cross_entropy`).
    BinaryCrossEntropy,
    /// A probability distribution per sample (`cross_entropy`).
    CrossEntropy,
}

/// What a network is fed and what it is checked for.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    target: Target,
    dropout: bool,
    graph_nodes: Option<usize>,
}

impl Spec {
    /// A network without dropout over plain inputs, with targets for `target`.
    pub const fn new(target: Target) -> Self {
        Spec { target, dropout: false, graph_nodes: None }
    }

    /// A network without dropout trained with `mse`.
    pub const fn mse() -> Self {
        Spec::new(Target::Mse)
    }

    /// A network without dropout trained with `binary_cross_entropy`.
    pub const fn binary() -> Self {
        Spec::new(Target::BinaryCrossEntropy)
    }

    /// A network without dropout trained with `cross_entropy`.
    pub const fn multiclass() -> Self {
        Spec::new(Target::CrossEntropy)
    }

    /// The network has dropout: its training-mode calls are checked against the mask draw
    /// order, not against inference.
    pub const fn dropout(self) -> Self {
        Spec { dropout: true, ..self }
    }

    /// The input is a graph of `nodes` nodes (`input: graph(nodes, features)`): node features,
    /// then a symmetric non-negative adjacency.
    pub const fn graph(self, nodes: usize) -> Self {
        Spec { graph_nodes: Some(nodes), ..self }
    }

    fn input<const I: usize>(&self, rng: &mut ChaCha8Rng) -> SVector<f64, I> {
        let mut x = SVector::<f64, I>::from_fn(|_, _| rng.random_range(-1.5..1.5));
        if let Some(n) = self.graph_nodes {
            let adjacency = &mut x.as_mut_slice()[I - n * n..];
            for i in 0..n {
                adjacency[i * n + i] = 0.0;
                for j in 0..i {
                    let w = if rng.random::<bool>() { rng.random_range(0.5..1.5) } else { 0.0 };
                    adjacency[i * n + j] = w;
                    adjacency[j * n + i] = w;
                }
            }
        }
        x
    }

    fn target<const O: usize>(&self, rng: &mut ChaCha8Rng) -> SVector<f64, O> {
        match self.target {
            Target::Mse => SVector::from_fn(|_, _| rng.random_range(-1.0..1.0)),
            Target::BinaryCrossEntropy => SVector::from_fn(|_, _| rng.random_range(0.0..1.0)),
            Target::CrossEntropy => {
                let weights = SVector::<f64, O>::from_fn(|_, _| rng.random_range(0.05..1.0));
                weights / weights.sum()
            }
        }
    }

    /// The loss (without the penalty) of the output `f` for the target `y`, from the output
    /// and not from the logits as the generated code computes it: `mean (f - y)^2`,
    /// `-mean (y ln f + (1 - y) ln(1 - f))`, `-sum y ln f`.
    fn loss_of<const O: usize>(&self, f: &SVector<f64, O>, y: &SVector<f64, O>) -> f64 {
        let o = O as f64;
        match self.target {
            Target::Mse => (f - y).norm_squared() / o,
            Target::BinaryCrossEntropy => {
                -(0..O).map(|i| y[i] * f[i].ln() + (1.0 - y[i]) * (1.0 - f[i]).ln()).sum::<f64>()
                    / o
            }
            Target::CrossEntropy => -(0..O).map(|i| y[i] * f[i].ln()).sum::<f64>(),
        }
    }

    /// `dL/df`, the gradient of the loss (without the penalty) with respect to the output
    /// `f`: `2 (f - y) / O` for mse (a mean over outputs), `(f - y) / (f (1 - f) O)` for
    /// binary cross-entropy (a mean over outputs), `-y / f` for cross-entropy (`-sum y ln f`).
    fn loss_gradient<const O: usize>(
        &self,
        f: &SVector<f64, O>,
        y: &SVector<f64, O>,
    ) -> SVector<f64, O> {
        let o = O as f64;
        match self.target {
            Target::Mse => (f - y) * (2.0 / o),
            Target::BinaryCrossEntropy => {
                SVector::from_fn(|i, _| (f[i] - y[i]) / (f[i] * (1.0 - f[i]) * o))
            }
            Target::CrossEntropy => SVector::from_fn(|i, _| -y[i] / f[i]),
        }
    }
}

/// The generated API of a network over `f64` with input width `I` and output width `O`, as
/// one trait, so that the harness is written once for every network. [`differential!`]
/// implements it by calling the inherent methods of the same names.
#[allow(missing_docs)]
pub trait Paths<const I: usize, const O: usize>: Network<f64> + Debug {
    fn seeded(seed: u64) -> Self;
    fn forward(&self, x: &SVector<f64, I>) -> SVector<f64, O>;
    fn forward_training(&self, x: &SVector<f64, I>, rng: &mut ChaCha8Rng) -> SVector<f64, O>;
    fn forward_batch<const B: usize>(&self, xs: &SMatrix<f64, I, B>) -> SMatrix<f64, O, B>;
    fn loss(&self, x: &SVector<f64, I>, y: &SVector<f64, O>) -> f64;
    fn loss_training(&self, x: &SVector<f64, I>, y: &SVector<f64, O>, rng: &mut ChaCha8Rng) -> f64;
    fn loss_batch<const B: usize>(&self, xs: &SMatrix<f64, I, B>, ys: &SMatrix<f64, O, B>) -> f64;
    fn loss_and_grad(&self, x: &SVector<f64, I>, y: &SVector<f64, O>) -> (f64, Self);
    fn loss_and_grad_into(&self, x: &SVector<f64, I>, y: &SVector<f64, O>, grad: &mut Self) -> f64;
    fn loss_and_grad_input(
        &self,
        x: &SVector<f64, I>,
        y: &SVector<f64, O>,
    ) -> (f64, Self, SVector<f64, I>);
    fn loss_and_grad_training(
        &self,
        x: &SVector<f64, I>,
        y: &SVector<f64, O>,
        rng: &mut ChaCha8Rng,
    ) -> (f64, Self);
    fn loss_and_grad_batch<const B: usize>(
        &self,
        xs: &SMatrix<f64, I, B>,
        ys: &SMatrix<f64, O, B>,
    ) -> (f64, Self);
    fn loss_and_grad_batch_into<const B: usize>(
        &self,
        xs: &SMatrix<f64, I, B>,
        ys: &SMatrix<f64, O, B>,
        grad: &mut Self,
    ) -> f64;
    fn loss_and_grad_batch_parallel<const B: usize>(
        &self,
        xs: &SMatrix<f64, I, B>,
        ys: &SMatrix<f64, O, B>,
    ) -> (f64, Self);
    fn loss_and_grad_batch_parallel_into<const B: usize>(
        &self,
        xs: &SMatrix<f64, I, B>,
        ys: &SMatrix<f64, O, B>,
        grad: &mut Self,
        spare: &mut Self,
    ) -> f64;
    fn loss_and_grad_batch_training<const B: usize>(
        &self,
        xs: &SMatrix<f64, I, B>,
        ys: &SMatrix<f64, O, B>,
        rng: &mut ChaCha8Rng,
    ) -> (f64, Self);
    fn jvp(&self, x: &SVector<f64, I>, v: &SVector<f64, I>) -> (SVector<f64, O>, SVector<f64, O>);
    fn vjp(&self, x: &SVector<f64, I>, u: &SVector<f64, O>) -> SVector<f64, I>;
}

/// Declares the differential test of a network: `differential!(test_name: Net, spec)` with
/// `Net` declared by `network!` and `spec` a [`Spec`] saying its targets, whether it has
/// dropout and whether its input is a graph.
macro_rules! differential {
    ($test:ident: $net:ident, $spec:expr) => {
        const _: () = {
            const I: usize = <$net<f64> as ::nn::Network<f64>>::INPUTS;
            const O: usize = <$net<f64> as ::nn::Network<f64>>::OUTPUTS;

            impl crate::differential::Paths<I, O> for $net<f64> {
                fn seeded(seed: u64) -> Self {
                    <$net<f64>>::seeded(seed)
                }
                fn forward(
                    &self,
                    x: &::nn::nalgebra::SVector<f64, I>,
                ) -> ::nn::nalgebra::SVector<f64, O> {
                    <$net<f64>>::forward(self, x)
                }
                fn forward_training(
                    &self,
                    x: &::nn::nalgebra::SVector<f64, I>,
                    rng: &mut ::rand_chacha::ChaCha8Rng,
                ) -> ::nn::nalgebra::SVector<f64, O> {
                    <$net<f64>>::forward_training(self, x, rng)
                }
                fn forward_batch<const B: usize>(
                    &self,
                    xs: &::nn::nalgebra::SMatrix<f64, I, B>,
                ) -> ::nn::nalgebra::SMatrix<f64, O, B> {
                    <$net<f64>>::forward_batch(self, xs)
                }
                fn loss(
                    &self,
                    x: &::nn::nalgebra::SVector<f64, I>,
                    y: &::nn::nalgebra::SVector<f64, O>,
                ) -> f64 {
                    <$net<f64>>::loss(self, x, y)
                }
                fn loss_training(
                    &self,
                    x: &::nn::nalgebra::SVector<f64, I>,
                    y: &::nn::nalgebra::SVector<f64, O>,
                    rng: &mut ::rand_chacha::ChaCha8Rng,
                ) -> f64 {
                    <$net<f64>>::loss_training(self, x, y, rng)
                }
                fn loss_batch<const B: usize>(
                    &self,
                    xs: &::nn::nalgebra::SMatrix<f64, I, B>,
                    ys: &::nn::nalgebra::SMatrix<f64, O, B>,
                ) -> f64 {
                    <$net<f64>>::loss_batch(self, xs, ys)
                }
                fn loss_and_grad(
                    &self,
                    x: &::nn::nalgebra::SVector<f64, I>,
                    y: &::nn::nalgebra::SVector<f64, O>,
                ) -> (f64, Self) {
                    <$net<f64>>::loss_and_grad(self, x, y)
                }
                fn loss_and_grad_into(
                    &self,
                    x: &::nn::nalgebra::SVector<f64, I>,
                    y: &::nn::nalgebra::SVector<f64, O>,
                    grad: &mut Self,
                ) -> f64 {
                    <$net<f64>>::loss_and_grad_into(self, x, y, grad)
                }
                fn loss_and_grad_input(
                    &self,
                    x: &::nn::nalgebra::SVector<f64, I>,
                    y: &::nn::nalgebra::SVector<f64, O>,
                ) -> (f64, Self, ::nn::nalgebra::SVector<f64, I>) {
                    <$net<f64>>::loss_and_grad_input(self, x, y)
                }
                fn loss_and_grad_training(
                    &self,
                    x: &::nn::nalgebra::SVector<f64, I>,
                    y: &::nn::nalgebra::SVector<f64, O>,
                    rng: &mut ::rand_chacha::ChaCha8Rng,
                ) -> (f64, Self) {
                    <$net<f64>>::loss_and_grad_training(self, x, y, rng)
                }
                fn loss_and_grad_batch<const B: usize>(
                    &self,
                    xs: &::nn::nalgebra::SMatrix<f64, I, B>,
                    ys: &::nn::nalgebra::SMatrix<f64, O, B>,
                ) -> (f64, Self) {
                    <$net<f64>>::loss_and_grad_batch(self, xs, ys)
                }
                fn loss_and_grad_batch_into<const B: usize>(
                    &self,
                    xs: &::nn::nalgebra::SMatrix<f64, I, B>,
                    ys: &::nn::nalgebra::SMatrix<f64, O, B>,
                    grad: &mut Self,
                ) -> f64 {
                    <$net<f64>>::loss_and_grad_batch_into(self, xs, ys, grad)
                }
                fn loss_and_grad_batch_parallel<const B: usize>(
                    &self,
                    xs: &::nn::nalgebra::SMatrix<f64, I, B>,
                    ys: &::nn::nalgebra::SMatrix<f64, O, B>,
                ) -> (f64, Self) {
                    <$net<f64>>::loss_and_grad_batch_parallel(self, xs, ys)
                }
                fn loss_and_grad_batch_parallel_into<const B: usize>(
                    &self,
                    xs: &::nn::nalgebra::SMatrix<f64, I, B>,
                    ys: &::nn::nalgebra::SMatrix<f64, O, B>,
                    grad: &mut Self,
                    spare: &mut Self,
                ) -> f64 {
                    <$net<f64>>::loss_and_grad_batch_parallel_into(self, xs, ys, grad, spare)
                }
                fn loss_and_grad_batch_training<const B: usize>(
                    &self,
                    xs: &::nn::nalgebra::SMatrix<f64, I, B>,
                    ys: &::nn::nalgebra::SMatrix<f64, O, B>,
                    rng: &mut ::rand_chacha::ChaCha8Rng,
                ) -> (f64, Self) {
                    <$net<f64>>::loss_and_grad_batch_training(self, xs, ys, rng)
                }
                fn jvp(
                    &self,
                    x: &::nn::nalgebra::SVector<f64, I>,
                    v: &::nn::nalgebra::SVector<f64, I>,
                ) -> (::nn::nalgebra::SVector<f64, O>, ::nn::nalgebra::SVector<f64, O>) {
                    <$net<f64>>::jvp(self, x, v)
                }
                fn vjp(
                    &self,
                    x: &::nn::nalgebra::SVector<f64, I>,
                    u: &::nn::nalgebra::SVector<f64, O>,
                ) -> ::nn::nalgebra::SVector<f64, I> {
                    <$net<f64>>::vjp(self, x, u)
                }
            }
        };

        #[test]
        fn $test() {
            const I: usize = <$net<f64> as ::nn::Network<f64>>::INPUTS;
            const O: usize = <$net<f64> as ::nn::Network<f64>>::OUTPUTS;
            crate::differential::check::<$net<f64>, I, O>(stringify!($net), $spec);
        }
    };
}

pub(crate) use differential;

/// Runs every comparison on the network `N` (named `name` in messages) and fails listing
/// every disagreement.
///
/// The comparisons run at every vector-unit level the CPU has (`nn::simd::available`), and
/// the per-sample reference itself (outputs, losses, gradients) must be the same at every
/// level bit for bit: `f64` computes the same operations in the same order at each.
pub fn check<N: Paths<I, O>, const I: usize, const O: usize>(name: &str, spec: Spec) {
    let mut report = Report { failures: Vec::new() };
    let mut baseline: Option<Vec<f64>> = None;
    for level in nn::simd::available() {
        let at_level = nn::simd::with_level(level, || {
            let mut report = Report { failures: Vec::new() };
            let mut rng = ChaCha8Rng::seed_from_u64(SEED);
            let net = jiggle(N::seeded(2), &mut rng);
            let reference = fingerprint(&net, &spec, &mut rng.clone());
            samples(&net, &spec, &mut rng, &mut report);
            batch::<N, I, O, 3>(&net, &spec, &mut rng, &mut report);
            batch::<N, I, O, 6>(&net, &spec, &mut rng, &mut report);
            batch::<N, I, O, 7>(&net, &spec, &mut rng, &mut report);
            batch::<N, I, O, 13>(&net, &spec, &mut rng, &mut report);
            batch::<N, I, O, 16>(&net, &spec, &mut rng, &mut report);
            (report.failures, reference)
        });
        let (failures, reference) = at_level.expect("`available` lists levels the CPU has");
        report.failures.extend(failures.into_iter().map(|f| format!("[{level}] {f}")));
        match &baseline {
            None => baseline = Some(reference),
            Some(base) => {
                let differ =
                    base.iter().zip(&reference).filter(|(a, b)| a.to_bits() != b.to_bits());
                if let Some((a, b)) = differ.clone().next() {
                    report.failures.push(format!(
                        "[{level}] the per-sample reference differs from the baseline level's in {} of {} values (first: {b:e} against {a:e})",
                        differ.count(),
                        base.len()
                    ));
                }
            }
        }
    }
    if !report.failures.is_empty() {
        let mut message = format!(
            "`{name}`: {} of its paths disagree with the per-sample reference:",
            report.failures.len()
        );
        for failure in &report.failures {
            let _ = write!(message, "\n  {failure}");
        }
        panic!("{message}");
    }
}

/// The per-sample reference on a few samples, every number in one list: outputs, losses and
/// every gradient entry.
fn fingerprint<N: Paths<I, O>, const I: usize, const O: usize>(
    net: &N,
    spec: &Spec,
    rng: &mut ChaCha8Rng,
) -> Vec<f64> {
    let mut out = Vec::new();
    for _ in 0..SAMPLES {
        let (x, y) = (spec.input::<I>(rng), spec.target::<O>(rng));
        out.extend(net.forward(&x).iter());
        let (loss, grad) = net.loss_and_grad(&x, &y);
        out.push(loss);
        grad.visit(&mut |p| out.extend_from_slice(p.values));
    }
    out
}

/// Moves every parameter by up to `0.3`, so that biases and learnable activations are not at
/// their initial values.
fn jiggle<N: Network<f64>>(mut net: N, rng: &mut impl Rng) -> N {
    net.visit_mut(&mut |p| {
        p.values.iter_mut().for_each(|v| *v += 0.3 * (2.0 * rng.random::<f64>() - 1.0))
    });
    net
}

/// A gradient buffer holding values of another computation, which the `_into` calls must
/// overwrite.
fn junk<N: Network<f64>>(rng: &mut impl Rng) -> N {
    let mut net = N::zeros();
    net.visit_mut(&mut |p| {
        p.values.iter_mut().for_each(|v| *v = 1e3 * (2.0 * rng.random::<f64>() - 1.0))
    });
    net
}

/// How far `a` is from `b` in units of `max(|a|, |b|, 1)`; NaN when either is NaN.
fn distance(a: f64, b: f64) -> f64 {
    if a == b {
        return 0.0;
    }
    (a - b).abs() / a.abs().max(b.abs()).max(1.0)
}

fn agree(a: f64, b: f64) -> bool {
    distance(a, b) <= TOLERANCE
}

/// Every parameter entry of a network or gradient, with its tensor's name and index.
fn entries<N: Network<f64>>(net: &N) -> Vec<(&'static str, usize, f64)> {
    let mut all = Vec::new();
    net.visit(&mut |p| all.extend(p.values.iter().enumerate().map(|(i, &v)| (p.name, i, v))));
    all
}

/// The disagreements found so far, one line each.
struct Report {
    failures: Vec<String>,
}

impl Report {
    fn scalar(&mut self, what: &str, got: f64, want: f64) {
        if !agree(got, want) {
            self.failures.push(format!(
                "{what}: {got:e} where the reference gives {want:e} (off by {:.1e})",
                distance(got, want)
            ));
        }
    }

    fn vector(&mut self, what: &str, got: &[f64], want: &[f64]) {
        let off: Vec<usize> = (0..got.len()).filter(|&i| !agree(got[i], want[i])).collect();
        if let Some(&worst) = off
            .iter()
            .max_by(|&&i, &&j| distance(got[i], want[i]).total_cmp(&distance(got[j], want[j])))
        {
            self.failures.push(format!(
                "{what}: {} of {} entries differ, most at [{worst}]: {:e} where the reference \
                 gives {:e} (off by {:.1e})",
                off.len(),
                got.len(),
                got[worst],
                want[worst],
                distance(got[worst], want[worst])
            ));
        }
    }

    /// Compares a loss and its gradient with the reference's.
    fn gradient<N: Network<f64>>(&mut self, what: &str, got: (f64, &N), want: (f64, &N)) {
        self.scalar(&format!("{what}, loss"), got.0, want.0);
        let (got, want) = (entries(got.1), entries(want.1));
        let off: Vec<usize> = (0..got.len()).filter(|&i| !agree(got[i].2, want[i].2)).collect();
        if let Some(&worst) = off.iter().max_by(|&&i, &&j| {
            distance(got[i].2, want[i].2).total_cmp(&distance(got[j].2, want[j].2))
        }) {
            let (tensor, index, value) = got[worst];
            self.failures.push(format!(
                "{what}, gradient: {} of {} entries differ, most `{tensor}`[{index}]: {value:e} \
                 where the reference gives {:e} (off by {:.1e})",
                off.len(),
                got.len(),
                want[worst].2,
                distance(value, want[worst].2)
            ));
        }
    }
}

/// The calls on one sample at a time, on `SAMPLES` samples.
fn samples<N: Paths<I, O>, const I: usize, const O: usize>(
    net: &N,
    spec: &Spec,
    rng: &mut ChaCha8Rng,
    report: &mut Report,
) {
    for j in 0..SAMPLES {
        let x = spec.input::<I>(rng);
        let y = spec.target::<O>(rng);
        let (loss, grad) = net.loss_and_grad(&x, &y);
        let reference = (loss, &grad);
        report.scalar(&format!("sample {j}: `loss`"), net.loss(&x, &y), loss);
        let mut buffer = junk::<N>(rng);
        let into = net.loss_and_grad_into(&x, &y, &mut buffer);
        report.gradient(&format!("sample {j}: `loss_and_grad_into`"), (into, &buffer), reference);
        let (input_loss, input_grad, d_x) = net.loss_and_grad_input(&x, &y);
        report.gradient(
            &format!("sample {j}: `loss_and_grad_input`"),
            (input_loss, &input_grad),
            reference,
        );

        // Forward and reverse mode: `<u, J v> = <J^T u, v>`.
        let f = net.forward(&x);
        let v = SVector::<f64, I>::from_fn(|_, _| rng.random_range(-1.0..1.0));
        let u = SVector::<f64, O>::from_fn(|_, _| rng.random_range(-1.0..1.0));
        let (jvp_f, jv) = net.jvp(&x, &v);
        report.vector(&format!("sample {j}: `jvp`'s output"), jvp_f.as_slice(), f.as_slice());
        let left = u.dot(&jv);
        let right = net.vjp(&x, &u).dot(&v);
        report.scalar(
            &format!("sample {j}: `<u, jvp(x, v)>` against `<vjp(x, u), v>`"),
            left,
            right,
        );
        // The input gradient of the loss is `J^T dL/df`.
        let through_vjp = net.vjp(&x, &spec.loss_gradient(&f, &y));
        report.vector(
            &format!("sample {j}: `vjp(x, dL/df)` against `loss_and_grad_input`'s input gradient"),
            through_vjp.as_slice(),
            d_x.as_slice(),
        );

        let mut masks = ChaCha8Rng::seed_from_u64(MASKS);
        if spec.dropout {
            // The same masks, whichever call draws them.
            let training_loss = net.loss_training(&x, &y, &mut masks);
            let mut again = ChaCha8Rng::seed_from_u64(MASKS);
            let (with_grad, _) = net.loss_and_grad_training(&x, &y, &mut again);
            report.scalar(
                &format!("sample {j}: `loss_training` against `loss_and_grad_training`"),
                training_loss,
                with_grad,
            );
            if masks != again {
                report.failures.push(format!(
                    "sample {j}: `loss_training` and `loss_and_grad_training` draw differently"
                ));
            }
            // `forward_training` draws those masks too: its output's loss is the training
            // loss, less the penalty (the inference loss less the loss of `forward`).
            let mut forward_masks = ChaCha8Rng::seed_from_u64(MASKS);
            let output = net.forward_training(&x, &mut forward_masks);
            let penalty = net.loss(&x, &y) - spec.loss_of(&f, &y);
            report.scalar(
                &format!("sample {j}: the loss of `forward_training` against `loss_training`"),
                spec.loss_of(&output, &y) + penalty,
                training_loss,
            );
            if masks != forward_masks {
                report.failures.push(format!(
                    "sample {j}: `forward_training` and `loss_training` draw differently"
                ));
            }
        } else {
            let untouched = masks.clone();
            let training = net.forward_training(&x, &mut masks);
            report.vector(
                &format!("sample {j}: `forward_training` (no dropout)"),
                training.as_slice(),
                f.as_slice(),
            );
            let training = net.loss_training(&x, &y, &mut masks);
            report.scalar(&format!("sample {j}: `loss_training` (no dropout)"), training, loss);
            let (training, training_grad) = net.loss_and_grad_training(&x, &y, &mut masks);
            report.gradient(
                &format!("sample {j}: `loss_and_grad_training` (no dropout)"),
                (training, &training_grad),
                reference,
            );
            if masks != untouched {
                report.failures.push(format!(
                    "sample {j}: a training-mode call drew from the generator of a network \
                     without dropout"
                ));
            }
        }
    }
}

/// The mean over the columns of `(loss, grad)` of one sample: the reference of a batch.
fn mean<N: Network<f64>>(per_sample: impl IntoIterator<Item = (f64, N)>, count: usize) -> (f64, N) {
    let scale = 1.0 / count as f64;
    let mut total = (0.0, N::zeros());
    for (loss, grad) in per_sample {
        total.0 += loss * scale;
        nn::axpy(scale, &grad, &mut total.1);
    }
    total
}

/// The calls on a batch of `B` samples against the per-sample reference.
fn batch<N: Paths<I, O>, const I: usize, const O: usize, const B: usize>(
    net: &N,
    spec: &Spec,
    rng: &mut ChaCha8Rng,
    report: &mut Report,
) {
    let mut xs = SMatrix::<f64, I, B>::zeros();
    let mut ys = SMatrix::<f64, O, B>::zeros();
    for j in 0..B {
        xs.set_column(j, &spec.input::<I>(rng));
        ys.set_column(j, &spec.target::<O>(rng));
    }
    let x = |j: usize| -> SVector<f64, I> { xs.column(j).into_owned() };
    let y = |j: usize| -> SVector<f64, O> { ys.column(j).into_owned() };
    let (loss, grad) = mean((0..B).map(|j| net.loss_and_grad(&x(j), &y(j))), B);
    let reference = (loss, &grad);

    let (batched, batched_grad) = net.loss_and_grad_batch(&xs, &ys);
    report.gradient(&format!("`loss_and_grad_batch::<{B}>`"), (batched, &batched_grad), reference);
    let mut buffer = junk::<N>(rng);
    let into = net.loss_and_grad_batch_into(&xs, &ys, &mut buffer);
    report.gradient(&format!("`loss_and_grad_batch_into::<{B}>`"), (into, &buffer), reference);
    let (parallel, parallel_grad) = net.loss_and_grad_batch_parallel(&xs, &ys);
    report.gradient(
        &format!("`loss_and_grad_batch_parallel::<{B}>`"),
        (parallel, &parallel_grad),
        reference,
    );
    let (mut buffer, mut spare) = (junk::<N>(rng), junk::<N>(rng));
    let into = net.loss_and_grad_batch_parallel_into(&xs, &ys, &mut buffer, &mut spare);
    report.gradient(
        &format!("`loss_and_grad_batch_parallel_into::<{B}>`"),
        (into, &buffer),
        reference,
    );
    report.scalar(&format!("`loss_batch::<{B}>`"), net.loss_batch(&xs, &ys), loss);

    let outputs = net.forward_batch(&xs);
    let mut columns = SMatrix::<f64, O, B>::zeros();
    for j in 0..B {
        columns.set_column(j, &net.forward(&x(j)));
    }
    report.vector(
        &format!("`forward_batch::<{B}>` against `forward` column by column"),
        outputs.as_slice(),
        columns.as_slice(),
    );

    let mut masks = ChaCha8Rng::seed_from_u64(MASKS);
    let (training, training_grad) = net.loss_and_grad_batch_training(&xs, &ys, &mut masks);
    if spec.dropout {
        // Sample by sample in order, on a generator seeded the same.
        let mut in_order = ChaCha8Rng::seed_from_u64(MASKS);
        let (one_by_one, one_by_one_grad) =
            mean((0..B).map(|j| net.loss_and_grad_training(&x(j), &y(j), &mut in_order)), B);
        report.gradient(
            &format!(
                "`loss_and_grad_batch_training::<{B}>` against `loss_and_grad_training` on \
                 each sample in order"
            ),
            (training, &training_grad),
            (one_by_one, &one_by_one_grad),
        );
        if masks != in_order {
            report.failures.push(format!(
                "`loss_and_grad_batch_training::<{B}>` leaves the generator elsewhere than \
                 `loss_and_grad_training` on each sample in order"
            ));
        }
        if one_by_one == loss {
            report
                .failures
                .push(format!("`loss_and_grad_training` on {B} samples: dropout changed nothing"));
        }
    } else {
        let untouched = ChaCha8Rng::seed_from_u64(MASKS);
        report.gradient(
            &format!("`loss_and_grad_batch_training::<{B}>` (no dropout)"),
            (training, &training_grad),
            reference,
        );
        if masks != untouched {
            report.failures.push(format!(
                "`loss_and_grad_batch_training::<{B}>` drew from the generator of a network \
                 without dropout"
            ));
        }
    }
}
