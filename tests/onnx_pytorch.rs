//! Models exported by PyTorch (`torch.onnx.export`, opset 17, by
//! tests/fixtures/make_onnx_fixtures.py), compiled by `onnx_network!` and compared with
//! PyTorch's own outputs, recorded when it exported them, to 1e-5 in f32.
#![cfg(feature = "onnx")]

use nn::architecture::Described;
use nn::nalgebra::SVector;
use nn::Model;

nn::onnx_network!("fixtures/onnx/torch_mlp.onnx", pub struct TorchMlp);
nn::onnx_network!("fixtures/onnx/torch_activations.onnx", pub struct TorchActivations);
nn::onnx_network!("fixtures/onnx/torch_smooth.onnx", pub struct TorchSmooth);

/// Each recorded sample's inputs and PyTorch's outputs, against `forward`.
fn matches_pytorch<N: Model<f32, I, O>, const I: usize, const O: usize>(net: &N, recorded: &str) {
    let mut samples = 0;
    for line in recorded.lines().filter(|l| !l.starts_with('#')) {
        let values: Vec<f32> = line.split(' ').map(|v| v.parse().unwrap()).collect();
        assert_eq!(values.len(), I + O, "a recorded line has the network's widths");
        let x = SVector::<f32, I>::from_column_slice(&values[..I]);
        let ours = net.forward(&x);
        for (k, (a, b)) in ours.iter().zip(&values[I..]).enumerate() {
            assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "output {k}: nn {a}, PyTorch {b}");
        }
        samples += 1;
    }
    assert_eq!(samples, 4);
}

#[test]
fn a_pytorch_classifier_compiles_and_agrees() {
    matches_pytorch(&TorchMlp::<f32>::BAKED, include_str!("fixtures/onnx/torch_mlp_outputs.txt"));
    let listing = TorchMlp::<f32>::ARCHITECTURE.listing();
    // Softmax output, no `nn.loss` in the file: the documented default is cross-entropy.
    assert!(listing.contains("        output: dense(3) -> softmax,\n"), "{listing}");
    assert!(listing.contains("        loss: cross_entropy,\n"), "{listing}");
}

#[test]
fn pytorchs_single_operator_activations_compile_and_agree() {
    matches_pytorch(
        &TorchActivations::<f32>::BAKED,
        include_str!("fixtures/onnx/torch_activations_outputs.txt"),
    );
    let listing = TorchActivations::<f32>::ARCHITECTURE.listing();
    for stage in [
        "leaky_relu(0.1)",
        "elu(0.5)",
        "hard_sigmoid_pytorch",
        "softplus",
        "prelu(0.25)",
        "dense(2, bias = false) -> sigmoid",
        "loss: binary_cross_entropy",
    ] {
        assert!(listing.contains(stage), "{stage} in {listing}");
    }
}

#[test]
fn silu_hardtanh_and_gelu_compile_and_agree() {
    matches_pytorch(
        &TorchSmooth::<f32>::BAKED,
        include_str!("fixtures/onnx/torch_smooth_outputs.txt"),
    );
    let listing = TorchSmooth::<f32>::ARCHITECTURE.listing();
    for stage in ["swish(1.0)", "hard_tanh", "gelu", "loss: mse"] {
        assert!(listing.contains(stage), "{stage} in {listing}");
    }
}
