nn::network! {
    pub struct Net {
        hidden: dense(8) -> tanh,
        output: dense(1) -> sigmoid,
        input: 2,
        loss: binary_cross_entropy,
    }
}

fn main() {}
