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
    let xs = SMatrix::<f32, 3, 8>::zeros();
    let _ = net.forward_batch(&xs);
}
