//! The backward pass of one sample (section 4.4 of the textbook), node by node from the output,
//! and the L2 penalty's gradient.

use proc_macro2::{Literal, TokenStream};

use super::activation::{activation_backward, element_wise, Pass};
use super::layout::kernel_layer;
use super::names::{d_name, gathered_input, layers, matrix, n, output_of, q, vector, Names};
use crate::ir::{Combine, LossKind, Network, Node, Source};

/// Where the backward pass starts: from the loss's gradient, or from a cotangent `u` of the
/// output (a vector-Jacobian product `J^T u`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Start {
    Loss,
    Cotangent,
}

/// Backpropagation (section 4.4 of the textbook), node by node from the output: from `n_d`,
/// the gradient with respect to a node's output, through dropout and the activation to the
/// error term `delta = dL/dz`; then `dW += scale * delta x^T`, `db += scale * delta`, and
/// `W^T delta` added to the gradient of every node the line reads (the input's only when
/// `d_input` is asked for). A node read by several lines has their contributions summed before
/// its own turn comes, since every line reads only lines above it.
pub(super) fn backward(net: &Network, start: Start) -> TokenStream {
    let last = net.nodes.len() - 1;
    let accumulators = net.nodes[..last].iter().map(|node| {
        let d = d_name(node);
        let v = vector(node.outputs);
        q!(let mut #d = <#v>::zeros();)
    });
    let mut out: TokenStream = accumulators.collect();
    for (index, node) in net.nodes.iter().enumerate().rev() {
        let names = Names::of(node);
        let v = vector(node.outputs);
        let fused = index == last && start == Start::Loss && net.loss.kind != LossKind::Mse;
        // `d`: first the gradient with respect to the node's output, then with respect to `z`.
        let mut body = if index < last {
            let d_node = d_name(node);
            q!(let d: #v = #d_node;)
        } else if start == Start::Cotangent {
            q!(let d: #v = *cotangent;)
        } else {
            let (z, value) = (&names.z, output_of(node));
            let (grad_fn, of) = match net.loss.kind {
                LossKind::Mse => (q!(mse_grad), value),
                LossKind::BinaryCrossEntropy => {
                    (q!(binary_cross_entropy_with_logits_grad), z.clone())
                }
                LossKind::CrossEntropy => (q!(cross_entropy_with_logits_grad), z.clone()),
            };
            q! {
                let mut d = <#v>::zeros();
                ::nn::loss::#grad_fn(trace.#of.as_slice(), target.as_slice(), d.as_mut_slice());
            }
        };
        if node.dropout.is_some() {
            let m = &names.m;
            body.extend(q!(let d: #v = d.component_mul(&trace.#m);));
        }
        if node.recurrence().is_some() {
            body.extend(recurrent_backward(net, node));
            out.extend(q!({ #body }));
            continue;
        }
        if !fused {
            body.extend(activation_backward(node, Pass::Reverse));
        }
        if node.graph().is_some() {
            body.extend(graph_backward(net, node));
            out.extend(q!({ #body }));
            continue;
        }
        if let Some(linear) = &node.linear {
            let field = &node.name;
            if let Some(pieces) = linear.pieces {
                let (h, v_h, pieces) = (&names.h, vector(linear.rows), n(pieces));
                body.extend(q! {
                    let d: #v_h = {
                        let mut d_h = <#v_h>::zeros();
                        ::nn::activation::maxout_backward(trace.#h.as_slice(), #pieces, d.as_slice(), d_h.as_mut_slice());
                        d_h
                    };
                });
            }
            let input = gathered_input(net, node);
            let kernel = kernel_layer(linear.rows, node.inputs);
            if kernel {
                let bias = if linear.bias {
                    q!(::core::option::Option::Some(&mut grad.#field.bias))
                } else {
                    q!(::core::option::Option::None)
                };
                body.extend(
                    q!(::nn::kernels::outer(scale, &d, #input, &mut grad.#field.weight, #bias);),
                );
            } else {
                body.extend(q!(grad.#field.weight.ger(scale, &d, #input, T::one());));
                if linear.bias {
                    body.extend(q!(grad.#field.bias.axpy(scale, &d, T::one());));
                }
            }
            let v_in = vector(node.inputs);
            let back = distribute(net, node);
            let product = if kernel {
                q!(::nn::kernels::tr_mul(&self.#field.weight, &d))
            } else {
                q!(self.#field.weight.tr_mul(&d))
            };
            let through = q! {
                let d: #v_in = #product;
                #back
            };
            // Only the input's gradient may be wanted here: skip `W^T d` unless it is.
            if node.combine.sources().iter().all(|&s| s == Source::Input) {
                body.extend(q! {
                    if d_input.is_some() {
                        #through
                    }
                });
            } else {
                body.extend(through);
            }
        } else if node.readout.is_some() {
            body.extend(readout_backward(net, node));
        } else {
            body.extend(distribute(net, node));
        }
        out.extend(q!({ #body }));
    }
    out
}

/// Backpropagation through time for a recurrent layer, from `d`, the gradient with respect to
/// its value: step by step from the last, `dz_t = f'(z_t) (d_t + U^T dz_{t+1})`, adding
/// `dz_t x_t^T` to `dW`, `dz_t h_{t-1}^T` to `dU`, `dz_t` to `db`, and `W^T dz_t` to the
/// gradient of step `t` of the sequence the layer reads.
pub(super) fn recurrent_backward(net: &Network, node: &Node) -> TokenStream {
    let (Some(linear), Some(r)) = (&node.linear, node.recurrence()) else {
        return TokenStream::new();
    };
    if r.cell.gated() {
        return super::gated::backward(net, node);
    }
    let Names { sz, sa, .. } = Names::of(node);
    let field = &node.name;
    let (width, steps) = (n(r.width), n(r.steps));
    let (h, x_t) = (vector(linear.rows), vector(r.width));
    let f = element_wise(node.activation).unwrap_or_else(|| q!(::nn::activation::Identity));
    let input = gathered_input(net, node);
    let incoming = incoming(node);
    let to_source = match node.combine {
        Combine::Read(Source::Node(k)) => {
            let d_k = d_name(&net.nodes[k]);
            q! {
                let mut rows = #d_k.fixed_rows_mut::<#width>(t * #width);
                rows += self.#field.weight_ih.tr_mul(&dz);
            }
        }
        _ => q! {
            if let ::core::option::Option::Some(d_input) = d_input.as_deref_mut() {
                let step: #x_t = self.#field.weight_ih.tr_mul(&dz);
                let mut rows = d_input.fixed_rows_mut::<#width>(t * #width);
                rows += step;
            }
        },
    };
    q! {
        let mut carry = <#h>::zeros();
        for t in (0..#steps).rev() {
            let mut dh: #h = carry;
            #incoming
            let dz: #h = dh.zip_zip_map(&trace.#sz.column(t), &trace.#sa.column(t), |g, z, a| {
                g * ::nn::activation::Activation::<T>::df(&#f, z, a)
            });
            grad.#field.weight_ih.ger(scale, &dz, &(#input).fixed_rows::<#width>(t * #width), T::one());
            if t > 0 {
                grad.#field.weight_hh.ger(scale, &dz, &trace.#sa.column(t - 1), T::one());
            }
            grad.#field.bias_ih.axpy(scale, &dz, T::one());
            grad.#field.bias_hh.axpy(scale, &dz, T::one());
            #to_source
            carry = self.#field.weight_hh.tr_mul(&dz);
        }
    }
}

/// A graph convolution's backward pass from `d = dL/dZ`: `dW += dZ (X A_hat^T)^T`,
/// `db += dZ 1`, `dX = W^T dZ A_hat` to what it reads, and, when the input's gradient is
/// wanted, `dA_hat = dZ^T W X` through the normalisation to the input's adjacency.
pub(super) fn graph_backward(net: &Network, node: &Node) -> TokenStream {
    let (Some(linear), Some((count, features)), Some((inputs_nodes, inputs_features))) =
        (&node.linear, node.graph(), net.graph)
    else {
        return TokenStream::new();
    };
    let Names { ahat, xa, .. } = Names::of(node);
    let field = &node.name;
    let offset = n(inputs_nodes * inputs_features);
    let (c, f) = (n(count), n(features));
    let (adjacency, nodes_in, zs) =
        (matrix(count, count), matrix(features, count), matrix(linear.rows, count));
    let w = matrix(linear.rows, features);
    let input = gathered_input(net, node);
    let to_source = match node.combine {
        Combine::Read(Source::Node(k)) => {
            let d_k = d_name(&net.nodes[k]);
            let v_k = vector(net.nodes[k].outputs);
            q!(#d_k += <#v_k>::from_column_slice(d_x.as_slice());)
        }
        _ => q! {
            if let ::core::option::Option::Some(d_input) = d_input.as_deref_mut() {
                for (t, &v) in d_input.as_mut_slice()[..#f * #c].iter_mut().zip(d_x.iter()) {
                    *t += v;
                }
            }
        },
    };
    q! {
        let d: #zs = <#zs>::from_column_slice(d.as_slice());
        let w: &#w = &self.#field.weight;
        grad.#field.weight.gemm(scale, &d, &trace.#xa.transpose(), T::one());
        grad.#field.bias.axpy(scale, &d.column_sum(), T::one());
        if let ::core::option::Option::Some(d_input) = d_input.as_deref_mut() {
            let features: #nodes_in = <#nodes_in>::from_column_slice(&(#input).as_slice()[..#f * #c]);
            let d_ahat: #adjacency = d.transpose() * (w * features);
            let a = <#adjacency>::from_column_slice(&x.as_slice()[#offset..#offset + #c * #c]);
            let d_a = ::nn::graph::normalize_backward(&a, &trace.#ahat, &d_ahat);
            for (t, &v) in d_input.as_mut_slice()[#offset..#offset + #c * #c].iter_mut().zip(d_a.iter()) {
                *t += v;
            }
        }
        let d_x: #nodes_in = w.tr_mul(&d) * &trace.#ahat;
        #to_source
    }
}

/// A readout's backward pass: `d` (or `d / N` for the mean) to every node's features.
pub(super) fn readout_backward(net: &Network, node: &Node) -> TokenStream {
    let Some(r) = node.readout else {
        return TokenStream::new();
    };
    let (u, c) = (n(node.outputs), n(r.nodes));
    let scale = if r.mean { q!(let d = d / <T as ::nn::Float>::lit(#c as f64);) } else { q!() };
    let target = match node.combine {
        Combine::Read(Source::Node(k)) => {
            let d_k = d_name(&net.nodes[k]);
            q! {
                for column in 0..#c {
                    let mut rows = #d_k.fixed_rows_mut::<#u>(column * #u);
                    rows += &d;
                }
            }
        }
        _ => q! {
            if let ::core::option::Option::Some(d_input) = d_input.as_deref_mut() {
                for column in 0..#c {
                    let mut rows = d_input.fixed_rows_mut::<#u>(column * #u);
                    rows += &d;
                }
            }
        },
    };
    q! {
        #scale
        #target
    }
}

/// Adds `d`, the gradient with respect to a node's gathered input, to the gradients of the
/// nodes it reads: all of `d` to each term of a sum, its slice to each part of a concatenation.
pub(super) fn distribute(net: &Network, node: &Node) -> TokenStream {
    let add = |source: Source, part: TokenStream| match source {
        Source::Input => q! {
            if let ::core::option::Option::Some(d_input) = d_input.as_deref_mut() {
                *d_input += #part;
            }
        },
        Source::Node(i) => {
            let d = d_name(&net.nodes[i]);
            q!(#d += #part;)
        }
    };
    match &node.combine {
        Combine::Read(source) => add(*source, q!(&d)),
        Combine::Sum(sources) => sources.iter().map(|&s| add(s, q!(&d))).collect(),
        Combine::Concat(sources) => {
            let mut offset = 0;
            sources
                .iter()
                .map(|&s| {
                    let (width, start) = (n(net.width(s)), n(offset));
                    offset += net.width(s);
                    add(s, q!(d.fixed_rows::<#width>(#start)))
                })
                .collect()
        }
    }
}

/// The L2 penalty `lambda / 2 * sum ||W||^2`, and the body adding its gradient `lambda * W`
/// to `grad`; zero and nothing without an `l2:` line.
pub(super) fn l2_penalty(net: &Network) -> (TokenStream, TokenStream) {
    let Some(lambda) = net.l2 else {
        return (q!(T::zero()), q!());
    };
    let half = Literal::f64_suffixed(lambda / 2.0);
    let lambda = Literal::f64_suffixed(lambda);
    let weights: Vec<(TokenStream, TokenStream)> = layers(net).flat_map(weights).collect();
    let paths = weights.iter().map(|w| &w.0);
    let grads = weights.iter().map(|(path, ty)| {
        q! {
            let w: &#ty = &self.#path;
            grad.#path.zip_apply(w, |g, w| *g += lambda * w);
        }
    });
    (
        q!(<T as ::nn::Float>::lit(#half) * (T::zero() #(+ self.#paths.norm_squared())*)),
        q! {
            let lambda = <T as ::nn::Float>::lit(#lambda);
            #(#grads)*
        },
    )
}

/// A layer's weight matrices (what weight decay applies to), with their types: `W`, and a
/// recurrent layer's `W_ih` and `W_hh`.
pub(super) fn weights(node: &Node) -> Vec<(TokenStream, TokenStream)> {
    let field = &node.name;
    let rows = node.linear.as_ref().map_or(0, |l| l.rows);
    match node.recurrence() {
        Some(r) => vec![
            (q!(#field.weight_ih), matrix(r.cell.gates() * rows, r.width)),
            (q!(#field.weight_hh), matrix(r.cell.gates() * rows, rows)),
        ],
        None => {
            let cols = node.graph().map_or(node.inputs, |g| g.1);
            vec![(q!(#field.weight), matrix(rows, cols))]
        }
    }
}

/// The gradient reaching a recurrent layer's state at step `t` from the lines that read it,
/// added to `dh`: step `t`'s rows of `d` for a `_sequence` layer, which every step's state
/// leaves, else `d` at the last step only.
pub(super) fn incoming(node: &Node) -> TokenStream {
    let (Some(linear), Some(r)) = (&node.linear, node.recurrence()) else {
        return TokenStream::new();
    };
    let (rows, steps) = (n(linear.rows), n(r.steps));
    if r.every {
        q!(dh += d.fixed_rows::<#rows>(t * #rows);)
    } else {
        q! {
            if t + 1 == #steps {
                dh += &d;
            }
        }
    }
}
