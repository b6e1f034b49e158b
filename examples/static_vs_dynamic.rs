//! A static computation graph against a dynamic one (section 4.5.4).
//!
//! A dynamic graph is built while the program runs: a list of layers, each a boxed object
//! behind a trait, run one after the other, every width a number checked (or not) at run
//! time. It is flexible (the list can change from one sample to the next) but the compiler
//! knows nothing of it. A static graph is fixed before the program runs, so it can be checked
//! and optimised as a whole: `network!` turns its description into Rust code the compiler sees
//! in full, every width a constant.
//!
//! The example writes the same 64-128-64-10 network (ReLU, ReLU, softmax) both ways: (a) a
//! `Vec<Box<dyn Layer>>` of `Vec`-based dense, ReLU and softmax layers assembled at run time,
//! and (b) a `network!`. It copies the compiled network's weights into the dynamic one through
//! `Network::visit`, checks the two give the same outputs, and times inference on one sample
//! and on batches of 4 to 256 samples (median of repeated measurements).
//!
//! Look for the printed ratio: the compiled network is several times faster on one sample
//! (about 4x on the machine this was written on: no allocation per layer, no virtual calls,
//! loops of constant length the compiler vectorises) and more on batches of 16 and more
//! (about 15x), where `forward_batch` multiplies each layer's weights by the whole batch at
//! once while the dynamic list, as written here, runs sample after sample. A batch of 4 gains
//! less than one sample: the blocked product's packing costs more than it saves at that size.
//! A dynamic framework with batched kernels (PyTorch's eager mode) narrows the batch gap, not
//! the first.
//!
//! ```text
//! cargo run --release --example static_vs_dynamic
//! ```
//!
//! The plot, time per sample against the batch size for both, goes to
//! `target/plots/static_vs_dynamic/time_per_sample.png`.

#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use nn::nalgebra::{SMatrix, SVector};
use nn::{network, Network};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

network! {
    /// The static graph: every width a constant, the passes written out by the macro.
    pub struct Mlp {
        input: 64,
        h1: dense(128) -> relu,
        h2: dense(64) -> relu,
        out: dense(10) -> softmax,
        loss: cross_entropy,
    }
}

/// One node of the dynamic graph.
trait Layer {
    fn forward(&self, x: &[f32]) -> Vec<f32>;
}

/// `W x + b` with `W` stored row by row in a `Vec`.
struct Dense {
    inputs: usize,
    weight: Vec<f32>,
    bias: Vec<f32>,
}

impl Layer for Dense {
    fn forward(&self, x: &[f32]) -> Vec<f32> {
        assert_eq!(x.len(), self.inputs, "width mismatch, found at run time");
        self.weight
            .chunks(self.inputs)
            .zip(&self.bias)
            .map(|(row, b)| row.iter().zip(x).map(|(w, x)| w * x).sum::<f32>() + b)
            .collect()
    }
}

struct Relu;

impl Layer for Relu {
    fn forward(&self, x: &[f32]) -> Vec<f32> {
        x.iter().map(|&v| v.max(0.0)).collect()
    }
}

struct Softmax;

impl Layer for Softmax {
    fn forward(&self, x: &[f32]) -> Vec<f32> {
        let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let e: Vec<f32> = x.iter().map(|&v| (v - max).exp()).collect();
        let sum: f32 = e.iter().sum();
        e.iter().map(|v| v / sum).collect()
    }
}

/// The dynamic graph: layers run in the order of the list.
struct Sequential {
    layers: Vec<Box<dyn Layer>>,
}

impl Sequential {
    fn forward(&self, x: &[f32]) -> Vec<f32> {
        self.layers.iter().fold(x.to_vec(), |a, layer| layer.forward(&a))
    }

    /// Builds the list at run time from a network's parameters and the activation after each
    /// dense layer, by name.
    fn from_network<N: Network<f32>>(net: &N, activations: &[&str]) -> Self {
        let mut dense = Vec::new();
        net.visit(&mut |p| {
            let (rows, cols) = p.shape;
            if p.name.ends_with(".weight") {
                // The visitor gives the entries column by column; this layer stores rows.
                let weight = (0..rows * cols).map(|k| p.values[(k % cols) * rows + k / cols]);
                dense.push(Dense { inputs: cols, weight: weight.collect(), bias: Vec::new() });
            } else if p.name.ends_with(".bias") {
                dense.last_mut().expect("a bias follows its weight").bias = p.values.to_vec();
            }
        });
        assert_eq!(dense.len(), activations.len());
        let mut layers: Vec<Box<dyn Layer>> = Vec::new();
        for (layer, &activation) in dense.into_iter().zip(activations) {
            layers.push(Box::new(layer));
            match activation {
                "relu" => layers.push(Box::new(Relu)),
                "softmax" => layers.push(Box::new(Softmax)),
                other => panic!("unknown activation {other}"),
            }
        }
        Sequential { layers }
    }
}

/// The median over `reps` measurements of the time `f` takes, each measurement timing
/// enough calls to last about a millisecond.
fn median_time(reps: usize, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    f();
    let once = start.elapsed().max(Duration::from_nanos(50));
    let calls = (Duration::from_millis(1).as_nanos() / once.as_nanos()).clamp(1, 100_000) as u32;
    let mut times: Vec<Duration> = (0..reps)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..calls {
                f();
            }
            start.elapsed() / calls
        })
        .collect();
    times.sort();
    times[reps / 2]
}

/// A deterministic input of index `j`.
fn sample(j: usize) -> SVector<f32, 64> {
    SVector::from_fn(|i, _| ((i * 7 + j * 13) as f32 * 0.37).sin())
}

/// What one batch size measured: µs per sample for each graph, and the largest difference.
struct Row {
    batch: usize,
    dynamic_us: f64,
    compiled_us: f64,
    difference: f32,
}

/// A batch of `B` samples through both graphs: outputs compared, then timed.
fn batch_row<const B: usize>(net: &Mlp<f32>, dynamic: &Sequential, reps: usize) -> Row {
    let xs = SMatrix::<f32, 64, B>::from_columns(&(0..B).map(sample).collect::<Vec<_>>());
    let samples: Vec<Vec<f32>> = xs.column_iter().map(|c| c.iter().copied().collect()).collect();

    let compiled = net.forward_batch(&xs);
    let mut difference = 0.0f32;
    for (j, x) in samples.iter().enumerate() {
        for (a, b) in dynamic.forward(x).iter().zip(compiled.column(j).iter()) {
            difference = difference.max((a - b).abs());
        }
    }
    let dynamic_time = median_time(reps, || {
        for x in &samples {
            black_box(dynamic.forward(black_box(x)));
        }
    });
    let compiled_time = median_time(reps, || {
        black_box(net.forward_batch(black_box(&xs)));
    });
    Row {
        batch: B,
        dynamic_us: dynamic_time.as_secs_f64() * 1e6 / B as f64,
        compiled_us: compiled_time.as_secs_f64() * 1e6 / B as f64,
        difference,
    }
}

/// A line of the plot: its legend, its colour and the value it draws of each row.
type Series = (&'static str, RGBColor, fn(&Row) -> f64);

fn plot(rows: &[Row], path: &std::path::Path, size: (u32, u32)) {
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).unwrap();
    // Whole decades of µs, so that the log axis is labelled at 0.1, 1, 10.
    let low = rows.iter().map(|r| r.compiled_us).fold(f64::MAX, f64::min);
    let high = rows.iter().map(|r| r.dynamic_us).fold(0.0, f64::max);
    let (low, high) = (10f64.powf(low.log10().floor()), 10f64.powf(high.log10().ceil()));
    let mut chart = ChartBuilder::on(&root)
        .caption("Inference of a 64-128-64-10 network, f32", ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(62)
        .build_cartesian_2d(
            (0.7f64..400.0).log_scale().base(2.0),
            (low * 0.9..high * 1.1).log_scale(),
        )
        .unwrap();
    chart
        .configure_mesh()
        .x_desc("batch size (1: forward on one sample)")
        .y_desc("time per sample (µs)")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.1}"))
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .draw()
        .unwrap();

    let series: [Series; 2] = [
        ("dynamic: Vec<Box<dyn Layer>>", RGBColor(214, 39, 40), |r| r.dynamic_us),
        ("static: network!", RGBColor(31, 119, 180), |r| r.compiled_us),
    ];
    for (label, color, value) in series {
        let points: Vec<(f64, f64)> = rows.iter().map(|r| (r.batch as f64, value(r))).collect();
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
            .unwrap()
            .label(label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, color.filled()))).unwrap();
    }
    // The speed-up, written under each point of the compiled network.
    chart
        .draw_series(rows.iter().map(|r| {
            let ratio = format!("{:.1}x faster", r.dynamic_us / r.compiled_us);
            let centred =
                TextStyle::from(("sans-serif", 14)).pos(Pos::new(HPos::Center, VPos::Top));
            Text::new(ratio, (r.batch as f64, r.compiled_us * 0.85), centred)
        }))
        .unwrap();
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerLeft)
        .label_font(("sans-serif", 15))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .unwrap();
    root.present().unwrap();
}

fn main() {
    let reps = if common::quick() { 3 } else { 41 };
    let net = Mlp::<f32>::seeded(3);
    // The dynamic graph, assembled while the program runs.
    let dynamic = Sequential::from_network(&net, &["relu", "relu", "softmax"]);
    println!(
        "dynamic graph: {} boxed layers; static graph: {}",
        dynamic.layers.len(),
        Mlp::<f32>::NAME
    );

    // One sample: `forward` against the list.
    let x = sample(0);
    let single = {
        let compiled = net.forward(&x);
        let by_list = dynamic.forward(x.as_slice());
        let difference = by_list.iter().zip(compiled.iter()).map(|(a, b)| (a - b).abs());
        let difference = difference.fold(0.0f32, f32::max);
        let dynamic_time = median_time(reps, || {
            black_box(dynamic.forward(black_box(x.as_slice())));
        });
        let compiled_time = median_time(reps, || {
            black_box(net.forward(black_box(&x)));
        });
        Row {
            batch: 1,
            dynamic_us: dynamic_time.as_secs_f64() * 1e6,
            compiled_us: compiled_time.as_secs_f64() * 1e6,
            difference,
        }
    };
    let rows = [
        single,
        batch_row::<4>(&net, &dynamic, reps),
        batch_row::<16>(&net, &dynamic, reps),
        batch_row::<64>(&net, &dynamic, reps),
        batch_row::<256>(&net, &dynamic, reps),
    ];

    println!("median of {reps} timings, µs per sample");
    println!(
        "{:>6} {:>14} {:>14} {:>16} {:>16}",
        "batch", "dynamic (µs)", "static (µs)", "dynamic/static", "max |difference|"
    );
    for r in &rows {
        println!(
            "{:>6} {:>14.3} {:>14.3} {:>16.1} {:>16.1e}",
            r.batch,
            r.dynamic_us,
            r.compiled_us,
            r.dynamic_us / r.compiled_us,
            r.difference
        );
    }
    println!("(batch 1 is `forward` on one sample; the others `forward_batch` against a loop)");

    common::use_font();
    let dir = common::plot_dir("static_vs_dynamic");
    let path = dir.join("time_per_sample.png");
    plot(&rows, &path, (800, 500));
    println!("\nplot: {}", path.display());
    if !common::quick() {
        let small = dir.join("time_per_sample_small.png");
        plot(&rows, &small, (640, 400));
        println!("small copy for the README: {}", small.display());
    }

    for r in &rows {
        assert!(r.difference < 1e-5, "batch {}: outputs differ by {}", r.batch, r.difference);
        assert!(
            r.compiled_us < r.dynamic_us,
            "batch {}: the compiled network ({:.3} µs) should beat the list ({:.3} µs)",
            r.batch,
            r.compiled_us,
            r.dynamic_us
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn runs_briefly() {
        super::main()
    }
}
