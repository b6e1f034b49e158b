// Two weight files for one network.
nn::network! {
    struct Net {
        input: 3,
        hidden: dense(4) -> tanh,
        output: dense(2),
        loss: mse,
        weights: "../../fixtures/tanh_3_4_2_f32.safetensors",
        weights: "../../fixtures/tanh_3_4_2_f32.safetensors",
    }
}

fn main() {}
