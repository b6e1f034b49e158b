//! Syntax tree -> checked network. One function per rule; every error goes to `cx` at the
//! tokens it is about, and checking goes on so that all mistakes are reported together.
//!
//! This module walks the block and holds the rules of the struct itself; the rules of the
//! settings lines are in `settings`, of a line and what it reads in `node`, of its stages
//! (layer kinds, activations, dropout) in `layer`, of the output and the size bound in
//! `output`, and of literals in `literal`.

use quote::ToTokens;
use syn::ext::IdentExt;
use syn::{Expr, ExprLit, ExprUnary, Ident, Lit, UnOp};

use crate::ctxt::Ctxt;
use crate::ir::{
    self, Activation, Combine, LossKind, Source, ACTIVATIONS, CONCAT, DROPOUT, INPUT, LAYER_KINDS,
    LOSSES, READOUTS, RECURRENT_KINDS,
};
use crate::parse::{Line, NetworkDef, Stage};
use crate::suggest::{closest, did_you_mean};

mod layer;
mod literal;
mod node;
mod output;
mod settings;
mod stream;

use layer::*;
use literal::*;
use node::*;
use output::*;
use settings::*;
use stream::*;

/// Keys that are settings of the network rather than layers.
const KEYS: &[&str] = &["input", "loss", "l2", "stream"];

/// Attributes a network accepts and puts on its struct: docs and lint levels.
const ATTRIBUTES: &[&str] = &["doc", "allow", "expect", "warn", "deny"];

/// The most parameters a network may have: 2^28, 1 GiB in `f32` and 2 GiB in `f64`, so that
/// a network that compiles can be built on any machine that runs it, and no count overflows.
const MAX_PARAMS: usize = 1 << 28;

/// The most values any one vector of a network may hold: its input, each line's output, and
/// the affine map of a maxout layer before its maximum. A sample's values live on the stack,
/// and 8192 of them are 64 KiB in `f64`, the most `nn` builds there.
const MAX_WIDTH: usize = 8192;

/// The bound `MAX_WIDTH` as messages state it.
const MAX_WIDTH_RULE: &str = "a network's inputs and the values of each line are at most 8192 wide (64 KiB in `f64`, the most `nn` puts on the stack)";

/// Parameters (in `f64`, the larger scalar) a network keeps inline before it moves its
/// largest layers to the heap: 8192 scalars are 64 KiB, the most `nn` builds on the stack.
const INLINE_PARAMS: usize = 8192;

/// Checks the whole block: the checked network, `None` when there were errors (they are in
/// `cx`), and the widths the block shows, for the stub that then stands in for it.
pub fn network(cx: &mut Ctxt, def: &NetworkDef) -> (Option<ir::Network>, Widths) {
    let mut widths = Widths::default();
    let net = checked(cx, def, &mut widths);
    (net, widths)
}

/// The input and output widths of a block, where they can be read despite its errors: what
/// the stub of a network with errors keeps of the API (see `expand::fallback`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Widths {
    pub inputs: Option<usize>,
    pub outputs: Option<usize>,
}

/// `network`'s checks, recording the widths in `widths` as soon as they are known.
fn checked(cx: &mut Ctxt, def: &NetworkDef, widths: &mut Widths) -> Option<ir::Network> {
    check_generics(cx, def);
    check_name(cx, def);
    check_attributes(cx, def);

    let mut inputs: Option<(usize, &Line)> = None;
    let mut loss: Option<(ir::Loss, &Line)> = None;
    let mut l2: Option<(f64, &Line)> = None;
    let mut stream: Option<(Ident, &Line)> = None;
    // Every node's line, including those of nodes with errors, in order, so that a line can
    // tell a reference to a line below it from a name that does not exist.
    let lines: Vec<&Line> = def
        .lines
        .iter()
        .filter(|l| {
            !KEYS.iter().any(|k| l.key == k)
                && misspelt_setting(l).is_none()
                && !(is_loss(&l.key.to_string()) && names_a_loss(l))
        })
        .collect();
    // The input as the layers read it, wherever its line stands: a misplaced `input:` line is
    // one error, not also an unknown width for every layer above it. Its own errors are
    // reported where the line stands, below.
    let first_input = def.lines.iter().find(|l| l.key == INPUT && !names_a_layer(l));
    let read_input = first_input.and_then(|line| input_width(&mut Ctxt::default(), line));
    let (sequence, graph_input) = match read_input.as_ref().and_then(|i| i.1.as_ref()) {
        Some(&Shape::Sequence(width, steps)) => (Some((width, steps)), None),
        Some(&Shape::Graph(nodes, features)) => (None, Some((nodes, features))),
        None => (None, None),
    };
    // Each line's node, `None` where the line has an error.
    let mut nodes: Vec<Option<ir::Node>> = Vec::new();
    let mut params: usize = 0;
    for line in &def.lines {
        check_line_attributes(cx, line);
        if names_a_layer(line) {
            check_setting_name(cx, line);
            continue;
        }
        match line.key.to_string().as_str() {
            "input" => {
                check_once(cx, line, inputs.map(|i| i.1));
                if inputs.is_none() {
                    check_input_first(cx, line, &lines[..nodes.len()]);
                }
                if let Some((n, _)) = input_width(cx, line) {
                    inputs.get_or_insert((n, line));
                }
            }
            "loss" => {
                check_once(cx, line, loss.as_ref().map(|l| l.1));
                if let Some(kind) = loss_kind(cx, line) {
                    loss.get_or_insert((kind, line));
                }
            }
            "l2" => {
                check_once(cx, line, l2.map(|l| l.1));
                if let Some(lambda) = l2_coefficient(cx, line) {
                    l2.get_or_insert((lambda, line));
                }
            }
            "stream" => {
                check_once(cx, line, stream.as_ref().map(|s| s.1));
                if let Some(name) = state_name(cx, def, line) {
                    stream.get_or_insert((name, line));
                }
            }
            _ if is_loss(&line.key.to_string()) && names_a_loss(line) => cx.error_spanned_by(
                &line.key,
                format!("`{0}` is a loss, not the name of a line; write `loss: {0},`", line.key),
            ),
            _ => match misspelt_setting(line) {
                Some(setting) => cx.error_spanned_by(
                    &line.key,
                    format!("unknown setting `{}`; did you mean `{setting}`?", line.key),
                ),
                None => {
                    let index = nodes.len();
                    check_unique_layer(cx, line, &lines[..index]);
                    let graph = Graph {
                        lines: &lines,
                        inputs: read_input.as_ref().map(|i| i.0),
                        sequence,
                        graph: graph_input,
                    };
                    let node = node(cx, &graph, index, &nodes)
                        .filter(|node| check_size(cx, line, node, &mut params));
                    nodes.push(node);
                }
            },
        }
    }

    let inputs = inputs.map(|i| i.0);
    widths.inputs = inputs;
    // The output's width as checked, or, when its line has an error, as its layer declares.
    widths.outputs = match nodes.last() {
        Some(Some(output)) => Some(output.outputs),
        _ => declared_output(def),
    };
    check_required_lines(cx, def, inputs.is_some(), !lines.is_empty(), loss.is_some());
    let loss = loss.map(|l| l.0);
    // A layer named like a setting is not among the nodes: which line is the output is then
    // unknown, and the loss is not checked against one.
    let renamed = def.lines.iter().any(names_a_layer);
    if let (Some(Some(output)), Some(line), false) = (nodes.last(), lines.last(), renamed) {
        check_output_without_dropout(cx, output, line);
        check_output_not_recurrent(cx, output, line);
        // Dropout on the output is an error of its own; the loss is checked without it.
        if let (Some(loss), None) = (&loss, output.dropout) {
            check_loss_fits_output(cx, loss, output, line);
        }
    }

    let (inputs, loss) = (inputs?, loss?);
    let mut nodes: Vec<ir::Node> = nodes.into_iter().collect::<Option<_>>()?;
    if nodes.is_empty() {
        return None;
    }
    if !nodes.iter().any(|n| n.linear.is_some()) {
        cx.error_spanned_by(
            &def.name,
            format!(
                "network `{}` has nothing to learn; add a layer with parameters, like `hidden: dense(8) -> relu,`",
                def.name
            ),
        );
        return None;
    }
    if let Some((_, line)) = &stream {
        if !check_stream(cx, &def.name, line, sequence, &nodes) {
            return None;
        }
    }
    let unused = unused_nodes(&nodes);
    place_parameters(&mut nodes);
    Some(ir::Network {
        attrs: def.attrs.iter().filter(|a| is_passed_on(a)).cloned().collect(),
        vis: def.vis.clone(),
        name: def.name.clone(),
        inputs,
        graph: graph_input,
        nodes,
        loss,
        l2: l2.map(|l| l.0),
        unused,
        stream: stream.map(|s| s.0),
        sequence,
    })
}

/// Rejects a block without an `input:` line, a layer or a `loss:` line:
/// `struct Net { hidden: dense(8), loss: mse }`. A setting that is written but wrong (or
/// misspelt, or misplaced) is reported where it is written, not also as missing.
fn check_required_lines(
    cx: &mut Ctxt,
    def: &NetworkDef,
    has_input: bool,
    has_layers: bool,
    has_loss: bool,
) {
    let name = &def.name;
    if !has_input && !mentions_setting(def, "input") {
        cx.error_spanned_by(
            name,
            format!(
                "network `{name}` has no `input:` line; add one before the layers, like `input: 2,`"
            ),
        );
    }
    if !has_layers {
        cx.error_spanned_by(
            name,
            format!("network `{name}` has no layers; add one, like `output: dense(1) -> sigmoid,`"),
        );
    }
    if !has_loss && !mentions_setting(def, "loss") {
        cx.error_spanned_by(
            name,
            format!(
                "network `{name}` has no `loss:` line; add one: `loss: mse,`, `loss: binary_cross_entropy,` or `loss: cross_entropy,`"
            ),
        );
    }
}

/// The output width as written, the last line's `dense(1)` or `maxout(1, 2)`, if it can be
/// read: what the stub keeps when the output line itself has an error.
fn declared_output(def: &NetworkDef) -> Option<usize> {
    let width = |stage: &Stage| -> Option<usize> {
        let Stage::Call { name, args: Some((_, args)) } = stage else {
            return None;
        };
        let arity = match name.to_string().as_str() {
            "dense" => 1,
            "maxout" => 2,
            _ => return None,
        };
        match args.first().filter(|_| args.len() == arity)? {
            Expr::Lit(ExprLit { lit: Lit::Int(lit), .. }) => {
                integer(lit).ok().flatten().filter(|&n| n > 0 && n <= MAX_WIDTH)
            }
            _ => None,
        }
    };
    let output = def.lines.iter().rev().find(|l| !KEYS.iter().any(|k| l.key == k))?;
    // The output's layer: first on its line, or after what the line reads.
    output.stages.iter().take(2).find_map(width)
}

/// Rejects `struct Net<T> { .. }`: the scalar parameter is the macro's to add.
fn check_generics(cx: &mut Ctxt, def: &NetworkDef) {
    if !def.generics.params.is_empty() || def.generics.where_clause.is_some() {
        cx.error_spanned_by(
            &def.generics,
            format!(
                "`network!` adds the scalar parameter itself; write `struct {0}` and use `{0}<f64>` for `f64`",
                def.name
            ),
        );
    }
}

/// The generic parameters of generated code: the scalar `T`, a generator `R`, a batch's `B`.
pub const GENERIC_PARAMETERS: &[&str] = &["T", "R", "B"];

/// Rejects `struct T { .. }`: generated code names its generic parameters `T`, `R` and `B`,
/// which would hide a network of the same name (generic parameters have no hygiene).
fn check_name(cx: &mut Ctxt, def: &NetworkDef) {
    if GENERIC_PARAMETERS.iter().any(|p| def.name == p) {
        cx.error_spanned_by(
            &def.name,
            format!(
                "a network cannot be named `{}`: `network!` names its generic parameters `T`, `R` and `B`; give the network a longer name",
                def.name
            ),
        );
    }
}

/// Rejects `#[derive(Debug)] struct Net { .. }`: only docs and lint levels are passed on.
fn check_attributes(cx: &mut Ctxt, def: &NetworkDef) {
    for attr in &def.attrs {
        if !is_passed_on(attr) {
            cx.error_spanned_by(
                attr,
                "only doc comments and lint attributes can be put on a network; it derives `Clone`, `Debug` and `PartialEq` itself",
            );
        }
    }
}

/// Whether an attribute is one the network puts on its struct (see `ATTRIBUTES`).
fn is_passed_on(attr: &syn::Attribute) -> bool {
    ATTRIBUTES.iter().any(|k| attr.path().is_ident(k))
}

/// The nodes, other than the output, that no line reads.
fn unused_nodes(nodes: &[ir::Node]) -> Vec<Ident> {
    let read: Vec<Source> = nodes.iter().flat_map(|n| n.combine.sources().to_vec()).collect();
    let last = nodes.len() - 1;
    (0..last).filter(|&i| !read.contains(&Source::Node(i))).map(|i| nodes[i].name.clone()).collect()
}

/// Moves the largest layers' parameters to the heap until at most `INLINE_PARAMS` scalars
/// remain inline, so that no network struct is larger than 64 KiB.
fn place_parameters(nodes: &mut [ir::Node]) {
    let mut inline: usize = nodes.iter().map(ir::Node::params).sum();
    // Recurrent layers stay inline: they are at most INLINE_PARAMS each (`check_parameter_count`).
    let mut by_size: Vec<usize> = (0..nodes.len())
        .filter(|&i| {
            nodes[i].linear.as_ref().is_some_and(|l| l.recurrent.is_none() && l.graph.is_none())
        })
        .collect();
    by_size.sort_by_key(|&i| std::cmp::Reverse(nodes[i].params()));
    for i in by_size {
        if inline <= INLINE_PARAMS {
            break;
        }
        inline -= nodes[i].params();
        if let Some(linear) = &mut nodes[i].linear {
            linear.boxed = true;
        }
    }
}

fn stage_name(stage: &Stage) -> String {
    match stage {
        Stage::Call { name, .. } => name.unraw().to_string(),
        Stage::Lit { .. } => "a literal".into(),
        Stage::Sum(_) => "a sum".into(),
        Stage::Sequence { .. } => "a sequence".into(),
    }
}

fn example(spec: &ir::ActivationSpec) -> String {
    let v = spec.parameter.map_or(0.0, |p| p.1);
    if v.fract() == 0.0 {
        format!("{v:.1}")
    } else {
        v.to_string()
    }
}

fn known_list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<String> = names.map(|n| format!("`{n}`")).collect();
    format!("; expected one of {}", names.join(", "))
}
