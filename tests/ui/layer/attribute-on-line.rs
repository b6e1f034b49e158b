nn::network! {
    pub struct Net {
        input: 2,
        #[allow(unused)]
        hidden: dense(8) -> tanh,
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {}
