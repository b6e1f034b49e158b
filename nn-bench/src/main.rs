//! `nn` on the peer benchmark workloads.
//!
//! The workloads of `bench/peers/WORKLOADS.md` (the shared spec v1 and W5), each written with
//! `nn::network!` in `f32`, timed by the spec's protocol (the same as the Rust peers' harness)
//! and printed as `results.tsv` rows, so that they merge with the peers' file:
//!
//! ```text
//! workload  metric  peer  median  min  max  unit
//! ```
//!
//! | workload | network | metrics |
//! |---|---|---|
//! | W1 xor-tiny | 2-8-1, tanh, sigmoid, BCE, SGD 0.1 | `infer_b1`, `train_b1` |
//! | W2 digits | 64-128-64-10, relu, softmax, CE, SGD 0.01 | `infer_b1`, `infer_b256`, `train_b32` |
//! | W3 mnist-size | 784-256-128-10, relu, softmax, CE, SGD 0.01 | `train_b64`, `infer_b256` (+GFLOP/s) |
//! | W4 deep-narrow | 32 -> 16 x dense(32) tanh -> 1 sigmoid, BCE, SGD 0.01 | `train_b1`, `train_b32` |
//! | W5 rnn-last | 32 steps of 16 -> rnn(64) tanh -> last state -> 1, MSE, SGD 0.01 | `train_b32`, `infer_b32` |
//!
//! W5 is this repository's addition to the shared spec (`bench/peers/WORKLOADS.md` section 5,
//! with its JAX and PyTorch peers in `bench/peers/python`).
//!
//! Beside them, S1 (`src/s1.rs`, a small gradient over 200 samples) and R1/R2 (`src/r1.rs`,
//! `--workloads R1` times both): `lstm(32)` and `gru(32)` on a one-wide input with a dense
//! output, streamed one step at a time (`step_b1`) and trained by backpropagation through 64
//! steps (`train_bptt64`).
//!
//! A training step is `loss_and_grad_into` (batch 1) or `loss_and_grad_batch_into::<B>`, into a
//! gradient kept between steps, then
//! `Sgd::step`; an inference call is `forward` (batch 1) or `forward_batch::<B>`. Each lives
//! in one method of the workload's `Bench` (`src/w1.rs` ... `src/w5.rs`).
//!
//! ```text
//! taskset -c 0 cargo run --release -p nn-bench [-- --workloads W1,W3] [--threads 2]
//! ```
//!
//! Single-thread figures are meant to be taken pinned to one core (`taskset`), as the peers'
//! `run_all.sh` does; `bench/compare.sh` runs this beside the peers. `--threads N` (N > 1)
//! times W2 and W3 only (the workloads whose products are large enough to split), every call
//! inside `nn::kernels::with_threads(N, ..)`, under the peer name `nn-0.1-Nt`, as the peers'
//! `-2t` rows. The kernels run at the vector levels printed in the header; `NN_SIMD=baseline` (or `avx2`)
//! forces another, and the rows then carry it in the peer name (`nn-0.1-baseline`). Knobs, as
//! for the peers: `BENCH_REPS` (7), `BENCH_TARGET_S` (0.25), `BENCH_WARMUP_S` (0.3). Rows go to
//! standard output, diagnostics to standard error.

mod data;
mod harness;
mod r1;
mod s1;
mod w1;
mod w2;
mod w3;
mod w4;
mod w5;

use std::process::ExitCode;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use harness::Cfg;

/// What every workload's `run` needs.
pub struct Ctx {
    /// The timing protocol's knobs.
    pub cfg: Cfg,
    /// The `peer` column: `nn-<major>.<minor>`, `+native` when built for a CPU with AVX2 or
    /// AVX-512 (as the peers name their `-C target-cpu=native` builds), `-<N>t` for N threads.
    pub peer: String,
    /// Threads the calls may use (1 unless `--threads`).
    pub threads: usize,
    /// The generator of parameters, inputs and labels (the values do not matter for timing).
    pub rng: ChaCha8Rng,
}

const WORKLOADS: [&str; 7] = ["W1", "W2", "W3", "W4", "W5", "S1", "R1"];

const USAGE: &str = "usage: nn-bench [--workloads W1,W2,W3,W4,W5,S1,R1|all] [--threads N]
  --workloads LIST  the workloads to time (default all)
  --threads N       threads for the calls; N > 1 times W2 and W3 only (peer suffix -Nt)
env: BENCH_REPS (7), BENCH_TARGET_S (0.25), BENCH_WARMUP_S (0.3)";

/// The command line: the selected workloads and the thread count.
fn parse_args() -> Result<(Vec<String>, usize), String> {
    let mut workloads: Vec<String> = WORKLOADS.iter().map(|w| w.to_string()).collect();
    let mut threads = 1;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--workloads" => {
                let list = args.next().ok_or("--workloads needs a list, e.g. W1,W3")?;
                if list != "all" {
                    workloads = list
                        .split(',')
                        .map(|s| s.trim().to_uppercase())
                        .filter(|s| !s.is_empty())
                        .collect();
                }
                if let Some(bad) = workloads.iter().find(|w| !WORKLOADS.contains(&w.as_str())) {
                    return Err(format!(
                        "unknown workload {bad} (known: W1, W2, W3, W4, W5, S1, R1)"
                    ));
                }
            }
            "--threads" => {
                let n = args.next().ok_or("--threads needs a number")?;
                threads = match n.parse() {
                    Ok(n) if n >= 1 => n,
                    _ => return Err(format!("--threads {n}: not a positive number")),
                };
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok((workloads, threads))
}

/// `+native` when compiled for AVX2 or AVX-512, the peers' convention for builds with
/// `-C target-cpu=native`.
fn build_suffix() -> &'static str {
    if cfg!(target_feature = "avx512f") || cfg!(target_feature = "avx2") {
        "+native"
    } else {
        ""
    }
}

/// `-<level>` when the kernels run at another level than the default (`NN_SIMD=baseline`
/// gives the forced-baseline rows, `nn-0.1-baseline`).
fn level_suffix() -> String {
    let level = nn::simd::process_level();
    if level == nn::simd::default_level() {
        String::new()
    } else {
        format!("-{level}")
    }
}

fn main() -> ExitCode {
    let (workloads, threads) = match parse_args() {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("nn-bench: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let version =
        format!("{}.{}", env!("CARGO_PKG_VERSION_MAJOR"), env!("CARGO_PKG_VERSION_MINOR"));
    let thread_suffix = if threads > 1 { format!("-{threads}t") } else { String::new() };
    let mut ctx = Ctx {
        cfg: Cfg::from_env(),
        peer: format!("nn-{version}{}{}{thread_suffix}", build_suffix(), level_suffix()),
        threads,
        rng: ChaCha8Rng::seed_from_u64(3),
    };
    eprintln!(
        "nn-bench: peer {}, {} reps x {} s after {} s of warm-up, threads {threads}, vector level {} (default on this CPU: {}; widest: {})",
        ctx.peer,
        ctx.cfg.reps,
        ctx.cfg.target_s,
        ctx.cfg.warmup_s,
        nn::simd::process_level(),
        nn::simd::default_level(),
        nn::simd::Level::best()
    );
    for workload in &workloads {
        if threads > 1 && workload != "W2" && workload != "W3" {
            eprintln!("{workload}: skipped, multi-threaded rows are W2's and W3's only");
            continue;
        }
        eprintln!("== {workload}");
        nn::kernels::with_threads(threads, || match workload.as_str() {
            "W1" => w1::run(&mut ctx),
            "W2" => w2::run(&mut ctx),
            "W3" => w3::run(&mut ctx),
            "W4" => w4::run(&mut ctx),
            "W5" => w5::run(&mut ctx),
            "S1" => s1::run(&mut ctx),
            "R1" => r1::run(&mut ctx),
            _ => unreachable!("checked by parse_args"),
        });
    }
    ExitCode::SUCCESS
}
