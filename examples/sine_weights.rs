//! Training on the host for a microcontroller: the sine network of TensorFlow Lite Micro's
//! "hello world" (one input, two hidden layers of 16, one output) learns `sin(x)` on
//! `[0, 2 pi]`, and its weights are written to the safetensors file that the LM3S6965
//! firmware in `embedded/lm3s6965-sine/` bakes in at compile time (`weights: "..."`).
//!
//! Look for the mean squared error falling, then the largest error over a fine grid of
//! `[0, 2 pi]`, which the firmware's check (0.05) must leave room for.
//!
//! ```text
//! cargo run --release --example sine_weights            # rewrites the firmware's file
//! cargo run --release --example sine_weights -- out.safetensors
//! ```

use std::f32::consts::TAU;
use std::path::PathBuf;

use nn::nalgebra::{SMatrix, SVector};
use nn::rand::rngs::StdRng;
use nn::rand::{Rng, SeedableRng};
use nn::{io, network, Adam, Optimizer};

mod common;

network! {
    /// `sin(x)` for `x` in `[0, 2 pi]`: the same lines as the firmware's network.
    pub struct Sine {
        input: 1,
        hidden1: dense(16) -> tanh,
        hidden2: dense(16) -> tanh,
        output: dense(1),
        loss: mse,
    }
}

/// Samples per step.
const BATCH: usize = 64;

fn main() {
    let quick = common::quick();
    let steps = if quick { 300 } else { 30_000 };
    let path = match std::env::args_os().nth(1) {
        Some(path) => PathBuf::from(path),
        None if quick => common::plot_dir("sine_weights").join("sine.safetensors"),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("embedded/lm3s6965-sine/sine.safetensors"),
    };

    let mut rng = StdRng::seed_from_u64(7);
    let mut net = Sine::<f32>::seeded(1);
    let mut adam = Adam::new(0.01);
    for step in 0..steps {
        // Fresh points each step: x uniform on [0, 2 pi], inputs 1 x 64, targets 1 x 64.
        let xs = SMatrix::<f32, 1, BATCH>::from_fn(|_, _| rng.random::<f32>() * TAU);
        let ys = xs.map(f32::sin);
        let (loss, grad) = net.loss_and_grad_batch(&xs, &ys);
        // The last third at a tenth of the rate, to settle into the minimum.
        adam.set_learning_rate(if step < 2 * steps / 3 { 0.01 } else { 0.001 });
        adam.step(&mut net, &grad);
        if step % (steps / 10) == 0 {
            println!("step {step:>6}  mse {loss:.2e}");
        }
    }

    let worst = (0..=1000)
        .map(|i| {
            let x = TAU * i as f32 / 1000.0;
            (net.forward(&SVector::from([x]))[0] - x.sin()).abs()
        })
        .fold(0.0f32, f32::max);
    println!("largest error on [0, 2 pi]: {worst:.4}");
    if !quick {
        assert!(worst < 0.02, "the firmware checks 0.05; train longer or wider");
    }
    io::save_safetensors(&net, &path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    println!("weights written to {}", path.display());
}

#[cfg(test)]
mod tests {
    /// `cargo test` runs the example, so a change that breaks it fails the tests.
    #[test]
    fn runs() {
        super::main()
    }
}
