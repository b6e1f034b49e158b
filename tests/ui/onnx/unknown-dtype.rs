// A model whose dense layer has 8-bit integer weights.
nn::onnx_network!("../../fixtures/onnx/errors/unknown-dtype.onnx", pub struct Net);

fn main() {}
