// A file that is not in the safetensors format: this source file itself.
nn::network! {
    struct Net {
        input: 3,
        hidden: dense(4) -> tanh,
        output: dense(2),
        loss: mse,
        weights: "not-safetensors.rs",
    }
}

fn main() {}
