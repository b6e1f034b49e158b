nn::network! {
    pub struct Seq {
        input: 4 x 10,
        first: gru(8),
        second: lstm(4),
        output: dense(1),
        loss: mse,
    }
}

fn main() {}
