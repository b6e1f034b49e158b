use nn::nalgebra::{SMatrix, SVector};

nn::network! {
    pub struct Net {
        input: 2,
        hidden: dense(8) -> tanh,
        output: dense(3) -> softmax,
        loss: cross_entropy,
    }
}

fn main() {
    let net = Net::<f32>::seeded(1);
    let _ = net.forward(&[1.0, 2.0]);
}
