nn::network! {
    pub struct Xor {
        input: 2,
        hidden: dense(8) -> relu,
        output: dense(1) -> sigmoid,
        drop: dropout(0.5),
        loss: binary_cross_entropy,
    }
}

fn main() {}
