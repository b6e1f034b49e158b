//! The optimizers, schedules and gradient clipping of `nn::optim`, checked against numbers
//! computed here independently: each optimizer reaches the least-squares solution of a linear
//! regression (solved in closed form from the normal equations), takes the steps its formula
//! gives, and decays weights only; each schedule follows its closed form; clipping follows
//! PyTorch's `clip_grad_norm_`.

// Generated code must compile without warnings in a crate that denies them.
#![deny(warnings)]

use nn::nalgebra::{Matrix3, SMatrix, Vector3};
use nn::prelude::*;
use nn::ParamKind;

network! {
    /// Linear regression `y = w . x + b` by mean squared error: a convex problem whose
    /// minimum is the least-squares solution.
    struct Lin { input: 2, out: dense(1), loss: mse }
}

network! {
    /// Weights, biases and learnable PReLU slopes: the three kinds of parameter.
    struct Slopes { input: 2, hidden: dense(3) -> prelu, out: dense(1), loss: mse }
}

/// Eight samples as columns, and targets `1.5 x1 - 2 x2 + 0.5` plus a residual that no line
/// fits, so that the minimum is not a zero of the loss.
fn data() -> (SMatrix<f64, 2, 8>, SMatrix<f64, 1, 8>) {
    let xs = SMatrix::<f64, 2, 8>::from_column_slice(&[
        0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 2.0, -1.0, -1.0, 0.5, 0.3, 2.0, -1.5, -0.7,
    ]);
    let noise = [0.1, -0.2, 0.05, 0.3, -0.1, 0.0, 0.2, -0.25];
    let ys =
        SMatrix::<f64, 1, 8>::from_fn(|_, j| 1.5 * xs[(0, j)] - 2.0 * xs[(1, j)] + 0.5 + noise[j]);
    (xs, ys)
}

/// The minimum `(w1, w2, b)` of the risk `loss + lambda / 2 * ||w||^2` (the bias is not
/// penalised), `lambda = 0` giving the least-squares solution. With row `j` of `A` being
/// `(x1, x2, 1)` of sample `j` and `loss = ||A p - y||^2 / 8`, the gradient
/// `2 / 8 * A^T (A p - y) + lambda * D p` with `D = diag(1, 1, 0)` vanishes where
/// `(A^T A + 4 lambda D) p = A^T y`: the normal equations, with a ridge for `lambda > 0`.
fn minimum(lambda: f64) -> Vector3<f64> {
    let (xs, ys) = data();
    let mut lhs = Matrix3::<f64>::from_diagonal(&Vector3::new(4.0 * lambda, 4.0 * lambda, 0.0));
    let mut rhs = Vector3::<f64>::zeros();
    for j in 0..8 {
        let a = Vector3::new(xs[(0, j)], xs[(1, j)], 1.0);
        lhs += a * a.transpose();
        rhs += a * ys[j];
    }
    lhs.lu().solve(&rhs).expect("the samples span the plane")
}

/// The distance from the network's `(w1, w2, b)` to `p`.
fn distance(net: &Lin<f64>, p: &Vector3<f64>) -> f64 {
    (Vector3::new(net.out.weight[0], net.out.weight[1], net.out.bias[0]) - p).norm()
}

/// An optimizer of `Lin` networks, as a trainer holds it when the choice is made at run time.
type LinOptimizer = Box<dyn Optimizer<f64, Lin<f64>>>;

/// Full-batch training, written against the trait only, as a trainer is: the schedule sets
/// the learning rate at the start of each epoch from the optimizer's initial rate.
fn train(
    opt: &mut dyn Optimizer<f64, Lin<f64>>,
    schedule: Schedule<f64>,
    epochs: usize,
) -> Lin<f64> {
    let (xs, ys) = data();
    let mut net = Lin::<f64>::seeded(7);
    let base = opt.learning_rate();
    for epoch in 0..epochs {
        opt.set_learning_rate(schedule.learning_rate(base, epoch));
        let (_, grad) = net.loss_and_grad_batch(&xs, &ys);
        opt.step(&mut net, &grad);
    }
    net
}

#[test]
fn every_optimizer_reaches_the_least_squares_solution() {
    let best = minimum(0.0);
    // The solution is near the line the data were drawn from, and far from the start.
    assert!((best - Vector3::new(1.5, -2.0, 0.5)).norm() < 0.3, "{best}");
    assert!(distance(&Lin::seeded(7), &best) > 1.0);
    // And it is a minimum: the network's own gradient vanishes there.
    let mut at = Lin::<f64>::zeros();
    (at.out.weight[0], at.out.weight[1], at.out.bias[0]) = (best[0], best[1], best[2]);
    let (xs, ys) = data();
    assert!(nn::norm_squared(&at.loss_and_grad_batch(&xs, &ys).1, None) < 1e-28);

    let constant = Schedule::Constant;
    let cosine = Schedule::Cosine { period: 2000, min: 0.0 };
    let exponential = Schedule::Exponential { gamma: 0.995 };
    let cases: Vec<(&str, LinOptimizer, Schedule<f64>, usize, f64)> = vec![
        ("sgd", Box::new(Sgd::new(0.1)), constant, 2000, 1e-12),
        ("momentum", Box::new(Momentum::new(0.05, 0.9)), constant, 1000, 1e-12),
        ("nesterov", Box::new(Momentum::nesterov(0.05, 0.9)), constant, 1000, 1e-12),
        ("adam", Box::new(Adam::new(0.05)), constant, 2000, 1e-12),
        ("adam", Box::new(Adam::new(0.05)), cosine, 2000, 1e-12),
        ("rmsprop", Box::new(RmsProp::new(0.05)), exponential, 2000, 1e-12),
        ("rmsprop", Box::new(RmsProp::new(0.01)), cosine, 2000, 1e-12),
        // AdamW (default decay 0.01) stops where, for each weight, `wd * w = -m_hat /
        // (sqrt(v_hat) + eps)` with `m_hat = g` and `v_hat = g^2`: where `|g|` is of the order
        // of `eps * wd * |w|`, 1e-10 here, which is the least-squares solution up to about
        // 1e-9. Getting there waits for `v` to forget the large early gradients; `b2 = 0.99`
        // forgets in hundreds of steps where the default 0.999 needs thousands.
        ("adamw", Box::new(AdamW::new(0.05).with_betas(0.9, 0.99)), exponential, 5000, 1e-8),
    ];
    for (name, mut opt, schedule, epochs, tolerance) in cases {
        let net = train(opt.as_mut(), schedule, epochs);
        let d = distance(&net, &best);
        println!("{name}: {schedule:?}, {epochs} epochs: distance {d:.1e}");
        assert!(d < tolerance, "{name} ({schedule:?}) ends {d:e} from the minimum");
    }
}

#[test]
fn l2_weight_decay_reaches_the_ridge_solution() {
    let lambda = 0.1;
    let ridge = minimum(lambda);
    // The penalty moves the minimum: it shrinks the weights, and the bias follows.
    let best = minimum(0.0);
    assert!((ridge - best).norm() > 0.05, "{ridge} vs {best}");
    assert!(ridge.xy().norm() < best.xy().norm());

    let constant = Schedule::Constant;
    let cosine = Schedule::Cosine { period: 2000, min: 0.0 };
    let cases: Vec<(&str, LinOptimizer, Schedule<f64>, f64)> = vec![
        ("sgd", Box::new(Sgd::new(0.1).with_weight_decay(lambda)), constant, 1e-12),
        ("momentum", Box::new(Momentum::new(0.05, 0.9).with_weight_decay(lambda)), constant, 1e-12),
        (
            "nesterov",
            Box::new(Momentum::nesterov(0.05, 0.9).with_weight_decay(lambda)),
            constant,
            1e-12,
        ),
        ("adam", Box::new(Adam::new(0.05).with_weight_decay(lambda)), cosine, 1e-12),
        ("rmsprop", Box::new(RmsProp::new(0.01).with_weight_decay(lambda)), cosine, 1e-12),
    ];
    for (name, mut opt, schedule, tolerance) in cases {
        let net = train(opt.as_mut(), schedule, 2000);
        let d = distance(&net, &ridge);
        println!("{name} with L2 {lambda}: {schedule:?}: distance {d:.1e}");
        assert!(d < tolerance, "{name} ({schedule:?}) ends {d:e} from the ridge minimum");
    }
}

#[test]
fn adam_reaches_the_minimum_in_f32() {
    let best = minimum(0.0);
    let (xs, ys) = data();
    let (xs, ys) = (xs.cast::<f32>(), ys.cast::<f32>());
    let mut net = Lin::<f32>::seeded(7);
    // No type annotation: the network type comes from the first step.
    let mut adam = Adam::new(0.05);
    let schedule = Schedule::Cosine { period: 2000, min: 0.0 };
    for epoch in 0..2000 {
        adam.set_learning_rate(schedule.learning_rate(0.05, epoch));
        let (_, grad) = net.loss_and_grad_batch(&xs, &ys);
        adam.step(&mut net, &grad);
    }
    assert_eq!(adam.steps(), 2000);
    let got = Vector3::new(net.out.weight[0], net.out.weight[1], net.out.bias[0]).cast::<f64>();
    assert!((got - best).norm() < 1e-5, "{got} vs {best}");
}

/// A `Slopes` network whose `i`-th scalar in visiting order is `f(i)`.
fn filled(f: impl Fn(usize) -> f64) -> Slopes<f64> {
    let mut net = Slopes::<f64>::zeros();
    let mut i = 0;
    net.visit_mut(&mut |p| {
        for v in p.values.iter_mut() {
            *v = f(i);
            i += 1;
        }
    });
    net
}

/// Every scalar of `net` in visiting order, with the kind of its tensor.
fn scalars(net: &Slopes<f64>) -> Vec<(ParamKind, f64)> {
    let mut all = Vec::new();
    net.visit(&mut |p| all.extend(p.values.iter().map(|&v| (p.kind, v))));
    all
}

/// Starting parameters and two gradients with distinct values of both signs.
fn start() -> (Slopes<f64>, Slopes<f64>, Slopes<f64>) {
    let w0 = filled(|i| 0.3 * (i as f64 + 1.0).sin() + 0.1);
    let g1 = filled(|i| 0.5 * (1.7 * i as f64).cos());
    let g2 = filled(|i| 0.2 * (0.9 * i as f64 + 0.4).sin() - 0.05);
    (w0, g1, g2)
}

/// Takes two steps of `opt` from `start()` and checks every scalar against `hand`, which
/// maps `(kind, w0, g1, g2)` to the parameter after two steps.
fn two_steps_match(
    mut opt: impl Optimizer<f64, Slopes<f64>>,
    hand: impl Fn(ParamKind, f64, f64, f64) -> f64,
) {
    let (w0, g1, g2) = start();
    let mut net = w0.clone();
    opt.step(&mut net, &g1);
    opt.step(&mut net, &g2);
    let (before, after) = (scalars(&w0), scalars(&net));
    let (g1, g2) = (scalars(&g1), scalars(&g2));
    assert_eq!(after.len(), <Slopes<f64> as Network<f64>>::PARAMS);
    let kinds: Vec<ParamKind> = before.iter().map(|&(k, _)| k).collect();
    assert!(kinds.contains(&ParamKind::Bias) && kinds.contains(&ParamKind::Activation));
    for i in 0..after.len() {
        let (kind, w0) = before[i];
        let expected = hand(kind, w0, g1[i].1, g2[i].1);
        let got = after[i].1;
        assert!((got - expected).abs() < 1e-12, "scalar {i} ({kind:?}): {got} vs {expected}");
        assert!((got - w0).abs() > 1e-4, "scalar {i} moved");
    }
}

#[test]
fn adam_takes_the_two_steps_computed_by_hand() {
    let (lr, b1, b2, eps) = (0.01, 0.9, 0.999, 1e-8);
    let wd = 0.1;
    two_steps_match(Adam::new(lr).with_weight_decay(wd), |kind, w0, g1, g2| {
        // L2 decay enters the gradient of weights only.
        let wd = if kind == ParamKind::Weight { wd } else { 0.0 };
        let g1 = g1 + wd * w0;
        let m1 = (1.0 - b1) * g1;
        let v1 = (1.0 - b2) * g1 * g1;
        let w1 = w0 - lr * (m1 / (1.0 - b1)) / ((v1 / (1.0 - b2)).sqrt() + eps);
        let g2 = g2 + wd * w1;
        let m2 = b1 * m1 + (1.0 - b1) * g2;
        let v2 = b2 * v1 + (1.0 - b2) * g2 * g2;
        let m_hat = m2 / (1.0 - b1 * b1);
        let v_hat = v2 / (1.0 - b2 * b2);
        w1 - lr * m_hat / (v_hat.sqrt() + eps)
    });
}

#[test]
fn adam_matches_a_high_precision_computation() {
    // w = 0.5, gradients 0.2 then -0.1, lr 0.01 and the defaults; the expected values were
    // computed with 40-digit decimal arithmetic from the formulas above.
    let mut net = Lin::<f64>::zeros();
    net.out.weight[0] = 0.5;
    let mut grad = Lin::<f64>::zeros();
    let mut adam = Adam::<f64, Lin<f64>>::new(0.01);
    assert_eq!((adam.beta1, adam.beta2, adam.eps, adam.weight_decay), (0.9, 0.999, 1e-8, 0.0));
    grad.out.weight[0] = 0.2;
    adam.step(&mut net, &grad);
    assert!((net.out.weight[0] - 0.490_000_000_5).abs() < 1e-15);
    grad.out.weight[0] = -0.1;
    adam.step(&mut net, &grad);
    assert!((net.out.weight[0] - 0.487_336_630_271_867_6).abs() < 1e-15);
    // A zero gradient moves nothing, whatever the step.
    assert_eq!((net.out.weight[1], net.out.bias[0]), (0.0, 0.0));
    assert_eq!(adam.steps(), 2);
}

#[test]
fn adam_with_other_betas_follows_them() {
    let (lr, b1, b2, eps) = (0.05, 0.5, 0.75, 1e-3);
    let opt = Adam::new(lr).with_betas(b1, b2).with_eps(eps);
    two_steps_match(opt, |_, w0, g1, g2| {
        let (m1, v1) = ((1.0 - b1) * g1, (1.0 - b2) * g1 * g1);
        let w1 = w0 - lr * (m1 / (1.0 - b1)) / ((v1 / (1.0 - b2)).sqrt() + eps);
        let (m2, v2) = (b1 * m1 + (1.0 - b1) * g2, b2 * v1 + (1.0 - b2) * g2 * g2);
        w1 - lr * (m2 / (1.0 - b1 * b1)) / ((v2 / (1.0 - b2 * b2)).sqrt() + eps)
    });
}

#[test]
fn adamw_decays_weights_outside_the_adam_step() {
    let (lr, b1, b2, eps) = (0.01, 0.9, 0.999, 1e-8);
    let wd = 0.5;
    two_steps_match(AdamW::new(lr).with_weight_decay(wd), |kind, w0, g1, g2| {
        let wd = if kind == ParamKind::Weight { wd } else { 0.0 };
        // Decay first, then Adam with the plain gradient.
        let m1 = (1.0 - b1) * g1;
        let v1 = (1.0 - b2) * g1 * g1;
        let w1 = w0 * (1.0 - lr * wd) - lr * (m1 / (1.0 - b1)) / ((v1 / (1.0 - b2)).sqrt() + eps);
        let m2 = b1 * m1 + (1.0 - b1) * g2;
        let v2 = b2 * v1 + (1.0 - b2) * g2 * g2;
        w1 * (1.0 - lr * wd) - lr * (m2 / (1.0 - b1 * b1)) / ((v2 / (1.0 - b2 * b2)).sqrt() + eps)
    });
}

#[test]
fn adamw_with_a_zero_gradient_only_shrinks_the_weights() {
    let (w0, _, _) = start();
    let zero = Slopes::<f64>::zeros();
    let mut net = w0.clone();
    // PyTorch's default decay, 0.01.
    let mut adamw = AdamW::new(0.1);
    assert_eq!(adamw.weight_decay, 0.01);
    for _ in 0..3 {
        adamw.step(&mut net, &zero);
    }
    let factor = (1.0 - 0.1 * 0.01_f64).powi(3);
    for (&(kind, before), &(_, after)) in scalars(&w0).iter().zip(&scalars(&net)) {
        if kind == ParamKind::Weight {
            assert!((after - before * factor).abs() < 1e-15, "{after} vs {}", before * factor);
        } else {
            assert_eq!(after, before, "{kind:?} is not decayed");
        }
    }
}

#[test]
fn momentum_takes_the_two_steps_computed_by_hand() {
    let (lr, mu, wd) = (0.1, 0.9, 0.05);
    two_steps_match(Momentum::new(lr, mu).with_weight_decay(wd), |kind, w0, g1, g2| {
        let wd = if kind == ParamKind::Weight { wd } else { 0.0 };
        let b1 = g1 + wd * w0;
        let w1 = w0 - lr * b1;
        let b2 = mu * b1 + (g2 + wd * w1);
        w1 - lr * b2
    });
}

#[test]
fn nesterov_takes_the_two_steps_computed_by_hand() {
    let (lr, mu, wd) = (0.1, 0.9, 0.05);
    two_steps_match(Momentum::nesterov(lr, mu).with_weight_decay(wd), |kind, w0, g1, g2| {
        let wd = if kind == ParamKind::Weight { wd } else { 0.0 };
        let (g1, b1) = (g1 + wd * w0, g1 + wd * w0);
        let w1 = w0 - lr * (g1 + mu * b1);
        let g2 = g2 + wd * w1;
        let b2 = mu * b1 + g2;
        w1 - lr * (g2 + mu * b2)
    });
}

#[test]
fn rmsprop_takes_the_two_steps_computed_by_hand() {
    let (lr, alpha, eps, wd) = (0.01, 0.99, 1e-8, 0.05);
    let opt = RmsProp::new(lr).with_weight_decay(wd);
    assert_eq!((opt.alpha, opt.eps), (alpha, eps));
    two_steps_match(opt, |kind, w0, g1, g2| {
        let wd = if kind == ParamKind::Weight { wd } else { 0.0 };
        let g1 = g1 + wd * w0;
        let v1 = (1.0 - alpha) * g1 * g1;
        let w1 = w0 - lr * g1 / (v1.sqrt() + eps);
        let g2 = g2 + wd * w1;
        let v2 = alpha * v1 + (1.0 - alpha) * g2 * g2;
        w1 - lr * g2 / (v2.sqrt() + eps)
    });
    let alpha = 0.5;
    two_steps_match(RmsProp::new(lr).with_alpha(alpha).with_eps(1e-3), |_, w0, g1, g2| {
        let v1 = (1.0 - alpha) * g1 * g1;
        let w1 = w0 - lr * g1 / (v1.sqrt() + 1e-3);
        let v2 = alpha * v1 + (1.0 - alpha) * g2 * g2;
        w1 - lr * g2 / (v2.sqrt() + 1e-3)
    });
}

#[test]
fn sgd_through_the_trait_is_the_inherent_step() {
    let (w0, g1, _) = start();
    let sgd = Sgd::new(0.1).with_weight_decay(0.05);
    let mut by_inherent = w0.clone();
    sgd.step(&mut by_inherent, &g1);
    let mut by_trait = w0.clone();
    let mut opt: Box<dyn Optimizer<f64, Slopes<f64>>> = Box::new(sgd);
    opt.step(&mut by_trait, &g1);
    assert_eq!(by_trait, by_inherent);
    assert_eq!(opt.learning_rate(), 0.1);
    opt.set_learning_rate(0.0);
    opt.step(&mut by_trait, &g1);
    assert_eq!(by_trait, by_inherent, "a zero rate moves nothing");
    two_steps_match(sgd, |kind, w0, g1, g2| {
        let wd = if kind == ParamKind::Weight { 0.05 } else { 0.0 };
        let w1 = w0 - 0.1 * (g1 + wd * w0);
        w1 - 0.1 * (g2 + wd * w1)
    });
}

#[test]
fn set_learning_rate_sets_the_next_step() {
    let (w0, g1, g2) = start();
    let mut opt = Momentum::<f64, Slopes<f64>>::new(0.1, 0.9);
    let mut net = w0.clone();
    opt.step(&mut net, &g1);
    opt.set_learning_rate(0.02);
    assert_eq!(opt.learning_rate(), 0.02);
    opt.step(&mut net, &g2);
    let expected = 0.3 * 1.0_f64.sin() + 0.1
        - 0.1 * g1.hidden.weight[0]
        - 0.02 * (0.9 * g1.hidden.weight[0] + g2.hidden.weight[0]);
    assert!((net.hidden.weight[0] - expected).abs() < 1e-15);
}

/// `|a - b| <= 1e-15 * max(1, |b|)` for every pair.
fn assert_close(got: &[f64], expected: &[f64]) {
    assert_eq!(got.len(), expected.len());
    for (i, (&a, &b)) in got.iter().zip(expected).enumerate() {
        assert!((a - b).abs() <= 1e-15 * b.abs().max(1.0), "epoch {i}: {a} vs {b}");
    }
}

#[test]
fn constant_and_step_schedules_follow_their_formulas() {
    let rates = |s: Schedule<f64>| (0..10).map(|e| s.learning_rate(0.1, e)).collect::<Vec<_>>();
    assert_eq!(rates(Schedule::Constant), [0.1; 10]);
    let step = Schedule::Step { every: 3, gamma: 0.5 };
    let expected = [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125];
    assert_close(&rates(step), &expected);
    // A step every 0 epochs is a step every epoch.
    let every = Schedule::Step { every: 0, gamma: 0.5 };
    assert_close(&rates(every)[..4], &[0.1, 0.05, 0.025, 0.0125]);
    let f32_rate = Schedule::Step { every: 2, gamma: 0.1_f32 }.learning_rate(1.0, 5);
    assert!((f32_rate - 0.01).abs() < 1e-8, "{f32_rate}");
}

#[test]
fn exponential_schedule_multiplies_by_gamma_each_epoch() {
    let s = Schedule::Exponential { gamma: 0.9 };
    let mut expected = Vec::new();
    let mut rate = 0.2;
    for _ in 0..60 {
        expected.push(rate);
        rate *= 0.9;
    }
    let got: Vec<f64> = (0..60).map(|e| s.learning_rate(0.2, e)).collect();
    // Sixty products of rounded factors drift from one power by a few ulps.
    for (e, (&a, &b)) in got.iter().zip(&expected).enumerate() {
        assert!((a - b).abs() <= 1e-14 * b, "epoch {e}: {a} vs {b}");
    }
}

#[test]
fn cosine_schedule_is_pytorchs_closed_form() {
    let (base, min) = (0.1, 0.001);
    let s = Schedule::Cosine { period: 10, min };
    let sqrt5 = 5.0_f64.sqrt();
    // cos(pi / 5) = (1 + sqrt 5) / 4, cos(2 pi / 5) = (sqrt 5 - 1) / 4, cos(pi / 10) =
    // sqrt(10 + 2 sqrt 5) / 4; cos(pi - x) = -cos x.
    let cos = |c: f64| min + (base - min) * (1.0 + c) / 2.0;
    let expected = [
        (0, base),
        (1, cos((10.0 + 2.0 * sqrt5).sqrt() / 4.0)),
        (2, cos((1.0 + sqrt5) / 4.0)),
        (4, cos((sqrt5 - 1.0) / 4.0)),
        (5, (base + min) / 2.0),
        (8, cos(-(1.0 + sqrt5) / 4.0)),
        (10, min),
        // Beyond the period the formula climbs back, as PyTorch's does.
        (15, (base + min) / 2.0),
        (20, base),
    ];
    for (epoch, rate) in expected {
        let got = s.learning_rate(base, epoch);
        assert!((got - rate).abs() < 1e-15, "epoch {epoch}: {got} vs {rate}");
    }
    // Annealing over no epochs is over at once.
    let none = Schedule::Cosine { period: 0, min };
    assert_eq!([0, 1, 7].map(|e| none.learning_rate(base, e)), [min; 3]);
}

/// A `Lin` gradient with the given weights and bias.
fn lin_grad(w1: f64, w2: f64, b: f64) -> Lin<f64> {
    let mut g = Lin::<f64>::zeros();
    g.out.weight[0] = w1;
    g.out.weight[1] = w2;
    g.out.bias[0] = b;
    g
}

#[test]
fn clip_grad_norm_scales_a_long_gradient_to_the_bound() {
    // ||(2, 3, 6)|| = sqrt(4 + 9 + 36) = 7.
    let mut g = lin_grad(2.0, 3.0, 6.0);
    let norm = clip_grad_norm(&mut g, 3.5);
    assert!((norm - 7.0).abs() < 1e-15, "{norm}");
    let c = 3.5 / (7.0 + 1e-6);
    assert_eq!(g, lin_grad(2.0 * c, 3.0 * c, 6.0 * c));
    let after = nn::norm_squared(&g, None).sqrt();
    assert!(after < 3.5 && after > 3.5 - 1e-6, "{after}");

    // A short gradient is left alone; one at the bound is scaled by 7 / (7 + 1e-6), as in
    // PyTorch.
    let mut g = lin_grad(2.0, 3.0, 6.0);
    assert!((clip_grad_norm(&mut g, 10.0) - 7.0).abs() < 1e-15);
    assert_eq!(g, lin_grad(2.0, 3.0, 6.0));
    clip_grad_norm(&mut g, 7.0);
    let c = 7.0 / (7.0 + 1e-6);
    assert_eq!(g, lin_grad(2.0 * c, 3.0 * c, 6.0 * c));

    let mut zero = lin_grad(0.0, 0.0, 0.0);
    assert_eq!(clip_grad_norm(&mut zero, 1.0), 0.0);
    assert_eq!(zero, lin_grad(0.0, 0.0, 0.0));
}

#[test]
fn clip_grad_norm_measures_every_tensor() {
    let (_, g1, _) = start();
    let expected = scalars(&g1).iter().map(|&(_, g)| g * g).sum::<f64>().sqrt();
    let mut g = g1.clone();
    let norm = clip_grad_norm(&mut g, 0.5);
    assert!((norm - expected).abs() < 1e-14 * expected, "{norm} vs {expected}");
    assert!(expected > 1.0);
    for (&(_, a), &(_, b)) in scalars(&g).iter().zip(&scalars(&g1)) {
        assert!((a - b * 0.5 / (expected + 1e-6)).abs() < 1e-15);
    }
}

#[test]
fn clip_grad_norm_handles_huge_and_non_finite_gradients() {
    // Squares of 1e30 overflow f32, yet the norm 7e30 is finite and the gradient is clipped.
    let mut g = Lin::<f32>::zeros();
    g.out.weight[0] = 2e30;
    g.out.weight[1] = 3e30;
    g.out.bias[0] = 6e30;
    let norm = clip_grad_norm(&mut g, 1.0);
    assert!((norm / 7e30 - 1.0).abs() < 1e-6, "{norm}");
    let got = [g.out.weight[0], g.out.weight[1], g.out.bias[0]];
    for (a, b) in got.iter().zip([2.0 / 7.0, 3.0 / 7.0, 6.0 / 7.0]) {
        assert!((a - b).abs() < 1e-6, "{got:?}");
    }

    // A NaN or infinite entry: the gradient is left as it is and the norm says why.
    let mut g = lin_grad(1.0, f64::NAN, 2.0);
    assert!(clip_grad_norm(&mut g, 1.0).is_nan());
    assert_eq!((g.out.weight[0], g.out.bias[0]), (1.0, 2.0));
    let mut g = lin_grad(1.0, f64::NEG_INFINITY, 2.0);
    assert_eq!(clip_grad_norm(&mut g, 1.0), f64::INFINITY);
    assert_eq!(g.out.weight[1], f64::NEG_INFINITY);
    assert_eq!((g.out.weight[0], g.out.bias[0]), (1.0, 2.0));

    // A negative bound clips to zero; a NaN bound clips nothing.
    let mut g = lin_grad(2.0, 3.0, 6.0);
    assert!((clip_grad_norm(&mut g, -1.0) - 7.0).abs() < 1e-15);
    assert_eq!(g, lin_grad(0.0, 0.0, 0.0));
    let mut g = lin_grad(2.0, 3.0, 6.0);
    clip_grad_norm(&mut g, f64::NAN);
    assert_eq!(g, lin_grad(2.0, 3.0, 6.0));
}
