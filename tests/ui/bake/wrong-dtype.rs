// The file stores `hidden.bias` as 32-bit integers.
nn::network! {
    struct Net {
        input: 3,
        hidden: dense(4) -> tanh,
        output: dense(2),
        loss: mse,
        weights: "int-bias.safetensors",
    }
}

fn main() {}
