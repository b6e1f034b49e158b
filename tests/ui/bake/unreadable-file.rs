// No such file beside this one.
nn::network! {
    struct Net {
        input: 3,
        hidden: dense(4) -> tanh,
        output: dense(2),
        loss: mse,
        weights: "no-such-file.safetensors",
    }
}

fn main() {}
