nn::network! {
    pub struct Net {
        input: 4 x 10px,
        memory: rnn(8) -> tanh,
        output: dense(1),
        loss: mse,
    }
}

fn main() {}
