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

use super::activation::{apply_activation, element_wise};
use super::names::{matrix, n, output_of, q, scalar_bound, vector, Names};
use crate::ir::{Combine, Network, Node, Source};

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

/// A reference to what `source` computed in this step: the step's input or a line's value.
fn value(net: &Network, source: Source) -> TokenStream {
    match source {
        Source::Input => q!(x),
        Source::Node(i) => {
            let out = output_of(&net.nodes[i]);
            q!(&#out)
        }
    }
}

/// Every line once, in order; each leaves its value in `<line>_a` (and `<line>_y` after
/// dropout, equal to it in inference mode).
fn step_body(net: &Network) -> TokenStream {
    let mut out = TokenStream::new();
    for node in &net.nodes {
        let field = &node.name;
        let names = Names::of(node);
        let Names { h, z, a, y, .. } = &names;
        let v = vector(node.outputs);
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
            let gathered = if node.linear.is_some() { &names.input } else { z };
            let v_in = vector(node.inputs);
            let input = match &node.combine {
                Combine::Read(source) => value(net, *source),
                Combine::Sum(sources) => {
                    let first = value(net, sources[0]);
                    let rest = sources[1..].iter().map(|&s| value(net, s));
                    out.extend(q!(let #gathered: #v_in = (#first).clone() #(+ #rest)*;));
                    q!(&#gathered)
                }
                Combine::Concat(sources) => {
                    let mut offset = 0;
                    let parts: Vec<_> = sources
                        .iter()
                        .map(|&s| {
                            let (width, start) = (n(net.width(s)), n(offset));
                            offset += net.width(s);
                            let value = value(net, s);
                            q!(#gathered.fixed_rows_mut::<#width>(#start).copy_from(#value);)
                        })
                        .collect();
                    out.extend(q! {
                        let mut #gathered = <#v_in>::zeros();
                        #(#parts)*
                    });
                    q!(&#gathered)
                }
            };
            match &node.linear {
                Some(linear) => {
                    let (w, b) = (matrix(linear.rows, node.inputs), vector(linear.rows));
                    let affine = q!({
                        let w: &#w = &self.#field.weight;
                        let b: &#b = &self.#field.bias;
                        w * #input + b
                    });
                    match linear.pieces {
                        None => out.extend(q!(let #z: #v = #affine;)),
                        Some(pieces) => {
                            let pieces = n(pieces);
                            out.extend(q! {
                                let #h: #b = #affine;
                                let mut #z = <#v>::zeros();
                                ::nn::activation::maxout(#h.as_slice(), #pieces, #z.as_mut_slice());
                            });
                        }
                    }
                }
                None if matches!(node.combine, Combine::Read(_)) => {
                    out.extend(q!(let #z: #v = (#input).clone();));
                }
                None => {}
            }
            let apply = apply_activation(node, z);
            out.extend(q!(let #a: #v = #apply;));
        }
        if node.dropout.is_some() {
            // Inference mode: dropout passes its input through.
            out.extend(q!(let #y = #a;));
        }
    }
    out
}
