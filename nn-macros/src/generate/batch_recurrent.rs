//! The batched passes of the recurrent layers (`rnn`, `lstm`, `gru` and their `_sequence`
//! forms): the whole batch advances one step at a time, every step's products a blocked
//! product over the batch (`nn::kernels`).
//!
//! A batch of sequences arrives sample by sample: column `j` of the `inputs x n` input holds
//! sample `j`'s steps one after the other. The forward pass first regroups it step by step
//! into `<line>_sx`, a `W x (S n)` matrix whose column `t n + j` is step `t` of sample `j`, so
//! that the input's share of every step is one product, `W_ih X` for all steps at once; then
//! each step adds `W_hh H_{t-1}` over the batch and applies the activation:
//!
//! ```text
//! Z = W_ih X + b_ih + b_hh                  (H x S n, step after step: `<line>_sz`)
//! Z_t += W_hh H_{t-1}   (t > 0)             (H x n, the batch's columns of step t)
//! H_t = f(Z_t)                              (`<line>_sa`)
//! ```
//!
//! Backpropagation through time runs the steps backward, each one product over the batch:
//! `D_t = f'(Z_t) (G_t + W_hh^T D_{t+1})` with `G_t` the gradient reaching the state of step
//! `t` from the lines that read the layer, kept in `<line>_sd` (`H x S n`, step after step).
//! The parameters' gradients are then one product each over all the steps laid side by side:
//! `dW_ih += D X^T`, `dW_hh += D_{1..} H_{..S-1}^T` (the states each step read), and both
//! biases `D 1`; the gradient of what the layer read is `W_ih^T D`, regrouped sample by sample.
//!
//! The gated layers follow the same pattern with `G = 4H` (LSTM) or `3H` (GRU) gate rows:
//! `W_ih X + b_ih` (and the LSTM's `b_hh`) for all steps at once into `<line>_sg`, then per
//! step `W_hh H_{t-1}` over the batch into `<line>_h` and the runtime's cells
//! (`nn::recurrent::lstm_cells`, `gru_cells`) column by column, which leave the gates in
//! `<line>_sg`, the memory in `<line>_sc` and the states in `<line>_sa`. Backward, the cells'
//! backward step gives the error terms of the gate rows (for the GRU, those of `W_ih x_t` and
//! of `W_hh h_{t-1}`, which differ by the reset gate), and the products are `rnn`'s.
//!
//! The regions live in the batched passes' scratch buffer with the others (see `batch`): once
//! a thread's buffer is large enough, a step allocates nothing but what the products' kernel
//! allocates.

use proc_macro2::TokenStream;
use syn::Ident;

use super::activation::element_wise;
use super::names::{n, q, Names};
use crate::ir::{Cell, Combine, Node, Source};

/// The forward regions of a recurrent layer beside its `z` and `a`, with their widths per
/// sample: its input step by step (`sx`) and its states (`sa`); for `rnn` its
/// pre-activations (`sz`); for a gated layer its gates (`sg`), its memory (`sc`) and a step's
/// product `W_hh h_{t-1}` (`h`).
pub(super) fn forward_regions(node: &Node) -> Vec<(Ident, usize)> {
    let (Some(linear), Some(r)) = (&node.linear, node.recurrence()) else {
        return Vec::new();
    };
    let Names { sx, sz, sa, sg, sc, h, .. } = Names::of(node);
    let states = linear.rows * r.steps;
    let gates = r.cell.gates() * linear.rows;
    if r.cell.gated() {
        vec![(sx, r.width * r.steps), (sg, gates * r.steps), (sc, states), (sa, states), (h, gates)]
    } else {
        vec![(sx, r.width * r.steps), (sz, states), (sa, states)]
    }
}

/// The backward region of a recurrent layer (`sd`): the error terms of every step's gate
/// rows, and for the GRU, whose two products' error terms differ, those of `W_hh h_{t-1}`
/// after them.
pub(super) fn backward_regions(node: &Node) -> Vec<(Ident, usize)> {
    let (Some(linear), Some(r)) = (&node.linear, node.recurrence()) else {
        return Vec::new();
    };
    let copies = if r.cell == Cell::Gru { 2 } else { 1 };
    vec![(Names::of(node).sd, copies * r.cell.gates() * linear.rows * r.steps)]
}

/// The layer's activation, applied element by element (the checks reject the others).
fn activation(node: &Node) -> TokenStream {
    element_wise(node.activation).unwrap_or_else(|| q!(::nn::activation::Identity))
}

/// The forward pass of the batch through the layer, from `input` (`inputs x n`), into its
/// regions and its value `a`; `z`, which nothing reads on this path, holds each step's
/// product `W_hh H_{t-1}`.
///
/// Expands to `for t in 0..10 { take_rows(xs, 30, t * 3, &mut r_sx[..], 3); }`,
/// `linear(W_ih, r_sx, r_sz, 4, 3, 10 * n)`, the biases, then
/// `for t in 0..10 { .. linear(W_hh, H_{t-1}, r_z, 4, 4, n); add_assign(z_t, r_z); activate(..) }`
/// and the last state (or every state) copied into `r_a`.
pub(super) fn forward(node: &Node, input: &TokenStream) -> TokenStream {
    let (Some(linear), Some(r)) = (&node.linear, node.recurrence()) else {
        return TokenStream::new();
    };
    if r.cell.gated() {
        return gated_forward(node, input);
    }
    let Names { sx, sz, sa, z, a, .. } = Names::of(node);
    let field = &node.name;
    let (rows, width, steps, inputs) = (n(linear.rows), n(r.width), n(r.steps), n(node.inputs));
    let f = activation(node);
    let value = if r.every {
        let outputs = n(node.outputs);
        q! {
            for t in 0..#steps {
                ::nn::kernels::copy_rows(&#sa[t * #rows * n..(t + 1) * #rows * n], #rows, #a, #outputs, t * #rows);
            }
        }
    } else {
        q!(#a.copy_from_slice(&#sa[(#steps - 1) * #rows * n..]);)
    };
    q! {
        for t in 0..#steps {
            ::nn::kernels::take_rows(#input, #inputs, t * #width, &mut #sx[t * #width * n..(t + 1) * #width * n], #width);
        }
        ::nn::kernels::linear(self.#field.weight_ih.as_slice(), #sx, #sz, #rows, #width, #steps * n);
        ::nn::kernels::add_bias(self.#field.bias_ih.as_slice(), #sz);
        ::nn::kernels::add_bias(self.#field.bias_hh.as_slice(), #sz);
        for t in 0..#steps {
            let (first, second) = #sa.split_at_mut(t * #rows * n);
            let z_t = &mut #sz[t * #rows * n..(t + 1) * #rows * n];
            if t > 0 {
                ::nn::kernels::linear(self.#field.weight_hh.as_slice(), &first[(t - 1) * #rows * n..], #z, #rows, #rows, n);
                ::nn::kernels::add_assign(z_t, #z);
            }
            ::nn::kernels::activate(#f, z_t, &mut second[..#rows * n]);
        }
        #value
    }
}

/// Backpropagation through time over the batch from `d`, the gradient with respect to the
/// layer's value (`outputs x n`), with `t_b` carrying `W_hh^T D_{t+1}` from step to step; then
/// the parameters' gradients, and, unless the layer reads the network's input, the gradient
/// of what it read in `t_d` (through `t_c`, step by step), for `distribute` to pass on.
///
/// Expands to `for t in (0..10).rev() { let dz = &mut r_sd[..]; dz.copy_from_slice(..);
/// activate_backward(..); linear_backward_input(W_hh, dz, t_b, ..); }` and three products.
pub(super) fn backward(node: &Node, distribute: TokenStream) -> TokenStream {
    let (Some(linear), Some(r)) = (&node.linear, node.recurrence()) else {
        return TokenStream::new();
    };
    if r.cell.gated() {
        return gated_backward(node, distribute);
    }
    let Names { sx, sz, sa, sd, .. } = Names::of(node);
    let field = &node.name;
    let (rows, width, steps) = (n(linear.rows), n(r.width), n(r.steps));
    let (inputs, outputs) = (n(node.inputs), n(node.outputs));
    let f = activation(node);
    // The gradient reaching the state of step `t` from the lines that read the layer: its
    // rows of `d` for `rnn_sequence`, all of `d` at the last step for `rnn`; plus the carry.
    let incoming = if r.every {
        q! {
            ::nn::kernels::take_rows(d, #outputs, t * #rows, dz, #rows);
            if t + 1 < #steps {
                ::nn::kernels::add_assign(dz, &t_b[..#rows * n]);
            }
        }
    } else {
        q! {
            if t + 1 == #steps {
                dz.copy_from_slice(d);
            } else {
                dz.copy_from_slice(&t_b[..#rows * n]);
            }
        }
    };
    // `dW_hh`: step `t`'s error terms with the state step `t` read, for every step after
    // the first (the first read the zero state).
    let recurrent_weight = (r.steps > 1).then(|| {
        q! {
            ::nn::kernels::linear_backward_params(&#sd[#rows * n..], &#sa[..(#steps - 1) * #rows * n], grad.#field.weight_hh.as_mut_slice(), &mut [], #rows, #rows, (#steps - 1) * n, scale);
        }
    });
    let to_source = match node.combine {
        // The input's gradient is not wanted in batches.
        Combine::Read(Source::Input) => TokenStream::new(),
        _ => q! {
            ::nn::kernels::linear_backward_input(self.#field.weight_ih.as_slice(), #sd, t_c, #rows, #width, #steps * n, T::zero());
            t_d[..#inputs * n].fill(T::zero());
            for t in 0..#steps {
                ::nn::kernels::add_to_rows(&t_c[t * #width * n..(t + 1) * #width * n], #width, &mut t_d[..#inputs * n], #inputs, t * #width);
            }
            let d: &mut [T] = &mut t_d[..#inputs * n];
            #distribute
        },
    };
    q! {
        for t in (0..#steps).rev() {
            let dz = &mut #sd[t * #rows * n..(t + 1) * #rows * n];
            #incoming
            ::nn::kernels::activate_backward(#f, &#sz[t * #rows * n..(t + 1) * #rows * n], &#sa[t * #rows * n..(t + 1) * #rows * n], dz);
            if t > 0 {
                ::nn::kernels::linear_backward_input(self.#field.weight_hh.as_slice(), dz, t_b, #rows, #rows, n, T::zero());
            }
        }
        ::nn::kernels::linear_backward_params(#sd, #sx, grad.#field.weight_ih.as_mut_slice(), grad.#field.bias_ih.as_mut_slice(), #rows, #width, #steps * n, scale);
        #recurrent_weight
        ::nn::kernels::add_column_sums(#sd, grad.#field.bias_hh.as_mut_slice(), scale);
        #to_source
    }
}

/// The regrouping of the layer's input step by step into `sx`, and the node's value `a`
/// from its states `sa`: the last one, or every one for a `_sequence` layer.
fn steps_and_value(node: &Node, input: &TokenStream) -> (TokenStream, TokenStream) {
    let (Some(linear), Some(r)) = (&node.linear, node.recurrence()) else {
        return (TokenStream::new(), TokenStream::new());
    };
    let Names { sx, sa, a, .. } = Names::of(node);
    let (rows, width, steps, inputs) = (n(linear.rows), n(r.width), n(r.steps), n(node.inputs));
    let regroup = q! {
        for t in 0..#steps {
            ::nn::kernels::take_rows(#input, #inputs, t * #width, &mut #sx[t * #width * n..(t + 1) * #width * n], #width);
        }
    };
    let value = if r.every {
        let outputs = n(node.outputs);
        q! {
            for t in 0..#steps {
                ::nn::kernels::copy_rows(&#sa[t * #rows * n..(t + 1) * #rows * n], #rows, #a, #outputs, t * #rows);
            }
        }
    } else {
        q!(#a.copy_from_slice(&#sa[(#steps - 1) * #rows * n..]);)
    };
    (regroup, value)
}

/// The forward pass of an `lstm` or a `gru` over the batch: the input's share of every step's
/// gates in one product, then per step `W_hh H_{t-1}` over the batch into `h` and the cells
/// of the runtime (`nn::recurrent::lstm_cells`, `gru_cells`), which keep the gates in `sg`,
/// the memory in `sc` and the states in `sa`.
///
/// Expands to `linear(W_ih, s_sx, s_sg, 32, 8, 3 * n)`, the biases, then
/// `for t in 0..3 { .. linear(W_hh, H_{t-1}, s_h, 32, 8, n); .. lstm_cells(gates, .., 8); }`.
fn gated_forward(node: &Node, input: &TokenStream) -> TokenStream {
    let (Some(linear), Some(r)) = (&node.linear, node.recurrence()) else {
        return TokenStream::new();
    };
    let Names { sx, sg, sc, sa, h, .. } = Names::of(node);
    let field = &node.name;
    let (rows, width, steps) = (n(linear.rows), n(r.width), n(r.steps));
    let gates = n(r.cell.gates() * linear.rows);
    let (regroup, value) = steps_and_value(node, input);
    let step = match r.cell {
        Cell::Lstm => q! {
            ::nn::kernels::add_bias(self.#field.bias_hh.as_slice(), #sg);
            for t in 0..#steps {
                let (first, second) = #sa.split_at_mut(t * #rows * n);
                let (memory, memory_t) = #sc.split_at_mut(t * #rows * n);
                let gates = &mut #sg[t * #gates * n..(t + 1) * #gates * n];
                if t > 0 {
                    ::nn::kernels::linear(self.#field.weight_hh.as_slice(), &first[(t - 1) * #rows * n..], #h, #gates, #rows, n);
                    ::nn::kernels::add_assign(gates, #h);
                }
                let memory: &[T] = if t > 0 { &memory[(t - 1) * #rows * n..] } else { &[] };
                ::nn::recurrent::lstm_cells(gates, memory, &mut memory_t[..#rows * n], &mut second[..#rows * n], #rows);
            }
        },
        _ => q! {
            for t in 0..#steps {
                let (first, second) = #sa.split_at_mut(t * #rows * n);
                let gates = &mut #sg[t * #gates * n..(t + 1) * #gates * n];
                if t > 0 {
                    ::nn::kernels::linear(self.#field.weight_hh.as_slice(), &first[(t - 1) * #rows * n..], #h, #gates, #rows, n);
                } else {
                    #h.fill(T::zero());
                }
                ::nn::kernels::add_bias(self.#field.bias_hh.as_slice(), #h);
                let state: &[T] = if t > 0 { &first[(t - 1) * #rows * n..] } else { &[] };
                ::nn::recurrent::gru_cells(gates, #h, state, &mut #sc[t * #rows * n..(t + 1) * #rows * n], &mut second[..#rows * n], #rows);
            }
        },
    };
    q! {
        #regroup
        ::nn::kernels::linear(self.#field.weight_ih.as_slice(), #sx, #sg, #gates, #width, #steps * n);
        ::nn::kernels::add_bias(self.#field.bias_ih.as_slice(), #sg);
        #step
        #value
    }
}

/// Backpropagation through time for an `lstm` or a `gru` over the batch from `d`, the
/// gradient with respect to the layer's value: per step from the last, the gradient reaching
/// the state (`t_a`: the lines reading it, plus `t_b`, what the step after passed back), the
/// cells backward (the LSTM's cell-state gradient carried in `t_c`) into the error terms of
/// the step's gates in `sd`, and `W_hh^T` of them into `t_b`; then the parameters' gradients
/// as one product each over all steps, and the gradient of what the layer read.
fn gated_backward(node: &Node, distribute: TokenStream) -> TokenStream {
    let (Some(linear), Some(r)) = (&node.linear, node.recurrence()) else {
        return TokenStream::new();
    };
    let Names { sx, sg, sc, sa, sd, .. } = Names::of(node);
    let field = &node.name;
    let (rows, width, steps) = (n(linear.rows), n(r.width), n(r.steps));
    let (inputs, outputs) = (n(node.inputs), n(node.outputs));
    let gates = n(r.cell.gates() * linear.rows);
    let incoming = if r.every {
        q! {
            ::nn::kernels::take_rows(d, #outputs, t * #rows, &mut t_a[..#rows * n], #rows);
            if t + 1 < #steps {
                ::nn::kernels::add_assign(&mut t_a[..#rows * n], &t_b[..#rows * n]);
            }
        }
    } else {
        q! {
            if t + 1 == #steps {
                t_a[..#rows * n].copy_from_slice(d);
            } else {
                let (dh, carry) = (&mut t_a[..#rows * n], &t_b[..#rows * n]);
                dh.copy_from_slice(carry);
            }
        }
    };
    // The error terms of `W_ih x_t` for all steps, and those of `W_hh h_{t-1}`: the same for
    // the LSTM, the second half of `sd` for the GRU.
    let (step, d_hh) = match r.cell {
        Cell::Lstm => (
            q! {
                let memory: &[T] = if t > 0 { &#sc[(t - 1) * #rows * n..t * #rows * n] } else { &[] };
                let dz = &mut #sd[t * #gates * n..(t + 1) * #gates * n];
                ::nn::recurrent::lstm_cells_backward(&#sg[t * #gates * n..(t + 1) * #gates * n], memory, &#sc[t * #rows * n..(t + 1) * #rows * n], &t_a[..#rows * n], &mut t_c[..#rows * n], dz, #rows);
                if t > 0 {
                    ::nn::kernels::linear_backward_input(self.#field.weight_hh.as_slice(), dz, t_b, #gates, #rows, n, T::zero());
                }
            },
            q!(&#sd[..]),
        ),
        _ => (
            q! {
                let state: &[T] = if t > 0 { &#sa[(t - 1) * #rows * n..t * #rows * n] } else { &[] };
                let (d_ih, d_hh) = #sd.split_at_mut(#steps * #gates * n);
                let (d_ih, d_hh) = (&mut d_ih[t * #gates * n..(t + 1) * #gates * n], &mut d_hh[t * #gates * n..(t + 1) * #gates * n]);
                ::nn::recurrent::gru_cells_backward(&#sg[t * #gates * n..(t + 1) * #gates * n], &#sc[t * #rows * n..(t + 1) * #rows * n], state, &t_a[..#rows * n], d_ih, d_hh, &mut t_b[..#rows * n], #rows);
                if t > 0 {
                    ::nn::kernels::linear_backward_input(self.#field.weight_hh.as_slice(), d_hh, t_b, #gates, #rows, n, T::one());
                }
            },
            q!(&#sd[#steps * #gates * n..]),
        ),
    };
    let recurrent_weight = (r.steps > 1).then(|| {
        q! {
            ::nn::kernels::linear_backward_params(&(#d_hh)[#gates * n..], &#sa[..(#steps - 1) * #rows * n], grad.#field.weight_hh.as_mut_slice(), &mut [], #gates, #rows, (#steps - 1) * n, scale);
        }
    });
    let to_source = match node.combine {
        Combine::Read(Source::Input) => TokenStream::new(),
        _ => q! {
            ::nn::kernels::linear_backward_input(self.#field.weight_ih.as_slice(), &#sd[..#steps * #gates * n], t_c, #gates, #width, #steps * n, T::zero());
            t_d[..#inputs * n].fill(T::zero());
            for t in 0..#steps {
                ::nn::kernels::add_to_rows(&t_c[t * #width * n..(t + 1) * #width * n], #width, &mut t_d[..#inputs * n], #inputs, t * #width);
            }
            let d: &mut [T] = &mut t_d[..#inputs * n];
            #distribute
        },
    };
    q! {
        t_c[..#rows * n].fill(T::zero());
        for t in (0..#steps).rev() {
            #incoming
            #step
        }
        ::nn::kernels::linear_backward_params(&#sd[..#steps * #gates * n], #sx, grad.#field.weight_ih.as_mut_slice(), grad.#field.bias_ih.as_mut_slice(), #gates, #width, #steps * n, scale);
        #recurrent_weight
        ::nn::kernels::add_column_sums(#d_hh, grad.#field.bias_hh.as_mut_slice(), scale);
        #to_source
    }
}
