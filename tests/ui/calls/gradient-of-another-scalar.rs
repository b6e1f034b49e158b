// `Net::zeros` is inherent: no trait to import.
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
    let grad = Net::<f64>::zeros();
    let x = SVector::<f32, 2>::zeros();
    let y = SVector::<f32, 3>::zeros();
    let mut grad = grad;
    let _ = net.loss_and_grad_into(&x, &y, &mut grad);
}
