//! The timing protocol of WORKLOADS.md section 3 and the `results.tsv` rows of section 4, the
//! same as the Rust peers' `benchkit` (`../shared/bench/rust/benchkit`): one call excluded,
//! a warm-up of at least 20 calls and `BENCH_WARMUP_S`, a calibrated iteration count per
//! repetition, `BENCH_REPS` repetitions, median, min and max of the per-sample times.

use std::io::Write;
use std::time::Instant;

/// The protocol's knobs, from the environment as the peers read them.
#[derive(Clone, Copy, Debug)]
pub struct Cfg {
    /// Repetitions per metric (`BENCH_REPS`, default 7).
    pub reps: usize,
    /// Seconds one repetition should take (`BENCH_TARGET_S`, default 0.25).
    pub target_s: f64,
    /// Minimum seconds of warm-up (`BENCH_WARMUP_S`, default 0.3).
    pub warmup_s: f64,
}

impl Cfg {
    /// Reads `BENCH_REPS`, `BENCH_TARGET_S` and `BENCH_WARMUP_S`; unset or unparsable values
    /// take the defaults.
    pub fn from_env() -> Self {
        let get = |key: &str, default: f64| {
            std::env::var(key).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
        };
        Cfg {
            reps: (get("BENCH_REPS", 7.0) as usize).max(1),
            target_s: get("BENCH_TARGET_S", 0.25),
            warmup_s: get("BENCH_WARMUP_S", 0.3),
        }
    }
}

/// What one metric measured: seconds per call for each repetition, and the calibrated number
/// of calls per repetition.
pub struct Timing {
    /// Seconds per call, one value per repetition.
    pub per_call_s: Vec<f64>,
    /// Calls per repetition.
    pub iters: u64,
}

/// Times `f` by the protocol: the first call is excluded (allocation, lazy initialisation);
/// then warm-up until both 20 calls and `warmup_s` seconds have passed; the mean warm-up call
/// calibrates the calls per repetition to `target_s` (at least 10); then `reps` repetitions of
/// that many back-to-back calls.
pub fn bench<F: FnMut()>(cfg: &Cfg, mut f: F) -> Timing {
    f();
    let start = Instant::now();
    let mut calls = 0_u64;
    while calls < 20 || start.elapsed().as_secs_f64() < cfg.warmup_s {
        f();
        calls += 1;
    }
    let per_call = start.elapsed().as_secs_f64() / calls as f64;
    let iters = ((cfg.target_s / per_call) as u64).max(10);
    let per_call_s = (0..cfg.reps)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed().as_secs_f64() / iters as f64
        })
        .collect();
    Timing { per_call_s, iters }
}

/// The median of `v` (the mean of the two middle values for an even count).
fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Weights (no biases) of each workload, for the FLOP convention of WORKLOADS.md.
pub fn weights(workload: &str) -> usize {
    match workload {
        "W1" => 2 * 8 + 8,
        "W2" => 64 * 128 + 128 * 64 + 64 * 10,
        "W3" => 784 * 256 + 256 * 128 + 128 * 10,
        "W4" => 16 * 32 * 32 + 32,
        _ => panic!("unknown workload {workload}"),
    }
}

/// Prints the `results.tsv` rows of one metric on standard output: ns/sample (median, min,
/// max over the repetitions) and, for W3, GFLOP/s (`6 x weights` FLOP per sample for a
/// training step, `2 x weights` for inference; min and max from the slowest and the fastest
/// repetition). Also a line on standard error for the person watching.
pub fn emit(workload: &str, metric: &str, peer: &str, timing: &Timing, batch: usize) {
    let mut ns: Vec<f64> = timing.per_call_s.iter().map(|t| t * 1e9 / batch as f64).collect();
    let min = ns.iter().copied().fold(f64::INFINITY, f64::min);
    let max = ns.iter().copied().fold(0.0, f64::max);
    let med = median(&mut ns);
    let mut out = std::io::stdout().lock();
    writeln!(out, "{workload}\t{metric}\t{peer}\t{med:.1}\t{min:.1}\t{max:.1}\tns/sample")
        .expect("writing to stdout");
    if workload == "W3" {
        let per_weight = if metric.starts_with("train") { 6.0 } else { 2.0 };
        let flop = weights(workload) as f64 * per_weight;
        let (g_med, g_min, g_max) = (flop / med, flop / max, flop / min);
        writeln!(out, "{workload}\t{metric}\t{peer}\t{g_med:.2}\t{g_min:.2}\t{g_max:.2}\tGFLOP/s")
            .expect("writing to stdout");
    }
    out.flush().expect("writing to stdout");
    eprintln!(
        "  {workload} {metric}: {med:.1} ns/sample (min {min:.1}, max {max:.1}), {} reps x {} calls",
        ns.len(),
        timing.iters
    );
}

/// Two label sets used in turn: training call `k` (0-based, counting every call including the
/// excluded first one and the warm-up) gets set A when `k` is even and set B when `k` is odd
/// (WORKLOADS.md, "Labels").
pub struct Alternate<T> {
    sets: [T; 2],
    calls: usize,
}

impl<T> Alternate<T> {
    /// Set A, then its opposite B.
    pub fn new(a: T, b: T) -> Self {
        Alternate { sets: [a, b], calls: 0 }
    }

    /// The labels of the next training call.
    #[inline(always)]
    pub fn next_labels(&mut self) -> &T {
        let k = self.calls;
        self.calls += 1;
        &self.sets[k & 1]
    }
}
