//! The parameters of a fully connected layer.
//!
//! A dense layer computes `z = W x + b` with `W` of shape `OUT x IN`, PyTorch's layout for
//! `nn.Linear`, so weights move between the two without transposition of meaning.
//! [`Dense`] keeps its parameters inline; [`BoxedDense`] keeps them on the heap and is
//! chosen by `network!` for layers too large for the stack (see the crate docs).

use nalgebra::{SMatrix, SVector};
use rand::Rng;

use crate::{Float, Init};

/// A dense layer whose parameters live inline, inside the network struct.
#[derive(Clone, Debug, PartialEq)]
pub struct Dense<T: Float, const OUT: usize, const IN: usize> {
    /// `W`, one row per output unit: `weight[(j, i)]` connects input `i` to unit `j`.
    pub weight: SMatrix<T, OUT, IN>,
    /// `b`, one entry per output unit.
    pub bias: SVector<T, OUT>,
}

impl<T: Float, const OUT: usize, const IN: usize> Dense<T, OUT, IN> {
    /// A layer whose weights and biases are all zero.
    pub fn zeros() -> Self {
        Self { weight: SMatrix::zeros(), bias: SVector::zeros() }
    }

    /// A layer with weights drawn by `init` and zero biases.
    pub fn new<R: Rng + ?Sized>(rng: &mut R, init: Init) -> Self {
        let mut layer = Self::zeros();
        init.fill(layer.weight.as_mut_slice(), IN, OUT, rng);
        layer
    }
}

/// A dense layer whose parameters live on the heap.
///
/// Its matrices are allocated zeroed directly on the heap and filled in place, never built on
/// the stack first, so layers of any size can be created in a thread with a small stack.
/// The fields dereference to the same matrices as [`Dense`]'s.
#[derive(Debug, PartialEq)]
pub struct BoxedDense<T: Float, const OUT: usize, const IN: usize> {
    /// `W`, one row per output unit: `weight[(j, i)]` connects input `i` to unit `j`.
    pub weight: Box<SMatrix<T, OUT, IN>>,
    /// `b`, one entry per output unit.
    pub bias: Box<SVector<T, OUT>>,
}

impl<T: Float, const OUT: usize, const IN: usize> BoxedDense<T, OUT, IN> {
    /// A layer whose weights and biases are all zero.
    pub fn zeros() -> Self {
        Self { weight: zeroed_box(), bias: zeroed_box() }
    }

    /// A layer with weights drawn by `init` and zero biases.
    pub fn new<R: Rng + ?Sized>(rng: &mut R, init: Init) -> Self {
        let mut layer = Self::zeros();
        init.fill(layer.weight.as_mut_slice(), IN, OUT, rng);
        layer
    }
}

impl<T: Float, const OUT: usize, const IN: usize> Clone for BoxedDense<T, OUT, IN> {
    /// Copies into fresh heap memory (`Box::clone` would build each matrix on the stack).
    fn clone(&self) -> Self {
        let mut copy = Self::zeros();
        copy.weight.copy_from(&self.weight);
        copy.bias.copy_from(&self.bias);
        copy
    }
}

/// A zero matrix allocated directly on the heap.
pub fn zeroed_box<T: Float, const R: usize, const C: usize>() -> Box<SMatrix<T, R, C>> {
    bytemuck::zeroed_box()
}
