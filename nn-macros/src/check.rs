//! Syntax tree -> checked network. One function per rule; every error goes to `cx` at the
//! tokens it is about, and checking goes on so that all mistakes are reported together.

use syn::ext::IdentExt;
use syn::{Expr, ExprLit, ExprUnary, Ident, Lit, UnOp};

use crate::ctxt::Ctxt;
use crate::ir::{self, Activation, LossKind, ACTIVATIONS, LAYER_KINDS, LOSSES};
use crate::parse::{Line, NetworkDef, Stage};
use crate::suggest::{closest, did_you_mean};

/// Keys that are settings of the network rather than layers.
const KEYS: &[&str] = &["input", "loss", "l2"];

/// Attributes a network accepts and puts on its struct: docs and lint levels.
const ATTRIBUTES: &[&str] = &["doc", "allow", "expect", "warn", "deny"];

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
    let mut loss: Option<(ir::Loss, &Line)> = None;
    let mut l2: Option<(f64, &Line)> = None;
    let mut layers: Vec<ir::Layer> = Vec::new();
    // Every layer line's name so far, including those of layers with errors.
    let mut layer_names: Vec<&Ident> = Vec::new();
    let mut params: usize = 0;
    // The width flowing into the next layer; `None` once it is unknown because of an error.
    let mut width: Option<usize> = None;
    let mut width_known = true;

    for line in &def.lines {
        match line.key.to_string().as_str() {
            "input" => {
                check_once(cx, line, inputs.map(|i| i.1));
                if let Some(n) = input_width(cx, line) {
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
            _ => {
                if let Some(setting) = misspelt_setting(line) {
                    cx.error_spanned_by(
                        &line.key,
                        format!("unknown setting `{}`; did you mean `{setting}`?", line.key),
                    );
                    continue;
                }
                check_unique_layer(cx, line, &layer_names);
                layer_names.push(&line.key);
                let source = if layers.is_empty() { inputs.map(|i| i.0) } else { width };
                match layer(cx, line, source.filter(|_| width_known)) {
                    Some(layer) if check_parameter_count(cx, line, &layer, &mut params) => {
                        width = Some(layer.outputs);
                        layers.push(layer);
                    }
                    _ => width_known = false,
                }
            }
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
    if layers.is_empty() && width_known {
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
    if let (Some(loss), Some(last), true) = (&loss, layers.last(), width_known) {
        check_loss_fits_output(cx, loss, last, &def.lines);
    }

    let (inputs, loss) = (inputs?, loss?);
    if !width_known || layers.is_empty() {
        return None;
    }
    place_parameters(&mut layers);
    Some(ir::Network {
        attrs: def.attrs.iter().filter(|a| is_passed_on(a)).cloned().collect(),
        vis: def.vis.clone(),
        name: def.name.clone(),
        inputs,
        layers,
        loss,
        l2: l2.map(|l| l.0),
    })
}

/// The input and output widths as written, `input: 2` and the last layer's `dense(1)`, if
/// both can be read; used to keep the API's signatures when the block has other mistakes.
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
            _ => None,
        };
        n.filter(|&n| n > 0)
    };
    let input = def.lines.iter().find(|l| l.key == "input")?;
    let output = def.lines.iter().rev().find(|l| !KEYS.iter().any(|k| l.key == k))?;
    Some((width(input.stages.first())?, width(output.stages.first())?))
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
fn check_unique_layer(cx: &mut Ctxt, line: &Line, earlier: &[&Ident]) {
    if earlier.iter().any(|name| **name == line.key) {
        cx.error_spanned_by(
            &line.key,
            format!(
                "a layer named `{}` is already defined above; layer names must be unique",
                line.key
            ),
        );
    }
}

/// `input: 2`; rejects `input: 0`, `input: -2` and `input: n`.
fn input_width(cx: &mut Ctxt, line: &Line) -> Option<usize> {
    match single_stage(cx, line)? {
        stage @ Stage::Lit { minus: Some(_), lit: Lit::Int(_) } => {
            cx.error_spanned_by(stage, "`input` needs a width of at least 1");
            None
        }
        Stage::Lit { minus: None, lit: Lit::Int(lit) } => match lit.base10_parse::<usize>() {
            Ok(0) => {
                cx.error_spanned_by(lit, "`input` needs a width of at least 1");
                None
            }
            Ok(n) => Some(n),
            Err(_) => {
                cx.error_spanned_by(lit, "the width of `input` must fit in `usize`");
                None
            }
        },
        stage => {
            cx.error_spanned_by(
                stage,
                "`input` takes the width of one sample as an integer literal, like `input: 4`",
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
        Stage::Call { .. } => None,
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

/// `hidden: dense(8) -> tanh`, reading `inputs` values from the line above (`None` when that
/// width is unknown because of an earlier error: the line is still checked on its own).
fn layer(cx: &mut Ctxt, line: &Line, inputs: Option<usize>) -> Option<ir::Layer> {
    let mut stages = line.stages.iter();
    let outputs = layer_width(cx, line, stages.next()?);
    let mut activation: Option<(Activation, &Stage)> = None;
    let mut ok = outputs.is_some();
    for stage in stages {
        match self::activation(cx, stage) {
            Some(act) => {
                if let Some((_, first)) = activation {
                    cx.error_spanned_by(
                        stage,
                        format!(
                            "layer `{}` already ends in `{}`; a line holds one layer and at most one activation",
                            line.key,
                            stage_name(first)
                        ),
                    );
                    ok = false;
                } else {
                    activation = Some((act, stage));
                }
            }
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    Some(ir::Layer {
        name: line.key.clone(),
        inputs: inputs?,
        outputs: outputs?,
        activation: activation.map_or(Activation::Identity, |a| a.0),
        boxed: false,
    })
}

/// The first stage of a layer line: `dense(8)`.
fn layer_width(cx: &mut Ctxt, line: &Line, stage: &Stage) -> Option<usize> {
    let (name, args) = match stage {
        Stage::Call { name, args } => (name, args),
        Stage::Lit { .. } => {
            cx.error_spanned_by(
                stage,
                format!("layer `{}` must start with a layer kind, like `dense(8)`", line.key),
            );
            return None;
        }
    };
    let word = name.to_string();
    if !LAYER_KINDS.contains(&word.as_str()) {
        if ACTIVATIONS.iter().any(|a| a.name == word) {
            cx.error_spanned_by(
                stage,
                format!(
                    "layer `{}` must start with a layer kind; write `dense(N) -> {word}`",
                    line.key
                ),
            );
        } else {
            let hint = did_you_mean(&word, LAYER_KINDS.iter().copied());
            let known =
                if hint.is_empty() { known_list(LAYER_KINDS.iter().copied()) } else { hint };
            cx.error_spanned_by(name, format!("unknown layer kind `{word}`{known}"));
        }
        return None;
    }
    let args: Vec<&Expr> = args.iter().flat_map(|(_, a)| a.iter()).collect();
    match args.as_slice() {
        [width] => match width {
            Expr::Lit(ExprLit { lit: Lit::Int(lit), .. }) => match lit.base10_parse::<usize>() {
                Ok(0) => {
                    cx.error_spanned_by(
                        lit,
                        format!("layer `{}` needs at least one unit", line.key),
                    );
                    None
                }
                Ok(n) => Some(n),
                Err(_) => {
                    cx.error_spanned_by(
                        lit,
                        format!("the width of layer `{}` must fit in `usize`", line.key),
                    );
                    None
                }
            },
            Expr::Unary(ExprUnary { op: UnOp::Neg(_), expr, .. })
                if matches!(&**expr, Expr::Lit(ExprLit { lit: Lit::Int(_), .. })) =>
            {
                cx.error_spanned_by(width, format!("layer `{}` needs at least one unit", line.key));
                None
            }
            other => {
                cx.error_spanned_by(
                    other,
                    "the width of `dense` must be an integer literal, like `dense(8)`",
                );
                None
            }
        },
        _ => {
            cx.error_spanned_by(
                stage,
                "`dense` takes one argument, its number of units, like `dense(8)`",
            );
            None
        }
    }
}

/// A stage after `->`: `tanh`, `leaky_relu(0.01)`.
fn activation(cx: &mut Ctxt, stage: &Stage) -> Option<Activation> {
    let (name, args) = match stage {
        Stage::Call { name, args } => (name, args),
        Stage::Lit { .. } => {
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
            cx.error_spanned_by(first, format!("`{word}` takes no parameters"));
            None
        }
    }
}

/// `cross_entropy` needs a softmax output of width 2 or more; `binary_cross_entropy` needs
/// a sigmoid output. Both take logits internally, so the pairing is what makes them fuse.
fn check_loss_fits_output(cx: &mut Ctxt, loss: &ir::Loss, last: &ir::Layer, lines: &[Line]) {
    let last_line = lines.iter().rev().find(|l| l.key == last.name);
    let last_tokens = last_line.and_then(|l| l.stages.last());
    let mut at_output = |message: String| match last_tokens {
        Some(stage) => cx.error_spanned_by(stage, message),
        None => cx.error_at(loss.span, message),
    };
    match loss.kind {
        LossKind::CrossEntropy => {
            if last.outputs < 2 {
                cx.error_at(
                    loss.span,
                    "`cross_entropy` needs an output of width 2 or more; for one output use `binary_cross_entropy`",
                );
            } else if last.activation != Activation::Softmax {
                at_output(format!(
                    "`cross_entropy` reads the output as class probabilities; end layer `{}` with `-> softmax`",
                    last.name
                ));
            }
        }
        LossKind::BinaryCrossEntropy => {
            if last.activation != Activation::Sigmoid {
                at_output(format!(
                    "`binary_cross_entropy` reads each output as a probability; end layer `{}` with `-> sigmoid`",
                    last.name
                ));
            }
        }
        LossKind::Mse => {}
    }
}

/// Rejects a layer that takes the network past `MAX_PARAMS`: `dense(18446744073709551615)`.
/// Adds its parameters to `total` when it fits.
fn check_parameter_count(cx: &mut Ctxt, line: &Line, layer: &ir::Layer, total: &mut usize) -> bool {
    let layer_params =
        layer.outputs.checked_mul(layer.inputs).and_then(|w| w.checked_add(layer.outputs));
    match layer_params.and_then(|p| total.checked_add(p)).filter(|&t| t <= MAX_PARAMS) {
        Some(t) => {
            *total = t;
            true
        }
        None => {
            cx.error_spanned_by(
                &line.stages[0],
                format!(
                    "layer `{}` makes the network too large to fit in memory: {} x {} weights",
                    line.key, layer.outputs, layer.inputs
                ),
            );
            false
        }
    }
}

/// Moves the largest layers' parameters to the heap until at most `INLINE_PARAMS` scalars
/// remain inline, so that no network struct is larger than 64 KiB.
fn place_parameters(layers: &mut [ir::Layer]) {
    let mut inline: usize = layers.iter().map(ir::Layer::params).sum();
    let mut by_size: Vec<usize> = (0..layers.len()).collect();
    by_size.sort_by_key(|&i| std::cmp::Reverse(layers[i].params()));
    for i in by_size {
        if inline <= INLINE_PARAMS {
            break;
        }
        layers[i].boxed = true;
        inline -= layers[i].params();
    }
}

fn stage_name(stage: &Stage) -> String {
    match stage {
        Stage::Call { name, .. } => name.unraw().to_string(),
        Stage::Lit { .. } => "a literal".into(),
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
