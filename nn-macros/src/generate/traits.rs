//! The `nn::Network` and `nn::Model` impls: sizes, the summary's layer table, and the
//! parameter visitors the runtime is written against.

use proc_macro2::TokenStream;
use syn::ext::IdentExt;

use super::activation::activation_name;
use super::names::{layer_type, layers, matrix_b, n, q, scalar_bound, source_name, vector};
use crate::ir::{Activation, Combine, Network, Node, Source};

/// `impl nn::Network<T>`: the sizes and the parameter visitor, one call per tensor.
pub(super) fn network_impl(net: &Network) -> TokenStream {
    let name = &net.name;
    let bound = scalar_bound(net);
    let inputs = n(net.inputs);
    let outputs = n(net.outputs());
    let params = n(net.params());
    let network_name = net.name.unraw().to_string();
    let layer_infos = net.nodes.iter().map(|node| layer_info(net, node));
    let flops = n(net.nodes.iter().map(flops).fold(0, usize::saturating_add));
    let (x, y) = (vector(net.inputs), vector(net.outputs()));
    let (xs, ys) = (matrix_b(net.inputs), matrix_b(net.outputs()));
    let zero_fields = layers(net).map(|node| {
        let field = &node.name;
        let ty = layer_type(node);
        q!(#field: <#ty>::zeros())
    });
    let tensors: Vec<_> = layers(net)
        .flat_map(|node| {
            let field = &node.name;
            let rows = n(node.linear.as_ref().map_or(0, |l| l.rows));
            let cols = match (node.recurrence(), node.graph()) {
                (Some(r), _) => n(r.width),
                (None, Some((_, features))) => n(features),
                (None, None) => n(node.inputs),
            };
            if let Some((linear, r)) = node.linear.as_ref().zip(node.recurrence()) {
                // PyTorch's names and shapes: `weight_ih_l0` (gates * units x step width), ...
                let (g, w) = (n(r.cell.gates() * linear.rows), n(r.width));
                let units = n(linear.rows);
                let name = |tensor: &str| format!("{}.{tensor}_l0", field.unraw());
                return vec![
                    (q!(#field.weight_ih), name("weight_ih"), q!(Weight), q!((#g, #w))),
                    (q!(#field.weight_hh), name("weight_hh"), q!(Weight), q!((#g, #units))),
                    (q!(#field.bias_ih), name("bias_ih"), q!(Bias), q!((#g, 1))),
                    (q!(#field.bias_hh), name("bias_hh"), q!(Bias), q!((#g, 1))),
                ];
            }
            let mut tensors = vec![(
                q!(#field.weight),
                format!("{}.weight", field.unraw()),
                q!(Weight),
                q!((#rows, #cols)),
            )];
            if node.linear.as_ref().is_some_and(|l| l.bias) {
                let name = format!("{}.bias", field.unraw());
                tensors.push((q!(#field.bias), name, q!(Bias), q!((#rows, 1))));
            }
            if let Some(learnable) = node.activation.learnable() {
                let count = n(node.activation_params());
                let name = format!("{}.{}", field.unraw(), learnable.param);
                tensors.push((q!(#field.activation), name, q!(Activation), q!((#count, 1))));
            }
            tensors
        })
        .collect();
    let visit = tensors.iter().map(|(path, name, kind, shape)| {
        q!(f(::nn::Param { name: #name, kind: ::nn::ParamKind::#kind, shape: #shape, values: self.#path.as_slice() });)
    });
    let visit_mut = tensors.iter().map(|(path, name, kind, shape)| {
        q!(f(::nn::ParamMut { name: #name, kind: ::nn::ParamKind::#kind, shape: #shape, values: self.#path.as_mut_slice() });)
    });
    let zip_state_mut = tensors.iter().map(|(path, name, kind, shape)| {
        q!(f(
            ::nn::ParamMut { name: #name, kind: ::nn::ParamKind::#kind, shape: #shape, values: self.#path.as_mut_slice() },
            grad.#path.as_slice(),
            a.#path.as_mut_slice(),
            match b.as_deref_mut() {
                ::core::option::Option::Some(b) => b.#path.as_mut_slice(),
                ::core::option::Option::None => &mut [],
            },
        );)
    });
    let zip_mut = tensors.iter().map(|(path, name, kind, shape)| {
        q!(f(
            ::nn::ParamMut { name: #name, kind: ::nn::ParamKind::#kind, shape: #shape, values: self.#path.as_mut_slice() },
            other.#path.as_slice(),
        );)
    });
    q! {
        impl<#bound> ::nn::Network<T> for #name<T> {
            const INPUTS: usize = #inputs;
            const OUTPUTS: usize = #outputs;
            const PARAMS: usize = #params;
            const NAME: &'static str = #network_name;
            const LAYERS: &'static [::nn::LayerInfo] = &[#(#layer_infos),*];
            const FLOPS: usize = #flops;

            fn zeros() -> Self {
                Self { #(#zero_fields,)* }
            }

            fn visit(&self, f: &mut dyn FnMut(::nn::Param<'_, T>)) {
                #(#visit)*
            }

            fn visit_mut(&mut self, f: &mut dyn FnMut(::nn::ParamMut<'_, T>)) {
                #(#visit_mut)*
            }

            fn zip_mut(&mut self, other: &Self, f: &mut dyn FnMut(::nn::ParamMut<'_, T>, &[T])) {
                #(#zip_mut)*
            }

            fn zip_state_mut(
                &mut self,
                grad: &Self,
                a: &mut Self,
                mut b: ::core::option::Option<&mut Self>,
                f: &mut ::nn::StateVisitor<'_, T>,
            ) {
                #(#zip_state_mut)*
            }
        }

        impl<#bound> ::nn::Model<T, #inputs, #outputs> for #name<T> {
            fn forward(&self, x: &#x) -> #y {
                #name::forward(self, x)
            }

            fn loss(&self, x: &#x, target: &#y) -> T {
                #name::loss(self, x, target)
            }

            fn loss_and_grad_batch_training<const B: usize, R: ::nn::rand::Rng + ?Sized>(
                &self,
                xs: &#xs,
                targets: &#ys,
                rng: &mut R,
            ) -> (T, Self) {
                #name::loss_and_grad_batch_training(self, xs, targets, rng)
            }
        }
    }
}

/// What `summary()` shows of a line: `::nn::LayerInfo { name: "hidden", kind: "dense", .. }`.
pub(super) fn layer_info(net: &Network, node: &Node) -> TokenStream {
    let name = node.name.unraw().to_string();
    let names = |sources: &[Source]| -> Vec<String> {
        sources.iter().map(|&s| source_name(net, s)).collect()
    };
    let (kind, reads) = match (&node.linear, &node.combine) {
        (Some(linear), combine) => {
            let kind = match (linear.pieces, linear.recurrent) {
                _ if linear.graph.is_some() => "graph_conv",
                (Some(_), _) => "maxout",
                (None, Some(r)) => r.cell.kind(r.every),
                (None, None) => "dense",
            };
            let reads = match combine {
                Combine::Read(source) => source_name(net, *source),
                Combine::Sum(sources) => names(sources).join(" + "),
                Combine::Concat(sources) => format!("concat({})", names(sources).join(", ")),
            };
            (kind, reads)
        }
        (None, Combine::Sum(sources)) => ("add", names(sources).join(" + ")),
        (None, Combine::Concat(sources)) => {
            ("concat", format!("concat({})", names(sources).join(", ")))
        }
        (None, Combine::Read(source)) => {
            let kind = match node.readout {
                Some(r) if r.mean => "mean_nodes",
                Some(_) => "sum_nodes",
                None if node.dropout.is_some() => "dropout",
                None => "activation",
            };
            (kind, source_name(net, *source))
        }
    };
    // A line without a layer shows no `identity`: it has no activation, only what it reads.
    let mut stages = Vec::new();
    if node.recurrence().is_some_and(|r| r.cell.gated()) {
        stages.push("gates".to_string());
    } else if node.linear.is_some() || node.activation != Activation::Identity {
        stages.push(activation_name(node.activation));
    }
    if let Some(p) = node.dropout {
        stages.push(format!("dropout {p}"));
    }
    let activation = stages.join(", ");
    let (inputs, outputs, params, flops) =
        (n(node.inputs), n(node.outputs), n(node.params()), n(flops(node)));
    q! {
        ::nn::LayerInfo {
            name: #name,
            kind: #kind,
            reads: #reads,
            inputs: #inputs,
            outputs: #outputs,
            params: #params,
            activation: #activation,
            flops: #flops,
        }
    }
}

/// The approximate floating-point operations of one sample's forward pass through a line, as
/// `nn::LayerInfo::flops` documents them.
pub(super) fn flops(node: &Node) -> usize {
    // Saturating: a block may declare widths whose operation counts overflow `usize`.
    let combine = match &node.combine {
        Combine::Sum(sources) => (sources.len() - 1).saturating_mul(node.inputs),
        // A readout adds every node's features.
        Combine::Read(_) if node.readout.is_some() => node.inputs,
        Combine::Read(_) | Combine::Concat(_) => 0,
    };
    let linear = node.linear.as_ref().map_or(0, |l| match l.recurrent {
        // Every step: W_ih x_t, W_hh h_{t-1}, the two biases and the gates' activations,
        // counted as one operation per gate row; an LSTM's cell update adds 4 per unit, a
        // GRU's 5.
        Some(r) => {
            let rows = l.rows.saturating_mul(r.cell.gates());
            // (An Elman layer adds its two biases once, before the loop.)
            let (biases, update) = match r.cell {
                crate::ir::Cell::Elman => (2 * rows, 0),
                crate::ir::Cell::Lstm => (3 * rows, 4 * l.rows),
                crate::ir::Cell::Gru => (3 * rows, 5 * l.rows),
            };
            r.width
                .saturating_add(l.rows)
                .saturating_mul(rows)
                .saturating_mul(2)
                .saturating_add(biases)
                .saturating_add(update)
                .saturating_mul(r.steps)
        }
        None => {
            let pieces = if l.pieces.is_some() { l.rows - node.outputs } else { 0 };
            node.inputs.saturating_mul(l.rows).saturating_mul(2).saturating_add(l.rows + pieces)
        }
    });
    if node.recurrence().is_some() {
        return linear;
    }
    // A graph convolution: X A_hat^T, then W times it, the bias and the activation.
    if let Some((count, features)) = node.graph() {
        let rows = node.linear.as_ref().map_or(0, |l| l.rows);
        return count
            .saturating_mul(count)
            .saturating_mul(features)
            .saturating_add(rows.saturating_mul(features).saturating_mul(count))
            .saturating_mul(2)
            .saturating_add(rows.saturating_mul(count).saturating_mul(2));
    }
    let activation = match node.activation {
        Activation::Identity => 0,
        Activation::Softmax => node.outputs.saturating_mul(3),
        _ => node.outputs,
    };
    combine.saturating_add(linear).saturating_add(activation)
}
