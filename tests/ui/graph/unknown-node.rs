nn::network! {
    pub struct Xor {
        input: 2,
        hidden: dense(8) -> relu,
        out: hiden -> dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {}
