use nn::nalgebra::{SMatrix, SVector};

nn::network! {
    pub struct Xor {
        input: 2,
        hidden: dense(8) -> tanh,
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
        l2: -0.1,
    }
}

// Only the mistake above is reported: the stub keeps the API's signatures.
fn main() {
    let mut net = Xor::<f32>::seeded(1);
    let x = SVector::<f32, 2>::new(1.0, 0.0);
    let y = SVector::<f32, 1>::new(1.0);
    let _: SVector<f32, 1> = net.forward(&x);
    let (_, grad) = net.loss_and_grad(&x, &y);
    let xs = SMatrix::<f32, 2, 4>::zeros();
    let ys = SMatrix::<f32, 1, 4>::zeros();
    let _: SMatrix<f32, 1, 4> = net.forward_batch(&xs);
    let _: f32 = net.loss(&x, &y) + net.loss_batch(&xs, &ys);
    let (_, _) = net.loss_and_grad_batch(&xs, &ys);
    net = grad;
    let _ = net;
}
