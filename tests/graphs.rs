//! Graphs, maxout, learnable activations, the other frameworks' hard sigmoids and dropout:
//! the generated backward pass against central differences in `f64` (for the parameters and
//! for the input), in inference and in training mode, for single samples and batches; the
//! forward pass against an independent computation; and the parameters these layers add.

// Generated code must compile without warnings in a crate that denies them.
#![deny(warnings)]

use std::fmt;

use nn::nalgebra::{SMatrix, SVector};
use nn::rand::{Rng, SeedableRng};
use nn::{gradcheck, network, GradCheck, Network, ParamKind, Sgd};
use rand_chacha::ChaCha8Rng;

/// The tolerance the issue sets for the generated gradient: relative error below 1e-6.
const TOLERANCE: f64 = 1e-6;

/// The central difference's step and the floor under the relative error's denominator, as
/// in `nn::GradCheckConfig::default()`, for the input gradient.
const STEP: f64 = 1e-5;
const FLOOR: f64 = 1e-5;

/// The seed of every dropout generator in training-mode checks. Each evaluation of the loss
/// starts from a generator freshly seeded with it, so it draws the same masks and the
/// training-mode loss is a deterministic function of the parameters. Chosen so that both
/// dropout lines' masks keep some units and silence others, which the tests assert (with
/// masks drawn from 32-bit words, seed 7's first five draws all fall below 0.3).
const DROPOUT_SEED: u64 = 8;

fn dropout_rng() -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(DROPOUT_SEED)
}

network! {
    /// Every new piece in one graph: named sources, a sum followed by an activation, a
    /// concatenation into a layer and one on a line of its own, maxout, the three learnable
    /// activations, both hard sigmoids, and dropout after an activation and on a line of its
    /// own. `input` feeds `a` and `m`; `a` feeds `b`, `c` and `j`.
    struct Pieces {
        input: 4,
        a: dense(6) -> prelu,
        b: dense(5) -> hard_sigmoid_pytorch -> dropout(0.3),
        c: a -> dense(5) -> swish_learnable,
        s: b + c -> tanh,
        m: input -> maxout(4, 3) -> prelu_shared(0.1),
        h: concat(s, m) -> dense(5) -> hard_sigmoid_onnx,
        drop: dropout(0.5),
        j: concat(drop, a),
        out: dense(3),
        loss: mse,
        l2: 0.01,
    }
}

network! {
    /// A skip connection: `a` is read by `b`, by the sum `s` and by the output's concatenation.
    struct SkipMse {
        input: 3,
        a: dense(5) -> tanh,
        b: dense(4) -> elu,
        c: dense(5) -> softplus,
        s: a + c,
        out: concat(a, s) -> dense(2),
        loss: mse,
    }
}

network! {
    /// [`SkipMse`] with a sigmoid output and binary cross-entropy.
    struct SkipBinary {
        input: 3,
        a: dense(5) -> tanh,
        b: dense(4) -> elu,
        c: dense(5) -> softplus,
        s: a + c,
        out: concat(a, s) -> dense(2) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

network! {
    /// [`SkipMse`] with a softmax output and cross-entropy.
    struct SkipMulticlass {
        input: 3,
        a: dense(5) -> tanh,
        b: dense(4) -> elu,
        c: dense(5) -> softplus,
        s: a + c,
        out: concat(a, s) -> dense(3) -> softmax,
        loss: cross_entropy,
    }
}

network! {
    /// Each learnable activation with its default and with a given initial value, and
    /// maxout with and without one.
    struct Learnables {
        input: 3,
        a: dense(4) -> prelu,
        b: dense(3) -> prelu(0.1),
        c: dense(2) -> prelu_shared,
        d: dense(2) -> prelu_shared(0.05),
        e: dense(3) -> swish_learnable,
        f: dense(3) -> swish_learnable(0.5),
        m: maxout(2, 3) -> prelu,
        out: maxout(1, 2),
        loss: mse,
    }
}

fn rng() -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(42)
}

fn random<const R: usize, const C: usize>(rng: &mut impl Rng, scale: f64) -> SMatrix<f64, R, C> {
    SMatrix::from_fn(|_, _| rng.random_range(-scale..scale))
}

fn bits<const N: usize>(rng: &mut impl Rng) -> SVector<f64, N> {
    SVector::from_fn(|_, _| f64::from(u8::from(rng.random::<bool>())))
}

fn class<const N: usize>(rng: &mut impl Rng) -> SVector<f64, N> {
    nn::loss::one_hot::<f64, N>(rng.random_range(0..N)).unwrap()
}

fn assert_passes(what: &str, report: GradCheck) {
    println!("{what}: {report}");
    assert!(report.checked > 0, "{what}: nothing was checked");
    assert!(report.worst_relative_error < TOLERANCE, "{what}: {report}");
}

/// Moves every bias and activation parameter away from its initial value (zero biases, equal
/// slopes and betas), so that their gradients are checked at general points: biases in
/// (-0.5, 0.5), PReLU slopes in (0.05, 0.6), swish betas in (0.5, 2).
fn randomised<N: Network<f64>>(mut net: N, rng: &mut impl Rng) -> N {
    net.visit_mut(&mut |p| {
        let range = match p.kind {
            ParamKind::Weight => return,
            ParamKind::Bias => -0.5..0.5,
            ParamKind::Activation if p.name.ends_with(".slope") => 0.05..0.6,
            ParamKind::Activation => 0.5..2.0,
        };
        p.values.iter_mut().for_each(|v| *v = rng.random_range(range.clone()));
    });
    net
}

/// The outcome of comparing a gradient with respect to the input with central differences.
struct InputCheck {
    worst_relative_error: f64,
    worst_index: usize,
    analytic: f64,
    numeric: f64,
    checked: usize,
}

impl fmt::Display for InputCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "worst relative error {:.3e} at x[{}]: analytic {:.12e}, numeric {:.12e} ({} components)",
            self.worst_relative_error, self.worst_index, self.analytic, self.numeric, self.checked
        )
    }
}

/// Compares `d_x`, the gradient of `loss` at `x`, with central differences over each
/// component of `x`, with the same step and relative error as `nn::gradcheck`.
fn input_gradcheck<const I: usize>(
    x: &SVector<f64, I>,
    d_x: &SVector<f64, I>,
    loss: impl Fn(&SVector<f64, I>) -> f64,
) -> InputCheck {
    let mut report = InputCheck {
        worst_relative_error: 0.0,
        worst_index: 0,
        analytic: 0.0,
        numeric: 0.0,
        checked: 0,
    };
    for i in 0..I {
        let (mut up, mut down) = (*x, *x);
        up[i] += STEP;
        down[i] -= STEP;
        let numeric = (loss(&up) - loss(&down)) / (up[i] - down[i]);
        let scale = d_x[i].abs().max(numeric.abs()).max(FLOOR);
        let error = (d_x[i] - numeric).abs() / scale;
        if error > report.worst_relative_error || error.is_nan() || report.checked == 0 {
            report.worst_relative_error = error;
            report.worst_index = i;
            report.analytic = d_x[i];
            report.numeric = numeric;
        }
        report.checked += 1;
    }
    report
}

fn assert_input_passes(what: &str, report: InputCheck) {
    println!("{what}: {report}");
    assert!(report.checked > 0, "{what}: nothing was checked");
    assert!(report.worst_relative_error < TOLERANCE, "{what}: {report}");
}

// ---------------------------------------------------------------------------------------
// The network with every piece.

/// A randomised `Pieces`, one input and its target, and a batch of five.
struct PiecesCase {
    net: Pieces<f64>,
    x: SVector<f64, 4>,
    target: SVector<f64, 3>,
    xs: SMatrix<f64, 4, 5>,
    targets: SMatrix<f64, 3, 5>,
}

fn pieces_case() -> PiecesCase {
    let mut rng = rng();
    let net = randomised(Pieces::<f64>::seeded(5), &mut rng);
    let x = random(&mut rng, 1.5);
    let xs = random(&mut rng, 1.5);
    // Targets within 0.5 of the outputs, as during training. The central difference's
    // rounding error is about `eps |L| / h`: with targets anywhere in (-1, 1) the loss was
    // 3.7, and that error (5e-11) was 3e-6 of a component of 1.6e-5, just above the floor,
    // although steps of 1e-4 and 1e-3 agreed with the analytic value to 1e-7.
    let target = net.forward(&x) + random::<3, 1>(&mut rng, 0.5);
    let targets = net.forward_batch(&xs) + random::<3, 5>(&mut rng, 0.5);
    PiecesCase { net, x, target, xs, targets }
}

/// `Pieces`'s forward pass written out here from the layers' fields and the activations'
/// formulas (PyTorch's `relu6(x + 3) / 6`, ONNX's `max(0, min(1, 0.2 x + 0.5))`, swish as
/// `z / (1 + e^(-beta z))`), with the given dropout masks (ones for inference).
struct PiecesReference {
    out: SVector<f64, 3>,
    loss: f64,
    /// The pre-activations of `a` (PReLU), `b` (PyTorch's hard sigmoid), `m`'s units (maxout,
    /// before its shared PReLU) and `h` (ONNX's hard sigmoid).
    z_a: SVector<f64, 6>,
    z_b: SVector<f64, 5>,
    units_m: SVector<f64, 4>,
    z_h: SVector<f64, 5>,
}

fn pieces_reference(
    net: &Pieces<f64>,
    x: &SVector<f64, 4>,
    target: &SVector<f64, 3>,
    mask_b: &SVector<f64, 5>,
    mask_drop: &SVector<f64, 5>,
) -> PiecesReference {
    let z_a = net.a.weight * x + net.a.bias;
    let a = SVector::<f64, 6>::from_fn(|i, _| {
        if z_a[i] > 0.0 {
            z_a[i]
        } else {
            net.a.activation[i] * z_a[i]
        }
    });
    let z_b = net.b.weight * a + net.b.bias;
    let b = z_b.map(|z| (z + 3.0).clamp(0.0, 6.0) / 6.0).component_mul(mask_b);
    let z_c = net.c.weight * a + net.c.bias;
    let c =
        SVector::<f64, 5>::from_fn(|i, _| z_c[i] / (1.0 + (-net.c.activation[i] * z_c[i]).exp()));
    let s = (b + c).map(f64::tanh);
    // Row `u * 3 + k` is piece `k` of unit `u`.
    let pieces = net.m.weight * x + net.m.bias;
    let units_m = SVector::<f64, 4>::from_fn(|u, _| {
        (0..3).map(|k| pieces[u * 3 + k]).fold(f64::NEG_INFINITY, f64::max)
    });
    let slope = net.m.activation[0];
    let m = units_m.map(|v| if v > 0.0 { v } else { slope * v });
    let s_m = SVector::<f64, 9>::from_iterator(s.iter().chain(m.iter()).copied());
    let z_h = net.h.weight * s_m + net.h.bias;
    let drop = z_h.map(|z| (0.2 * z + 0.5).clamp(0.0, 1.0)).component_mul(mask_drop);
    let j = SVector::<f64, 11>::from_iterator(drop.iter().chain(a.iter()).copied());
    let out = net.out.weight * j + net.out.bias;
    let mse = (out - target).map(|e| e * e).sum() / 3.0;
    let weights = net.a.weight.norm_squared()
        + net.b.weight.norm_squared()
        + net.c.weight.norm_squared()
        + net.m.weight.norm_squared()
        + net.h.weight.norm_squared()
        + net.out.weight.norm_squared();
    PiecesReference { out, loss: mse + 0.01 / 2.0 * weights, z_a, z_b, units_m, z_h }
}

/// Masks of ones: inference.
fn no_masks() -> (SVector<f64, 5>, SVector<f64, 5>) {
    (SVector::repeat(1.0), SVector::repeat(1.0))
}

/// The masks a training-mode call draws from `dropout_rng()` for one sample: `b`'s, then
/// `drop`'s, each with `nn::dropout::mask`, in the order the lines are written.
fn training_masks() -> (SVector<f64, 5>, SVector<f64, 5>) {
    let mut rng = dropout_rng();
    let (mut mask_b, mut mask_drop) = (SVector::<f64, 5>::zeros(), SVector::<f64, 5>::zeros());
    nn::dropout::mask(&mut rng, 0.3, mask_b.as_mut_slice());
    nn::dropout::mask(&mut rng, 0.5, mask_drop.as_mut_slice());
    (mask_b, mask_drop)
}

fn assert_close<const N: usize>(what: &str, got: &SVector<f64, N>, want: &SVector<f64, N>) {
    for i in 0..N {
        assert!((got[i] - want[i]).abs() < 1e-12, "{what}[{i}]: {} vs {}", got[i], want[i]);
    }
}

/// The pre-activations at which the gradient checks below run are general points of every
/// piecewise function: some PReLU inputs negative (so the slopes have a gradient) and some
/// positive, some hard-sigmoid units inside their linear region (so their slope is
/// exercised), in inference and in training mode.
fn assert_every_piece_is_exercised(r: &PiecesReference) {
    assert!(r.z_a.iter().any(|&z| z < 0.0) && r.z_a.iter().any(|&z| z > 0.0), "{}", r.z_a);
    assert!(r.units_m.iter().any(|&z| z < 0.0), "maxout units {}", r.units_m);
    assert!(r.z_b.iter().any(|&z| -3.0 < z && z < 3.0), "b saturated: {}", r.z_b);
    assert!(r.z_h.iter().any(|&z| -2.5 < z && z < 2.5), "h saturated: {}", r.z_h);
}

#[test]
fn pieces_forward_matches_an_independent_computation() {
    let PiecesCase { net, x, target, .. } = pieces_case();

    let (ones_b, ones_drop) = no_masks();
    let inference = pieces_reference(&net, &x, &target, &ones_b, &ones_drop);
    assert_every_piece_is_exercised(&inference);
    assert_close("forward", &net.forward(&x), &inference.out);
    assert!((net.loss(&x, &target) - inference.loss).abs() < 1e-12);

    // Training mode: inverted dropout after `b`'s activation and on the line `drop`, with
    // masks that do silence units of both.
    let (mask_b, mask_drop) = training_masks();
    let has = |mask: &SVector<f64, 5>, v: f64| mask.iter().any(|&m| m == v);
    assert!(has(&mask_b, 0.0) && has(&mask_b, 1.0 / (1.0 - 0.3)), "b's mask {mask_b}");
    assert!(has(&mask_drop, 0.0) && has(&mask_drop, 2.0), "drop's mask {mask_drop}");
    let training = pieces_reference(&net, &x, &target, &mask_b, &mask_drop);
    assert_every_piece_is_exercised(&training);
    assert_close("forward_training", &net.forward_training(&x, &mut dropout_rng()), &training.out);
    let loss = net.loss_training(&x, &target, &mut dropout_rng());
    assert!((loss - training.loss).abs() < 1e-12, "{loss} vs {}", training.loss);
    assert!((loss - inference.loss).abs() > 1e-3, "dropout changed nothing: {loss}");

    // A training call draws fresh masks from where the generator is.
    let mut rng = dropout_rng();
    let first = net.forward_training(&x, &mut rng);
    let second = net.forward_training(&x, &mut rng);
    assert_ne!(first, second, "the second call reused the first call's masks");
}

#[test]
fn pieces_gradient_single_sample() {
    let PiecesCase { net, x, target, .. } = pieces_case();
    let (loss, grad) = net.loss_and_grad(&x, &target);
    assert_eq!(loss, net.loss(&x, &target), "loss_and_grad and loss disagree");
    // Every parameter that the pieces' derivatives route through has a gradient above the
    // floor, where it is compared relatively.
    for (what, g) in [
        ("a.slope", grad.a.activation.as_slice()),
        ("b.bias", grad.b.bias.as_slice()),
        ("c.beta", grad.c.activation.as_slice()),
        ("m.slope", grad.m.activation.as_slice()),
        ("h.bias", grad.h.bias.as_slice()),
    ] {
        assert!(g.iter().any(|g| g.abs() > 10.0 * FLOOR), "{what} has no gradient: {g:?}");
    }
    assert_passes("Pieces single", gradcheck(&net, &grad, |n| n.loss(&x, &target)));
}

#[test]
fn pieces_gradient_single_sample_training() {
    let PiecesCase { net, x, target, .. } = pieces_case();
    let (loss, grad) = net.loss_and_grad_training(&x, &target, &mut dropout_rng());
    assert_eq!(loss, net.loss_training(&x, &target, &mut dropout_rng()));
    assert_ne!(loss, net.loss(&x, &target), "dropout changed nothing");
    // A unit of `b` that dropout silenced passes no gradient back to its parameters; the same
    // unit has one in inference mode.
    let (mask_b, _) = training_masks();
    let dropped: Vec<usize> = (0..5).filter(|&i| mask_b[i] == 0.0).collect();
    assert!(!dropped.is_empty(), "no unit of b dropped: {mask_b}");
    let inference = net.loss_and_grad(&x, &target).1;
    for i in dropped {
        assert_eq!(grad.b.bias[i], 0.0, "dropped unit {i} of b");
        assert!(inference.b.bias[i] != 0.0, "unit {i} of b is saturated: nothing is shown");
    }
    assert_passes(
        "Pieces single, training",
        gradcheck(&net, &grad, |n| n.loss_training(&x, &target, &mut dropout_rng())),
    );
}

#[test]
fn pieces_gradient_batch() {
    let PiecesCase { net, xs, targets, .. } = pieces_case();
    let (loss, grad) = net.loss_and_grad_batch(&xs, &targets);
    assert!((loss - net.loss_batch(&xs, &targets)).abs() < 1e-15);
    assert_passes("Pieces batch", gradcheck(&net, &grad, |n| n.loss_batch(&xs, &targets)));
}

/// The training-mode risk of a batch, one sample after the other with one generator, as
/// `loss_and_grad_batch_training` draws their masks: the mean of per-sample risks (each
/// includes the L2 penalty once, so their mean does too).
fn loss_batch_training<const B: usize>(
    net: &Pieces<f64>,
    xs: &SMatrix<f64, 4, B>,
    targets: &SMatrix<f64, 3, B>,
    rng: &mut ChaCha8Rng,
) -> f64 {
    let mut total = 0.0;
    for j in 0..B {
        let x: SVector<f64, 4> = xs.column(j).into_owned();
        let target: SVector<f64, 3> = targets.column(j).into_owned();
        total += net.loss_training(&x, &target, rng);
    }
    total / B as f64
}

#[test]
fn pieces_gradient_batch_training() {
    let PiecesCase { net, xs, targets, .. } = pieces_case();
    let (loss, grad) = net.loss_and_grad_batch_training(&xs, &targets, &mut dropout_rng());
    let expected = loss_batch_training(&net, &xs, &targets, &mut dropout_rng());
    assert!((loss - expected).abs() < 1e-14, "{loss} vs {expected}");
    assert!((loss - net.loss_batch(&xs, &targets)).abs() > 1e-3, "dropout changed nothing");
    assert_passes(
        "Pieces batch, training",
        gradcheck(&net, &grad, |n| loss_batch_training(n, &xs, &targets, &mut dropout_rng())),
    );
}

#[test]
fn pieces_input_gradient() {
    let PiecesCase { net, x, target, .. } = pieces_case();
    let (loss, grad, d_x) = net.loss_and_grad_input(&x, &target);
    let (expected_loss, expected_grad) = net.loss_and_grad(&x, &target);
    assert_eq!(loss, expected_loss);
    assert_eq!(grad, expected_grad);
    // `input` is read by `a` and by `m`: both paths end in `d_x`.
    assert_input_passes("Pieces input", input_gradcheck(&x, &d_x, |x| net.loss(x, &target)));
}

// ---------------------------------------------------------------------------------------
// A skip connection with three consumers, for each loss.

macro_rules! check_skip_graph {
    ($name:ident, $net:ident, $target:expr) => {
        #[test]
        fn $name() {
            let mut rng = rng();
            let net = randomised($net::<f64>::seeded(3), &mut rng);
            let x: SVector<f64, 3> = random(&mut rng, 1.5);
            let target = $target(&mut rng);
            let (loss, grad) = net.loss_and_grad(&x, &target);
            assert_eq!(loss, net.loss(&x, &target), "loss_and_grad and loss disagree");
            assert_passes(
                concat!(stringify!($net), " single"),
                gradcheck(&net, &grad, |n| n.loss(&x, &target)),
            );

            let (input_loss, input_grad, d_x) = net.loss_and_grad_input(&x, &target);
            assert_eq!(input_loss, loss);
            assert_eq!(input_grad, grad);
            assert_input_passes(
                concat!(stringify!($net), " input"),
                input_gradcheck(&x, &d_x, |x| net.loss(x, &target)),
            );

            let xs: SMatrix<f64, 3, 5> = random(&mut rng, 1.5);
            let targets = SMatrix::from_columns(&[
                $target(&mut rng),
                $target(&mut rng),
                $target(&mut rng),
                $target(&mut rng),
                $target(&mut rng),
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

check_skip_graph!(skip_connection_mse, SkipMse, |r: &mut _| random::<2, 1>(r, 1.0));
check_skip_graph!(skip_connection_binary_cross_entropy, SkipBinary, |r: &mut _| bits::<2>(r));
check_skip_graph!(skip_connection_cross_entropy, SkipMulticlass, |r: &mut _| class::<3>(r));

network! {
    /// Corners of the graph language: dropout on the first line, on the input itself; the
    /// input read twice by one sum and twice by one concatenation; and an output that is the
    /// sum of a dense layer and a maxout layer, fused with binary cross-entropy.
    struct Corners {
        input: 3,
        first: dropout(0.4),
        a: dense(3) -> gelu,
        s: input + a + input,
        c: concat(input, s, input) -> dense(4) -> softplus,
        p: c -> dense(2),
        q: a -> maxout(2, 2),
        out: p + q -> sigmoid,
        loss: binary_cross_entropy,
    }
}

#[test]
fn graph_corners() {
    let mut rng = rng();
    let net = randomised(Corners::<f64>::seeded(3), &mut rng);
    let x: SVector<f64, 3> = random(&mut rng, 1.5);
    let target: SVector<f64, 2> = bits(&mut rng);
    let (loss, grad, d_x) = net.loss_and_grad_input(&x, &target);
    assert_eq!((loss, grad.clone()), net.loss_and_grad(&x, &target));
    assert_passes("Corners single", gradcheck(&net, &grad, |n| n.loss(&x, &target)));
    assert_input_passes("Corners input", input_gradcheck(&x, &d_x, |x| net.loss(x, &target)));

    let (loss, grad) = net.loss_and_grad_training(&x, &target, &mut dropout_rng());
    assert_eq!(loss, net.loss_training(&x, &target, &mut dropout_rng()));
    assert_ne!(loss, net.loss(&x, &target), "dropout changed nothing");
    assert_passes(
        "Corners single, training",
        gradcheck(&net, &grad, |n| n.loss_training(&x, &target, &mut dropout_rng())),
    );
}

network! {
    /// Nodes named like the locals and parameters of generated code, in every position:
    /// read by a layer, a sum and a concatenation, and feeding the gradient of the input.
    struct Namesakes {
        input: 2,
        x: dense(3) -> tanh,
        d: x -> dense(3) -> prelu,
        h: maxout(3, 2),
        z: x + d + h,
        trace: concat(input, z, x) -> dense(3) -> swish_learnable,
        grad: dropout(0.2),
        target: grad -> dense(3) -> relu,
        scale: target + trace,
        rng: dense(2) -> elu,
        w: rng -> dense(2),
        b: concat(w, x) -> dense(2),
        loss: mse,
    }
}

#[test]
fn nodes_may_share_names_with_generated_code() {
    let mut rng = rng();
    let net = randomised(Namesakes::<f64>::seeded(4), &mut rng);
    let x: SVector<f64, 2> = random(&mut rng, 1.5);
    let target: SVector<f64, 2> = random(&mut rng, 1.0);
    let (loss, grad, d_x) = net.loss_and_grad_input(&x, &target);
    assert_eq!((loss, grad.clone()), net.loss_and_grad(&x, &target));
    assert_passes("Namesakes single", gradcheck(&net, &grad, |n| n.loss(&x, &target)));
    assert_input_passes("Namesakes input", input_gradcheck(&x, &d_x, |x| net.loss(x, &target)));
    let (_, grad) = net.loss_and_grad_training(&x, &target, &mut dropout_rng());
    assert_passes(
        "Namesakes single, training",
        gradcheck(&net, &grad, |n| n.loss_training(&x, &target, &mut dropout_rng())),
    );
}

// ---------------------------------------------------------------------------------------
// The parameters the new layers add.

#[test]
fn learnable_activations_are_parameters_of_their_layer() {
    assert_eq!(<Learnables as Network<f32>>::INPUTS, 3);
    assert_eq!(<Learnables as Network<f32>>::OUTPUTS, 1);
    // Per layer: weights + biases + slopes or betas (one per unit, or one shared).
    assert_eq!(
        <Learnables as Network<f32>>::PARAMS,
        (4 * 3 + 4 + 4)
            + (3 * 4 + 3 + 3)
            + (2 * 3 + 2 + 1)
            + (2 * 2 + 2 + 1)
            + (3 * 2 + 3 + 3)
            + (3 * 3 + 3 + 3)
            + (6 * 3 + 6 + 2)
            + (2 * 2 + 2)
    );
    let net = Learnables::<f64>::seeded(1);
    let mut seen = Vec::new();
    net.visit(&mut |p| seen.push((p.name, p.kind, p.shape, p.values.len())));
    use ParamKind::{Activation, Bias, Weight};
    assert_eq!(
        seen,
        [
            ("a.weight", Weight, (4, 3), 12),
            ("a.bias", Bias, (4, 1), 4),
            ("a.slope", Activation, (4, 1), 4),
            ("b.weight", Weight, (3, 4), 12),
            ("b.bias", Bias, (3, 1), 3),
            ("b.slope", Activation, (3, 1), 3),
            ("c.weight", Weight, (2, 3), 6),
            ("c.bias", Bias, (2, 1), 2),
            ("c.slope", Activation, (1, 1), 1),
            ("d.weight", Weight, (2, 2), 4),
            ("d.bias", Bias, (2, 1), 2),
            ("d.slope", Activation, (1, 1), 1),
            ("e.weight", Weight, (3, 2), 6),
            ("e.bias", Bias, (3, 1), 3),
            ("e.beta", Activation, (3, 1), 3),
            ("f.weight", Weight, (3, 3), 9),
            ("f.bias", Bias, (3, 1), 3),
            ("f.beta", Activation, (3, 1), 3),
            // Maxout: 2 units of 3 pieces are 6 rows; its PReLU has a slope per unit.
            ("m.weight", Weight, (6, 3), 18),
            ("m.bias", Bias, (6, 1), 6),
            ("m.slope", Activation, (2, 1), 2),
            ("out.weight", Weight, (2, 2), 4),
            ("out.bias", Bias, (2, 1), 2),
        ]
    );
    let total: usize = seen.iter().map(|s| s.3).sum();
    assert_eq!(total, <Learnables<f64> as Network<f64>>::PARAMS);

    // Initial values: PReLU 0.25 unless given, swish's beta 1 unless given.
    assert_eq!(net.a.activation, SVector::<f64, 4>::repeat(0.25));
    assert_eq!(net.b.activation, SVector::<f64, 3>::repeat(0.1));
    assert_eq!(net.c.activation, SVector::<f64, 1>::new(0.25));
    assert_eq!(net.d.activation, SVector::<f64, 1>::new(0.05));
    assert_eq!(net.e.activation, SVector::<f64, 3>::repeat(1.0));
    assert_eq!(net.f.activation, SVector::<f64, 3>::repeat(0.5));
    assert_eq!(net.m.activation, SVector::<f64, 2>::repeat(0.25));
    let narrow = Learnables::<f32>::seeded(1);
    assert_eq!(narrow.b.activation, SVector::<f32, 3>::repeat(0.1));
    assert_eq!(narrow.f.activation, SVector::<f32, 3>::repeat(0.5));

    // The visitor reads and writes the fields themselves.
    let mut net = net;
    net.visit_mut(&mut |p| {
        if p.name == "c.slope" || p.name == "e.beta" {
            p.values[0] = -7.0;
        }
    });
    assert_eq!(net.c.activation[0], -7.0);
    assert_eq!(net.e.activation.as_slice(), &[-7.0, 1.0, 1.0]);
    net.visit(&mut |p| {
        if p.name == "m.slope" {
            assert_eq!(p.values, net.m.activation.as_slice());
        }
    });
}

#[test]
fn learnables_gradient() {
    let mut rng = rng();
    let net = randomised(Learnables::<f64>::seeded(2), &mut rng);
    let x: SVector<f64, 3> = random(&mut rng, 1.5);
    let target: SVector<f64, 1> = random(&mut rng, 1.0);
    let (loss, grad, d_x) = net.loss_and_grad_input(&x, &target);
    assert_eq!((loss, grad.clone()), net.loss_and_grad(&x, &target));
    assert_passes("Learnables single", gradcheck(&net, &grad, |n| n.loss(&x, &target)));
    assert_input_passes("Learnables input", input_gradcheck(&x, &d_x, |x| net.loss(x, &target)));
}

#[test]
fn weight_decay_leaves_activation_parameters_alone() {
    let mut net = Learnables::<f64>::seeded(4);
    let before = net.clone();
    let mut grad = Learnables::<f64>::zeros();
    grad.visit_mut(&mut |p| p.values.iter_mut().for_each(|g| *g = 0.25));
    Sgd::new(0.1).with_weight_decay(0.01).step(&mut net, &grad);
    // Slopes and betas, per unit or shared, on dense and maxout layers: a plain step.
    assert_eq!(net.a.activation, before.a.activation.map(|s| s - 0.1 * 0.25));
    assert_eq!(net.d.activation[0], 0.05 - 0.1 * 0.25);
    assert_eq!(net.f.activation, before.f.activation.map(|b| b - 0.1 * 0.25));
    assert_eq!(net.m.activation, before.m.activation.map(|s| s - 0.1 * 0.25));
    // Weights are decayed, maxout's too.
    let w = before.m.weight[(5, 2)];
    assert_eq!(net.m.weight[(5, 2)], w - 0.1 * (0.25 + 0.01 * w));
    assert_ne!(net.m.weight[(5, 2)], w - 0.1 * 0.25);
}

// ---------------------------------------------------------------------------------------
// Maxout's layout and the hard sigmoids' conventions, by hand.

network! {
    struct OneMaxout {
        input: 2,
        m: maxout(2, 3),
        loss: mse,
    }
}

/// Row `u * pieces + k` is piece `k` of unit `u`, PyTorch's `Linear(2, 6)` followed by
/// `.view(2, 3).max(-1)`; the gradient goes to each unit's largest piece.
///
/// With `x = (1, 2)`, weights `(p_r, 0)` and zero biases, row `r` computes `p_r`:
/// pieces `(0.5, 2, -1)` and `(-3, -2, -0.5)` give units `(2, -0.5)`. (Had the pieces of a
/// unit been every other row, the units would be `max(0.5, -1, -2) = 0.5` and
/// `max(2, -3, -0.5) = 2`.) With target `(1, 0.5)`, `L = ((2 - 1)^2 + (-0.5 - 0.5)^2) / 2 = 1`
/// and `dL/dunit = 2 (unit - target) / 2 = (1, -1)`, routed to rows 1 and 5:
/// `db = (0, 1, 0, 0, 0, -1)`, `dW = db x^T`, `dx = W^T db = (2 - (-0.5), 0) = (2.5, 0)`.
#[test]
fn maxout_takes_each_units_pieces_from_consecutive_rows() {
    let mut net = OneMaxout::<f64>::seeded(0);
    let p = [0.5, 2.0, -1.0, -3.0, -2.0, -0.5];
    net.m.weight = SMatrix::from_fn(|r, c| if c == 0 { p[r] } else { 0.0 });
    net.m.bias = SVector::zeros();
    let x = SVector::<f64, 2>::new(1.0, 2.0);
    let target = SVector::<f64, 2>::new(1.0, 0.5);
    assert_eq!(net.forward(&x), SVector::<f64, 2>::new(2.0, -0.5));
    let (loss, grad, d_x) = net.loss_and_grad_input(&x, &target);
    assert_eq!(loss, 1.0);
    let db = SVector::<f64, 6>::from([0.0, 1.0, 0.0, 0.0, 0.0, -1.0]);
    assert_eq!(grad.m.bias, db);
    assert_eq!(grad.m.weight, db * x.transpose());
    assert_eq!(d_x, SVector::<f64, 2>::new(2.5, 0.0));
}

network! {
    struct TorchHardSigmoid {
        input: 33,
        hs: dense(33) -> hard_sigmoid_pytorch,
        loss: mse,
    }
}

network! {
    struct OnnxHardSigmoid {
        input: 33,
        hs: dense(33) -> hard_sigmoid_onnx,
        loss: mse,
    }
}

network! {
    struct TextbookHardLogistic {
        input: 33,
        hs: dense(33) -> hard_logistic,
        loss: mse,
    }
}

/// `-4, -3.75, ..., 4`: every saturation point of the three conventions (±2, ±2.5, ±3) and
/// points on both sides of each.
fn grid() -> SVector<f64, 33> {
    SVector::from_fn(|i, _| -4.0 + 0.25 * i as f64)
}

/// Checks a one-layer network with identity weights and zero biases, whose output is the
/// activation itself, against `f`, and its input gradient against `f'`: `slope` strictly
/// inside `(-edge, edge)`, `0` outside and at the edges (PyTorch's `hardsigmoid_backward`
/// passes the gradient for `-3 < x < 3` only). With target `-1` the mse's gradient with
/// respect to output `i` is `2 (f(x_i) + 1) / 33`, never zero.
macro_rules! check_hard_sigmoid {
    ($net:ident, $f:expr, $slope:expr, $edge:expr) => {{
        let mut net = $net::<f64>::seeded(0);
        net.hs.weight = SMatrix::identity();
        net.hs.bias = SVector::zeros();
        let x = grid();
        let f: fn(f64) -> f64 = $f;
        let (slope, edge): (f64, f64) = ($slope, $edge);
        let y = net.forward(&x);
        for i in 0..33 {
            let want = f(x[i]);
            assert!(
                (y[i] - want).abs() < 1e-15,
                "{} at {}: {} vs {want}",
                stringify!($net),
                x[i],
                y[i]
            );
        }
        let target = SVector::<f64, 33>::repeat(-1.0);
        let (_, _, d_x) = net.loss_and_grad_input(&x, &target);
        for i in 0..33 {
            let inside = -edge < x[i] && x[i] < edge;
            let want = if inside { 2.0 * (f(x[i]) + 1.0) / 33.0 * slope } else { 0.0 };
            assert!(
                (d_x[i] - want).abs() < 1e-15,
                "{} at {}: {} vs {want}",
                stringify!($net),
                x[i],
                d_x[i]
            );
        }
        // Some of the grid is inside, some saturated at each end.
        assert!(y.iter().any(|&v| v == 0.0) && y.iter().any(|&v| v == 1.0));
        assert!(y.iter().any(|&v| 0.0 < v && v < 1.0));
    }};
}

#[test]
fn hard_sigmoid_pytorch_is_relu6_of_x_plus_3_over_6() {
    check_hard_sigmoid!(TorchHardSigmoid, |x| (x + 3.0).clamp(0.0, 6.0) / 6.0, 1.0 / 6.0, 3.0);
}

#[test]
fn hard_sigmoid_onnx_is_max_0_min_1_of_0_2x_plus_0_5() {
    check_hard_sigmoid!(OnnxHardSigmoid, |x| 0.0_f64.max(1.0_f64.min(0.2 * x + 0.5)), 0.2, 2.5);
}

#[test]
fn hard_logistic_keeps_the_textbooks_quarter_slope() {
    check_hard_sigmoid!(
        TextbookHardLogistic,
        |x| 0.0_f64.max(1.0_f64.min(0.25 * x + 0.5)),
        0.25,
        2.0
    );
}
