//! Initialisation and data of WORKLOADS.md section 1: weights and biases from
//! `U(-1/sqrt(in), 1/sqrt(in))`, one `N(0, 1)` input batch, label sets A and B.

use nn::nalgebra::SMatrix;
use nn::{Network, ParamKind};
use rand::Rng;

/// Draws every weight and bias of `net` from `U(-1/sqrt(in), 1/sqrt(in))`, `in` being the
/// fan-in of its layer.
///
/// The visitor gives a layer's weight, of shape `(OUT, IN)`, before its bias, so a bias takes
/// the fan-in of the weight visited just before it (its name is checked to be of the same
/// layer). The workloads' networks have no activation parameters.
pub fn init_uniform_fan_in<N: Network<f32>>(net: &mut N, rng: &mut impl Rng) {
    let mut layer = "";
    let mut fan_in = 0_usize;
    net.visit_mut(&mut |p| {
        let (owner, _) = p.name.rsplit_once('.').expect("parameter names are `layer.tensor`");
        match p.kind {
            ParamKind::Weight => {
                layer = owner;
                fan_in = p.shape.1;
            }
            ParamKind::Bias => {
                assert_eq!(owner, layer, "{}: a bias follows its layer's weight", p.name)
            }
            ParamKind::Activation => panic!("{}: the workloads have no such parameter", p.name),
        }
        let bound = 1.0 / (fan_in as f32).sqrt();
        for v in p.values.iter_mut() {
            *v = rng.random_range(-bound..bound);
        }
    });
}

/// One sample of `N(0, 1)` (Box-Muller).
fn normal(rng: &mut impl Rng) -> f32 {
    let u1: f32 = rng.random::<f32>().max(f32::MIN_POSITIVE);
    let u2: f32 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
}

/// `B` input samples of width `I` from `N(0, 1)`, one per column, allocated on the heap (a
/// W3 batch of 256 takes 784 KiB).
pub fn inputs<const I: usize, const B: usize>(rng: &mut impl Rng) -> Box<SMatrix<f32, I, B>> {
    let mut xs = nn::zeroed_box::<f32, I, B>();
    xs.iter_mut().for_each(|v| *v = normal(rng));
    xs
}

/// Binary labels (W1, W4): set A has `y` in `{0, 1}` with probability 1/2 each, set B is
/// `1 - y`.
pub fn binary_labels<const B: usize>(
    rng: &mut impl Rng,
) -> (SMatrix<f32, 1, B>, SMatrix<f32, 1, B>) {
    let a = SMatrix::<f32, 1, B>::from_fn(|_, _| if rng.random_bool(0.5) { 1.0 } else { 0.0 });
    let b = a.map(|y| 1.0 - y);
    (a, b)
}

/// Class labels (W2, W3): set A has a class uniform in `[0, 10)` per sample, set B class
/// `(y + 5) mod 10`. `nn`'s cross-entropy takes one-hot targets, so both are converted here,
/// once, outside the timed region.
pub fn class_labels<const B: usize>(
    rng: &mut impl Rng,
) -> (SMatrix<f32, 10, B>, SMatrix<f32, 10, B>) {
    let classes: [usize; B] = std::array::from_fn(|_| rng.random_range(0..10));
    let one_hot =
        |shift: usize| {
            SMatrix::<f32, 10, B>::from_fn(|row, col| {
                if row == (classes[col] + shift) % 10 {
                    1.0
                } else {
                    0.0
                }
            })
        };
    (one_hot(0), one_hot(5))
}
