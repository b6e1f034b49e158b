nn::network! {
    pub struct Xor {
        input: 2,
        hidden: maxout(4294967296, 4294967296),
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {}
