//! Two threads on one network (`nn::kernels::with_threads`, the `_parallel` calls, the
//! `Trainer`'s `threads`): every batched product is split between the threads by the columns
//! it writes, so the results must be the one-thread results bit for bit, in `f32` and `f64`,
//! at every vector-unit level, for the forward pass, the loss and every gradient entry. The
//! network is wide enough, and the batch large enough, that most layers' products are split.
//!
//! Without the `parallel` feature `with_threads` changes nothing and the test holds trivially;
//! CI runs it with every feature.

use nn::nalgebra::SMatrix;
use nn::simd;
use nn::{network, Float, Network};

network! {
    /// Layers wide enough that most products are split (at least half a million
    /// multiply-adds at this batch), every activation with a vector form, and a concat so that
    /// a layer reads two others.
    struct Split {
        input: 256,
        a: dense(256) -> relu,
        b: dense(64) -> tanh,
        c: a -> dense(40) -> sigmoid,
        d: concat(b, c) -> dense(72) -> leaky_relu(0.1),
        e: dense(33),
        out: dense(10) -> softmax,
        loss: cross_entropy,
    }
}

/// Batches below, at and above a multiple of every tile width, odd ones to split unevenly.
const BATCH: usize = 77;

fn data<T: Float>() -> (SMatrix<T, 256, BATCH>, SMatrix<T, 10, BATCH>) {
    let xs = SMatrix::from_fn(|i, j| T::lit((((i * 31 + j * 17) % 23) as f64 / 11.0 - 1.0) * 0.8));
    let ys = SMatrix::from_fn(|i, j| if i == j % 10 { T::one() } else { T::zero() });
    (xs, ys)
}

/// Forward outputs, loss and every gradient entry, on the calling thread's settings.
fn everything<T: Float>(net: &Split<T>) -> Vec<T> {
    let (xs, ys) = data::<T>();
    let mut out: Vec<T> = net.forward_batch(&xs).as_slice().to_vec();
    let (loss, grad) = net.loss_and_grad_batch(&xs, &ys);
    out.push(loss);
    grad.visit(&mut |p| out.extend_from_slice(p.values));
    out
}

fn same_on_two_threads<T: Float>() {
    let net = Split::<T>::seeded(11);
    for level in simd::available() {
        let one =
            simd::with_level(level, || nn::kernels::with_threads(1, || everything(&net))).unwrap();
        let two =
            simd::with_level(level, || nn::kernels::with_threads(2, || everything(&net))).unwrap();
        assert_eq!(one.len(), two.len());
        let differ = one.iter().zip(&two).filter(|(a, b)| a.to_bits_u64() != b.to_bits_u64());
        assert_eq!(differ.count(), 0, "{} at {level}: two threads changed the numbers", T::NAME);
        assert!(one.iter().all(|v| v.is_finite()));
    }
}

/// Bit patterns, so that the comparison is exact and NaN-safe.
trait Bits {
    fn to_bits_u64(self) -> u64;
}

impl<T: Float> Bits for T {
    fn to_bits_u64(self) -> u64 {
        self.as_f64().to_bits()
    }
}

#[test]
fn two_threads_give_the_one_thread_numbers_bit_for_bit() {
    same_on_two_threads::<f32>();
    same_on_two_threads::<f64>();
}

#[test]
fn the_parallel_calls_are_the_batched_calls_on_two_threads() {
    let net = Split::<f64>::seeded(5);
    let (xs, ys) = data::<f64>();
    let (loss, grad) = net.loss_and_grad_batch(&xs, &ys);
    let (parallel, parallel_grad) = net.loss_and_grad_batch_parallel(&xs, &ys);
    assert_eq!(loss.to_bits(), parallel.to_bits());
    assert_eq!(grad, parallel_grad);
    // The `f64` batched path against the per-sample code (the differential harness's check,
    // here on products large enough to be split).
    let mut reference = Split::<f64>::zeros();
    let mut total = 0.0;
    for j in 0..BATCH {
        let (l, g) = net.loss_and_grad(&xs.column(j).into_owned(), &ys.column(j).into_owned());
        total += l;
        nn::axpy(1.0 / BATCH as f64, &g, &mut reference);
    }
    assert!((total / BATCH as f64 - parallel).abs() < 1e-12);
    let mut worst = 0.0_f64;
    let mut expected = Vec::new();
    reference.visit(&mut |p| expected.extend_from_slice(p.values));
    let mut got = Vec::new();
    parallel_grad.visit(&mut |p| got.extend_from_slice(p.values));
    for (a, b) in got.iter().zip(&expected) {
        worst = worst.max((a - b).abs());
    }
    assert!(worst < 1e-12, "the two-thread gradient is {worst} from the per-sample one");
}

#[test]
fn the_trainer_on_two_threads_trains_the_same_network() {
    // Batches of 32 samples: every product of `Split` is large enough to be split.
    let (xs, ys) = data::<f32>();
    let inputs = (0..BATCH).map(|j| xs.column(j).into_owned()).collect();
    let targets = (0..BATCH).map(|j| ys.column(j).into_owned()).collect();
    let train = nn::Dataset::new(inputs, targets).unwrap();
    let run = |threads: usize| {
        let mut net = Split::<f32>::seeded(2);
        let history = nn::Trainer::<f32, 32>::new(3)
            .progress(false)
            .threads(threads)
            .fit(&mut net, &mut nn::Sgd::new(0.05), &train, None)
            .unwrap();
        (net, history.epochs.iter().map(|e| e.train_loss).collect::<Vec<_>>())
    };
    let (one, one_losses) = run(1);
    let (two, two_losses) = run(2);
    assert_eq!(one_losses, two_losses);
    assert_eq!(one, two);
    assert_ne!(one, Split::<f32>::seeded(2), "training left the network unchanged");
}
