//! Vanishing gradients: why deep sigmoid networks barely learn in their first layers.
//!
//! Section 4.6 of the textbook: backpropagation multiplies the error by `f'(z)` once per
//! layer on its way down, and the logistic sigmoid's derivative is at most 1/4. Through ten
//! sigmoid layers the error that reaches the first one has shrunk by roughly `4^-10`, so the
//! first layers' gradients are orders of magnitude smaller than the last layers' and those
//! layers hardly move. ReLU's derivative is 1 wherever the unit is active; with He's
//! initialisation (what `network!` uses before a ReLU, Glorot's before a sigmoid) the error
//! keeps its size from layer to layer.
//!
//! The example builds two networks of ten hidden layers 16 units wide and a linear output,
//! one with sigmoids and one with ReLUs, and computes the gradient of the mean squared error
//! on a batch of 64 random inputs (target `x0 * x1`) at initialisation. For every layer it
//! takes the Euclidean norm of the gradient of the weights, `||dR/dW_l||` (read through
//! `Network::visit`, which names the tensors `"<layer>.weight"`), averaged over several
//! random initialisations.
//!
//! Look for the sigmoid column of the printed table falling by a factor of about four per
//! layer from the output down to `h1`, which ends about a million times below `h10`, while
//! the ReLU column stays within a small factor of its `h10` throughout. The plot shows
//! both on a logarithmic axis: a steep line and a flat one.
//!
//! ```text
//! cargo run --release --example vanishing_gradients
//! ```
//!
//! The plot goes to `target/plots/vanishing_gradients/gradient_norms.png` (or under
//! `$NN_PLOTS`).

#[path = "common/mod.rs"]
mod common;

use std::path::Path;

use nn::nalgebra::SMatrix;
use nn::{network, Network};
use plotters::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

network! {
    /// Ten sigmoid layers: Glorot initialisation.
    pub struct DeepSigmoid {
        input: 16,
        h1: dense(16) -> sigmoid,
        h2: dense(16) -> sigmoid,
        h3: dense(16) -> sigmoid,
        h4: dense(16) -> sigmoid,
        h5: dense(16) -> sigmoid,
        h6: dense(16) -> sigmoid,
        h7: dense(16) -> sigmoid,
        h8: dense(16) -> sigmoid,
        h9: dense(16) -> sigmoid,
        h10: dense(16) -> sigmoid,
        output: dense(1),
        loss: mse,
    }
}

network! {
    /// Ten ReLU layers: He initialisation.
    pub struct DeepRelu {
        input: 16,
        h1: dense(16) -> relu,
        h2: dense(16) -> relu,
        h3: dense(16) -> relu,
        h4: dense(16) -> relu,
        h5: dense(16) -> relu,
        h6: dense(16) -> relu,
        h7: dense(16) -> relu,
        h8: dense(16) -> relu,
        h9: dense(16) -> relu,
        h10: dense(16) -> relu,
        output: dense(1),
        loss: mse,
    }
}

/// Samples in a batch.
const BATCH: usize = 64;

/// The Euclidean norm of each weight matrix of `grad`, in layer order, with the layer names.
fn weight_norms<N: Network<f32>>(grad: &N) -> Vec<(String, f32)> {
    let mut norms = Vec::new();
    grad.visit(&mut |p| {
        if let Some(layer) = p.name.strip_suffix(".weight") {
            let norm = p.values.iter().map(|v| v * v).sum::<f32>().sqrt();
            norms.push((layer.to_string(), norm));
        }
    });
    norms
}

/// Adds `norms` into the running sums `total` (started empty).
fn accumulate(total: &mut Vec<(String, f32)>, norms: Vec<(String, f32)>) {
    if total.is_empty() {
        *total = norms;
    } else {
        for ((_, t), (_, n)) in total.iter_mut().zip(norms) {
            *t += n;
        }
    }
}

/// Draws both networks' gradient norms against the layer, log scale.
fn plot(path: &Path, sigmoid: &[(String, f32)], relu: &[(String, f32)]) {
    let root = BitMapBackend::new(path, (640, 400)).into_drawing_area();
    root.fill(&WHITE).unwrap();
    let all = sigmoid.iter().chain(relu).map(|(_, n)| *n);
    let lo = all.clone().fold(f32::INFINITY, f32::min);
    let hi = all.fold(0.0, f32::max);
    let layers = sigmoid.len();
    let names: Vec<String> = sigmoid.iter().map(|(name, _)| name.clone()).collect();
    let mut chart = ChartBuilder::on(&root)
        .caption("Weight-gradient norm by layer, at initialisation", ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.5f32..layers as f32 + 0.5, ((lo / 3.0)..(hi * 3.0)).log_scale())
        .unwrap();
    chart
        .configure_mesh()
        .x_desc("layer (input side on the left)")
        .y_desc("||dR/dW|| (log scale)")
        .x_labels(layers)
        .light_line_style(WHITE.mix(0.0))
        .x_label_formatter(&|v| {
            let i = v.round() as usize;
            if (v - i as f32).abs() < 1e-3 && (1..=names.len()).contains(&i) {
                names[i - 1].clone()
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 15))
        .draw()
        .unwrap();
    for (norms, color, label) in
        [(sigmoid, RED, "sigmoid, Glorot init"), (relu, BLUE, "ReLU, He init")]
    {
        let points: Vec<(f32, f32)> =
            norms.iter().enumerate().map(|(i, (_, n))| ((i + 1) as f32, *n)).collect();
        chart
            .draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2)))
            .unwrap()
            .label(label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2)));
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, color.filled()))).unwrap();
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()
        .unwrap();
    root.present().unwrap();
}

fn main() {
    common::use_font();
    let inits: u64 = if common::quick() { 20 } else { 50 };

    let mut sigmoid = Vec::new();
    let mut relu = Vec::new();
    for seed in 0..inits {
        // Inputs of unit variance (uniform on [-sqrt 3, sqrt 3]), one sample per column.
        let mut rng = ChaCha8Rng::seed_from_u64(1000 + seed);
        let bound = 3.0f32.sqrt();
        let xs = SMatrix::<f32, 16, BATCH>::from_fn(|_, _| rng.random_range(-bound..bound));
        let ys = SMatrix::<f32, 1, BATCH>::from_fn(|_, j| xs[(0, j)] * xs[(1, j)]);

        let (_, grad) = DeepSigmoid::<f32>::seeded(seed).loss_and_grad_batch(&xs, &ys);
        accumulate(&mut sigmoid, weight_norms(&grad));
        let (_, grad) = DeepRelu::<f32>::seeded(seed).loss_and_grad_batch(&xs, &ys);
        accumulate(&mut relu, weight_norms(&grad));
    }
    for (_, n) in sigmoid.iter_mut().chain(relu.iter_mut()) {
        *n /= inits as f32;
    }

    println!("mean over {inits} initialisations of ||dR/dW|| per layer ({BATCH} samples each)");
    println!("{:>7}  {:>12}  {:>12}  {:>12}  {:>12}", "layer", "sigmoid", "/ h10", "ReLU", "/ h10");
    let last_hidden = sigmoid.len() - 2; // h10: the last of the 16 x 16 layers
    for ((name, s), (_, r)) in sigmoid.iter().zip(&relu) {
        println!(
            "{name:>7}  {s:>12.3e}  {:>12.3e}  {r:>12.3e}  {:>12.3e}",
            s / sigmoid[last_hidden].1,
            r / relu[last_hidden].1
        );
    }

    let dir = common::plot_dir("vanishing_gradients");
    let png = dir.join("gradient_norms.png");
    plot(&png, &sigmoid, &relu);
    println!("plot: {}", png.display());

    let sigmoid_ratio = sigmoid[0].1 / sigmoid[last_hidden].1;
    let relu_ratio = relu[0].1 / relu[last_hidden].1;
    println!("h1 / h10: sigmoid {sigmoid_ratio:.2e}, ReLU {relu_ratio:.2}");
    assert!(
        sigmoid_ratio < 1e-3,
        "the sigmoid network's first-layer gradient should vanish: ratio {sigmoid_ratio:.2e}"
    );
    assert!(
        (0.1..10.0).contains(&relu_ratio),
        "the ReLU network's gradients should keep their size: ratio {relu_ratio:.2}"
    );
    assert!(
        sigmoid.windows(2).take(last_hidden).all(|w| w[0].1 < w[1].1),
        "the sigmoid network's gradients should shrink layer by layer towards the input"
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn runs_briefly() {
        super::main()
    }
}
