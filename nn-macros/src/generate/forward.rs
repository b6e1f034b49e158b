//! The forward pass of one sample: the trace struct of its intermediates, the code filling
//! it node by node, and the loss read from it.

use proc_macro2::{Literal, TokenStream};
use syn::Ident;

use super::activation::{apply_activation, element_wise};
use super::layout::kernel_layer;
use super::names::{matrix, n, output_of, q, stores_input, trace_name, value, vector, Names};
use crate::ir::{Combine, LossKind, Network, Node};

/// The fields of the trace for one node, with their types, in one place for the struct and
/// for the code that fills it.
fn trace_fields(node: &Node) -> Vec<(Ident, TokenStream)> {
    let names = Names::of(node);
    let v = vector(node.outputs);
    let mut fields = Vec::new();
    if stores_input(node) {
        fields.push((names.input, vector(node.inputs)));
    }
    if let Some(linear) = node.linear.as_ref().filter(|l| l.pieces.is_some()) {
        fields.push((names.h, vector(linear.rows)));
    }
    if node.recurrence().is_some_and(|r| r.cell.gated()) {
        fields.extend(super::gated::trace_fields(node));
    } else if let Some((linear, r)) = node.linear.as_ref().zip(node.recurrence()) {
        let states = matrix(linear.rows, r.steps);
        fields.push((names.sz, states.clone()));
        fields.push((names.sa, states));
    }
    if let Some((count, features)) = node.graph() {
        fields.push((names.ahat, matrix(count, count)));
        fields.push((names.xa, matrix(features, count)));
    }
    fields.push((names.z, v.clone()));
    fields.push((names.a, v.clone()));
    if node.dropout.is_some() {
        fields.push((names.m, v.clone()));
        fields.push((names.y, v));
    }
    fields
}

/// The intermediates of one sample's forward pass, named `<line>_<role>` (see `names`).
///
/// Expands to `struct __XorTrace<T: ::nn::Float> { hidden_z: SVector<T, 8>, hidden_a: .. }`.
pub(super) fn trace_struct(net: &Network) -> TokenStream {
    let trace = trace_name(net);
    let fields = net.nodes.iter().flat_map(trace_fields).map(|(name, ty)| q!(#name: #ty));
    q! {
        // A field only the backward pass reads (an output's `z`) is dead code where the
        // network is declared inside a macro, whose expansion rustc lints like user code.
        #[allow(non_camel_case_types, non_snake_case, dead_code)]
        struct #trace<T: ::nn::Float> {
            #(#fields,)*
        }
    }
}

/// The body of the forward pass of one sample, ending in its trace: every node's block, then
/// `__XorTrace { hidden_z, hidden_a, .. }`. Dropout is on when `rng` holds a generator.
pub(super) fn trace_body(net: &Network) -> TokenStream {
    let trace = trace_name(net);
    let nodes = forward_nodes(net);
    let fields = net.nodes.iter().flat_map(trace_fields).map(|(name, _)| name);
    q! {
        #nodes
        #trace { #(#fields,)* }
    }
}

/// One block per node: gather its input, `z = W x + b` (maxout: the max over each unit's
/// pieces), `a = f(z)`, and with dropout `y = a * mask`.
///
/// Expands to
/// `let hidden_z: SVector<T, 8> = { let w: &SMatrix<T, 8, 2> = &self.hidden.weight; .. w * x + b };`
/// `let hidden_a: SVector<T, 8> = hidden_z.map(|v| Activation::f(&::nn::activation::Tanh, v));`
fn forward_nodes(net: &Network) -> TokenStream {
    let mut out = TokenStream::new();
    for node in &net.nodes {
        let Names { z, a, m, y, .. } = &Names::of(node);
        let v = vector(node.outputs);
        let input = gather(net, node, &mut out);
        match &node.linear {
            Some(linear) if linear.recurrent.is_some() => {
                out.extend(recurrent_forward(node, &input));
            }
            Some(linear) if linear.graph.is_some() => {
                out.extend(graph_forward(net, node, &input));
                let apply = apply_activation(node, z);
                out.extend(q!(let #a: #v = #apply;));
            }
            _ => out.extend(node_value(node, &input)),
        }
        if let Some(p) = node.dropout {
            let p = Literal::f64_suffixed(p);
            out.extend(q! {
                let mut #m = <#v>::from_element(T::one());
                if let ::core::option::Option::Some(rng) = rng.as_deref_mut() {
                    ::nn::dropout::mask(rng, #p, #m.as_mut_slice());
                }
                let #y: #v = #a.component_mul(&#m);
            });
        }
    }
    out
}

/// What a node reads, as an expression: `x` or `&line_a` as is, or a sum or concatenation
/// first gathered (by code appended to `out`) into `<line>_in` for a layer, else into the
/// node's `<line>_z`.
pub(super) fn gather(net: &Network, node: &Node, out: &mut TokenStream) -> TokenStream {
    let names = Names::of(node);
    let gathered = if node.linear.is_some() { &names.input } else { &names.z };
    let v_in = vector(node.inputs);
    match &node.combine {
        Combine::Read(source) => value(net, *source),
        Combine::Sum(sources) => {
            let first = value(net, sources[0]);
            let rest = sources[1..].iter().map(|&s| value(net, s));
            out.extend(q!(let #gathered: #v_in = (#first).clone() #(+ #rest)*;));
            q!(&#gathered)
        }
        Combine::Concat(sources) => {
            let mut offset = 0;
            let parts = sources.iter().map(|&s| {
                let (width, start) = (n(net.width(s)), n(offset));
                offset += net.width(s);
                let value = value(net, s);
                q!(#gathered.fixed_rows_mut::<#width>(#start).copy_from(#value);)
            });
            let parts: Vec<_> = parts.collect();
            out.extend(q! {
                let mut #gathered = <#v_in>::zeros();
                #(#parts)*
            });
            q!(&#gathered)
        }
    }
}

/// `<line>_z` and `<line>_a` of a node that is neither recurrent nor a graph convolution, from
/// its gathered `input`: a dense layer (`z = W x + b`, through the kernels when the layer is
/// wide enough, fused there with an element-wise activation), maxout (the max over each
/// unit's pieces), a readout, or the input itself; then the activation.
pub(super) fn node_value(node: &Node, input: &TokenStream) -> TokenStream {
    let field = &node.name;
    let Names { h, z, a, .. } = &Names::of(node);
    let v = vector(node.outputs);
    let mut out = TokenStream::new();
    match &node.linear {
        Some(linear) => {
            let w = matrix(linear.rows, node.inputs);
            let b = vector(linear.rows);
            let operands = q! {
                let w: &#w = &self.#field.weight;
                let b: &#b = &self.#field.bias;
            };
            let kernel = kernel_layer(linear.rows, node.inputs);
            let affine = if kernel {
                q!({
                    #operands
                    ::nn::kernels::affine(w, b, #input)
                })
            } else {
                q!({
                    #operands
                    w * #input + b
                })
            };
            match (linear.pieces, element_wise(node.activation)) {
                // The product, the bias and an element-wise activation in one kernel.
                (None, Some(f)) if kernel => {
                    out.extend(q! {
                        let (#z, #a): (#v, #v) = {
                            #operands
                            ::nn::kernels::dense(w, b, #input, &#f)
                        };
                    });
                    return out;
                }
                (None, _) => out.extend(q!(let #z: #v = #affine;)),
                (Some(pieces), _) => {
                    let pieces = n(pieces);
                    out.extend(q! {
                        let #h: #b = #affine;
                        let mut #z = <#v>::zeros();
                        ::nn::activation::maxout(#h.as_slice(), #pieces, #z.as_mut_slice());
                    });
                }
            }
        }
        None if node.readout.is_some() => {
            let reduce = readout(node, q!((#input).as_slice()));
            out.extend(q!(let #z: #v = #reduce;));
        }
        None if matches!(node.combine, Combine::Read(_)) => {
            out.extend(q!(let #z: #v = (#input).clone();));
        }
        None => {}
    }
    let apply = apply_activation(node, z);
    out.extend(q!(let #a: #v = #apply;));
    out
}

/// A recurrent layer over its sequence, a loop with static bounds (the code does not grow with
/// the steps): `z_t = W x_t + U h_{t-1} + b`, `h_t = f(z_t)`, `h_0 = 0`, keeping every `z_t`
/// and `h_t` as the columns of `n_sz` and `n_sa`; the node's value is the last state, or all
/// of them one after the other for `rnn_sequence`.
pub(super) fn recurrent_forward(node: &Node, input: &TokenStream) -> TokenStream {
    let (Some(linear), Some(r)) = (&node.linear, node.recurrence()) else {
        return TokenStream::new();
    };
    if r.cell.gated() {
        return super::gated::forward(node, input);
    }
    let Names { sz, sa, z, a, .. } = Names::of(node);
    let field = &node.name;
    let (width, steps) = (n(r.width), n(r.steps));
    let (h, states, v) = (vector(linear.rows), matrix(linear.rows, r.steps), vector(node.outputs));
    let (w, u) = (matrix(linear.rows, r.width), matrix(linear.rows, linear.rows));
    let f = element_wise(node.activation).unwrap_or_else(|| q!(::nn::activation::Identity));
    let value = |states: &Ident| {
        if r.every {
            q!(<#v>::from_column_slice(#states.as_slice()))
        } else {
            q!(#states.column(#steps - 1).into_owned())
        }
    };
    let (z_value, a_value) = (value(&sz), value(&sa));
    q! {
        let mut #sz = <#states>::zeros();
        let mut #sa = <#states>::zeros();
        {
            let w: &#w = &self.#field.weight_ih;
            let u: &#u = &self.#field.weight_hh;
            let b: #h = self.#field.bias_ih + self.#field.bias_hh;
            let mut state = <#h>::zeros();
            for t in 0..#steps {
                let z_t: #h = w * (#input).fixed_rows::<#width>(t * #width) + u * &state + &b;
                state = z_t.map(|v| ::nn::activation::Activation::<T>::f(&#f, v));
                #sz.set_column(t, &z_t);
                #sa.set_column(t, &state);
            }
        }
        let #z: #v = #z_value;
        let #a: #v = #a_value;
    }
}

/// A graph convolution (Kipf and Welling): `Z = W X A_hat^T + b`, each node a column of `X`
/// (`F x N`, what the layer reads) and of `Z`; `A_hat` normalises the adjacency in the
/// network's input. Keeps `A_hat` and `X A_hat^T` for the backward pass.
pub(super) fn graph_forward(net: &Network, node: &Node, input: &TokenStream) -> TokenStream {
    let (Some(linear), Some((count, features)), Some((inputs_nodes, inputs_features))) =
        (&node.linear, node.graph(), net.graph)
    else {
        return TokenStream::new();
    };
    let Names { ahat, xa, z, .. } = Names::of(node);
    let field = &node.name;
    let offset = n(inputs_nodes * inputs_features);
    let (c, f) = (n(count), n(features));
    let (adjacency, nodes_in) = (matrix(count, count), matrix(features, count));
    let (w, b, zs, v) = (
        matrix(linear.rows, features),
        vector(linear.rows),
        matrix(linear.rows, count),
        vector(node.outputs),
    );
    q! {
        let #ahat: #adjacency = ::nn::graph::normalize(&<#adjacency>::from_column_slice(&x.as_slice()[#offset..#offset + #c * #c]));
        let #xa: #nodes_in = <#nodes_in>::from_column_slice(&(#input).as_slice()[..#f * #c]) * #ahat.transpose();
        let #z: #v = {
            let w: &#w = &self.#field.weight;
            let b: &#b = &self.#field.bias;
            let mut z: #zs = w * &#xa;
            for mut column in z.column_iter_mut() {
                column += b;
            }
            <#v>::from_column_slice(z.as_slice())
        };
    }
}

/// A graph-level readout: the node features in `slice` (node after node) summed, or averaged,
/// over the nodes.
pub(super) fn readout(node: &Node, slice: TokenStream) -> TokenStream {
    let Some(r) = node.readout else {
        return TokenStream::new();
    };
    let (u, c) = (n(node.outputs), n(r.nodes));
    let nodes = matrix(node.outputs, r.nodes);
    let mean = r.mean.then(|| q!(sum /= <T as ::nn::Float>::lit(#c as f64);));
    q!({
        let features = <#nodes>::from_column_slice(&#slice[..#u * #c]);
        let mut sum = features.column_sum();
        #mean
        sum
    })
}

/// The loss of one sample from the trace in scope as `trace` and the target as `target`;
/// fused losses read the output's logits `z`, `mse` its value.
pub(super) fn loss_value(net: &Network) -> TokenStream {
    let out = net.output();
    let z = &Names::of(out).z;
    let value = output_of(out);
    match net.loss.kind {
        LossKind::Mse => q!(::nn::loss::mse(trace.#value.as_slice(), target.as_slice())),
        LossKind::BinaryCrossEntropy => {
            q!(::nn::loss::binary_cross_entropy_with_logits(trace.#z.as_slice(), target.as_slice()))
        }
        LossKind::CrossEntropy => {
            q!(::nn::loss::cross_entropy_with_logits(trace.#z.as_slice(), target.as_slice()))
        }
    }
}
