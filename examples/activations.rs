//! The activation functions of section 4.1, drawn from the library's own code.
//!
//! A neuron is an affine map followed by a non-linear activation, and section 4.1 of the
//! textbook walks through the usual choices. This example evaluates the runtime's activation
//! structs (`nn::activation::*` through the `Activation` trait's `f`, the very functions the
//! layers of `network!` call) on a grid and draws four panels:
//!
//! - (a) the ReLU family: ReLU, leaky ReLU (slope 0.1), ELU and softplus. For large `x` all
//!   are the identity (softplus only nearly); they differ below zero: ReLU is flat at 0,
//!   leaky ReLU keeps a small slope, ELU bends smoothly towards `-1`, softplus is a smooth
//!   ReLU lying above it (by at most `ln 2`, at `x = 0`).
//! - (b) swish `x sigmoid(beta x)` for beta = 0.1, 0.5, 1, 2, 10: a small beta gives nearly
//!   the line `x / 2`, a large beta nearly the ReLU; swish dips below zero for negative `x`.
//! - (c) the GELU `x Phi(x)` beside its tanh and sigmoid approximations. The three curves
//!   coincide to the eye, so the right axis shows each approximation minus the GELU: the tanh
//!   form is off by a few 1e-4, the sigmoid form (`x sigmoid(1.702 x)`) by about 0.02.
//! - (d) the squashing functions and their piecewise-linear "hard" versions: the logistic
//!   sigmoid with the textbook's hard logistic (the tangent at 0, slope 1/4, clipped) and the
//!   PyTorch (slope 1/6) and ONNX (slope 0.2) hard sigmoids; tanh with the hard tanh.
//!
//! Look at the printed table of values at a few points, the largest gap of each GELU
//! approximation over `[-4, 4]`, and how far swish is from ReLU as beta grows; the example
//! then asserts these textbook facts.
//!
//! ```text
//! cargo run --release --example activations
//! ```
//!
//! The plots go to `target/plots/activations/` (or `$NN_PLOTS/activations/`):
//! `activations.png` (all four panels in a 2 x 2 grid) and one 640 x 400 PNG per panel
//! (`relu_family.png`, `swish.png`, `gelu.png`, `hard.png`).

#[path = "common/mod.rs"]
mod common;

use std::path::Path;

use nn::activation::{
    Activation, Elu, Gelu, GeluSigmoid, GeluTanh, HardLogistic, HardSigmoid, HardTanh, LeakyRelu,
    Relu, Sigmoid, Softplus, Swish, Tanh,
};
use plotters::coord::Shift;
use plotters::prelude::*;

/// A real function, as the plots and the table evaluate it.
type Function = Box<dyn Fn(f64) -> f64>;

/// One curve of a panel: its legend, colour, whether it is dashed, and `f`.
struct Curve {
    label: String,
    color: RGBColor,
    dashed: bool,
    f: Function,
}

impl Curve {
    fn new(label: &str, color: RGBColor, f: impl Activation<f64> + 'static) -> Self {
        Self { label: label.to_string(), color, dashed: false, f: Box::new(move |x| f.f(x)) }
    }

    fn dashed(mut self) -> Self {
        self.dashed = true;
        self
    }
}

/// One panel: a title, the x and y ranges, and its curves. An optional second set of curves
/// is drawn against a right-hand axis with its own range.
struct Panel {
    file: &'static str,
    title: &'static str,
    x: (f64, f64),
    y: (f64, f64),
    curves: Vec<Curve>,
    right: Option<((f64, f64), &'static str, Vec<Curve>)>,
}

const BLUE_: RGBColor = RGBColor(31, 119, 180);
const ORANGE: RGBColor = RGBColor(255, 127, 14);
const GREEN_: RGBColor = RGBColor(44, 160, 44);
const RED_: RGBColor = RGBColor(214, 39, 40);
const PURPLE: RGBColor = RGBColor(148, 103, 189);
const GREY: RGBColor = RGBColor(120, 120, 120);

fn panels() -> Vec<Panel> {
    let relu_family = Panel {
        file: "relu_family.png",
        title: "(a) ReLU family (relu = leaky_relu = elu = x for x > 0)",
        x: (-4.0, 3.0),
        y: (-1.2, 3.0),
        curves: vec![
            Curve::new("relu", BLUE_, Relu),
            Curve::new("leaky_relu(0.1)", ORANGE, LeakyRelu { gamma: 0.1 }),
            Curve::new("elu(1)", GREEN_, Elu { gamma: 1.0 }),
            Curve::new("softplus", RED_, Softplus),
        ],
        right: None,
    };

    let colors = [PURPLE, BLUE_, GREEN_, ORANGE, RED_];
    let mut swish: Vec<Curve> = [0.1, 0.5, 1.0, 2.0, 10.0]
        .iter()
        .zip(colors)
        .map(|(&beta, color)| Curve::new(&format!("swish(beta={beta})"), color, Swish { beta }))
        .collect();
    swish.push(Curve::new("relu", GREY, Relu).dashed());
    let swish = Panel {
        file: "swish.png",
        title: "(b) swish x·sigmoid(beta x)",
        x: (-4.0, 4.0),
        y: (-1.8, 4.0),
        curves: swish,
        right: None,
    };

    let diff = |label: &str, color: RGBColor, approx: Function| Curve {
        label: label.to_string(),
        color,
        dashed: true,
        f: Box::new(move |x| approx(x) - Gelu.f(x)),
    };
    let gelu = Panel {
        file: "gelu.png",
        title: "(c) GELU and its approximations",
        x: (-4.0, 4.0),
        y: (-0.5, 4.0),
        curves: vec![
            Curve::new("gelu", BLUE_, Gelu),
            Curve::new("gelu_tanh", ORANGE, GeluTanh),
            Curve::new("gelu_sigmoid", GREEN_, GeluSigmoid),
        ],
        right: Some((
            (-0.025, 0.025),
            "approximation − gelu",
            vec![
                diff("gelu_tanh − gelu (right axis)", ORANGE, Box::new(|x| GeluTanh.f(x))),
                diff("gelu_sigmoid − gelu (right axis)", GREEN_, Box::new(|x| GeluSigmoid.f(x))),
            ],
        )),
    };

    let hard = Panel {
        file: "hard.png",
        title: "(d) smooth and hard squashing functions",
        x: (-4.0, 4.0),
        y: (-1.1, 1.1),
        curves: vec![
            Curve::new("sigmoid", BLUE_, Sigmoid),
            Curve::new("hard_logistic (slope 1/4)", BLUE_, HardLogistic).dashed(),
            Curve::new("hard_sigmoid_pytorch (1/6)", PURPLE, HardSigmoid::<f64>::pytorch())
                .dashed(),
            Curve::new("hard_sigmoid_onnx (0.2)", GREEN_, HardSigmoid::<f64>::onnx()).dashed(),
            Curve::new("tanh", RED_, Tanh),
            Curve::new("hard_tanh", RED_, HardTanh).dashed(),
        ],
        right: None,
    };

    vec![relu_family, swish, gelu, hard]
}

/// `points` evenly spaced values from `lo` to `hi`, both included.
fn grid(lo: f64, hi: f64, points: usize) -> Vec<f64> {
    (0..points).map(|i| lo + (hi - lo) * i as f64 / (points - 1) as f64).collect()
}

fn line_points(f: &dyn Fn(f64) -> f64, xs: &[f64]) -> Vec<(f64, f64)> {
    xs.iter().map(|&x| (x, f(x))).collect()
}

/// Where the legend sample of a curve is broken: a gap in the middle if it is dashed.
fn legend_gap(dashed: bool) -> (i32, i32) {
    if dashed {
        (8, 12)
    } else {
        (10, 10)
    }
}

fn draw_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, panel: &Panel, points: usize) {
    let xs = grid(panel.x.0, panel.x.1, points);
    let (x0, x1, y0, y1) = (panel.x.0, panel.x.1, panel.y.0, panel.y.1);
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(panel.title, ("sans-serif", 18))
        .margin(8)
        .x_label_area_size(35)
        .y_label_area_size(45);
    if panel.right.is_some() {
        builder.right_y_label_area_size(75);
    }
    // Every panel has a secondary coordinate system, so that the right axis (if any) is
    // taken away from the primary one before the primary mesh is drawn; only panels with a
    // right axis draw on it.
    let (y2, desc, right_curves) = match &panel.right {
        Some((range, desc, curves)) => (*range, *desc, curves.as_slice()),
        None => ((0.0, 1.0), "", [].as_slice()),
    };
    let mut chart = builder
        .build_cartesian_2d(x0..x1, y0..y1)
        .expect("chart")
        .set_secondary_coord(x0..x1, y2.0..y2.1);
    chart
        .configure_mesh()
        .x_desc("x")
        .y_desc("f(x)")
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 15))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .expect("mesh");
    if panel.right.is_some() {
        chart
            .configure_secondary_axes()
            .y_desc(desc)
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 15))
            .draw()
            .expect("secondary axes");
    }
    // The axes through the origin.
    let axis = GREY.mix(0.6);
    chart.draw_series(LineSeries::new([(x0, 0.0), (x1, 0.0)], axis)).expect("axis");
    chart.draw_series(LineSeries::new([(0.0, y0), (0.0, y1)], axis)).expect("axis");

    for curve in &panel.curves {
        let pts = line_points(&curve.f, &xs);
        let style = curve.color.stroke_width(2);
        let anno = if curve.dashed {
            chart.draw_series(DashedLineSeries::new(pts, 7, 4, style)).expect("series")
        } else {
            chart.draw_series(LineSeries::new(pts, style)).expect("series")
        };
        let (a, b) = legend_gap(curve.dashed);
        anno.label(curve.label.as_str()).legend(move |(x, y)| {
            EmptyElement::at((x, y))
                + PathElement::new([(0, 0), (a, 0)], style)
                + PathElement::new([(b, 0), (20, 0)], style)
        });
    }
    for curve in right_curves {
        let pts = line_points(&curve.f, &xs);
        let style = curve.color.stroke_width(1);
        let (a, b) = legend_gap(true);
        chart
            .draw_secondary_series(DashedLineSeries::new(pts, 3, 3, style))
            .expect("series")
            .label(curve.label.as_str())
            .legend(move |(x, y)| {
                EmptyElement::at((x, y))
                    + PathElement::new([(0, 0), (a, 0)], style)
                    + PathElement::new([(b, 0), (20, 0)], style)
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 12))
        .draw()
        .expect("legend");
}

/// The largest `|f(x) - g(x)|` over the grid.
fn max_gap(f: impl Fn(f64) -> f64, g: impl Fn(f64) -> f64, xs: &[f64]) -> f64 {
    xs.iter().map(|&x| (f(x) - g(x)).abs()).fold(0.0, f64::max)
}

fn main() {
    common::use_font();
    let dir = common::plot_dir("activations");
    // The grid the curves are drawn and the gaps measured on.
    let points = if common::quick() { 201 } else { 4001 };
    let panels = panels();

    // Every panel on its own, then all four in a 2 x 2 grid.
    let mut written = Vec::new();
    for panel in &panels {
        let path = dir.join(panel.file);
        draw_to(&path, (640, 400), |area| draw_panel(area, panel, points));
        written.push(path);
    }
    let path = dir.join("activations.png");
    draw_to(&path, (1280, 800), |area| {
        for (cell, panel) in area.split_evenly((2, 2)).iter().zip(&panels) {
            draw_panel(cell, panel, points);
        }
    });
    written.push(path);

    // A table of values at a few points, from the same structs the plots used.
    let table: [(&str, Function); 14] = [
        ("relu", Box::new(|x| Relu.f(x))),
        ("leaky_relu(0.1)", Box::new(|x| LeakyRelu { gamma: 0.1 }.f(x))),
        ("elu(1)", Box::new(|x| Elu { gamma: 1.0 }.f(x))),
        ("softplus", Box::new(|x| Softplus.f(x))),
        ("swish(beta=1)", Box::new(|x| Swish { beta: 1.0 }.f(x))),
        ("gelu", Box::new(|x| Gelu.f(x))),
        ("gelu_tanh", Box::new(|x| GeluTanh.f(x))),
        ("gelu_sigmoid", Box::new(|x| GeluSigmoid.f(x))),
        ("sigmoid", Box::new(|x| Sigmoid.f(x))),
        ("hard_logistic", Box::new(|x| HardLogistic.f(x))),
        ("hard_sigmoid_pytorch", Box::new(|x| HardSigmoid::<f64>::pytorch().f(x))),
        ("hard_sigmoid_onnx", Box::new(|x| HardSigmoid::<f64>::onnx().f(x))),
        ("tanh", Box::new(|x| Tanh.f(x))),
        ("hard_tanh", Box::new(|x| HardTanh.f(x))),
    ];
    let at = [-3.0, -1.0, 0.0, 1.0, 3.0];
    print!("{:<22}", "f(x) at x =");
    for x in at {
        print!("{x:>9.1}");
    }
    println!();
    for (name, f) in &table {
        print!("{name:<22}");
        for x in at {
            print!("{:>9.4}", f(x));
        }
        println!();
    }

    // The gaps a reader cannot see on the plots, measured on [-4, 4].
    let xs = grid(-4.0, 4.0, points);
    let gelu = |x| Gelu.f(x);
    let gap_tanh = max_gap(gelu, |x| GeluTanh.f(x), &xs);
    let gap_sigmoid = max_gap(gelu, |x| GeluSigmoid.f(x), &xs);
    println!();
    println!(
        "largest gap to gelu on [-4, 4]: gelu_tanh {gap_tanh:.2e}, gelu_sigmoid {gap_sigmoid:.2e}"
    );
    let relu = |x| Relu.f(x);
    print!("largest gap of swish to relu on [-4, 4]:");
    let mut swish_gaps = Vec::new();
    for beta in [0.1, 0.5, 1.0, 2.0, 10.0] {
        let gap = max_gap(relu, |x| Swish { beta }.f(x), &xs);
        print!("  beta={beta}: {gap:.3}");
        swish_gaps.push(gap);
    }
    println!();
    let softplus_gap = max_gap(|x| Softplus.f(x), relu, &xs);
    println!("largest gap of softplus above relu: {softplus_gap:.4} (ln 2 = {:.4})", 2f64.ln());

    // Textbook facts, from the library's functions.
    assert_eq!(Relu.f(-1.0_f64), 0.0);
    assert_eq!(Relu.f(2.0_f64), 2.0);
    assert_eq!(LeakyRelu { gamma: 0.1_f64 }.f(-1.0), -0.1);
    assert!((Elu { gamma: 1.0_f64 }.f(-20.0) + 1.0).abs() < 1e-8, "elu tends to -gamma");
    assert!((softplus_gap - 2f64.ln()).abs() < 1e-12, "softplus is relu plus at most ln 2");
    // A large beta makes swish a ReLU: the gap is about 0.278 / beta.
    assert!(swish_gaps.windows(2).all(|w| w[1] < w[0]), "swish nears relu as beta grows");
    assert!(swish_gaps[4] < 0.03, "swish(beta=10) within 0.03 of relu");
    // The approximations of the GELU: tanh's is close, sigmoid's coarser.
    assert!(gap_tanh < 1e-3 && gap_sigmoid < 0.03 && gap_tanh < gap_sigmoid / 10.0);
    // The hard sigmoids all pass through (0, 1/2); the textbook's is the tangent at 0.
    for hard in [HardSigmoid { slope: 0.25 }, HardSigmoid::pytorch(), HardSigmoid::onnx()] {
        assert_eq!(hard.f(0.0_f64), 0.5);
    }
    assert_eq!(HardLogistic.f(1.0_f64), 0.75);
    assert_eq!(HardLogistic.df(0.0_f64, 0.5), Sigmoid.df(0.0_f64, 0.5));
    assert_eq!(HardSigmoid::<f64>::pytorch().f(3.0), 1.0);
    assert_eq!(HardSigmoid::<f64>::onnx().f(2.5), 1.0);
    // tanh is a rescaled sigmoid, tanh(x) = 2 sigmoid(2x) - 1, and hard_tanh its tangent at 0.
    assert!(max_gap(|x| Tanh.f(x), |x| 2.0 * Sigmoid.f(2.0 * x) - 1.0, &xs) < 1e-15);
    assert_eq!(HardTanh.f(0.5_f64), 0.5);
    assert_eq!(HardTanh.f(-3.0_f64), -1.0);

    println!();
    for path in written {
        println!("plot: {}", path.display());
    }
}

/// Draws into a PNG of the given size and writes it.
fn draw_to(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>),
) {
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).expect("fill");
    draw(&root);
    root.present().unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

#[cfg(test)]
mod tests {
    #[test]
    fn runs_briefly() {
        super::main()
    }
}
