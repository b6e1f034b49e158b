nn::network! {
    pub struct Net {
        input: 2,
        hidden: dense(8) -> leaky_relu(1e999),
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {}
