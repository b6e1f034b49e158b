//! Backpropagation by hand, beside the code `network!` writes (section 4.4).
//!
//! A 2-3-2 network of sigmoids with the mean squared error, in `f64`, with weights set by
//! hand through its public fields, sees one sample. The example then does what section 4.4
//! does on paper:
//!
//! 1. the forward pass, layer by layer: `z_l = W_l a_{l-1} + b_l` and `a_l = f(z_l)`;
//! 2. the error term of the output layer, `delta_L = f'(z_L) * dL/da_L`, and the recursion
//!    backwards, `delta_l = f'(z_l) * (W_{l+1}^T delta_{l+1})` (`*` element by element);
//! 3. the gradients, `dL/dW_l = delta_l a_{l-1}^T` and `dL/db_l = delta_l`.
//!
//! It compares every component of that hand-made gradient with the gradient the generated
//! `loss_and_grad` returns (a value of the network's own type, read through the same public
//! fields) and with central differences of the loss (section 4.5.1), and checks all three
//! agree with `nn::gradcheck`.
//!
//! Look for the table of gradients: the columns "by hand" and "network!" agree to the last bit
//! or two (the "hand-gen" column), and "central diff." to eight digits or more. The generated backward pass is the same recursion written out as plain Rust, layer
//! by layer, with no run-time graph.
//!
//! ```text
//! cargo run --release --example backprop
//! ```
//!
//! No plots: everything is printed. To read the code `network!` wrote for this network (the
//! struct, `__trace` for the forward values and `__backprop` for the deltas), expand the
//! macro with the optional tool cargo-expand, installed separately (`cargo install
//! cargo-expand`; it drives a nightly compiler, so a nightly toolchain must be installed, see
//! its README):
//!
//! ```text
//! cargo expand --example backprop
//! ```

use nn::nalgebra::{SMatrix, SVector};
use nn::{gradcheck, network, Network};

network! {
    /// Two inputs, three hidden sigmoids, two output sigmoids, squared error.
    pub struct Tiny {
        input: 2,
        hidden: dense(3) -> sigmoid,
        output: dense(2) -> sigmoid,
        loss: mse,
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// The logistic function's derivative from its input: `f'(z) = f(z) (1 - f(z))`.
fn sigmoid_derivative(z: f64) -> f64 {
    let a = sigmoid(z);
    a * (1.0 - a)
}

/// Central differences `(L(w + h) - L(w - h)) / 2h` of every parameter, in the order the
/// network's visitor walks them (each tensor column-major).
fn central_differences(net: &Tiny<f64>, loss: impl Fn(&Tiny<f64>) -> f64) -> Vec<f64> {
    let mut sizes = Vec::new();
    net.visit(&mut |p| sizes.push(p.values.len()));
    let h = 1e-5;
    let mut out = Vec::new();
    for (tensor, &len) in sizes.iter().enumerate() {
        for i in 0..len {
            let nudged = |delta: f64| {
                let mut probe = net.clone();
                let mut seen = 0;
                probe.visit_mut(&mut |p| {
                    if seen == tensor {
                        p.values[i] += delta;
                    }
                    seen += 1;
                });
                loss(&probe)
            };
            out.push((nudged(h) - nudged(-h)) / (2.0 * h));
        }
    }
    out
}

/// Every component of a network-shaped value, with its name and (row, col), in visit order.
fn components(net: &Tiny<f64>) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    net.visit(&mut |p| {
        let rows = p.shape.0;
        for (i, &v) in p.values.iter().enumerate() {
            let label = if p.shape.1 == 1 {
                format!("{}[{}]", p.name, i)
            } else {
                format!("{}[{},{}]", p.name, i % rows, i / rows)
            };
            out.push((label, v));
        }
    });
    out
}

fn show(name: &str, v: &[f64]) {
    let cells: Vec<String> = v.iter().map(|x| format!("{x:>10.6}")).collect();
    println!("  {name:<10} [{}]", cells.join(" "));
}

fn main() {
    // Weights set by hand (PyTorch's layout: one row per unit of the layer).
    let mut net = Tiny::<f64>::zeros();
    net.hidden.weight = SMatrix::<f64, 3, 2>::new(0.15, 0.20, -0.25, 0.30, 0.35, -0.40);
    net.hidden.bias = SVector::from([0.35, -0.10, 0.05]);
    net.output.weight = SMatrix::<f64, 2, 3>::new(0.40, 0.45, -0.50, -0.55, 0.60, 0.65);
    net.output.bias = SVector::from([0.60, -0.20]);

    let x = SVector::from([0.05, 0.10]);
    let y = SVector::from([0.01, 0.99]);
    println!("one sample: x = {:?}, target y = {:?}\n", x.as_slice(), y.as_slice());

    // 1. The forward pass, written out.
    let (w1, b1) = (net.hidden.weight, net.hidden.bias);
    let (w2, b2) = (net.output.weight, net.output.bias);
    let z1 = w1 * x + b1;
    let a1 = z1.map(sigmoid);
    let z2 = w2 * a1 + b2;
    let a2 = z2.map(sigmoid);
    let loss = (a2 - y).map(|d| d * d).mean();
    println!("forward pass  z_l = W_l a_(l-1) + b_l,  a_l = sigmoid(z_l)");
    show("a_0 = x", x.as_slice());
    show("z_1", z1.as_slice());
    show("a_1", a1.as_slice());
    show("z_2", z2.as_slice());
    show("a_2", a2.as_slice());
    println!("  loss       {loss:.12}   (mean over the outputs of (a_2 - y)^2)\n");

    // 2. The error terms delta_l = dL/dz_l, from the output backwards.
    // d/da of mean((a - y)^2) over the outputs: 2 (a - y) / 2.
    let d_a2 = (a2 - y) * (2.0 / a2.len() as f64);
    let delta2 = z2.map(sigmoid_derivative).component_mul(&d_a2);
    let delta1 = z1.map(sigmoid_derivative).component_mul(&(w2.transpose() * delta2));
    println!("error terms  delta_2 = f'(z_2) * dL/da_2,  delta_1 = f'(z_1) * (W_2^T delta_2)");
    show("dL/da_2", d_a2.as_slice());
    show("delta_2", delta2.as_slice());
    show("delta_1", delta1.as_slice());
    println!();

    // 3. The gradients, dW_l = delta_l a_(l-1)^T and db_l = delta_l, in a network-shaped value
    // so that they line up with the generated gradient component by component.
    let mut by_hand = Tiny::<f64>::zeros();
    by_hand.hidden.weight = delta1 * x.transpose();
    by_hand.hidden.bias = delta1;
    by_hand.output.weight = delta2 * a1.transpose();
    by_hand.output.bias = delta2;

    // What network! generated: the same values from `forward`, `loss` and `loss_and_grad`.
    let (generated_loss, generated) = net.loss_and_grad(&x, &y);
    let output = net.forward(&x);
    let numeric = central_differences(&net, |n| n.loss(&x, &y));

    println!("gradients  dW_l = delta_l a_(l-1)^T,  db_l = delta_l");
    println!(
        "  {:<20} {:>16} {:>16} {:>16} {:>10}",
        "parameter", "by hand", "network!", "central diff.", "hand-gen"
    );
    let hand = components(&by_hand);
    let gen = components(&generated);
    let mut worst_generated = 0.0f64;
    let mut worst_numeric = 0.0f64;
    for (((name, h), (_, g)), n) in hand.iter().zip(&gen).zip(&numeric) {
        println!("  {name:<20} {h:>16.12} {g:>16.12} {n:>16.12} {:>10.1e}", h - g);
        worst_generated = worst_generated.max((h - g).abs());
        worst_numeric = worst_numeric.max((h - n).abs());
    }
    println!();
    println!("largest |hand - network!|      {worst_generated:.2e}");
    println!("largest |hand - central diff.| {worst_numeric:.2e}");

    // nn::gradcheck: every component of a gradient against central differences.
    let check_generated = gradcheck(&net, &generated, |n| n.loss(&x, &y));
    let check_hand = gradcheck(&net, &by_hand, |n| n.loss(&x, &y));
    println!("gradcheck, network!'s gradient: {check_generated}");
    println!("gradcheck, the hand gradient:   {check_hand}");

    println!();
    println!("To read the code network! generated for Tiny (the optional cargo-expand tool,");
    println!("installed with `cargo install cargo-expand`, with a nightly toolchain present):");
    println!("    cargo expand --example backprop");
    println!("(look for `fn __trace`, the forward values, and `fn __backprop`, the deltas)");

    assert!((generated_loss - loss).abs() < 1e-15, "loss: {generated_loss} vs {loss}");
    assert!((output - a2).amax() < 1e-15, "forward: {output} vs {a2}");
    assert!(worst_generated < 1e-14, "hand and generated gradients differ by {worst_generated}");
    assert!(
        worst_numeric < 1e-9,
        "hand gradient and central differences differ by {worst_numeric}"
    );
    assert_eq!(check_generated.checked, Tiny::<f64>::PARAMS);
    assert!(check_generated.worst_relative_error < 1e-6, "{check_generated}");
    assert!(check_hand.worst_relative_error < 1e-6, "{check_hand}");
}

#[cfg(test)]
mod tests {
    #[test]
    fn runs_briefly() {
        super::main()
    }
}
