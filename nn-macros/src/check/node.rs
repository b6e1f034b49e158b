//! One line of the network: what it reads (a line above, a sum, a concatenation), then its
//! stages in order, each rule of their order and combination a function of its own.

use super::*;

/// Rejects a layer named like an earlier one: `hidden: dense(8), hidden: dense(4)`.
pub(super) fn check_unique_layer(cx: &mut Ctxt, line: &Line, earlier: &[&Line]) {
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

/// The lines a line can read from, and the input's width (`None` if it has an error).
pub(super) struct Graph<'a> {
    pub lines: &'a [&'a Line],
    pub inputs: Option<usize>,
    /// `input: 4 x 10`: the width of one step and the number of steps.
    pub sequence: Option<(usize, usize)>,
    /// `input: graph(5, 3)`: the node count and the features per node.
    pub graph: Option<(usize, usize)>,
}

/// How a line starts: with the node it reads from (`a ->`, `a + b`, `concat(a, b)`), whose
/// width is known unless a line it reads has an error; or with a stage, reading the line above.
pub(super) enum Head {
    Explicit(Option<(Combine, Option<usize>)>),
    Implicit,
}

/// One node's line: `hidden: dense(8) -> tanh`, `b: a -> dense(4)`, `s: a + b -> relu`,
/// `c: concat(x, s)`, `drop: dropout(0.5)`. `nodes` holds the lines above, `None` where a line
/// has an error: its width is then unknown, and this line is still checked on its own.
pub(super) fn node(
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
        Some(Kind { rows, units, recurrent: Some((every, cell)), .. }) => {
            let (width, steps) = sequence_read(cx, graph, nodes, line, &combine, layer_stage)?;
            let outputs = if every { units.saturating_mul(steps) } else { units };
            let recurrent = Some(ir::Recurrence { width, steps, every, cell });
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
pub(super) struct Parts<'a> {
    linear: Option<Kind>,
    layer_stage: Option<&'a Stage>,
    readout: Option<(bool, &'a Stage)>,
    activation: Option<(Activation, &'a Stage)>,
    dropout: Option<(f64, &'a Stage)>,
}

/// One stage of a node's line into `parts`: `implicit` when it is the first stage of a line
/// that reads the line above (a layer kind must stand there), `starts` when it is the first
/// after what the line reads. `false` when the stage has an error (reported).
pub(super) fn part<'a>(
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
pub(super) fn check_readout_without_arguments(cx: &mut Ctxt, stage: &Stage) -> bool {
    match stage {
        Stage::Call { name, args: Some((paren, _)) } => {
            cx.error_at(paren.span.join(), format!("`{name}` takes no parameters"));
            false
        }
        _ => true,
    }
}

/// Rejects a second dropout on a line: `h: dense(8) -> dropout(0.5) -> dropout(0.5)`.
pub(super) fn check_dropout_once(
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
pub(super) fn check_sum_and_concat_start_lines(cx: &mut Ctxt, stage: &Stage, word: &str) -> bool {
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
pub(super) fn check_starts_with_layer(cx: &mut Ctxt, line: &Line, stage: &Stage, word: &str) {
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
pub(super) fn check_activation_before_dropout(
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
pub(super) fn check_one_activation(
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
/// whose activation applies element by element inside the layer: `rnn(8) -> softmax`; and
/// any activation after a gated layer, whose gates have their own: `lstm(8) -> tanh`.
pub(super) fn check_activation_fits_layer(
    cx: &mut Ctxt,
    stage: &Stage,
    act: Activation,
    linear: Option<&Kind>,
) -> bool {
    let Some(kind) = linear.filter(|l| l.recurrent.is_some() || l.graph) else {
        return true;
    };
    if let Some((every, cell)) = kind.recurrent.filter(|r| r.1.gated()) {
        let layer = cell.kind(every);
        cx.error_spanned_by(
            stage,
            format!(
                "`{layer}` takes no activation: its gates apply their own sigmoid and tanh; remove `-> {}`, or put it on a `dense` line after it",
                stage_name(stage)
            ),
        );
        return false;
    }
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
pub(super) fn check_learnable_follows_layer(
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
pub(super) fn check_softmax_width(
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
pub(super) fn nodes_read(
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
pub(super) fn sequence_read(
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
            Combine::Read(Source::Node(k)) => {
                nodes[*k].as_ref().and_then(|n| Some((n, n.recurrence()?))).map(|(n, r)| {
                    format!(
                        "; `{}` gives its last state only: make it `{}` to read every state",
                        n.name,
                        r.cell.kind(true)
                    )
                })
            }
            _ => None,
        };
        let message = format!(
            "a recurrent layer reads a sequence: the input declared like `input: 4 x 10`, or an `rnn_sequence`, `lstm_sequence` or `gru_sequence` line; what line `{}` reads is not one{}",
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
pub(super) fn head(
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
pub(super) fn resolve(cx: &mut Ctxt, graph: &Graph, index: usize, name: &Ident) -> Option<Source> {
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
