nn::network! {
    pub struct Net {
        input: 2 x 10,
        states: lstm_sequence(4),
        output: dense(1),
        loss: mse,
        stream: NetState,
    }
}

fn main() {}
