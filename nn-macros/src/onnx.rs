//! `onnx_network!("model.onnx", pub struct Name)`: an ONNX model compiled into the equivalent
//! `network!`, its weights baked into `Name::<f32>::BAKED` and `Name::<f64>::BAKED`.
//!
//! The file is read while the macro expands (relative to the source file that names it, as
//! `weights:` and `include_bytes!` resolve paths, and included with `include_bytes!` so that
//! editing it rebuilds the crate). Its graph is read node by node, in order, into the lines of
//! a `network!` block: each operator either starts a line (`Gemm` a `dense` layer, `Add` of
//! two values a sum, `Concat` a concatenation, a recurrent operator a recurrent layer) or adds
//! a stage to the line it reads (an activation, dropout, maxout's `ReduceMax`) when that line
//! has no later stage yet and nothing else reads its value. The sequences of operators that
//! `nn::onnx` writes for the activations ONNX has no operator for (swish, gelu), for the
//! recurrent layers' reshaping, graph convolutions and readouts are recognised whole.
//!
//! A line is named after the value it computes when that name is a Rust identifier (as the
//! export names them), else `line<k>`. What ONNX does not carry comes from the model's
//! `metadata_props` when `nn::onnx` wrote them (`nn.loss`, `nn.l2`, `nn.dropout.<line>`,
//! `nn.init.<line>`); a model without `nn.loss` trains with `cross_entropy` after a
//! `softmax` output, `binary_cross_entropy` after a `sigmoid` output, `mse` otherwise.
//!
//! Every failure is a compile error at the path that names the node and its operator.

use std::collections::{BTreeMap, HashMap};

use proc_macro2::TokenStream;
use prost::Message;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Ident, LitStr, Token, Visibility};

use crate::ctxt::Ctxt;
use crate::onnx_proto::{self as pb, tensor_proto::DataType};

/// `"model.onnx", #[doc] pub struct Name`.
struct Args {
    path: LitStr,
    attrs: Vec<Attribute>,
    vis: Visibility,
    name: Ident,
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let path = input.parse()?;
        input.parse::<Token![,]>()?;
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        input.parse::<Token![struct]>()?;
        let name = input.parse()?;
        if input.peek(Token![;]) || input.peek(Token![,]) {
            input.parse::<proc_macro2::TokenTree>()?;
        }
        Ok(Args { path, attrs, vis, name })
    }
}

/// Expands one `onnx_network!`.
pub fn onnx_network(input: TokenStream) -> TokenStream {
    let args: Args = match syn::parse2(input) {
        Ok(args) => args,
        Err(error) => return error.to_compile_error(),
    };
    let file = crate::bake::resolve(&args.path);
    let shown = args.path.value();
    let fail = |message: String| {
        let error = syn::Error::new_spanned(&args.path, message).to_compile_error();
        // Still declare the struct with its whole API (every width unknown), so that code
        // using it sees only the mistake.
        let stub = crate::expand::fallback(&args.vis, &args.name, crate::check::Widths::default());
        quote!(#error #stub)
    };
    let bytes = match std::fs::read(&file) {
        Ok(bytes) => bytes,
        Err(error) => return fail(format!("cannot read the ONNX file `{shown}`: {error}")),
    };
    let model = match pb::ModelProto::decode(&bytes[..]) {
        Ok(model) => model,
        Err(error) => {
            return fail(format!("cannot read `{shown}` as an ONNX model: {error}"));
        }
    };
    let imported = match import(&model) {
        Ok(imported) => imported,
        Err(message) => return fail(format!("`{shown}`: {message}")),
    };
    let Args { attrs, vis, name, .. } = &args;
    let body: TokenStream = match imported.body.parse() {
        Ok(body) => body,
        Err(error) => {
            return fail(format!("`{shown}`: the network it reads as does not tokenize: {error}"))
        }
    };
    let def_tokens = quote!(#(#attrs)* #vis struct #name { #body });
    let mut out = crate::expand::network(def_tokens.clone());
    // The weights, through the `weights:` machinery: the checked network and its constants.
    if let Ok(def) = syn::parse2::<crate::parse::NetworkDef>(def_tokens) {
        let mut cx = Ctxt::default();
        let (net, _) = crate::check::network(&mut cx, &def);
        if let (Ok(()), Some(net)) = (cx.check(), net) {
            out.extend(crate::bake::constant(&net, &imported.weights, &shown, true));
            out.extend(crate::bake::constant(&net, &imported.weights, &shown, false));
        }
    }
    let tracked = file.to_string_lossy().into_owned();
    out.extend(quote!(
        const _: &[u8] = ::core::include_bytes!(#tracked);
    ));
    out
}

/// The network an ONNX model reads as: the body of its `network!` block, and its tensors in
/// `nn::io`'s names and PyTorch's row-major layout.
pub struct Imported {
    pub body: String,
    pub weights: BTreeMap<String, Vec<f64>>,
}

/// What an ONNX value is, as far as the network goes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Val {
    Input,
    Line(usize),
}

#[derive(Clone, Debug, Default)]
struct Line {
    /// The ONNX value the line computes (its name when that is an identifier).
    value: String,
    /// What it reads: `""` for the line above, else a source, a sum or a concatenation.
    reads: Vec<Val>,
    sum: bool,
    concat: bool,
    readout: Option<&'static str>,
    layer: Option<String>,
    /// The layer's kind, to know what a stage may join: `dense`, `dense_nobias`, `maxout`,
    /// `rnn`, `gated`, `graph_conv`.
    kind: &'static str,
    activation: Option<String>,
    dropout: Option<f64>,
    width: usize,
    units: usize,
}

/// A constant: an initializer or a `Constant` node's value, widened to `f64`.
#[derive(Clone, Debug)]
struct Const {
    dims: Vec<i64>,
    values: Vec<f64>,
}

struct Importer<'m> {
    nodes: &'m [pb::NodeProto],
    consts: HashMap<String, Const>,
    values: HashMap<String, Val>,
    /// How many nodes (and graph outputs) read each value.
    readers: HashMap<String, usize>,
    lines: Vec<Line>,
    weights: Vec<(usize, &'static str, Vec<f64>)>,
    /// `input: graph(n, f)` or `input: w x s` once a layer shows it.
    input_kind: Option<String>,
    input_width: usize,
    meta: HashMap<String, String>,
}

const DTYPE_NAMES: &[(i32, &str)] = &[
    (1, "FLOAT"),
    (2, "UINT8"),
    (3, "INT8"),
    (4, "UINT16"),
    (5, "INT16"),
    (6, "INT32"),
    (7, "INT64"),
    (8, "STRING"),
    (9, "BOOL"),
    (10, "FLOAT16"),
    (11, "DOUBLE"),
    (12, "UINT32"),
    (13, "UINT64"),
    (14, "COMPLEX64"),
    (15, "COMPLEX128"),
    (16, "BFLOAT16"),
];

fn dtype_name(t: i32) -> String {
    DTYPE_NAMES.iter().find(|(k, _)| *k == t).map_or_else(|| format!("{t}"), |(_, n)| n.to_string())
}

/// A tensor's values as `f64`: float types exactly, integer types (shapes, axes) as they
/// are; `Err` with the dtype's name for any other.
fn tensor_values(t: &pb::TensorProto) -> Result<Vec<f64>, String> {
    let raw = &t.raw_data;
    let v: Vec<f64> = match t.data_type {
        x if x == DataType::Float as i32 => {
            if raw.is_empty() {
                t.float_data.iter().map(|&v| f64::from(v)).collect()
            } else {
                raw.chunks_exact(4)
                    .map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
                    .collect()
            }
        }
        x if x == DataType::Double as i32 => {
            if raw.is_empty() {
                t.double_data.clone()
            } else {
                raw.chunks_exact(8)
                    .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                    .collect()
            }
        }
        x if x == DataType::Int64 as i32 => {
            if raw.is_empty() {
                t.int64_data.iter().map(|&v| v as f64).collect()
            } else {
                raw.chunks_exact(8)
                    .map(|c| {
                        i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f64
                    })
                    .collect()
            }
        }
        x if x == DataType::Int32 as i32 => {
            if raw.is_empty() {
                t.int32_data.iter().map(|&v| f64::from(v)).collect()
            } else {
                raw.chunks_exact(4)
                    .map(|c| f64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])))
                    .collect()
            }
        }
        other => return Err(dtype_name(other)),
    };
    Ok(v)
}

/// `name` if it can be a line's name: a Rust identifier that is no keyword of the language or
/// of the block.
fn line_name(name: &str) -> Option<String> {
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && syn::parse_str::<Ident>(name).is_ok()
        && !["input", "loss", "l2", "stream", "weights", "concat", "dropout", "_"].contains(&name);
    ok.then(|| name.to_string())
}

/// A float printed as the shortest `f32` that reads back the same, so that `0.1` stays `0.1`.
fn short(v: f64) -> String {
    let s = format!("{:?}", v as f32);
    let back: f64 = s.parse().unwrap_or(v);
    format!("{back:?}")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * (1.0 + b.abs())
}

impl<'m> Importer<'m> {
    fn node_label(node: &pb::NodeProto) -> String {
        let name = if node.name.is_empty() {
            node.output.first().cloned().unwrap_or_default()
        } else {
            node.name.clone()
        };
        format!("node `{name}` (`{}`)", node.op_type)
    }

    fn int(node: &pb::NodeProto, name: &str, default: i64) -> i64 {
        node.attribute.iter().find(|a| a.name == name).map_or(default, |a| a.i)
    }

    fn float(node: &pb::NodeProto, name: &str, default: f64) -> f64 {
        node.attribute.iter().find(|a| a.name == name).map_or(default, |a| f64::from(a.f))
    }

    fn konst(&self, node: &pb::NodeProto, k: usize) -> Result<&Const, String> {
        let name = node.input.get(k).map(String::as_str).unwrap_or("");
        self.consts.get(name).ok_or_else(|| {
            format!(
                "{} reads `{name}` as its input {k}, which must be a constant (an initializer) for this operator",
                Self::node_label(node)
            )
        })
    }

    fn val(&self, node: &pb::NodeProto, k: usize) -> Result<Val, String> {
        let name = node.input.get(k).map(String::as_str).unwrap_or("");
        self.values.get(name).copied().ok_or_else(|| {
            format!("{} reads `{name}`, which is no value the import knows", Self::node_label(node))
        })
    }

    fn width(&self, v: Val) -> usize {
        match v {
            Val::Input => self.input_width,
            Val::Line(i) => self.lines[i].width,
        }
    }

    /// Whether `v` is an intermediate line value only `node` reads, to which a stage may be
    /// added.
    fn foldable(&self, v: Val, value: &str) -> Option<usize> {
        self.foldable_by(v, value, 1)
    }

    /// [`Self::foldable`] for a group of nodes that reads `value` `reads` times.
    fn foldable_by(&self, v: Val, value: &str, reads: usize) -> Option<usize> {
        let Val::Line(i) = v else { return None };
        let line = &self.lines[i];
        (line.value == value
            && line_name(value).is_none()
            && self.readers.get(value) == Some(&reads))
        .then_some(i)
    }

    /// How many times the `len` nodes from `k` read `value`.
    fn reads_within(&self, k: usize, len: usize, value: &str) -> usize {
        self.nodes[k..(k + len).min(self.nodes.len())]
            .iter()
            .map(|n| n.input.iter().filter(|i| *i == value).count())
            .sum()
    }

    fn new_line(&mut self, line: Line, out: &str) -> usize {
        self.lines.push(line);
        let i = self.lines.len() - 1;
        self.lines[i].value = out.to_string();
        self.values.insert(out.to_string(), Val::Line(i));
        i
    }

    /// Adds an activation to the line `node` reads (input 0), or a line of its own.
    fn activation(
        &mut self,
        node: &pb::NodeProto,
        act: String,
        param: Option<(&'static str, Vec<f64>)>,
    ) -> Result<(), String> {
        self.activation_of_group(node, act, param, 1)
    }

    /// An activation computed by a group of nodes that reads its input `reads` times; `node`
    /// stands for the group: its input and the group's output.
    fn activation_of_group(
        &mut self,
        node: &pb::NodeProto,
        act: String,
        param: Option<(&'static str, Vec<f64>)>,
        reads: usize,
    ) -> Result<(), String> {
        let v = self.val(node, 0)?;
        let input = node.input[0].clone();
        let out = node.output.first().cloned().unwrap_or_default();
        let target = self.foldable_by(v, &input, reads).filter(|&i| {
            let l = &self.lines[i];
            l.activation.is_none()
                && l.dropout.is_none()
                && matches!(l.kind, "dense" | "dense_nobias" | "maxout" | "graph_conv" | "")
                && (param.is_none() || matches!(l.kind, "dense" | "dense_nobias"))
        });
        let i = match target {
            Some(i) => {
                self.lines[i].value = out.clone();
                self.values.insert(out, Val::Line(i));
                i
            }
            None => {
                if param.is_some() {
                    return Err(format!(
                        "{} has learnable parameters, which `network!` keeps on a `dense` layer: it must read a `Gemm` or `MatMul` that nothing else reads",
                        Self::node_label(node)
                    ));
                }
                let width = self.width(v);
                self.new_line(Line { reads: vec![v], width, units: width, ..Line::default() }, &out)
            }
        };
        self.lines[i].activation = Some(act);
        if let Some((what, values)) = param {
            self.weights.push((i, what, values));
        }
        Ok(())
    }

    fn import(&mut self) -> Result<(), String> {
        let mut k = 0;
        while k < self.nodes.len() {
            k += self.lower(k)?;
        }
        Ok(())
    }

    /// Lowers the node at `k` (with the nodes after it that form one pattern) and returns how
    /// many nodes it took.
    fn lower(&mut self, k: usize) -> Result<usize, String> {
        let nodes = self.nodes;
        let node = &nodes[k];
        let out = node.output.first().cloned().unwrap_or_default();
        let op = node.op_type.as_str();
        let at = |j: usize| nodes.get(k + j);
        let ops = |list: &[&str]| {
            list.iter().enumerate().all(|(j, o)| at(j).is_some_and(|n| n.op_type == *o))
        };
        if !node.domain.is_empty() && node.domain != "ai.onnx" {
            return Err(format!(
                "{} is in the domain `{}`; only ONNX's own operators are supported",
                Self::node_label(node),
                node.domain
            ));
        }
        match op {
            "Gemm" => {
                let x = self.val(node, 0)?;
                let w = self.konst(node, 1)?.clone();
                if Self::int(node, "transA", 0) != 0
                    || !close(Self::float(node, "alpha", 1.0), 1.0)
                    || !close(Self::float(node, "beta", 1.0), 1.0)
                {
                    return Err(format!(
                        "{} scales or transposes its input (`transA`, `alpha`, `beta`); only `x W^T + b` is a `dense` layer",
                        Self::node_label(node)
                    ));
                }
                let [a, b] = w.dims[..] else {
                    return Err(format!(
                        "{} has a weight of shape {:?}, not a matrix",
                        Self::node_label(node),
                        w.dims
                    ));
                };
                let (a, b) = (a as usize, b as usize);
                let (rows, cols, values) = if Self::int(node, "transB", 0) == 1 {
                    (a, b, w.values.clone())
                } else {
                    (b, a, transpose(&w.values, a, b))
                };
                let i = self.dense_line(node, x, rows, cols, values, &out)?;
                if node.input.len() > 2 && !node.input[2].is_empty() {
                    let bias = self.konst(node, 2)?.clone();
                    if bias.values.len() != rows {
                        return Err(format!(
                            "{} has a bias of {} values for {rows} outputs; `network!` takes one bias per output",
                            Self::node_label(node),
                            bias.values.len()
                        ));
                    }
                    self.lines[i].kind = "dense";
                    self.weights.push((i, "bias", bias.values));
                }
                Ok(1)
            }
            "MatMul" if self.consts.contains_key(node.input.get(1).map_or("", |s| s)) => {
                let x = self.val(node, 0)?;
                let w = self.konst(node, 1)?.clone();
                let [a, b] = w.dims[..] else {
                    return Err(format!(
                        "{} multiplies by a weight of shape {:?}, not a matrix",
                        Self::node_label(node),
                        w.dims
                    ));
                };
                let (cols, rows) = (a as usize, b as usize);
                self.dense_line(node, x, rows, cols, transpose(&w.values, cols, rows), &out)?;
                Ok(1)
            }
            "Add" if node.input.iter().any(|i| self.consts.contains_key(i)) => {
                // A bias after `MatMul`.
                let (value, c) =
                    if self.consts.contains_key(&node.input[1]) { (0, 1) } else { (1, 0) };
                let v = self.val(node, value)?;
                let bias = self.konst(node, c)?.clone();
                let target = self.foldable(v, &node.input[value].clone()).filter(|&i| {
                    let l = &self.lines[i];
                    l.kind == "dense_nobias"
                        && l.activation.is_none()
                        && bias.values.len() == l.units
                });
                let Some(i) = target else {
                    return Err(format!(
                        "{} adds a constant to a value that is not a `MatMul` by a weight; only a layer's bias can be a constant here",
                        Self::node_label(node)
                    ));
                };
                self.lines[i].kind = "dense";
                self.lines[i].value = out.clone();
                self.values.insert(out, Val::Line(i));
                self.weights.push((i, "bias", bias.values));
                Ok(1)
            }
            "Add" | "Sum" => {
                let reads = (0..node.input.len())
                    .map(|j| self.val(node, j))
                    .collect::<Result<Vec<_>, _>>()?;
                let width = self.width(reads[0]);
                if reads.iter().any(|&r| self.width(r) != width) {
                    return Err(format!(
                        "{} adds values of different widths",
                        Self::node_label(node)
                    ));
                }
                self.new_line(
                    Line { reads, sum: true, width, units: width, ..Line::default() },
                    &out,
                );
                Ok(1)
            }
            "Concat" => {
                let axis = Self::int(node, "axis", 1);
                if axis != 1 && axis != -1 {
                    return Err(format!(
                        "{} concatenates along axis {axis}; `concat` stacks the features (axis 1)",
                        Self::node_label(node)
                    ));
                }
                let reads = (0..node.input.len())
                    .map(|j| self.val(node, j))
                    .collect::<Result<Vec<_>, _>>()?;
                let width = reads.iter().map(|&r| self.width(r)).sum();
                self.new_line(
                    Line { reads, concat: true, width, units: width, ..Line::default() },
                    &out,
                );
                Ok(1)
            }
            "Identity" | "Dropout" => {
                let v = self.val(node, 0)?;
                let input = node.input[0].clone();
                let p =
                    self.meta.get(&format!("nn.dropout.{out}")).and_then(|p| p.parse::<f64>().ok());
                match (p, self.foldable(v, &input)) {
                    (Some(p), Some(i)) if self.lines[i].dropout.is_none() => {
                        self.lines[i].dropout = Some(p);
                        self.lines[i].value = out.clone();
                        self.values.insert(out, Val::Line(i));
                    }
                    (p, Some(i)) if p.is_none() => {
                        self.lines[i].value = out.clone();
                        self.values.insert(out, Val::Line(i));
                    }
                    (p, _) => {
                        let width = self.width(v);
                        let i = self.new_line(
                            Line { reads: vec![v], width, units: width, ..Line::default() },
                            &out,
                        );
                        self.lines[i].dropout = p;
                    }
                }
                Ok(1)
            }
            "Sigmoid" | "Tanh" | "Relu" | "Softplus"
                if op != "Sigmoid" || !self.swish_x_sigmoid(k) =>
            {
                let name = match op {
                    "Sigmoid" => "sigmoid",
                    "Tanh" => "tanh",
                    "Relu" => "relu",
                    _ => "softplus",
                };
                self.activation(node, name.into(), None)?;
                Ok(1)
            }
            "Sigmoid" => {
                // `Sigmoid(x)`, `Mul(x, s)`: swish with beta 1 (PyTorch's SiLU).
                let mul = &nodes[k + 1];
                let fused = pb::NodeProto {
                    input: vec![node.input[0].clone()],
                    output: mul.output.clone(),
                    ..node.clone()
                };
                let reads = self.reads_within(k, 2, &node.input[0]);
                self.activation_of_group(&fused, "swish(1.0)".into(), None, reads)?;
                Ok(2)
            }
            "Softmax" => {
                let axis = Self::int(node, "axis", -1);
                if axis != 1 && axis != -1 {
                    return Err(format!("{} normalises along axis {axis}; `softmax` normalises the features (axis 1)", Self::node_label(node)));
                }
                self.activation(node, "softmax".into(), None)?;
                Ok(1)
            }
            "LeakyRelu" => {
                let a = Self::float(node, "alpha", 0.01);
                self.activation(node, format!("leaky_relu({})", short(a)), None)?;
                Ok(1)
            }
            "Elu" => {
                let a = Self::float(node, "alpha", 1.0);
                self.activation(node, format!("elu({})", short(a)), None)?;
                Ok(1)
            }
            "HardSigmoid" => {
                let (a, b) = (Self::float(node, "alpha", 0.2), Self::float(node, "beta", 0.5));
                let name = match () {
                    _ if !close(b, 0.5) => None,
                    _ if close(a, 0.25) => Some("hard_logistic"),
                    _ if close(a, 0.2) => Some("hard_sigmoid_onnx"),
                    _ if close(a, 1.0 / 6.0) => Some("hard_sigmoid_pytorch"),
                    _ => None,
                };
                let Some(name) = name else {
                    return Err(format!(
                        "{} has `alpha = {}`, `beta = {}`; `network!` has the hard sigmoids of slope 1/4, 0.2 and 1/6 with offset 1/2",
                        Self::node_label(node),
                        short(a),
                        short(b)
                    ));
                };
                self.activation(node, name.into(), None)?;
                Ok(1)
            }
            "Clip" => {
                let bound = |j: usize, attr: &str, default: f64| -> f64 {
                    match node.input.get(j).filter(|s| !s.is_empty()) {
                        Some(name) => self
                            .consts
                            .get(name)
                            .and_then(|c| c.values.first().copied())
                            .unwrap_or(f64::NAN),
                        None => Self::float(node, attr, default),
                    }
                };
                let (lo, hi) = (bound(1, "min", f64::NEG_INFINITY), bound(2, "max", f64::INFINITY));
                if !(close(lo, -1.0) && close(hi, 1.0)) {
                    return Err(format!(
                        "{} clips to [{lo}, {hi}]; `hard_tanh` clips to [-1, 1], the only clip `network!` has",
                        Self::node_label(node)
                    ));
                }
                self.activation(node, "hard_tanh".into(), None)?;
                Ok(1)
            }
            "PRelu" => {
                let slope = self.konst(node, 1)?.values.clone();
                let v = self.val(node, 0)?;
                let width = self.width(v);
                let act = match slope.len() {
                    1 => "prelu_shared(?)".to_string(),
                    n if n == width => "prelu(?)".to_string(),
                    n => {
                        return Err(format!(
                            "{} has {n} slopes for {width} values; `prelu` takes one per value, `prelu_shared` one",
                            Self::node_label(node)
                        ))
                    }
                };
                self.activation(node, act, Some(("slope", slope)))?;
                Ok(1)
            }
            "Gelu" => {
                let approximate =
                    node.attribute.iter().find(|a| a.name == "approximate").map(|a| a.s.clone());
                let name =
                    if approximate.as_deref() == Some(b"tanh") { "gelu_tanh" } else { "gelu" };
                self.activation(node, name.into(), None)?;
                Ok(1)
            }
            // `x sigmoid(beta x)`: `Mul(x, beta)`, `Sigmoid`, `Mul(x, s)`.
            "Mul"
                if ops(&["Mul", "Sigmoid", "Mul"]) && self.consts.contains_key(&node.input[1]) =>
            {
                let beta = self.konst(node, 1)?.values.clone();
                let last = &nodes[k + 2];
                let fused = pb::NodeProto {
                    input: vec![node.input[0].clone()],
                    output: last.output.clone(),
                    ..node.clone()
                };
                let reads = self.reads_within(k, 3, &node.input[0]);
                if beta.len() == 1 {
                    let act = if close(beta[0], 1.702) {
                        "gelu_sigmoid".to_string()
                    } else {
                        format!("swish({})", short(beta[0]))
                    };
                    self.activation_of_group(&fused, act, None, reads)?;
                } else {
                    self.activation_of_group(
                        &fused,
                        "swish_learnable(?)".into(),
                        Some(("beta", beta)),
                        reads,
                    )?;
                }
                Ok(3)
            }
            // gelu, exact: `Div(x, sqrt 2)`, `Erf`, `Add 1`, and two `Mul`s (x/2, times).
            "Div" if ops(&["Div", "Erf", "Add", "Mul", "Mul"]) => {
                let last = &nodes[k + 4];
                let fused = pb::NodeProto {
                    input: vec![node.input[0].clone()],
                    output: last.output.clone(),
                    ..node.clone()
                };
                let reads = self.reads_within(k, 5, &node.input[0]);
                self.activation_of_group(&fused, "gelu".into(), None, reads)?;
                Ok(5)
            }
            // gelu's tanh approximation as `nn::onnx` writes it.
            "Mul" if ops(&["Mul", "Mul", "Mul", "Add", "Mul", "Tanh", "Add", "Mul", "Mul"]) => {
                let last = &nodes[k + 8];
                let fused = pb::NodeProto {
                    input: vec![node.input[0].clone()],
                    output: last.output.clone(),
                    ..node.clone()
                };
                let reads = self.reads_within(k, 9, &node.input[0]);
                self.activation_of_group(&fused, "gelu_tanh".into(), None, reads)?;
                Ok(9)
            }
            // maxout: `Reshape` to [batch, units, pieces], `ReduceMax` over the pieces.
            "Reshape" if ops(&["Reshape", "ReduceMax"]) => {
                let shape = self.konst(node, 1)?.values.clone();
                let v = self.val(node, 0)?;
                let target = self.foldable(v, &node.input[0].clone()).filter(|&i| {
                    let l = &self.lines[i];
                    l.kind == "dense" && l.activation.is_none() && l.dropout.is_none()
                });
                let (Some(i), &[_, units, pieces]) = (target, &shape[..]) else {
                    return Err(format!(
                        "{} and the `ReduceMax` after it must follow a `Gemm`: that is maxout",
                        Self::node_label(node)
                    ));
                };
                let (units, pieces) = (units as usize, pieces as usize);
                let line = &mut self.lines[i];
                line.layer = Some(format!("maxout({units}, {pieces})"));
                line.kind = "maxout";
                line.width = units;
                let last = &nodes[k + 1];
                line.value = last.output[0].clone();
                self.values.insert(last.output[0].clone(), Val::Line(i));
                Ok(2)
            }
            // A readout: `Reshape` to [batch, nodes, features], `ReduceMean` or `ReduceSum`.
            "Reshape" if ops(&["Reshape", "ReduceMean"]) || ops(&["Reshape", "ReduceSum"]) => {
                let shape = self.konst(node, 1)?.values.clone();
                let v = self.val(node, 0)?;
                let [_, n, f] = shape[..] else {
                    return Err(format!("{} is no readout's reshape", Self::node_label(node)));
                };
                let last = &nodes[k + 1];
                let readout = if last.op_type == "ReduceMean" { "mean_nodes" } else { "sum_nodes" };
                let _ = n;
                let f = f as usize;
                self.new_line(
                    Line {
                        reads: vec![v],
                        readout: Some(readout),
                        width: f,
                        units: f,
                        ..Line::default()
                    },
                    &last.output[0],
                );
                Ok(2)
            }
            // A recurrent layer: the steps to [steps, batch, width], the cell, its output back.
            "Reshape"
                if ops(&["Reshape", "Transpose"])
                    && at(2)
                        .is_some_and(|n| ["RNN", "LSTM", "GRU"].contains(&n.op_type.as_str())) =>
            {
                self.recurrent(k)
            }
            // A graph convolution as `nn::onnx` writes it.
            "Slice" if ops(GRAPH_CONV) => self.graph_conv(k),
            _ => Err(format!(
                "{} is not supported: `network!` has no layer for it{}",
                Self::node_label(node),
                hint(op)
            )),
        }
    }

    /// Whether the `Sigmoid` at `k` is the gate of `x sigmoid(x)`.
    fn swish_x_sigmoid(&self, k: usize) -> bool {
        let (node, next) = (&self.nodes[k], self.nodes.get(k + 1));
        next.is_some_and(|m| {
            m.op_type == "Mul"
                && m.input.contains(&node.input[0])
                && m.input.contains(&node.output[0])
                && self.readers.get(&node.output[0]) == Some(&1)
        })
    }

    /// A `dense(rows)` layer without bias reading `x`, and its index.
    fn dense_line(
        &mut self,
        node: &pb::NodeProto,
        x: Val,
        rows: usize,
        cols: usize,
        weight: Vec<f64>,
        out: &str,
    ) -> Result<usize, String> {
        if self.width(x) != cols {
            return Err(format!(
                "{} multiplies {} values by a weight of {cols} columns",
                Self::node_label(node),
                self.width(x)
            ));
        }
        // A sum or concatenation that only this layer reads is the same line:
        // `out: concat(a, b) -> dense(2)`.
        let input = node.input[0].clone();
        let gathered = self.foldable(x, &input).filter(|&i| {
            let l = &self.lines[i];
            (l.sum || l.concat)
                && l.layer.is_none()
                && l.activation.is_none()
                && l.dropout.is_none()
                && l.readout.is_none()
        });
        let i = match gathered {
            Some(i) => {
                let line = &mut self.lines[i];
                line.layer = Some(format!("dense({rows})"));
                line.kind = "dense_nobias";
                line.width = rows;
                line.units = rows;
                line.value = out.to_string();
                self.values.insert(out.to_string(), Val::Line(i));
                i
            }
            None => self.new_line(
                Line {
                    reads: vec![x],
                    layer: Some(format!("dense({rows})")),
                    kind: "dense_nobias",
                    width: rows,
                    units: rows,
                    ..Line::default()
                },
                out,
            ),
        };
        self.weights.push((i, "weight", weight));
        Ok(i)
    }

    fn recurrent(&mut self, k: usize) -> Result<usize, String> {
        let nodes = self.nodes;
        let (reshape, cell) = (&nodes[k], &nodes[k + 2]);
        let v = self.val(reshape, 0)?;
        let shape = self.konst(reshape, 1)?.values.clone();
        let [_, steps, width] = shape[..] else {
            return Err(format!(
                "{} does not split the steps as [batch, steps, width]",
                Self::node_label(reshape)
            ));
        };
        let (steps, width) = (steps as usize, width as usize);
        let units = Self::int(cell, "hidden_size", 0) as usize;
        let direction = cell.attribute.iter().find(|a| a.name == "direction").map(|a| a.s.clone());
        if direction.is_some_and(|d| d != b"forward") {
            return Err(format!(
                "{} runs backwards or both ways; `network!`'s recurrent layers run forwards",
                Self::node_label(cell)
            ));
        }
        let w = self.konst(cell, 1)?.values.clone();
        let r = self.konst(cell, 2)?.values.clone();
        let gates = match cell.op_type.as_str() {
            "RNN" => 1,
            "LSTM" => 4,
            _ => 3,
        };
        let b = match cell.input.get(3).filter(|s| !s.is_empty()) {
            Some(_) => self.konst(cell, 3)?.values.clone(),
            None => vec![0.0; 2 * gates * units],
        };
        if cell.input.len() > 4 && cell.input[4..].iter().any(|s| !s.is_empty()) {
            return Err(format!("{} takes sequence lengths or initial states; `network!`'s layers start from zero over every step", Self::node_label(cell)));
        }
        // ONNX's gate order -> PyTorch's.
        let order: &[usize] = match gates {
            1 => &[0],
            4 => &[0, 2, 3, 1], // i, o, f, c -> i, f, g(c), o
            _ => &[1, 0, 2],    // z, r, h -> r, z, n
        };
        let reorder = |values: &[f64], cols: usize| -> Vec<f64> {
            let block = units * cols;
            order
                .iter()
                .flat_map(|&g| {
                    values.get(g * block..(g + 1) * block).unwrap_or(&[]).iter().copied()
                })
                .collect()
        };
        let (kind, act) = match cell.op_type.as_str() {
            "RNN" => {
                let acts: Vec<String> = cell
                    .attribute
                    .iter()
                    .find(|a| a.name == "activations")
                    .map(|a| {
                        a.strings.iter().map(|s| String::from_utf8_lossy(s).into_owned()).collect()
                    })
                    .unwrap_or_default();
                let alpha = cell
                    .attribute
                    .iter()
                    .find(|a| a.name == "activation_alpha")
                    .and_then(|a| a.floats.first().copied())
                    .map(f64::from);
                let act = match acts.first().map(String::as_str).unwrap_or("Tanh") {
                    "Tanh" => "tanh".to_string(),
                    "Relu" => "relu".into(),
                    "Sigmoid" => "sigmoid".into(),
                    "Softplus" => "softplus".into(),
                    "LeakyRelu" => format!("leaky_relu({})", short(alpha.unwrap_or(0.01))),
                    "Elu" => format!("elu({})", short(alpha.unwrap_or(1.0))),
                    other => {
                        return Err(format!(
                            "{} has the activation `{other}`, which `rnn` lines do not have",
                            Self::node_label(cell)
                        ))
                    }
                };
                ("rnn", Some(act))
            }
            "LSTM" => {
                if cell
                    .attribute
                    .iter()
                    .any(|a| a.name == "activations" || a.name == "input_forget" && a.i != 0)
                {
                    return Err(format!(
                        "{} changes the LSTM's activations; `lstm` is PyTorch's cell",
                        Self::node_label(cell)
                    ));
                }
                ("lstm", None)
            }
            _ => {
                if Self::int(cell, "linear_before_reset", 0) != 1 {
                    return Err(format!(
                        "{} applies the reset gate before the recurrent product (`linear_before_reset = 0`); `gru` is PyTorch's cell (`linear_before_reset = 1`)",
                        Self::node_label(cell)
                    ));
                }
                ("gru", None)
            }
        };
        // The output: `Squeeze(Y_h)` (the last state) or `Squeeze(Y)`, `Transpose`, `Reshape`
        // (every state).
        let y = cell.output.first().cloned().unwrap_or_default();
        let next = nodes.get(k + 3);
        let (every, taken, out) = match next {
            Some(n) if n.op_type == "Squeeze" && n.input[0] == y => {
                let last = nodes.get(k + 5).filter(|n| n.op_type == "Reshape");
                let Some(last) = last else {
                    return Err(format!(
                        "{} is not followed by the reshape of every state",
                        Self::node_label(cell)
                    ));
                };
                (true, 6, last.output[0].clone())
            }
            Some(n) if n.op_type == "Squeeze" => (false, 4, n.output[0].clone()),
            _ => {
                return Err(format!(
                    "{} is not followed by a `Squeeze` of its output",
                    Self::node_label(cell)
                ))
            }
        };
        if v == Val::Input && self.input_kind.is_none() {
            self.input_kind = Some(format!("{width} x {steps}"));
        }
        let name =
            if every { format!("{kind}_sequence({units})") } else { format!("{kind}({units})") };
        let out_width = if every { units * steps } else { units };
        let i = self.new_line(
            Line {
                reads: vec![v],
                layer: Some(name),
                kind: if kind == "rnn" { "rnn" } else { "gated" },
                activation: act,
                width: out_width,
                units,
                ..Line::default()
            },
            &out,
        );
        self.weights.push((i, "weight_ih_l0", reorder(&w, width)));
        self.weights.push((i, "weight_hh_l0", reorder(&r, units)));
        let half = gates * units;
        self.weights.push((i, "bias_ih_l0", reorder(&b[..half.min(b.len())], 1)));
        self.weights.push((i, "bias_hh_l0", reorder(b.get(half..).unwrap_or(&[]), 1)));
        Ok(taken)
    }

    fn graph_conv(&mut self, k: usize) -> Result<usize, String> {
        let nodes = self.nodes;
        let square = self.konst(&nodes[k + 1], 1)?.values.clone();
        let features = self.konst(&nodes[k + 11], 1)?.values.clone();
        let (&[_, n, _], &[_, _, f]) = (&square[..], &features[..]) else {
            return Err(format!(
                "{} is no graph convolution's reshape",
                Self::node_label(&nodes[k + 1])
            ));
        };
        let (n, f) = (n as usize, f as usize);
        let x = self.val(&nodes[k + 10], 0)?;
        let w_t = self.konst(&nodes[k + 13], 1)?.clone();
        let bias = self.konst(&nodes[k + 14], 1)?.values.clone();
        let units = bias.len();
        if x == Val::Input && self.input_kind.is_none() {
            self.input_kind = Some(format!("graph({n}, {f})"));
        }
        if self.input_kind.is_none() {
            let f_in = self.input_width.checked_sub(n * n).map_or(0, |w| w / n.max(1));
            self.input_kind = Some(format!("graph({n}, {f_in})"));
        }
        let out = nodes[k + GRAPH_CONV.len() - 1].output[0].clone();
        let i = self.new_line(
            Line {
                reads: vec![x],
                layer: Some(format!("graph_conv({units})")),
                kind: "graph_conv",
                width: n * units,
                units: n * units,
                ..Line::default()
            },
            &out,
        );
        self.weights.push((i, "weight", transpose(&w_t.values, f, units)));
        self.weights.push((i, "bias", bias));
        Ok(GRAPH_CONV.len())
    }
}

/// The operators `nn::onnx` writes for one `graph_conv` line.
const GRAPH_CONV: &[&str] = &[
    "Slice",
    "Reshape",
    "Transpose",
    "Add",
    "ReduceSum",
    "Sqrt",
    "Reciprocal",
    "Transpose",
    "Mul",
    "Mul",
    "Slice",
    "Reshape",
    "MatMul",
    "MatMul",
    "Add",
    "Reshape",
];

fn hint(op: &str) -> &'static str {
    match op {
        "Conv" | "ConvTranspose" | "MaxPool" | "AveragePool" => {
            "; convolutions over images are outside the fixed-width vectors `network!` computes"
        }
        "BatchNormalization" => "; fold the normalisation into the layer before it when exporting",
        "LayerNormalization" | "GroupNormalization" | "InstanceNormalization" => {
            "; normalise the inputs before the network instead"
        }
        "Flatten" | "Reshape" | "Transpose" | "Squeeze" | "Unsqueeze" => {
            "; shapes change only inside the patterns of a recurrent layer, maxout, a graph convolution or a readout"
        }
        _ => "",
    }
}

fn transpose(values: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    let mut t = vec![0.0; values.len()];
    for r in 0..rows {
        for c in 0..cols {
            if let (Some(v), Some(slot)) = (values.get(r * cols + c), t.get_mut(c * rows + r)) {
                *slot = *v;
            }
        }
    }
    t
}

/// Reads an ONNX model into the body of a `network!` block and its tensors.
pub fn import(model: &pb::ModelProto) -> Result<Imported, String> {
    let Some(graph) = &model.graph else {
        return Err("the model has no graph".into());
    };
    let mut consts = HashMap::new();
    for t in &graph.initializer {
        let values = tensor_values(t).map_err(|d| {
            let node = graph.node.iter().find(|n| n.input.contains(&t.name));
            let reader = node.map_or_else(|| "no node".to_string(), Importer::node_label);
            format!(
                "initializer `{}`, read by {reader}, has dtype `{d}`; the import reads `FLOAT`, `DOUBLE` and integer tensors",
                t.name
            )
        })?;
        consts.insert(t.name.clone(), Const { dims: t.dims.clone(), values });
    }
    let inputs: Vec<&pb::ValueInfoProto> =
        graph.input.iter().filter(|i| !consts.contains_key(&i.name)).collect();
    let [input] = inputs[..] else {
        return Err(format!("the graph has {} inputs; a network has one", inputs.len()));
    };
    let tensor = match input.r#type.as_ref().and_then(|t| t.value.as_ref()) {
        Some(pb::type_proto::Value::TensorType(t)) => t,
        _ => return Err(format!("input `{}` is not a tensor", input.name)),
    };
    if tensor.elem_type != DataType::Float as i32 && tensor.elem_type != DataType::Double as i32 {
        return Err(format!(
            "input `{}` has dtype `{}`; a network reads `FLOAT` (or `DOUBLE`) values",
            input.name,
            dtype_name(tensor.elem_type)
        ));
    }
    use pb::tensor_shape_proto::dimension::Value as Dim;
    let dims: Vec<Option<&Dim>> = tensor
        .shape
        .as_ref()
        .map(|s| s.dim.iter().map(|d| d.value.as_ref()).collect())
        .unwrap_or_default();
    let shown: Vec<String> = dims
        .iter()
        .map(|d| match d {
            Some(Dim::DimValue(v)) => v.to_string(),
            Some(Dim::DimParam(p)) => p.clone(),
            None => "?".into(),
        })
        .collect();
    let width = match dims[..] {
        [_, Some(Dim::DimValue(w))] if *w > 0 => *w as usize,
        _ => {
            return Err(format!(
                "input `{}` has the shape [{}]; a network reads [batch, n] with a fixed width n (dynamic widths are not supported)",
                input.name,
                shown.join(", ")
            ))
        }
    };
    let mut readers: HashMap<String, usize> = HashMap::new();
    for node in &graph.node {
        for i in &node.input {
            *readers.entry(i.clone()).or_default() += 1;
        }
    }
    for o in &graph.output {
        *readers.entry(o.name.clone()).or_default() += 1;
    }
    let meta: HashMap<String, String> =
        model.metadata_props.iter().map(|p| (p.key.clone(), p.value.clone())).collect();
    // `Constant` nodes are constants like initializers: read first, so that the groups of
    // operators the import recognises are consecutive whatever constants an exporter puts
    // between them.
    for node in graph.node.iter().filter(|n| n.op_type == "Constant") {
        let t = node.attribute.iter().find(|a| a.name == "value").and_then(|a| a.t.as_ref());
        let Some(t) = t else {
            return Err(format!("{} has no tensor `value`", Importer::node_label(node)));
        };
        let values = tensor_values(t).map_err(|d| {
            format!(
                "{} holds a tensor of dtype `{d}`; the import reads float and integer tensors",
                Importer::node_label(node)
            )
        })?;
        for out in &node.output {
            consts.insert(out.clone(), Const { dims: t.dims.clone(), values: values.clone() });
        }
    }
    let nodes: Vec<pb::NodeProto> =
        graph.node.iter().filter(|n| n.op_type != "Constant").cloned().collect();
    let mut im = Importer {
        nodes: &nodes,
        consts,
        values: HashMap::from([(input.name.clone(), Val::Input)]),
        readers,
        lines: Vec::new(),
        weights: Vec::new(),
        input_kind: None,
        input_width: width,
        meta,
    };
    im.import()?;
    let [output] = &graph.output[..] else {
        return Err(format!("the graph has {} outputs; a network has one", graph.output.len()));
    };
    let Some(&Val::Line(last)) = im.values.get(&output.name) else {
        return Err(format!("output `{}` is computed by no operator the import read", output.name));
    };
    if last + 1 != im.lines.len() {
        return Err(format!(
            "output `{}` is not the last line computed; lines after it would be unused",
            output.name
        ));
    }
    // Names: the value's when it is an identifier, else `line<k>`, never twice.
    let mut names: Vec<String> = Vec::new();
    for (k, line) in im.lines.iter().enumerate() {
        let mut name = line_name(&line.value).unwrap_or_else(|| format!("line{k}"));
        while names.contains(&name) {
            name = format!("{name}_{k}");
        }
        names.push(name);
    }
    let source = |v: Val| match v {
        Val::Input => "input".to_string(),
        Val::Line(i) => names[i].clone(),
    };
    let input_kind = im.input_kind.clone().unwrap_or_else(|| width.to_string());
    let mut body = format!("input: {input_kind},\n");
    for (k, line) in im.lines.iter().enumerate() {
        let mut stages: Vec<String> = Vec::new();
        let above = if k == 0 { Val::Input } else { Val::Line(k - 1) };
        if line.sum {
            stages.push(line.reads.iter().map(|&v| source(v)).collect::<Vec<_>>().join(" + "));
        } else if line.concat {
            stages.push(format!(
                "concat({})",
                line.reads.iter().map(|&v| source(v)).collect::<Vec<_>>().join(", ")
            ));
        } else if line.reads[0] != above || (line.layer.is_none() && line.readout.is_none()) {
            // A line without a layer names its source (it cannot start with an activation).
            stages.push(source(line.reads[0]));
        }
        if let Some(r) = line.readout {
            stages.push(r.into());
        }
        if let Some(layer) = &line.layer {
            if line.kind == "dense_nobias" {
                stages.push(layer.replace(')', ", bias = false)"));
            } else {
                stages.push(layer.clone());
            }
        }
        if let Some(a) = &line.activation {
            // A learnable activation's initial value: from the metadata, else PyTorch's.
            let default = if a.starts_with("swish") { "1.0" } else { "0.25" };
            let init =
                im.meta.get(&format!("nn.init.{}", names[k])).and_then(|v| v.parse::<f64>().ok());
            stages.push(a.replace('?', &init.map_or_else(|| default.to_string(), short)));
        }
        if let Some(p) = line.dropout {
            stages.push(format!("dropout({p:?})"));
        }
        body += &format!("{}: {},\n", names[k], stages.join(" -> "));
    }
    let loss = match im.meta.get("nn.loss") {
        Some(loss) if ["mse", "binary_cross_entropy", "cross_entropy"].contains(&loss.as_str()) => {
            loss.clone()
        }
        Some(other) => {
            return Err(format!(
                "the metadata `nn.loss` is `{other}`, which is no loss of `network!`"
            ))
        }
        None => match im.lines[last].activation.as_deref() {
            Some("softmax") => "cross_entropy".into(),
            Some("sigmoid") => "binary_cross_entropy".into(),
            _ => "mse".into(),
        },
    };
    body += &format!("loss: {loss},\n");
    if let Some(l2) = im.meta.get("nn.l2") {
        let l2: f64 =
            l2.parse().map_err(|_| format!("the metadata `nn.l2` is `{l2}`, not a number"))?;
        body += &format!("l2: {l2:?},\n");
    }
    let mut weights = BTreeMap::new();
    for (i, what, values) in im.weights {
        weights.insert(format!("{}.{what}", names[i]), values);
    }
    Ok(Imported { body, weights })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(name: &str) -> pb::ModelProto {
        let path = format!("{}/../tests/fixtures/onnx/{name}", env!("CARGO_MANIFEST_DIR"));
        pb::ModelProto::decode(&std::fs::read(path).expect("the fixture")[..]).expect("a model")
    }

    /// PyTorch's `nn.Sequential` of `Linear`, `ReLU`, `Linear`, `Tanh`, `Linear`, `Softmax`
    /// reads as one line per `Linear`, its activation folded in, the last named `output`.
    #[test]
    fn a_pytorch_sequential_reads_as_one_line_per_layer() {
        let imported = import(&read("torch_mlp.onnx")).expect("it imports");
        assert_eq!(
            imported.body,
            "input: 4,\nline0: dense(8) -> relu,\nline1: dense(6) -> tanh,\noutput: dense(3) -> softmax,\nloss: cross_entropy,\n"
        );
        let names: Vec<&String> = imported.weights.keys().collect();
        assert_eq!(
            names,
            [
                "line0.bias",
                "line0.weight",
                "line1.bias",
                "line1.weight",
                "output.bias",
                "output.weight"
            ]
        );
    }

    /// Constants between the operators of a group (PyTorch's exact GELU) do not break it.
    #[test]
    fn constant_nodes_do_not_break_groups() {
        let imported = import(&read("torch_smooth.onnx")).expect("it imports");
        assert!(imported.body.contains("-> swish(1.0),"), "{}", imported.body);
        assert!(imported.body.contains("-> hard_tanh,"), "{}", imported.body);
        assert!(imported.body.contains("-> gelu,"), "{}", imported.body);
    }

    #[test]
    fn each_error_names_the_node_and_its_operator() {
        let error = |name: &str| import(&read(&format!("errors/{name}.onnx"))).err().unwrap();
        assert_eq!(
            error("unsupported-operator"),
            "node `norm` (`LayerNormalization`) is not supported: `network!` has no layer for it; normalise the inputs before the network instead"
        );
        assert!(error("dynamic-shape").contains("[batch, features]"));
        assert!(error("unknown-dtype").contains("node `fc` (`Gemm`)"));
        assert!(error("unknown-dtype").contains("`INT8`"));
    }
}
