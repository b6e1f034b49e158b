nn::network! {
    pub struct Net {
        input: 2,
        hidden: maxout(4096, 3),
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {}
