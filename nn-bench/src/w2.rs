//! W2 digits: 64 -> 128 (relu) -> 64 (relu) -> 10 (softmax), cross-entropy, SGD with learning
//! rate 0.01. Metrics `infer_b1` (`nn`'s unbatched form, an `SVector` of 64 inputs),
//! `infer_b256` and `train_b32` (samples as the columns of a matrix).

use std::hint::black_box;

use nn::nalgebra::{SMatrix, SVector};
use nn::Sgd;
use rand::Rng;

use crate::data::{class_labels, init_uniform_fan_in, inputs};
use crate::harness::{bench, emit, Alternate};
use crate::Ctx;

nn::network! {
    /// W2: 64-128-64-10.
    pub struct Digits {
        input: 64,
        hidden1: dense(128) -> relu,
        hidden2: dense(64) -> relu,
        output: dense(10) -> softmax,
        loss: cross_entropy,
    }
}

/// The network and its optimizer, with one method per timed call: the one place to change
/// which `nn` API a metric measures.
pub struct Bench {
    net: Digits<f32>,
    sgd: Sgd<f32>,
    /// The gradient, kept between steps so that a step allocates none.
    grad: Digits<f32>,
}

impl Bench {
    /// The network initialised by the spec, and SGD with W2's learning rate.
    pub fn new(rng: &mut impl Rng) -> Self {
        let mut net = Digits::<f32>::zeros();
        init_uniform_fan_in(&mut net, rng);
        Bench { net, sgd: Sgd::new(0.01), grad: Digits::<f32>::zeros() }
    }

    /// One inference call, batch 1: the softmax probabilities.
    pub fn infer_b1(&self, x: &SVector<f32, 64>) -> SVector<f32, 10> {
        self.net.forward(x)
    }

    /// One inference call, batch 256.
    pub fn infer_b256(&self, xs: &SMatrix<f32, 64, 256>) -> SMatrix<f32, 10, 256> {
        self.net.forward_batch::<256>(xs)
    }

    /// One training step, batch 32: mean loss and its gradient, then the SGD update. Returns
    /// the loss.
    pub fn train_b32(&mut self, xs: &SMatrix<f32, 64, 32>, ys: &SMatrix<f32, 10, 32>) -> f32 {
        let loss = self.net.loss_and_grad_batch_into::<32>(xs, ys, &mut self.grad);
        self.sgd.step(&mut self.net, &self.grad);
        loss
    }
}

/// Times and prints W2's metrics.
pub fn run(ctx: &mut Ctx) {
    let (cfg, peer) = (&ctx.cfg, ctx.peer.as_str());
    let mut b = Bench::new(&mut ctx.rng);

    let x = inputs::<64, 1>(&mut ctx.rng);
    // One sample has no batched products to split: timed on one thread only.
    if ctx.threads == 1 {
        let t = bench(cfg, || {
            black_box(black_box(&b).infer_b1(black_box(&*x)));
        });
        emit("W2", "infer_b1", peer, &t, 1);
    }

    let xs = inputs::<64, 256>(&mut ctx.rng);
    let t = bench(cfg, || {
        black_box(black_box(&b).infer_b256(black_box(&*xs)));
    });
    emit("W2", "infer_b256", peer, &t, 256);

    let xs = inputs::<64, 32>(&mut ctx.rng);
    let (a, opposite) = class_labels::<32>(&mut ctx.rng);
    let mut ys = Alternate::new(a, opposite);
    let mut loss = 0.0;
    let t = bench(cfg, || {
        loss = b.train_b32(black_box(&*xs), black_box(ys.next_labels()));
        black_box(loss);
    });
    emit("W2", "train_b32", peer, &t, 32);
    eprintln!("  W2 last training loss {loss:.4}");
}
