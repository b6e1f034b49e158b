//! The gated recurrent layers, `lstm` and `gru` (and their `_sequence` forms): each pass a
//! loop with static bounds over the steps, calling the cell's step of the runtime
//! (`nn::recurrent`), so that the code grows with neither the steps nor the units.
//!
//! The trace keeps, a column per step, the gates after their activations (`<line>_sg`), the
//! cell's memory (`<line>_sc`: the LSTM's cell state, the GRU's `W_hn h + b_hn`) and the
//! states (`<line>_sa`); the node's value is the last state or every state, like `rnn`'s.

use proc_macro2::TokenStream;

use super::backward::incoming;
use super::names::{d_name, gathered_input, matrix, n, q, vector, Names};
use crate::ir::{Cell, Combine, Network, Node, Source};

/// The layer's parameter type: `::nn::Lstm<T, 16, 3, 64>` (units, step width, gate rows).
pub(super) fn layer_type(node: &Node) -> TokenStream {
    let (Some(linear), Some(r)) = (&node.linear, node.recurrence()) else {
        return TokenStream::new();
    };
    let (h, w, g) = (n(linear.rows), n(r.width), n(r.cell.gates() * linear.rows));
    match r.cell {
        Cell::Lstm => q!(::nn::Lstm<T, #h, #w, #g>),
        _ => q!(::nn::Gru<T, #h, #w, #g>),
    }
}

/// The trace's fields of a gated layer: gates, memory and states, a column per step.
pub(super) fn trace_fields(node: &Node) -> Vec<(syn::Ident, TokenStream)> {
    let (Some(linear), Some(r)) = (&node.linear, node.recurrence()) else {
        return Vec::new();
    };
    let Names { sg, sc, sa, .. } = Names::of(node);
    let states = matrix(linear.rows, r.steps);
    vec![(sg, matrix(r.cell.gates() * linear.rows, r.steps)), (sc, states.clone()), (sa, states)]
}

/// The forward pass over the sequence `input`.
///
/// Expands to `let mut memory_sg = ..; for t in 0..10 { let x_t = ..; let step =
/// cell.step(&x_t, &state, &memory); memory_sg.set_column(t, &step.gates); .. }` and the
/// node's `z` and `a`, both its value (a gated layer has no activation of the line's).
pub(super) fn forward(node: &Node, input: &TokenStream) -> TokenStream {
    let (Some(linear), Some(r)) = (&node.linear, node.recurrence()) else {
        return TokenStream::new();
    };
    let Names { sg, sc, sa, z, a, .. } = Names::of(node);
    let field = &node.name;
    let (width, steps) = (n(r.width), n(r.steps));
    let (h, x_t, v) = (vector(linear.rows), vector(r.width), vector(node.outputs));
    let (gates, states) =
        (matrix(r.cell.gates() * linear.rows, r.steps), matrix(linear.rows, r.steps));
    let value = if r.every {
        q!(<#v>::from_column_slice(#sa.as_slice()))
    } else {
        q!(#sa.column(#steps - 1).into_owned())
    };
    q! {
        let mut #sg = <#gates>::zeros();
        let mut #sc = <#states>::zeros();
        let mut #sa = <#states>::zeros();
        {
            let mut state = <#h>::zeros();
            let mut memory = <#h>::zeros();
            for t in 0..#steps {
                let x_t: #x_t = (#input).fixed_rows::<#width>(t * #width).into_owned();
                let step = self.#field.step(&x_t, &state, &memory);
                #sg.set_column(t, &step.gates);
                #sc.set_column(t, &step.c);
                #sa.set_column(t, &step.h);
                state = step.h;
                memory = step.c;
            }
        }
        let #a: #v = #value;
        let #z: #v = #a.clone();
    }
}

/// The previous state and memory of step `t` from the trace (zero before the first step).
fn previous(node: &Node) -> TokenStream {
    let Names { sc, sa, .. } = Names::of(node);
    let h = vector(node.linear.as_ref().map_or(0, |l| l.rows));
    q! {
        let (state, memory): (#h, #h) = if t > 0 {
            (trace.#sa.column(t - 1).into_owned(), trace.#sc.column(t - 1).into_owned())
        } else {
            (<#h>::zeros(), <#h>::zeros())
        };
    }
}

/// Backpropagation through time from `d`, the gradient with respect to the layer's value:
/// step by step from the last, the cell's step backward from the state's gradient (the
/// value's share plus what the step after passed back) and the memory's, adding the
/// parameters' gradients to `grad` and `W_ih^T d_ih` to the gradient of step `t` of the
/// sequence the layer reads.
pub(super) fn backward(net: &Network, node: &Node) -> TokenStream {
    let (Some(linear), Some(r)) = (&node.linear, node.recurrence()) else {
        return TokenStream::new();
    };
    let Names { sg, sc, .. } = Names::of(node);
    let field = &node.name;
    let (width, steps) = (n(r.width), n(r.steps));
    let (h, x_t, g) = (vector(linear.rows), vector(r.width), vector(r.cell.gates() * linear.rows));
    let input = gathered_input(net, node);
    let incoming = incoming(node);
    let to_source = match node.combine {
        Combine::Read(Source::Node(k)) => {
            let d_k = d_name(&net.nodes[k]);
            q! {
                let mut rows = #d_k.fixed_rows_mut::<#width>(t * #width);
                rows += self.#field.weight_ih.tr_mul(&back.d_ih);
            }
        }
        _ => q! {
            if let ::core::option::Option::Some(d_input) = d_input.as_deref_mut() {
                let step: #x_t = self.#field.weight_ih.tr_mul(&back.d_ih);
                let mut rows = d_input.fixed_rows_mut::<#width>(t * #width);
                rows += step;
            }
        },
    };
    let previous = previous(node);
    q! {
        let mut carry = <#h>::zeros();
        let mut carry_memory = <#h>::zeros();
        for t in (0..#steps).rev() {
            let mut dh: #h = carry;
            #incoming
            let x_t: #x_t = (#input).fixed_rows::<#width>(t * #width).into_owned();
            #previous
            let gates: #g = trace.#sg.column(t).into_owned();
            let memory_t: #h = trace.#sc.column(t).into_owned();
            let back = self.#field.step_backward(
                &mut grad.#field, scale, &x_t, &state, &memory, (&gates, &memory_t), &dh, &carry_memory,
            );
            #to_source
            carry = back.h;
            carry_memory = back.c;
        }
    }
}

/// The layer's tangent: the cell's forward-mode step from the tangents of the step's input,
/// state and memory.
pub(super) fn jvp(node: &Node) -> TokenStream {
    let (Some(linear), Some(r)) = (&node.linear, node.recurrence()) else {
        return TokenStream::new();
    };
    let Names { sg, sc, .. } = Names::of(node);
    let field = &node.name;
    let (rows, width, steps) = (n(linear.rows), n(r.width), n(r.steps));
    let (h, v, x_t, g) = (
        vector(linear.rows),
        vector(node.outputs),
        vector(r.width),
        vector(r.cell.gates() * linear.rows),
    );
    let (store, result) = if r.every {
        (q!(out.fixed_rows_mut::<#rows>(t * #rows).copy_from(&tangent);), q!(out))
    } else {
        (q!(), q!(tangent))
    };
    let previous = previous(node);
    q! {
        let d: #v = {
            let mut tangent = <#h>::zeros();
            let mut tangent_memory = <#h>::zeros();
            let mut out = <#v>::zeros();
            for t in 0..#steps {
                let x_t: #x_t = d.fixed_rows::<#width>(t * #width).into_owned();
                #previous
                let gates: #g = trace.#sg.column(t).into_owned();
                let memory_t: #h = trace.#sc.column(t).into_owned();
                let (next, next_memory) = self.#field.step_jvp(
                    &x_t, &tangent, &tangent_memory, &state, &memory, (&gates, &memory_t),
                );
                tangent = next;
                tangent_memory = next_memory;
                #store
            }
            let _ = &mut out;
            #result
        };
    }
}
