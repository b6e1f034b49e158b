//! The networks the ONNX tests export and import: every layer kind and activation, with
//! weights moved off their initial values so that a bias or slope written in the wrong place
//! shows. `fixtures()` gives each with the file name of its committed export under
//! tests/fixtures/onnx/, which tests/onnx_import.rs compiles back with `onnx_network!`.
#![allow(dead_code)]

use nn::nalgebra::{SMatrix, SVector};
use nn::rand::{Rng, SeedableRng};
use nn::{network, Network};
use rand_chacha::ChaCha8Rng;

/// Perturbs every parameter by up to 0.3, from a generator seeded with `seed`.
pub fn jiggled<N: Network<f32>>(mut net: N, seed: u64) -> N {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    net.visit_mut(&mut |p| {
        p.values.iter_mut().for_each(|v| *v += 0.3 * rng.random_range(-1.0..1.0))
    });
    net
}

/// Each network as its committed fixture holds it.
pub fn activations1() -> Activations1 {
    jiggled(Activations1::seeded(1), 11)
}
pub fn activations2() -> Activations2 {
    jiggled(Activations2::seeded(2), 12)
}
pub fn learnable() -> Learnable {
    jiggled(Learnable::seeded(3), 13)
}
pub fn graphy() -> Graphy {
    jiggled(Graphy::seeded(4), 14)
}
pub fn elman() -> Elman {
    jiggled(Elman::seeded(5), 15)
}
pub fn elman_relu() -> ElmanRelu {
    jiggled(ElmanRelu::seeded(9), 19)
}
pub fn gated() -> Gated {
    jiggled(Gated::seeded(6), 16)
}
pub fn gated_gru() -> GatedGru {
    jiggled(GatedGru::seeded(7), 17)
}
pub fn graph() -> Graph {
    jiggled(Graph::seeded(8), 18)
}

/// A fixture: its file name, the bytes the export writes now, and `forward`'s outputs on
/// four inputs (one sample a line, the inputs then the outputs) for the ONNX Runtime check.
pub struct Fixture {
    pub name: &'static str,
    pub bytes: Vec<u8>,
    pub outputs: String,
}

fn fixture<N, const I: usize, const O: usize>(
    name: &'static str,
    net: N,
    input: fn(&mut ChaCha8Rng) -> SVector<f32, I>,
) -> Fixture
where
    N: nn::Model<f32, I, O> + nn::architecture::Described,
{
    let bytes = nn::onnx::to_onnx_bytes(&net).expect("the network exports");
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let mut outputs =
        format!("# {name}: inputs ({I}) then nn's outputs ({O}), one sample a line\n");
    for _ in 0..4 {
        let x = input(&mut rng);
        let y = net.forward(&x);
        let values: Vec<String> = x.iter().chain(y.iter()).map(|v| format!("{v:.9e}")).collect();
        outputs += &(values.join(" ") + "\n");
    }
    Fixture { name, bytes, outputs }
}

/// Every fixture, as the export writes it now.
pub fn fixtures() -> Vec<Fixture> {
    vec![
        fixture("activations1", activations1(), uniform::<6>),
        fixture("activations2", activations2(), uniform::<6>),
        fixture("learnable", learnable(), uniform::<4>),
        fixture("graphy", graphy(), uniform::<5>),
        fixture("elman", elman(), uniform::<12>),
        fixture("elman_relu", elman_relu(), uniform::<6>),
        fixture("gated", gated(), uniform::<15>),
        fixture("gated_gru", gated_gru(), uniform::<15>),
        fixture("graph", graph(), graph_sample),
    ]
}

/// Uniform inputs in [-3, 3].
pub fn uniform<const I: usize>(rng: &mut ChaCha8Rng) -> SVector<f32, I> {
    SVector::from_fn(|_, _| rng.random_range(-3.0..3.0))
}

/// A random graph input: features in `[-1, 1]`, a symmetric adjacency with weights on
/// about half the pairs.
pub fn graph_sample(rng: &mut ChaCha8Rng) -> SVector<f32, 40> {
    let features = SMatrix::<f32, 3, 5>::from_fn(|_, _| rng.random_range(-1.0..1.0));
    let mut a = SMatrix::<f32, 5, 5>::zeros();
    for i in 0..5 {
        for j in 0..i {
            if rng.random::<bool>() {
                let w = rng.random_range(0.5..1.5);
                a[(i, j)] = w;
                a[(j, i)] = w;
            }
        }
    }
    nn::graph::graph_input(&features, &a).unwrap()
}

network! {
    pub struct Activations1 {
        input: 6,
        a: dense(7) -> sigmoid,
        b: dense(7) -> tanh,
        c: dense(7) -> hard_logistic,
        d: dense(7) -> hard_tanh,
        e: dense(7) -> relu,
        f: dense(7) -> leaky_relu(0.1),
        g: dense(7) -> elu(0.7),
        h: dense(7) -> softplus,
        out: dense(3),
        loss: mse,
    }
}

network! {
    pub struct Activations2 {
        input: 6,
        a: dense(7) -> swish(1.5),
        b: dense(7) -> gelu,
        c: dense(7) -> gelu_tanh,
        d: dense(7) -> gelu_sigmoid,
        e: dense(7) -> hard_sigmoid_pytorch,
        f: dense(7) -> hard_sigmoid_onnx,
        g: dense(7) -> identity,
        out: dense(3) -> softmax,
        loss: cross_entropy,
    }
}

network! {
    pub struct Learnable {
        input: 4,
        a: dense(6) -> prelu(0.2),
        b: dense(6) -> prelu_shared,
        c: dense(6) -> swish_learnable(1.2),
        out: dense(2, bias = false) -> sigmoid,
        loss: binary_cross_entropy,
        l2: 0.001,
    }
}

network! {
    pub struct Graphy {
        input: 5,
        a: dense(4) -> tanh -> dropout(0.3),
        b: input -> maxout(4, 3),
        s: a + b -> relu,
        t: a + b + s,
        c: concat(input, s, t),
        d: c -> dropout(0.5),
        copy: d,
        out: dense(3) -> softmax,
        loss: cross_entropy,
    }
}

network! {
    pub struct Elman {
        input: 3 x 4,
        seq: rnn_sequence(5) -> tanh,
        last: rnn(4) -> tanh,
        out: dense(2),
        loss: mse,
    }
}

network! {
    /// `rnn` lines with the other activations ONNX's `RNN` names.
    pub struct ElmanRelu {
        input: 2 x 3,
        seq: rnn_sequence(4) -> relu,
        mid: rnn_sequence(3) -> leaky_relu(0.1),
        last: rnn(3) -> sigmoid,
        out: dense(1),
        loss: mse,
    }
}

network! {
    pub struct Gated {
        input: 3 x 5,
        seq: lstm_sequence(4),
        last: lstm(3),
        out: dense(2),
        loss: mse,
    }
}

network! {
    pub struct GatedGru {
        input: 3 x 5,
        seq: gru_sequence(4),
        last: gru(3) -> dropout(0.1),
        out: dense(2) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

network! {
    pub struct Graph {
        input: graph(5, 3),
        first: graph_conv(4) -> tanh,
        second: graph_conv(3) -> relu,
        mean: mean_nodes,
        sum: second -> sum_nodes -> tanh,
        out: concat(mean, sum) -> dense(2) -> softmax,
        loss: cross_entropy,
    }
}
