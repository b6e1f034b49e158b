//! Streaming (`stream: NetState`): `step` after `t` steps equals `forward` of the same
//! network declared over `t` steps with the same weights, for every `t`, and past the
//! declared length of the streaming network's own input.

use nn::nalgebra::{DVector, SVector};
use nn::rand::{Rng, SeedableRng};
use nn::{network, Network};
use rand_chacha::ChaCha8Rng;

/// An LSTM's last state into a dense output: the amp model's shape.
macro_rules! amp {
    ($name:ident, $steps:tt $(, $state:ident)?) => {
        network! {
            struct $name {
                input: 1 x $steps,
                memory: lstm(6),
                out: dense(1),
                loss: mse,
                $(stream: $state,)?
            }
        }
    };
}

amp!(Amp, 4, AmpState);
amp!(Amp1, 1);
amp!(Amp2, 2);
amp!(Amp3, 3);
amp!(Amp4, 4);
amp!(Amp5, 5);
amp!(Amp6, 6);
amp!(Amp7, 7);
amp!(Amp8, 8);

/// Every kind of line a streaming network may hold: stacked recurrent layers of the three
/// cells (every state of one read by the next), dropout between them, the last states of two
/// layers summed and concatenated, maxout and learnable activations after them.
macro_rules! deep {
    ($name:ident, $steps:tt $(, $state:ident)?) => {
        network! {
            struct $name {
                input: 2 x $steps,
                first: gru_sequence(4) -> dropout(0.3),
                second: rnn_sequence(5) -> tanh,
                third: lstm(3) -> dropout(0.2),
                other: first -> lstm(3),
                elman: second -> rnn(3) -> sigmoid,
                sum: third + other,
                both: concat(sum, elman, third) -> maxout(4, 2) -> prelu,
                out: dense(3) -> softmax,
                loss: cross_entropy,
                $(stream: $state,)?
            }
        }
    };
}

deep!(Deep, 3, DeepState);
deep!(Deep1, 1);
deep!(Deep2, 2);
deep!(Deep3, 3);
deep!(Deep4, 4);
deep!(Deep5, 5);
deep!(Deep6, 6);

/// `to` with every parameter of `from`, tensor by tensor in visiting order (the two differ
/// only in the number of steps, which no tensor depends on).
fn copied<A: Network<f64>, B: Network<f64>>(from: &A, mut to: B) -> B {
    let mut values = Vec::new();
    from.visit(&mut |p| values.push((p.name, p.values.to_vec())));
    let mut tensors = values.into_iter();
    to.visit_mut(&mut |p| {
        let (name, values) = tensors.next().expect("the same tensors");
        assert_eq!(name, p.name);
        p.values.copy_from_slice(&values);
    });
    to
}

fn jiggled<N: Network<f64>>(mut net: N, rng: &mut impl Rng) -> N {
    net.visit_mut(&mut |p| {
        p.values.iter_mut().for_each(|v| *v += 0.3 * (2.0 * rng.random::<f64>() - 1.0))
    });
    net
}

/// The first `S` steps of `xs` (each step `W` values) as one input vector.
fn first<const N: usize>(xs: &DVector<f64>) -> SVector<f64, N> {
    SVector::from_column_slice(&xs.as_slice()[..N])
}

fn assert_close(t: usize, step: &[f64], forward: &[f64]) {
    for (a, b) in step.iter().zip(forward) {
        assert!((a - b).abs() <= 1e-12, "step {t}: {step:?} vs forward {forward:?}");
    }
}

#[test]
fn step_equals_forward_over_the_steps_so_far() {
    let mut rng = ChaCha8Rng::seed_from_u64(61);
    for _ in 0..5 {
        let net = jiggled(Amp::<f64>::seeded(rng.random()), &mut rng);
        let xs = DVector::from_fn(8, |_, _| 2.0 * rng.random::<f64>() - 1.0);
        let forwards: [Vec<f64>; 8] = [
            copied(&net, Amp1::zeros()).forward(&first(&xs)).as_slice().to_vec(),
            copied(&net, Amp2::zeros()).forward(&first(&xs)).as_slice().to_vec(),
            copied(&net, Amp3::zeros()).forward(&first(&xs)).as_slice().to_vec(),
            copied(&net, Amp4::zeros()).forward(&first(&xs)).as_slice().to_vec(),
            copied(&net, Amp5::zeros()).forward(&first(&xs)).as_slice().to_vec(),
            copied(&net, Amp6::zeros()).forward(&first(&xs)).as_slice().to_vec(),
            copied(&net, Amp7::zeros()).forward(&first(&xs)).as_slice().to_vec(),
            copied(&net, Amp8::zeros()).forward(&first(&xs)).as_slice().to_vec(),
        ];
        // Twice: `reset` gives back the state before the first step.
        let mut state = AmpState::new();
        for _ in 0..2 {
            for (t, forward) in forwards.iter().enumerate() {
                let y = net.step(&mut state, &SVector::from([xs[t]]));
                assert_close(t + 1, y.as_slice(), forward);
            }
            state.reset();
            assert_eq!(state, AmpState::default());
        }
        // The declared length's forward is the fourth step's output.
        assert_eq!(net.forward(&first(&xs)).as_slice(), &forwards[3][..]);
    }
}

#[test]
fn every_kind_of_streaming_line_equals_forward() {
    let mut rng = ChaCha8Rng::seed_from_u64(62);
    for _ in 0..5 {
        let net = jiggled(Deep::<f64>::seeded(rng.random()), &mut rng);
        let xs = DVector::from_fn(12, |_, _| 2.0 * rng.random::<f64>() - 1.0);
        let forwards: [Vec<f64>; 6] = [
            copied(&net, Deep1::zeros()).forward(&first(&xs)).as_slice().to_vec(),
            copied(&net, Deep2::zeros()).forward(&first(&xs)).as_slice().to_vec(),
            copied(&net, Deep3::zeros()).forward(&first(&xs)).as_slice().to_vec(),
            copied(&net, Deep4::zeros()).forward(&first(&xs)).as_slice().to_vec(),
            copied(&net, Deep5::zeros()).forward(&first(&xs)).as_slice().to_vec(),
            copied(&net, Deep6::zeros()).forward(&first(&xs)).as_slice().to_vec(),
        ];
        let mut state = DeepState::<f64>::new();
        for (t, forward) in forwards.iter().enumerate() {
            let x = SVector::from([xs[2 * t], xs[2 * t + 1]]);
            let y = net.step(&mut state, &x);
            assert_close(t + 1, y.as_slice(), forward);
        }
        // The states are the lines' last states: `third`'s is what `forward` computes.
        assert!(state.third.c.norm() > 0.0 && state.second.c.norm() == 0.0);
    }
}

#[test]
fn a_streaming_network_runs_any_number_of_steps_in_f32() {
    let net = Amp::<f32>::seeded(3);
    let mut state = AmpState::<f32>::new();
    let mut y = SVector::zeros();
    for t in 0..100_000 {
        y = net.step(&mut state, &SVector::from([(t as f32 * 0.01).sin()]));
    }
    assert!(y[0].is_finite() && state.memory.h.iter().all(|h| h.abs() < 1.0));
}
