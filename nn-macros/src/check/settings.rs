//! The settings lines, `input:`, `loss:` and `l2:`, and the rules that tell a setting from a
//! line: a misspelt, misplaced or misnamed setting is reported as what it is.

use super::*;

/// Whether the block has a line for `setting`, spelt right, reported as misspelt or written
/// as a stage of a line (`-> mse`), so that a misspelt `inptu: 2` is not also reported as a
/// missing `input:` line.
pub(super) fn mentions_setting(def: &NetworkDef, setting: &str) -> bool {
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
pub(super) fn misspelt_setting(line: &Line) -> Option<&'static str> {
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
pub(super) fn check_once(cx: &mut Ctxt, line: &Line, first: Option<&Line>) {
    if first.is_some() {
        cx.error_spanned_by(&line.key, format!("`{}` is given twice; keep one", line.key));
    }
}

/// Whether a line named like a setting is a layer: `l2: dense(8) -> tanh`, `input: a + b`.
pub(super) fn names_a_layer(line: &Line) -> bool {
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
pub(super) fn check_setting_name(cx: &mut Ctxt, line: &Line) {
    let what = match line.key.to_string().as_str() {
        "input" => "names the network's input",
        "loss" => "is the setting of the loss",
        "stream" => "is the setting of the streaming call",
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
pub(super) fn check_input_first(cx: &mut Ctxt, line: &Line, layers_above: &[&Line]) {
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
pub(super) fn check_line_attributes(cx: &mut Ctxt, line: &Line) {
    for attr in line.attrs.iter().filter(|a| !a.path().is_ident("doc")) {
        cx.error_spanned_by(
            attr,
            "only doc comments can be put on a line, where they document the layer's field; lint attributes go on the network's struct",
        );
    }
}

/// The message for a setting written as a stage of a line, `dense(8) -> l2(0.1)` or
/// `output: dense(1) -> mse`: what the word is, and where it goes.
pub(super) fn setting_in_a_line(word: &str, stage: &Stage) -> Option<String> {
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
        "stream" => "stream: NetState",
        _ => return None,
    };
    let line = if value.is_empty() { example.to_string() } else { format!("{word}: {value}") };
    Some(format!(
        "`{word}` is a setting, not a stage of a line; give it a line of its own: `{line},`"
    ))
}

/// Whether `word` names a loss: `mse`.
pub(super) fn is_loss(word: &str) -> bool {
    LOSSES.iter().any(|(name, _)| *name == word)
}

/// Whether a line's value is a loss alone, `binary_cross_entropy: mse`: a loss written where
/// the key goes. A line named `mse` with a layer, `mse: dense(8)`, is a line like any other.
pub(super) fn names_a_loss(line: &Line) -> bool {
    matches!(line.stages.as_slice(), [Stage::Call { name, args: None }] if is_loss(&name.to_string()))
}

/// Whether `word` is written as a stage of a line: a layer kind, an activation, `dropout`.
pub(super) fn is_stage_word(word: &str) -> bool {
    LAYER_KINDS.contains(&word) || word == DROPOUT || ACTIVATIONS.iter().any(|a| a.name == word)
}

/// `input: 2`, or a sequence `input: 4 x 10` (10 steps of width 4, the input then being the
/// 40 values step after step); rejects `input: 0`, `input: -2`, `input: n` and `input: 4 x 0`.
pub(super) fn input_width(cx: &mut Ctxt, line: &Line) -> Option<(usize, Option<Shape>)> {
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
pub(super) fn input_shape(cx: &mut Ctxt, line: &Line) -> Option<(usize, Option<Shape>)> {
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
pub(super) enum Shape {
    Sequence(usize, usize),
    Graph(usize, usize),
}

/// A positive integer literal: a width, a number of steps.
pub(super) fn positive(cx: &mut Ctxt, stage: &Stage, zero: &str) -> Option<usize> {
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
pub(super) fn loss_kind(cx: &mut Ctxt, line: &Line) -> Option<ir::Loss> {
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
pub(super) fn l2_coefficient(cx: &mut Ctxt, line: &Line) -> Option<f64> {
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
pub(super) fn single_stage<'a>(cx: &mut Ctxt, line: &'a Line) -> Option<&'a Stage> {
    if let Some(extra) = line.stages.get(1) {
        cx.error_spanned_by(extra, format!("`{}` takes a single value", line.key));
        return None;
    }
    line.stages.first()
}
