nn::network! {
    pub struct Seq {
        input: 64 x 2,
        memory: rnn(100) -> tanh,
        output: dense(1),
        loss: mse,
    }
}

fn main() {}
