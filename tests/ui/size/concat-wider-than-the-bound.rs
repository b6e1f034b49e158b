nn::network! {
    pub struct Net {
        input: 8000,
        a: dense(8000) -> relu,
        c: concat(input, a),
        output: dense(1),
        loss: mse,
    }
}

fn main() {}
