nn::network! {
    pub struct Xor {
        input: 2,
        a: dense(4) -> relu,
        b: dense(4) -> relu,
        c: a -> dense(4) -> relu,
        out: a -> b + c,
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {}
