//! The pipeline, top to bottom: parse, check, generate.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ctxt::Ctxt;
use crate::parse::NetworkDef;
use crate::{check, generate};

/// Expands one `network!` block. Never panics: every failure is a `compile_error!` at the
/// tokens it is about, followed by a stub of the declared struct so that code using it does
/// not drown the real error in "cannot find type" errors.
pub fn network(input: TokenStream) -> TokenStream {
    let def: NetworkDef = match syn::parse2(input) {
        Ok(def) => def,
        Err(error) => return error.to_compile_error(),
    };
    let mut cx = Ctxt::default();
    let net = check::network(&mut cx, &def);
    match (cx.check(), net) {
        (Ok(()), Some(net)) => generate::network(&net),
        (Err(errors), _) => {
            let mut out = errors.to_compile_error();
            out.extend(fallback(&def));
            out
        }
        (Ok(()), None) => {
            let error = syn::Error::new_spanned(&def.name, "this network could not be checked");
            let mut out = error.to_compile_error();
            out.extend(fallback(&def));
            out
        }
    }
}

/// The declared struct with no layers, and its constructors.
fn fallback(def: &NetworkDef) -> TokenStream {
    let NetworkDef { vis, name, .. } = def;
    quote! {
        #vis struct #name<T = f32>(::core::marker::PhantomData<T>);

        impl<T> #name<T> {
            /// Stub: the network has errors.
            #vis fn seeded(_seed: u64) -> Self {
                Self(::core::marker::PhantomData)
            }

            /// Stub: the network has errors.
            #vis fn new<R: ?Sized>(_rng: &mut R) -> Self {
                Self(::core::marker::PhantomData)
            }
        }
    }
}
