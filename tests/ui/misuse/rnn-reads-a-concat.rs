nn::network! {
    pub struct Net {
        input: 4 x 10,
        a: rnn_sequence(4) -> tanh,
        c: concat(a, input),
        memory: rnn(8) -> tanh,
        output: dense(1),
        loss: mse,
    }
}

fn main() {}
