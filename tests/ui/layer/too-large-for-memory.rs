nn::network! {
    pub struct Xor {
        input: 4294967296,
        hidden: dense(4294967296) -> tanh,
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {}
