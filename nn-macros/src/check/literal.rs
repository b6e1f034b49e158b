//! Literals: integer suffixes, widths, and numbers that must be finite.

use super::*;

/// Integer types whose suffix an integer literal may carry, `8usize`, with their largest
/// values: the literal is accepted when its value fits the type.
pub(super) const INTEGER_SUFFIXES: &[(&str, u128)] = &[
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
pub(super) fn check_suffix(lit: &Lit) -> Result<(), String> {
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
pub(super) fn integer(lit: &syn::LitInt) -> Result<Option<usize>, String> {
    check_suffix(&Lit::Int(lit.clone()))?;
    Ok(lit.base10_parse::<usize>().ok())
}

/// Why a hyper-parameter is not a number the network can use.
pub(super) enum NotANumber {
    /// Not a number literal at all: `leaky_relu(a)`.
    Expression,
    /// A literal with a suffix it may not have, and the message saying so.
    Suffix(String),
    /// `1e999`, which is infinite in `f64`: the literal as written.
    Infinite(String),
}

/// A number literal, integer or float, possibly negated: `0.01`, `-1.5`, `2`.
pub(super) fn expr_number(expr: &Expr) -> Result<f64, NotANumber> {
    match expr {
        Expr::Lit(ExprLit { lit, .. }) => number(lit),
        Expr::Unary(ExprUnary { op: UnOp::Neg(_), expr, .. }) => expr_number(expr).map(|v| -v),
        Expr::Paren(p) => expr_number(&p.expr),
        Expr::Group(g) => expr_number(&g.expr),
        _ => Err(NotANumber::Expression),
    }
}

/// A literal's value as a finite `f64`.
pub(super) fn number(lit: &Lit) -> Result<f64, NotANumber> {
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
pub(super) fn report_number(
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
