//! Tokens -> the syntax tree of a network block.
//!
//! The grammar, kept deliberately loose so that the checker (not the parser) explains most
//! mistakes, with "did you mean" suggestions and all errors at once:
//!
//! ```text
//! Network := Attribute* Visibility `struct` Ident Generics `{` (Line `,`)* Line? `}`
//! Line    := Attribute* Ident `:` Item (`->` Item)*
//! Item    := Stage (`+` Stage)*
//! Stage   := `-`? Literal (`x` Stage)? | Ident (`(` (Expr `,`)* Expr? `)`)?
//! ```
//!
//! `input: 2`, `loss: mse` and `l2: 1e-4` are lines like any other; every other line is a
//! node of the network whose name is its key. A sum `a + b` is an item of its own so that
//! the checker can say where one may stand (only at the start of a line). A sequence's shape
//! may be written `4 x 10` or `4x10`; the lexer reads the latter as the literal `4` with the
//! suffix `x10`, which the parser splits back into the sequence (every other suffix is left
//! on its literal for the checker to judge).

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::token::Paren;
use syn::{braced, parenthesized, Attribute, Expr, Generics, Ident, Lit, Token, Visibility};

/// `pub struct Name { lines }`.
pub struct NetworkDef {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: Ident,
    pub generics: Generics,
    pub lines: Vec<Line>,
}

/// `key: stage -> stage -> ...`, with the attributes above it (doc comments, carried into the
/// field's docs; the checker rejects any other).
pub struct Line {
    pub attrs: Vec<Attribute>,
    pub key: Ident,
    pub stages: Vec<Stage>,
}

/// One step of a line: a literal (`2`, `-1e-4`), a word (`tanh`, a node's name), a call
/// (`dense(8)`, `concat(a, b)`) or a sum of nodes (`a + b`).
pub enum Stage {
    /// The minus sign is kept apart from the literal so that an error about `-1e-4` covers
    /// both tokens (syn folds it into the literal with the span of the sign alone).
    Lit {
        minus: Option<Token![-]>,
        lit: Lit,
    },
    Call {
        name: Ident,
        args: Option<(Paren, Punctuated<Expr, Token![,]>)>,
    },
    /// Two or more stages joined by `+`.
    Sum(Punctuated<Stage, Token![+]>),
    /// A sequence's shape, `4 x 10`: the width of one step, `x`, the number of steps.
    Sequence {
        width: Box<Stage>,
        by: Ident,
        steps: Box<Stage>,
    },
}

/// A stage prints back as written, so that an error about it covers all of its tokens.
impl ToTokens for Stage {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            Stage::Lit { minus, lit } => {
                minus.to_tokens(tokens);
                lit.to_tokens(tokens);
            }
            Stage::Call { name, args } => {
                name.to_tokens(tokens);
                if let Some((paren, args)) = args {
                    paren.surround(tokens, |tokens| args.to_tokens(tokens));
                }
            }
            Stage::Sum(terms) => terms.to_tokens(tokens),
            Stage::Sequence { width, by, steps } => {
                width.to_tokens(tokens);
                by.to_tokens(tokens);
                steps.to_tokens(tokens);
            }
        }
    }
}

impl Parse for NetworkDef {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        input.parse::<Token![struct]>()?;
        let name: Ident = input.parse()?;
        let generics: Generics = input.parse()?;
        let body;
        braced!(body in input);
        let lines = Punctuated::<Line, Token![,]>::parse_terminated(&body)?;
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the network's closing brace"));
        }
        Ok(NetworkDef { attrs, vis, name, generics, lines: lines.into_iter().collect() })
    }
}

impl Parse for Line {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        if input.peek(Token![,]) {
            return Err(input.error("expected a line, found `,`; remove the extra comma"));
        }
        let key: Ident = input.parse()?;
        input.parse::<Token![:]>()?;
        if input.peek(Token![:]) {
            return Err(input.error("expected a stage, found a second `:`; write one colon"));
        }
        let mut stages = vec![item(input, "after `:`")?];
        loop {
            // A stage is followed by another (`-> tanh`) or by the end of the line, so that a
            // missing comma reads "expected `->` or `,`" at the word after it.
            let lookahead = input.lookahead1();
            if lookahead.peek(Token![->]) {
                input.parse::<Token![->]>()?;
                stages.push(item(input, "after `->`")?);
            } else if input.is_empty() || lookahead.peek(Token![,]) {
                return Ok(Line { attrs, key, stages });
            } else if input.peek(Ident) && input.peek2(Token![:]) {
                // `input: 2 hidden: dense(8)`: the next line, after a missing comma.
                let next: Ident = input.fork().parse()?;
                return Err(syn::Error::new(
                    next.span(),
                    format!("expected `,` before line `{next}`; each line ends with a comma"),
                ));
            } else {
                let last = stages.last().expect("a line has a first stage");
                return Err(slip(input, last).unwrap_or_else(|| lookahead.error()));
            }
        }
    }
}

/// The punctuation slip a line's unexpected token most likely is: `=>` for `->`, `;` for
/// `,`, `dense 8` or `dense[8]` for `dense(8)`, `4 * 10` for `4 x 10`.
fn slip(input: ParseStream, last: &Stage) -> Option<syn::Error> {
    if input.peek(Token![=>]) {
        let arrow = input.fork().parse::<Token![=>]>().ok()?;
        return Some(syn::Error::new_spanned(arrow, "expected `->`, found `=>`"));
    }
    let message = if input.peek(Token![;]) {
        "expected `,`, found `;`; lines end with commas".to_string()
    } else if input.peek(Token![*]) && matches!(last, Stage::Lit { .. }) {
        "expected `->` or `,`, found `*`; a sequence is written with the letter `x`, like `4 x 10`"
            .to_string()
    } else if let Stage::Call { name, args: None } = last {
        if input.peek(Lit) || input.peek(syn::token::Bracket) {
            format!("expected `->` or `,`; `{name}` takes its arguments in parentheses, like `{name}(8)`")
        } else if input.peek(Ident) {
            "expected `->` or `,`; stages of a line are joined by `->`".to_string()
        } else {
            return None;
        }
    } else if input.peek(Ident) || input.peek(Lit) {
        "expected `->` or `,`; stages of a line are joined by `->`".to_string()
    } else {
        return None;
    };
    Some(input.error(message))
}

/// A stage, or several joined by `+` into a sum; `after` says where it stands, for the error
/// when there is none (`after `->``).
fn item(input: ParseStream, after: &str) -> syn::Result<Stage> {
    let first = stage(input, after)?;
    if !input.peek(Token![+]) {
        return Ok(first);
    }
    let mut terms = Punctuated::new();
    terms.push_value(first);
    while input.peek(Token![+]) {
        terms.push_punct(input.parse()?);
        terms.push_value(stage(input, "after `+`")?);
    }
    Ok(Stage::Sum(terms))
}

/// A stage, with an error that says what was expected `after` what when there is none:
/// `dense(8) -> -> tanh`, `tanh ->,`, `s: a + ,`.
fn stage(input: ParseStream, after: &str) -> syn::Result<Stage> {
    if input.peek(Lit) || input.peek(Ident) {
        return input.parse();
    }
    let what = if after.contains('+') {
        "a node's name"
    } else {
        "a layer, an activation, a node's name or a number"
    };
    if let Ok(arrow) = input.fork().parse::<Token![->]>() {
        let message = format!("expected {what} {after}, found a second `->`");
        return Err(syn::Error::new_spanned(arrow, message));
    }
    let found = if input.is_empty() {
        "the end of the line".to_string()
    } else if input.peek(Token![+]) {
        "`+`".to_string()
    } else if input.peek(Token![,]) {
        "`,`".to_string()
    } else {
        match input.fork().parse::<proc_macro2::TokenTree>() {
            Ok(token) => format!("`{token}`"),
            Err(_) => "the end of the line".to_string(),
        }
    };
    Err(input.error(format!("expected {what} {after}, found {found}")))
}

impl Parse for Stage {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let lookahead = input.lookahead1();
        // `true` and `false`, which are not literal tokens, for the checker to judge.
        if input.peek(syn::LitBool) {
            let lit: syn::LitBool = input.parse()?;
            return Ok(Stage::Lit { minus: None, lit: Lit::Bool(lit) });
        }
        // `Lit` peeks a literal with or without one leading minus sign.
        if lookahead.peek(Lit) {
            let minus = input.parse()?;
            let lit: proc_macro2::Literal = input.parse()?;
            if let Some(sequence) = glued_sequence(input, minus, &lit)? {
                return Ok(sequence);
            }
            let stage = Stage::Lit { minus, lit: Lit::new(lit) };
            // `4 x 10`: a sequence of 10 steps of width 4.
            if input.peek(Ident) && input.fork().parse::<Ident>().is_ok_and(|i| i == "x") {
                let by: Ident = input.parse()?;
                let steps: Stage = input.parse()?;
                return Ok(Stage::Sequence { width: Box::new(stage), by, steps: Box::new(steps) });
            }
            // `4 x10`: the lexer reads the word `x10`.
            if let Some(steps) = input.fork().parse::<Ident>().ok().and_then(|i| steps_of(&i)) {
                let word: Ident = input.parse()?;
                let by = Ident::new("x", word.span());
                let steps = Stage::Lit { minus: None, lit: steps };
                return Ok(Stage::Sequence { width: Box::new(stage), by, steps: Box::new(steps) });
            }
            return Ok(stage);
        }
        if !lookahead.peek(Ident) {
            return Err(lookahead.error());
        }
        let name: Ident = input.parse()?;
        let args = if input.peek(Paren) {
            let content;
            let paren = parenthesized!(content in input);
            Some((paren, Punctuated::parse_terminated(&content)?))
        } else {
            None
        };
        Ok(Stage::Call { name, args })
    }
}

/// `4x10` and `4x 10`, which the lexer reads as the literal `4` with the suffix `x10` or `x`:
/// the sequence they mean, its parts spanning the literal. `None` for any other literal.
fn glued_sequence(
    input: ParseStream,
    minus: Option<Token![-]>,
    lit: &proc_macro2::Literal,
) -> syn::Result<Option<Stage>> {
    let Lit::Int(int) = Lit::new(lit.clone()) else {
        return Ok(None);
    };
    let Some(rest) = int.suffix().strip_prefix('x') else {
        return Ok(None);
    };
    let span = lit.span();
    let width = Stage::Lit { minus, lit: Lit::Int(syn::LitInt::new(int.base10_digits(), span)) };
    let by = Ident::new("x", span);
    let steps = if rest.is_empty() {
        // `4x 10`: the steps are the next stage.
        input.parse()?
    } else if rest.bytes().all(|b| b.is_ascii_digit()) {
        Stage::Lit { minus: None, lit: Lit::Int(syn::LitInt::new(rest, span)) }
    } else {
        return Ok(None);
    };
    Ok(Some(Stage::Sequence { width: Box::new(width), by, steps: Box::new(steps) }))
}

/// The steps of a word `x10` (as in `4 x10`), as a literal at the word.
fn steps_of(word: &Ident) -> Option<syn::Lit> {
    let digits = word.to_string().strip_prefix('x').map(str::to_owned)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(Lit::Int(syn::LitInt::new(&digits, word.span())))
}
