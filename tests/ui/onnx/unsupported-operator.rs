// A model with an operator `network!` has no layer for: a layer normalisation.
nn::onnx_network!("../../fixtures/onnx/errors/unsupported-operator.onnx", pub struct Net);

fn main() {}
