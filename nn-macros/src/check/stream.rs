//! `stream: NetState`: the rules of a network that runs one step of its sequence at a time.
//!
//! A network can stream when what `forward` returns on the sequence cut at step `t` depends
//! only on the steps up to `t` through state of a fixed size: its input is a sequence, only
//! recurrent layers read that sequence (or the states of an `_sequence` layer), and every
//! other line reads the last state of a recurrent layer or lines that do. Such a network
//! declared over `t` steps has the same parameters as over `S`, and its output is what
//! `step` returns after `t` steps.

use super::*;

/// The state type's name in `stream: NetState`; rejects `stream: true`, `stream: 1`,
/// `stream: Net` (the network's own name) and `stream: T`.
pub(super) fn state_name(cx: &mut Ctxt, def: &NetworkDef, line: &Line) -> Option<Ident> {
    let name = match line.stages.as_slice() {
        [Stage::Call { name, args: None }] => name,
        _ => {
            cx.error_spanned_by(
                &line.stages[0],
                format!(
                    "`stream` names the state type of the streaming call `step`, like `stream: {}State`",
                    def.name
                ),
            );
            return None;
        }
    };
    if *name == def.name || GENERIC_PARAMETERS.iter().any(|p| name == p) {
        cx.error_spanned_by(
            name,
            format!(
                "the state type cannot be named `{name}`, the name of the network or of a generic parameter; name it like `{}State`",
                def.name
            ),
        );
        return None;
    }
    Some(name.clone())
}

/// Rejects `stream:` on a network that cannot run step by step: one whose input is not a
/// sequence (`input: 4, stream: S`), or where a line other than a recurrent layer reads the
/// whole sequence or every state of an `_sequence` layer
/// (`states: rnn_sequence(4), out: dense(1), stream: S`).
pub(super) fn check_stream(
    cx: &mut Ctxt,
    net: &Ident,
    line: &Line,
    sequence: Option<(usize, usize)>,
    nodes: &[ir::Node],
) -> bool {
    let at = &line.stages[0];
    if sequence.is_none() {
        cx.error_spanned_by(
            at,
            format!(
                "network `{net}` cannot stream: its input is not a sequence; `step` reads one step of a sequence declared like `input: 1 x 64`"
            ),
        );
        return false;
    }
    let every_step = |source: Source| match source {
        Source::Input => Some("the input sequence".to_string()),
        Source::Node(k) => nodes[k]
            .recurrence()
            .filter(|r| r.every)
            .map(|r| format!("every state of `{}`, an `{}`,", nodes[k].name, r.cell.kind(true))),
    };
    for node in nodes.iter().filter(|n| n.recurrence().is_none()) {
        if let Some(what) = node.combine.sources().iter().find_map(|&s| every_step(s)) {
            cx.error_spanned_by(
                at,
                format!(
                    "network `{net}` cannot stream: line `{}` reads {what} at once, so its output depends on the number of steps; only recurrent layers may read a sequence, and other lines the last state (`rnn`, `lstm`, `gru`)",
                    node.name
                ),
            );
            return false;
        }
    }
    true
}
