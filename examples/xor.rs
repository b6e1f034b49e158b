use nn::network;
network! {
    /// Learns XOR.
    pub struct Xor {
        input: 2,
        hidden: dense(8) -> tanh,
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}
fn main() {
    let net: Xor = Xor::seeded(1);
    let x = nn::nalgebra::SVector::<f32, 2>::new(1.0, 0.0);
    println!("{:?}", net.forward(&x));
}
