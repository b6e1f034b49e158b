//! The batched passes of graph networks: graph convolutions and the readouts `mean_nodes` and
//! `sum_nodes`, over a batch of graphs each with its own adjacency.
//!
//! A graph convolution computes `Z = W X A_hat^T + b` per sample. Its sample's nodes are
//! columns (`X` is `F x N`), so the batch's mixed inputs `X_j A_hat_j^T`, side by side, are
//! one `F x (N n)` matrix (`<line>_xa`), and the products with the weights are one blocked
//! product over every node of every sample; only the mixing by each sample's own `A_hat_j`
//! (`<line>_ahat`) is a small product per sample:
//!
//! ```text
//! A_hat_j = normalize(A_j),  XA = [X_1 A_hat_1^T ... X_n A_hat_n^T]   (per sample)
//! Z = W XA + b,  H = f(Z)                                              (one product)
//! dW += dZ XA^T,  db += dZ 1,  dXA = W^T dZ                            (one product each)
//! dX_j = dXA_j A_hat_j                                                 (per sample)
//! ```
//!
//! A readout sums (or averages) each sample's node features.

use proc_macro2::TokenStream;
use syn::Ident;

use super::names::{d_name, matrix, n, q, Names};
use crate::ir::{Combine, Network, Node, Source};

/// The forward regions of a graph convolution beside its `z` and `a`: every sample's
/// normalised adjacency (`ahat`) and mixed inputs (`xa`).
pub(super) fn forward_regions(node: &Node) -> Vec<(Ident, usize)> {
    let Some((count, features)) = node.graph() else {
        return Vec::new();
    };
    let Names { ahat, xa, .. } = Names::of(node);
    vec![(ahat, count * count), (xa, features * count)]
}

/// The forward pass of a graph convolution over the batch, from `input` (`inputs x n`) and
/// the adjacencies in the network's input `xs`, to `z` (before the activation, which the
/// caller applies).
///
/// Expands to `for j in 0..n { let a_hat = normalize(..); .. }` and
/// `linear(W, conv_xa, conv_z, 5, 3, 4 * n); add_bias(..)`.
pub(super) fn forward(net: &Network, node: &Node, input: &TokenStream) -> TokenStream {
    let (Some(linear), Some((count, features)), Some((inputs_nodes, inputs_features))) =
        (&node.linear, node.graph(), net.graph)
    else {
        return TokenStream::new();
    };
    let Names { ahat, xa, z, .. } = Names::of(node);
    let field = &node.name;
    let offset = n(inputs_nodes * inputs_features);
    let (c, f, rows) = (n(count), n(features), n(linear.rows));
    let (width, inputs) = (n(net.inputs), n(node.inputs));
    let (adjacency, nodes_in) = (matrix(count, count), matrix(features, count));
    q! {
        for j in 0..n {
            let a = <#adjacency>::from_column_slice(&xs[j * #width + #offset..j * #width + #offset + #c * #c]);
            let a_hat: #adjacency = ::nn::graph::normalize(&a);
            let features = <#nodes_in>::from_column_slice(&(#input)[j * #inputs..j * #inputs + #f * #c]);
            let mixed: #nodes_in = features * a_hat.transpose();
            #ahat[j * #c * #c..(j + 1) * #c * #c].copy_from_slice(a_hat.as_slice());
            #xa[j * #f * #c..(j + 1) * #f * #c].copy_from_slice(mixed.as_slice());
        }
        ::nn::kernels::linear(self.#field.weight.as_slice(), #xa, #z, #rows, #f, #c * n);
        ::nn::kernels::add_bias(self.#field.bias.as_slice(), #z);
    }
}

/// A readout over the batch: each sample's node features (`input`, node after node) summed,
/// or averaged, into `z`, in the order of the per-sample code.
pub(super) fn readout(node: &Node, input: &TokenStream) -> TokenStream {
    let Some(r) = node.readout else {
        return TokenStream::new();
    };
    let z = Names::of(node).z;
    let (u, c, inputs) = (n(node.outputs), n(r.nodes), n(node.inputs));
    let mean = r.mean.then(|| {
        q! {
            for v in #z.iter_mut() {
                *v /= <T as ::nn::Float>::lit(#c as f64);
            }
        }
    });
    q! {
        #z.fill(T::zero());
        for (sum, features) in #z.chunks_exact_mut(#u).zip((#input).chunks_exact(#inputs)) {
            for column in features[..#u * #c].chunks_exact(#u) {
                ::nn::kernels::add_assign(sum, column);
            }
        }
        #mean
    }
}

/// The backward pass of a graph convolution from `d = dL/dZ` (after the activation's
/// derivative) or of a readout from `d = dL/dz`, adding the gradients to `grad` and to the
/// node it reads (the network's input gets none in batches).
pub(super) fn backward(net: &Network, node: &Node) -> TokenStream {
    let target = match node.combine {
        Combine::Read(Source::Node(k)) => Some(d_name(&net.nodes[k])),
        _ => None,
    };
    if let Some(r) = node.readout {
        let Some(d_k) = target else {
            return TokenStream::new();
        };
        let (u, c, inputs) = (n(node.outputs), n(r.nodes), n(node.inputs));
        let share = if r.mean { q!(v / <T as ::nn::Float>::lit(#c as f64)) } else { q!(v) };
        return q! {
            for (rows, d) in #d_k.chunks_exact_mut(#inputs).zip(d.chunks_exact(#u)) {
                for rows in rows[..#u * #c].chunks_exact_mut(#u) {
                    for (t, &v) in rows.iter_mut().zip(d.iter()) {
                        *t += #share;
                    }
                }
            }
        };
    }
    let (Some(linear), Some((count, features))) = (&node.linear, node.graph()) else {
        return TokenStream::new();
    };
    let Names { ahat, xa, .. } = Names::of(node);
    let field = &node.name;
    let (c, f, rows, inputs) = (n(count), n(features), n(linear.rows), n(node.inputs));
    let (adjacency, nodes_in) = (matrix(count, count), matrix(features, count));
    let to_source = target.map(|d_k| {
        q! {
            ::nn::kernels::linear_backward_input(self.#field.weight.as_slice(), d, t_c, #rows, #f, #c * n, T::zero());
            for j in 0..n {
                let a_hat = <#adjacency>::from_column_slice(&#ahat[j * #c * #c..(j + 1) * #c * #c]);
                let d_x: #nodes_in = <#nodes_in>::from_column_slice(&t_c[j * #f * #c..(j + 1) * #f * #c]) * a_hat;
                ::nn::kernels::add_assign(&mut #d_k[j * #inputs..j * #inputs + #f * #c], d_x.as_slice());
            }
        }
    });
    q! {
        ::nn::kernels::linear_backward_params(d, #xa, grad.#field.weight.as_mut_slice(), grad.#field.bias.as_mut_slice(), #rows, #f, #c * n, scale);
        #to_source
    }
}
