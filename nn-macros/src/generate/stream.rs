//! `stream: NetState`: the state type and the streaming call `step`, one step of the
//! sequence in, one output out, for networks that `check::check_stream` accepts.
//!
//! The state holds, per recurrent line, its state `h` and memory `c`
//! (`nn::recurrent::State`). `step` runs every line once: a recurrent line one step of its
//! cell from the step's input (or the state its source line just computed), every other line
//! as in `forward`, in inference mode. Nothing is allocated: every value is a static vector
//! on the stack.

use proc_macro2::TokenStream;
use syn::ext::IdentExt;

use super::activation::element_wise;
use super::forward::{gather, node_value};
use super::names::{matrix, n, output_of, q, scalar_bound, value, vector, Names};
use crate::ir::{Combine, Network, Node};

/// The recurrent lines, whose states the state type holds.
fn recurrent(net: &Network) -> impl Iterator<Item = &Node> {
    net.nodes.iter().filter(|n| n.recurrence().is_some())
}

/// The state type and `step`, or nothing without a `stream:` line.
///
/// Expands to `pub struct AmpState<T: ::nn::Float = f32> { pub memory:
/// ::nn::recurrent::State<T, 16> } impl<T> AmpState<T> { pub fn new() -> Self .. pub fn
/// reset(&mut self) .. } impl<T> Amp<T> { pub fn step(&self, state: &mut AmpState<T>, x:
/// &SVector<T, 1>) -> SVector<T, 1> { .. } }`.
pub(super) fn stream(net: &Network) -> TokenStream {
    let (Some(state), Some((width, steps))) = (&net.stream, net.sequence) else {
        return TokenStream::new();
    };
    let Network { vis, name, .. } = net;
    let bound = scalar_bound(net);
    let fields: Vec<_> = recurrent(net)
        .map(|node| {
            let field = &node.name;
            let h = n(node.linear.as_ref().map_or(0, |l| l.rows));
            let doc = format!(" The state of line `{}`.", field.unraw());
            (q!(#[doc = #doc] pub #field: ::nn::recurrent::State<T, #h>), field)
        })
        .collect();
    let (declarations, names): (Vec<_>, Vec<_>) = fields.into_iter().unzip();
    let (x, y) = (vector(width), vector(net.outputs()));
    let body = step_body(net);
    let output = output_of(net.output());
    let state_doc = format!(
        " The state of [`{name}`]'s streaming call [`{name}::step`]: what each recurrent line carries from one step to the next. [`new`](Self::new) and [`reset`](Self::reset) give the state before the first step.",
    );
    let step_doc = format!(
        " One step of the sequence in, the output after it: after steps `x_1 .. x_t`, the output `forward` gives on those `t` steps, for a network declared with `input: {width} x t` and the same weights. The state carries the steps so far; there is no limit on their number (the {steps} steps of `input` bound `forward` only). Inference mode, no allocation.",
    );
    q! {
        #[doc = #state_doc]
        #[derive(Clone, Debug, PartialEq)]
        #vis struct #state<#bound = f32> {
            #(#declarations,)*
        }

        impl<#bound> #state<T> {
            /// The state before the first step: every recurrent line's state zero.
            pub fn new() -> Self {
                Self { #(#names: ::nn::recurrent::State::zeros(),)* }
            }

            /// Forgets the steps so far: back to the state before the first step.
            pub fn reset(&mut self) {
                *self = Self::new();
            }
        }

        impl<#bound> ::core::default::Default for #state<T> {
            fn default() -> Self {
                Self::new()
            }
        }

        impl<#bound> #name<T> {
            #[doc = #step_doc]
            #[allow(unused_variables)] // the value of a line nothing reads
            pub fn step(&self, state: &mut #state<T>, x: &#x) -> #y {
                #body
                #output
            }
        }
    }
}

/// Every line once, in order; each leaves its value in `<line>_a` (and `<line>_y` after
/// dropout, equal to it in inference mode).
fn step_body(net: &Network) -> TokenStream {
    let mut out = TokenStream::new();
    for node in &net.nodes {
        let field = &node.name;
        let Names { a, y, .. } = &Names::of(node);
        if let (Some(linear), Some(r)) = (&node.linear, node.recurrence()) {
            let input = match node.combine {
                Combine::Read(source) => value(net, source),
                _ => q!(x),
            };
            let state_h = vector(linear.rows);
            if r.cell.gated() {
                out.extend(q! {
                    let #a: #state_h = {
                        let step = self.#field.step(#input, &state.#field.h, &state.#field.c);
                        state.#field.c = step.c;
                        state.#field.h = step.h;
                        step.h
                    };
                });
            } else {
                let (w, u) = (matrix(linear.rows, r.width), matrix(linear.rows, linear.rows));
                let f =
                    element_wise(node.activation).unwrap_or_else(|| q!(::nn::activation::Identity));
                out.extend(q! {
                    let #a: #state_h = {
                        let w: &#w = &self.#field.weight_ih;
                        let u: &#u = &self.#field.weight_hh;
                        let z_t: #state_h = w * #input + self.#field.bias_ih + u * &state.#field.h + self.#field.bias_hh;
                        state.#field.h = z_t.map(|v| ::nn::activation::Activation::<T>::f(&#f, v));
                        state.#field.h
                    };
                });
            }
        } else {
            let input = gather(net, node, &mut out);
            out.extend(node_value(node, &input));
        }
        if node.dropout.is_some() {
            // Inference mode: dropout passes its input through.
            out.extend(q!(let #y = #a;));
        }
    }
    out
}
