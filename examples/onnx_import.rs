//! A model trained in PyTorch, compiled here: import from ONNX.
//!
//! `tests/fixtures/onnx/torch_mlp.onnx` is a small classifier PyTorch exported
//! (`torch.onnx.export`, by tests/fixtures/make_onnx_fixtures.py): `Linear`, `ReLU`,
//! `Linear`, `Tanh`, `Linear`, `Softmax`. `onnx_network!` reads the file while the program
//! compiles and writes the equivalent `network!`, with the weights baked into a constant,
//! `TorchMlp::<f32>::BAKED`: every width checked by the compiler, no file read at run time.
//!
//! Look for the `network!` block the model reads as (copy it into your code to train the
//! network further), then each sample's probabilities here beside PyTorch's own, recorded
//! when it exported the file.
//!
//! ```text
//! cargo run --release --features onnx --example onnx_import
//! ```

use nn::architecture::Described;
use nn::nalgebra::SVector;

nn::onnx_network!("../tests/fixtures/onnx/torch_mlp.onnx", pub struct TorchMlp);

/// PyTorch's outputs: per line, the 4 inputs then the 3 probabilities.
const OUTPUTS: &str = include_str!("../tests/fixtures/onnx/torch_mlp_outputs.txt");

fn main() {
    println!("{}", TorchMlp::<f32>::ARCHITECTURE.listing());
    let net = TorchMlp::<f32>::BAKED;
    let mut worst = 0.0f32;
    for line in OUTPUTS.lines().filter(|l| !l.starts_with('#')) {
        let values: Vec<f32> = line.split(' ').map(|v| v.parse().expect("a number")).collect();
        let x = SVector::<f32, 4>::from_column_slice(&values[..4]);
        let theirs = &values[4..];
        let ours = net.forward(&x);
        println!("x = {:>6.3?}", x.as_slice());
        println!("    nn      {:.6?}", ours.as_slice());
        println!("    PyTorch {theirs:.6?}");
        for (a, b) in ours.iter().zip(theirs) {
            worst = worst.max((a - b).abs());
        }
    }
    println!("largest difference: {worst:.2e}");
    assert!(worst < 1e-5, "the import disagrees with PyTorch by {worst}");
}

#[cfg(test)]
mod tests {
    #[test]
    fn runs_briefly() {
        super::main()
    }
}
