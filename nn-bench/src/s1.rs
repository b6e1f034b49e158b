//! S1, beside the spec's workloads: a 24-8-2 tanh network with dropout, one gradient over 200
//! samples in training mode (a published small-network benchmark reports 5.7 us for this on
//! its machine). The metric `grad_b200` is reported per sample like the others; the time of
//! one gradient is 200 times it.

use std::hint::black_box;

use nn::nalgebra::SMatrix;
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::data::{init_uniform_fan_in, inputs};
use crate::harness::{bench, emit};
use crate::Ctx;

nn::network! {
    /// S1: 24 -> 8 (tanh, dropout 0.2) -> 2 (softmax), cross-entropy.
    pub struct Small {
        input: 24,
        hidden: dense(8) -> tanh -> dropout(0.2),
        output: dense(2) -> softmax,
        loss: cross_entropy,
    }
}

/// Times one training-mode gradient over 200 samples (dropout masks drawn each call).
pub fn run(ctx: &mut Ctx) {
    let (cfg, peer) = (&ctx.cfg, ctx.peer.as_str());
    let mut net = Small::<f32>::zeros();
    init_uniform_fan_in(&mut net, &mut ctx.rng);
    let xs = inputs::<24, 200>(&mut ctx.rng);
    let ys = SMatrix::<f32, 2, 200>::from_fn(|i, j| {
        let class = usize::from(ctx.rng.random_bool(0.5) ^ (j % 2 == 0));
        if i == class {
            1.0
        } else {
            0.0
        }
    });
    let mut masks = ChaCha8Rng::seed_from_u64(1);
    let t = bench(cfg, || {
        let (loss, grad) =
            net.loss_and_grad_batch_training::<200, _>(black_box(&*xs), black_box(&ys), &mut masks);
        black_box((loss, grad));
    });
    emit("S1", "grad_b200", peer, &t, 200);
}
