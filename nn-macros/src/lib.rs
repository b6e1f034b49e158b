//! The `network!` compiler of the `nn` crate.
//!
//! A small compiler with one job per module, in the order data flows: `parse` reads the
//! tokens into a syntax tree, `check` turns it into a typed graph (`ir`) with every width
//! known and every rule enforced, collecting all errors in `ctxt`, and `generate` writes the
//! Rust. `expand` runs the pipeline. Users depend on `nn`, which re-exports the macro.

#![warn(missing_docs)]

mod bake;
mod check;
mod ctxt;
mod expand;
mod generate;
mod ir;
#[cfg(feature = "onnx")]
mod onnx;
#[cfg(feature = "onnx")]
#[allow(missing_docs, clippy::all, clippy::pedantic)]
#[rustfmt::skip]
mod onnx_proto;
mod parse;
mod suggest;
#[cfg(test)]
mod tests;

/// Compiles a declarative network description into statically sized Rust.
///
/// See the `nn` crate's documentation for the language and the generated API.
#[proc_macro]
pub fn network(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    expand::network(input.into()).into()
}

/// Compiles an ONNX model into the equivalent `network!`, its weights baked into
/// `Name::<f32>::BAKED` and `Name::<f64>::BAKED`: `onnx_network!("model.onnx", pub struct Name)`.
///
/// See the `nn` crate's `onnx` module for the operators it reads.
#[cfg(feature = "onnx")]
#[proc_macro]
pub fn onnx_network(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    onnx::onnx_network(input.into()).into()
}
