//! Gated memory networks: `lstm` and `gru` (PyTorch's equations), trained by backpropagation
//! through time; gradients against central differences, forward mode against reverse mode.

use nn::nalgebra::SVector;
use nn::rand::{Rng, SeedableRng};
use nn::{gradcheck, network, GradCheck, Network};
use rand_chacha::ChaCha8Rng;

network! {
    /// An LSTM's last state read by a softmax head, with weight decay.
    struct LstmLast {
        input: 3 x 6,
        memory: lstm(5),
        out: dense(4) -> softmax,
        loss: cross_entropy,
        l2: 0.01,
    }
}

network! {
    /// A GRU's last state read by a sigmoid head.
    struct GruLast {
        input: 2 x 7,
        memory: gru(4),
        out: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

network! {
    /// Every state of an LSTM read by a GRU, dropout between them, a skip connection from the
    /// LSTM's states to the head.
    struct Stacked {
        input: 2 x 5,
        first: lstm_sequence(3) -> dropout(0.3),
        second: gru(4) -> dropout(0.2),
        both: concat(second, first) -> dense(3),
        loss: mse,
    }
}

network! {
    /// Every state of a GRU read by an LSTM, then an Elman layer reading the LSTM's states.
    struct Mixed {
        input: 1 x 6,
        first: gru_sequence(3),
        second: lstm_sequence(2),
        third: rnn(3) -> tanh,
        out: dense(2),
        loss: mse,
    }
}

fn random<const N: usize>(rng: &mut impl Rng, scale: f64) -> SVector<f64, N> {
    SVector::from_fn(|_, _| scale * (2.0 * rng.random::<f64>() - 1.0))
}

/// Every parameter moved by up to 0.3, so that no bias starts at a special value.
fn jiggled<N: Network<f64>>(mut net: N, rng: &mut impl Rng) -> N {
    net.visit_mut(&mut |p| {
        p.values.iter_mut().for_each(|v| *v += 0.3 * (2.0 * rng.random::<f64>() - 1.0))
    });
    net
}

fn assert_passes(what: &str, report: GradCheck) {
    println!("{what}: {report}");
    assert!(report.worst_relative_error < 1e-6, "{what}: {report}");
}

/// The input gradient against central differences, entry by entry.
fn input_gradient_error<const I: usize>(
    loss: impl Fn(&SVector<f64, I>) -> f64,
    x: &SVector<f64, I>,
    d_x: &SVector<f64, I>,
) -> f64 {
    let mut worst = 0.0_f64;
    for i in 0..I {
        let (mut up, mut down) = (*x, *x);
        up[i] += 1e-6;
        down[i] -= 1e-6;
        let numeric = (loss(&up) - loss(&down)) / 2e-6;
        worst = worst.max((numeric - d_x[i]).abs() / d_x[i].abs().max(1e-5));
    }
    worst
}

#[test]
fn an_lstm_backpropagates_through_time() {
    let mut rng = ChaCha8Rng::seed_from_u64(41);
    let net = jiggled(LstmLast::<f64>::seeded(1), &mut rng);
    let x: SVector<f64, 18> = random(&mut rng, 1.0);
    let y = nn::loss::one_hot::<f64, 4>(1).unwrap();
    let (loss, grad, d_x) = net.loss_and_grad_input(&x, &y);
    assert_eq!((loss, grad.clone()), net.loss_and_grad(&x, &y));
    assert_passes("LstmLast", gradcheck(&net, &grad, |n| n.loss(&x, &y)));
    let worst = input_gradient_error(|x| net.loss(x, &y), &x, &d_x);
    assert!(worst < 1e-6, "input gradient: {worst}");
    // The gradient reaches the first step.
    assert!(d_x.fixed_rows::<3>(0).norm() > 0.0);
}

#[test]
fn a_gru_backpropagates_through_time() {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let net = jiggled(GruLast::<f64>::seeded(2), &mut rng);
    let x: SVector<f64, 14> = random(&mut rng, 1.0);
    let y = SVector::from([1.0]);
    let (_, grad, d_x) = net.loss_and_grad_input(&x, &y);
    assert_passes("GruLast", gradcheck(&net, &grad, |n| n.loss(&x, &y)));
    let worst = input_gradient_error(|x| net.loss(x, &y), &x, &d_x);
    assert!(worst < 1e-6, "input gradient: {worst}");
    assert!(d_x.fixed_rows::<2>(0).norm() > 0.0);
}

#[test]
fn stacked_gated_layers_backpropagate_with_dropout_between_them() {
    let mut rng = ChaCha8Rng::seed_from_u64(43);
    let net = jiggled(Stacked::<f64>::seeded(3), &mut rng);
    let x: SVector<f64, 10> = random(&mut rng, 1.0);
    let y = net.forward(&x) + random::<3>(&mut rng, 0.3);
    let (_, grad, d_x) = net.loss_and_grad_input(&x, &y);
    assert_passes("Stacked", gradcheck(&net, &grad, |n| n.loss(&x, &y)));
    assert!(input_gradient_error(|x| net.loss(x, &y), &x, &d_x) < 1e-6);
    let masks = || ChaCha8Rng::seed_from_u64(5);
    let (loss, grad) = net.loss_and_grad_training(&x, &y, &mut masks());
    assert_ne!(loss, net.loss(&x, &y), "dropout changed nothing");
    assert_passes(
        "Stacked, training",
        gradcheck(&net, &grad, |n| n.loss_training(&x, &y, &mut masks())),
    );
}

#[test]
fn gated_and_elman_layers_stack_in_any_order() {
    let mut rng = ChaCha8Rng::seed_from_u64(44);
    let net = jiggled(Mixed::<f64>::seeded(4), &mut rng);
    let x: SVector<f64, 6> = random(&mut rng, 1.0);
    let y = net.forward(&x) + random::<2>(&mut rng, 0.3);
    let (_, grad, d_x) = net.loss_and_grad_input(&x, &y);
    assert_passes("Mixed", gradcheck(&net, &grad, |n| n.loss(&x, &y)));
    assert!(input_gradient_error(|x| net.loss(x, &y), &x, &d_x) < 1e-6);
}

#[test]
fn forward_mode_agrees_with_the_reverse_pass() {
    let mut rng = ChaCha8Rng::seed_from_u64(45);
    let stacked = jiggled(Stacked::<f64>::seeded(5), &mut rng);
    let mixed = jiggled(Mixed::<f64>::seeded(6), &mut rng);
    for _ in 0..10 {
        let (x, v, u) =
            (random::<10>(&mut rng, 1.0), random(&mut rng, 1.0), random::<3>(&mut rng, 1.0));
        let (y, jv) = stacked.jvp(&x, &v);
        assert_eq!(y, stacked.forward(&x));
        let (left, right): (f64, f64) = (u.dot(&jv), stacked.vjp(&x, &u).dot(&v));
        assert!((left - right).abs() <= 1e-10 * left.abs().max(right.abs()), "{left} vs {right}");
        let (x, v, u) =
            (random::<6>(&mut rng, 1.0), random(&mut rng, 1.0), random::<2>(&mut rng, 1.0));
        let (_, jv) = mixed.jvp(&x, &v);
        let (left, right): (f64, f64) = (u.dot(&jv), mixed.vjp(&x, &u).dot(&v));
        assert!((left - right).abs() <= 1e-10 * left.abs().max(right.abs()), "{left} vs {right}");
    }
    // And the tangent is the directional derivative.
    let (x, v) = (random::<10>(&mut rng, 1.0), random::<10>(&mut rng, 1.0));
    let (_, jv) = stacked.jvp(&x, &v);
    let numeric = (stacked.forward(&(x + v * 1e-6)) - stacked.forward(&(x - v * 1e-6))) / 2e-6;
    assert!((numeric - jv).norm() < 1e-8 * jv.norm().max(1.0), "{numeric} vs {jv}");
}

#[test]
fn the_layers_hold_pytorchs_tensors() {
    let net = Stacked::<f32>::seeded(1);
    assert_eq!(net.first.weight_ih.shape(), (12, 2));
    assert_eq!(net.first.weight_hh.shape(), (12, 3));
    assert_eq!(net.second.weight_ih.shape(), (12, 3));
    assert_eq!(net.second.bias_hh.len(), 12);
    let mut names = Vec::new();
    net.visit(&mut |p| names.push((p.name, p.shape)));
    assert_eq!(
        names[..8],
        [
            ("first.weight_ih_l0", (12, 2)),
            ("first.weight_hh_l0", (12, 3)),
            ("first.bias_ih_l0", (12, 1)),
            ("first.bias_hh_l0", (12, 1)),
            ("second.weight_ih_l0", (12, 3)),
            ("second.weight_hh_l0", (12, 4)),
            ("second.bias_ih_l0", (12, 1)),
            ("second.bias_hh_l0", (12, 1)),
        ]
    );
    // PyTorch's initialisation: every tensor within 1/sqrt(hidden), biases too.
    net.visit(&mut |p| {
        let bound = if p.name.starts_with("first") { 1.0 / 3f32.sqrt() } else { 0.5 };
        if !p.name.starts_with("both") {
            assert!(p.values.iter().all(|v| v.abs() <= bound && *v != 0.0), "{}", p.name);
        }
    });
    assert_eq!(
        <Stacked as Network<f32>>::PARAMS,
        4 * 3 * (2 + 3 + 2) + 3 * 4 * (3 + 4 + 2) + 3 * 19 + 3
    );
}

#[test]
fn the_summary_names_the_gated_layers() {
    let text = <Stacked as Network<f32>>::summary_table().to_string();
    println!("{text}");
    assert!(text.contains("lstm_sequence") && text.contains("gru"), "{text}");
    assert!(text.contains("gates"), "{text}");
}

network! {
    /// Learns the sum of a sequence's values, thresholded: a job for memory.
    struct Accumulate {
        input: 1 x 8,
        memory: gru(8),
        out: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

#[test]
fn the_trainer_trains_a_gated_network() {
    let mut rng = ChaCha8Rng::seed_from_u64(46);
    let mut make = |n: usize| {
        let inputs: Vec<SVector<f32, 8>> =
            (0..n).map(|_| SVector::from_fn(|_, _| rng.random::<f32>() - 0.5)).collect();
        let targets = inputs.iter().map(|x| SVector::from([f32::from(x.sum() > 0.0)])).collect();
        nn::data::Dataset::new(inputs, targets).unwrap()
    };
    let (train, test) = (make(1000), make(500));
    let mut net = Accumulate::<f32>::seeded(1);
    nn::train::Trainer::<f32, 16>::new(30)
        .seed(1)
        .progress(false)
        .fit(&mut net, &mut nn::Adam::new(0.01), &train, None)
        .unwrap();
    let predictions: Vec<_> = test.inputs.iter().map(|x| net.forward(x)).collect();
    let accuracy = nn::metrics::accuracy(&predictions, &test.targets);
    println!(
        "sign of a sum of 8 values: {:.1}% of {} test sequences",
        100.0 * accuracy,
        test.len()
    );
    assert!(accuracy >= 0.9, "test accuracy {accuracy}");
}
