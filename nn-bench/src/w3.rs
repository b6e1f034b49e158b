//! W3 mnist-size: 784 -> 256 (relu) -> 128 (relu) -> 10 (softmax), cross-entropy, SGD with
//! learning rate 0.01. Metrics `train_b64` and `infer_b256`, in ns/sample and GFLOP/s. The
//! network keeps its two large layers on the heap (`nn`'s memory rule), and both input
//! batches (196 KiB and 784 KiB) are boxed.

use std::hint::black_box;

use nn::nalgebra::SMatrix;
use nn::Sgd;
use rand::Rng;

use crate::data::{class_labels, init_uniform_fan_in, inputs};
use crate::harness::{bench, emit, Alternate};
use crate::Ctx;

nn::network! {
    /// W3: 784-256-128-10.
    pub struct MnistSize {
        input: 784,
        hidden1: dense(256) -> relu,
        hidden2: dense(128) -> relu,
        output: dense(10) -> softmax,
        loss: cross_entropy,
    }
}

/// The network and its optimizer, with one method per timed call: the one place to change
/// which `nn` API a metric measures.
pub struct Bench {
    net: MnistSize<f32>,
    sgd: Sgd<f32>,
    /// The gradient, kept between steps so that a step allocates none.
    grad: MnistSize<f32>,
}

impl Bench {
    /// The network initialised by the spec, and SGD with W3's learning rate.
    pub fn new(rng: &mut impl Rng) -> Self {
        let mut net = MnistSize::<f32>::zeros();
        init_uniform_fan_in(&mut net, rng);
        Bench { net, sgd: Sgd::new(0.01), grad: MnistSize::<f32>::zeros() }
    }

    /// Whether the calls below can use `threads` threads: every batched product splits
    /// between two (`nn::kernels::with_threads`, set by the caller).
    pub fn supports_threads(threads: usize) -> bool {
        threads == 1 || threads == 2
    }

    /// One training step, batch 64: mean loss and its gradient, then the SGD update. Returns
    /// the loss.
    pub fn train_b64(&mut self, xs: &SMatrix<f32, 784, 64>, ys: &SMatrix<f32, 10, 64>) -> f32 {
        let loss = self.net.loss_and_grad_batch_into::<64>(xs, ys, &mut self.grad);
        self.sgd.step(&mut self.net, &self.grad);
        loss
    }

    /// One inference call, batch 256: the softmax probabilities.
    pub fn infer_b256(&self, xs: &SMatrix<f32, 784, 256>) -> SMatrix<f32, 10, 256> {
        self.net.forward_batch::<256>(xs)
    }
}

/// Times and prints W3's metrics, with `ctx.threads` threads.
pub fn run(ctx: &mut Ctx) {
    if !Bench::supports_threads(ctx.threads) {
        eprintln!(
            "W3: the products split between two threads at most; --threads {} prints no rows",
            ctx.threads
        );
        return;
    }
    let (cfg, peer) = (&ctx.cfg, ctx.peer.as_str());
    let mut b = Bench::new(&mut ctx.rng);

    let xs = inputs::<784, 64>(&mut ctx.rng);
    let (a, opposite) = class_labels::<64>(&mut ctx.rng);
    let mut ys = Alternate::new(a, opposite);
    let mut loss = 0.0;
    let t = bench(cfg, || {
        loss = b.train_b64(black_box(&*xs), black_box(ys.next_labels()));
        black_box(loss);
    });
    emit("W3", "train_b64", peer, &t, 64);
    eprintln!("  W3 last training loss {loss:.4}");

    let xs = inputs::<784, 256>(&mut ctx.rng);
    let t = bench(cfg, || {
        black_box(black_box(&b).infer_b256(black_box(&*xs)));
    });
    emit("W3", "infer_b256", peer, &t, 256);
}
