nn::network! {
    pub struct Seq {
        input: 4 x 10,
        a: rnn_sequence(4) -> tanh,
        b: input -> rnn_sequence(5) -> tanh,
        s: a + b,
        output: dense(1),
        loss: mse,
    }
}

fn main() {}
