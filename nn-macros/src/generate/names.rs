//! What every pass shares: the names of generated identifiers, and the types and literals
//! they are written with.
//!
//! # Hygiene
//!
//! Generated code binds two kinds of local names, and neither can meet a name of the user's:
//!
//! - **The generator's own words** (`x`, `d`, `grad`, `scale`, `trace`, `t_a`, ...) are
//!   written at `Span::mixed_site()`, through [`q!`] and [`fixed`]: like the locals of a
//!   `macro_rules!` macro, they resolve only among themselves, whatever the user's names.
//! - **A line's intermediates** are `<line>_<role>` (`hidden_z`, `hidden_d`), spanned at the
//!   line's name. Their roles ([`ROLES`]) are words without `_`, so splitting such a name at
//!   its last `_` gives back the line and the role: two different lines or roles never give
//!   the same name, and no word of the generator can resolve to one of them (they live in
//!   another hygiene context).
//!
//! Items the generator adds beside the user's struct (the trace struct, the helper trait)
//! live inside an anonymous `const _: () = { ... };`, where the only name of the user's in
//! scope is the network's own, which their names (`__<Net>Trace`) cannot equal.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote_spanned};
use syn::ext::IdentExt;
use syn::Ident;

use crate::ir::{Combine, Network, Node, Source};

/// Writes tokens like `quote!`, with every token it writes itself at `Span::mixed_site()`
/// (see the module docs); interpolated tokens keep their own spans.
macro_rules! q {
    ($($tokens:tt)*) => {
        ::quote::quote_spanned!(::proc_macro2::Span::mixed_site()=> $($tokens)*)
    };
}
pub(crate) use q;

/// A word of the generator's own, at `Span::mixed_site()`: `fixed("t_a")`.
pub(super) fn fixed(word: &str) -> Ident {
    Ident::new(word, Span::mixed_site())
}

/// The roles of a line's intermediates, `<line>_<role>`: none contains `_`, so the role is
/// what follows a name's last `_`, and different lines or roles give different names.
///
/// - `in`: the gathered input of a layer that reads a sum or a concatenation;
/// - `h`: a maxout layer's pieces (in the batched passes, a gated layer's step product
///   `W_hh h_{t-1}`); `z`: the pre-activation; `a`: the activation;
/// - `m`: the dropout mask; `y`: the output after dropout;
/// - `sz`, `sa`: a recurrent layer's pre-activations and states, a column per step;
/// - `sx`, `sd`: in the batched passes, a recurrent layer's input regrouped step by step, and
///   the error terms of its pre-activations (a gated layer's gate rows) at every step;
/// - `sg`, `sc`: a gated layer's gates and memory (LSTM cell state, GRU `W_hn h + b_hn`);
/// - `ahat`, `xa`: a graph convolution's normalised adjacency and its mixed inputs;
/// - `d`: the gradient of the loss with respect to the node's output (the backward passes);
/// - `t`: the node's tangent (forward mode).
pub const ROLES: &[&str] =
    &["in", "h", "z", "a", "m", "y", "sz", "sa", "sx", "sd", "sg", "sc", "ahat", "xa", "d", "t"];

/// `<line>_<role>`, spanned at the line's name; a raw name loses its `r#` (`r#type` gives
/// `type_z`).
pub(super) fn derived(line: &Ident, role: &str) -> Ident {
    debug_assert!(ROLES.contains(&role));
    format_ident!("{}_{}", line, role, span = line.span())
}

/// The names of a node's intermediates in the forward pass, one per role (see [`ROLES`]);
/// [`d_name`] and [`tangent_name`] give its gradient and its tangent.
pub(super) struct Names {
    pub sz: Ident,
    pub sa: Ident,
    pub sx: Ident,
    pub sd: Ident,
    pub sg: Ident,
    pub sc: Ident,
    pub ahat: Ident,
    pub xa: Ident,
    pub input: Ident,
    pub h: Ident,
    pub z: Ident,
    pub a: Ident,
    pub m: Ident,
    pub y: Ident,
}

impl Names {
    pub fn of(node: &Node) -> Names {
        let name = &node.name;
        Names {
            sz: derived(name, "sz"),
            sa: derived(name, "sa"),
            sx: derived(name, "sx"),
            sd: derived(name, "sd"),
            sg: derived(name, "sg"),
            sc: derived(name, "sc"),
            ahat: derived(name, "ahat"),
            xa: derived(name, "xa"),
            input: derived(name, "in"),
            h: derived(name, "h"),
            z: derived(name, "z"),
            a: derived(name, "a"),
            m: derived(name, "m"),
            y: derived(name, "y"),
        }
    }
}

/// `<line>_d`, the accumulator of the gradient with respect to a node's output.
pub(super) fn d_name(node: &Node) -> Ident {
    derived(&node.name, "d")
}

/// `<line>_t`, a node's tangent.
pub(super) fn tangent_name(node: &Node) -> Ident {
    derived(&node.name, "t")
}

/// `__<Net>Trace`, the struct of one sample's intermediates: inside the expansion's anonymous
/// `const`, where the only name of the user's is the network's, which this one cannot equal.
pub(super) fn trace_name(net: &Network) -> Ident {
    format_ident!("__{}Trace", net.name, span = Span::mixed_site())
}

/// `__<Net>Passes`, the private trait of the helpers the API shares, named like the trace.
pub(super) fn passes_name(net: &Network) -> Ident {
    format_ident!("__{}Passes", net.name, span = Span::mixed_site())
}

/// `<Self as __XorPasses<T>>`, the full path by which the API calls its helpers.
pub(super) fn passes(net: &Network) -> TokenStream {
    let passes = passes_name(net);
    q!(<Self as #passes<T>>)
}

/// The name of a node's output: `y` after dropout, `a` otherwise.
pub(super) fn output_of(node: &Node) -> Ident {
    let names = Names::of(node);
    if node.dropout.is_some() {
        names.y
    } else {
        names.a
    }
}

/// Whether the trace keeps a node's gathered input apart: for the weight gradient of a layer
/// that reads a sum or a concatenation.
pub(super) fn stores_input(node: &Node) -> bool {
    node.linear.is_some() && !matches!(node.combine, Combine::Read(_))
}

/// A reference to what `source` computed, inside the `trace` helper: `x` or `&hidden_a`.
pub(super) fn value(net: &Network, source: Source) -> TokenStream {
    match source {
        Source::Input => q!(x),
        Source::Node(i) => {
            let out = output_of(&net.nodes[i]);
            q!(&#out)
        }
    }
}

/// A reference to a node's gathered input, inside the `backprop` helper: `x`,
/// `&trace.hidden_a` or `&trace.s_in`.
pub(super) fn gathered_input(net: &Network, node: &Node) -> TokenStream {
    match node.combine {
        Combine::Read(Source::Input) => q!(x),
        Combine::Read(Source::Node(i)) => {
            let out = output_of(&net.nodes[i]);
            q!(&trace.#out)
        }
        Combine::Sum(_) | Combine::Concat(_) => {
            let input = Names::of(node).input;
            q!(&trace.#input)
        }
    }
}

pub(super) fn source_name(net: &Network, source: Source) -> String {
    match source {
        Source::Input => "input".into(),
        Source::Node(i) => net.nodes[i].name.unraw().to_string(),
    }
}

/// `T: ::nn::Float`, spanned at the network's name so that an unsupported scalar's error
/// notes point there rather than at the whole block.
pub(super) fn scalar_bound(net: &Network) -> TokenStream {
    quote_spanned!(net.name.span()=> T: ::nn::Float)
}

/// The nodes with parameters, which are the struct's fields.
pub(super) fn layers(net: &Network) -> impl Iterator<Item = &Node> {
    net.nodes.iter().filter(|n| n.linear.is_some())
}

/// `::nn::Dense<T, 8, 2>`, with the activation's parameter count when it has some.
pub(super) fn layer_type(node: &Node) -> TokenStream {
    let (rows, boxed) = node.linear.as_ref().map_or((0, false), |l| (l.rows, l.boxed));
    if let Some(r) = node.recurrence() {
        if r.cell.gated() {
            return super::gated::layer_type(node);
        }
        let (o, i) = (n(rows), n(r.width));
        return q!(::nn::Recurrent<T, #o, #i>);
    }
    if let Some((_, features)) = node.graph() {
        let (o, i) = (n(rows), n(features));
        return q!(::nn::Dense<T, #o, #i>);
    }
    let (o, i) = (n(rows), n(node.inputs));
    let ty = if boxed { q!(::nn::BoxedDense) } else { q!(::nn::Dense) };
    match node.activation_params() {
        0 => q!(#ty<T, #o, #i>),
        count => {
            let count = n(count);
            q!(#ty<T, #o, #i, #count>)
        }
    }
}

/// `1 input`, `2 inputs`.
pub(super) fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// A width as an unsuffixed literal: `8`, not `8usize`.
pub(super) fn n(value: usize) -> Literal {
    Literal::usize_unsuffixed(value)
}

pub(super) fn vector(len: usize) -> TokenStream {
    let len = n(len);
    q!(::nn::__private::SVector<T, #len>)
}

pub(super) fn matrix(rows: usize, cols: usize) -> TokenStream {
    let (rows, cols) = (n(rows), n(cols));
    q!(::nn::__private::SMatrix<T, #rows, #cols>)
}

pub(super) fn matrix_b(rows: usize) -> TokenStream {
    let rows = n(rows);
    q!(::nn::__private::SMatrix<T, #rows, B>)
}
