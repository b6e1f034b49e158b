nn::network! {
    pub struct Seq {
        input: 4,
        memory: rnn(8) -> tanh,
        output: dense(1),
        loss: mse,
    }
}

fn main() {}
