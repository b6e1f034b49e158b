nn::network! {
    pub struct Seq {
        input: 4 x 10,
        first: rnn(8) -> tanh,
        second: rnn(8) -> tanh,
        output: dense(1),
        loss: mse,
    }
}

fn main() {}
