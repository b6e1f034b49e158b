nn::network! {
    pub struct Net {
        input: 2,
        hidden: dense(8) -> prelu_shard,
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {}
