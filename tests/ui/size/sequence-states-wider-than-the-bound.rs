nn::network! {
    pub struct Net {
        input: 4 x 1000,
        states: rnn_sequence(16) -> tanh,
        last: rnn(8) -> tanh,
        output: dense(1),
        loss: mse,
    }
}

fn main() {}
