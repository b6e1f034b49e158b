nn::network! {
    pub struct Net {
        input: 1 x 10,
        memory: rnn(91) -> tanh,
        output: dense(1),
        loss: mse,
    }
}

fn main() {}
