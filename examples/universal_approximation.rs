//! The universal approximation theorem: one hidden layer, wide enough, fits any continuous
//! function.
//!
//! Section 4.3.1 of the textbook states it: a feedforward network with a linear output and
//! one hidden layer of a "squashing" activation (sigmoid, tanh) approximates any continuous
//! function on a bounded set as closely as we like, given enough hidden units. The theorem
//! says such a network exists; this example watches gradient descent find one as the hidden
//! layer grows.
//!
//! It fits `f(x) = sin(2x) + 0.3 x^2` on `[-3, 3]` from 128 sampled points with networks
//! `1 -> dense(n) -> tanh -> dense(1)` for `n = 1, 2, 4, 8, 16, 32`. Each width is its own
//! `network!` (widths are compile-time constants), declared by a small `macro_rules!`; each is
//! trained full-batch with Adam on the mean squared error, from a few seeds keeping the best,
//! and then measured on a dense grid of 601 points.
//!
//! Look for the test error in the printed table falling by four orders of magnitude from
//! one unit to eight: one tanh unit can only draw an S-shaped step, two a step and a
//! shoulder, and from four units the fit lies on the target. Beyond eight units the error
//! levels off around `1e-5`: the wider networks could do better, but that is the floor a few
//! thousand Adam steps reach (the theorem promises that good weights exist, not that
//! training finds them). The first plot shows the target, the samples and every fit; the
//! second the training and test errors against the width, both axes logarithmic.
//!
//! ```text
//! cargo run --release --example universal_approximation
//! ```
//!
//! The plots go to `target/plots/universal_approximation/` (or `$NN_PLOTS/...`): `fits.png`
//! and `error_vs_width.png`.

#[path = "common/mod.rs"]
mod common;

use std::path::Path;

use nn::nalgebra::{SMatrix, SVector};
use nn::{Adam, Model, Optimizer, Schedule};
use plotters::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The function to approximate: smooth, with two bumps riding on a parabola.
fn target(x: f32) -> f32 {
    (2.0 * x).sin() + 0.3 * x * x
}

/// The training sample size (a compile-time constant: it is the batch's width).
const SAMPLES: usize = 128;
/// Points of the test grid on `[-3, 3]`.
const GRID: usize = 601;

/// Declares `$name`, a 1-`$width`-1 network with a tanh hidden layer and a linear output.
macro_rules! one_hidden_layer {
    ($($name:ident: $width:tt),* $(,)?) => {$(
        nn::network! {
            /// One hidden layer of tanh units and a linear output, fitted by mean squared error.
            pub struct $name {
                input: 1,
                hidden: dense($width) -> tanh,
                output: dense(1),
                loss: mse,
            }
        }
    )*};
}

/// The six networks. Expanded through `macro_rules!`, the forward trace `network!` generates
/// keeps a pre-activation of the linear output that the `mse` backward pass never reads, and
/// rustc reports it as dead code there (not when `network!` is written out directly).
#[allow(dead_code)]
mod widths {
    one_hidden_layer! {
        Width1: 1,
        Width2: 2,
        Width4: 4,
        Width8: 8,
        Width16: 16,
        Width32: 32,
    }
}
use widths::{Width1, Width16, Width2, Width32, Width4, Width8};

/// How long each fit trains.
struct Budget {
    /// Full-batch Adam steps per seed.
    steps: usize,
    /// Initialisations tried per width; the one with the lowest training loss is kept.
    seeds: u64,
}

/// A trained network's view of the grid and its test error.
struct Fit {
    width: usize,
    train_mse: f32,
    test_mse: f32,
    curve: Vec<(f32, f32)>,
}

/// Trains a network of type `N` (built by `init` from a seed) on the samples, with restarts,
/// and measures the best one on the grid.
fn fit<N: Model<f32, 1, 1>>(
    width: usize,
    init: fn(u64) -> N,
    xs: &SMatrix<f32, 1, SAMPLES>,
    ys: &SMatrix<f32, 1, SAMPLES>,
    grid: &[f32],
    budget: &Budget,
) -> Fit {
    let base = 0.02;
    let schedule = Schedule::Cosine { period: budget.steps, min: 1e-4 };
    // No dropout here, so the training-mode gradient is the plain one and the generator
    // is never drawn from.
    let mut unused = ChaCha8Rng::seed_from_u64(0);
    let mut best: Option<(f32, N)> = None;
    for seed in 1..=budget.seeds {
        let mut net = init(seed);
        let mut adam = Adam::new(base);
        for step in 0..budget.steps {
            adam.set_learning_rate(schedule.learning_rate(base, step));
            let (_, grad) = net.loss_and_grad_batch_training(xs, ys, &mut unused);
            adam.step(&mut net, &grad);
        }
        let loss = mse(&net, xs.iter().copied().zip(ys.iter().copied()));
        if best.as_ref().is_none_or(|(b, _)| loss < *b) {
            best = Some((loss, net));
        }
    }
    let (train_mse, net) = best.expect("at least one seed");
    let curve: Vec<(f32, f32)> =
        grid.iter().map(|&x| (x, net.forward(&SVector::from([x]))[0])).collect();
    let test_mse = mse(&net, grid.iter().map(|&x| (x, target(x))));
    Fit { width, train_mse, test_mse, curve }
}

/// The mean squared error of `net` over `(x, y)` pairs.
fn mse<N: Model<f32, 1, 1>>(net: &N, points: impl Iterator<Item = (f32, f32)>) -> f32 {
    let (mut sum, mut n) = (0.0, 0);
    for (x, y) in points {
        let e = net.forward(&SVector::from([x]))[0] - y;
        sum += e * e;
        n += 1;
    }
    sum / n as f32
}

/// Draws the target, the samples and every fit.
fn plot_fits(path: &Path, samples: &[(f32, f32)], grid: &[f32], fits: &[Fit]) {
    let root = BitMapBackend::new(path, (640, 400)).into_drawing_area();
    root.fill(&WHITE).unwrap();
    let mut chart = ChartBuilder::on(&root)
        .caption("One hidden tanh layer of growing width", ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(45)
        .build_cartesian_2d(-3.0f32..3.0f32, -1.5f32..4.0f32)
        .unwrap();
    chart
        .configure_mesh()
        .x_desc("x")
        .y_desc("f(x)")
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 15))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .unwrap();

    for (i, f) in fits.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(f.curve.iter().copied(), color.stroke_width(2)))
            .unwrap()
            .label(format!("{} unit{}", f.width, if f.width == 1 { "" } else { "s" }))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2)));
    }
    chart
        .draw_series(LineSeries::new(grid.iter().map(|&x| (x, target(x))), BLACK.stroke_width(1)))
        .unwrap()
        .label("target sin(2x) + 0.3x\u{b2}")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BLACK));
    chart
        .draw_series(samples.iter().map(|&p| Circle::new(p, 2, BLACK.filled())))
        .unwrap()
        .label("training samples")
        .legend(|(x, y)| Circle::new((x + 9, y), 2, BLACK.filled()));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperMiddle)
        .label_font(("sans-serif", 12))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()
        .unwrap();
    root.present().unwrap();
}

/// Draws the test error against the width, log-log.
fn plot_errors(path: &Path, fits: &[Fit]) {
    let root = BitMapBackend::new(path, (640, 400)).into_drawing_area();
    root.fill(&WHITE).unwrap();
    let lo = fits.iter().map(|f| f.test_mse.min(f.train_mse)).fold(f32::INFINITY, f32::min);
    let hi = fits.iter().map(|f| f.test_mse.max(f.train_mse)).fold(0.0, f32::max);
    let mut chart = ChartBuilder::on(&root)
        .caption("Error against hidden width", ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(60)
        .build_cartesian_2d(-0.3f32..5.3f32, ((lo * 0.5)..(hi * 2.0)).log_scale())
        .unwrap();
    // The widths double, so the x axis is log2 of the width, labelled with the width.
    chart
        .configure_mesh()
        .x_desc("hidden units (log scale)")
        .y_desc("mean squared error (log scale)")
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 15))
        .light_line_style(WHITE.mix(0.0))
        .x_labels(12)
        .x_label_formatter(&|v| {
            let i = v.round();
            if (v - i).abs() < 1e-3 && (0.0..=5.0).contains(&i) {
                format!("{}", 1u32 << i as u32)
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .draw()
        .unwrap();
    let test: Vec<(f32, f32)> =
        fits.iter().map(|f| ((f.width as f32).log2(), f.test_mse)).collect();
    let train: Vec<(f32, f32)> =
        fits.iter().map(|f| ((f.width as f32).log2(), f.train_mse)).collect();
    let blue = BLUE.stroke_width(2);
    chart
        .draw_series(LineSeries::new(test.iter().copied(), blue))
        .unwrap()
        .label("test: 601-point grid")
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], blue));
    chart.draw_series(test.iter().map(|&p| Circle::new(p, 4, BLUE.filled()))).unwrap();
    let red = RED.stroke_width(1);
    chart
        .draw_series(LineSeries::new(train.iter().copied(), red))
        .unwrap()
        .label("training: 128 samples")
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], red));
    chart.draw_series(train.iter().map(|&p| Circle::new(p, 3, RED))).unwrap();
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()
        .unwrap();
    root.present().unwrap();
}

fn main() {
    common::use_font();
    let budget = if common::quick() {
        Budget { steps: 3000, seeds: 1 }
    } else {
        Budget { steps: 8000, seeds: 3 }
    };

    // Training samples drawn uniformly from [-3, 3]; the test grid is evenly spaced.
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let sample_x: Vec<f32> = (0..SAMPLES).map(|_| rng.random_range(-3.0..3.0)).collect();
    let xs = SMatrix::<f32, 1, SAMPLES>::from_iterator(sample_x.iter().copied());
    let ys = xs.map(target);
    let grid: Vec<f32> = (0..GRID).map(|i| -3.0 + 6.0 * i as f32 / (GRID - 1) as f32).collect();

    let fits = vec![
        fit(1, Width1::<f32>::seeded, &xs, &ys, &grid, &budget),
        fit(2, Width2::<f32>::seeded, &xs, &ys, &grid, &budget),
        fit(4, Width4::<f32>::seeded, &xs, &ys, &grid, &budget),
        fit(8, Width8::<f32>::seeded, &xs, &ys, &grid, &budget),
        fit(16, Width16::<f32>::seeded, &xs, &ys, &grid, &budget),
        fit(32, Width32::<f32>::seeded, &xs, &ys, &grid, &budget),
    ];

    println!(
        "f(x) = sin(2x) + 0.3x^2 on [-3, 3]: {SAMPLES} samples, {} Adam steps, best of {} seed(s)",
        budget.steps, budget.seeds
    );
    println!("{:>6}  {:>7}  {:>12}  {:>12}", "width", "params", "train MSE", "test MSE");
    for f in &fits {
        // 1 -> n -> 1: n weights and n biases in, n weights and 1 bias out.
        let params = 3 * f.width + 1;
        println!("{:>6}  {params:>7}  {:>12.3e}  {:>12.3e}", f.width, f.train_mse, f.test_mse);
    }

    let dir = common::plot_dir("universal_approximation");
    let fits_png = dir.join("fits.png");
    let errors_png = dir.join("error_vs_width.png");
    let samples: Vec<(f32, f32)> = xs.iter().zip(ys.iter()).map(|(&x, &y)| (x, y)).collect();
    plot_fits(&fits_png, &samples, &grid, &fits);
    plot_errors(&errors_png, &fits);
    println!("plots: {}", fits_png.display());
    println!("       {}", errors_png.display());

    let narrow = fits[0].test_mse;
    let wide = fits[fits.len() - 1].test_mse;
    println!("width 32 fits {:.0}x better than width 1", narrow / wide);
    assert!(wide * 10.0 < narrow, "width 32 ({wide:.3e}) is not 10x better than width 1");
    if !common::quick() {
        // A single short run can stall in a poor local minimum; the full run's restarts don't.
        assert!(
            fits.windows(2).take(3).all(|w| w[1].test_mse < w[0].test_mse),
            "the error should fall with each doubling up to 8 units"
        );
        assert!(wide < 1e-3, "width 32 does not fit the target: test MSE {wide:.3e}");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn runs_briefly() {
        super::main()
    }
}
