nn::network! {
    pub struct Seq {
        input: 40 x 10,
        memory: lstm(40),
        output: dense(1),
        loss: mse,
    }
}

fn main() {}
