// The file's `hidden.weight` reads 3 inputs; this network has 5.
nn::network! {
    struct Net {
        input: 5,
        hidden: dense(4) -> tanh,
        output: dense(2),
        loss: mse,
        weights: "../../fixtures/tanh_3_4_2_f32.safetensors",
    }
}

fn main() {}
