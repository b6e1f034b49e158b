//! W4 deep-narrow: 32 inputs, 16 hidden dense layers of 32 units (tanh), then dense(1)
//! (sigmoid), binary cross-entropy, SGD with learning rate 0.01. Metrics `train_b1` (`nn`'s
//! unbatched form, an `SVector` of 32 inputs) and `train_b32`.

use std::hint::black_box;

use nn::nalgebra::{SMatrix, SVector};
use nn::Sgd;
use rand::Rng;

use crate::data::{binary_labels, init_uniform_fan_in, inputs};
use crate::harness::{bench, emit, Alternate};
use crate::Ctx;

nn::network! {
    /// W4: 32 -> 16 x 32 -> 1.
    pub struct DeepNarrow {
        input: 32,
        h1: dense(32) -> tanh,
        h2: dense(32) -> tanh,
        h3: dense(32) -> tanh,
        h4: dense(32) -> tanh,
        h5: dense(32) -> tanh,
        h6: dense(32) -> tanh,
        h7: dense(32) -> tanh,
        h8: dense(32) -> tanh,
        h9: dense(32) -> tanh,
        h10: dense(32) -> tanh,
        h11: dense(32) -> tanh,
        h12: dense(32) -> tanh,
        h13: dense(32) -> tanh,
        h14: dense(32) -> tanh,
        h15: dense(32) -> tanh,
        h16: dense(32) -> tanh,
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

/// The network and its optimizer, with one method per timed call: the one place to change
/// which `nn` API a metric measures.
pub struct Bench {
    net: DeepNarrow<f32>,
    sgd: Sgd<f32>,
    /// The gradient, kept between steps so that a step allocates none.
    grad: DeepNarrow<f32>,
}

impl Bench {
    /// The network initialised by the spec, and SGD with W4's learning rate.
    pub fn new(rng: &mut impl Rng) -> Self {
        let mut net = DeepNarrow::<f32>::zeros();
        init_uniform_fan_in(&mut net, rng);
        Bench { net, sgd: Sgd::new(0.01), grad: DeepNarrow::<f32>::zeros() }
    }

    /// One training step, batch 1: loss and gradient, then the SGD update. Returns the loss.
    pub fn train_b1(&mut self, x: &SVector<f32, 32>, y: &SMatrix<f32, 1, 1>) -> f32 {
        let loss = self.net.loss_and_grad_into(x, y, &mut self.grad);
        self.sgd.step(&mut self.net, &self.grad);
        loss
    }

    /// One training step, batch 32: mean loss and its gradient, then the SGD update. Returns
    /// the loss.
    pub fn train_b32(&mut self, xs: &SMatrix<f32, 32, 32>, ys: &SMatrix<f32, 1, 32>) -> f32 {
        let loss = self.net.loss_and_grad_batch_into::<32>(xs, ys, &mut self.grad);
        self.sgd.step(&mut self.net, &self.grad);
        loss
    }
}

/// Times and prints W4's metrics.
pub fn run(ctx: &mut Ctx) {
    let (cfg, peer) = (&ctx.cfg, ctx.peer.as_str());
    let mut b = Bench::new(&mut ctx.rng);

    let x = inputs::<32, 1>(&mut ctx.rng);
    let (a, opposite) = binary_labels::<1>(&mut ctx.rng);
    let mut ys = Alternate::new(a, opposite);
    let mut loss = 0.0;
    let t = bench(cfg, || {
        loss = b.train_b1(black_box(&*x), black_box(ys.next_labels()));
        black_box(loss);
    });
    emit("W4", "train_b1", peer, &t, 1);
    eprintln!("  W4 last training loss (batch 1) {loss:.4}");

    let xs = inputs::<32, 32>(&mut ctx.rng);
    let (a, opposite) = binary_labels::<32>(&mut ctx.rng);
    let mut ys = Alternate::new(a, opposite);
    let t = bench(cfg, || {
        loss = b.train_b32(black_box(&*xs), black_box(ys.next_labels()));
        black_box(loss);
    });
    emit("W4", "train_b32", peer, &t, 32);
    eprintln!("  W4 last training loss (batch 32) {loss:.4}");
}
