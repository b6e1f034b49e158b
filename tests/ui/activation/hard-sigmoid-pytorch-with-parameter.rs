nn::network! {
    pub struct Xor {
        input: 2,
        hidden: dense(8) -> hard_sigmoid_pytorch(0.2),
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {}
