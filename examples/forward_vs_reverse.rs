//! Forward mode against reverse mode: what a Jacobian costs each way (section 4.5.3).
//!
//! Automatic differentiation can push derivatives forwards, alongside the values (forward
//! mode: one pass gives `J v`, the derivative of all outputs along one input direction `v`),
//! or backwards from the output (reverse mode, backpropagation: one pass gives `J^T u`, the
//! gradient of one combination `u` of the outputs with respect to all inputs). A full
//! Jacobian of a function from `n` inputs to `m` outputs therefore takes `n` forward passes,
//! one per column, or `m` reverse passes, one per row. Training has `m = 1` (the loss) and
//! millions of inputs (the parameters): that is why it uses reverse mode.
//!
//! This example builds networks of growing input width, `n` = 4, 8, ..., 256 inputs -> 32
//! tanh units -> 4 outputs (one `network!` per width, written through a `macro_rules!`), and
//! computes the 4 x n Jacobian of the output with respect to the input in `f32` both ways:
//! `net.jvp(&x, &e_i)` for every input `i` and `net.vjp(&x, &e_j)` for every output `j`. It
//! checks the two Jacobians agree and times each (the median of repeated measurements).
//!
//! Each pass costs about as much as the first layer's `32 x n` product, so it grows with `n`.
//! Look for forward mode, `n` passes, growing as `n^2` (slope 2 on the log-log plot: doubling
//! the width quadruples the time) while reverse mode, always 4 passes, grows as `n` (slope 1).
//! At 4 inputs both take 4 passes and forward mode is the cheaper (a tangent rides along one
//! forward pass, while a reverse pass runs forward and then back); by 16 inputs reverse mode
//! wins, and at 256 it is more than ten times faster. The printed table has the times, their
//! ratio and the largest difference between the two Jacobians (about `1e-7`, `f32` rounding).
//!
//! ```text
//! cargo run --release --example forward_vs_reverse
//! ```
//!
//! The plot, the cost of one Jacobian against the input width on log-log axes, goes to
//! `target/plots/forward_vs_reverse/jacobian_cost.png`.

#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use nn::nalgebra::{SMatrix, SVector};
use plotters::prelude::*;

/// One network of the family, in a module of its own: `$inputs` inputs, 32 tanh units, 4
/// linear outputs.
macro_rules! wide {
    ($module:ident, $inputs:tt) => {
        // The generated code stores each layer's pre-activation for the backward pass; through
        // a `macro_rules!` the compiler reports the linear output's as never read.
        #[allow(dead_code)]
        mod $module {
            nn::network! {
                /// A member of the family of growing input width.
                pub struct Net {
                    input: $inputs,
                    hidden: dense(32) -> tanh,
                    output: dense(4),
                    loss: mse,
                }
            }
        }
    };
}

wide!(wide4, 4);
wide!(wide8, 8);
wide!(wide16, 16);
wide!(wide32, 32);
wide!(wide64, 64);
wide!(wide128, 128);
wide!(wide256, 256);

const OUTPUTS: usize = 4;

/// What one width measured.
struct Row {
    inputs: usize,
    /// Median time of one full Jacobian by forward mode (`inputs` jvp passes), in µs.
    forward_us: f64,
    /// The same by reverse mode (`OUTPUTS` vjp passes).
    reverse_us: f64,
    /// The largest difference between the two Jacobians, relative to the largest entry.
    disagreement: f32,
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

/// The Jacobian both ways, compared and timed. `jvp(x, v)` is `J v`, `vjp(x, u)` is `J^T u`.
fn measure<const N: usize>(
    jvp: impl Fn(&SVector<f32, N>, &SVector<f32, N>) -> SVector<f32, OUTPUTS>,
    vjp: impl Fn(&SVector<f32, N>, &SVector<f32, OUTPUTS>) -> SVector<f32, N>,
    reps: usize,
) -> Row {
    let x = SVector::<f32, N>::from_fn(|i, _| (0.7 * i as f32 + 0.3).sin());

    // Forward mode: column i is J e_i, one pass per input.
    let forward = || {
        let mut jacobian = SMatrix::<f32, OUTPUTS, N>::zeros();
        for i in 0..N {
            let e = SVector::<f32, N>::from_fn(|k, _| if k == i { 1.0 } else { 0.0 });
            jacobian.set_column(i, &jvp(black_box(&x), &e));
        }
        jacobian
    };
    // Reverse mode: row j is (J^T e_j)^T, one pass per output.
    let reverse = || {
        let mut jacobian = SMatrix::<f32, OUTPUTS, N>::zeros();
        for j in 0..OUTPUTS {
            let e = SVector::<f32, OUTPUTS>::from_fn(|k, _| if k == j { 1.0 } else { 0.0 });
            jacobian.set_row(j, &vjp(black_box(&x), &e).transpose());
        }
        jacobian
    };

    let (by_forward, by_reverse) = (forward(), reverse());
    let disagreement = (by_forward - by_reverse).amax() / by_forward.amax();
    let forward_time = median_time(reps, || {
        black_box(forward());
    });
    let reverse_time = median_time(reps, || {
        black_box(reverse());
    });
    Row {
        inputs: N,
        forward_us: forward_time.as_secs_f64() * 1e6,
        reverse_us: reverse_time.as_secs_f64() * 1e6,
        disagreement,
    }
}

/// Measures one network of the family, seeded so that every run sees the same weights.
macro_rules! measure {
    ($module:ident, $reps:expr) => {{
        let net = $module::Net::<f32>::seeded(7);
        measure(|x, v| net.jvp(x, v).1, |x, u| net.vjp(x, u), $reps)
    }};
}

/// A line of the plot: its legend, its colour and the value it draws of each row.
type Series = (&'static str, RGBColor, fn(&Row) -> f64);

fn plot(rows: &[Row], path: &std::path::Path, size: (u32, u32)) {
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).unwrap();
    let low = rows.iter().map(|r| r.forward_us.min(r.reverse_us)).fold(f64::MAX, f64::min);
    let high = rows.iter().map(|r| r.forward_us.max(r.reverse_us)).fold(0.0, f64::max);
    let mut chart = ChartBuilder::on(&root)
        .caption("Cost of the full 4 x n Jacobian of an n-32-4 network", ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(62)
        .build_cartesian_2d(
            (3.0f64..340.0).log_scale().base(2.0),
            (low / 2.0..high * 2.0).log_scale(),
        )
        .unwrap();
    chart
        .configure_mesh()
        .x_desc("input width n")
        .y_desc("time per Jacobian (µs)")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v}"))
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .draw()
        .unwrap();

    let series: [Series; 2] = [
        ("forward mode: n jvp passes", RGBColor(214, 39, 40), |r| r.forward_us),
        ("reverse mode: 4 vjp passes", RGBColor(31, 119, 180), |r| r.reverse_us),
    ];
    for (label, color, value) in series {
        let points: Vec<(f64, f64)> = rows.iter().map(|r| (r.inputs as f64, value(r))).collect();
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
            .unwrap()
            .label(label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, color.filled()))).unwrap();
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 15))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .unwrap();
    root.present().unwrap();
}

fn main() {
    let reps = if common::quick() { 3 } else { 41 };
    let rows = [
        measure!(wide4, reps),
        measure!(wide8, reps),
        measure!(wide16, reps),
        measure!(wide32, reps),
        measure!(wide64, reps),
        measure!(wide128, reps),
        measure!(wide256, reps),
    ];

    println!("the 4 x n Jacobian of an n-32-4 tanh network, f32, median of {reps} timings");
    println!(
        "{:>6} {:>14} {:>14} {:>16} {:>16}",
        "n", "forward (µs)", "reverse (µs)", "forward/reverse", "max |difference|"
    );
    for r in &rows {
        println!(
            "{:>6} {:>14.2} {:>14.2} {:>16.2} {:>16.1e}",
            r.inputs,
            r.forward_us,
            r.reverse_us,
            r.forward_us / r.reverse_us,
            r.disagreement
        );
    }
    println!("(max |difference| is relative to the largest Jacobian entry)");

    common::use_font();
    let dir = common::plot_dir("forward_vs_reverse");
    let path = dir.join("jacobian_cost.png");
    plot(&rows, &path, (800, 500));
    println!("\nplot: {}", path.display());
    if !common::quick() {
        let small = dir.join("jacobian_cost_small.png");
        plot(&rows, &small, (640, 400));
        println!("small copy for the README: {}", small.display());
    }

    for r in &rows {
        assert!(
            r.disagreement < 1e-5,
            "n = {}: the Jacobians differ by {}",
            r.inputs,
            r.disagreement
        );
    }
    let widest = rows.last().unwrap();
    assert!(
        widest.reverse_us < widest.forward_us,
        "at n = {} reverse mode ({:.2} µs) should beat forward mode ({:.2} µs)",
        widest.inputs,
        widest.reverse_us,
        widest.forward_us
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn runs_briefly() {
        super::main()
    }
}
