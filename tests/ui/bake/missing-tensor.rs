// The file has no `hidden.slope`: a PReLU's slopes are parameters of the network.
nn::network! {
    struct Net {
        input: 3,
        hidden: dense(4) -> prelu,
        output: dense(2),
        loss: mse,
        weights: "../../fixtures/tanh_3_4_2_f32.safetensors",
    }
}

fn main() {}
