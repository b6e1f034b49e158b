nn::network! {
    pub struct Net {
        input: 2,
        hidden: maxout(8, 0),
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {}
