//! The pipeline, top to bottom: parse, check, generate.

use proc_macro2::{Literal, TokenStream};
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

/// The declared struct with no layers, and its constructors; when the block still shows its
/// input and output widths, the rest of the API too, so that code calling `forward` or
/// `loss_and_grad` on a network with a mistake sees only that mistake.
fn fallback(def: &NetworkDef) -> TokenStream {
    let NetworkDef { vis, name, .. } = def;
    let api = check::declared_widths(def).map(|(inputs, outputs)| {
        let (i, o) = (Literal::usize_unsuffixed(inputs), Literal::usize_unsuffixed(outputs));
        let x = quote!(::nn::__private::SVector<T, #i>);
        let y = quote!(::nn::__private::SVector<T, #o>);
        let xs = quote!(::nn::__private::SMatrix<T, #i, B>);
        let ys = quote!(::nn::__private::SMatrix<T, #o, B>);
        quote! {
            /// Stub: the network has errors.
            #vis fn forward(&self, _x: &#x) -> #y {
                ::core::unreachable!()
            }

            /// Stub: the network has errors.
            #vis fn forward_batch<const B: usize>(&self, _xs: &#xs) -> #ys {
                ::core::unreachable!()
            }

            /// Stub: the network has errors.
            #vis fn loss(&self, _x: &#x, _target: &#y) -> T {
                ::core::unreachable!()
            }

            /// Stub: the network has errors.
            #vis fn loss_batch<const B: usize>(&self, _xs: &#xs, _targets: &#ys) -> T {
                ::core::unreachable!()
            }

            /// Stub: the network has errors.
            #vis fn loss_and_grad(&self, _x: &#x, _target: &#y) -> (T, Self) {
                ::core::unreachable!()
            }

            /// Stub: the network has errors.
            #vis fn loss_and_grad_batch<const B: usize>(&self, _xs: &#xs, _targets: &#ys) -> (T, Self) {
                ::core::unreachable!()
            }

            /// Stub: the network has errors.
            #vis fn loss_and_grad_batch_parallel<const B: usize>(&self, _xs: &#xs, _targets: &#ys) -> (T, Self) {
                ::core::unreachable!()
            }

            /// Stub: the network has errors.
            #vis fn loss_and_grad_batch_parallel_into<const B: usize>(&self, _xs: &#xs, _targets: &#ys, _grad: &mut Self, _spare: &mut Self) -> T {
                ::core::unreachable!()
            }

            /// Stub: the network has errors.
            #vis fn loss_and_grad_into(&self, _x: &#x, _target: &#y, _grad: &mut Self) -> T {
                ::core::unreachable!()
            }

            /// Stub: the network has errors.
            #vis fn loss_and_grad_batch_into<const B: usize>(&self, _xs: &#xs, _targets: &#ys, _grad: &mut Self) -> T {
                ::core::unreachable!()
            }

            /// Stub: the network has errors.
            #vis fn jvp(&self, _x: &#x, _v: &#x) -> (#y, #y) {
                ::core::unreachable!()
            }

            /// Stub: the network has errors.
            #vis fn vjp(&self, _x: &#x, _u: &#y) -> #x {
                ::core::unreachable!()
            }

            /// Stub: the network has errors.
            #vis fn loss_and_grad_input(&self, _x: &#x, _target: &#y) -> (T, Self, #x) {
                ::core::unreachable!()
            }

            /// Stub: the network has errors.
            #vis fn forward_training<R: ?Sized>(&self, _x: &#x, _rng: &mut R) -> #y {
                ::core::unreachable!()
            }

            /// Stub: the network has errors.
            #vis fn loss_training<R: ?Sized>(&self, _x: &#x, _target: &#y, _rng: &mut R) -> T {
                ::core::unreachable!()
            }

            /// Stub: the network has errors.
            #vis fn loss_and_grad_training<R: ?Sized>(&self, _x: &#x, _target: &#y, _rng: &mut R) -> (T, Self) {
                ::core::unreachable!()
            }

            /// Stub: the network has errors.
            #vis fn loss_and_grad_batch_training<const B: usize, R: ?Sized>(&self, _xs: &#xs, _targets: &#ys, _rng: &mut R) -> (T, Self) {
                ::core::unreachable!()
            }
        }
    });
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

            #api
        }
    }
}
