nn::network! {
    pub struct Xor {
        input: 2,
        hidden: dense(8, bias = 0) -> tanh,
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {}
