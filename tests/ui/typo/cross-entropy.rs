nn::network! {
    pub struct Net {
        input: 2,
        output: dense(3) -> softmax,
        loss: crossentropy,
    }
}

fn main() {}
