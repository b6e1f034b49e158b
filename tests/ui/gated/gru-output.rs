nn::network! {
    pub struct Seq {
        input: 4 x 10,
        memory: gru(8),
        loss: mse,
    }
}

fn main() {}
