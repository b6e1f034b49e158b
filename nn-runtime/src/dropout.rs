//! Dropout (section 7.7 of the textbook): a regulariser that, during training, silences each
//! unit of a layer independently with probability `p`.
//!
//! A network trained this way cannot rely on any single unit being present, which discourages
//! units from co-adapting, and each step trains a different thinned sub-network. This is
//! *inverted* dropout: the surviving units are scaled by `1 / (1 - p)` during training, so that
//! each unit's expected value is the same as without dropout,
//!
//! `E[m a] = (1 - p) * a / (1 - p) + p * 0 = a`,
//!
//! and at inference the layer is used as it is, with no dropout and no rescaling.
//!
//! [`mask`] draws the factors `m`; the forward pass multiplies the layer's activations by them
//! and the backward pass multiplies the incoming gradient by the same mask.

use rand::Rng;

use crate::Float;

/// Fills `mask` with an inverted-dropout mask: each entry independently `0` with probability
/// `p`, else `1 / (1 - p)`, so that `E[mask_i] = 1` and multiplying activations by the mask
/// preserves their mean.
///
/// When `0 < p < 1` it draws one 64-bit key from `rng`, whatever the mask's length, and takes
/// entry `i`'s uniform 32-bit word from a counter-based stream: a keyed integer hash of `i`,
/// computed many lanes at a time at the wider [`simd`](crate::simd) levels and the same at
/// every level, in `f32` as in `f64`. An entry is dropped when its word is below `p 2^32`, so
/// the probability is `p` to within `2^-32`. The mask is a function of the generator's state
/// alone: the same seed gives the same masks. Otherwise it draws nothing and never panics:
///
/// - `p <= 0` or NaN: every entry is `1` (no dropout);
/// - `p >= 1`: every entry is `0` (every unit dropped).
///
/// ```
/// use nn_runtime::dropout::mask;
/// use rand::SeedableRng;
///
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let mut m = [0.0_f32; 8];
/// mask(&mut rng, 0.5, &mut m);
/// assert!(m.iter().all(|&v| v == 0.0 || v == 2.0));
///
/// mask(&mut rng, 0.0, &mut m);
/// assert_eq!(m, [1.0; 8]);
/// mask(&mut rng, 1.0, &mut m);
/// assert_eq!(m, [0.0; 8]);
/// ```
pub fn mask<T: Float, R: Rng + ?Sized>(rng: &mut R, p: f64, mask: &mut [T]) {
    if p.is_nan() || p <= 0.0 {
        mask.fill(T::one());
    } else if p >= 1.0 {
        mask.fill(T::zero());
    } else {
        // 0 < p < 1, so 1 - p >= 2^-53 and the scale is finite in f32 as in f64.
        let keep = T::lit(1.0 / (1.0 - p));
        // Dropped when a uniform 32-bit draw falls below p 2^32: probability p to within 2^-32.
        // p < 1, so the product is below 2^32; `as` rounds toward zero.
        let threshold = (p * 4_294_967_296.0) as u32;
        (T::kernels().dropout_mask)(rng.next_u64(), threshold, keep, mask);
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    const N: usize = 100_000;

    /// How many standard deviations a sample statistic may stray from its expectation. With a
    /// seeded generator the tests are deterministic; 5 standard deviations would be exceeded
    /// by an unbiased mask with probability below 1e-6.
    const SIGMAS: f64 = 5.0;

    #[test]
    fn mask_has_mean_one_and_drops_a_fraction_p() {
        for (seed, p) in [(1, 0.5), (2, 0.1), (3, 0.8), (4, 0.25)] {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut m = vec![0.0_f64; N];
            mask(&mut rng, p, &mut m);
            let n = N as f64;

            // Each entry is 1/(1-p) with probability 1-p, else 0: mean 1, variance p/(1-p).
            let mean = m.iter().sum::<f64>() / n;
            let sd_mean = (p / (1.0 - p) / n).sqrt();
            assert!((mean - 1.0).abs() < SIGMAS * sd_mean, "p = {p}: mean {mean}");

            // The number of zeros is binomial(n, p): fraction p, variance p(1-p)/n.
            let zeros = m.iter().filter(|&&v| v == 0.0).count() as f64 / n;
            let sd_zeros = (p * (1.0 - p) / n).sqrt();
            assert!((zeros - p).abs() < SIGMAS * sd_zeros, "p = {p}: {zeros} dropped");

            let keep = 1.0 / (1.0 - p);
            assert!(m.iter().all(|&v| v == 0.0 || v == keep));
        }
    }

    #[test]
    fn every_level_draws_the_same_mask() {
        for len in [1, 7, 8, 15, 16, 17, 1000] {
            let draw = |level| {
                let mut m = vec![0.0_f32; len];
                crate::simd::with_level(level, || {
                    mask(&mut ChaCha8Rng::seed_from_u64(3), 0.4, &mut m)
                })
                .unwrap();
                m
            };
            let baseline = draw(crate::simd::Level::Baseline);
            for level in crate::simd::available() {
                assert_eq!(draw(level), baseline, "{level}, {len} entries");
            }
        }
    }

    #[test]
    fn entries_are_independent_of_their_neighbours_and_of_the_next_mask() {
        let p = 0.3;
        let mut rng = ChaCha8Rng::seed_from_u64(21);
        let (mut a, mut b) = (vec![0.0_f64; N], vec![0.0_f64; N]);
        mask(&mut rng, p, &mut a);
        mask(&mut rng, p, &mut b);
        let n = N as f64;
        // Both dropped: probability p^2 for neighbours in one mask and for the same entry of
        // two masks in a row.
        let sd = (p * p * (1.0 - p * p) / n).sqrt();
        let neighbours = a.windows(2).filter(|w| w[0] == 0.0 && w[1] == 0.0).count() as f64 / n;
        assert!((neighbours - p * p).abs() < SIGMAS * sd, "{neighbours}");
        let same = a.iter().zip(&b).filter(|(a, b)| **a == 0.0 && **b == 0.0).count() as f64 / n;
        assert!((same - p * p).abs() < SIGMAS * sd, "{same}");
    }

    #[test]
    fn f32_mask_has_the_same_pattern_as_f64() {
        let (mut m32, mut m64) = (vec![0.0_f32; 1000], vec![0.0_f64; 1000]);
        mask(&mut ChaCha8Rng::seed_from_u64(9), 0.3, &mut m32);
        mask(&mut ChaCha8Rng::seed_from_u64(9), 0.3, &mut m64);
        for (a, b) in m32.iter().zip(&m64) {
            assert_eq!(*a, *b as f32);
        }
    }

    #[test]
    fn mask_is_deterministic_for_a_seed() {
        let draw = |seed| {
            let mut m = [0.0_f32; 64];
            mask(&mut ChaCha8Rng::seed_from_u64(seed), 0.5, &mut m);
            m
        };
        assert_eq!(draw(42), draw(42));
        assert_ne!(draw(42), draw(43));
    }

    #[test]
    fn probabilities_outside_the_open_interval_neither_draw_nor_panic() {
        for (p, want) in [
            (0.0, 1.0),
            (-0.0, 1.0),
            (-0.5, 1.0),
            (f64::NEG_INFINITY, 1.0),
            (f64::NAN, 1.0),
            (1.0, 0.0),
            (1.5, 0.0),
            (f64::INFINITY, 0.0),
        ] {
            let mut rng = ChaCha8Rng::seed_from_u64(5);
            let untouched = rng.clone();
            let mut m = [7.0_f64; 16];
            mask(&mut rng, p, &mut m);
            assert_eq!(m, [want; 16], "p = {p}");
            assert_eq!(rng, untouched, "p = {p} drew from the generator");
        }
        // The smallest and largest probabilities inside the interval give finite masks.
        let mut m = [0.0_f32; 16];
        mask(&mut ChaCha8Rng::seed_from_u64(5), 1.0 - f64::EPSILON / 2.0, &mut m);
        assert!(m.iter().all(|v| v.is_finite()));
        mask(&mut ChaCha8Rng::seed_from_u64(5), f64::MIN_POSITIVE, &mut m);
        assert_eq!(m, [1.0; 16]);
        mask::<f64, _>(&mut ChaCha8Rng::seed_from_u64(5), 0.5, &mut []);
    }
}
