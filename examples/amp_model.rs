//! A memory network run sample by sample: learning a saturating filter with memory, the
//! shape of a guitar amp model (section 4.2.2, memory networks, extended to gated layers and
//! streaming).
//!
//! The system to learn is a tone filter followed by a drive stage: a one-pole low-pass
//! `s_t = 0.9 s_{t-1} + 0.1 x_t`, then an asymmetric soft clipper
//! `y_t = tanh(6 s_t + 0.3) - tanh(0.3)`. The output depends on the last dozen or so inputs
//! (the filter's memory) through a nonlinearity no linear filter can copy. A GRU (PyTorch's
//! equations, `gru(12)`) is trained by backpropagation through time on windows of 32 samples
//! of random signals, each labelled with the system's output at its last sample: the layer
//! must learn both the memory and the curve.
//!
//! Then the trained network runs the way an audio callback would, one sample in, one sample
//! out: `stream: AmpState` declares the state the GRU carries between samples, and
//! `net.step(&mut state, &x_t)` computes one output from it, allocating nothing. The window
//! length bounds training only; `step` runs for as long as the signal lasts. (Its output
//! after `t` samples equals `forward` on those `t` samples, checked in tests/stream.rs.)
//!
//! Look for the training loss falling, then, on a test signal of plucked notes the network
//! never saw, the error of the streamed output relative to the signal's level (a few percent),
//! against a linear filter's fit for comparison, and the time per sample (well under a
//! microsecond in a release build: an audio callback at 48 kHz has 20 us per sample). The
//! plot shows input, target and the network's output over the first notes.
//!
//! ```text
//! cargo run --release --example amp_model
//! ```
//!
//! The plot goes to `target/plots/amp_model/signal.png` (or `$NN_PLOTS/amp_model`).

#[path = "common/mod.rs"]
mod common;

use std::time::Instant;

use nn::nalgebra::SVector;
use nn::rand::{Rng, SeedableRng};
use nn::train::Trainer;
use nn::{network, Adam};
use plotters::prelude::*;
use rand_chacha::ChaCha8Rng;

/// The samples of one training window.
const WINDOW: usize = 32;

network! {
    /// A GRU reading a window of samples, its last state mapped to one output sample.
    pub struct Amp {
        input: 1 x 32,
        memory: gru(12),
        out: dense(1),
        loss: mse,
        stream: AmpState,
    }
}

/// The system: a one-pole low-pass into an asymmetric soft clipper, run over `x` from rest.
fn amp(x: &[f32]) -> Vec<f32> {
    let mut s = 0.0_f32;
    let bias = 0.3_f32;
    x.iter()
        .map(|&x| {
            s = 0.9 * s + 0.1 * x;
            (6.0 * s + bias).tanh() - bias.tanh()
        })
        .collect()
}

/// A random training signal: sines of random pitch and level, switched every 200 samples,
/// with a little noise.
fn random_signal(n: usize, rng: &mut impl Rng) -> Vec<f32> {
    let mut out = Vec::with_capacity(n);
    let (mut freq, mut level, mut phase) = (0.02_f32, 0.5_f32, 0.0_f32);
    for t in 0..n {
        if t % 200 == 0 {
            freq = rng.random_range(0.005..0.12);
            level = rng.random_range(0.05..1.2);
        }
        phase += std::f32::consts::TAU * freq;
        out.push(level * phase.sin() + 0.05 * (rng.random::<f32>() - 0.5));
    }
    out
}

/// A test signal unlike the training ones: plucked notes, each a decaying sum of a
/// fundamental and its octave.
fn plucked(n: usize) -> Vec<f32> {
    let notes = [0.03_f32, 0.045, 0.02, 0.06, 0.035];
    (0..n)
        .map(|t| {
            let note = notes[(t / 600) % notes.len()];
            let age = (t % 600) as f32;
            let envelope = 1.1 * (-age / 180.0).exp();
            let phase = std::f32::consts::TAU * note * age;
            envelope * (phase.sin() + 0.3 * (2.0 * phase).sin())
        })
        .collect()
}

/// Windows of `signal` ending at every `stride`-th sample, each labelled with the system's
/// output there.
fn windows(signal: &[f32], target: &[f32], stride: usize) -> nn::data::Dataset<f32, WINDOW, 1> {
    let ends = (WINDOW..=signal.len()).step_by(stride);
    let inputs = ends.clone().map(|end| SVector::from_column_slice(&signal[end - WINDOW..end]));
    let targets = ends.map(|end| SVector::from([target[end - 1]]));
    nn::data::Dataset::new(inputs.collect(), targets.collect()).unwrap()
}

/// The root mean square of `a - b`.
fn rms_error(a: &[f32], b: &[f32]) -> f32 {
    (a.iter().zip(b).map(|(a, b)| (a - b).powi(2)).sum::<f32>() / a.len() as f32).sqrt()
}

/// The best linear filter over the last `taps` inputs (least squares), as a baseline: the
/// error of its fit to `target` on `signal`.
fn linear_baseline(signal: &[f32], target: &[f32], taps: usize) -> f32 {
    use nn::nalgebra::{DMatrix, DVector};
    let rows = signal.len() - taps;
    let a = DMatrix::from_fn(rows, taps + 1, |r, c| {
        if c == taps {
            1.0_f64
        } else {
            f64::from(signal[r + taps - c])
        }
    });
    let b = DVector::from_fn(rows, |r, _| f64::from(target[r + taps]));
    let x = (a.transpose() * &a).lu().solve(&(a.transpose() * &b)).expect("a full-rank fit");
    let fit = &a * x;
    let fit: Vec<f32> = fit.iter().map(|&v| v as f32).collect();
    let wanted: Vec<f32> = target[taps..].to_vec();
    rms_error(&fit, &wanted)
}

fn draw(
    path: &std::path::Path,
    input: &[f32],
    target: &[f32],
    output: &[f32],
) -> Result<(), Box<dyn std::error::Error>> {
    let root = BitMapBackend::new(path, (1000, 450)).into_drawing_area();
    root.fill(&WHITE)?;
    let n = input.len() as f32;
    let mut chart = ChartBuilder::on(&root)
        .caption("A GRU amp model, streamed sample by sample", ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0f32..n, -1.5f32..1.9)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("sample")
        .y_desc("level")
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .draw()?;
    let series = [
        (input, RGBColor(160, 160, 160), "input x_t", 1),
        (target, BLACK, "target: the amp", 3),
        (output, RED, "network.step, sample by sample", 1),
    ];
    for (values, color, label, width) in series {
        let style = ShapeStyle::from(color).stroke_width(width);
        chart
            .draw_series(LineSeries::new(
                values.iter().enumerate().map(|(t, &v)| (t as f32, v)),
                style,
            ))?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

fn main() {
    let quick = common::quick();
    let mut rng = ChaCha8Rng::seed_from_u64(16);
    let signal = random_signal(if quick { 30_000 } else { 80_000 }, &mut rng);
    let target = amp(&signal);
    let train = windows(&signal, &target, 7);
    let validation_signal = random_signal(6_000, &mut rng);
    let validation = windows(&validation_signal, &amp(&validation_signal), 11);

    let mut net = Amp::<f32>::seeded(1);
    let started = Instant::now();
    let history = Trainer::<f32, 32>::new(if quick { 8 } else { 30 })
        .seed(1)
        .progress(false)
        .fit(&mut net, &mut Adam::new(0.005), &train, Some(&validation))
        .unwrap();
    let first = history.epochs.first().map_or(f64::NAN, |e| e.train_loss);
    let last = history.epochs.last().map_or(f64::NAN, |e| e.train_loss);
    println!(
        "trained on {} windows of {WINDOW} samples in {:.1} s: training loss {first:.2e} -> {last:.2e} over {} epochs",
        train.len(),
        started.elapsed().as_secs_f64(),
        history.epochs.len()
    );

    // The test: plucked notes, streamed one sample at a time from a fresh state.
    let input = plucked(6_000);
    let wanted = amp(&input);
    let mut state = AmpState::<f32>::new();
    let mut output = Vec::with_capacity(input.len());
    let started = Instant::now();
    for &x in &input {
        output.push(net.step(&mut state, &SVector::from([x]))[0]);
    }
    let per_sample = started.elapsed().as_secs_f64() / input.len() as f64;
    let level = (wanted.iter().map(|v| v * v).sum::<f32>() / wanted.len() as f32).sqrt();
    let error = rms_error(&output, &wanted);
    let baseline = linear_baseline(&input, &wanted, WINDOW);
    println!(
        "streamed {} samples: RMS error {error:.4} ({:.1}% of the target's RMS level {level:.3}); the best linear filter of {WINDOW} taps: {baseline:.4} ({:.1}%)",
        input.len(),
        100.0 * error / level,
        100.0 * baseline / level
    );
    println!(
        "time per sample: {:.0} ns ({:.2}% of the 20.8 us a 48 kHz audio callback has per sample)",
        per_sample * 1e9,
        100.0 * per_sample / (1.0 / 48_000.0)
    );

    common::use_font();
    let path = common::plot_dir("amp_model").join("signal.png");
    let shown = 1_400;
    draw(&path, &input[..shown], &wanted[..shown], &output[..shown]).expect("the plot");
    println!("plot: {}", path.display());

    assert!(last < first / 5.0, "training did not reduce the loss: {first} -> {last}");
    assert!(error < 0.5 * baseline, "no better than a linear filter: {error} vs {baseline}");
    assert!(error / level < if quick { 0.1 } else { 0.06 }, "relative error {}", error / level);
}

#[cfg(test)]
mod tests {
    #[test]
    fn runs_briefly() {
        super::main()
    }
}
