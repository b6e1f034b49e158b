nn::network! {
    pub struct Xor {
        input: 2,
        hidden: dense(8) -> tanh,
        output: dense(1) -> sigmoid,
        loss: cross_entropy,
    }
}

fn main() {}
