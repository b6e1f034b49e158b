nn::network! {
    pub struct Seq {
        input: 4 x 10,
        memory: rnn(8) -> tanh,
        loss: mse,
    }
}

fn main() {}
