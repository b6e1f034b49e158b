nn::network! {
    pub struct Net {
        input: 4 x 10,
        memory: rnn(8) -> tanh,
        output: rnn_sequence(1),
        loss: mse,
    }
}

fn main() {}
