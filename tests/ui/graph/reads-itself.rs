nn::network! {
    pub struct Xor {
        input: 2,
        a: a -> dense(2) -> relu,
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {}
