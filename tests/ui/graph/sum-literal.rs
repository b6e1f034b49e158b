nn::network! {
    pub struct Xor {
        input: 2,
        a: dense(4) -> relu,
        s: a + 1,
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {}
