nn::network! {
    pub struct Net {
        input: 4 x 10,
        memory: rnm(8) -> tanh,
        output: dense(1),
        loss: mse,
    }
}

fn main() {}
