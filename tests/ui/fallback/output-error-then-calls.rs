use nn::nalgebra::{SMatrix, SVector};

nn::network! {
    pub struct Net {
        input: 2,
        hidden: dense(8) -> tanh,
        output: dense(0) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

// The output's width is unknown: each call reads it from its arguments or the type its
// result is given (`let p: SVector<f32, 1> = net.forward(&x); p[0]` could not infer it).
fn main() {
    let mut net = Net::<f32>::seeded(1);
    let x = SVector::<f32, 2>::zeros();
    let y = SVector::<f32, 1>::zeros();
    let p: SVector<f32, 1> = net.forward(&x);
    let _: f32 = p[0] + net.loss(&x, &y);
    let (_, grad) = net.loss_and_grad(&x, &y);
    let xs = SMatrix::<f32, 2, 8>::zeros();
    let ys = SMatrix::<f32, 1, 8>::zeros();
    let _: SMatrix<f32, 1, 8> = net.forward_batch(&xs);
    let (_, _) = net.loss_and_grad_batch(&xs, &ys);
    let (_, _, dx) = net.loss_and_grad_input(&x, &y);
    let _: f32 = dx[0];
    net = grad;
    let _ = net;
}
