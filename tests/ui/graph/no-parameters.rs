nn::network! {
    pub struct Squash {
        input: 2,
        out: input -> sigmoid,
        loss: mse,
    }
}

fn main() {}
