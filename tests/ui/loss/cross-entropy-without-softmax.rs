nn::network! {
    pub struct Iris {
        input: 4,
        hidden: dense(8) -> relu,
        output: dense(3) -> sigmoid,
        loss: cross_entropy,
    }
}

fn main() {}
