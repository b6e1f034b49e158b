nn::network! {
    pub struct Net {
        input: 2,
        hidden: dense(8) -> leaky_relu(256u8),
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {}
