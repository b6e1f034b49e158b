nn::network! {
    pub struct Seq {
        input: 4 x 10,
        memory: lstm(8) -> tanh,
        output: dense(1),
        loss: mse,
    }
}

fn main() {}
