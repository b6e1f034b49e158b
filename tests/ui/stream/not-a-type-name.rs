nn::network! {
    pub struct Net {
        input: 2 x 10,
        memory: gru(4),
        output: dense(1),
        loss: mse,
        stream: true,
    }
}

fn main() {}
