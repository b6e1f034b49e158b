//! The checked network: every width known, every name resolved, every span kept.

use proc_macro2::Span;
use syn::{Attribute, Ident, Visibility};

/// A network that passed every check.
pub struct Network {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: Ident,
    pub inputs: usize,
    pub layers: Vec<Layer>,
    pub loss: Loss,
    /// The L2 coefficient `lambda` of the structured risk `loss + lambda/2 sum ||W||^2`.
    pub l2: Option<f64>,
}

impl Network {
    pub fn outputs(&self) -> usize {
        self.layers.last().map_or(self.inputs, |l| l.outputs)
    }
}

/// A dense layer `a = f(W x + b)`.
pub struct Layer {
    pub name: Ident,
    pub inputs: usize,
    pub outputs: usize,
    pub activation: Activation,
    /// Parameters on the heap rather than inline (see `check::place_parameters`).
    pub boxed: bool,
}

impl Layer {
    pub fn params(&self) -> usize {
        self.outputs * self.inputs + self.outputs
    }
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
];

pub const LAYER_KINDS: &[&str] = &["dense"];

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
