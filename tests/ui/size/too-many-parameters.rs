nn::network! {
    pub struct Net {
        input: 8192,
        a: dense(8192) -> relu,
        b: dense(8192) -> relu,
        c: dense(8192) -> relu,
        d: dense(8192) -> relu,
        output: dense(1),
        loss: mse,
    }
}

fn main() {}
