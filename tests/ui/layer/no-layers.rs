nn::network! {
    pub struct Xor {
        input: 2,
        loss: binary_cross_entropy,
    }
}

fn main() {}
