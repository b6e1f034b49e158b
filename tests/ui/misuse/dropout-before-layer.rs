nn::network! {
    pub struct Net {
        input: 2,
        hidden: dropout(0.5) -> dense(8),
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {}
