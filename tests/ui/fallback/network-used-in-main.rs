nn::network! {
    pub struct Xor {
        input: 2,
        hidden: dense(8) -> rellu,
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {
    let net: Xor = Xor::seeded(1);
    let wide = Xor::<f64>::seeded(2);
    let _ = (net, wide);
}
