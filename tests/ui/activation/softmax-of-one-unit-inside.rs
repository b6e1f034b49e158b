nn::network! {
    pub struct Net {
        input: 2,
        gate: dense(1) -> softmax,
        output: dense(1),
        loss: mse,
    }
}

fn main() {}
