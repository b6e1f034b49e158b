// A model whose input width is a symbol (`features`), not a number.
nn::onnx_network!("../../fixtures/onnx/errors/dynamic-shape.onnx", pub struct Net);

fn main() {}
