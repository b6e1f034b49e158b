//! Syntax tree -> checked network. One function per rule; every error goes to `cx` at the
//! tokens it is about, and checking goes on so that all mistakes are reported together.

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

/// The most parameters a network may have: their bytes in `f64` must be addressable
/// (`isize::MAX`, Rust's limit on the size of one value), so that no count overflows.
const MAX_PARAMS: usize = isize::MAX as usize / std::mem::size_of::<f64>();

/// Parameters (in `f64`, the larger scalar) a network keeps inline before it moves its
/// largest layers to the heap: 8192 scalars are 64 KiB, the most `nn` builds on the stack.
const INLINE_PARAMS: usize = 8192;

/// Checks the whole block. `None` when there were errors (they are in `cx`).
pub fn network(cx: &mut Ctxt, def: &NetworkDef) -> Option<ir::Network> {
    check_generics(cx, def);
    check_attributes(cx, def);

    let mut inputs: Option<(usize, &Line)> = None;
    let mut sequence: Option<(usize, usize)> = None;
    let mut graph_input: Option<(usize, usize)> = None;
    let mut loss: Option<(ir::Loss, &Line)> = None;
    let mut l2: Option<(f64, &Line)> = None;
    // Every node's line, including those of nodes with errors, in order, so that a line can
    // tell a reference to a line below it from a name that does not exist.
    let lines: Vec<&Line> = def
        .lines
        .iter()
        .filter(|l| !KEYS.iter().any(|k| l.key == k) && misspelt_setting(l).is_none())
        .collect();
    // Each line's node, `None` where the line has an error.
    let mut nodes: Vec<Option<ir::Node>> = Vec::new();
    let mut params: usize = 0;
    for line in &def.lines {
        match line.key.to_string().as_str() {
            "input" => {
                check_once(cx, line, inputs.map(|i| i.1));
                if let Some((n, shape)) = input_width(cx, line) {
                    if inputs.is_none() {
                        match shape {
                            Some(Shape::Sequence(width, steps)) => sequence = Some((width, steps)),
                            Some(Shape::Graph(nodes, features)) => {
                                graph_input = Some((nodes, features));
                            }
                            None => {}
                        }
                    }
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
                        inputs: inputs.map(|i| i.0),
                        sequence,
                        graph: graph_input,
                    };
                    let node = node(cx, &graph, index, &nodes)
                        .filter(|node| check_parameter_count(cx, line, node, &mut params));
                    nodes.push(node);
                }
            },
        }
    }

    let inputs = inputs.map(|i| i.0);
    if inputs.is_none() && !mentions_setting(def, "input") {
        cx.error_spanned_by(
            &def.name,
            format!(
                "network `{}` has no `input:` line; add one before the layers, like `input: 2,`",
                def.name
            ),
        );
    }
    if lines.is_empty() {
        cx.error_spanned_by(
            &def.name,
            format!(
                "network `{}` has no layers; add one, like `output: dense(1) -> sigmoid,`",
                def.name
            ),
        );
    }
    if loss.is_none() && !mentions_setting(def, "loss") {
        cx.error_spanned_by(
            &def.name,
            format!(
                "network `{}` has no `loss:` line; add one: `loss: mse,`, `loss: binary_cross_entropy,` or `loss: cross_entropy,`",
                def.name
            ),
        );
    }
    let loss = loss.map(|l| l.0);
    if let (Some(Some(output)), Some(line)) = (nodes.last(), lines.last()) {
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

/// The input and output widths as written, `input: 2` and the last line's `dense(1)` or
/// `maxout(1, 2)`, if both can be read; used to keep the API's signatures when the block has other mistakes.
pub fn declared_widths(def: &NetworkDef) -> Option<(usize, usize)> {
    let width = |stage: Option<&Stage>| -> Option<usize> {
        let n = match stage? {
            Stage::Lit { minus: None, lit: Lit::Int(lit) } => lit.base10_parse::<usize>().ok(),
            Stage::Call { name, args: Some((_, args)) } if name == "dense" && args.len() == 1 => {
                match args.first()? {
                    Expr::Lit(ExprLit { lit: Lit::Int(lit), .. }) => lit.base10_parse().ok(),
                    _ => None,
                }
            }
            Stage::Call { name, args: Some((_, args)) } if name == "maxout" && args.len() == 2 => {
                match args.first()? {
                    Expr::Lit(ExprLit { lit: Lit::Int(lit), .. }) => lit.base10_parse().ok(),
                    _ => None,
                }
            }
            _ => None,
        };
        n.filter(|&n| n > 0)
    };
    let input = def.lines.iter().find(|l| l.key == "input")?;
    let output = def.lines.iter().rev().find(|l| !KEYS.iter().any(|k| l.key == k))?;
    // The output's layer: first on its line, or after what the line reads.
    let layer = output.stages.iter().take(2).find_map(|s| width(Some(s)));
    Some((width(input.stages.first())?, layer?))
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

/// Whether the block has a line for `setting`, spelt right or reported as misspelt, so that
/// a misspelt `inptu: 2` is not also reported as a missing `input:` line.
fn mentions_setting(def: &NetworkDef, setting: &str) -> bool {
    def.lines.iter().any(|l| l.key == setting || misspelt_setting(l) == Some(setting))
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
            let width = nodes
                .checked_mul(features)
                .and_then(|f| nodes.checked_mul(nodes).and_then(|a| f.checked_add(a)));
            match width {
                Some(n) => Some((n, Some(Shape::Graph(nodes, features)))),
                None => {
                    cx.error_spanned_by(&line.stages[0], "the input is too large to fit in memory");
                    None
                }
            }
        }
        Stage::Sequence { width, steps, .. } => {
            let width = positive(cx, width, "`input` needs a width of at least 1");
            let steps = positive(cx, steps, "a sequence needs at least one step");
            let (width, steps) = (width?, steps?);
            match width.checked_mul(steps) {
                Some(n) => Some((n, Some(Shape::Sequence(width, steps)))),
                None => {
                    cx.error_spanned_by(&line.stages[0], "the input is too large to fit in memory");
                    None
                }
            }
        }
        stage @ Stage::Lit { .. } => {
            Some((positive(cx, stage, "`input` needs a width of at least 1")?, None))
        }
        stage => {
            cx.error_spanned_by(
                stage,
                "`input` takes the width of one sample as an integer literal, like `input: 4`, or a sequence's, like `input: 4 x 10`",
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
        Stage::Lit { minus: None, lit: Lit::Int(lit) } => match lit.base10_parse::<usize>() {
            Ok(0) => {
                cx.error_spanned_by(lit, zero);
                None
            }
            Ok(n) => Some(n),
            Err(_) => {
                cx.error_spanned_by(lit, "the width of `input` must fit in `usize`");
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
        Stage::Call { .. } | Stage::Sum(_) | Stage::Sequence { .. } => None,
    };
    match value {
        Some(v) if v >= 0.0 && v.is_finite() => Some(v),
        Some(_) => {
            cx.error_spanned_by(stage, "the `l2` coefficient must be zero or positive");
            None
        }
        None => {
            cx.error_spanned_by(
                stage,
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
    let mut linear: Option<Kind> = None;
    let mut layer_stage: Option<&Stage> = None;
    let mut readout: Option<(bool, &Stage)> = None;
    let mut activation: Option<(Activation, &Stage)> = None;
    let mut dropout: Option<(f64, &Stage)> = None;
    for (position, stage) in stages.iter().enumerate() {
        let word = match stage {
            Stage::Call { name, .. } => name.to_string(),
            Stage::Lit { .. } | Stage::Sum(_) | Stage::Sequence { .. } => String::new(),
        };
        let starts = position == 0;
        if LAYER_KINDS.contains(&word.as_str()) && starts {
            linear = layer_kind(cx, line, stage);
            layer_stage = Some(stage);
            ok &= linear.is_some();
        } else if READOUTS.contains(&word.as_str()) && starts {
            if let Stage::Call { args: Some((paren, _)), .. } = stage {
                cx.error_at(paren.span.join(), format!("`{word}` takes no parameters"));
                ok = false;
            }
            readout = Some((word == "mean_nodes", stage));
        } else if word == DROPOUT {
            if let Some((_, first)) = dropout {
                cx.error_spanned_by(
                    stage,
                    format!(
                        "line `{}` already ends in `{}`; drop units once per line",
                        line.key,
                        stage_name(first)
                    ),
                );
                ok = false;
            } else {
                dropout = dropout_rate(cx, stage).map(|p| (p, stage));
                ok &= dropout.is_some();
            }
        } else if let Stage::Sum(_) = stage {
            cx.error_spanned_by(
                stage,
                "`+` can only start a line: add the nodes on a line of their own, like `s: a + b`, and read `s` here",
            );
            ok = false;
        } else if word == CONCAT {
            cx.error_spanned_by(
                stage,
                "`concat` can only start a line: join the nodes on a line of their own, like `c: concat(a, b)`, and read `c` here",
            );
            ok = false;
        } else if starts && !explicit && !ACTIVATIONS.iter().any(|a| a.name == word) {
            // The first stage of a line that reads the line above: a layer kind.
            layer_kind(cx, line, stage);
            ok = false;
        } else if starts && !explicit {
            cx.error_spanned_by(
                stage,
                format!(
                    "layer `{}` must start with a layer kind; write `dense(N) -> {word}`",
                    line.key
                ),
            );
            ok = false;
        } else {
            match self::activation(cx, stage) {
                None => ok = false,
                Some(act) => {
                    if let Some((_, drop)) = dropout {
                        cx.error_spanned_by(
                            stage,
                            format!(
                                "`{}` comes after `{}` on line `{}`; dropout comes last, after the activation",
                                stage_name(stage),
                                stage_name(drop),
                                line.key
                            ),
                        );
                        ok = false;
                    } else if let Some((_, first)) = activation {
                        cx.error_spanned_by(
                            stage,
                            format!(
                                "layer `{}` already ends in `{}`; a line holds one layer and at most one activation",
                                line.key,
                                stage_name(first)
                            ),
                        );
                        ok = false;
                    } else if linear.as_ref().is_some_and(|l| l.recurrent.is_some() || l.graph)
                        && (act.learnable().is_some() || act == Activation::Softmax)
                    {
                        let (layer, scope) = if linear.as_ref().is_some_and(|l| l.graph) {
                            ("a graph convolution", "to each node's units")
                        } else {
                            ("a recurrent layer", "at every step")
                        };
                        cx.error_spanned_by(
                            stage,
                            format!(
                                "`{word}` cannot follow {layer}: its activation applies {scope}, element by element; put `{word}` on a `dense` line after it"
                            ),
                        );
                        ok = false;
                    } else if act.learnable().is_some() && linear.is_none() {
                        cx.error_spanned_by(
                            stage,
                            format!(
                                "`{word}` learns its parameters with the layer before it; put it after `dense(N)` or `maxout(N, K)` on the same line"
                            ),
                        );
                        ok = false;
                    } else {
                        activation = Some((act, stage));
                    }
                }
            }
        }
    }
    if !ok {
        return None;
    }
    let (combine, inputs) = head?;
    let inputs = inputs?;
    let (linear, outputs) = match linear {
        Some(Kind { rows, units, graph: true, .. }) => {
            let (count, features) = nodes_read(cx, graph, nodes, line, &combine, layer_stage)?;
            let outputs = units.checked_mul(count)?;
            let linear = ir::Linear {
                rows,
                pieces: None,
                recurrent: None,
                graph: Some((count, features)),
                boxed: false,
            };
            (Some(linear), outputs)
        }
        Some(Kind { rows, pieces, units, recurrent: None, .. }) => {
            (Some(ir::Linear { rows, pieces, recurrent: None, graph: None, boxed: false }), units)
        }
        Some(Kind { rows, units, recurrent: Some(every), .. }) => {
            let (width, steps) = sequence_read(cx, graph, nodes, line, &combine, layer_stage)?;
            let outputs = if every { units.checked_mul(steps)? } else { units };
            let recurrent = Some(ir::Recurrence { width, steps, every });
            (Some(ir::Linear { rows, pieces: None, recurrent, graph: None, boxed: false }), outputs)
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
    Some(ir::Node {
        name: line.key.clone(),
        combine,
        inputs,
        linear,
        readout,
        activation: activation.map_or(Activation::Identity, |a| a.0),
        dropout: dropout.map(|d| d.0),
        outputs,
    })
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
                        width = width.zip(width_of(source)).and_then(|(w, n)| w.checked_add(n));
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
        ("dense", [width]) => {
            let units = count(cx, line, width, ("dense", "width", "unit"), "dense(8)")?;
            Some(Kind { rows: units, pieces: None, units, recurrent: None, graph: false })
        }
        ("dense", _) => {
            cx.error_spanned_by(
                stage,
                "`dense` takes one argument, its number of units, like `dense(8)`",
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
            match u.checked_mul(k) {
                Some(rows) => {
                    Some(Kind { rows, pieces: Some(k), units: u, recurrent: None, graph: false })
                }
                None => {
                    cx.error_spanned_by(
                        stage,
                        format!(
                            "layer `{}` makes the network too large to fit in memory: {u} units of {k} pieces",
                            line.key
                        ),
                    );
                    None
                }
            }
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
            Some(Kind { rows: units, pieces: None, units, recurrent: Some(every), graph: false })
        }
        ("graph_conv", [width]) => {
            let units = count(cx, line, width, ("graph_conv", "width", "unit"), "graph_conv(8)")?;
            Some(Kind { rows: units, pieces: None, units, recurrent: None, graph: true })
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
        _ => {
            let hint = did_you_mean(&word, LAYER_KINDS.iter().copied().chain([DROPOUT]));
            let known =
                if hint.is_empty() { known_list(LAYER_KINDS.iter().copied()) } else { hint };
            cx.error_spanned_by(name, format!("unknown layer kind `{word}`{known}"));
            None
        }
    }
}

/// A line's layer as written: the rows of its affine map, maxout's pieces, the units, and for
/// a recurrent layer whether it outputs every state (`rnn_sequence`) or the last (`rnn`).
struct Kind {
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
        Expr::Lit(ExprLit { lit: Lit::Int(lit), .. }) => match lit.base10_parse::<usize>() {
            Ok(0) => {
                cx.error_spanned_by(lit, format!("{owner} needs at least one {unit}"));
                None
            }
            Ok(n) => Some(n),
            Err(_) => {
                cx.error_spanned_by(lit, format!("the {argument} of {owner} must fit in `usize`"));
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
        Some(p) if (0.0..1.0).contains(&p) => Some(p),
        Some(p) => {
            let why = if p >= 1.0 { "; with 1 every unit would be silenced" } else { "" };
            cx.error_spanned_by(
                arg,
                format!(
                    "the dropout probability must be at least 0 and below 1: it is the chance that a unit is silenced in training{why}"
                ),
            );
            None
        }
        None => {
            cx.error_spanned_by(
                arg,
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
        } else {
            let hint = did_you_mean(&word, ACTIVATIONS.iter().map(|a| a.name));
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
            Some(v) if v.is_finite() => Some((spec.make)(v)),
            _ => {
                cx.error_spanned_by(
                    arg,
                    format!(
                        "the {what} of `{word}` must be a number literal, like `{word}({})`",
                        example(spec)
                    ),
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

/// Rejects a layer that takes the network past `MAX_PARAMS`: `dense(18446744073709551615)`.
/// Adds its parameters to `total` when it fits.
fn check_parameter_count(cx: &mut Ctxt, line: &Line, node: &ir::Node, total: &mut usize) -> bool {
    let Some(linear) = &node.linear else {
        return true;
    };
    let inputs = match (linear.recurrent, linear.graph) {
        (Some(r), _) => r.width.saturating_add(linear.rows),
        (None, Some((_, features))) => features,
        (None, None) => node.inputs,
    };
    let node_params = linear
        .rows
        .checked_mul(inputs)
        .and_then(|w| w.checked_add(linear.rows))
        .and_then(|p| p.checked_add(node.activation_params()));
    if (linear.recurrent.is_some() || linear.graph.is_some())
        && node_params.is_some_and(|p| p > INLINE_PARAMS)
    {
        let stage = line
            .stages
            .iter()
            .find(
                |s| matches!(s, Stage::Call { name, .. } if LAYER_KINDS.iter().any(|k| name == k)),
            )
            .unwrap_or(&line.stages[0]);
        cx.error_spanned_by(
            stage,
            format!(
                "layer `{}` has {} parameters; recurrent layers and graph convolutions keep their parameters inline, at most {INLINE_PARAMS} (64 KiB in `f64`)",
                line.key,
                node_params.unwrap_or(0)
            ),
        );
        return false;
    }
    match node_params.and_then(|p| total.checked_add(p)).filter(|&t| t <= MAX_PARAMS) {
        Some(t) => {
            *total = t;
            true
        }
        None => {
            let stage = line
                .stages
                .iter()
                .find(|s| matches!(s, Stage::Call { name, .. } if LAYER_KINDS.iter().any(|k| name == k)))
                .unwrap_or(&line.stages[0]);
            cx.error_spanned_by(
                stage,
                format!(
                    "layer `{}` makes the network too large to fit in memory: {} x {} weights",
                    line.key, linear.rows, node.inputs
                ),
            );
            false
        }
    }
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

/// A number literal, integer or float, possibly negated.
fn expr_number(expr: &Expr) -> Option<f64> {
    match expr {
        Expr::Lit(ExprLit { lit, .. }) => number(lit),
        Expr::Unary(ExprUnary { op: UnOp::Neg(_), expr, .. }) => expr_number(expr).map(|v| -v),
        Expr::Paren(p) => expr_number(&p.expr),
        Expr::Group(g) => expr_number(&g.expr),
        _ => None,
    }
}

fn number(lit: &Lit) -> Option<f64> {
    match lit {
        Lit::Int(i) => i.base10_parse::<f64>().ok(),
        Lit::Float(f) => f.base10_parse::<f64>().ok(),
        _ => None,
    }
}
