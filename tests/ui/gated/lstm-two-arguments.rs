nn::network! {
    pub struct Seq {
        input: 4 x 10,
        memory: lstm(8, 2),
        output: dense(1),
        loss: mse,
    }
}

fn main() {}
