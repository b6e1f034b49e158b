nn::network! {
    pub struct Xor {
        input: 8192,
        hidden: dense(4294967296) -> tanh,
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {}
