//! Predictions over any number of samples: full compile-time batches plus a remainder, equal
//! to the per-sample forward pass for every length, from a slice or an iterator.

#![deny(warnings)]

use nn::nalgebra::SVector;
use nn::predict::{predict, predict_into, LengthError, Predictions};
use nn::{network, Model};

network! {
    struct Net {
        input: 3,
        hidden: dense(16) -> tanh,
        output: dense(2) -> softmax,
        loss: cross_entropy,
    }
}

fn inputs(n: usize) -> Vec<SVector<f64, 3>> {
    (0..n).map(|i| SVector::from_fn(|k, _| ((i * 3 + k) as f64 * 0.37).sin())).collect()
}

/// Each output against the per-sample forward pass (the batched kernels agree to rounding).
fn assert_matches_forward(net: &Net<f64>, xs: &[SVector<f64, 3>], ys: &[SVector<f64, 2>]) {
    assert_eq!(xs.len(), ys.len());
    for (i, (x, y)) in xs.iter().zip(ys).enumerate() {
        let expected = Model::forward(net, x);
        assert!((expected - y).norm() < 1e-12, "sample {i}: {y} vs {expected}");
    }
}

#[test]
fn every_length_gives_the_forward_pass_of_every_sample() {
    let net = Net::<f64>::seeded(1);
    for n in [0, 1, 7, 8, 9, 16, 35] {
        let xs = inputs(n);
        let ys = predict::<f64, Net<f64>, 3, 2, 8>(&net, &xs);
        assert_matches_forward(&net, &xs, &ys);
        let mut buffer = vec![SVector::from([f64::NAN; 2]); n];
        predict_into::<f64, Net<f64>, 3, 2, 8>(&net, &xs, &mut buffer).unwrap();
        assert_eq!(buffer, ys);
        let streamed: Vec<_> = Predictions::<_, _, _, 3, 2, 8>::new(&net, xs.clone()).collect();
        assert_eq!(streamed, ys);
        // Batches of one and of zero are per-sample.
        assert_eq!(predict::<f64, Net<f64>, 3, 2, 1>(&net, &xs), ys);
        assert_eq!(predict::<f64, Net<f64>, 3, 2, 0>(&net, &xs), ys);
    }
}

#[test]
fn an_output_buffer_of_another_length_is_an_error_and_untouched() {
    let net = Net::<f64>::seeded(1);
    let xs = inputs(5);
    let mut short = vec![SVector::<f64, 2>::zeros(); 4];
    let error = predict_into::<f64, Net<f64>, 3, 2, 4>(&net, &xs, &mut short).unwrap_err();
    assert_eq!(error, LengthError { inputs: 5, outputs: 4 });
    assert_eq!(
        error.to_string(),
        "expected one output slot for each input, found 5 inputs and 4 outputs"
    );
    assert!(short.iter().all(|y| *y == SVector::<f64, 2>::zeros()));
}

#[test]
fn the_iterator_reads_lazily_and_knows_its_length() {
    let net = Net::<f64>::seeded(2);
    let xs = inputs(20);
    let mut it = Predictions::<_, _, _, 3, 2, 8>::new(&net, xs.iter().copied());
    assert_eq!(it.size_hint(), (20, Some(20)));
    let first = it.next().unwrap();
    assert_eq!(it.size_hint(), (19, Some(19)));
    assert!((first - Model::forward(&net, &xs[0])).norm() < 1e-12);
    assert_eq!(it.count(), 19);
}
