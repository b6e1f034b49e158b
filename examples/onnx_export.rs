//! A network trained here, run by another engine: export to ONNX.
//!
//! A 1-16-16-1 network learns `sin(2x)` on [-2, 2] with Adam, then `nn::onnx::save_onnx`
//! writes it as an ONNX model (opset 17) with its weights: one `Gemm` and one `Tanh` per
//! line, named after the lines. tract, a pure-Rust ONNX runtime that knows nothing of `nn`,
//! reads the file and runs it on a batch; the same file runs in ONNX Runtime, in a browser or
//! on a phone.
//!
//! Look for the loss falling, the path of the model, its operators, and the two columns of
//! outputs (`forward` here, tract there) agreeing to about 1e-7.
//!
//! ```text
//! cargo run --release --features onnx --example onnx_export
//! ```

use nn::nalgebra::{SMatrix, SVector};
use nn::prelude::*;
use tract_onnx::prelude::*;

network! {
    /// Learns sin(2x).
    pub struct Sine {
        input: 1,
        hidden: dense(16) -> tanh,
        deeper: dense(16) -> tanh,
        output: dense(1),
        loss: mse,
    }
}

const SAMPLES: usize = 64;

fn main() {
    // Training: full batches of 64 points of sin(2x).
    let xs =
        SMatrix::<f32, 1, SAMPLES>::from_fn(|_, j| -2.0 + 4.0 * j as f32 / (SAMPLES - 1) as f32);
    let ys = xs.map(|x| (2.0 * x).sin());
    let mut net = Sine::<f32>::seeded(3);
    let mut adam = Adam::new(0.01);
    let epochs =
        if std::env::var_os("NN_EXAMPLE_QUICK").is_some() || cfg!(test) { 300 } else { 2000 };
    let mut loss = f32::INFINITY;
    for epoch in 0..=epochs {
        let (l, grad) = net.loss_and_grad_batch(&xs, &ys);
        loss = l;
        if epoch % (epochs / 4) == 0 {
            println!("epoch {epoch:>5}  loss {l:.6}");
        }
        adam.step(&mut net, &grad);
    }
    assert!(loss < 0.05, "sin(2x) was not learnt: loss {loss}");

    // Export: the file, atomically, as every save of `nn`.
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("onnx");
    std::fs::create_dir_all(&dir).expect("target/onnx");
    let path = dir.join("sine.onnx");
    nn::onnx::save_onnx(&net, &path).expect("the network exports");
    let model = nn::onnx::to_model(&net).expect("the network exports");
    let graph = model.graph.as_ref().expect("a graph");
    let ops: Vec<String> =
        graph.node.iter().map(|n| format!("{} ({})", n.name, n.op_type)).collect();
    println!("\nwrote {} (opset {}): {}", path.display(), nn::onnx::OPSET, ops.join(", "));

    // Another engine: tract reads the file and runs five points in one batch.
    let points = [-1.5f32, -0.75, 0.0, 0.6, 1.9];
    let runnable = tract_onnx::onnx()
        .model_for_path(&path)
        .and_then(|m| m.with_input_fact(0, f32::fact([points.len(), 1]).into()))
        .and_then(|m| m.into_optimized())
        .and_then(|m| m.into_runnable())
        .expect("tract loads the model");
    let input = tract_ndarray::Array2::from_shape_vec((points.len(), 1), points.to_vec()).unwrap();
    let out = runnable.run(tvec!(Tensor::from(input).into())).expect("tract runs the model");
    let theirs = out[0].to_plain_array_view::<f32>().expect("float outputs");

    println!("\n{:>6}  {:>10}  {:>10}  {:>10}", "x", "forward", "tract", "sin(2x)");
    let mut worst = 0.0f32;
    for (k, &x) in points.iter().enumerate() {
        let ours = net.forward(&SVector::from([x]))[0];
        let other = theirs[[k, 0]];
        worst = worst.max((ours - other).abs());
        println!("{x:>6.2}  {ours:>10.6}  {other:>10.6}  {:>10.6}", (2.0 * x).sin());
    }
    println!("largest difference: {worst:.2e}");
    assert!(worst < 1e-5, "the engines disagree by {worst}");
}

#[cfg(test)]
mod tests {
    #[test]
    fn runs_briefly() {
        super::main()
    }
}
