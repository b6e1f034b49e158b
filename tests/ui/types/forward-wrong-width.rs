nn::network! {
    pub struct Xor {
        input: 2,
        hidden: dense(8) -> tanh,
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {
    let net: Xor = Xor::seeded(1);
    let x = nn::nalgebra::SVector::<f32, 3>::new(1.0, 0.0, 1.0);
    let _ = net.forward(&x);
}
