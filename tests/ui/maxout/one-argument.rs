nn::network! {
    pub struct Xor {
        input: 2,
        hidden: maxout(8),
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {}
