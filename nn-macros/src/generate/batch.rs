//! The batched passes: the forward and backward pass of `B` samples at once, every quantity a
//! column-major `width x B` slice of one scratch buffer, each layer's products with the whole
//! batch in one call of the runtime's blocked kernels (`nn::kernels`).
//!
//! The regions of the buffer are named like the single-sample trace (`n_z`, `n_a`, ...), and
//! the backward pass adds `n_d` for every node but the output, and four temporaries `t_a` to
//! `t_d` of the widest width, through which a node's error term flows when it cannot be
//! updated in place. Like the rest of the generator, the code is one block per node.
//!
//! Every layer has batched code: dense layers, maxout, sums, concatenations, dropout and
//! every activation (here); the recurrent layers, `rnn`, `lstm`, `gru` and their `_sequence`
//! forms, a step at a time over the batch (`batch_recurrent`); graph convolutions and
//! readouts (`batch_graph`).

use proc_macro2::{Literal, TokenStream};
use syn::Ident;

use super::activation::{element_wise, learnable_type};
use super::api::Helper;
use super::names::{d_name, fixed, n, output_of, passes, q, stores_input, Names};
use super::{batch_graph, batch_recurrent};
use crate::ir::{Activation, Combine, LossKind, Network, Node, Source};

/// Networks with a layer at least this wide in both dimensions take the batched path for
/// batches of `MIN_BATCH` or more: below it, per-sample code on static matrices is as fast.
const MIN_WIDTH: usize = 8;

/// The smallest batch that takes the batched path: products with 5 or fewer columns run
/// plain loops (see `nn::kernels`), slower than the per-sample code on static matrices
/// (measured: 4 samples of a 64-128-64-10 network cost 1.46 us each batched, 0.98 one by one).
pub const MIN_BATCH: usize = 6;

/// Whether the network's batch calls take the batched path.
pub fn worthwhile(net: &Network) -> bool {
    net.nodes.iter().any(|node| {
        node.linear.as_ref().is_some_and(|l| l.rows >= MIN_WIDTH && node.inputs >= MIN_WIDTH)
    })
}

/// The regions of the forward pass, in order, with their widths (scalars per sample).
fn forward_regions(node: &Node) -> Vec<(Ident, usize)> {
    let names = Names::of(node);
    let mut regions = Vec::new();
    if stores_input(node) {
        regions.push((names.input, node.inputs));
    }
    if let Some(linear) = node.linear.as_ref().filter(|l| l.pieces.is_some()) {
        regions.push((names.h, linear.rows));
    }
    regions.extend(batch_recurrent::forward_regions(node));
    regions.extend(batch_graph::forward_regions(node));
    regions.push((names.z, node.outputs));
    regions.push((names.a, node.outputs));
    if node.dropout.is_some() {
        regions.push((names.m, node.outputs));
        regions.push((names.y, node.outputs));
    }
    regions
}

/// `let (hidden_z, rest) = rest.split_at_mut(8 * B);` for every region.
fn carve(regions: &[(Ident, usize)], rest: &Ident) -> TokenStream {
    regions
        .iter()
        .map(|(name, width)| {
            let width = n(*width);
            q!(let (#name, #rest) = #rest.split_at_mut(#width * n);)
        })
        .collect()
}

/// The scalars per sample of every forward region.
pub fn forward_width(net: &Network) -> usize {
    net.nodes.iter().flat_map(forward_regions).map(|r| r.1).sum()
}

/// The widest quantity of any node: the size of each backward temporary per sample.
fn widest(net: &Network) -> usize {
    let widths = net
        .nodes
        .iter()
        .flat_map(|node| [node.inputs, node.outputs, node.linear.as_ref().map_or(0, |l| l.rows)]);
    widths.max().unwrap_or(0).max(net.outputs())
}

/// The helpers of the batched path: `forward_batched`, filling the forward regions,
/// `forward_batch_batched`, and `backprop_batched`, adding `scale` times the batch's gradient
/// to `grad`.
pub(super) fn helpers(net: &Network) -> Vec<Helper> {
    let x = n(net.inputs);
    let o = n(net.outputs());
    let forward_width = n(forward_width(net));
    let sequences: Vec<(Ident, usize)> =
        net.nodes.iter().flat_map(batch_recurrent::backward_regions).collect();
    let backward_width =
        n(net.nodes[..net.nodes.len() - 1].iter().map(|n| n.outputs).sum::<usize>()
            + 4 * widest(net)
            + sequences.iter().map(|r| r.1).sum::<usize>());
    let regions: Vec<(Ident, usize)> = net.nodes.iter().flat_map(forward_regions).collect();
    let rest = fixed("rest");
    let carve_forward = carve(&regions, &rest);
    let forward = forward(net);
    let output = output_of(net.output());
    let output_offset = n(regions.iter().take_while(|r| r.0 != output).map(|r| r.1).sum());
    let out_width = n(net.outputs());
    let loss = loss_and_error(net);
    let accumulators: Vec<(Ident, usize)> =
        net.nodes[..net.nodes.len() - 1].iter().map(|node| (d_name(node), node.outputs)).collect();
    let widest = widest(net);
    let temporaries: Vec<(Ident, usize)> =
        ["t_a", "t_b", "t_c", "t_d"].iter().map(|&t| (fixed(t), widest)).collect();
    let back = fixed("back");
    let carve_backward = carve(&[accumulators.clone(), temporaries, sequences].concat(), &back);
    let d_names = accumulators.iter().map(|a| &a.0);
    let backward = backward(net);
    let xs = q!(::nn::__private::SMatrix<T, #x, B>);
    let ys = q!(::nn::__private::SMatrix<T, #o, B>);
    let passes = passes(net);
    let masks = masks(net);
    let option = q!(::core::option::Option);
    vec![
        Helper {
            // The forward pass of the `n` samples in `xs` (column-major, one per column) into
            // `buffer`, which holds `FORWARD * n` scalars; dropout is on when a generator is
            // given.
            attrs: q!(#[allow(clippy::needless_borrow)]),
            sig: q! {
                fn forward_batched<R: ::nn::rand::Rng + ?Sized>(
                    &self,
                    xs: &[T],
                    n: usize,
                    buffer: &mut [T],
                    rng: #option<&mut R>,
                )
            },
            body: q! {
                let mut rng = rng;
                let #rest = buffer;
                #carve_forward
                #masks
                #forward
            },
        },
        Helper {
            // The outputs of `B` samples through the batched path.
            attrs: q!(),
            sig: q!(fn forward_batch_batched<const B: usize>(&self, xs: &#xs) -> #ys),
            body: q! {
                let n = B;
                <T as ::nn::Float>::with_scratch(#forward_width * n, |buffer| {
                    #passes::forward_batched(self, xs.as_slice(), n, buffer, #option::None::<&mut ::nn::__private::ChaCha8Rng>);
                    let mut ys = <#ys>::zeros();
                    ys.as_mut_slice().copy_from_slice(&buffer[#output_offset * n..(#output_offset + #out_width) * n]);
                    ys
                })
            },
        },
        Helper {
            // Adds `scale` times the gradient of the summed loss of the `n` samples in `xs`
            // and `targets` (column-major) to `grad`; returns the summed loss.
            attrs: q!(#[allow(clippy::needless_borrow)]),
            sig: q! {
                fn backprop_batched<R: ::nn::rand::Rng + ?Sized>(
                    &self,
                    xs: &[T],
                    targets: &[T],
                    n: usize,
                    grad: &mut Self,
                    scale: T,
                    rng: #option<&mut R>,
                ) -> T
            },
            body: q! {
                <T as ::nn::Float>::with_scratch((#forward_width + #backward_width) * n, |buffer| {
                    let (forward, #back) = buffer.split_at_mut(#forward_width * n);
                    #passes::forward_batched(self, xs, n, forward, rng);
                    let #rest = forward;
                    #carve_forward
                    #carve_backward
                    #(#d_names.fill(T::zero());)*
                    #loss
                    #backward
                    loss
                })
            },
        },
    ]
}

/// The dropout masks of the whole batch, drawn before the forward pass in the order of the
/// per-sample code: sample after sample, and for each sample line after line, so that the
/// same generator gives the same masks on both paths; all ones in inference mode.
fn masks(net: &Network) -> TokenStream {
    let dropped: Vec<(Ident, Literal, Literal)> = net
        .nodes
        .iter()
        .filter_map(|node| {
            let p = node.dropout?;
            Some((Names::of(node).m, Literal::f64_suffixed(p), n(node.outputs)))
        })
        .collect();
    if dropped.is_empty() {
        return TokenStream::new();
    }
    let draws = dropped.iter().map(
        |(m, p, width)| q!(::nn::dropout::mask(rng, #p, &mut #m[j * #width..(j + 1) * #width]);),
    );
    let ones = dropped.iter().map(|(m, ..)| q!(#m.fill(T::one());));
    q! {
        match rng.as_deref_mut() {
            ::core::option::Option::Some(rng) => {
                for j in 0..n {
                    #(#draws)*
                }
            }
            ::core::option::Option::None => {
                #(#ones)*
            }
        }
    }
}

/// A reference to the batch values of `source`: `xs.as_slice()` or `&hidden_a[..]`.
fn value(net: &Network, source: Source) -> TokenStream {
    match source {
        Source::Input => q!(xs),
        Source::Node(i) => {
            let out = output_of(&net.nodes[i]);
            q!(&#out[..])
        }
    }
}

/// The forward pass, node by node.
fn forward(net: &Network) -> TokenStream {
    let mut out = TokenStream::new();
    for node in &net.nodes {
        let field = &node.name;
        let names = Names::of(node);
        let Names { h, z, a, m, y, .. } = &names;
        let width = n(node.outputs);
        let inputs = n(node.inputs);
        let gathered = if node.linear.is_some() { &names.input } else { z };
        let input = match &node.combine {
            Combine::Read(source) => value(net, *source),
            Combine::Sum(sources) => {
                let first = value(net, sources[0]);
                let rest = sources[1..].iter().map(|&s| value(net, s));
                out.extend(q! {
                    #gathered.copy_from_slice(#first);
                    #(::nn::kernels::add_assign(#gathered, #rest);)*
                });
                q!(&#gathered[..])
            }
            Combine::Concat(sources) => {
                let mut offset = 0;
                for &source in sources {
                    let (part, start) = (n(net.width(source)), n(offset));
                    offset += net.width(source);
                    let value = value(net, source);
                    out.extend(q! {
                        ::nn::kernels::copy_rows(#value, #part, #gathered, #inputs, #start);
                    });
                }
                q!(&#gathered[..])
            }
        };
        let fused = element_wise(node.activation)
            .filter(|_| node.linear.as_ref().is_some_and(|l| l.pieces.is_none()));
        match (&node.linear, fused) {
            (Some(linear), _) if linear.recurrent.is_some() => {
                out.extend(batch_recurrent::forward(node, &input));
            }
            (Some(linear), _) if linear.graph.is_some() => {
                out.extend(batch_graph::forward(net, node, &input));
                out.extend(activation(node));
            }
            (None, _) if node.readout.is_some() => {
                out.extend(batch_graph::readout(node, &input));
                out.extend(activation(node));
            }
            (Some(linear), Some(f)) => {
                let rows = n(linear.rows);
                out.extend(q! {
                    ::nn::kernels::dense_batch(#f, self.#field.weight.as_slice(), self.#field.bias.as_slice(), #input, #z, #a, #rows, #inputs, n);
                });
            }
            (Some(linear), None) => {
                let rows = n(linear.rows);
                let target = if linear.pieces.is_some() { h } else { z };
                out.extend(q! {
                    ::nn::kernels::linear(self.#field.weight.as_slice(), #input, #target, #rows, #inputs, n);
                    ::nn::kernels::add_bias(self.#field.bias.as_slice(), #target);
                });
                if let Some(pieces) = linear.pieces {
                    let pieces = n(pieces);
                    out.extend(q!(::nn::kernels::maxout(#h, #pieces, #z, #width);));
                }
                out.extend(activation(node));
            }
            (None, _) => {
                if let Combine::Read(_) = node.combine {
                    out.extend(q!(#z.copy_from_slice(#input);));
                }
                out.extend(activation(node));
            }
        }
        if node.dropout.is_some() {
            out.extend(q! {
                for ((y, &a), &m) in #y.iter_mut().zip(#a.iter()).zip(#m.iter()) {
                    *y = a * m;
                }
            });
        }
    }
    out
}

/// `a = f(z)` over the batch, after the pre-activation `z` is complete.
fn activation(node: &Node) -> TokenStream {
    let Names { z, a, .. } = Names::of(node);
    let field = &node.name;
    let width = n(node.outputs);
    if let Some(f) = element_wise(node.activation) {
        return q!(::nn::kernels::activate(#f, #z, #a););
    }
    match learnable_type(node.activation) {
        Some(ty) => q! {
            ::nn::kernels::learnable_forward::<T, #ty>(#z, self.#field.activation.as_slice(), #a);
        },
        None => q!(::nn::kernels::softmax(#z, #a, #width);),
    }
}

/// The summed loss of the batch as `loss`, and the output's error term in `t_a`: with
/// respect to its logits for the fused losses, to its value for `mse`.
fn loss_and_error(net: &Network) -> TokenStream {
    let out = net.output();
    let width = n(out.outputs);
    let (z, value) = (Names::of(out).z, output_of(out));
    let (loss_fn, grad_fn, of) = match net.loss.kind {
        LossKind::Mse => (q!(mse), q!(mse_grad), value),
        LossKind::BinaryCrossEntropy => {
            (q!(binary_cross_entropy_with_logits), q!(binary_cross_entropy_with_logits_grad), z)
        }
        LossKind::CrossEntropy => {
            (q!(cross_entropy_with_logits), q!(cross_entropy_with_logits_grad), z)
        }
    };
    q! {
        let mut loss = T::zero();
        let columns = #of.chunks_exact(#width).zip(targets.chunks_exact(#width));
        for ((column, target), error) in columns.zip(t_a.chunks_exact_mut(#width)) {
            loss += ::nn::loss::#loss_fn(column, target);
            ::nn::loss::#grad_fn(column, target, error);
        }
    }
}

/// The backward pass, node by node from the output, as the single-sample one (see
/// `generate::backward`), with the batch's error terms in slices.
fn backward(net: &Network) -> TokenStream {
    let last = net.nodes.len() - 1;
    let mut out = TokenStream::new();
    for (index, node) in net.nodes.iter().enumerate().rev() {
        let names = Names::of(node);
        let field = &node.name;
        let width = n(node.outputs);
        let fused = index == last && net.loss.kind != LossKind::Mse;
        let mut body = if index == last {
            q!(let d: &mut [T] = &mut t_a[..#width * n];)
        } else {
            let d_node = d_name(node);
            q!(let d: &mut [T] = &mut #d_node[..];)
        };
        if node.dropout.is_some() {
            let m = &names.m;
            body.extend(q! {
                for (d, &m) in d.iter_mut().zip(#m.iter()) {
                    *d *= m;
                }
            });
        }
        if node.recurrence().is_some() {
            body.extend(batch_recurrent::backward(node, distribute(net, node)));
            out.extend(q!({ #body }));
            continue;
        }
        if !fused {
            body.extend(activation_backward(node));
        }
        if node.graph().is_some() || node.readout.is_some() {
            body.extend(batch_graph::backward(net, node));
            out.extend(q!({ #body }));
            continue;
        }
        if let Some(linear) = &node.linear {
            let rows = n(linear.rows);
            let inputs = n(node.inputs);
            if let Some(pieces) = linear.pieces {
                let (h, pieces) = (&names.h, n(pieces));
                body.extend(q! {
                    ::nn::kernels::maxout_backward(#h, #pieces, d, t_c, #width);
                    let d: &mut [T] = &mut t_c[..#rows * n];
                });
            }
            let input = gathered(net, node);
            // A layer without a bias has no bias gradient: an empty slice takes none.
            let bias_grad =
                if linear.bias { q!(grad.#field.bias.as_mut_slice()) } else { q!(&mut []) };
            body.extend(q! {
                ::nn::kernels::linear_backward_params(d, #input, grad.#field.weight.as_mut_slice(), #bias_grad, #rows, #inputs, n, scale);
            });
            let w = q!(self.#field.weight.as_slice());
            match &node.combine {
                Combine::Read(Source::Input) => {}
                Combine::Read(Source::Node(k)) => {
                    let d_k = d_name(&net.nodes[*k]);
                    body.extend(q! {
                        ::nn::kernels::linear_backward_input(#w, d, #d_k, #rows, #inputs, n, T::one());
                    });
                }
                Combine::Sum(_) | Combine::Concat(_) => {
                    body.extend(q! {
                        ::nn::kernels::linear_backward_input(#w, d, t_d, #rows, #inputs, n, T::zero());
                        let d: &mut [T] = &mut t_d[..#inputs * n];
                    });
                    body.extend(distribute(net, node));
                }
            }
        } else {
            body.extend(distribute(net, node));
        }
        out.extend(q!({ #body }));
    }
    out
}

/// `d = f'(z) d`: in place for element-wise activations, through `t_b` for the others.
fn activation_backward(node: &Node) -> TokenStream {
    let Names { z, a, .. } = Names::of(node);
    let field = &node.name;
    let width = n(node.outputs);
    if node.activation == Activation::Identity {
        return TokenStream::new();
    }
    if let Some(f) = element_wise(node.activation) {
        return q!(::nn::kernels::activate_backward(#f, #z, #a, d););
    }
    let call = match learnable_type(node.activation) {
        Some(ty) => q! {
            ::nn::kernels::learnable_backward::<T, #ty>(#z, #a, self.#field.activation.as_slice(), d, t_b, grad.#field.activation.as_mut_slice(), scale);
        },
        None => q!(::nn::kernels::softmax_backward(#a, d, t_b, #width);),
    };
    q! {
        #call
        let d: &mut [T] = &mut t_b[..#width * n];
    }
}

/// Adds `d`, the error with respect to a node's gathered input, to the nodes it reads: all of
/// it to each term of a sum, its rows to each part of a concatenation. The input's gradient
/// is not wanted in batches.
fn distribute(net: &Network, node: &Node) -> TokenStream {
    let accumulator = |source: Source| match source {
        Source::Input => None,
        Source::Node(i) => Some(d_name(&net.nodes[i])),
    };
    match &node.combine {
        Combine::Read(source) => accumulator(*source)
            .map(|dst| q!(::nn::kernels::add_assign(#dst, d);))
            .unwrap_or_default(),
        Combine::Sum(sources) => sources
            .iter()
            .filter_map(|&s| accumulator(s))
            .map(|dst| q!(::nn::kernels::add_assign(#dst, d);))
            .collect(),
        Combine::Concat(sources) => {
            let inputs = n(node.inputs);
            let mut offset = 0;
            let mut out = TokenStream::new();
            for &source in sources {
                let (width, start) = (n(net.width(source)), n(offset));
                offset += net.width(source);
                if let Some(dst) = accumulator(source) {
                    out.extend(q!(::nn::kernels::add_rows(d, #inputs, #start, #dst, #width);));
                }
            }
            out
        }
    }
}

/// The batch values a layer read, for its weight gradient.
fn gathered(net: &Network, node: &Node) -> TokenStream {
    match node.combine {
        Combine::Read(source) => value(net, source),
        Combine::Sum(_) | Combine::Concat(_) => {
            let input = Names::of(node).input;
            q!(&#input[..])
        }
    }
}
