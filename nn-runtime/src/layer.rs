//! The parameters of a fully connected layer.
//!
//! A dense layer computes `z = W x + b` with `W` of shape `OUT x IN`, PyTorch's layout for
//! `nn.Linear`, so weights move between the two without transposition of meaning.
//! [`Dense`] keeps its parameters inline; [`BoxedDense`] keeps them on the heap and is
//! chosen by `network!` for layers too large for the stack (see the crate docs).
//!
//! A layer followed by a learnable activation also holds that activation's parameters,
//! `A` of them: one per unit (`A = OUT`), one shared by the layer (`A = 1`), or none (`A = 0`,
//! the default) for activations without parameters.
//!
//! A maxout layer of `units` units with `pieces` pieces each ([`maxout`]) stores its pieces as
//! a dense layer of `OUT = units * pieces` rows, row `u * pieces + k` being piece `k` of unit
//! `u`: the layout of PyTorch's `Linear(in, units * pieces)` followed by
//! `.view(units, pieces).max(-1)`.
//!
//! [`maxout`]: crate::activation::maxout

use nalgebra::{SMatrix, SVector};
use rand::Rng;

use crate::{Float, Init};

/// A dense layer whose parameters live inline, inside the network struct.
#[derive(Clone, Debug, PartialEq)]
pub struct Dense<T: Float, const OUT: usize, const IN: usize, const A: usize = 0> {
    /// `W`, one row per output unit: `weight[(j, i)]` connects input `i` to unit `j`.
    pub weight: SMatrix<T, OUT, IN>,
    /// `b`, one entry per output unit.
    pub bias: SVector<T, OUT>,
    /// The learnable parameters of the activation that follows the layer: PReLU's slopes or
    /// swish's betas, one per unit (`A = OUT`) or one shared by the layer (`A = 1`); none
    /// (`A = 0`) when the activation has no parameters.
    pub activation: SVector<T, A>,
}

impl<T: Float, const OUT: usize, const IN: usize, const A: usize> Dense<T, OUT, IN, A> {
    /// A layer whose weights, biases and activation parameters are all zero.
    pub fn zeros() -> Self {
        Self { weight: SMatrix::zeros(), bias: SVector::zeros(), activation: SVector::zeros() }
    }

    /// A layer with weights drawn by `init`, zero biases and zero activation parameters (set
    /// them with [`Dense::with_activation`]).
    pub fn new<R: Rng + ?Sized>(rng: &mut R, init: Init) -> Self {
        let mut layer = Self::zeros();
        init.fill(layer.weight.as_mut_slice(), IN, OUT, rng);
        layer
    }

    /// The same layer with every activation parameter set to `value` (PReLU's initial slope
    /// 0.25, swish's initial beta 1).
    ///
    /// ```
    /// use nn_runtime::Dense;
    /// let layer = Dense::<f64, 3, 2, 3>::zeros().with_activation(0.25);
    /// assert_eq!(layer.activation.as_slice(), &[0.25, 0.25, 0.25]);
    /// assert_eq!(layer.bias.as_slice(), &[0.0, 0.0, 0.0]);
    /// ```
    pub fn with_activation(mut self, value: T) -> Self {
        self.activation.fill(value);
        self
    }
}

/// A dense layer whose parameters live on the heap.
///
/// Its matrices are allocated zeroed directly on the heap and filled in place, never built on
/// the stack first, so layers of any size can be created in a thread with a small stack.
/// The fields dereference to the same matrices as [`Dense`]'s.
#[cfg(feature = "std")]
#[derive(Debug, PartialEq)]
pub struct BoxedDense<T: Float, const OUT: usize, const IN: usize, const A: usize = 0> {
    /// `W`, one row per output unit: `weight[(j, i)]` connects input `i` to unit `j`.
    pub weight: Box<SMatrix<T, OUT, IN>>,
    /// `b`, one entry per output unit.
    pub bias: Box<SVector<T, OUT>>,
    /// The learnable parameters of the activation that follows the layer: PReLU's slopes or
    /// swish's betas, one per unit (`A = OUT`) or one shared by the layer (`A = 1`); none
    /// (`A = 0`) when the activation has no parameters.
    pub activation: Box<SVector<T, A>>,
}

#[cfg(feature = "std")]
impl<T: Float, const OUT: usize, const IN: usize, const A: usize> BoxedDense<T, OUT, IN, A> {
    /// A layer whose weights, biases and activation parameters are all zero.
    pub fn zeros() -> Self {
        // For `A = 0` the activation's box is of a zero-sized value and allocates nothing.
        Self { weight: zeroed_box(), bias: zeroed_box(), activation: zeroed_box() }
    }

    /// A layer with weights drawn by `init`, zero biases and zero activation parameters (set
    /// them with [`BoxedDense::with_activation`]).
    pub fn new<R: Rng + ?Sized>(rng: &mut R, init: Init) -> Self {
        let mut layer = Self::zeros();
        init.fill(layer.weight.as_mut_slice(), IN, OUT, rng);
        layer
    }

    /// The same layer with every activation parameter set to `value` (PReLU's initial slope
    /// 0.25, swish's initial beta 1).
    ///
    /// ```
    /// use nn_runtime::BoxedDense;
    /// let layer = BoxedDense::<f32, 4, 2, 1>::zeros().with_activation(1.0);
    /// assert_eq!(layer.activation.as_slice(), &[1.0]);
    /// ```
    pub fn with_activation(mut self, value: T) -> Self {
        self.activation.fill(value);
        self
    }
}

#[cfg(feature = "std")]
impl<T: Float, const OUT: usize, const IN: usize, const A: usize> Clone
    for BoxedDense<T, OUT, IN, A>
{
    /// Copies into fresh heap memory (`Box::clone` would build each matrix on the stack).
    fn clone(&self) -> Self {
        let mut copy = Self::zeros();
        copy.weight.copy_from(&self.weight);
        copy.bias.copy_from(&self.bias);
        copy.activation.copy_from(&self.activation);
        copy
    }
}

/// A zero matrix allocated directly on the heap (no allocation when it has no entries).
///
/// When the memory cannot be had, the process ends through the standard allocation-failure
/// path, "memory allocation of N bytes failed", as `Box::new` would, rather than with an
/// unwrapped `Err(())`.
#[cfg(feature = "std")]
pub fn zeroed_box<T: Float, const R: usize, const C: usize>() -> Box<SMatrix<T, R, C>> {
    match bytemuck::try_zeroed_box() {
        Ok(b) => b,
        Err(()) => std::alloc::handle_alloc_error(std::alloc::Layout::new::<SMatrix<T, R, C>>()),
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn layers_without_activation_parameters_hold_none() {
        let dense = Dense::<f64, 3, 2>::zeros();
        assert_eq!(dense.activation.len(), 0);
        let boxed = BoxedDense::<f32, 3, 2>::zeros().with_activation(0.25);
        assert_eq!(boxed.activation.len(), 0);
        assert_eq!(boxed.clone(), boxed);
        assert_eq!(std::mem::size_of::<SVector<f64, 0>>(), 0);
    }

    #[test]
    fn new_draws_weights_only() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let dense = Dense::<f64, 4, 3, 4>::new(&mut rng, Init::He);
        assert!(dense.weight.iter().all(|&w| w != 0.0 && w.abs() <= Init::He.bound(3, 4)));
        assert!(dense.bias.iter().all(|&b| b == 0.0));
        assert_eq!(dense.activation.as_slice(), &[0.0; 4]);

        // The same draws whether the parameters live inline or on the heap, with or without
        // activation parameters.
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let boxed = BoxedDense::<f64, 4, 3, 1>::new(&mut rng, Init::He).with_activation(0.25);
        assert_eq!(*boxed.weight, dense.weight);
        assert_eq!(boxed.activation.as_slice(), &[0.25]);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        assert_eq!(Dense::<f64, 4, 3>::new(&mut rng, Init::He).weight, dense.weight);
    }

    #[test]
    fn boxed_clone_copies_every_field() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut layer =
            BoxedDense::<f32, 5, 2, 5>::new(&mut rng, Init::Glorot).with_activation(1.0);
        layer.bias[3] = -2.0;
        layer.activation[4] = 0.5;
        let copy = layer.clone();
        assert_eq!(copy, layer);
        assert_eq!(copy.activation.as_slice(), &[1.0, 1.0, 1.0, 1.0, 0.5]);
    }
}

/// The parameters of a recurrent layer (an Elman network: the memory networks of section
/// 4.2.2 of the textbook, treated in its chapter 6): over a sequence `x_1, ..., x_S` of
/// `IN`-wide steps, `h_t = f(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)` with `h_0 = 0`.
///
/// The layout and names are PyTorch's `nn.RNN`: `weight_ih_l0`, `weight_hh_l0`, and its two
/// biases `bias_ih_l0` and `bias_hh_l0` (only their sum matters to the function, but both
/// are kept so that a state dict loads and saves unchanged).
#[derive(Clone, Debug, PartialEq)]
pub struct Recurrent<T: Float, const OUT: usize, const IN: usize> {
    /// `W_ih`, the input-to-hidden weights: `weight_ih[(j, i)]` connects input `i` to unit `j`.
    pub weight_ih: SMatrix<T, OUT, IN>,
    /// `W_hh`, the hidden-to-hidden weights: `weight_hh[(j, k)]` connects unit `k` of the
    /// previous step to unit `j`.
    pub weight_hh: SMatrix<T, OUT, OUT>,
    /// `b_ih`, the input bias, one entry per unit.
    pub bias_ih: SVector<T, OUT>,
    /// `b_hh`, the hidden bias, one entry per unit.
    pub bias_hh: SVector<T, OUT>,
}

impl<T: Float, const OUT: usize, const IN: usize> Recurrent<T, OUT, IN> {
    /// A layer whose parameters are all zero.
    pub fn zeros() -> Self {
        Self {
            weight_ih: SMatrix::zeros(),
            weight_hh: SMatrix::zeros(),
            bias_ih: SVector::zeros(),
            bias_hh: SVector::zeros(),
        }
    }

    /// A layer with both weight matrices drawn by `init` (each with its own fan-in) and zero
    /// biases.
    pub fn new<R: Rng + ?Sized>(rng: &mut R, init: Init) -> Self {
        let mut layer = Self::zeros();
        init.fill(layer.weight_ih.as_mut_slice(), IN, OUT, rng);
        init.fill(layer.weight_hh.as_mut_slice(), OUT, OUT, rng);
        layer
    }
}
