//! A network's architecture as data: what `network!` checked, line by line, for code that
//! walks a network at run time (the ONNX export, the listing of its `network!` block).
//!
//! `network!` writes it into [`Described::ARCHITECTURE`] for every network. Where
//! [`LayerInfo`](crate::LayerInfo) is text for people, this is structured: every width,
//! hyper-parameter, source and setting, enough to write the block again
//! ([`Architecture::listing`]) or to translate the network into another format.
//!
//! ```
//! use nn_runtime::architecture::{Activation, Architecture, Combine, Input, Layer, Loss, Node, Source};
//!
//! const NODES: &[Node] = &[
//!     Node {
//!         name: "hidden",
//!         combine: Combine::Read(Source::Input),
//!         inputs: 2,
//!         layer: Some(Layer::Dense { units: 8, bias: true }),
//!         readout: None,
//!         activation: Activation::Tanh,
//!         dropout: None,
//!         outputs: 8,
//!     },
//!     Node {
//!         name: "output",
//!         combine: Combine::Read(Source::Node(0)),
//!         inputs: 8,
//!         layer: Some(Layer::Dense { units: 1, bias: true }),
//!         readout: None,
//!         activation: Activation::Sigmoid,
//!         dropout: None,
//!         outputs: 1,
//!     },
//! ];
//! let xor = Architecture { name: "Xor", input: Input::Vector(2), nodes: NODES, loss: Loss::BinaryCrossEntropy, l2: None };
//! assert_eq!(
//!     xor.listing(),
//!     "nn::network! {\n    pub struct Xor {\n        input: 2,\n        hidden: dense(8) -> tanh,\n        output: dense(1) -> sigmoid,\n        loss: binary_cross_entropy,\n    }\n}\n"
//! );
//! ```

#[cfg(feature = "std")]
use std::{format, string::String, vec::Vec};

/// A network whose architecture `network!` describes: every generated network implements it.
pub trait Described {
    /// The network's lines, input, loss and settings, as checked.
    const ARCHITECTURE: Architecture;
}

/// A checked network: its name, input, lines (in the order written, each reading only the
/// input and lines above it, the last being the output), loss and L2 coefficient.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Architecture {
    /// The struct's name.
    pub name: &'static str,
    /// What one sample is.
    pub input: Input,
    /// The lines that compute, in order; the last is the output.
    pub nodes: &'static [Node],
    /// The loss of the risk minimised in training.
    pub loss: Loss,
    /// `l2: lambda`, the coefficient of `lambda/2 sum ||W||^2`, when set.
    pub l2: Option<f64>,
}

/// What one sample of the network's input is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// `input: n`: a vector of `n` values.
    Vector(usize),
    /// `input: width x steps`: `steps` steps of `width` values, one after the other.
    Sequence {
        /// The values of one step.
        width: usize,
        /// The number of steps.
        steps: usize,
    },
    /// `input: graph(nodes, features)`: the features of each node, node after node, then the
    /// `nodes x nodes` adjacency, column after column.
    Graph {
        /// The number of nodes.
        nodes: usize,
        /// The features of one node.
        features: usize,
    },
}

impl Input {
    /// The width of one sample's input vector.
    pub fn width(self) -> usize {
        match self {
            Input::Vector(n) => n,
            Input::Sequence { width, steps } => width * steps,
            Input::Graph { nodes, features } => nodes * features + nodes * nodes,
        }
    }
}

/// What a line reads: the network's input or a line above it (its index in
/// [`Architecture::nodes`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// `input`.
    Input,
    /// The line at this index.
    Node(usize),
}

/// How a line gathers what it reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Combine {
    /// One source as it is.
    Read(Source),
    /// `a + b`: the element-wise sum of sources of equal width.
    Sum(&'static [Source]),
    /// `concat(a, b)`: the sources stacked, the first on top.
    Concat(&'static [Source]),
}

impl Combine {
    /// The sources, in order.
    pub fn sources(&self) -> &[Source] {
        match self {
            Combine::Read(source) => core::slice::from_ref(source),
            Combine::Sum(sources) | Combine::Concat(sources) => sources,
        }
    }
}

/// The cell a recurrent layer repeats at every step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cell {
    /// `rnn`: `h_t = f(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`, `f` the line's activation.
    Elman,
    /// `lstm`: PyTorch's LSTM (gates `i, f, g, o`).
    Lstm,
    /// `gru`: PyTorch's GRU (gates `r, z, n`, the reset gate applied after `W_hn h + b_hn`).
    Gru,
}

impl Cell {
    /// The blocks of rows stacked in the cell's weights: 1, 4 or 3.
    pub fn gates(self) -> usize {
        match self {
            Cell::Elman => 1,
            Cell::Lstm => 4,
            Cell::Gru => 3,
        }
    }
}

/// The layer of a line, with its parameters' shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layer {
    /// `dense(units)`: `z = W x + b`, `W` of `units x inputs`; `bias = false` without `b`.
    Dense {
        /// The outputs.
        units: usize,
        /// Whether `b` is a parameter.
        bias: bool,
    },
    /// `maxout(units, pieces)`: `h = W x + b` of `units * pieces` rows, then the max over
    /// each unit's `pieces` consecutive rows.
    Maxout {
        /// The outputs.
        units: usize,
        /// The pieces of each output.
        pieces: usize,
    },
    /// `rnn(units)`, `lstm(units)`, `gru(units)` and their `_sequence` forms over `steps` steps
    /// of `width` values.
    Recurrent {
        /// The cell.
        cell: Cell,
        /// The state's width.
        units: usize,
        /// The values of one step of what the layer reads.
        width: usize,
        /// The steps.
        steps: usize,
        /// Whether the layer outputs every state, one after the other (`_sequence`), or only
        /// the last.
        every: bool,
    },
    /// `graph_conv(units)`: `Z = W X A_hat^T + b` over `nodes` nodes of `features` features,
    /// `A_hat` the normalised adjacency of the network's input.
    GraphConv {
        /// The outputs per node.
        units: usize,
        /// The nodes.
        nodes: usize,
        /// The features per node of what the layer reads.
        features: usize,
    },
}

impl Layer {
    /// The word that writes the layer in a `network!` block: `dense`, `lstm_sequence`, ...
    pub fn kind(&self) -> &'static str {
        match *self {
            Layer::Dense { .. } => "dense",
            Layer::Maxout { .. } => "maxout",
            Layer::GraphConv { .. } => "graph_conv",
            Layer::Recurrent { cell, every, .. } => match (cell, every) {
                (Cell::Elman, false) => "rnn",
                (Cell::Elman, true) => "rnn_sequence",
                (Cell::Lstm, false) => "lstm",
                (Cell::Lstm, true) => "lstm_sequence",
                (Cell::Gru, false) => "gru",
                (Cell::Gru, true) => "gru_sequence",
            },
        }
    }
}

/// A graph-level readout: node features (node after node) reduced over the nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Readout {
    /// `mean_nodes` (the mean) or `sum_nodes` (the sum).
    pub mean: bool,
    /// The nodes reduced over.
    pub nodes: usize,
}

/// An activation with its hyper-parameter; learnable ones carry their initial value (the
/// trained values are the network's parameters).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    /// `identity`.
    Identity,
    /// `sigmoid`.
    Sigmoid,
    /// `tanh`.
    Tanh,
    /// `hard_logistic`: `clip(x/4 + 1/2, 0, 1)`.
    HardLogistic,
    /// `hard_tanh`: `clip(x, -1, 1)`.
    HardTanh,
    /// `relu`.
    Relu,
    /// `leaky_relu(slope)`.
    LeakyRelu(f64),
    /// `elu(scale)`.
    Elu(f64),
    /// `softplus`.
    Softplus,
    /// `swish(beta)`: `x sigmoid(beta x)`.
    Swish(f64),
    /// `gelu`: `x Phi(x)`, exact (erf).
    Gelu,
    /// `gelu_tanh`: the tanh approximation of gelu.
    GeluTanh,
    /// `gelu_sigmoid`: `x sigmoid(1.702 x)`.
    GeluSigmoid,
    /// `softmax` over the line's outputs.
    Softmax,
    /// `clip(slope x + 1/2, 0, 1)`: `hard_sigmoid_pytorch` (slope 1/6) or `hard_sigmoid_onnx`
    /// (slope 0.2).
    HardSigmoid(f64),
    /// `prelu(init)` (a slope per unit) or `prelu_shared(init)` (one slope).
    Prelu {
        /// The initial slope.
        init: f64,
        /// Whether one slope is shared by the layer.
        shared: bool,
    },
    /// `swish_learnable(init)`: a learnable beta per unit.
    SwishLearnable(f64),
}

/// The loss a network trains with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loss {
    /// `mse`.
    Mse,
    /// `binary_cross_entropy`.
    BinaryCrossEntropy,
    /// `cross_entropy`.
    CrossEntropy,
}

impl Loss {
    /// The loss as written in a `network!` block.
    pub fn name(self) -> &'static str {
        match self {
            Loss::Mse => "mse",
            Loss::BinaryCrossEntropy => "binary_cross_entropy",
            Loss::CrossEntropy => "cross_entropy",
        }
    }
}

/// One line of a network: gather what it reads, then a layer or a readout if it has one, the
/// activation and dropout, in that order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Node {
    /// The line's name (the struct field of a layer).
    pub name: &'static str,
    /// What it reads.
    pub combine: Combine,
    /// The width of what it reads, gathered.
    pub inputs: usize,
    /// Its layer.
    pub layer: Option<Layer>,
    /// `mean_nodes` or `sum_nodes`.
    pub readout: Option<Readout>,
    /// Its activation (`Identity` when none is written; a gated recurrent layer's own gates
    /// are not an activation of the line).
    pub activation: Activation,
    /// `dropout(p)`: the probability of dropping each output in training.
    pub dropout: Option<f64>,
    /// The width of its output.
    pub outputs: usize,
}

impl Activation {
    /// The activation as written in a `network!` block: `tanh`, `leaky_relu(0.1)`,
    /// `prelu_shared(0.25)`.
    #[cfg(feature = "std")]
    pub fn dsl(&self) -> String {
        let simple = match *self {
            Activation::Identity => "identity",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::HardLogistic => "hard_logistic",
            Activation::HardTanh => "hard_tanh",
            Activation::Relu => "relu",
            Activation::Softplus => "softplus",
            Activation::Gelu => "gelu",
            Activation::GeluTanh => "gelu_tanh",
            Activation::GeluSigmoid => "gelu_sigmoid",
            Activation::Softmax => "softmax",
            Activation::HardSigmoid(0.2) => "hard_sigmoid_onnx",
            Activation::HardSigmoid(_) => "hard_sigmoid_pytorch",
            Activation::LeakyRelu(g) => return format!("leaky_relu({g:?})"),
            Activation::Elu(g) => return format!("elu({g:?})"),
            Activation::Swish(b) => return format!("swish({b:?})"),
            Activation::Prelu { init, shared: false } => return format!("prelu({init:?})"),
            Activation::Prelu { init, shared: true } => return format!("prelu_shared({init:?})"),
            Activation::SwishLearnable(init) => return format!("swish_learnable({init:?})"),
        };
        simple.into()
    }
}

impl Architecture {
    /// The name of what `source` refers to: `input` or a line's name.
    pub fn source_name(&self, source: Source) -> &'static str {
        match source {
            Source::Input => "input",
            Source::Node(i) => self.nodes.get(i).map_or("input", |n| n.name),
        }
    }

    /// The network's output line.
    pub fn output(&self) -> Option<&'static Node> {
        self.nodes.last()
    }

    /// The `network!` block that declares this architecture (a `pub struct` of the same
    /// name), one line per node as a person would write it: a layer reading the line above
    /// does not name it, an `identity` activation is not written.
    #[cfg(feature = "std")]
    pub fn listing(&self) -> String {
        let input = match self.input {
            Input::Vector(n) => format!("{n}"),
            Input::Sequence { width, steps } => format!("{width} x {steps}"),
            Input::Graph { nodes, features } => format!("graph({nodes}, {features})"),
        };
        let mut out = format!("nn::network! {{\n    pub struct {} {{\n", self.name);
        out += &format!("        input: {input},\n");
        for (i, node) in self.nodes.iter().enumerate() {
            let above = if i == 0 { Source::Input } else { Source::Node(i - 1) };
            let names = |sources: &[Source]| -> Vec<&str> {
                sources.iter().map(|&s| self.source_name(s)).collect()
            };
            let mut stages: Vec<String> = Vec::new();
            // A line without a layer or readout names its source even when it is the line
            // above: `d: c -> dropout(0.5)`, `copy: d` (a line cannot start with an activation).
            let bare = node.layer.is_none() && node.readout.is_none();
            match node.combine {
                Combine::Read(source) if source == above && !bare => {}
                Combine::Read(source) => stages.push(self.source_name(source).into()),
                Combine::Sum(sources) => stages.push(names(sources).join(" + ")),
                Combine::Concat(sources) => {
                    stages.push(format!("concat({})", names(sources).join(", ")));
                }
            }
            if let Some(r) = node.readout {
                stages.push(if r.mean { "mean_nodes" } else { "sum_nodes" }.into());
            }
            match node.layer {
                Some(Layer::Dense { units, bias: true }) => stages.push(format!("dense({units})")),
                Some(Layer::Dense { units, bias: false }) => {
                    stages.push(format!("dense({units}, bias = false)"));
                }
                Some(Layer::Maxout { units, pieces }) => {
                    stages.push(format!("maxout({units}, {pieces})"));
                }
                Some(layer @ (Layer::Recurrent { units, .. } | Layer::GraphConv { units, .. })) => {
                    stages.push(format!("{}({units})", layer.kind()));
                }
                None => {}
            }
            if node.activation != Activation::Identity {
                stages.push(node.activation.dsl());
            }
            if let Some(p) = node.dropout {
                stages.push(format!("dropout({p:?})"));
            }
            out += &format!("        {}: {},\n", node.name, stages.join(" -> "));
        }
        out += &format!("        loss: {},\n", self.loss.name());
        if let Some(l2) = self.l2 {
            out += &format!("        l2: {l2:?},\n");
        }
        out + "    }\n}\n"
    }
}
