//! Rules of the output line and the loss it feeds, and the size bound of every line.

use super::*;

/// Rejects a recurrent output line: the losses read a layer's output, and a recurrent layer's
/// activation is applied inside its loop over the steps.
pub(super) fn check_output_not_recurrent(cx: &mut Ctxt, output: &ir::Node, line: &Line) {
    if output.recurrence().is_some() {
        let stage = line.stages.iter().find(
            |s| matches!(s, Stage::Call { name, .. } if RECURRENT_KINDS.iter().any(|r| name == r.0)),
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
pub(super) fn check_output_without_dropout(cx: &mut Ctxt, output: &ir::Node, line: &Line) {
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
pub(super) fn check_loss_fits_output(
    cx: &mut Ctxt,
    loss: &ir::Loss,
    output: &ir::Node,
    line: &Line,
) {
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
pub(super) fn check_size(cx: &mut Ctxt, line: &Line, node: &ir::Node, total: &mut usize) -> bool {
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
    // Both factors are at most `MAX_WIDTH`, so this cannot overflow; a recurrent layer has
    // PyTorch's four tensors, each `gates` blocks of rows (`Node::params`).
    let params = if linear.recurrent.is_some() {
        node.params()
    } else {
        linear.rows * inputs + linear.rows + node.activation_params()
    };
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
