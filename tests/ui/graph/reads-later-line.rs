nn::network! {
    pub struct Xor {
        input: 2,
        a: dense(4) -> relu,
        b: c -> dense(2) -> relu,
        c: a -> dense(2) -> relu,
        output: b -> dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {}
