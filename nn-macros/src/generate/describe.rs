//! `impl nn::architecture::Described`: the checked network as a constant the runtime walks
//! (the ONNX export, the listing of the block), one literal per node.

use proc_macro2::{Literal, TokenStream};
use syn::ext::IdentExt;

use super::names::{n, q, scalar_bound};
use crate::ir::{Activation, Cell, Combine, LossKind, Network, Node, Source};

/// Expands to `impl<T: ::nn::Float> ::nn::architecture::Described for Xor<T> { const
/// ARCHITECTURE: ::nn::architecture::Architecture = ::nn::architecture::Architecture { name:
/// "Xor", input: ..Vector(2), nodes: &[..Node { name: "hidden", .. }, ..], .. }; }`.
pub(super) fn described(net: &Network) -> TokenStream {
    let name = &net.name;
    let bound = scalar_bound(net);
    let text = net.name.unraw().to_string();
    let input = match (net.sequence, net.graph) {
        (Some((width, steps)), _) => {
            let (width, steps) = (n(width), n(steps));
            q!(::nn::architecture::Input::Sequence { width: #width, steps: #steps })
        }
        (None, Some((nodes, features))) => {
            let (nodes, features) = (n(nodes), n(features));
            q!(::nn::architecture::Input::Graph { nodes: #nodes, features: #features })
        }
        (None, None) => {
            let inputs = n(net.inputs);
            q!(::nn::architecture::Input::Vector(#inputs))
        }
    };
    let nodes = net.nodes.iter().map(node);
    let loss = match net.loss.kind {
        LossKind::Mse => q!(Mse),
        LossKind::BinaryCrossEntropy => q!(BinaryCrossEntropy),
        LossKind::CrossEntropy => q!(CrossEntropy),
    };
    let l2 = option(net.l2);
    q! {
        impl<#bound> ::nn::architecture::Described for #name<T> {
            const ARCHITECTURE: ::nn::architecture::Architecture = ::nn::architecture::Architecture {
                name: #text,
                input: #input,
                nodes: &[#(#nodes),*],
                loss: ::nn::architecture::Loss::#loss,
                l2: #l2,
            };
        }
    }
}

fn option(value: Option<f64>) -> TokenStream {
    match value {
        Some(v) => {
            let v = Literal::f64_suffixed(v);
            q!(::core::option::Option::Some(#v))
        }
        None => q!(::core::option::Option::None),
    }
}

fn source(source: Source) -> TokenStream {
    match source {
        Source::Input => q!(::nn::architecture::Source::Input),
        Source::Node(i) => {
            let i = n(i);
            q!(::nn::architecture::Source::Node(#i))
        }
    }
}

/// One line: `::nn::architecture::Node { name: "hidden", combine: .., layer: .., .. }`.
fn node(node: &Node) -> TokenStream {
    let name = node.name.unraw().to_string();
    let combine = match &node.combine {
        Combine::Read(s) => {
            let s = source(*s);
            q!(::nn::architecture::Combine::Read(#s))
        }
        Combine::Sum(sources) => {
            let s = sources.iter().map(|&s| source(s));
            q!(::nn::architecture::Combine::Sum(&[#(#s),*]))
        }
        Combine::Concat(sources) => {
            let s = sources.iter().map(|&s| source(s));
            q!(::nn::architecture::Combine::Concat(&[#(#s),*]))
        }
    };
    let layer = match &node.linear {
        None => q!(::core::option::Option::None),
        Some(linear) => {
            let units = n(node.outputs);
            let layer = match (linear.recurrent, linear.graph, linear.pieces) {
                (Some(r), _, _) => {
                    let cell = match r.cell {
                        Cell::Elman => q!(Elman),
                        Cell::Lstm => q!(Lstm),
                        Cell::Gru => q!(Gru),
                    };
                    let (units, width, steps, every) =
                        (n(linear.rows), n(r.width), n(r.steps), r.every);
                    q!(::nn::architecture::Layer::Recurrent {
                        cell: ::nn::architecture::Cell::#cell,
                        units: #units,
                        width: #width,
                        steps: #steps,
                        every: #every,
                    })
                }
                (None, Some((nodes, features)), _) => {
                    let (units, nodes, features) = (n(linear.rows), n(nodes), n(features));
                    q!(::nn::architecture::Layer::GraphConv { units: #units, nodes: #nodes, features: #features })
                }
                (None, None, Some(pieces)) => {
                    let pieces = n(pieces);
                    q!(::nn::architecture::Layer::Maxout { units: #units, pieces: #pieces })
                }
                (None, None, None) => {
                    let bias = linear.bias;
                    q!(::nn::architecture::Layer::Dense { units: #units, bias: #bias })
                }
            };
            q!(::core::option::Option::Some(#layer))
        }
    };
    let readout = match node.readout {
        Some(r) => {
            let (mean, nodes) = (r.mean, n(r.nodes));
            q!(::core::option::Option::Some(::nn::architecture::Readout { mean: #mean, nodes: #nodes }))
        }
        None => q!(::core::option::Option::None),
    };
    let activation = activation(node.activation);
    let dropout = option(node.dropout);
    let (inputs, outputs) = (n(node.inputs), n(node.outputs));
    q! {
        ::nn::architecture::Node {
            name: #name,
            combine: #combine,
            inputs: #inputs,
            layer: #layer,
            readout: #readout,
            activation: #activation,
            dropout: #dropout,
            outputs: #outputs,
        }
    }
}

fn activation(act: Activation) -> TokenStream {
    let f = |v: f64| Literal::f64_suffixed(v);
    let variant = match act {
        Activation::Identity => q!(Identity),
        Activation::Sigmoid => q!(Sigmoid),
        Activation::Tanh => q!(Tanh),
        Activation::HardLogistic => q!(HardLogistic),
        Activation::HardTanh => q!(HardTanh),
        Activation::Relu => q!(Relu),
        Activation::LeakyRelu(g) => {
            let g = f(g);
            q!(LeakyRelu(#g))
        }
        Activation::Elu(g) => {
            let g = f(g);
            q!(Elu(#g))
        }
        Activation::Softplus => q!(Softplus),
        Activation::Swish(b) => {
            let b = f(b);
            q!(Swish(#b))
        }
        Activation::Gelu => q!(Gelu),
        Activation::GeluTanh => q!(GeluTanh),
        Activation::GeluSigmoid => q!(GeluSigmoid),
        Activation::Softmax => q!(Softmax),
        Activation::HardSigmoid(slope) => {
            let slope = f(slope);
            q!(HardSigmoid(#slope))
        }
        Activation::Prelu { init, shared } => {
            let init = f(init);
            q!(Prelu { init: #init, shared: #shared })
        }
        Activation::SwishLearnable(init) => {
            let init = f(init);
            q!(SwishLearnable(#init))
        }
    };
    q!(::nn::architecture::Activation::#variant)
}
