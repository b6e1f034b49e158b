//! R1 and R2, beside the spec's workloads: a memory network streamed one sample at a time, the
//! shape of a real-time audio model (one input per step, a recurrent layer of 32 units, a
//! dense output), with an LSTM (R1) and a GRU (R2).
//!
//! - `step_b1`: one `net.step(&mut state, &x_t)`, the streaming call, per sample; the state
//!   runs on from call to call, as in an audio callback.
//! - `train_bptt64`: one training step of backpropagation through time over a window of 64
//!   steps (`loss_and_grad_into` then `Sgd::step`), per window.
//!
//! Beside the rows, standard error gives the step's arithmetic rate and its share of one
//! core's FP32 FMA peak (DESIGN.md: about 165 GFLOP/s on the project's machine), counting
//! `2 G H (1 + H)` FLOP per step for the gate products (`G = 4H` for the LSTM, `3H` for the
//! GRU) and `2 H` for the output, the convention of the FLOP counts of the matrix products
//! alone.

use std::hint::black_box;

use nn::nalgebra::SVector;
use nn::Sgd;
use rand::Rng;

use crate::data::init_uniform_fan_in;
use crate::harness::{bench, emit, Timing};
use crate::Ctx;

/// One core's FP32 FMA peak on the project's machine, GFLOP/s (DESIGN.md).
const PEAK_GFLOPS: f64 = 165.0;

nn::network! {
    /// R1: one sample per step into `lstm(32)`, its last state into one output.
    pub struct LstmStream {
        input: 1 x 64,
        memory: lstm(32),
        out: dense(1),
        loss: mse,
        stream: LstmStreamState,
    }
}

nn::network! {
    /// R2: the same with `gru(32)`.
    pub struct GruStream {
        input: 1 x 64,
        memory: gru(32),
        out: dense(1),
        loss: mse,
        stream: GruStreamState,
    }
}

/// FLOP of one step of a recurrent layer of `h` units with `gates` gate blocks on a one-wide
/// input, and the dense output.
fn step_flop(gates: usize, h: usize) -> f64 {
    (2 * gates * h * (1 + h) + 2 * h) as f64
}

fn report(workload: &str, timing: &Timing, flop: f64) {
    let mut ns: Vec<f64> = timing.per_call_s.iter().map(|t| t * 1e9).collect();
    ns.sort_by(f64::total_cmp);
    let median = ns[ns.len() / 2];
    let gflops = flop / median;
    eprintln!(
        "  {workload} step_b1: {gflops:.2} GFLOP/s, {:.1}% of one core's FMA peak ({PEAK_GFLOPS} GFLOP/s)",
        100.0 * gflops / PEAK_GFLOPS
    );
}

macro_rules! workload {
    ($name:literal, $net:ident, $state:ident, $gates:expr, $ctx:expr) => {{
        let ctx: &mut Ctx = $ctx;
        let (cfg, peer) = (&ctx.cfg, ctx.peer.as_str());
        let mut net = $net::<f32>::zeros();
        init_uniform_fan_in(&mut net, &mut ctx.rng);
        let signal: Vec<f32> = (0..4096).map(|_| ctx.rng.random::<f32>() - 0.5).collect();
        let mut state = $state::<f32>::new();
        let mut t = 0;
        let timing = bench(cfg, || {
            let x = SVector::from([signal[t % signal.len()]]);
            t += 1;
            black_box(net.step(&mut state, black_box(&x)));
        });
        emit($name, "step_b1", peer, &timing, 1);
        report($name, &timing, step_flop($gates, 32));

        let window = SVector::<f32, 64>::from_column_slice(&signal[..64]);
        let target = SVector::from([0.25_f32]);
        let mut grad = $net::<f32>::zeros();
        let sgd = Sgd::new(0.01);
        let timing = bench(cfg, || {
            let loss = net.loss_and_grad_into(black_box(&window), &target, &mut grad);
            sgd.step(&mut net, &grad);
            black_box(loss);
        });
        emit($name, "train_bptt64", peer, &timing, 1);
    }};
}

/// Times R1 (LSTM) and R2 (GRU).
pub fn run(ctx: &mut Ctx) {
    workload!("R1", LstmStream, LstmStreamState, 4, ctx);
    workload!("R2", GruStream, GruStreamState, 3, ctx);
}
