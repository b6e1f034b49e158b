use nn::nalgebra::SVector;
use nn::rand::SeedableRng;

nn::network! {
    pub struct Residual {
        input: 2,
        hidden: dense(8) -> relu -> dropout(0.2),
        skip: input -> dense(8) -> relu,
        s: hidden + skp,
        output: s -> dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

// Only the mistake above is reported: the stub of a graph keeps the API's signatures too.
fn main() {
    let mut net = Residual::<f32>::seeded(1);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
    let x = SVector::<f32, 2>::new(1.0, 0.0);
    let t = SVector::<f32, 1>::new(1.0);
    let (_, grad, dx): (f32, Residual<f32>, SVector<f32, 2>) = net.loss_and_grad_input(&x, &t);
    let (_, _): (f32, Residual<f32>) = net.loss_and_grad_training(&x, &t, &mut rng);
    let _ = dx;
    net = grad;
    let _ = net;
}
