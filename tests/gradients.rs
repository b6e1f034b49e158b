//! The generated backward pass against central differences in `f64`, for every activation,
//! every loss, the L2 penalty, single samples and batches; and one network worked by hand.

use nn::nalgebra::{SMatrix, SVector};
use nn::rand::{Rng, SeedableRng};
use nn::{gradcheck, network, GradCheck};

/// The tolerance the issue sets for the generated gradient: relative error below 1e-6.
const TOLERANCE: f64 = 1e-6;

network! {
    /// One hidden layer per activation, so the chain rule runs through every derivative.
    struct EveryActivation {
        input: 3,
        identity: dense(4) -> identity,
        sigmoid: dense(4) -> sigmoid,
        tanh: dense(4) -> tanh,
        hard_logistic: dense(4) -> hard_logistic,
        hard_tanh: dense(4) -> hard_tanh,
        relu: dense(4) -> relu,
        leaky_relu: dense(4) -> leaky_relu(0.1),
        elu: dense(4) -> elu(0.8),
        softplus: dense(4) -> softplus,
        swish: dense(4) -> swish(1.5),
        gelu: dense(4) -> gelu,
        gelu_tanh: dense(4) -> gelu_tanh,
        gelu_sigmoid: dense(4) -> gelu_sigmoid,
        softmax: dense(4) -> softmax,
        output: dense(2) -> tanh,
        loss: mse,
    }
}

network! {
    struct Binary {
        input: 3,
        hidden: dense(5) -> tanh,
        output: dense(2) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

network! {
    struct Multiclass {
        input: 3,
        hidden: dense(5) -> elu,
        output: dense(4) -> softmax,
        loss: cross_entropy,
    }
}

network! {
    struct Regression {
        input: 3,
        hidden: dense(6) -> gelu,
        output: dense(2),
        loss: mse,
    }
}

network! {
    /// Structured risk: the loss plus `0.05 / 2 * sum ||W||^2`.
    struct Decayed {
        input: 3,
        hidden: dense(5) -> softplus,
        output: dense(3) -> softmax,
        loss: cross_entropy,
        l2: 0.05,
    }
}

fn rng() -> rand_chacha::ChaCha8Rng {
    rand_chacha::ChaCha8Rng::seed_from_u64(42)
}

fn random<const R: usize, const C: usize>(rng: &mut impl Rng, scale: f64) -> SMatrix<f64, R, C> {
    SMatrix::from_fn(|_, _| rng.random_range(-scale..scale))
}

/// Soft targets in (0, 1), valid for every loss (cross-entropy targets sum to one).
fn distribution<const N: usize, const C: usize>(rng: &mut impl Rng) -> SMatrix<f64, N, C> {
    let mut m: SMatrix<f64, N, C> = SMatrix::from_fn(|_, _| rng.random_range(0.05..1.0));
    for mut column in m.column_iter_mut() {
        let sum = column.sum();
        column /= sum;
    }
    m
}

fn assert_passes(what: &str, report: GradCheck) {
    println!("{what}: {report}");
    assert!(report.checked > 0, "{what}: nothing was checked");
    assert!(report.worst_relative_error < TOLERANCE, "{what}: {report}");
}

/// Perturbs every bias away from zero so that their gradients are tested at general points.
fn with_random_biases<N: nn::Network<f64>>(mut net: N, rng: &mut impl Rng) -> N {
    net.visit_mut(&mut |p| {
        if p.kind == nn::ParamKind::Bias {
            p.values.iter_mut().for_each(|b| *b = rng.random_range(-0.5..0.5));
        }
    });
    net
}

macro_rules! check_network {
    ($name:ident, $net:ty, $targets:expr) => {
        #[test]
        fn $name() {
            let mut rng = rng();
            let net = with_random_biases(<$net>::seeded(7), &mut rng);
            let x: SVector<f64, 3> = random(&mut rng, 1.5);
            let target = $targets(&mut rng);
            let (loss, grad) = net.loss_and_grad(&x, &target);
            assert_eq!(loss, net.loss(&x, &target), "loss_and_grad and loss disagree");
            assert_passes(
                concat!(stringify!($net), " single"),
                gradcheck(&net, &grad, |n| n.loss(&x, &target)),
            );

            let xs: SMatrix<f64, 3, 5> = random(&mut rng, 1.5);
            let targets = SMatrix::from_columns(&[
                $targets(&mut rng),
                $targets(&mut rng),
                $targets(&mut rng),
                $targets(&mut rng),
                $targets(&mut rng),
            ]);
            let (loss, grad) = net.loss_and_grad_batch(&xs, &targets);
            assert!((loss - net.loss_batch(&xs, &targets)).abs() < 1e-15);
            assert_passes(
                concat!(stringify!($net), " batch"),
                gradcheck(&net, &grad, |n| n.loss_batch(&xs, &targets)),
            );
        }
    };
}

check_network!(every_activation, EveryActivation<f64>, |r: &mut _| random::<2, 1>(r, 0.9));
check_network!(binary_cross_entropy, Binary<f64>, |r: &mut _| {
    let bits: SVector<f64, 2> =
        SVector::from_fn(|_, _| f64::from(u8::from(Rng::random::<bool>(r))));
    bits
});
check_network!(cross_entropy_one_hot, Multiclass<f64>, |r: &mut _| {
    nn::loss::one_hot::<f64, 4>(Rng::random_range(r, 0..4)).unwrap()
});
check_network!(cross_entropy_soft_targets, Multiclass<f64>, |r: &mut _| distribution::<4, 1>(r));
check_network!(mse_linear_output, Regression<f64>, |r: &mut _| random::<2, 1>(r, 2.0));
check_network!(l2_penalty, Decayed<f64>, |r: &mut _| distribution::<3, 1>(r));

#[test]
fn gradcheck_reports_a_wrong_gradient_and_where_it_is() {
    let mut rng = rng();
    let net = Binary::<f64>::seeded(3);
    let x: SVector<f64, 3> = random(&mut rng, 1.0);
    let target = SVector::<f64, 2>::new(1.0, 0.0);
    let (_, mut grad) = net.loss_and_grad(&x, &target);
    grad.hidden.weight[(4, 1)] += 1e-3;
    let report = gradcheck(&net, &grad, |n| n.loss(&x, &target));
    assert!(report.worst_relative_error > 1e-4, "{report}");
    assert_eq!(report.worst_param, "hidden.weight");
    assert_eq!(report.worst_index, (4, 1));
}

#[test]
fn l2_penalty_is_half_lambda_times_the_squared_weights() {
    let net = Decayed::<f64>::seeded(1);
    let x = SVector::<f64, 3>::new(0.1, -0.2, 0.3);
    let target = SVector::<f64, 3>::new(0.0, 1.0, 0.0);
    // The loss alone, computed here from the layers' fields.
    let softplus = |v: f64| v.exp().ln_1p();
    let hidden = (net.hidden.weight * x + net.hidden.bias).map(softplus);
    let logits = net.output.weight * hidden + net.output.bias;
    let loss = nn::loss::cross_entropy_with_logits(logits.as_slice(), target.as_slice());
    let weights = net.hidden.weight.norm_squared() + net.output.weight.norm_squared();
    let expected = loss + 0.05 / 2.0 * weights;
    assert!((net.loss(&x, &target) - expected).abs() < 1e-12);
    assert!((net.loss_and_grad(&x, &target).0 - expected).abs() < 1e-12);
}

network! {
    struct Tiny {
        input: 2,
        hidden: dense(1) -> sigmoid,
        output: dense(1),
        loss: mse,
    }
}

/// A network small enough to differentiate on paper.
///
/// With `x = (1, 2)`, `W1 = (0.5, -0.25)`, `b1 = 0.1`, `w2 = 2`, `b2 = -1` and target `y = 0.5`:
/// `z1 = 0.5 - 0.5 + 0.1 = 0.1`, `h = sigmoid(0.1)`, `out = 2h - 1`, `L = (out - y)^2`.
/// `dL/dout = 2 (out - y)`, `dL/dw2 = dL/dout * h`, `dL/db2 = dL/dout`,
/// `dL/dz1 = dL/dout * 2 * h (1 - h)`, `dL/dW1 = dL/dz1 * x`, `dL/db1 = dL/dz1`.
#[test]
fn hand_worked_gradient() {
    let mut net = Tiny::<f64>::seeded(0);
    net.hidden.weight = SMatrix::<f64, 1, 2>::new(0.5, -0.25);
    net.hidden.bias[0] = 0.1;
    net.output.weight[(0, 0)] = 2.0;
    net.output.bias[0] = -1.0;
    let x = SVector::<f64, 2>::new(1.0, 2.0);
    let y = SVector::<f64, 1>::new(0.5);

    let h = 1.0 / (1.0 + (-0.1_f64).exp()); // 0.52497918747894...
    let out = 2.0 * h - 1.0;
    let d_out = 2.0 * (out - 0.5);
    let d_z1 = d_out * 2.0 * h * (1.0 - h);

    assert!((net.forward(&x)[0] - out).abs() < 1e-15);
    let (loss, grad) = net.loss_and_grad(&x, &y);
    assert!((loss - (out - 0.5).powi(2)).abs() < 1e-15);
    assert!((grad.output.weight[(0, 0)] - d_out * h).abs() < 1e-15);
    assert!((grad.output.bias[0] - d_out).abs() < 1e-15);
    assert!((grad.hidden.weight[(0, 0)] - d_z1 * 1.0).abs() < 1e-15);
    assert!((grad.hidden.weight[(0, 1)] - d_z1 * 2.0).abs() < 1e-15);
    assert!((grad.hidden.bias[0] - d_z1).abs() < 1e-15);
    // The literal values, worked out independently: h = 0.52497918747894,
    // out = 0.04995837495788, dL/dout = -0.90008325008424.
    assert!((h - 0.524_979_187_478_94).abs() < 1e-13);
    assert!((d_out - -0.900_083_250_084_24).abs() < 1e-13);
}
