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
    let xs = SMatrix::<f32, 2, 8>::zeros();
    let ys = SMatrix::<f32, 3, 4>::zeros();
    let _ = net.loss_and_grad_batch(&xs, &ys);
}
