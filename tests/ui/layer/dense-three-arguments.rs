nn::network! {
    pub struct Xor {
        input: 2,
        hidden: dense(8, bias = false, 3) -> tanh,
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {}
