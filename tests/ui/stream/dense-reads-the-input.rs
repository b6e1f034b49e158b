nn::network! {
    pub struct Net {
        input: 1 x 16,
        memory: lstm(4),
        window: input -> dense(4) -> tanh,
        output: concat(memory, window) -> dense(1),
        loss: mse,
        stream: NetState,
    }
}

fn main() {}
