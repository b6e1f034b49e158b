//! Batches of networks with layers at least 8 wide take the batched path (blocked products
//! over the whole batch); its results must be those of the per-sample code, and its gradient
//! must pass the numerical check on its own.

use nn::nalgebra::{SMatrix, SVector};
use nn::rand::{Rng, SeedableRng};
use nn::{gradcheck, network, GradCheck, Network};
use rand_chacha::ChaCha8Rng;

network! {
    /// Every kind of line, each wide enough for the batched path.
    struct Wide {
        input: 6,
        a: dense(12) -> prelu,
        b: dense(12) -> tanh -> dropout(0.3),
        s: a + b -> relu,
        c: concat(input, s),
        m: c -> maxout(9, 2) -> swish_learnable,
        h: a -> dense(9) -> prelu_shared,
        g: m + h -> gelu,
        out: concat(g, a) -> dense(7) -> softmax,
        loss: cross_entropy,
        l2: 0.01,
    }
}

network! {
    struct WideMse {
        input: 10,
        h1: dense(16) -> elu,
        h2: dense(16) -> hard_sigmoid_pytorch,
        h3: h1 + h2 -> dense(8),
        loss: mse,
    }
}

network! {
    struct WideBinary {
        input: 9,
        h1: dense(24) -> sigmoid,
        h2: dense(10) -> softplus,
        out: dense(3) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn random<const R: usize, const C: usize>(rng: &mut impl Rng, scale: f64) -> SMatrix<f64, R, C> {
    SMatrix::from_fn(|_, _| scale * (2.0 * rng.random::<f64>() - 1.0))
}

/// Moves every parameter by up to `0.3`, so that biases and learnable activations are not at
/// their initial values.
fn jiggle<N: Network<f64>>(mut net: N, rng: &mut impl Rng) -> N {
    net.visit_mut(&mut |p| {
        p.values.iter_mut().for_each(|v| *v += 0.3 * (2.0 * rng.random::<f64>() - 1.0))
    });
    net
}

fn assert_close<N: Network<f64> + std::fmt::Debug>(what: &str, a: (f64, N), b: (f64, N)) {
    assert!((a.0 - b.0).abs() < 1e-12 * a.0.abs().max(1.0), "{what}: loss {} vs {}", a.0, b.0);
    let mut worst = 0.0_f64;
    let mut flat_b = Vec::new();
    b.1.visit(&mut |p| flat_b.extend_from_slice(p.values));
    let mut i = 0;
    a.1.visit(&mut |p| {
        for &v in p.values {
            worst = worst.max((v - flat_b[i]).abs());
            i += 1;
        }
    });
    assert!(worst < 1e-12, "{what}: gradients differ by {worst}");
}

fn assert_passes(what: &str, report: GradCheck) {
    println!("{what}: {report}");
    assert!(report.worst_relative_error < 1e-6, "{what}: {report}");
}

macro_rules! check {
    ($name:ident, $net:ident, $i:expr, $o:expr, $targets:expr) => {
        #[test]
        fn $name() {
            let mut rng = ChaCha8Rng::seed_from_u64(11);
            let net = jiggle($net::<f64>::seeded(2), &mut rng);
            let xs: SMatrix<f64, $i, 16> = random(&mut rng, 1.5);
            let ys: SMatrix<f64, $o, 16> = $targets(&net, &xs, &mut rng);
            // The per-sample code, one column at a time.
            let mut per_sample = (0.0, <$net<f64> as Network<f64>>::zeros());
            for j in 0..16 {
                let x: SVector<f64, $i> = xs.column(j).into_owned();
                let y: SVector<f64, $o> = ys.column(j).into_owned();
                let (loss, grad) = net.loss_and_grad(&x, &y);
                per_sample.0 += loss / 16.0;
                nn::axpy(1.0 / 16.0, &grad, &mut per_sample.1);
            }
            let batched = net.loss_and_grad_batch(&xs, &ys);
            assert_close(stringify!($net), batched.clone(), per_sample);
            // Two halves on two threads (one after the other without `parallel`), summed.
            let parallel = net.loss_and_grad_batch_parallel(&xs, &ys);
            assert_close(concat!(stringify!($net), " parallel"), parallel, batched.clone());
            // Into buffers holding another step's values: they are overwritten, not added to.
            let (mut grad, mut spare) = (batched.1.clone(), batched.1.clone());
            let loss = net.loss_and_grad_batch_into(&xs, &ys, &mut grad);
            assert_eq!((loss, grad.clone()), batched);
            let loss = net.loss_and_grad_batch_parallel_into(&xs, &ys, &mut grad, &mut spare);
            assert_close(
                concat!(stringify!($net), " parallel into"),
                (loss, grad),
                batched.clone(),
            );
            let loss = net.loss_batch(&xs, &ys);
            assert!((loss - batched.0).abs() < 1e-12 * loss.abs(), "{loss} vs {}", batched.0);
            let outputs = net.forward_batch(&xs);
            for j in 0..16 {
                let x: SVector<f64, $i> = xs.column(j).into_owned();
                assert!((outputs.column(j) - net.forward(&x)).norm() < 1e-12);
            }
            assert_passes(
                concat!(stringify!($net), " batched"),
                gradcheck(&net, &batched.1, |n| n.loss_batch(&xs, &ys)),
            );
        }
    };
}

fn classes<const O: usize, const B: usize>(rng: &mut impl Rng) -> SMatrix<f64, O, B> {
    SMatrix::from_fn(|i, j| if i == (j * 7 + rng.random_range(0..1)) % O { 1.0 } else { 0.0 })
}

fn bits<const O: usize, const B: usize>(rng: &mut impl Rng) -> SMatrix<f64, O, B> {
    SMatrix::from_fn(|_, _| if rng.random::<bool>() { 1.0 } else { 0.0 })
}

check!(every_kind_of_line, Wide, 6, 7, |_, _, r: &mut ChaCha8Rng| classes::<7, 16>(r));
// Regression targets near the outputs, as in training: a small loss keeps rounding in the
// central differences far below the gradients' smallest components.
check!(
    mse_through_a_sum,
    WideMse,
    10,
    8,
    |n: &WideMse<f64>, xs: &SMatrix<f64, 10, 16>, r: &mut ChaCha8Rng| n.forward_batch(xs)
        + random::<8, 16>(r, 0.3)
);
check!(binary_cross_entropy_chain, WideBinary, 9, 3, |_, _, r: &mut ChaCha8Rng| bits::<3, 16>(r));

network! {
    /// Dropout on two lines and a sum of dropped lines, for the training-mode check.
    struct WideDropout {
        input: 8,
        a: dense(12) -> tanh -> dropout(0.3),
        b: dense(12) -> softplus -> dropout(0.5),
        s: a + b,
        out: s -> dense(6),
        loss: mse,
    }
}

/// In training mode each sample draws masks of its own, and the gradient is that of the
/// training loss under those masks. The targets lie near the outputs under the same masks (as
/// in training: samples in order, each drawing its masks), so that the loss is small and
/// rounding in the central differences stays far below the gradients' smallest components.
#[test]
fn batched_training_is_the_gradient_of_its_own_loss() {
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    let net = jiggle(WideDropout::<f64>::seeded(3), &mut rng);
    let xs: SMatrix<f64, 8, 16> = random(&mut rng, 1.5);
    let masks = || ChaCha8Rng::seed_from_u64(7);
    let mut drawn = masks();
    let outputs = SMatrix::<f64, 6, 16>::from_columns(
        &(0..16)
            .map(|j| net.forward_training(&xs.column(j).into_owned(), &mut drawn))
            .collect::<Vec<_>>(),
    );
    let ys: SMatrix<f64, 6, 16> = outputs + random::<6, 16>(&mut rng, 0.3);
    let (loss, grad) = net.loss_and_grad_batch_training(&xs, &ys, &mut masks());
    let (inference, _) = net.loss_and_grad_batch(&xs, &ys);
    assert_ne!(loss, inference, "dropout changed nothing");
    let training_loss =
        |n: &WideDropout<f64>| n.loss_and_grad_batch_training(&xs, &ys, &mut masks()).0;
    assert_eq!(training_loss(&net), loss);
    assert_passes("WideDropout batched, training", gradcheck(&net, &grad, training_loss));
}
