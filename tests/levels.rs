//! The vector-unit levels in `f32`: at every level the CPU has (`nn::simd::available`), a
//! network wide enough for the kernels gives what the baseline level gives, to within `F32`
//! relative to the largest magnitude of the compared values (or 1), on every call path; and
//! the baseline's `f32` agrees with the same network in `f64`.
//!
//! `f64` needs no test here: the differential harness (tests/paths.rs) runs at every level and
//! requires `f64` results to be identical bit for bit.

use nn::nalgebra::{SMatrix, SVector};
use nn::rand::{Rng, SeedableRng};
use nn::simd::{self, Level};
use nn::{network, Float, Network};
use rand_chacha::ChaCha8Rng;

/// How far a wider level may be from the baseline in `f32`: products accumulate with fused
/// multiply-adds in another order, and `tanh`, the logistic function and `exp` are the vector
/// forms of `nn::simd::math`, each within a few units in the last place.
const F32: f64 = 2e-5;

network! {
    /// W4's shape, shortened, and a softmax head: every kernel and every vector activation.
    struct Wide {
        input: 21,
        t1: dense(32) -> tanh,
        t2: dense(32) -> tanh,
        s: dense(19) -> sigmoid,
        r: dense(40) -> relu,
        l: dense(24) -> leaky_relu(0.1),
        i: dense(17),
        out: dense(10) -> softmax,
        loss: cross_entropy,
    }
}

/// The same deterministic parameters in any precision.
fn network<T: Float>() -> Wide<T> {
    let mut net = Wide::<T>::zeros();
    let mut k = 0usize;
    net.visit_mut(&mut |p| {
        let scale = 1.0 / (p.shape.1 as f64).sqrt();
        for v in p.values.iter_mut() {
            k += 1;
            *v = T::lit(scale * (((k * 7919) % 2001) as f64 / 1000.0 - 1.0));
        }
    });
    net
}

fn data<T: Float, const B: usize>() -> (SMatrix<T, 21, B>, SMatrix<T, 10, B>) {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let xs = SMatrix::<T, 21, B>::from_fn(|_, _| T::lit(rng.random_range(-2.0..2.0)));
    let mut ys = SMatrix::<T, 10, B>::zeros();
    for mut y in ys.column_iter_mut() {
        y[rng.random_range(0..10)] = T::one();
    }
    (xs, ys)
}

/// Every number the call paths give, in one list: per-sample forward, loss, gradient, `jvp`,
/// `vjp`; batched forward, loss and gradient (16 samples: the batched path).
fn everything<T: Float>(net: &Wide<T>) -> Vec<f64> {
    let (xs, ys) = data::<T, 16>();
    let mut out = Vec::new();
    let mut push = |v: &[T]| out.extend(v.iter().map(|v| v.as_f64()));
    for j in 0..4 {
        let (x, y): (SVector<T, 21>, SVector<T, 10>) = (xs.column(j).into(), ys.column(j).into());
        push(net.forward(&x).as_slice());
        let (loss, grad) = net.loss_and_grad(&x, &y);
        push(&[loss]);
        grad.visit(&mut |p| push(p.values));
        push(net.jvp(&x, &x).1.as_slice());
        push(net.vjp(&x, &y).as_slice());
    }
    push(net.forward_batch(&xs).as_slice());
    let (loss, grad) = net.loss_and_grad_batch(&xs, &ys);
    push(&[loss]);
    grad.visit(&mut |p| push(p.values));
    out
}

/// The largest `|a - b| / max(|a|, |b|, 1)` over two lists, with its index.
fn worst(a: &[f64], b: &[f64]) -> (f64, usize) {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).enumerate().fold((0.0, 0), |(w, at), (i, (&a, &b))| {
        let d = (a - b).abs() / a.abs().max(b.abs()).max(1.0);
        if d > w || d.is_nan() {
            (d, i)
        } else {
            (w, at)
        }
    })
}

#[test]
fn every_level_gives_the_baseline_numbers_in_f32() {
    let net = network::<f32>();
    let baseline = simd::with_level(Level::Baseline, || everything(&net)).unwrap();
    assert!(baseline.iter().all(|v| v.is_finite()));
    for level in simd::available() {
        let at_level = simd::with_level(level, || {
            assert_eq!(simd::level(), level);
            everything(&net)
        })
        .unwrap();
        let (w, at) = worst(&baseline, &at_level);
        assert!(
            w <= F32,
            "{level}: value {at} is {} against {} at the baseline ({w:e} apart)",
            at_level[at],
            baseline[at]
        );
    }
}

#[test]
fn f32_at_every_level_agrees_with_f64() {
    let reference = simd::with_level(Level::Baseline, || everything(&network::<f64>())).unwrap();
    for level in simd::available() {
        let single = simd::with_level(level, || everything(&network::<f32>())).unwrap();
        let (w, at) = worst(&reference, &single);
        // f32's own rounding over a few hundred terms per product.
        assert!(
            w <= 1e-4,
            "{level}: value {at} is {} in f32 against {} in f64",
            single[at],
            reference[at]
        );
    }
}

#[test]
fn levels_the_cpu_lacks_are_refused_and_the_override_is_per_thread() {
    for level in Level::ALL {
        let ran = simd::with_level(level, simd::level);
        if level.is_available() {
            assert_eq!(ran, Ok(level));
        } else {
            assert_eq!(ran, Err(simd::UnavailableLevel(level)));
        }
    }
    let outer = simd::level();
    simd::with_level(Level::Baseline, || {
        let other = std::thread::spawn(simd::level).join().unwrap();
        assert_eq!(other, simd::process_level(), "another thread keeps the process level");
        assert_eq!(simd::level(), Level::Baseline);
    })
    .unwrap();
    assert_eq!(simd::level(), outer, "the level is restored after the closure");
    assert_eq!(Level::from_name("AVX2"), Some(Level::Avx2));
    assert_eq!(Level::from_name("sse9"), None);
}
