// A model file that does not exist.
nn::onnx_network!("../../fixtures/onnx/errors/no-such-model.onnx", pub struct Net);

fn main() {}
