nn::network! {
    pub struct Net {
        input: 2,
        hidden: maxot(8, 2),
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {}
