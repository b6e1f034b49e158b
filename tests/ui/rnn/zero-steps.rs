nn::network! {
    pub struct Seq {
        input: 4 x 0,
        memory: rnn(8) -> tanh,
        output: dense(1),
        loss: mse,
    }
}

fn main() {}
