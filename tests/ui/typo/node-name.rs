nn::network! {
    pub struct Net {
        input: 2,
        a: dense(4) -> relu,
        b: input -> dense(4) -> tanh,
        s: a + bb,
        c: concat(s, input),
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {}
