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
    let p: SVector<f32, 2> = net.forward(&SVector::zeros());
    let _ = p;
}
