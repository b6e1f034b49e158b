nn::network! {
    pub struct Net {
        input: 4,
        hidden: dense(8) -> tanh,
        output: dense(1),
        loss: mse,
        stream: NetState,
    }
}

fn main() {}
