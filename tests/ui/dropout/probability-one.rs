nn::network! {
    pub struct Xor {
        input: 2,
        hidden: dense(8) -> relu -> dropout(1.0),
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {}
