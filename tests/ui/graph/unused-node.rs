#![deny(deprecated)]

nn::network! {
    pub struct Xor {
        input: 2,
        a: dense(8) -> relu,
        b: input -> dense(4) -> relu,
        output: a -> dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {}
