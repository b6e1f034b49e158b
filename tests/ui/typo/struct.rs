nn::network! {
    pub strcut Net {
        input: 2,
        output: dense(1),
        loss: mse,
    }
}

fn main() {}
