//! The stages of a line as written: a layer kind with its arguments, an activation with its
//! parameter, dropout with its probability.

use super::*;

/// The conventions of `clip(slope x + 1/2, 0, 1)`, by name and slope.
pub(super) const HARD_SIGMOIDS: &[(&str, &str)] =
    &[("hard_logistic", "0.25"), ("hard_sigmoid_pytorch", "1/6"), ("hard_sigmoid_onnx", "0.2")];

/// The layer kind that starts a line: `dense(8)` or `maxout(8, 3)`, as the rows of its affine
/// map, its pieces per unit (maxout) and its width.
pub(super) fn layer_kind(cx: &mut Ctxt, line: &Line, stage: &Stage) -> Option<Kind> {
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
        (kind, [width]) if RECURRENT_KINDS.iter().any(|r| r.0 == kind) => {
            let &(kind, cell, every) = RECURRENT_KINDS.iter().find(|r| r.0 == kind)?;
            let example = format!("{kind}(16)");
            let units = count(cx, line, width, (kind, "width", "unit"), &example)?;
            Some(Kind {
                bias: true,
                rows: units,
                pieces: None,
                units,
                recurrent: Some((every, cell)),
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
        (kind, _) if RECURRENT_KINDS.iter().any(|r| r.0 == kind) => {
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
pub(super) fn bias_option(cx: &mut Ctxt, option: &Expr) -> Option<bool> {
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
/// a recurrent layer whether it outputs every state (`rnn_sequence`) or the last (`rnn`), and
/// its cell.
pub(super) struct Kind {
    /// Whether the affine map has a bias: `dense(n, bias = false)` has none.
    pub bias: bool,
    pub rows: usize,
    pub pieces: Option<usize>,
    pub units: usize,
    pub recurrent: Option<(bool, ir::Cell)>,
    /// A graph convolution.
    pub graph: bool,
}

/// A positive integer argument: a layer's units or maxout's pieces. `what` is the layer kind,
/// the argument's name and the name of one of what it counts: `("dense", "width", "unit")`.
pub(super) fn count(
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
pub(super) fn dropout_rate(cx: &mut Ctxt, stage: &Stage) -> Option<f64> {
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
pub(super) fn activation(cx: &mut Ctxt, stage: &Stage) -> Option<Activation> {
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
