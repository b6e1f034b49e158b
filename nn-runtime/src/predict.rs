//! Predictions for any number of samples: a slice or an iterator of inputs, run through a
//! network `B` samples at a time (`B` a const, the batch [`Model::forward_batch`] is compiled
//! for) and the remainder one by one, written once against [`Model`].
//!
//! [`predict_into`] writes into a buffer the caller keeps and allocates nothing; [`predict`]
//! collects into a new `Vec`; [`Predictions`] is an iterator over the outputs of an iterator
//! of inputs. All three give, for every input, what [`Model::forward`] gives (the batched and
//! per-sample passes agree, to rounding).
//!
//! The batch of inputs and of outputs lives on the stack: choose `B` so that
//! `(I + O) * B` scalars stay well under 64 KiB (for 784 `f32` inputs, `B = 16` is 49 KiB).

use std::fmt;

use nalgebra::{SMatrix, SVector};

use crate::{Float, Model};

/// [`predict_into`] was given an output buffer of another length than the inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LengthError {
    /// How many inputs there were.
    pub inputs: usize,
    /// How long the output buffer was.
    pub outputs: usize,
}

impl fmt::Display for LengthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "expected one output slot for each input, found {} inputs and {} outputs",
            self.inputs, self.outputs
        )
    }
}

impl std::error::Error for LengthError {}

/// Writes the output for `inputs[i]` into `outputs[i]`, for every `i`: full batches of `B`
/// through [`Model::forward_batch`], the last `inputs.len() % B` samples through
/// [`Model::forward`]. Allocates nothing. An error, before anything is written, unless the
/// two slices have the same length.
///
/// ```
/// use nn_runtime::nalgebra::SVector;
/// use nn_runtime::predict::predict_into;
/// # use nn_runtime::Model;
/// # fn run<N: Model<f32, 2, 1>>(net: &N) {
/// let inputs = vec![SVector::<f32, 2>::new(0.0, 1.0); 37];
/// let mut outputs = vec![SVector::<f32, 1>::zeros(); 37];
/// predict_into::<f32, N, 2, 1, 8>(net, &inputs, &mut outputs).unwrap(); // 4 batches and 5
/// # }
/// ```
pub fn predict_into<T, N, const I: usize, const O: usize, const B: usize>(
    net: &N,
    inputs: &[SVector<T, I>],
    outputs: &mut [SVector<T, O>],
) -> Result<(), LengthError>
where
    T: Float,
    N: Model<T, I, O>,
{
    if inputs.len() != outputs.len() {
        return Err(LengthError { inputs: inputs.len(), outputs: outputs.len() });
    }
    if B == 0 {
        for (x, y) in inputs.iter().zip(outputs.iter_mut()) {
            *y = net.forward(x);
        }
        return Ok(());
    }
    let mut xs = SMatrix::<T, I, B>::zeros();
    let full = inputs.len() / B * B;
    let (batched, rest) = inputs.split_at(full);
    let (batched_out, rest_out) = outputs.split_at_mut(full);
    for (x, y) in batched.chunks_exact(B).zip(batched_out.chunks_exact_mut(B)) {
        for (j, x) in x.iter().enumerate() {
            xs.set_column(j, x);
        }
        let ys = net.forward_batch(&xs);
        for (j, y) in y.iter_mut().enumerate() {
            *y = ys.fixed_columns::<1>(j).into_owned();
        }
    }
    for (x, y) in rest.iter().zip(rest_out.iter_mut()) {
        *y = net.forward(x);
    }
    Ok(())
}

/// The outputs for every input, in a new `Vec`: [`predict_into`] on a buffer of the right
/// length.
pub fn predict<T, N, const I: usize, const O: usize, const B: usize>(
    net: &N,
    inputs: &[SVector<T, I>],
) -> Vec<SVector<T, O>>
where
    T: Float,
    N: Model<T, I, O>,
{
    let mut outputs = vec![SVector::<T, O>::zeros(); inputs.len()];
    // The lengths are equal by construction.
    let _ = predict_into::<T, N, I, O, B>(net, inputs, &mut outputs);
    outputs
}

/// An iterator over the outputs for the inputs of another iterator, `B` at a time: it reads
/// up to `B` inputs, runs a full batch through [`Model::forward_batch`] (a last, short one
/// through [`Model::forward`]), and yields their outputs in order. It allocates nothing.
///
/// ```
/// use nn_runtime::nalgebra::SVector;
/// use nn_runtime::predict::Predictions;
/// # use nn_runtime::Model;
/// # fn run<N: Model<f64, 1, 1>>(net: &N) {
/// let xs = (0..100).map(|i| SVector::<f64, 1>::new(i as f64 / 100.0));
/// let best = Predictions::<_, _, _, 1, 1, 16>::new(net, xs).map(|y| y[0]).fold(f64::MIN, f64::max);
/// # let _ = best;
/// # }
/// ```
pub struct Predictions<'a, T, N, It, const I: usize, const O: usize, const B: usize>
where
    T: Float,
{
    net: &'a N,
    inputs: It,
    xs: SMatrix<T, I, B>,
    ys: SMatrix<T, O, B>,
    /// The next column of `ys` to yield, and how many columns hold outputs.
    next: usize,
    ready: usize,
}

impl<'a, T, N, It, const I: usize, const O: usize, const B: usize>
    Predictions<'a, T, N, It, I, O, B>
where
    T: Float,
    N: Model<T, I, O>,
    It: Iterator<Item = SVector<T, I>>,
{
    /// The outputs of `net` for the inputs `inputs` yields.
    pub fn new(net: &'a N, inputs: impl IntoIterator<IntoIter = It>) -> Self {
        Predictions {
            net,
            inputs: inputs.into_iter(),
            xs: SMatrix::zeros(),
            ys: SMatrix::zeros(),
            next: 0,
            ready: 0,
        }
    }
}

impl<T, N, It, const I: usize, const O: usize, const B: usize> Iterator
    for Predictions<'_, T, N, It, I, O, B>
where
    T: Float,
    N: Model<T, I, O>,
    It: Iterator<Item = SVector<T, I>>,
{
    type Item = SVector<T, O>;

    fn next(&mut self) -> Option<SVector<T, O>> {
        if self.next == self.ready {
            if B == 0 {
                return self.inputs.next().map(|x| self.net.forward(&x));
            }
            let mut read = 0;
            while read < B {
                let Some(x) = self.inputs.next() else { break };
                self.xs.set_column(read, &x);
                read += 1;
            }
            if read == 0 {
                return None;
            }
            if read == B {
                self.ys = self.net.forward_batch(&self.xs);
            } else {
                for j in 0..read {
                    let x: SVector<T, I> = self.xs.fixed_columns::<1>(j).into_owned();
                    self.ys.set_column(j, &self.net.forward(&x));
                }
            }
            (self.next, self.ready) = (0, read);
        }
        let y = self.ys.fixed_columns::<1>(self.next).into_owned();
        self.next += 1;
        Some(y)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let buffered = self.ready - self.next;
        let (low, high) = self.inputs.size_hint();
        (low.saturating_add(buffered), high.and_then(|h| h.checked_add(buffered)))
    }
}
