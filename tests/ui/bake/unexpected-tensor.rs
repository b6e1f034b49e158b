// The file has `output.bias`, which a layer without bias does not hold.
nn::network! {
    struct Net {
        input: 3,
        hidden: dense(4) -> tanh,
        output: dense(2, bias = false),
        loss: mse,
        weights: "../../fixtures/tanh_3_4_2_f32.safetensors",
    }
}

fn main() {}
