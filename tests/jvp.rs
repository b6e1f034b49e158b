//! Forward-mode differentiation (`jvp`) against the reverse pass (`vjp`) through the identity
//! `<u, J v> = <J^T u, v>`, on random directions, for every kind of line the language has;
//! and both against central differences of `forward`.

use nn::nalgebra::SVector;
use nn::network;
use nn::rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

network! {
    /// One line per activation, so the tangent runs through every derivative.
    struct Activations {
        input: 3,
        identity: dense(4),
        sigmoid: dense(4) -> sigmoid,
        tanh: dense(4) -> tanh,
        hard_logistic: dense(4) -> hard_logistic,
        hard_pytorch: dense(4) -> hard_sigmoid_pytorch,
        hard_onnx: dense(4) -> hard_sigmoid_onnx,
        hard_tanh: dense(4) -> hard_tanh,
        relu: dense(4) -> relu,
        leaky: dense(4) -> leaky_relu(0.1),
        prelu: dense(4) -> prelu(0.2),
        shared: dense(4) -> prelu_shared(0.3),
        elu: dense(4) -> elu(0.8),
        softplus: dense(4) -> softplus,
        swish: dense(4) -> swish(1.5),
        learned: dense(4) -> swish_learnable(0.7),
        gelu: dense(4) -> gelu,
        gelu_tanh: dense(4) -> gelu_tanh,
        gelu_sigmoid: dense(4) -> gelu_sigmoid,
        softmax: dense(4) -> softmax,
        output: dense(3) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

network! {
    /// Every other kind of line: named sources, a sum, concatenations, maxout, dropout (off in
    /// inference), an activation line and a softmax output.
    struct Lines {
        input: 5,
        a: dense(6) -> tanh -> dropout(0.3),
        b: dense(6) -> prelu,
        s: a + b + a,
        c: concat(input, s),
        m: c -> maxout(4, 3),
        r: m -> gelu,
        drop: dropout(0.5),
        out: concat(drop, a, input) -> dense(4) -> softmax,
        loss: cross_entropy,
    }
}

network! {
    struct Regression {
        input: 4,
        h: dense(7) -> elu,
        g: h -> maxout(5, 2) -> swish_learnable,
        out: concat(g, input) -> dense(3),
        loss: mse,
    }
}

fn random<const N: usize>(rng: &mut impl Rng, scale: f64) -> SVector<f64, N> {
    SVector::from_fn(|_, _| scale * (2.0 * rng.random::<f64>() - 1.0))
}

/// Moves every parameter, so that biases and learnable activations are not at their initial
/// values and the test covers them.
fn jiggled<N: nn::Network<f64>>(mut net: N, rng: &mut impl Rng) -> N {
    net.visit_mut(&mut |p| {
        p.values.iter_mut().for_each(|v| *v += 0.4 * (2.0 * rng.random::<f64>() - 1.0))
    });
    net
}

macro_rules! check {
    ($name:ident, $net:ident, $i:expr, $o:expr) => {
        #[test]
        fn $name() {
            let mut rng = ChaCha8Rng::seed_from_u64(21);
            let net = jiggled($net::<f64>::seeded(5), &mut rng);
            let mut worst_identity = 0.0_f64;
            let mut worst_difference = 0.0_f64;
            for _ in 0..20 {
                let x: SVector<f64, $i> = random(&mut rng, 1.5);
                let v: SVector<f64, $i> = random(&mut rng, 1.0);
                let u: SVector<f64, $o> = random(&mut rng, 1.0);
                let (y, jv) = net.jvp(&x, &v);
                assert_eq!(y, net.forward(&x), "jvp's primal is the forward pass");
                let jtu = net.vjp(&x, &u);
                let (left, right) = (u.dot(&jv), jtu.dot(&v));
                let scale = left.abs().max(right.abs()).max(1e-300);
                worst_identity = worst_identity.max((left - right).abs() / scale);
                // Central differences of the forward pass along v, checked loosely: the
                // identity above is the exact test; this one rules out both being wrong alike.
                let h = 1e-6;
                let numeric = (net.forward(&(x + h * v)) - net.forward(&(x - h * v))) / (2.0 * h);
                worst_difference = worst_difference.max((numeric - jv).norm() / jv.norm().max(1e-3));
            }
            println!(
                "{}: <u, Jv> = <J^T u, v> to {worst_identity:.1e}; Jv against differences {worst_difference:.1e}",
                stringify!($net)
            );
            assert!(worst_identity < 1e-10, "{worst_identity}");
            assert!(worst_difference < 1e-6, "{worst_difference}");
        }
    };
}

check!(every_activation, Activations, 3, 3);
check!(every_kind_of_line, Lines, 5, 4);
check!(regression_head, Regression, 4, 3);

/// For `mse`, the input gradient of the loss is `J^T` of the loss's gradient with respect to
/// the output, `2 (f(x) - y) / O`: the reverse pass from a cotangent and from the loss agree.
#[test]
fn vjp_of_the_losss_output_gradient_is_the_input_gradient() {
    let mut rng = ChaCha8Rng::seed_from_u64(22);
    let net = jiggled(Regression::<f64>::seeded(6), &mut rng);
    let x: SVector<f64, 4> = random(&mut rng, 1.5);
    let y: SVector<f64, 3> = random(&mut rng, 1.0);
    let (_, _, d_x) = net.loss_and_grad_input(&x, &y);
    let u = (net.forward(&x) - y) * (2.0 / 3.0);
    assert!((net.vjp(&x, &u) - d_x).norm() < 1e-14 * d_x.norm().max(1.0));
}
