//! Every kind of line of `network!` (dense, maxout, recurrent and gated, graph convolution, sums,
//! concatenation, learnable activations, dropout, every loss) compiled under `#![no_std]`
//! without `alloc`, and the inference calls a real-time caller makes: `forward`,
//! `forward_batch` (per sample without `std`), `jvp`, `loss`, and training-mode gradients of
//! inline networks, which need no heap either. Warnings are errors, as generated code must
//! compile cleanly where it is used.

#![no_std]
#![deny(warnings)]

use nn::nalgebra::{SMatrix, SVector};

nn::network! {
    /// Dense lines, a skip connection and learnable activations.
    pub struct Mlp {
        input: 3,
        a: dense(8) -> prelu,
        b: dense(8) -> swish_learnable,
        s: a + b,
        c: concat(input, s) -> dense(6, bias = false) -> gelu,
        d: maxout(4, 2) -> dropout(0.25),
        output: dense(2) -> softmax,
        loss: cross_entropy,
        l2: 1e-4,
    }
}

nn::network! {
    /// A recurrent layer over four steps of width two.
    pub struct Memory {
        input: 2 x 4,
        h: rnn(5) -> tanh,
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

nn::network! {
    /// A graph convolution over three nodes of two features.
    pub struct Graph {
        input: graph(3, 2),
        g: graph_conv(4) -> relu,
        pool: mean_nodes,
        output: dense(1),
        loss: mse,
    }
}

nn::network! {
    /// Gated layers, streamed a step at a time, under a layer wide enough for the kernels.
    pub struct Gated {
        input: 16 x 4,
        l: lstm(8),
        g: input -> gru(4),
        wide: concat(l, g) -> dense(32) -> tanh,
        output: dense(1),
        loss: mse,
        stream: GatedState,
    }
}

/// One step of the gated network, and its whole-sequence output.
pub fn gated(net: &Gated<f32>, state: &mut GatedState<f32>, x_t: &SVector<f32, 16>) -> f32 {
    let y = net.step(state, x_t);
    y[0] + net.forward(&SVector::zeros())[0]
}

/// The output of one sample, of four samples, and a directional derivative.
pub fn mlp(net: &Mlp<f32>, x: &SVector<f32, 3>, xs: &SMatrix<f32, 3, 4>) -> f32 {
    let y = net.forward(x);
    let ys = net.forward_batch(xs);
    let (_, tangent) = net.jvp(x, &SVector::from([1.0, 0.0, 0.0]));
    y[0] + ys[(1, 3)] + tangent[0] + net.loss(x, &SVector::from([1.0, 0.0]))
}

/// A training step's gradient without the heap: the gradient is another inline network.
pub fn mlp_gradient(net: &Mlp<f32>, x: &SVector<f32, 3>, grad: &mut Mlp<f32>) -> f32 {
    net.loss_and_grad_into(x, &SVector::from([0.0, 1.0]), grad)
}

/// The recurrent network's output.
pub fn memory(net: &Memory<f64>, x: &SVector<f64, 8>) -> f64 {
    net.forward(x)[0]
}

/// The graph network's output: the input holds the 3 x 2 features, then the 3 x 3 adjacency.
pub fn graph(net: &Graph<f32>, x: &SVector<f32, 15>) -> f32 {
    net.forward(x)[0]
}

/// A network built from a seed on the device (weights drawn by ChaCha8, no heap).
pub fn seeded() -> Memory<f32> {
    Memory::seeded(7)
}
