nn::network! {
    pub struct Net {
        input: 2,
        output: dense(3) -> sofmax,
        loss: cross_entropy,
    }
}

fn main() {}
