//! The checked network: every width known, every name resolved, every span kept.

use proc_macro2::Span;
use syn::{Attribute, Ident, Visibility};

/// A network that passed every check: a graph of nodes in the order they are written, each
/// reading only from the input and from nodes above it, the last one being the output.
pub struct Network {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: Ident,
    /// The width of one sample; for a sequence (`input: 4 x 10`), its steps one after the
    /// other (`4 * 10`).
    pub inputs: usize,
    /// `input: graph(N, F)`: the node count and the features per node; the input is then the
    /// features node after node, then the `N x N` adjacency.
    pub graph: Option<(usize, usize)>,
    pub nodes: Vec<Node>,
    pub loss: Loss,
    /// The L2 coefficient `lambda` of the structured risk `loss + lambda/2 sum ||W||^2`.
    pub l2: Option<f64>,
    /// Nodes other than the output that no line reads: computed, but never used.
    pub unused: Vec<Ident>,
    /// `stream: NetState`: the name of the state type of the streaming call `step`, for a
    /// network that reads its sequence step by step (see `check::check_stream`).
    pub stream: Option<Ident>,
    /// `input: 4 x 10`: the width of one step and the number of steps.
    pub sequence: Option<(usize, usize)>,
}

impl Network {
    pub fn output(&self) -> &Node {
        self.nodes.last().expect("checked: at least one node")
    }

    pub fn outputs(&self) -> usize {
        self.output().outputs
    }

    /// The width of what `source` refers to.
    pub fn width(&self, source: Source) -> usize {
        match source {
            Source::Input => self.inputs,
            Source::Node(i) => self.nodes[i].outputs,
        }
    }

    pub fn params(&self) -> usize {
        self.nodes.iter().map(Node::params).sum()
    }

    pub fn has_dropout(&self) -> bool {
        self.nodes.iter().any(|n| n.dropout.is_some())
    }
}

/// What a node reads: the network's input or a node above it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Input,
    Node(usize),
}

/// How a node gathers its input.
pub enum Combine {
    /// One source, as is: the line above, or `b: a -> ...`.
    Read(Source),
    /// The element-wise sum of sources of equal width: `s: a + b`.
    Sum(Vec<Source>),
    /// The sources stacked one above the other: `c: concat(x, s)`.
    Concat(Vec<Source>),
}

impl Combine {
    pub fn sources(&self) -> &[Source] {
        match self {
            Combine::Read(source) => std::slice::from_ref(source),
            Combine::Sum(sources) | Combine::Concat(sources) => sources,
        }
    }
}

/// One line of the network: gather the input, then optionally an affine map (dense or
/// maxout), an activation and dropout, in that order.
pub struct Node {
    pub name: Ident,
    /// The doc comments written above the line, for its field.
    pub docs: Vec<Attribute>,
    pub combine: Combine,
    /// The width of the gathered input.
    pub inputs: usize,
    pub linear: Option<Linear>,
    /// `mean_nodes` or `sum_nodes`: the node features it reads, reduced over the nodes.
    pub readout: Option<Readout>,
    pub activation: Activation,
    /// The probability of dropping each output in training.
    pub dropout: Option<f64>,
    pub outputs: usize,
}

/// A graph-level readout of node features: their mean or their sum over the `nodes` nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Readout {
    pub mean: bool,
    pub nodes: usize,
}

impl Node {
    pub fn params(&self) -> usize {
        self.linear.as_ref().map_or(0, |l| match (l.recurrent, l.graph) {
            // PyTorch's four tensors: `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`.
            (Some(r), _) => r.cell.gates() * l.rows * (r.width + l.rows + 2),
            (None, Some((_, features))) => l.rows * features + l.rows,
            (None, None) => {
                l.rows * self.inputs + if l.bias { l.rows } else { 0 } + self.activation_params()
            }
        })
    }

    pub fn recurrence(&self) -> Option<Recurrence> {
        self.linear.as_ref().and_then(|l| l.recurrent)
    }

    /// For a graph convolution: its nodes and the features per node it reads.
    pub fn graph(&self) -> Option<(usize, usize)> {
        self.linear.as_ref().and_then(|l| l.graph)
    }

    /// How many learnable scalars the activation has: one per unit, one for the layer, or none.
    pub fn activation_params(&self) -> usize {
        match self.activation.learnable() {
            Some(Learnable { shared: true, .. }) => 1,
            Some(_) => self.outputs,
            None => 0,
        }
    }
}

/// The affine map `h = W x + b` of a node; for maxout, `rows = units * pieces` and the node's
/// value is the max over each unit's pieces.
pub struct Linear {
    pub rows: usize,
    pub pieces: Option<usize>,
    /// For `rnn(rows)`: the sequence it reads, `h_t = f(W x_t + U h_{t-1} + b)`.
    pub recurrent: Option<Recurrence>,
    /// For `graph_conv(rows)`: the nodes and the features per node it reads,
    /// `H' = f(A_hat H W^T + b)`.
    pub graph: Option<(usize, usize)>,
    /// Parameters on the heap rather than inline (see `check::place_parameters`).
    pub boxed: bool,
    /// Whether `b` is a parameter; `dense(n, bias = false)` keeps its `bias` field at zero and
    /// out of the visitor, the gradient and the files, like PyTorch's `Linear(bias=False)`.
    pub bias: bool,
}

/// The sequence a recurrent layer reads: `steps` steps of `width`; `every` when the layer
/// outputs every state (`rnn_sequence`), not only the last (`rnn`); and its cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recurrence {
    pub width: usize,
    pub steps: usize,
    pub every: bool,
    pub cell: Cell,
}

/// The cell a recurrent layer repeats at every step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cell {
    /// `rnn`: `h_t = f(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`, `f` the line's activation.
    Elman,
    /// `lstm`: PyTorch's LSTM, gates `i, f, g, o`, a cell state beside the state.
    Lstm,
    /// `gru`: PyTorch's GRU, gates `r, z, n`.
    Gru,
}

impl Cell {
    /// The blocks of rows stacked in its weights: 1, 4 (`i, f, g, o`) or 3 (`r, z, n`).
    pub fn gates(self) -> usize {
        match self {
            Cell::Elman => 1,
            Cell::Lstm => 4,
            Cell::Gru => 3,
        }
    }

    /// Whether the cell has gates (and fixed activations of its own).
    pub fn gated(self) -> bool {
        self != Cell::Elman
    }

    /// The layer kind that writes it, `rnn`, `lstm` or `gru`, with `_sequence` for `every`.
    pub fn kind(self, every: bool) -> &'static str {
        match (self, every) {
            (Cell::Elman, false) => "rnn",
            (Cell::Elman, true) => "rnn_sequence",
            (Cell::Lstm, false) => "lstm",
            (Cell::Lstm, true) => "lstm_sequence",
            (Cell::Gru, false) => "gru",
            (Cell::Gru, true) => "gru_sequence",
        }
    }
}

/// A learnable activation's parameter: its name in the visitor, whether the layer shares one
/// value, and its initial value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Learnable {
    pub param: &'static str,
    pub shared: bool,
    pub init: f64,
}

/// An activation, with its hyper-parameter where it has one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    Identity,
    Sigmoid,
    Tanh,
    HardLogistic,
    HardTanh,
    Relu,
    LeakyRelu(f64),
    Elu(f64),
    Softplus,
    Swish(f64),
    Gelu,
    GeluTanh,
    GeluSigmoid,
    Softmax,
    /// `clip(slope x + 1/2, 0, 1)` with another framework's slope.
    HardSigmoid(f64),
    /// PReLU, its initial slope, and whether one slope is shared by the layer.
    Prelu {
        init: f64,
        shared: bool,
    },
    /// Swish with a learnable beta per unit, and its initial value.
    SwishLearnable(f64),
}

impl Activation {
    /// The learnable parameter, for activations that have one.
    pub fn learnable(self) -> Option<Learnable> {
        match self {
            Activation::Prelu { init, shared } => Some(Learnable { param: "slope", shared, init }),
            Activation::SwishLearnable(init) => {
                Some(Learnable { param: "beta", shared: false, init })
            }
            _ => None,
        }
    }
}

/// How an activation is written in the DSL: its name, and its hyper-parameter's name and
/// default if it takes one.
pub struct ActivationSpec {
    pub name: &'static str,
    pub parameter: Option<(&'static str, f64)>,
    pub make: fn(f64) -> Activation,
}

pub const ACTIVATIONS: &[ActivationSpec] = &[
    ActivationSpec { name: "identity", parameter: None, make: |_| Activation::Identity },
    ActivationSpec { name: "sigmoid", parameter: None, make: |_| Activation::Sigmoid },
    ActivationSpec { name: "logistic", parameter: None, make: |_| Activation::Sigmoid },
    ActivationSpec { name: "tanh", parameter: None, make: |_| Activation::Tanh },
    ActivationSpec { name: "hard_logistic", parameter: None, make: |_| Activation::HardLogistic },
    ActivationSpec { name: "hard_tanh", parameter: None, make: |_| Activation::HardTanh },
    ActivationSpec { name: "relu", parameter: None, make: |_| Activation::Relu },
    ActivationSpec {
        name: "leaky_relu",
        parameter: Some(("slope", 0.01)),
        make: Activation::LeakyRelu,
    },
    ActivationSpec { name: "elu", parameter: Some(("scale", 1.0)), make: Activation::Elu },
    ActivationSpec { name: "softplus", parameter: None, make: |_| Activation::Softplus },
    ActivationSpec { name: "swish", parameter: Some(("beta", 1.0)), make: Activation::Swish },
    ActivationSpec { name: "gelu", parameter: None, make: |_| Activation::Gelu },
    ActivationSpec { name: "gelu_tanh", parameter: None, make: |_| Activation::GeluTanh },
    ActivationSpec { name: "gelu_sigmoid", parameter: None, make: |_| Activation::GeluSigmoid },
    ActivationSpec { name: "softmax", parameter: None, make: |_| Activation::Softmax },
    ActivationSpec {
        name: "hard_sigmoid_pytorch",
        parameter: None,
        make: |_| Activation::HardSigmoid(1.0 / 6.0),
    },
    ActivationSpec {
        name: "hard_sigmoid_onnx",
        parameter: None,
        make: |_| Activation::HardSigmoid(0.2),
    },
    ActivationSpec {
        name: "prelu",
        parameter: Some(("initial slope", 0.25)),
        make: |init| Activation::Prelu { init, shared: false },
    },
    ActivationSpec {
        name: "prelu_shared",
        parameter: Some(("initial slope", 0.25)),
        make: |init| Activation::Prelu { init, shared: true },
    },
    ActivationSpec {
        name: "swish_learnable",
        parameter: Some(("initial beta", 1.0)),
        make: Activation::SwishLearnable,
    },
];

/// Words that start a layer: `dense(units)`, `maxout(units, pieces)`, the recurrent
/// `rnn(units)`, `lstm(units)` and `gru(units)` (the last state) with their `_sequence` forms
/// (every state), and `graph_conv(units)`.
pub const LAYER_KINDS: &[&str] = &[
    "dense",
    "maxout",
    "rnn",
    "rnn_sequence",
    "lstm",
    "lstm_sequence",
    "gru",
    "gru_sequence",
    "graph_conv",
];

/// The recurrent layer kinds, as written, with their cells and whether they give every state.
pub const RECURRENT_KINDS: &[(&str, Cell, bool)] = &[
    ("rnn", Cell::Elman, false),
    ("rnn_sequence", Cell::Elman, true),
    ("lstm", Cell::Lstm, false),
    ("lstm_sequence", Cell::Lstm, true),
    ("gru", Cell::Gru, false),
    ("gru_sequence", Cell::Gru, true),
];

/// `dropout(p)`: after the activation, or a line of its own.
pub const DROPOUT: &str = "dropout";

/// `concat(a, b, ...)`: a node's input made of other nodes stacked.
pub const CONCAT: &str = "concat";

/// `mean_nodes` and `sum_nodes`: a graph-level readout of node features, a line's first stage.
pub const READOUTS: &[&str] = &["mean_nodes", "sum_nodes"];

/// The name by which lines read the network's input.
pub const INPUT: &str = "input";

/// The loss of the risk being minimised, with the tokens that named it.
pub struct Loss {
    pub kind: LossKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LossKind {
    Mse,
    BinaryCrossEntropy,
    CrossEntropy,
}

pub const LOSSES: &[(&str, LossKind)] = &[
    ("mse", LossKind::Mse),
    ("binary_cross_entropy", LossKind::BinaryCrossEntropy),
    ("cross_entropy", LossKind::CrossEntropy),
];
