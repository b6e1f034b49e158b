//! W1 xor-tiny: 2 -> 8 (tanh) -> 1 (sigmoid), binary cross-entropy, SGD with learning rate
//! 0.1. Metrics `infer_b1` and `train_b1`. Batch 1 uses `nn`'s unbatched form, an `SVector`
//! of the 2 inputs.

use std::hint::black_box;

use nn::nalgebra::{SMatrix, SVector};
use nn::Sgd;
use rand::Rng;

use crate::data::{binary_labels, init_uniform_fan_in, inputs};
use crate::harness::{bench, emit, Alternate};
use crate::Ctx;

nn::network! {
    /// W1: 2-8-1.
    pub struct XorTiny {
        input: 2,
        hidden: dense(8) -> tanh,
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

/// The network and its optimizer, with one method per timed call: the one place to change
/// which `nn` API a metric measures.
pub struct Bench {
    net: XorTiny<f32>,
    sgd: Sgd<f32>,
    /// The gradient, kept between steps so that a step allocates none.
    grad: XorTiny<f32>,
}

impl Bench {
    /// The network initialised by the spec, and SGD with W1's learning rate.
    pub fn new(rng: &mut impl Rng) -> Self {
        let mut net = XorTiny::<f32>::zeros();
        init_uniform_fan_in(&mut net, rng);
        Bench { net, sgd: Sgd::new(0.1), grad: XorTiny::<f32>::zeros() }
    }

    /// One inference call, batch 1: the sigmoid probability.
    pub fn infer_b1(&self, x: &SVector<f32, 2>) -> SVector<f32, 1> {
        self.net.forward(x)
    }

    /// One training step, batch 1: loss and gradient, then the SGD update. Returns the loss.
    pub fn train_b1(&mut self, x: &SVector<f32, 2>, y: &SMatrix<f32, 1, 1>) -> f32 {
        let loss = self.net.loss_and_grad_into(x, y, &mut self.grad);
        self.sgd.step(&mut self.net, &self.grad);
        loss
    }
}

/// Times and prints W1's metrics.
pub fn run(ctx: &mut Ctx) {
    let (cfg, peer) = (&ctx.cfg, ctx.peer.as_str());
    let mut b = Bench::new(&mut ctx.rng);
    let x = inputs::<2, 1>(&mut ctx.rng);
    let (a, opposite) = binary_labels::<1>(&mut ctx.rng);
    let mut ys = Alternate::new(a, opposite);

    let t = bench(cfg, || {
        black_box(black_box(&b).infer_b1(black_box(&*x)));
    });
    emit("W1", "infer_b1", peer, &t, 1);

    let mut loss = 0.0;
    let t = bench(cfg, || {
        loss = b.train_b1(black_box(&*x), black_box(ys.next_labels()));
        black_box(loss);
    });
    emit("W1", "train_b1", peer, &t, 1);
    eprintln!("  W1 last training loss {loss:.4}");
}
