//! Syntax tree -> checked network. One function per rule; every error goes to `cx` at the
//! tokens it is about, and checking goes on so that all mistakes are reported together.

use quote::ToTokens;
use syn::ext::IdentExt;
use syn::{Expr, ExprLit, ExprUnary, Ident, Lit, UnOp};

use crate::ctxt::Ctxt;
use crate::ir::{
    self, Activation, Combine, LossKind, Source, ACTIVATIONS, CONCAT, DROPOUT, INPUT, LAYER_KINDS,
    LOSSES, READOUTS,
};
use crate::parse::{Line, NetworkDef, Stage};
use crate::suggest::{closest, did_you_mean};

/// Keys that are settings of the network rather than layers.
const KEYS: &[&str] = &["input", "loss", "l2"];

/// Attributes a network accepts and puts on its struct: docs and lint levels.
const ATTRIBUTES: &[&str] = &["doc", "allow", "expect", "warn", "deny"];

/// The conventions of `clip(slope x + 1/2, 0, 1)`, by name and slope.
const HARD_SIGMOIDS: &[(&str, &str)] =
    &[("hard_logistic", "0.25"), ("hard_sigmoid_pytorch", "1/6"), ("hard_sigmoid_onnx", "0.2")];

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

/// Whether the block has a line for `setting`, spelt right, reported as misspelt or written
/// as a stage of a line (`-> mse`), so that a misspelt `inptu: 2` is not also reported as a
/// missing `input:` line.
fn mentions_setting(def: &NetworkDef, setting: &str) -> bool {
    let as_stage = |stage: &Stage| match stage {
        Stage::Call { name, .. } => {
            name == setting || (setting == "loss" && LOSSES.iter().any(|(l, _)| name == l))
        }
        _ => false,
    };
    def.lines.iter().any(|l| {
        l.key == setting
            || misspelt_setting(l) == Some(setting)
            || (setting == "loss" && is_loss(&l.key.to_string()) && names_a_loss(l))
            || l.stages.iter().any(as_stage)
    })
}

/// The setting a line was probably meant as: `inptu: 2` or `los: mse` (a key close to a
/// setting's, and a value that does not start a layer). `hiden: dense(8)` is a layer.
fn misspelt_setting(line: &Line) -> Option<&'static str> {
    let key = line.key.to_string();
    if KEYS.contains(&key.as_str()) {
        return None;
    }
    if let Some(Stage::Call { name, .. }) = line.stages.first() {
        let word = name.to_string();
        let layer_words = LAYER_KINDS.iter().copied().chain(ACTIVATIONS.iter().map(|a| a.name));
        if closest(&word, layer_words).is_some() {
            return None;
        }
    }
    closest(&key, KEYS.iter().copied())
}

/// Rejects a second `input:`, `loss:` or `l2:` line.
fn check_once(cx: &mut Ctxt, line: &Line, first: Option<&Line>) {
    if first.is_some() {
        cx.error_spanned_by(&line.key, format!("`{}` is given twice; keep one", line.key));
    }
}

/// Whether a line named like a setting is a layer: `l2: dense(8) -> tanh`, `input: a + b`.
fn names_a_layer(line: &Line) -> bool {
    if !KEYS.iter().any(|k| line.key == k) {
        return false;
    }
    match &line.stages[0] {
        Stage::Sum(_) => true,
        Stage::Call { name, .. } => {
            let word = name.to_string();
            LAYER_KINDS.contains(&word.as_str())
                || READOUTS.contains(&word.as_str())
                || word == CONCAT
                || word == DROPOUT
        }
        Stage::Lit { .. } | Stage::Sequence { .. } => false,
    }
}

/// Rejects a layer named like a setting: `l2: dense(8) -> tanh`.
fn check_setting_name(cx: &mut Ctxt, line: &Line) {
    let what = match line.key.to_string().as_str() {
        "input" => "names the network's input",
        "loss" => "is the setting of the loss",
        _ => "is the setting of the weight decay",
    };
    cx.error_spanned_by(
        &line.key,
        format!(
            "`{}` {what} and cannot name a layer; give the layer another name, like `{}_layer`",
            line.key, line.key
        ),
    );
}

/// Rejects an `input:` line below a layer: `hidden: dense(8), input: 2`.
fn check_input_first(cx: &mut Ctxt, line: &Line, layers_above: &[&Line]) {
    if let Some(first) = layers_above.first() {
        cx.error_spanned_by(
            &line.key,
            format!(
                "the `input:` setting comes after layer `{}`; move it above the layers, which read from it",
                first.key
            ),
        );
    }
}

/// Rejects attributes other than doc comments on a line: `#[allow(unused)] hidden: dense(8)`.
fn check_line_attributes(cx: &mut Ctxt, line: &Line) {
    for attr in line.attrs.iter().filter(|a| !a.path().is_ident("doc")) {
        cx.error_spanned_by(
            attr,
            "only doc comments can be put on a line, where they document the layer's field; lint attributes go on the network's struct",
        );
    }
}

/// The message for a setting written as a stage of a line, `dense(8) -> l2(0.1)` or
/// `output: dense(1) -> mse`: what the word is, and where it goes.
fn setting_in_a_line(word: &str, stage: &Stage) -> Option<String> {
    let value = match stage {
        Stage::Call { args: Some((_, args)), .. } if args.len() == 1 => {
            args.to_token_stream().to_string()
        }
        _ => String::new(),
    };
    if LOSSES.iter().any(|(name, _)| *name == word) {
        return Some(format!(
            "`{word}` is a loss, not a stage of a line; give it a line of its own: `loss: {word},`"
        ));
    }
    let example = match word {
        "input" => "input: 2",
        "loss" => "loss: mse",
        "l2" => "l2: 1e-4",
        _ => return None,
    };
    let line = if value.is_empty() { example.to_string() } else { format!("{word}: {value}") };
    Some(format!(
        "`{word}` is a setting, not a stage of a line; give it a line of its own: `{line},`"
    ))
}

/// Whether `word` names a loss: `mse`.
fn is_loss(word: &str) -> bool {
    LOSSES.iter().any(|(name, _)| *name == word)
}

/// Whether a line's value is a loss alone, `binary_cross_entropy: mse`: a loss written where
/// the key goes. A line named `mse` with a layer, `mse: dense(8)`, is a line like any other.
fn names_a_loss(line: &Line) -> bool {
    matches!(line.stages.as_slice(), [Stage::Call { name, args: None }] if is_loss(&name.to_string()))
}

/// Whether `word` is written as a stage of a line: a layer kind, an activation, `dropout`.
fn is_stage_word(word: &str) -> bool {
    LAYER_KINDS.contains(&word) || word == DROPOUT || ACTIVATIONS.iter().any(|a| a.name == word)
}

/// Rejects a layer named like an earlier one: `hidden: dense(8), hidden: dense(4)`.
fn check_unique_layer(cx: &mut Ctxt, line: &Line, earlier: &[&Line]) {
    if earlier.iter().any(|l| l.key == line.key) {
        cx.error_spanned_by(
            &line.key,
            format!(
                "a layer named `{}` is already defined above; layer names must be unique",
                line.key
            ),
        );
    }
}

/// `input: 2`, or a sequence `input: 4 x 10` (10 steps of width 4, the input then being the
/// 40 values step after step); rejects `input: 0`, `input: -2`, `input: n` and `input: 4 x 0`.
fn input_width(cx: &mut Ctxt, line: &Line) -> Option<(usize, Option<Shape>)> {
    let (width, shape) = input_shape(cx, line)?;
    if width > MAX_WIDTH {
        let detail = match shape {
            Some(Shape::Sequence(w, steps)) => format!(" ({steps} steps of {w})"),
            Some(Shape::Graph(nodes, features)) => format!(
                " ({nodes} nodes of {features} features, then the {nodes} x {nodes} adjacency)"
            ),
            None => String::new(),
        };
        cx.error_spanned_by(
            &line.stages[0],
            format!("`input` is {width} values wide{detail}; {MAX_WIDTH_RULE}"),
        );
        return None;
    }
    Some((width, shape))
}

/// The input's width and shape as written, before the size bound.
fn input_shape(cx: &mut Ctxt, line: &Line) -> Option<(usize, Option<Shape>)> {
    match single_stage(cx, line)? {
        Stage::Call { name, args: Some((_, args)) } if name == "graph" => {
            let args: Vec<&Expr> = args.iter().collect();
            let [nodes, features] = args.as_slice() else {
                cx.error_spanned_by(
                    &line.stages[0],
                    "`graph` takes the node count and the features per node, like `input: graph(5, 3)`",
                );
                return None;
            };
            let nodes = count(cx, line, nodes, ("graph", "node count", "node"), "graph(5, 3)");
            let features =
                count(cx, line, features, ("graph", "features", "feature"), "graph(5, 3)");
            let (nodes, features) = (nodes?, features?);
            let width = nodes.saturating_mul(features).saturating_add(nodes.saturating_mul(nodes));
            Some((width, Some(Shape::Graph(nodes, features))))
        }
        Stage::Sequence { width, steps, .. } => {
            let width = positive(cx, width, "`input` needs a width of at least 1");
            let steps = positive(cx, steps, "a sequence needs at least one step");
            let (width, steps) = (width?, steps?);
            Some((width.saturating_mul(steps), Some(Shape::Sequence(width, steps))))
        }
        stage @ Stage::Lit { .. } => {
            Some((positive(cx, stage, "`input` needs a width of at least 1")?, None))
        }
        Stage::Call { name, args: Some(_) }
            if name != "graph" && closest(&name.to_string(), ["graph"]).is_some() =>
        {
            cx.error_spanned_by(
                name,
                format!("unknown input shape `{name}`; did you mean `graph`?"),
            );
            None
        }
        stage => {
            cx.error_spanned_by(
                stage,
                "`input` takes the width of one sample as an integer literal, like `input: 4`, a sequence's, like `input: 4 x 10`, or a graph's, like `input: graph(5, 3)`",
            );
            None
        }
    }
}

/// What an input is made of, beside its width: a sequence (`4 x 10`: width of a step, steps)
/// or a graph (`graph(5, 3)`: nodes, features per node).
enum Shape {
    Sequence(usize, usize),
    Graph(usize, usize),
}

/// A positive integer literal: a width, a number of steps.
fn positive(cx: &mut Ctxt, stage: &Stage, zero: &str) -> Option<usize> {
    match stage {
        Stage::Lit { minus: Some(_), lit: Lit::Int(_) } => {
            cx.error_spanned_by(stage, zero);
            None
        }
        Stage::Lit { minus: None, lit: Lit::Int(lit) } => match integer(lit) {
            Ok(Some(0)) => {
                cx.error_spanned_by(lit, zero);
                None
            }
            Ok(Some(n)) => Some(n),
            Ok(None) => {
                cx.error_spanned_by(lit, "the width of `input` must fit in `usize`");
                None
            }
            Err(message) => {
                cx.error_spanned_by(lit, message);
                None
            }
        },
        _ => {
            cx.error_spanned_by(
                stage,
                "`input` takes the width of one sample as an integer literal, like `input: 4`, or a sequence's, like `input: 4 x 10`",
            );
            None
        }
    }
}

/// `loss: mse`; rejects unknown losses with a suggestion.
fn loss_kind(cx: &mut Ctxt, line: &Line) -> Option<ir::Loss> {
    match single_stage(cx, line)? {
        Stage::Call { name, args: None } => {
            let word = name.to_string();
            match LOSSES.iter().find(|(n, _)| *n == word) {
                Some(&(_, kind)) => Some(ir::Loss { kind, span: name.span() }),
                None if ACTIVATIONS.iter().any(|a| a.name == word) => {
                    cx.error_spanned_by(
                        name,
                        format!(
                            "`{word}` is an activation, not a loss: end the output line with `-> {word}`, and name a loss here: `mse`, `binary_cross_entropy` or `cross_entropy`"
                        ),
                    );
                    None
                }
                None => {
                    let hint = did_you_mean(&word, LOSSES.iter().map(|l| l.0));
                    let known =
                        if hint.is_empty() { known_list(LOSSES.iter().map(|l| l.0)) } else { hint };
                    cx.error_spanned_by(name, format!("unknown loss `{word}`{known}"));
                    None
                }
            }
        }
        Stage::Call { name, args: Some((paren, _)) } if LOSSES.iter().any(|l| name == l.0) => {
            cx.error_at(
                paren.span.join(),
                format!("`{name}` takes no parameters; write `loss: {name}`"),
            );
            None
        }
        stage => {
            cx.error_spanned_by(
                stage,
                format!(
                    "`loss` takes the name of a loss{}",
                    known_list(LOSSES.iter().map(|l| l.0))
                ),
            );
            None
        }
    }
}

/// `l2: 1e-4`; rejects negative, non-finite and non-literal coefficients.
fn l2_coefficient(cx: &mut Ctxt, line: &Line) -> Option<f64> {
    let stage = single_stage(cx, line)?;
    let value = match stage {
        Stage::Lit { minus, lit } => number(lit).map(|v| if minus.is_some() { -v } else { v }),
        Stage::Call { .. } | Stage::Sum(_) | Stage::Sequence { .. } => Err(NotANumber::Expression),
    };
    match value {
        Ok(v) if v >= 0.0 => Some(v),
        Ok(_) => {
            cx.error_spanned_by(stage, "the `l2` coefficient must be zero or positive");
            None
        }
        Err(error) => {
            report_number(
                cx,
                stage,
                error,
                "the `l2` coefficient is a finite number, zero or positive, like `l2: 1e-4`",
                "`l2` takes the weight-decay coefficient as a number literal, like `l2: 1e-4`",
            );
            None
        }
    }
}

/// The one stage of a setting line; rejects `loss: mse -> x`.
fn single_stage<'a>(cx: &mut Ctxt, line: &'a Line) -> Option<&'a Stage> {
    if let Some(extra) = line.stages.get(1) {
        cx.error_spanned_by(extra, format!("`{}` takes a single value", line.key));
        return None;
    }
    line.stages.first()
}

/// The lines a line can read from, and the input's width (`None` if it has an error).
struct Graph<'a> {
    lines: &'a [&'a Line],
    inputs: Option<usize>,
    /// `input: 4 x 10`: the width of one step and the number of steps.
    sequence: Option<(usize, usize)>,
    /// `input: graph(5, 3)`: the node count and the features per node.
    graph: Option<(usize, usize)>,
}

/// How a line starts: with the node it reads from (`a ->`, `a + b`, `concat(a, b)`), whose
/// width is known unless a line it reads has an error; or with a stage, reading the line above.
enum Head {
    Explicit(Option<(Combine, Option<usize>)>),
    Implicit,
}

/// One node's line: `hidden: dense(8) -> tanh`, `b: a -> dense(4)`, `s: a + b -> relu`,
/// `c: concat(x, s)`, `drop: dropout(0.5)`. `nodes` holds the lines above, `None` where a line
/// has an error: its width is then unknown, and this line is still checked on its own.
fn node(
    cx: &mut Ctxt,
    graph: &Graph,
    index: usize,
    nodes: &[Option<ir::Node>],
) -> Option<ir::Node> {
    let line = graph.lines[index];
    let width_of = |source: Source| match source {
        Source::Input => graph.inputs,
        Source::Node(i) => nodes[i].as_ref().map(|n| n.outputs),
    };
    let (head, stages) = match head(cx, graph, index, &line.stages[0], &width_of) {
        Head::Explicit(head) => (head, &line.stages[1..]),
        Head::Implicit => {
            let above = if index == 0 { Source::Input } else { Source::Node(index - 1) };
            (Some((Combine::Read(above), width_of(above))), &line.stages[..])
        }
    };
    let explicit = stages.len() < line.stages.len();
    let mut ok = head.is_some();
    let mut parts = Parts::default();
    for (position, stage) in stages.iter().enumerate() {
        ok &= part(cx, line, stage, position == 0 && !explicit, position == 0, &mut parts);
    }
    let Parts { linear, layer_stage, readout, activation, dropout } = parts;
    if !ok {
        return None;
    }
    let (combine, inputs) = head?;
    let inputs = inputs?;
    let (linear, outputs) = match linear {
        Some(Kind { rows, units, graph: true, .. }) => {
            let (count, features) = nodes_read(cx, graph, nodes, line, &combine, layer_stage)?;
            let outputs = units.saturating_mul(count);
            let linear = ir::Linear {
                rows,
                pieces: None,
                recurrent: None,
                graph: Some((count, features)),
                boxed: false,
                bias: true,
            };
            (Some(linear), outputs)
        }
        Some(Kind { bias, rows, pieces, units, recurrent: None, .. }) => {
            let linear =
                ir::Linear { rows, pieces, recurrent: None, graph: None, boxed: false, bias };
            (Some(linear), units)
        }
        Some(Kind { rows, units, recurrent: Some(every), .. }) => {
            let (width, steps) = sequence_read(cx, graph, nodes, line, &combine, layer_stage)?;
            let outputs = if every { units.saturating_mul(steps) } else { units };
            let recurrent = Some(ir::Recurrence { width, steps, every });
            let linear =
                ir::Linear { rows, pieces: None, recurrent, graph: None, boxed: false, bias: true };
            (Some(linear), outputs)
        }
        None => (None, inputs),
    };
    let (readout, outputs) = match readout {
        Some((mean, stage)) => {
            let (count, features) = nodes_read(cx, graph, nodes, line, &combine, Some(stage))?;
            (Some(ir::Readout { mean, nodes: count }), features)
        }
        None => (None, outputs),
    };
    if !check_softmax_width(cx, line, activation, outputs) {
        return None;
    }
    Some(ir::Node {
        name: line.key.clone(),
        docs: line.attrs.iter().filter(|a| a.path().is_ident("doc")).cloned().collect(),
        combine,
        inputs,
        linear,
        readout,
        activation: activation.map_or(Activation::Identity, |a| a.0),
        dropout: dropout.map(|d| d.0),
        outputs,
    })
}

/// What a line holds after what it reads, each with the stage that wrote it.
#[derive(Default)]
struct Parts<'a> {
    linear: Option<Kind>,
    layer_stage: Option<&'a Stage>,
    readout: Option<(bool, &'a Stage)>,
    activation: Option<(Activation, &'a Stage)>,
    dropout: Option<(f64, &'a Stage)>,
}

/// One stage of a node's line into `parts`: `implicit` when it is the first stage of a line
/// that reads the line above (a layer kind must stand there), `starts` when it is the first
/// after what the line reads. `false` when the stage has an error (reported).
fn part<'a>(
    cx: &mut Ctxt,
    line: &Line,
    stage: &'a Stage,
    implicit: bool,
    starts: bool,
    parts: &mut Parts<'a>,
) -> bool {
    let word = match stage {
        Stage::Call { name, .. } => name.to_string(),
        Stage::Lit { .. } | Stage::Sum(_) | Stage::Sequence { .. } => String::new(),
    };
    if LAYER_KINDS.contains(&word.as_str()) && starts {
        parts.linear = layer_kind(cx, line, stage);
        parts.layer_stage = Some(stage);
        parts.linear.is_some()
    } else if READOUTS.contains(&word.as_str()) && starts {
        parts.readout = Some((word == "mean_nodes", stage));
        check_readout_without_arguments(cx, stage)
    } else if word == DROPOUT {
        if !check_dropout_once(cx, line, stage, parts.dropout) {
            return false;
        }
        parts.dropout = dropout_rate(cx, stage).map(|p| (p, stage));
        parts.dropout.is_some()
    } else if !check_sum_and_concat_start_lines(cx, stage, &word) {
        false
    } else if implicit {
        check_starts_with_layer(cx, line, stage, &word);
        false
    } else {
        let Some(act) = self::activation(cx, stage) else {
            return false;
        };
        let fits = check_activation_before_dropout(cx, line, stage, parts.dropout)
            && check_one_activation(cx, line, stage, parts.activation)
            && check_activation_fits_layer(cx, stage, act, parts.linear.as_ref())
            && check_learnable_follows_layer(cx, stage, act, parts.linear.as_ref());
        if fits {
            parts.activation = Some((act, stage));
        }
        fits
    }
}

/// Rejects arguments to a readout: `pool: mean_nodes(2)`.
fn check_readout_without_arguments(cx: &mut Ctxt, stage: &Stage) -> bool {
    match stage {
        Stage::Call { name, args: Some((paren, _)) } => {
            cx.error_at(paren.span.join(), format!("`{name}` takes no parameters"));
            false
        }
        _ => true,
    }
}

/// Rejects a second dropout on a line: `h: dense(8) -> dropout(0.5) -> dropout(0.5)`.
fn check_dropout_once(
    cx: &mut Ctxt,
    line: &Line,
    stage: &Stage,
    first: Option<(f64, &Stage)>,
) -> bool {
    let Some((_, first)) = first else {
        return true;
    };
    cx.error_spanned_by(
        stage,
        format!(
            "line `{}` already ends in `{}`; drop units once per line",
            line.key,
            stage_name(first)
        ),
    );
    false
}

/// Rejects a sum or a concatenation after `->`: `h: a -> dense(4) -> a + b`,
/// `h: dense(4) -> concat(a, b)`.
fn check_sum_and_concat_start_lines(cx: &mut Ctxt, stage: &Stage, word: &str) -> bool {
    if let Stage::Sum(_) = stage {
        cx.error_spanned_by(
            stage,
            "`+` can only start a line: add the nodes on a line of their own, like `s: a + b`, and read `s` here",
        );
        false
    } else if word == CONCAT {
        cx.error_spanned_by(
            stage,
            "`concat` can only start a line: join the nodes on a line of their own, like `c: concat(a, b)`, and read `c` here",
        );
        false
    } else {
        true
    }
}

/// Rejects a line reading the line above that does not start with a layer kind:
/// `hidden: tanh`, `hidden: 8`, `hidden: dens(8)`.
fn check_starts_with_layer(cx: &mut Ctxt, line: &Line, stage: &Stage, word: &str) {
    if ACTIVATIONS.iter().any(|a| a.name == word) {
        cx.error_spanned_by(
            stage,
            format!(
                "layer `{}` must start with a layer kind; write `dense(N) -> {word}`",
                line.key
            ),
        );
    } else {
        layer_kind(cx, line, stage);
    }
}

/// Rejects an activation after dropout: `h: dense(8) -> dropout(0.5) -> tanh`.
fn check_activation_before_dropout(
    cx: &mut Ctxt,
    line: &Line,
    stage: &Stage,
    dropout: Option<(f64, &Stage)>,
) -> bool {
    let Some((_, drop)) = dropout else {
        return true;
    };
    cx.error_spanned_by(
        stage,
        format!(
            "`{}` comes after `{}` on line `{}`; dropout comes last, after the activation",
            stage_name(stage),
            stage_name(drop),
            line.key
        ),
    );
    false
}

/// Rejects a second activation: `h: dense(8) -> tanh -> relu`.
fn check_one_activation(
    cx: &mut Ctxt,
    line: &Line,
    stage: &Stage,
    first: Option<(Activation, &Stage)>,
) -> bool {
    let Some((_, first)) = first else {
        return true;
    };
    cx.error_spanned_by(
        stage,
        format!(
            "layer `{}` already ends in `{}`; a line holds one layer and at most one activation",
            line.key,
            stage_name(first)
        ),
    );
    false
}

/// Rejects softmax and learnable activations after a recurrent layer or a graph convolution,
/// whose activation applies element by element inside the layer: `rnn(8) -> softmax`.
fn check_activation_fits_layer(
    cx: &mut Ctxt,
    stage: &Stage,
    act: Activation,
    linear: Option<&Kind>,
) -> bool {
    let Some(kind) = linear.filter(|l| l.recurrent.is_some() || l.graph) else {
        return true;
    };
    if act.learnable().is_none() && act != Activation::Softmax {
        return true;
    }
    let (layer, scope) = if kind.graph {
        ("a graph convolution", "to each node's units")
    } else {
        ("a recurrent layer", "at every step")
    };
    let word = stage_name(stage);
    cx.error_spanned_by(
        stage,
        format!(
            "`{word}` cannot follow {layer}: its activation applies {scope}, element by element; put `{word}` on a `dense` line after it"
        ),
    );
    false
}

/// Rejects a learnable activation on a line without a layer: `s: a + b -> prelu`.
fn check_learnable_follows_layer(
    cx: &mut Ctxt,
    stage: &Stage,
    act: Activation,
    linear: Option<&Kind>,
) -> bool {
    if act.learnable().is_none() || linear.is_some() {
        return true;
    }
    cx.error_spanned_by(
        stage,
        format!(
            "`{}` learns its parameters with the layer before it; put it after `dense(N)` or `maxout(N, K)` on the same line",
            stage_name(stage)
        ),
    );
    false
}

/// Rejects a softmax over one value, which is always 1: `out: dense(1) -> softmax`.
fn check_softmax_width(
    cx: &mut Ctxt,
    line: &Line,
    activation: Option<(Activation, &Stage)>,
    outputs: usize,
) -> bool {
    match activation {
        Some((Activation::Softmax, stage)) if outputs == 1 => {
            cx.error_spanned_by(
                stage,
                format!(
                    "`softmax` over the 1 value of line `{}` is always 1, whatever the input; for one output use `sigmoid` (with `binary_cross_entropy`), or widen the layer",
                    line.key
                ),
            );
            false
        }
        _ => true,
    }
}

/// The node features a graph convolution reads: the network's input when declared as a graph
/// (`input: graph(5, 3)`), or another `graph_conv` line; the node count and the features per
/// node. Anything else is an error at the layer.
fn nodes_read(
    cx: &mut Ctxt,
    graph: &Graph,
    nodes: &[Option<ir::Node>],
    line: &Line,
    combine: &Combine,
    stage: Option<&Stage>,
) -> Option<(usize, usize)> {
    let reader = match stage {
        Some(Stage::Call { name, .. }) if READOUTS.iter().any(|r| name == r) => format!("`{name}`"),
        _ => "a graph convolution".to_string(),
    };
    let read = match combine {
        Combine::Read(Source::Input) => graph.graph,
        Combine::Read(Source::Node(k)) => {
            nodes[*k].as_ref().and_then(|n| Some((n.graph()?.0, n.linear.as_ref()?.rows)))
        }
        Combine::Sum(_) | Combine::Concat(_) => None,
    };
    if read.is_none() {
        let message = format!(
            "{reader} reads node features: the input declared like `input: graph(5, 3)`, or a `graph_conv` line; what line `{}` reads is not one",
            line.key
        );
        match stage {
            Some(stage) => cx.error_spanned_by(stage, message),
            None => cx.error_spanned_by(&line.key, message),
        }
    }
    read
}

/// The sequence a recurrent layer reads: the network's input when declared as one
/// (`input: 4 x 10`), or an `rnn_sequence` line. Anything else is an error at the layer.
fn sequence_read(
    cx: &mut Ctxt,
    graph: &Graph,
    nodes: &[Option<ir::Node>],
    line: &Line,
    combine: &Combine,
    stage: Option<&Stage>,
) -> Option<(usize, usize)> {
    let sequence = match combine {
        Combine::Read(Source::Input) => graph.sequence,
        Combine::Read(Source::Node(k)) => nodes[*k].as_ref().and_then(|n| {
            Some((n.linear.as_ref()?.rows, n.recurrence().filter(|r| r.every)?.steps))
        }),
        Combine::Sum(_) | Combine::Concat(_) => None,
    };
    if sequence.is_none() {
        // A line reading an `rnn`, which gives its last state only.
        let last_state = match combine {
            Combine::Read(Source::Node(k)) => nodes[*k]
                .as_ref()
                .filter(|n| n.recurrence().is_some())
                .map(|n| format!("; `{}` gives its last state only: make it `rnn_sequence` to read every state", n.name)),
            _ => None,
        };
        let message = format!(
            "a recurrent layer reads a sequence: the input declared like `input: 4 x 10`, or an `rnn_sequence` line; what line `{}` reads is not one{}",
            line.key,
            last_state.unwrap_or_default()
        );
        match stage {
            Some(stage) => cx.error_spanned_by(stage, message),
            None => cx.error_spanned_by(&line.key, message),
        }
    }
    sequence
}

/// The start of a line, if it names what the line reads: `a`, `a + b` or `concat(a, b)`,
/// with the width of what it gathers.
fn head(
    cx: &mut Ctxt,
    graph: &Graph,
    index: usize,
    stage: &Stage,
    width_of: &dyn Fn(Source) -> Option<usize>,
) -> Head {
    match stage {
        Stage::Sum(terms) => {
            let mut ok = true;
            let mut first: Option<(&Ident, usize)> = None;
            let mut sources = Vec::new();
            for term in terms {
                let Stage::Call { name, args: None } = term else {
                    cx.error_spanned_by(
                        term,
                        "only nodes can be added: write their names, like `s: a + b`",
                    );
                    ok = false;
                    continue;
                };
                let Some(source) = resolve(cx, graph, index, name) else {
                    ok = false;
                    continue;
                };
                sources.push(source);
                match (first, width_of(source)) {
                    (None, Some(width)) => first = Some((name, width)),
                    (Some((a, wa)), Some(wb)) if wa != wb => {
                        cx.error_spanned_by(
                            name,
                            format!(
                                "cannot add `{name}` of width {wb} to `{a}` of width {wa}; the terms of a sum need the same width"
                            ),
                        );
                        ok = false;
                    }
                    _ => {}
                }
            }
            let width =
                first.map(|f| f.1).filter(|_| sources.iter().all(|&s| width_of(s).is_some()));
            Head::Explicit(ok.then_some((Combine::Sum(sources), width)))
        }
        Stage::Call { name, args } if name == CONCAT => {
            let args: Vec<&Expr> = args.iter().flat_map(|(_, a)| a.iter()).collect();
            if args.len() < 2 {
                cx.error_spanned_by(
                    stage,
                    "`concat` joins two or more nodes, like `concat(a, b)`; to read one node, write `c: a -> ...`",
                );
                return Head::Explicit(None);
            }
            let mut ok = true;
            let mut width = Some(0usize);
            let mut sources = Vec::new();
            for arg in args {
                let Expr::Path(path) = arg else {
                    cx.error_spanned_by(
                        arg,
                        "`concat` takes the names of nodes, like `concat(a, b)`",
                    );
                    ok = false;
                    continue;
                };
                let Some(name) = path.path.get_ident() else {
                    cx.error_spanned_by(
                        arg,
                        "`concat` takes the names of nodes, like `concat(a, b)`",
                    );
                    ok = false;
                    continue;
                };
                match resolve(cx, graph, index, name) {
                    Some(source) => {
                        sources.push(source);
                        width = width.zip(width_of(source)).map(|(w, n)| w.saturating_add(n));
                    }
                    None => ok = false,
                }
            }
            Head::Explicit(ok.then_some((Combine::Concat(sources), width)))
        }
        Stage::Call { name, args: None } => {
            let word = name.to_string();
            let is_word = |w: &str| {
                LAYER_KINDS.contains(&w)
                    || READOUTS.contains(&w)
                    || w == DROPOUT
                    || ACTIVATIONS.iter().any(|a| a.name == w)
            };
            let words = LAYER_KINDS
                .iter()
                .copied()
                .chain([DROPOUT])
                .chain(ACTIVATIONS.iter().map(|a| a.name));
            if is_word(&word) {
                return Head::Implicit;
            }
            let is_node = word == INPUT || graph.lines.iter().any(|l| l.key == word);
            let names = graph.lines[..index].iter().map(|l| l.key.to_string());
            let names: Vec<String> = std::iter::once(INPUT.to_string()).chain(names).collect();
            if is_node
                || (closest(&word, words).is_none()
                    && closest(&word, names.iter().map(String::as_str)).is_some())
            {
                let source = resolve(cx, graph, index, name);
                Head::Explicit(source.map(|s| (Combine::Read(s), width_of(s))))
            } else {
                Head::Implicit
            }
        }
        _ => Head::Implicit,
    }
}

/// The node a name refers to: `input` or a line above this one.
fn resolve(cx: &mut Ctxt, graph: &Graph, index: usize, name: &Ident) -> Option<Source> {
    if name == INPUT {
        return Some(Source::Input);
    }
    let line = &graph.lines[index].key;
    match graph.lines.iter().position(|l| l.key == *name) {
        Some(j) if j < index => Some(Source::Node(j)),
        Some(j) if j == index => {
            cx.error_spanned_by(
                name,
                format!("line `{line}` reads from itself; a line reads from the input and the lines above it"),
            );
            None
        }
        Some(_) => {
            cx.error_spanned_by(
                name,
                format!(
                    "`{name}` is defined below line `{line}`; a line reads from the input and the lines above it, so that the network has no cycles: move `{name}` above `{line}`"
                ),
            );
            None
        }
        None => {
            let above = graph.lines[..index].iter().map(|l| l.key.to_string());
            let names: Vec<String> = std::iter::once(INPUT.to_string()).chain(above).collect();
            let hint = did_you_mean(&name.to_string(), names.iter().map(String::as_str));
            cx.error_spanned_by(name, format!("no node named `{name}` above line `{line}`{hint}"));
            None
        }
    }
}

/// The layer kind that starts a line: `dense(8)` or `maxout(8, 3)`, as the rows of its affine
/// map, its pieces per unit (maxout) and its width.
fn layer_kind(cx: &mut Ctxt, line: &Line, stage: &Stage) -> Option<Kind> {
    let (name, args) = match stage {
        Stage::Call { name, args } => (name, args),
        Stage::Lit { .. } | Stage::Sequence { .. } if is_stage_word(&line.key.to_string()) => {
            // `dropout: 0.5`, `leaky_relu: 0.1`: a stage written as a setting.
            let key = &line.key;
            cx.error_spanned_by(
                key,
                format!(
                    "`{key}` is not a setting but a stage of a line; write it after a layer, like `hidden: dense(8) -> relu -> {key}({})`",
                    stage.to_token_stream()
                ),
            );
            return None;
        }
        Stage::Lit { .. } | Stage::Sum(_) | Stage::Sequence { .. } => {
            cx.error_spanned_by(
                stage,
                format!("layer `{}` must start with a layer kind, like `dense(8)`", line.key),
            );
            return None;
        }
    };
    let word = name.to_string();
    let args: Vec<&Expr> = args.iter().flat_map(|(_, a)| a.iter()).collect();
    match (word.as_str(), args.as_slice()) {
        ("dense", [width, options @ ..]) if options.len() <= 1 => {
            let units = count(cx, line, width, ("dense", "width", "unit"), "dense(8)");
            let bias = options.first().map_or(Some(true), |option| bias_option(cx, option));
            let (units, bias) = (units?, bias?);
            Some(Kind { bias, rows: units, pieces: None, units, recurrent: None, graph: false })
        }
        ("dense", _) => {
            cx.error_spanned_by(
                stage,
                "`dense` takes its number of units and, optionally, `bias = false`, like `dense(8)` or `dense(8, bias = false)`",
            );
            None
        }
        ("maxout", [units, pieces]) => {
            let u = count(cx, line, units, ("maxout", "number of units", "unit"), "maxout(8, 3)");
            let k =
                count(cx, line, pieces, ("maxout", "number of pieces", "piece"), "maxout(8, 3)");
            let (u, k) = (u?, k?);
            if k < 2 {
                cx.error_spanned_by(
                    pieces,
                    format!(
                        "`maxout` needs at least 2 pieces per unit; with one piece it is a linear layer: write `dense({u})`"
                    ),
                );
                return None;
            }
            // `check_size` rejects the saturated product.
            let rows = u.saturating_mul(k);
            Some(Kind {
                bias: true,
                rows,
                pieces: Some(k),
                units: u,
                recurrent: None,
                graph: false,
            })
        }
        ("maxout", _) => {
            cx.error_spanned_by(
                stage,
                "`maxout` takes two arguments, its units and the pieces per unit, like `maxout(8, 3)`",
            );
            None
        }
        (kind @ ("rnn" | "rnn_sequence"), [width]) => {
            let example = format!("{kind}(16)");
            let units = count(cx, line, width, (kind, "width", "unit"), &example)?;
            let every = kind == "rnn_sequence";
            Some(Kind {
                bias: true,
                rows: units,
                pieces: None,
                units,
                recurrent: Some(every),
                graph: false,
            })
        }
        ("graph_conv", [width]) => {
            let units = count(cx, line, width, ("graph_conv", "width", "unit"), "graph_conv(8)")?;
            Some(Kind {
                bias: true,
                rows: units,
                pieces: None,
                units,
                recurrent: None,
                graph: true,
            })
        }
        ("graph_conv", _) => {
            cx.error_spanned_by(
                stage,
                "`graph_conv` takes one argument, its number of units per node, like `graph_conv(8)`",
            );
            None
        }
        (kind @ ("rnn" | "rnn_sequence"), _) => {
            cx.error_spanned_by(
                stage,
                format!("`{kind}` takes one argument, its number of units, like `{kind}(16)`"),
            );
            None
        }
        _ if setting_in_a_line(&word, stage).is_some() => {
            cx.error_spanned_by(stage, setting_in_a_line(&word, stage).unwrap_or_default());
            None
        }
        _ => {
            let words = LAYER_KINDS
                .iter()
                .copied()
                .chain([DROPOUT, CONCAT])
                .chain(READOUTS.iter().copied());
            let hint = did_you_mean(&word, words);
            let known =
                if hint.is_empty() { known_list(LAYER_KINDS.iter().copied()) } else { hint };
            cx.error_spanned_by(name, format!("unknown layer kind `{word}`{known}"));
            None
        }
    }
}

/// `bias = false` (or `true`, the default) after a `dense` layer's width; rejects any other
/// option, `bias = 0` and `bias = maybe`.
fn bias_option(cx: &mut Ctxt, option: &Expr) -> Option<bool> {
    let Expr::Assign(assign) = option else {
        cx.error_spanned_by(
            option,
            "`dense` takes one option after its width, `bias = false`, like `dense(8, bias = false)`",
        );
        return None;
    };
    let is_bias = matches!(&*assign.left, Expr::Path(p) if p.path.is_ident("bias"));
    if !is_bias {
        let word = assign.left.to_token_stream().to_string();
        cx.error_spanned_by(
            &assign.left,
            format!("unknown option `{word}` of `dense`; the one option is `bias = false`"),
        );
        return None;
    }
    match &*assign.right {
        Expr::Lit(ExprLit { lit: Lit::Bool(value), .. }) => Some(value.value),
        other => {
            cx.error_spanned_by(
                other,
                "`bias` is `true` (the default) or `false`, like `dense(8, bias = false)`",
            );
            None
        }
    }
}

/// A line's layer as written: the rows of its affine map, maxout's pieces, the units, and for
/// a recurrent layer whether it outputs every state (`rnn_sequence`) or the last (`rnn`).
struct Kind {
    /// Whether the affine map has a bias: `dense(n, bias = false)` has none.
    bias: bool,
    rows: usize,
    pieces: Option<usize>,
    units: usize,
    recurrent: Option<bool>,
    /// A graph convolution.
    graph: bool,
}

/// A positive integer argument: a layer's units or maxout's pieces. `what` is the layer kind,
/// the argument's name and the name of one of what it counts: `("dense", "width", "unit")`.
fn count(
    cx: &mut Ctxt,
    line: &Line,
    expr: &Expr,
    (kind, argument, unit): (&str, &str, &str),
    example: &str,
) -> Option<usize> {
    // `input: graph(0, 3)` is the input's, not a layer's.
    let owner =
        if line.key == "input" { "`input`".to_string() } else { format!("layer `{}`", line.key) };
    match expr {
        Expr::Lit(ExprLit { lit: Lit::Int(lit), .. }) => match integer(lit) {
            Ok(Some(0)) => {
                cx.error_spanned_by(lit, format!("{owner} needs at least one {unit}"));
                None
            }
            Ok(Some(n)) => Some(n),
            Ok(None) => {
                cx.error_spanned_by(lit, format!("the {argument} of {owner} must fit in `usize`"));
                None
            }
            Err(message) => {
                cx.error_spanned_by(lit, message);
                None
            }
        },
        Expr::Unary(ExprUnary { op: UnOp::Neg(_), expr: inner, .. })
            if matches!(&**inner, Expr::Lit(ExprLit { lit: Lit::Int(_), .. })) =>
        {
            cx.error_spanned_by(expr, format!("{owner} needs at least one {unit}"));
            None
        }
        other => {
            cx.error_spanned_by(
                other,
                format!("the {argument} of `{kind}` must be an integer literal, like `{example}`"),
            );
            None
        }
    }
}

/// `dropout(0.5)`: the probability of silencing each unit in training, in `[0, 1)`.
fn dropout_rate(cx: &mut Ctxt, stage: &Stage) -> Option<f64> {
    let args: Vec<&Expr> = match stage {
        Stage::Call { args, .. } => args.iter().flat_map(|(_, a)| a.iter()).collect(),
        Stage::Lit { .. } | Stage::Sum(_) | Stage::Sequence { .. } => Vec::new(),
    };
    let [arg] = args.as_slice() else {
        cx.error_spanned_by(
            stage,
            "`dropout` takes one argument, the probability of dropping each unit, like `dropout(0.5)`",
        );
        return None;
    };
    match expr_number(arg) {
        Ok(p) if (0.0..1.0).contains(&p) => Some(p),
        Ok(p) => {
            let why = if p == 1.0 {
                "; at 1 every unit would be silenced".to_string()
            } else if p > 1.0 && p < 100.0 && p.fract() == 0.0 {
                format!("; for {p}%, write `dropout({})`", p / 100.0)
            } else {
                String::new()
            };
            cx.error_spanned_by(
                arg,
                format!(
                    "the dropout probability must be at least 0 and below 1: it is the chance that a unit is silenced in training{why}"
                ),
            );
            None
        }
        Err(error) => {
            report_number(
                cx,
                arg,
                error,
                "the dropout probability is at least 0 and below 1, like `dropout(0.5)`",
                "the dropout probability must be a number literal, like `dropout(0.5)`",
            );
            None
        }
    }
}

/// A stage after `->`: `tanh`, `leaky_relu(0.01)`.
fn activation(cx: &mut Ctxt, stage: &Stage) -> Option<Activation> {
    let (name, args) = match stage {
        Stage::Call { name, args } => (name, args),
        Stage::Lit { .. } | Stage::Sum(_) | Stage::Sequence { .. } => {
            cx.error_spanned_by(stage, "expected an activation after `->`, like `relu`");
            return None;
        }
    };
    let word = name.to_string();
    let Some(spec) = ACTIVATIONS.iter().find(|a| a.name == word) else {
        if LAYER_KINDS.contains(&word.as_str()) {
            cx.error_spanned_by(
                stage,
                format!(
                    "expected an activation after `->`, found layer kind `{word}`; put each layer on a line of its own"
                ),
            );
        } else if let Some(message) = setting_in_a_line(&word, stage) {
            cx.error_spanned_by(stage, message);
        } else if READOUTS.contains(&word.as_str()) {
            cx.error_spanned_by(
                stage,
                format!(
                    "`{word}` can only start a line: read the node features on a line of their own, like `pool: conv -> {word}`"
                ),
            );
        } else {
            let words =
                ACTIVATIONS.iter().map(|a| a.name).chain([DROPOUT]).chain(READOUTS.iter().copied());
            let hint = did_you_mean(&word, words);
            let known =
                if hint.is_empty() { known_list(ACTIVATIONS.iter().map(|a| a.name)) } else { hint };
            cx.error_spanned_by(name, format!("unknown activation `{word}`{known}"));
        }
        return None;
    };
    let args: Vec<&Expr> = args.iter().flat_map(|(_, a)| a.iter()).collect();
    match (spec.parameter, args.as_slice()) {
        (_, []) => Some((spec.make)(spec.parameter.map_or(0.0, |p| p.1))),
        (Some((what, _)), [arg]) => match expr_number(arg) {
            Ok(v) => Some((spec.make)(v)),
            Err(error) => {
                let example = format!("`{word}({})`", example(spec));
                report_number(
                    cx,
                    arg,
                    error,
                    &format!("the {what} of `{word}` may be any finite number, like {example}"),
                    &format!("the {what} of `{word}` must be a number literal, like {example}"),
                );
                None
            }
        },
        (Some((what, _)), [_, extra, ..]) => {
            cx.error_spanned_by(extra, format!("`{word}` takes one parameter, its {what}"));
            None
        }
        (None, [first, ..]) => {
            let hint = if HARD_SIGMOIDS.iter().any(|(name, _)| *name == word) {
                let slopes: Vec<String> = HARD_SIGMOIDS
                    .iter()
                    .map(|(name, slope)| format!("`{name}` ({slope})"))
                    .collect();
                format!("; the hard sigmoids differ only in slope: {}", slopes.join(", "))
            } else {
                String::new()
            };
            cx.error_spanned_by(first, format!("`{word}` takes no parameters{hint}"));
            None
        }
    }
}

/// Rejects a recurrent output line: the losses read a layer's output, and a recurrent layer's
/// activation is applied inside its loop over the steps.
fn check_output_not_recurrent(cx: &mut Ctxt, output: &ir::Node, line: &Line) {
    if output.recurrence().is_some() {
        let stage = line.stages.iter().find(
            |s| matches!(s, Stage::Call { name, .. } if name == "rnn" || name == "rnn_sequence"),
        );
        let message = format!(
            "line `{}` is the network's output and cannot be recurrent; read its state with a `dense` line after it, like `output: dense(2)`",
            line.key
        );
        match stage {
            Some(stage) => cx.error_spanned_by(stage, message),
            None => cx.error_spanned_by(&line.key, message),
        }
    }
}

/// Rejects dropout on the output line: the loss would see randomly silenced predictions.
fn check_output_without_dropout(cx: &mut Ctxt, output: &ir::Node, line: &Line) {
    if output.dropout.is_none() {
        return;
    }
    let stage =
        line.stages.iter().find(|s| matches!(s, Stage::Call { name, .. } if name == DROPOUT));
    let message = format!(
        "line `{}` is the network's output and cannot drop units; put `dropout` on a line above it",
        line.key
    );
    match stage {
        Some(stage) => cx.error_spanned_by(stage, message),
        None => cx.error_spanned_by(&line.key, message),
    }
}

/// `cross_entropy` needs a softmax output of width 2 or more; `binary_cross_entropy` needs
/// a sigmoid output. Both take logits internally, so the pairing is what makes them fuse.
fn check_loss_fits_output(cx: &mut Ctxt, loss: &ir::Loss, output: &ir::Node, line: &Line) {
    let mut at_output = |message: String| match line.stages.last() {
        Some(stage) => cx.error_spanned_by(stage, message),
        None => cx.error_at(loss.span, message),
    };
    match loss.kind {
        LossKind::CrossEntropy => {
            if output.outputs < 2 {
                cx.error_at(
                    loss.span,
                    "`cross_entropy` needs an output of width 2 or more; for one output use `binary_cross_entropy`",
                );
            } else if output.activation != Activation::Softmax {
                at_output(format!(
                    "`cross_entropy` reads the output as class probabilities; end layer `{}` with `-> softmax`",
                    output.name
                ));
            }
        }
        LossKind::BinaryCrossEntropy => {
            if output.activation != Activation::Sigmoid {
                at_output(format!(
                    "`binary_cross_entropy` reads each output as a probability; end layer `{}` with `-> sigmoid`",
                    output.name
                ));
            }
        }
        LossKind::Mse => {}
    }
}

/// The size bound, checked line by line: no value a line computes is wider than `MAX_WIDTH`
/// (`dense(1099511627776)`, `maxout(8192, 2)`, `rnn_sequence(1000)` over 100 steps), a
/// recurrent layer or graph convolution keeps at most `INLINE_PARAMS` parameters
/// (`rnn(100)` over steps of 100), and the network's parameters total at most `MAX_PARAMS`
/// (`dense(8192)` on `dense(8192)` on ... five times). Adds the line's parameters to `total`
/// when it fits.
fn check_size(cx: &mut Ctxt, line: &Line, node: &ir::Node, total: &mut usize) -> bool {
    let at = line
        .stages
        .iter()
        .find(|s| matches!(s, Stage::Call { name, .. } if LAYER_KINDS.iter().any(|k| name == k)))
        .unwrap_or(&line.stages[0]);
    let Some(linear) = &node.linear else {
        if node.outputs > MAX_WIDTH {
            cx.error_spanned_by(
                at,
                format!("line `{}` is {} values wide; {MAX_WIDTH_RULE}", line.key, node.outputs),
            );
            return false;
        }
        return true;
    };
    // The widest value the layer computes, counted without overflow, and what makes it.
    let (widest, shape) = match (linear.pieces, linear.recurrent, linear.graph) {
        (Some(k), _, _) => {
            (node.outputs as u128 * k as u128, format!(" ({} units of {k} pieces)", node.outputs))
        }
        (_, Some(r), _) if r.every => (
            linear.rows as u128 * r.steps as u128,
            format!(" ({} units at each of {} steps)", linear.rows, r.steps),
        ),
        (_, _, Some((nodes, _))) => (
            linear.rows as u128 * nodes as u128,
            format!(" ({} units at each of {nodes} nodes)", linear.rows),
        ),
        _ => (linear.rows as u128, String::new()),
    };
    if widest > MAX_WIDTH as u128 {
        cx.error_spanned_by(
            at,
            format!("layer `{}` computes {widest} values{shape}; {MAX_WIDTH_RULE}", line.key),
        );
        return false;
    }
    let inputs = match (linear.recurrent, linear.graph) {
        (Some(r), _) => r.width + linear.rows,
        (None, Some((_, features))) => features,
        (None, None) => node.inputs,
    };
    // Both factors are at most `MAX_WIDTH`, so this cannot overflow.
    let params = linear.rows * inputs + linear.rows + node.activation_params();
    if (linear.recurrent.is_some() || linear.graph.is_some()) && params > INLINE_PARAMS {
        cx.error_spanned_by(
            at,
            format!(
                "layer `{}` has {params} parameters; recurrent layers and graph convolutions keep their parameters inline, at most {INLINE_PARAMS} (64 KiB in `f64`)",
                line.key
            ),
        );
        return false;
    }
    if total.saturating_add(params) > MAX_PARAMS {
        cx.error_spanned_by(
            at,
            format!(
                "layer `{}` has {params} parameters, taking the network to {}; a network has at most {MAX_PARAMS} parameters (2 GiB in `f64`)",
                line.key,
                total.saturating_add(params)
            ),
        );
        return false;
    }
    *total += params;
    true
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

/// Integer types whose suffix an integer literal may carry, `8usize`, with their largest
/// values: the literal is accepted when its value fits the type.
const INTEGER_SUFFIXES: &[(&str, u128)] = &[
    ("u8", u8::MAX as u128),
    ("u16", u16::MAX as u128),
    ("u32", u32::MAX as u128),
    ("u64", u64::MAX as u128),
    ("u128", u128::MAX),
    ("usize", usize::MAX as u128),
    ("i8", i8::MAX as u128),
    ("i16", i16::MAX as u128),
    ("i32", i32::MAX as u128),
    ("i64", i64::MAX as u128),
    ("i128", i128::MAX as u128),
    ("isize", isize::MAX as u128),
];

/// The suffix rule, the one place every literal of the block is judged: a literal may carry
/// the suffix of an integer type its value fits (`8usize`, `255u8`), and no other (`8abc`,
/// `300u8`, `1e-4f32`; the scalar type is chosen by `Net<f64>`, not by the literals).
/// `Err` holds the message.
fn check_suffix(lit: &Lit) -> Result<(), String> {
    let (suffix, digits, value) = match lit {
        Lit::Int(int) => (int.suffix(), int.base10_digits(), int.base10_parse::<u128>().ok()),
        Lit::Float(float) => (float.suffix(), float.base10_digits(), None),
        _ => return Ok(()),
    };
    if suffix.is_empty() {
        return Ok(());
    }
    let text = lit.to_token_stream().to_string();
    match INTEGER_SUFFIXES.iter().find(|(name, _)| *name == suffix) {
        Some(&(_, max)) if matches!(lit, Lit::Int(_)) => match value {
            Some(v) if v <= max => Ok(()),
            _ => Err(format!(
                "`{text}` does not fit in `{suffix}`, whose largest value is {max}; write `{digits}`"
            )),
        },
        _ => Err(format!(
            "invalid suffix `{suffix}` on `{text}`; write the number alone, `{digits}` (an integer literal may carry an integer type's suffix, like `8usize`)"
        )),
    }
}

/// An integer literal's value: `Ok(None)` when it does not fit in `usize`, `Err` with the
/// message when its suffix is not allowed (see `check_suffix`).
fn integer(lit: &syn::LitInt) -> Result<Option<usize>, String> {
    check_suffix(&Lit::Int(lit.clone()))?;
    Ok(lit.base10_parse::<usize>().ok())
}

/// Why a hyper-parameter is not a number the network can use.
enum NotANumber {
    /// Not a number literal at all: `leaky_relu(a)`.
    Expression,
    /// A literal with a suffix it may not have, and the message saying so.
    Suffix(String),
    /// `1e999`, which is infinite in `f64`: the literal as written.
    Infinite(String),
}

/// A number literal, integer or float, possibly negated: `0.01`, `-1.5`, `2`.
fn expr_number(expr: &Expr) -> Result<f64, NotANumber> {
    match expr {
        Expr::Lit(ExprLit { lit, .. }) => number(lit),
        Expr::Unary(ExprUnary { op: UnOp::Neg(_), expr, .. }) => expr_number(expr).map(|v| -v),
        Expr::Paren(p) => expr_number(&p.expr),
        Expr::Group(g) => expr_number(&g.expr),
        _ => Err(NotANumber::Expression),
    }
}

/// A literal's value as a finite `f64`.
fn number(lit: &Lit) -> Result<f64, NotANumber> {
    check_suffix(lit).map_err(NotANumber::Suffix)?;
    let value = match lit {
        Lit::Int(i) => i.base10_parse::<f64>().ok(),
        Lit::Float(f) => f.base10_parse::<f64>().ok(),
        _ => None,
    };
    match value {
        Some(v) if v.is_finite() => Ok(v),
        Some(_) => Err(NotANumber::Infinite(lit.to_token_stream().to_string())),
        None => Err(NotANumber::Expression),
    }
}

/// Reports a literal that is not a usable number, at the literal: `range` says what the
/// value may be (`the dropout probability is at least 0 and below 1`); `expression` is the
/// message for something that is not a number literal at all.
fn report_number(
    cx: &mut Ctxt,
    at: impl ToTokens,
    error: NotANumber,
    range: &str,
    expression: &str,
) {
    let message = match error {
        NotANumber::Expression => expression.to_string(),
        NotANumber::Suffix(message) => message,
        NotANumber::Infinite(text) => format!("`{text}` is not a finite number; {range}"),
    };
    cx.error_spanned_by(at, message);
}
