//! `rnn`, `lstm` and `gru` against an independent reference: JAX in float64, from PyTorch's
//! equations, with gradients by JAX's automatic differentiation
//! (`tests/fixtures/make_recurrent_fixtures.py`). PyTorch-named state dicts load unchanged and
//! reproduce the reference's outputs, loss, every parameter gradient and the input gradient
//! to 1e-10.

use std::collections::HashMap;

use nn::nalgebra::SVector;
use nn::{network, Network};

network! {
    /// `nn.RNN(3, 4)` (every state) into `nn.RNN(4, 5)` (the last) into `nn.Linear(5, 2)`.
    struct Elman {
        input: 3 x 4,
        first: rnn_sequence(4) -> tanh,
        second: rnn(5) -> tanh,
        out: dense(2),
        loss: mse,
    }
}

network! {
    /// The same with `nn.LSTM`.
    struct Long {
        input: 3 x 4,
        first: lstm_sequence(4),
        second: lstm(5),
        out: dense(2),
        loss: mse,
    }
}

network! {
    /// The same with `nn.GRU`.
    struct Gated {
        input: 3 x 4,
        first: gru_sequence(4),
        second: gru(5),
        out: dense(2),
        loss: mse,
    }
}

/// The reference values of one cell's network, by name (matrices row-major).
fn reference(cell: &str) -> HashMap<String, Vec<f64>> {
    let text = std::fs::read_to_string("tests/fixtures/recurrent_reference.txt").unwrap();
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next()? == cell).then(|| {
                let name = words.next().unwrap().to_string();
                (name, words.map(|w| w.parse().unwrap()).collect())
            })
        })
        .collect()
}

fn assert_close(what: &str, ours: &[f64], theirs: &[f64]) {
    assert_eq!(ours.len(), theirs.len(), "{what}");
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        assert!((a - b).abs() <= 1e-10 * b.abs().max(1.0), "{what}[{i}]: {a} vs {b}");
    }
}

fn check<N: Network<f64>>(cell: &str, net: N, run: impl Fn(&N, &[f64], &[f64]) -> Outcome<N>) {
    let reference = reference(cell);
    let outcome = run(&net, &reference["input"], &reference["target"]);
    assert_close(&format!("{cell} output"), &outcome.output, &reference["output"]);
    assert_close(&format!("{cell} loss"), &[outcome.loss], &reference["loss"]);
    assert_close(&format!("{cell} input gradient"), &outcome.d_x, &reference["grad.input"]);
    let mut count = 0;
    outcome.grad.visit(&mut |p| {
        let (rows, cols) = p.shape;
        // Ours are column-major, the reference row-major as PyTorch stores them.
        let row_major: Vec<f64> =
            (0..rows * cols).map(|k| p.values[(k % cols) * rows + k / cols]).collect();
        assert_close(
            &format!("{cell} gradient of {}", p.name),
            &row_major,
            &reference[&format!("grad.{}", p.name)],
        );
        count += 1;
    });
    assert_eq!(count, 10, "every tensor of the state dict has its gradient checked");
}

struct Outcome<N> {
    output: Vec<f64>,
    loss: f64,
    grad: N,
    d_x: Vec<f64>,
}

macro_rules! run {
    ($net:ident) => {
        |net: &$net<f64>, x: &[f64], y: &[f64]| {
            let x = SVector::<f64, 12>::from_column_slice(x);
            let y = SVector::<f64, 2>::from_column_slice(y);
            let (loss, grad, d_x) = net.loss_and_grad_input(&x, &y);
            Outcome {
                output: net.forward(&x).as_slice().to_vec(),
                loss,
                grad,
                d_x: d_x.as_slice().to_vec(),
            }
        }
    };
}

fn loaded<N: Network<f64>>(cell: &str) -> N {
    let mut net = N::zeros();
    nn::io::load_safetensors(&mut net, format!("tests/fixtures/{cell}_state_dict.safetensors"))
        .unwrap_or_else(|e| panic!("{cell}: {e}"));
    net
}

#[test]
fn an_rnn_state_dict_reproduces_the_reference() {
    check("rnn", loaded::<Elman<f64>>("rnn"), run!(Elman));
}

#[test]
fn an_lstm_state_dict_reproduces_the_reference() {
    check("lstm", loaded::<Long<f64>>("lstm"), run!(Long));
}

#[test]
fn a_gru_state_dict_reproduces_the_reference() {
    check("gru", loaded::<Gated<f64>>("gru"), run!(Gated));
}

/// A network saves the names and shapes it loads: the file written back is the one read.
#[test]
fn the_state_dicts_round_trip() {
    let net: Long<f64> = loaded("lstm");
    let mut again = Long::<f64>::zeros();
    nn::io::from_safetensors_bytes(&mut again, &nn::io::to_safetensors_bytes(&net)).unwrap();
    assert_eq!(again, net);
    assert_eq!(net.first.weight_ih.shape(), (16, 3));
    assert_eq!(net.second.weight_hh.shape(), (20, 5));
}
