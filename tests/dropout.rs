//! Dropout in generated networks: training-mode outputs change with the generator and
//! inference outputs do not, the mean activation is preserved within sampling error, and the
//! training-mode gradient is the gradient of the training-mode loss, with nothing flowing
//! through a dropped unit.
//!
//! The probes read a dropped layer directly: their output layer is set to the identity with
//! zero bias, so in `f64` the output is the dropped layer's value exactly (each output is
//! `1 * y_i` plus exact zeros).

use nn::nalgebra::{SMatrix, SVector};
use nn::rand::{Rng, SeedableRng};
use nn::{gradcheck, network, GradCheck};
use rand_chacha::ChaCha8Rng;

/// The width of the probes' layers.
const N: usize = 48;

/// Training-mode calls averaged over in the statistical tests.
const CALLS: usize = 10_000;

/// How many standard errors a sample statistic may stray from its expectation. The
/// generators are seeded, so the tests are deterministic; a correct implementation exceeds 5
/// standard errors with probability 5.7e-7 per statistic (each is a mean of at least 10,000
/// independent draws, so about normal), below 1e-4 over the 74 statistics checked here, so a
/// failure means a biased mask and not bad luck. The mistakes they are there to catch are 50
/// or more standard errors off: see each assertion.
const SIGMAS: f64 = 5.0;

/// The relative error the gradient checks allow, as in `tests/gradients.rs`.
const TOLERANCE: f64 = 1e-6;

network! {
    /// Dropout after the activation, half of the units dropped in training.
    struct Half {
        input: 48,
        h: dense(48) -> relu -> dropout(0.5),
        out: dense(48),
        loss: mse,
    }
}

network! {
    /// Dropout on a line of its own, reading the line above; a fifth of the units dropped.
    struct Fifth {
        input: 48,
        h: dense(48) -> relu,
        d: dropout(0.2),
        out: dense(48),
        loss: mse,
    }
}

network! {
    /// The probes without dropout: the same layers, so the same parameter types.
    struct NoDropout {
        input: 48,
        h: dense(48) -> relu,
        out: dense(48),
        loss: mse,
    }
}

network! {
    /// A small network for gradients: dropout between a tanh layer and a linear output.
    struct Small {
        input: 3,
        h: dense(8) -> tanh -> dropout(0.5),
        out: dense(2),
        loss: mse,
    }
}

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

fn random<const R: usize, const C: usize>(rng: &mut impl Rng, scale: f64) -> SMatrix<f64, R, C> {
    SMatrix::from_fn(|_, _| rng.random_range(-scale..scale))
}

/// The probes' shared parameters: `h` seeded with biases of 0.3, so that most of its units
/// are positive for the input below; `out` the identity with zero bias.
fn probe_layers() -> NoDropout<f64> {
    let mut net = NoDropout::<f64>::seeded(17);
    net.h.bias.fill(0.3);
    net.out.weight = SMatrix::identity();
    net.out.bias.fill(0.0);
    net
}

fn half() -> Half<f64> {
    let layers = probe_layers();
    Half { h: layers.h, out: layers.out }
}

fn fifth() -> Fifth<f64> {
    let layers = probe_layers();
    Fifth { h: layers.h, out: layers.out }
}

fn probe_input() -> SVector<f64, N> {
    random(&mut rng(99), 1.0)
}

#[test]
fn training_outputs_follow_the_generator() {
    let (net, x) = (half(), probe_input());
    let a = net.forward_training(&x, &mut rng(1));
    assert_eq!(a, net.forward_training(&x, &mut rng(1)), "the same seed, the same masks");
    assert_ne!(a, net.forward_training(&x, &mut rng(2)), "another seed, other masks");

    // One generator advances from call to call: successive calls draw fresh masks.
    let mut shared = rng(1);
    let first = net.forward_training(&x, &mut shared);
    let second = net.forward_training(&x, &mut shared);
    assert_eq!(first, a);
    assert_ne!(first, second);

    // So do the training-mode losses and gradients.
    let t = SVector::<f64, N>::zeros();
    assert_eq!(net.loss_training(&x, &t, &mut rng(1)), net.loss_training(&x, &t, &mut rng(1)));
    assert_ne!(net.loss_training(&x, &t, &mut rng(1)), net.loss_training(&x, &t, &mut rng(2)));
    let (l1, g1) = net.loss_and_grad_training(&x, &t, &mut rng(1));
    let (l2, g2) = net.loss_and_grad_training(&x, &t, &mut rng(2));
    assert_eq!(l1, net.loss_training(&x, &t, &mut rng(1)));
    assert_ne!((l1, &g1), (l2, &g2));
    assert_eq!(g1, net.loss_and_grad_training(&x, &t, &mut rng(1)).1);

    // The line-of-its-own form too.
    let net = fifth();
    assert_eq!(net.forward_training(&x, &mut rng(1)), net.forward_training(&x, &mut rng(1)));
    assert_ne!(net.forward_training(&x, &mut rng(1)), net.forward_training(&x, &mut rng(2)));
}

#[test]
fn inference_outputs_are_those_of_the_network_without_dropout() {
    let plain = probe_layers();
    let x = probe_input();
    let t: SVector<f64, N> = random(&mut rng(5), 1.0);
    let xs: SMatrix<f64, N, 3> = random(&mut rng(6), 1.0);
    let ts: SMatrix<f64, N, 3> = random(&mut rng(7), 1.0);
    let expected = plain.forward(&x);
    // The probes' output is `h`'s, computed here from the fields: relu(W x + b).
    assert_eq!(expected, (plain.h.weight * x + plain.h.bias).map(|v| v.max(0.0)));
    let (loss, grad) = plain.loss_and_grad(&x, &t);
    let (batch_loss, batch_grad) = plain.loss_and_grad_batch(&xs, &ts);

    let net = half();
    // Training calls in between must not change what inference computes.
    let mut generator = rng(3);
    for _ in 0..3 {
        assert_eq!(net.forward(&x), expected);
        assert_ne!(net.forward_training(&x, &mut generator), expected);
    }
    assert_eq!(net.forward_batch(&xs), plain.forward_batch(&xs));
    assert_eq!(net.loss(&x, &t), plain.loss(&x, &t));
    assert_eq!(net.loss_batch(&xs, &ts), plain.loss_batch(&xs, &ts));
    let (l, g) = net.loss_and_grad(&x, &t);
    assert_eq!((l, &g.h, &g.out), (loss, &grad.h, &grad.out));
    let (l, g) = net.loss_and_grad_batch(&xs, &ts);
    assert_eq!((l, &g.h, &g.out), (batch_loss, &batch_grad.h, &batch_grad.out));

    let net = fifth();
    assert_eq!(net.forward(&x), expected);
    assert_eq!(net.forward(&x), expected);
    let (l, g) = net.loss_and_grad(&x, &t);
    assert_eq!((l, &g.h, &g.out), (loss, &grad.h, &grad.out));

    // A network without dropout ignores the generator in training mode and draws nothing.
    let mut generator = rng(3);
    let untouched = generator.clone();
    assert_eq!(plain.forward_training(&x, &mut generator), expected);
    assert_eq!(plain.loss_and_grad_training(&x, &t, &mut generator), (loss, grad));
    assert_eq!(generator, untouched);
}

/// What `CALLS` training-mode passes of a probe measured.
struct Measured {
    /// The mean over calls of the sum of the dropped layer's outputs.
    mean_sum: f64,
    /// Over all calls and positive units, the fraction dropped.
    dropped: f64,
    /// Per unit (`None` for units that are 0 in inference), the fraction of calls dropping it.
    dropped_per_unit: Vec<Option<f64>>,
    /// Over disjoint pairs of positive units, the fraction of pairs dropped together.
    pairs_dropped: f64,
}

/// Runs `CALLS` training-mode passes of a probe with inference output `a` and checks every
/// value is `0` or `a_i / (1 - p)`; returns the statistics of the masks.
fn measure(p: f64, a: &SVector<f64, N>, mut training: impl FnMut() -> SVector<f64, N>) -> Measured {
    let keep = 1.0 / (1.0 - p);
    let positive: Vec<usize> = (0..N).filter(|&i| a[i] > 0.0).collect();
    let mut sum = 0.0;
    let mut drops = [0_usize; N];
    let mut pairs = 0_usize;
    for _ in 0..CALLS {
        let y = training();
        for i in 0..N {
            assert!(y[i] == 0.0 || y[i] == a[i] * keep, "unit {i}: {} from {}", y[i], a[i]);
        }
        sum += y.sum();
        for &i in &positive {
            drops[i] += usize::from(y[i] == 0.0);
        }
        pairs += positive.chunks_exact(2).filter(|ij| y[ij[0]] == 0.0 && y[ij[1]] == 0.0).count();
    }
    let calls = CALLS as f64;
    Measured {
        mean_sum: sum / calls,
        dropped: positive.iter().map(|&i| drops[i]).sum::<usize>() as f64
            / (calls * positive.len() as f64),
        dropped_per_unit: (0..N)
            .map(|i| positive.contains(&i).then_some(drops[i] as f64 / calls))
            .collect(),
        pairs_dropped: pairs as f64 / (calls * (positive.len() / 2) as f64),
    }
}

/// Asserts the statistics of `CALLS` training passes of a probe whose dropout rate is `p`
/// and whose inference output is `a`.
fn assert_statistics(name: &str, p: f64, a: &SVector<f64, N>, m: &Measured) {
    let calls = CALLS as f64;
    let positive = a.iter().filter(|&&v| v > 0.0).count() as f64;
    assert!(positive >= N as f64 / 2.0, "{name}: only {positive} positive units");

    // The mean activation: each unit is a_i m_i with E[m_i] = 1 and Var[m_i] = p / (1 - p),
    // so the sum over units has mean sum(a) and variance p / (1 - p) sum(a^2). Without the
    // 1 / (1 - p) rescaling the mean would be (1 - p) sum(a), off by hundreds of errors.
    let expected = a.sum();
    let se_sum = (p / (1.0 - p) * a.norm_squared() / calls).sqrt();
    let z_sum = (m.mean_sum - expected) / se_sum;

    // The fraction dropped is binomial: over all positive units and calls, and per unit.
    // Dropping with probability 1 - p instead of p keeps the mean when the scale is 1 / p,
    // but not this fraction; a unit never (or always) dropped is 50 (p = 0.2) or 100
    // (p = 0.5) errors off.
    let se_dropped = (p * (1.0 - p) / (calls * positive)).sqrt();
    let z_dropped = (m.dropped - p) / se_dropped;
    let se_unit = (p * (1.0 - p) / calls).sqrt();
    let (worst_unit, z_unit) = m
        .dropped_per_unit
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.map(|f| (i, (f - p) / se_unit)))
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        .expect("positive units");

    // Independence: two units are dropped together with probability p^2. One draw shared by
    // a whole layer would drop them together with probability p.
    let pair_trials = calls * (positive / 2.0).floor();
    let se_pairs = (p * p * (1.0 - p * p) / pair_trials).sqrt();
    let z_pairs = (m.pairs_dropped - p * p) / se_pairs;

    println!(
        "{name} (p = {p}, {CALLS} calls, {positive} positive units): mean sum {:.4} vs {expected:.4} \
         ({z_sum:+.2} se, se {se_sum:.4}); dropped {:.5} ({z_dropped:+.2} se); worst unit {worst_unit} \
         {:.4} ({z_unit:+.2} se); pairs dropped {:.5} vs {:.5} ({z_pairs:+.2} se)",
        m.mean_sum,
        m.dropped,
        m.dropped_per_unit[worst_unit].unwrap_or(f64::NAN),
        m.pairs_dropped,
        p * p,
    );
    assert!(z_sum.abs() < SIGMAS, "{name}: mean sum {} vs {expected}", m.mean_sum);
    assert!(z_dropped.abs() < SIGMAS, "{name}: dropped {} vs {p}", m.dropped);
    assert!(z_unit.abs() < SIGMAS, "{name}: unit {worst_unit} is dropped {z_unit:+.2} se off p");
    assert!(z_pairs.abs() < SIGMAS, "{name}: pairs dropped {} vs {}", m.pairs_dropped, p * p);
}

#[test]
fn training_preserves_the_mean_activation_at_half() {
    let (net, x) = (half(), probe_input());
    let a = net.forward(&x);
    let mut generator = rng(2024);
    let measured = measure(0.5, &a, || net.forward_training(&x, &mut generator));
    assert_statistics("dropout(0.5) after relu", 0.5, &a, &measured);
}

#[test]
fn training_preserves_the_mean_activation_at_a_fifth() {
    let (net, x) = (fifth(), probe_input());
    let a = net.forward(&x);
    let mut generator = rng(2025);
    let measured = measure(0.2, &a, || net.forward_training(&x, &mut generator));
    assert_statistics("dropout(0.2) on its own line", 0.2, &a, &measured);
}

/// `Small` with biases away from zero, at a general point.
fn small() -> Small<f64> {
    let mut net = Small::<f64>::seeded(4);
    net.h.bias = random(&mut rng(8), 0.5);
    net.out.bias = random(&mut rng(9), 0.5);
    net
}

#[test]
fn no_gradient_reaches_weights_feeding_dropped_units() {
    let net = small();
    let x: SVector<f64, 3> = random(&mut rng(10), 1.5);
    let t: SVector<f64, 2> = random(&mut rng(11), 1.0);
    const SEED: u64 = 12;
    let (_, grad) = net.loss_and_grad_training(&x, &t, &mut rng(SEED));

    // The mask the network drew: `nn::dropout::mask` on the same generator, one draw per
    // unit in order.
    let mut mask = [0.0_f64; 8];
    nn::dropout::mask(&mut rng(SEED), 0.5, &mut mask);
    let dropped: Vec<usize> = (0..8).filter(|&j| mask[j] == 0.0).collect();
    assert!(!dropped.is_empty() && dropped.len() < 8, "seed {SEED} drops {dropped:?}");

    for (j, &m) in mask.iter().enumerate() {
        let into = grad.h.weight.row(j);
        let out_of = grad.out.weight.column(j);
        if m == 0.0 {
            // The unit's output is 0 (so the weights reading it get no gradient, which also
            // confirms the network drew this mask) and nothing flows back through it.
            assert!(into.iter().all(|&g| g == 0.0), "h.weight row {j}: {into}");
            assert_eq!(grad.h.bias[j], 0.0, "h.bias {j}");
            assert!(out_of.iter().all(|&g| g == 0.0), "out.weight column {j}: {out_of}");
        } else {
            assert!(into.iter().all(|&g| g != 0.0), "h.weight row {j}: {into}");
            assert_ne!(grad.h.bias[j], 0.0, "h.bias {j}");
            assert!(out_of.iter().all(|&g| g != 0.0), "out.weight column {j}: {out_of}");
        }
    }
    // In inference mode every unit has a gradient.
    let (_, all) = net.loss_and_grad(&x, &t);
    assert!(all.h.weight.iter().all(|&g| g != 0.0));
    assert!(all.out.weight.iter().all(|&g| g != 0.0));
    println!("seed {SEED} dropped units {dropped:?} of 8; their gradients are zero");
}

fn assert_passes(what: &str, report: GradCheck) {
    println!("{what}: {report}");
    assert_eq!(report.checked, 8 * 3 + 8 + 2 * 8 + 2, "{what}");
    assert!(report.worst_relative_error < TOLERANCE, "{what}: {report}");
}

#[test]
fn training_gradient_is_the_gradient_of_the_training_loss() {
    let net = small();
    let x: SVector<f64, 3> = random(&mut rng(13), 1.5);
    let t: SVector<f64, 2> = random(&mut rng(14), 1.0);
    for seed in [20, 21, 22] {
        // A re-seeded generator draws the same masks for every perturbed network, so the
        // training loss is a smooth function of the parameters to differentiate.
        let (loss, grad) = net.loss_and_grad_training(&x, &t, &mut rng(seed));
        assert_eq!(loss, net.loss_training(&x, &t, &mut rng(seed)));
        assert_ne!(loss, net.loss(&x, &t), "seed {seed}: the masks changed nothing");
        let report = gradcheck(&net, &grad, |n| n.loss_training(&x, &t, &mut rng(seed)));
        assert_passes(&format!("single sample, seed {seed}"), report);
    }
}

#[test]
fn batch_training_gradient_is_the_mean_over_samples_with_masks_of_their_own() {
    let net = small();
    let xs: SMatrix<f64, 3, 5> = random(&mut rng(15), 1.5);
    let ts: SMatrix<f64, 2, 5> = random(&mut rng(16), 1.0);
    // Samples in column order, each drawing its masks from the one generator in turn.
    let training_loss = |n: &Small<f64>| {
        let mut generator = rng(30);
        let total: f64 = (0..5)
            .map(|j| {
                let (x, t) = (xs.column(j).into_owned(), ts.column(j).into_owned());
                n.loss_training(&x, &t, &mut generator)
            })
            .sum();
        total / 5.0
    };
    let (loss, grad) = net.loss_and_grad_batch_training(&xs, &ts, &mut rng(30));
    assert!((loss - training_loss(&net)).abs() < 1e-15, "{loss} vs {}", training_loss(&net));
    assert_ne!(loss, net.loss_batch(&xs, &ts));
    assert_passes("batch of 5", gradcheck(&net, &grad, training_loss));
}
