//! W5 rnn-last (`bench/peers/WORKLOADS.md` section 5, this repository's addition to the
//! shared spec): `rnn(64)` (tanh) over 32 steps of 16 values, its last state into `dense(1)`,
//! mean squared error, SGD with learning rate 0.01. Metrics `train_b32` and `infer_b32`; both
//! take the batched path, the batch advancing one step at a time.

use std::hint::black_box;

use nn::nalgebra::SMatrix;
use nn::{Network, Sgd};
use rand::Rng;

use crate::data::{binary_labels, inputs};
use crate::harness::{bench, emit, Alternate};
use crate::Ctx;

/// The width of a step, the steps and the units.
const WIDTH: usize = 16;
const STEPS: usize = 32;
const HIDDEN: usize = 64;

/// A sample: its 32 steps of 16 values one after the other.
const INPUTS: usize = WIDTH * STEPS;

nn::network! {
    /// W5: 32 steps of 16 -> rnn(64) -> the last state -> 1.
    pub struct RnnLast {
        input: 16 x 32,
        memory: rnn(64) -> tanh,
        output: dense(1),
        loss: mse,
    }
}

/// The network and its optimizer, with one method per timed call.
pub struct Bench {
    net: RnnLast<f32>,
    sgd: Sgd<f32>,
    /// The gradient, kept between steps so that a step allocates none.
    grad: RnnLast<f32>,
}

impl Bench {
    /// Every parameter from `U(-1/8, 1/8)`: `1/sqrt(H)` with `H = 64`, PyTorch's bound for
    /// `nn.RNN` and the fan-in rule for the head (WORKLOADS.md section 5).
    pub fn new(rng: &mut impl Rng) -> Self {
        let mut net = RnnLast::<f32>::zeros();
        let bound = 1.0 / (HIDDEN as f32).sqrt();
        net.visit_mut(&mut |p| {
            p.values.iter_mut().for_each(|v| *v = rng.random_range(-bound..bound));
        });
        Bench { net, sgd: Sgd::new(0.01), grad: RnnLast::<f32>::zeros() }
    }

    /// One training step, batch 32: mean loss and its gradient by backpropagation through
    /// time, then the SGD update. Returns the loss.
    pub fn train_b32(&mut self, xs: &SMatrix<f32, INPUTS, 32>, ys: &SMatrix<f32, 1, 32>) -> f32 {
        let loss = self.net.loss_and_grad_batch_into::<32>(xs, ys, &mut self.grad);
        self.sgd.step(&mut self.net, &self.grad);
        loss
    }

    /// One inference call, batch 32.
    pub fn infer_b32(&self, xs: &SMatrix<f32, INPUTS, 32>) -> SMatrix<f32, 1, 32> {
        self.net.forward_batch::<32>(xs)
    }
}

/// Times and prints W5's metrics.
pub fn run(ctx: &mut Ctx) {
    let (cfg, peer) = (&ctx.cfg, ctx.peer.as_str());
    let mut b = Bench::new(&mut ctx.rng);

    let xs = inputs::<INPUTS, 32>(&mut ctx.rng);
    let (a, opposite) = binary_labels::<32>(&mut ctx.rng);
    let mut ys = Alternate::new(a, opposite);
    let mut loss = 0.0;
    let t = bench(cfg, || {
        loss = b.train_b32(black_box(&*xs), black_box(ys.next_labels()));
        black_box(loss);
    });
    emit("W5", "train_b32", peer, &t, 32);
    eprintln!("  W5 last training loss (batch 32) {loss:.4}");

    let t = bench(cfg, || {
        black_box(b.infer_b32(black_box(&*xs)));
    });
    emit("W5", "infer_b32", peer, &t, 32);
}
