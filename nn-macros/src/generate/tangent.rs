//! Forward-mode differentiation (section 4.5.3 of the textbook): tangents carried beside the
//! values of the forward pass.

use proc_macro2::TokenStream;

use super::activation::{activation_backward, element_wise, Pass};
use super::forward::readout;
use super::names::{matrix, n, output_of, q, tangent_name, vector, Names};
use crate::ir::{Combine, Network, Node, Source};

/// Forward-mode differentiation (section 4.5.3 of the textbook): the forward pass carrying,
/// beside each node's value, its tangent `n_t`, the derivative along the input direction `v`.
/// Linear maps carry tangents by their weights alone (`W t`); maxout by its winning pieces;
/// activations by their Jacobians, which are diagonal (element-wise and learnable ones, whose
/// parameters are fixed here) or symmetric (softmax), so that the reverse pass's
/// vector-Jacobian products compute them. Dropout is off (inference mode).
pub(super) fn tangents(net: &Network) -> TokenStream {
    let mut out = TokenStream::new();
    for node in &net.nodes {
        let names = Names::of(node);
        let field = &node.name;
        let t = tangent_name(node);
        let v = vector(node.outputs);
        let v_in = vector(node.inputs);
        let tangent_of = |source: Source| match source {
            Source::Input => q!(*v),
            Source::Node(i) => {
                let t = tangent_name(&net.nodes[i]);
                q!(#t)
            }
        };
        let input = match &node.combine {
            Combine::Read(source) => tangent_of(*source),
            Combine::Sum(sources) => {
                let terms = sources.iter().map(|&s| tangent_of(s));
                q!(<#v_in>::zeros() #(+ #terms)*)
            }
            Combine::Concat(sources) => {
                let mut offset = 0;
                let parts = sources.iter().map(|&s| {
                    let (width, start) = (n(net.width(s)), n(offset));
                    offset += net.width(s);
                    let t = tangent_of(s);
                    q!(t.fixed_rows_mut::<#width>(#start).copy_from(&#t);)
                });
                let parts: Vec<_> = parts.collect();
                q!({
                    let mut t = <#v_in>::zeros();
                    #(#parts)*
                    t
                })
            }
        };
        let mut body = q!(let d: #v_in = #input;);
        if node.recurrence().is_some() {
            body.extend(recurrent_jvp(node));
            out.extend(q!(let #t: #v = { #body d };));
            continue;
        }
        if node.graph().is_some() {
            body.extend(graph_jvp(net, node));
            body.extend(activation_backward(node, Pass::Forward));
            out.extend(q!(let #t: #v = { #body d };));
            continue;
        }
        if node.readout.is_some() {
            let reduce = readout(node, q!(d.as_slice()));
            body.extend(q!(let d: #v = #reduce;));
        }
        if let Some(linear) = &node.linear {
            let v_h = vector(linear.rows);
            let w = matrix(linear.rows, node.inputs);
            body.extend(q! {
                let w: &#w = &self.#field.weight;
                let d: #v_h = w * d;
            });
            if let Some(pieces) = linear.pieces {
                let (h, pieces) = (&names.h, n(pieces));
                body.extend(q! {
                    let d: #v = {
                        let mut t = <#v>::zeros();
                        ::nn::activation::maxout_jvp(trace.#h.as_slice(), #pieces, d.as_slice(), t.as_mut_slice());
                        t
                    };
                });
            }
        }
        body.extend(activation_backward(node, Pass::Forward));
        out.extend(q!(let #t: #v = { #body d };));
    }
    out
}

/// A recurrent layer's tangent: `dz_t = W dx_t + U dh_{t-1}`, `dh_t = f'(z_t) dz_t`.
pub(super) fn recurrent_jvp(node: &Node) -> TokenStream {
    let (Some(linear), Some(r)) = (&node.linear, node.recurrence()) else {
        return TokenStream::new();
    };
    if r.cell.gated() {
        return super::gated::jvp(node);
    }
    let Names { sz, sa, .. } = Names::of(node);
    let field = &node.name;
    let (rows, width, steps) = (n(linear.rows), n(r.width), n(r.steps));
    let (h, v) = (vector(linear.rows), vector(node.outputs));
    let (w, u) = (matrix(linear.rows, r.width), matrix(linear.rows, linear.rows));
    let f = element_wise(node.activation).unwrap_or_else(|| q!(::nn::activation::Identity));
    let (store, result) = if r.every {
        (q!(out.fixed_rows_mut::<#rows>(t * #rows).copy_from(&state);), q!(out))
    } else {
        (q!(), q!(state))
    };
    q! {
        let d: #v = {
            let w: &#w = &self.#field.weight_ih;
            let u: &#u = &self.#field.weight_hh;
            let mut state = <#h>::zeros();
            let mut out = <#v>::zeros();
            for t in 0..#steps {
                let tz: #h = w * d.fixed_rows::<#width>(t * #width) + u * &state;
                state = tz.zip_zip_map(&trace.#sz.column(t), &trace.#sa.column(t), |g, z, a| {
                    g * ::nn::activation::Activation::<T>::df(&#f, z, a)
                });
                #store
            }
            let _ = &mut out;
            #result
        };
    }
}

/// A graph convolution's tangent: `dZ = W (dX A_hat^T + X dA_hat^T)`, `dA_hat` the
/// normalisation's directional derivative along the input direction's adjacency.
pub(super) fn graph_jvp(net: &Network, node: &Node) -> TokenStream {
    let (Some(linear), Some((count, features)), Some((inputs_nodes, inputs_features))) =
        (&node.linear, node.graph(), net.graph)
    else {
        return TokenStream::new();
    };
    let Names { ahat, .. } = Names::of(node);
    let field = &node.name;
    let offset = n(inputs_nodes * inputs_features);
    let (c, f) = (n(count), n(features));
    let (adjacency, nodes_in, zs) =
        (matrix(count, count), matrix(features, count), matrix(linear.rows, count));
    let (w, out) = (matrix(linear.rows, features), vector(node.outputs));
    let primal = match node.combine {
        Combine::Read(Source::Node(k)) => {
            let value = output_of(&net.nodes[k]);
            q!(&trace.#value)
        }
        _ => q!(x),
    };
    q! {
        let d: #out = {
            let w: &#w = &self.#field.weight;
            let features: #nodes_in = <#nodes_in>::from_column_slice(&(#primal).as_slice()[..#f * #c]);
            let t_features: #nodes_in = <#nodes_in>::from_column_slice(&d.as_slice()[..#f * #c]);
            let a = <#adjacency>::from_column_slice(&x.as_slice()[#offset..#offset + #c * #c]);
            let t_a = <#adjacency>::from_column_slice(&v.as_slice()[#offset..#offset + #c * #c]);
            let t_ahat: #adjacency = ::nn::graph::normalize_jvp(&a, &trace.#ahat, &t_a);
            let t_z: #zs = w * (t_features * trace.#ahat.transpose() + features * t_ahat.transpose());
            <#out>::from_column_slice(t_z.as_slice())
        };
    }
}
