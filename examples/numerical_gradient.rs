//! Numerical differentiation and its two errors (section 4.5.1).
//!
//! The gradient that backpropagation computes can be checked against central differences,
//! `dL/dw ≈ (L(w + h) - L(w - h)) / 2h`. The estimate has two errors pulling in opposite
//! directions: the truncation error of the formula, about `h^2 L''' / 6`, shrinks as `h`
//! shrinks, while the rounding error, about `eps |L| / h` (`eps` the machine epsilon), grows.
//! Their sum is smallest near `h ≈ eps^(1/3)`, where the error is about `eps^(2/3)`.
//!
//! This example takes a small 3-5-2 tanh network with a mean squared error, written with
//! `network!`, in both `f32` and `f64`; takes its exact gradient from `loss_and_grad`; then
//! estimates all 32 components by central differences for steps `h` from `1e-1` down to
//! `1e-12`, and measures the relative error `||numeric - exact|| / ||exact||`.
//!
//! Look at the log-log plot: each type's curve is a V. On the right (large `h`) it falls with
//! slope 2, the truncation error; on the left it rises with slope -1, the rounding error; the
//! bottom is near the dotted line at `eps^(1/3)`, about `5e-3` for `f32` and `6e-6` for `f64`.
//! `f64`'s bottom is about six orders of magnitude below `f32`'s. For the smallest steps in
//! `f32`, `w ± h` rounds back to `w`, the difference is zero and the error is 100%. The
//! printed table gives the errors, then the best step and the slopes measured on each side.
//!
//! ```text
//! cargo run --release --example numerical_gradient
//! ```
//!
//! The plot goes to `target/plots/numerical_gradient/numerical_gradient.png` (or under
//! `$NN_PLOTS`).

#[path = "common/mod.rs"]
mod common;

use nn::nalgebra::SVector;
use nn::{network, Float, Network};
use plotters::prelude::*;

network! {
    /// A small regression network whose gradient is checked.
    pub struct Small {
        input: 3,
        hidden: dense(5) -> tanh,
        output: dense(2),
        loss: mse,
    }
}

/// The parameters of `net` as one list, in the order the `Network` visitor gives them.
fn flatten<T: Float, N: Network<T>>(net: &N) -> Vec<f64> {
    let mut out = Vec::with_capacity(N::PARAMS);
    net.visit(&mut |p| out.extend(p.values.iter().map(|v| v.as_f64())));
    out
}

/// `net` with its `k`-th parameter (in visitor order) moved by `delta`.
fn nudged<T: Float, N: Network<T>>(net: &N, k: usize, delta: T) -> N {
    let mut probe = net.clone();
    let mut index = 0;
    probe.visit_mut(&mut |p| {
        if (index..index + p.values.len()).contains(&k) {
            p.values[k - index] += delta;
        }
        index += p.values.len();
    });
    probe
}

/// The relative error of the central-difference gradient of `Small<T>` for each step in
/// `steps`: `||numeric - exact|| / ||exact||` over all parameters.
fn errors<T: Float>(steps: &[f64]) -> Vec<f64> {
    let net = Small::<T>::seeded(7);
    let x = SVector::<T, 3>::from([T::lit(0.8), T::lit(-0.4), T::lit(0.3)]);
    let y = SVector::<T, 2>::from([T::lit(0.5), T::lit(-1.0)]);
    let (_, grad) = net.loss_and_grad(&x, &y);
    let exact = flatten(&grad);
    let norm = exact.iter().map(|g| g * g).sum::<f64>().sqrt();
    steps
        .iter()
        .map(|&h| {
            let step = T::lit(h);
            let squared: f64 = (0..Small::<T>::PARAMS)
                .map(|k| {
                    let up = nudged(&net, k, step).loss(&x, &y);
                    let down = nudged(&net, k, -step).loss(&x, &y);
                    // Divided by the nominal 2h, as the textbook's formula is written.
                    let numeric = (up - down).as_f64() / (2.0 * h);
                    (numeric - exact[k]).powi(2)
                })
                .sum();
            squared.sqrt() / norm
        })
        .collect()
}

/// The least-squares slope of `log10(error)` against `log10(h)` over the steps in `[lo, hi]`.
fn slope(steps: &[f64], errors: &[f64], lo: f64, hi: f64) -> f64 {
    let pts: Vec<(f64, f64)> = steps
        .iter()
        .zip(errors)
        .filter(|(&h, _)| h >= lo * (1.0 - 1e-9) && h <= hi * (1.0 + 1e-9))
        .map(|(h, e)| (h.log10(), e.log10()))
        .collect();
    let n = pts.len() as f64;
    let (mx, my) =
        (pts.iter().map(|p| p.0).sum::<f64>() / n, pts.iter().map(|p| p.1).sum::<f64>() / n);
    let sxy: f64 = pts.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = pts.iter().map(|(x, _)| (x - mx).powi(2)).sum();
    sxy / sxx
}

/// The step with the smallest error, and that error.
fn best(steps: &[f64], errors: &[f64]) -> (f64, f64) {
    steps
        .iter()
        .zip(errors)
        .map(|(&h, &e)| (h, e))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .expect("steps")
}

fn main() {
    common::use_font();
    let dir = common::plot_dir("numerical_gradient");
    // Steps from 1e-1 down to 1e-12, evenly spaced in log10.
    let per_decade = if common::quick() { 2 } else { 8 };
    let steps: Vec<f64> =
        (0..=11 * per_decade).map(|i| 10f64.powf(-1.0 - i as f64 / per_decade as f64)).collect();

    let e32 = errors::<f32>(&steps);
    let e64 = errors::<f64>(&steps);

    println!("relative error ||numeric - exact|| / ||exact|| of the central difference");
    println!("{:>10}  {:>10}  {:>10}", "h", "f32", "f64");
    for (i, h) in steps.iter().enumerate() {
        if i % (per_decade / 2).max(1) == 0 {
            println!("{h:>10.1e}  {:>10.2e}  {:>10.2e}", e32[i], e64[i]);
        }
    }
    println!();

    let eps32 = f64::from(f32::EPSILON);
    let eps64 = f64::EPSILON;
    let cases = [
        ("f32", eps32, &e32, (1e-2, 1e-1), (1e-6, 1e-4)),
        ("f64", eps64, &e64, (1e-4, 1e-2), (1e-12, 1e-9)),
    ];
    let mut bests = Vec::new();
    for (name, eps, errs, trunc, round) in cases {
        let (h, e) = best(&steps, errs);
        let s_trunc = slope(&steps, errs, trunc.0, trunc.1);
        let s_round = slope(&steps, errs, round.0, round.1);
        println!(
            "{name}: eps = {eps:.1e}, eps^(1/3) = {:.1e}; best h = {h:.1e} with error {e:.1e} \
             (eps^(2/3) = {:.1e}); slope {s_trunc:.2} for h in [{:.0e}, {:.0e}], \
             {s_round:.2} for h in [{:.0e}, {:.0e}]",
            eps.cbrt(),
            eps.powf(2.0 / 3.0),
            trunc.0,
            trunc.1,
            round.0,
            round.1,
        );
        // The best step is near eps^(1/3), within two decades.
        let decades = (h / eps.cbrt()).log10().abs();
        assert!(decades <= 2.0, "{name}: best h {h:e} is {decades:.1} decades from eps^(1/3)");
        // Truncation error falls as h^2, rounding error grows as 1/h.
        assert!((1.5..=2.5).contains(&s_trunc), "{name}: truncation slope {s_trunc}");
        assert!((-1.5..=-0.5).contains(&s_round), "{name}: rounding slope {s_round}");
        bests.push(e);
    }
    assert!(bests[1] < 1e-3 * bests[0], "f64's best error is not far below f32's");
    assert!(bests[1] < 1e-8, "f64's backward pass disagrees with its central differences");
    assert!(bests[0] < 1e-3, "f32's backward pass disagrees with its central differences");

    let path = dir.join("numerical_gradient.png");
    draw(&path, &steps, &[("f32", eps32, &e32), ("f64", eps64, &e64)]);
    println!();
    println!("plot: {}", path.display());
}

/// The log-log plot of the error against h for each type, with guides of slope 2 and -1 and
/// a dotted line at each type's eps^(1/3).
fn draw(path: &std::path::Path, steps: &[f64], curves: &[(&str, f64, &Vec<f64>)]) {
    let root = BitMapBackend::new(path, (720, 450)).into_drawing_area();
    root.fill(&WHITE).expect("fill");
    let mut chart = ChartBuilder::on(&root)
        .caption("Central differences: error against step h", ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d((1e-12..1e-1).log_scale(), (1e-14..1e2).log_scale())
        .expect("chart");
    chart
        .configure_mesh()
        .x_desc("step h")
        .y_desc("relative error of the gradient")
        .x_label_formatter(&|h| format!("{h:.0e}"))
        .y_label_formatter(&|e| format!("{e:.0e}"))
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 15))
        .draw()
        .expect("mesh");

    let colors = [RGBColor(214, 39, 40), RGBColor(31, 119, 180)];
    for (&(name, eps, errs), color) in curves.iter().zip(colors) {
        let pts: Vec<(f64, f64)> = steps.iter().copied().zip(errs.iter().copied()).collect();
        chart
            .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
            .expect("series")
            .label(format!("{name} (eps = {eps:.1e})"))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
        chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled()))).expect("points");
        let h = eps.cbrt();
        chart
            .draw_series(DashedLineSeries::new([(h, 1e-14), (h, 1e2)], 2, 4, color.stroke_width(1)))
            .expect("marker")
            .label(format!("{name} eps^(1/3) = {h:.1e}"))
            .legend(move |(x, y)| {
                EmptyElement::at((x, y))
                    + PathElement::new([(0, 0), (4, 0)], color)
                    + PathElement::new([(8, 0), (12, 0)], color)
                    + PathElement::new([(16, 0), (20, 0)], color)
            });
    }

    // Guides of slope 2 (truncation) and -1 (rounding), drawn faintly a decade and a half
    // below f64's errors at h = 1e-2 and h = 1e-11 so as not to hide them.
    let f64_errs = curves[1].2;
    let at = |target: f64| {
        let i = steps.iter().position(|&h| (h / target - 1.0).abs() < 1e-6).expect("step");
        f64_errs[i]
    };
    let guide = BLACK.mix(0.45);
    let (a, b) = (at(1e-2) / 1e-4 / 30.0, at(1e-11) * 1e-11 / 30.0);
    chart
        .draw_series(LineSeries::new([(1e-1, a * 1e-2), (1e-5, a * 1e-10)], guide.stroke_width(1)))
        .expect("guide")
        .label("slope 2: truncation ~ h²")
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], guide));
    chart
        .draw_series(DashedLineSeries::new(
            [(1e-12, b * 1e12), (1e-8, b * 1e8)],
            6,
            4,
            guide.stroke_width(1),
        ))
        .expect("guide")
        .label("slope -1: rounding ~ eps / h")
        .legend(move |(x, y)| {
            EmptyElement::at((x, y))
                + PathElement::new([(0, 0), (8, 0)], guide)
                + PathElement::new([(12, 0), (20, 0)], guide)
        });

    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 12))
        .draw()
        .expect("legend");
    root.present().unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

#[cfg(test)]
mod tests {
    #[test]
    fn runs_briefly() {
        super::main()
    }
}
