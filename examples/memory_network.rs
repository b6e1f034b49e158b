//! A memory network: a recurrent layer that counts (section 4.2.2, memory networks).
//!
//! A feedforward network sees its whole input at once and keeps nothing between inputs; a
//! recurrent layer reads a sequence step by step and carries a state from one step to the
//! next, `h_t = tanh(W x_t + U h_{t-1} + b)` with `h_0 = 0`. Here it reads ten bits, one per
//! step (`input: 1 x 10`), and a softmax head reads its last state `h_10` and names the number
//! of ones, 0 to 10. Nothing in the last bit tells the count: the state must remember the ones
//! seen so far. The network is trained by backpropagation through time with
//! `nn::train::Trainer` (Adam, early stopping on validation accuracy) on random sequences.
//!
//! Look for the test accuracy (above 95%), the last state recomputed by hand from the
//! recurrence and the layer's weights `W`, `U`, `b` (it gives the network's own prediction),
//! and what the state holds. Projected on their first principal direction, the test
//! sequences' states are, at every step, in the order of the ones read so far (correlations
//! of 0.9 and more, step by step). The plot shows it: at each step the states fall in bands
//! ordered by color, the count so far, and a sequence's trajectory climbs at a one and drops
//! at a zero. It also shows that the same height means different counts at different steps:
//! the state holds something like the ones minus the zeros, which at step 10 is the count,
//! so the head, trained on `h_10` alone, cannot read the count from earlier states.
//!
//! ```text
//! cargo run --release --example memory_network
//! ```
//!
//! The plot goes to `target/plots/memory_network/states.png` (or `$NN_PLOTS/memory_network`).

#[path = "common/mod.rs"]
mod common;

use nn::nalgebra::{SMatrix, SVector, SymmetricEigen};
use nn::rand::{Rng, SeedableRng};
use nn::train::{Monitor, Trainer};
use nn::{network, Adam};
use plotters::prelude::*;
use rand_chacha::ChaCha8Rng;

const STEPS: usize = 10;
const UNITS: usize = 16;

network! {
    /// Counts the ones in a sequence of ten bits: eleven classes, 0 to 10.
    pub struct Counter {
        input: 1 x 10,
        memory: rnn(16) -> tanh,
        count: dense(11) -> softmax,
        loss: cross_entropy,
    }
}

/// `n` random bit sequences and their counts of ones, one-hot.
fn counting(n: usize, rng: &mut impl Rng) -> nn::data::Dataset<f32, STEPS, 11> {
    let inputs: Vec<SVector<f32, STEPS>> = (0..n)
        .map(|_| SVector::from_fn(|_, _| if rng.random::<bool>() { 1.0 } else { 0.0 }))
        .collect();
    let targets = inputs.iter().map(|x| nn::loss::one_hot(x.sum() as usize).unwrap()).collect();
    nn::data::Dataset::new(inputs, targets).unwrap()
}

/// The states `h_0 ... h_10` of the recurrent layer on `bits`, by hand from its weights.
fn states(net: &Counter<f32>, bits: &SVector<f32, STEPS>) -> Vec<SVector<f32, UNITS>> {
    let layer = &net.memory;
    let mut h = SVector::<f32, UNITS>::zeros();
    let mut all = vec![h];
    for &bit in bits.iter() {
        let x = SVector::<f32, 1>::new(bit);
        h = (layer.weight_ih * x + layer.bias_ih + layer.weight_hh * h + layer.bias_hh)
            .map(f32::tanh);
        all.push(h);
    }
    all
}

/// The class with the highest probability.
fn argmax(p: &SVector<f32, 11>) -> usize {
    p.iter().enumerate().fold(0, |best, (i, &v)| if v > p[best] { i } else { best })
}

/// Pearson's correlation of the pairs' two values.
fn correlation(pairs: &[(f32, f32)]) -> f32 {
    let n = pairs.len() as f32;
    let (ma, mb) = pairs.iter().fold((0.0, 0.0), |m, p| (m.0 + p.0 / n, m.1 + p.1 / n));
    let cov: f32 = pairs.iter().map(|p| (p.0 - ma) * (p.1 - mb)).sum();
    let va: f32 = pairs.iter().map(|p| (p.0 - ma).powi(2)).sum();
    let vb: f32 = pairs.iter().map(|p| (p.1 - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

fn bits_text(bits: &SVector<f32, STEPS>) -> String {
    bits.iter().map(|&b| if b > 0.5 { '1' } else { '0' }).collect()
}

/// A color for a count from 0 to 10: dark blue through green to yellow (viridis-like).
fn count_color(count: usize) -> RGBColor {
    const ANCHORS: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let t = count as f64 / 10.0 * 4.0;
    let i = (t.floor() as usize).min(3);
    let f = t - i as f64;
    let (a, b) = (ANCHORS[i], ANCHORS[i + 1]);
    let mix = |x: f64, y: f64| (x + f * (y - x)).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Every state of the test sequences on their first principal direction against the step,
/// colored by the count so far, and the trajectories of `examples`.
fn draw(
    path: &std::path::Path,
    size: (u32, u32),
    points: &[(f32, f32, usize)],
    examples: &[(String, Vec<(f32, f32)>)],
) -> Result<(), Box<dyn std::error::Error>> {
    let scale = size.0 as f64 / 800.0;
    let font = |s: f64| ("sans-serif", (s * scale).round() as u32);
    let ys =
        points.iter().map(|p| p.1).chain(examples.iter().flat_map(|e| e.1.iter().map(|p| p.1)));
    let (y0, y1) = ys.fold((f32::MAX, f32::MIN), |r, y| (r.0.min(y), r.1.max(y)));
    let my = 0.05 * (y1 - y0);
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE)?;
    let (plot, bar) = root.split_horizontally(size.0 - (85.0 * scale) as u32);
    let mut chart = ChartBuilder::on(&plot)
        .caption("The recurrent state, step by step, colored by the ones read so far", font(20.0))
        .margin((10.0 * scale) as u32)
        .x_label_area_size((40.0 * scale) as u32)
        .y_label_area_size((50.0 * scale) as u32)
        .build_cartesian_2d(-0.4f32..10.4, y0 - my..y1 + my)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(11)
        .x_label_formatter(&|t| format!("{t:.0}"))
        .x_desc("step t (bits read)")
        .y_desc("state h_t on its first principal direction")
        .label_style(font(13.0))
        .axis_desc_style(font(14.0))
        .draw()?;
    let radius = (3.0 * scale).max(2.0) as i32;
    chart.draw_series(
        points.iter().map(|&(x, y, c)| Circle::new((x, y), radius, count_color(c).filled())),
    )?;
    let styles = [BLACK, RED, MAGENTA];
    for ((bits, path), color) in examples.iter().zip(styles) {
        let line = ShapeStyle::from(color).stroke_width((2.0 * scale).max(1.0) as u32);
        chart
            .draw_series(LineSeries::new(path.iter().copied(), line))?
            .label(format!("trajectory of {bits}"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], line));
        chart.draw_series(
            path.iter()
                .map(|&p| Circle::new(p, radius + 1, ShapeStyle::from(color).stroke_width(1))),
        )?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerLeft)
        .label_font(font(13.0))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;

    // The color bar: one band per count.
    let mut legend = ChartBuilder::on(&bar)
        .caption("ones", font(13.0))
        .margin_top((30.0 * scale) as u32)
        .margin_bottom((50.0 * scale) as u32)
        .margin_left((15.0 * scale) as u32)
        .right_y_label_area_size((35.0 * scale) as u32)
        .build_cartesian_2d(0.0..1.0, -0.5..10.5)?;
    legend
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(11)
        .y_label_formatter(&|v: &f64| format!("{v:.0}"))
        .label_style(font(12.0))
        .draw()?;
    legend.draw_series((0..=10).map(|c| {
        Rectangle::new([(0.0, c as f64 - 0.5), (1.0, c as f64 + 0.5)], count_color(c).filled())
    }))?;
    root.present()?;
    Ok(())
}

fn main() {
    let quick = common::quick();
    let mut rng = ChaCha8Rng::seed_from_u64(34);
    let (n_train, n_validation, n_test) = if quick { (2000, 500, 500) } else { (2000, 500, 1000) };
    let train = counting(n_train, &mut rng);
    let validation = counting(n_validation, &mut rng);
    let test = counting(n_test, &mut rng);

    // Adam's rate and the sizes are those of tests/rnn.rs, chosen there on validation data.
    let mut net = Counter::<f32>::seeded(1);
    let started = std::time::Instant::now();
    let history = Trainer::<f32, 16>::new(if quick { 40 } else { 60 })
        .seed(1)
        .progress(false)
        .early_stopping(Monitor::ValidationAccuracy, 10, 0.0)
        .fit_with(&mut net, &mut Adam::new(0.01), &train, Some(&validation), |e| {
            if e.epoch % 5 == 0 || e.epoch == 1 {
                println!("{e}");
            }
        })
        .expect("training diverged");
    let best = history.best.map_or(history.epochs.len(), |b| b + 1);
    println!(
        "trained on {n_train} sequences in {:.1} s: {} epochs, the network of epoch {best} kept",
        started.elapsed().as_secs_f64(),
        history.epochs.len()
    );

    let predictions: Vec<_> = test.inputs.iter().map(|x| net.forward(x)).collect();
    let accuracy = nn::metrics::accuracy(&predictions, &test.targets);
    println!("test accuracy: {:.1}% of {n_test} new sequences", 100.0 * accuracy);
    for (x, p) in test.inputs.iter().zip(&predictions).take(5) {
        println!(
            "  {}  ones {:>2}  predicted {:>2} (p = {:.3})",
            bits_text(x),
            x.sum() as usize,
            argmax(p),
            p.max()
        );
    }

    // The recurrence by hand, then the head on the last state: the network's own output.
    let mut worst = 0.0_f32;
    let mut trajectories = Vec::with_capacity(n_test);
    for (x, p) in test.inputs.iter().zip(&predictions) {
        let h = states(&net, x);
        let logits = net.count.weight * h[STEPS] + net.count.bias;
        let by_hand = logits.map(|z| (z - logits.max()).exp());
        worst = worst.max((by_hand / by_hand.sum() - p).abs().max());
        trajectories.push(h);
    }
    println!(
        "h_t = tanh(W x_t + U h_(t-1) + b) by hand, then the head: within {worst:.1e} of forward"
    );

    // Principal directions of every state h_1 ... h_10 of the test sequences.
    let all: Vec<&SVector<f32, UNITS>> = trajectories.iter().flat_map(|h| &h[1..]).collect();
    let mean = all.iter().fold(SVector::<f32, UNITS>::zeros(), |m, h| m + *h) / all.len() as f32;
    let covariance = all.iter().fold(SMatrix::<f32, UNITS, UNITS>::zeros(), |c, h| {
        c + (*h - mean) * (*h - mean).transpose()
    }) / all.len() as f32;
    let eigen = SymmetricEigen::new(covariance);
    let mut order: Vec<usize> = (0..UNITS).collect();
    order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
    let mut first = eigen.eigenvectors.column(order[0]).into_owned();
    let explained = eigen.eigenvalues[order[0]] / eigen.eigenvalues.sum();

    // Projections, with the count of ones read so far at each step.
    let project = |h: &SVector<f32, UNITS>, d: &SVector<f32, UNITS>| (h - mean).dot(d);
    let counts_so_far = |x: &SVector<f32, STEPS>| -> Vec<usize> {
        (0..=STEPS).map(|t| x.rows(0, t).iter().filter(|&&b| b > 0.5).count()).collect()
    };
    // At each step, how the first projection and the count so far correlate over the test
    // sequences; and overall, how it correlates with the ones minus the zeros read so far.
    let mut by_step = vec![Vec::new(); STEPS + 1];
    let mut balance = Vec::new();
    for (x, h) in test.inputs.iter().zip(&trajectories) {
        let counts = counts_so_far(x);
        for t in 1..=STEPS {
            let v = project(&h[t], &first);
            by_step[t].push((v, counts[t] as f32));
            balance.push((v, 2.0 * counts[t] as f32 - t as f32));
        }
    }
    // Orient the first direction so that more ones lie higher.
    if correlation(&balance) < 0.0 {
        first *= -1.0;
        by_step.iter_mut().flatten().for_each(|p| p.0 = -p.0);
        balance.iter_mut().for_each(|p| p.0 = -p.0);
    }
    let per_step: Vec<f32> = by_step[1..].iter().map(|pairs| correlation(pairs)).collect();
    let weakest = per_step.iter().copied().fold(f32::MAX, f32::min);
    let pooled: Vec<(f32, f32)> = by_step.iter().flatten().copied().collect();
    println!(
        "the states' first principal direction holds {:.0}% of their variance",
        100.0 * explained
    );
    println!("correlation of the state's first principal component with");
    println!("  the ones minus the zeros read so far:  {:.3}", correlation(&balance));
    println!("  the ones read so far, steps pooled:    {:.3}", correlation(&pooled));
    println!(
        "  the ones read so far, step by step:    {}",
        per_step.iter().map(|c| format!("{c:.2}")).collect::<Vec<_>>().join(" ")
    );

    // The head reads only h_10 in training; at earlier steps the same state means other counts.
    let mut right = 0;
    for (x, h) in test.inputs.iter().zip(&trajectories) {
        let mut count = 0;
        for t in 1..=STEPS {
            count += (x[t - 1] > 0.5) as usize;
            let logits = net.count.weight * h[t] + net.count.bias;
            right += usize::from(argmax(&logits) == count);
        }
    }
    println!(
        "the head, trained on h_10 only, names the count so far from h_1 ... h_10 for {:.1}% of \
         {} states: the state's meaning depends on the step",
        100.0 * right as f64 / (STEPS * n_test) as f64,
        STEPS * n_test
    );

    // The picture: 300 sequences' states step by step (spread a little sideways to show how
    // many fall together), and three trajectories from h_0.
    let shown = if quick { 60 } else { 300 };
    let mut points = Vec::new();
    for (x, h) in test.inputs.iter().zip(&trajectories).take(shown) {
        let counts = counts_so_far(x);
        for t in 1..=STEPS {
            let spread = 0.3 * (rng.random::<f32>() - 0.5);
            points.push((t as f32 + spread, project(&h[t], &first), counts[t]));
        }
    }
    let examples: Vec<(String, Vec<(f32, f32)>)> = test
        .inputs
        .iter()
        .zip(&trajectories)
        .filter(|(x, _)| (3.0..=7.0).contains(&x.sum()))
        .take(3)
        .map(|(x, h)| {
            let path = h.iter().enumerate().map(|(t, h)| (t as f32, project(h, &first))).collect();
            (bits_text(x), path)
        })
        .collect();
    common::use_font();
    let dir = common::plot_dir("memory_network");
    let main_plot = dir.join("states.png");
    draw(&main_plot, (800, 500), &points, &examples).expect("cannot draw the plot");
    let small = dir.join("states_small.png");
    draw(&small, (640, 400), &points, &examples).expect("cannot draw the plot");
    println!("plots: {} and {}", main_plot.display(), small.display());

    assert!(accuracy >= 0.95, "test accuracy {accuracy}");
    assert!(worst < 1e-4, "the recurrence by hand disagrees with forward: {worst}");
    assert!(weakest > 0.9, "the state does not track the count: {weakest}");
}

#[cfg(test)]
mod tests {
    #[test]
    fn runs_briefly() {
        super::main()
    }
}
