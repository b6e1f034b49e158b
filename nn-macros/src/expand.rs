//! The pipeline, top to bottom: parse, check, generate.

use proc_macro2::{Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::{quote, ToTokens};
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Token, Visibility};

use crate::bake;
use crate::check::{self, Widths};
use crate::ctxt::Ctxt;
use crate::generate;
use crate::parse::{Line, NetworkDef};

/// Expands one `network!` block. Never panics: every failure is a `compile_error!` at the
/// tokens it is about, followed by a stub of the declared struct with the whole API, so that
/// code using the network sees only the mistake and not errors that follow from it.
pub fn network(input: TokenStream) -> TokenStream {
    let def: NetworkDef = match syn::parse2(input.clone()) {
        Ok(def) => def,
        Err(error) => {
            let mut out = error.to_compile_error();
            // A block that does not parse still declares its struct if its head parses.
            if let Ok(head) = syn::parse2::<Head>(input) {
                out.extend(fallback(&head.def.vis, &head.def.name, head.widths()));
                out.extend(stream_fallback(&head.def));
            }
            return out;
        }
    };
    // `weights: "file.safetensors"` (or `pytorch("..")`) is read after the network is checked; the checker never
    // sees it, so that it stays free to name a layer `weights`.
    let (lines, weights): (Vec<Line>, Vec<Line>) =
        def.lines.into_iter().partition(|line| bake::weights_of(line).is_none());
    let def = NetworkDef { lines, ..def };
    let weights: Vec<bake::Weights> = weights.iter().filter_map(bake::weights_of).collect();
    let mut cx = Ctxt::default();
    bake::check_once(&mut cx, &weights);
    let (net, widths) = check::network(&mut cx, &def);
    match (cx.check(), net) {
        (Ok(()), Some(net)) => {
            let mut out = generate::network(&net);
            if let Some(file) = weights.first() {
                let (constants, read) = bake::baked(&net, file);
                if let Err(errors) = read {
                    out.extend(errors.to_compile_error());
                }
                out.extend(constants);
            }
            out
        }
        (Err(errors), _) => {
            let mut out = errors.to_compile_error();
            out.extend(fallback(&def.vis, &def.name, widths));
            out.extend(stream_fallback(&def));
            out
        }
        (Ok(()), None) => {
            let error = syn::Error::new_spanned(&def.name, "this network could not be checked");
            let mut out = error.to_compile_error();
            out.extend(fallback(&def.vis, &def.name, widths));
            out.extend(stream_fallback(&def));
            out
        }
    }
}

/// For a block with errors and a `stream: NetState` line, stubs of the state type and of
/// `step` (generic over the widths), so that streaming code sees only the mistake.
///
/// Expands to `struct NetState<T = f32>(PhantomData<T>); impl<T> NetState<T> { fn new() ..
/// fn reset(&mut self) .. } impl<T> Net<T> { fn step<const I: usize, const O: usize>(..) }`.
fn stream_fallback(def: &NetworkDef) -> TokenStream {
    let state = def.lines.iter().find_map(|l| match &l.stages[..] {
        [crate::parse::Stage::Call { name, args: None }] if l.key == "stream" => Some(name),
        _ => None,
    });
    let Some(state) = state else {
        return TokenStream::new();
    };
    let blocked = |ident: &Ident| crate::check::GENERIC_PARAMETERS.iter().any(|p| ident == p);
    if *state == def.name || blocked(state) || blocked(&def.name) {
        return TokenStream::new();
    }
    let (vis, name) = (&def.vis, &def.name);
    let stub = quote!(::core::unreachable!("the network has compile errors"));
    quote! {
        /// Stub: the network has errors.
        #[derive(Clone, Debug, PartialEq)]
        #vis struct #state<T = f32>(::core::marker::PhantomData<T>);

        impl<T> #state<T> {
            /// Stub: the network has errors.
            #vis fn new() -> Self {
                Self(::core::marker::PhantomData)
            }

            /// Stub: the network has errors.
            #vis fn reset(&mut self) {}
        }

        impl<T> ::core::default::Default for #state<T> {
            fn default() -> Self {
                Self(::core::marker::PhantomData)
            }
        }

        impl<T> #name<T> {
            /// Stub: the network has errors.
            #vis fn step<const I: usize, const O: usize>(&self, _state: &mut #state<T>, _x: &::nn::__private::SVector<T, I>) -> ::nn::__private::SVector<T, O> {
                #stub
            }
        }
    }
}

/// A block that does not parse, read as far as it can be: its head, `pub struct Name`, and
/// the lines between its commas that parse on their own (a missing comma loses the two lines
/// it joins, a stray token the line it is in).
struct Head {
    def: NetworkDef,
}

impl Head {
    /// The widths the lines that parse still show.
    fn widths(&self) -> Widths {
        check::network(&mut Ctxt::default(), &self.def).1
    }
}

impl Parse for Head {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        input.parse::<Token![struct]>()?;
        let name = input.parse()?;
        let generics = input.parse()?;
        let mut lines = Vec::new();
        if let Ok(body) = input.parse::<proc_macro2::Group>() {
            let mut chunk = TokenStream::new();
            for token in body.stream().into_iter().chain([Punct::new(',', Spacing::Alone).into()]) {
                match &token {
                    TokenTree::Punct(p) if p.as_char() == ',' => {
                        lines.extend(syn::parse2::<Line>(std::mem::take(&mut chunk)));
                    }
                    _ => chunk.extend([token]),
                }
            }
        }
        input.parse::<TokenStream>()?;
        Ok(Head { def: NetworkDef { attrs, vis, name, generics, lines } })
    }
}

/// The declared struct with no layers and the whole generated API: the inherent methods,
/// `nn::Network`, `nn::Model` and `nn::architecture::Described` (no lines), each body
/// unreachable. A width the block still shows is
/// kept (`SVector<T, 2>`); one it does not becomes a const parameter of each method, so that
/// any call type-checks and the user sees only the mistake in the block.
///
/// Expands to `struct Name<T = f32>(PhantomData<T>); impl<T> Name<T> { fn seeded(..) ..
/// fn forward<const I: usize>(&self, _x: &SVector<T, I>) -> SVector<T, 1> { unreachable!() } .. }`.
pub(crate) fn fallback(vis: &Visibility, name: &Ident, widths: Widths) -> TokenStream {
    // A stub named like its own generic parameter would not compile; the error says to rename.
    if crate::check::GENERIC_PARAMETERS.iter().any(|p| name == p) {
        return TokenStream::new();
    }
    // A known width, or the const parameter standing for it.
    let width = |known: Option<usize>, parameter: &str| match known {
        Some(n) => (Literal::usize_unsuffixed(n).into_token_stream(), None),
        None => {
            let ident = Ident::new(parameter, Span::mixed_site());
            (ident.to_token_stream(), Some(quote!(const #ident: usize)))
        }
    };
    let (i, i_param) = width(widths.inputs, "I");
    let (o, o_param) = width(widths.outputs, "O");
    let params = [i_param.clone(), o_param.clone()];
    let params: Vec<&TokenStream> = params.iter().flatten().collect();
    let x = quote!(::nn::__private::SVector<T, #i>);
    let y = quote!(::nn::__private::SVector<T, #o>);
    let xs = quote!(::nn::__private::SMatrix<T, #i, B>);
    let ys = quote!(::nn::__private::SMatrix<T, #o, B>);
    let r = quote!(R: ::nn::rand::Rng + ?Sized);
    let stub = quote!(::core::unreachable!("the network has compile errors"));
    let name_text = name.to_string();
    quote! {
        /// Stub: the network has errors.
        #[derive(Clone, Debug, PartialEq)]
        #vis struct #name<T = f32>(::core::marker::PhantomData<T>);

        impl<T> #name<T> {
            /// Stub: the network has errors.
            #vis fn seeded(_seed: u64) -> Self {
                Self(::core::marker::PhantomData)
            }

            /// Stub: the network has errors.
            #vis fn new<#r>(_rng: &mut R) -> Self {
                Self(::core::marker::PhantomData)
            }

            /// Stub: the network has errors.
            #vis fn forward<#(#params),*>(&self, _x: &#x) -> #y {
                #stub
            }

            /// Stub: the network has errors.
            #vis fn forward_training<#(#params,)* #r>(&self, _x: &#x, _rng: &mut R) -> #y {
                #stub
            }

            /// Stub: the network has errors.
            #vis fn forward_batch<#(#params,)* const B: usize>(&self, _xs: &#xs) -> #ys {
                #stub
            }

            /// Stub: the network has errors.
            #vis fn loss<#(#params),*>(&self, _x: &#x, _target: &#y) -> T {
                #stub
            }

            /// Stub: the network has errors.
            #vis fn loss_training<#(#params,)* #r>(&self, _x: &#x, _target: &#y, _rng: &mut R) -> T {
                #stub
            }

            /// Stub: the network has errors.
            #vis fn loss_batch<#(#params,)* const B: usize>(&self, _xs: &#xs, _targets: &#ys) -> T {
                #stub
            }

            /// Stub: the network has errors.
            #vis fn loss_and_grad<#(#params),*>(&self, _x: &#x, _target: &#y) -> (T, Self) {
                #stub
            }

            /// Stub: the network has errors.
            #vis fn loss_and_grad_into<#(#params),*>(&self, _x: &#x, _target: &#y, _grad: &mut Self) -> T {
                #stub
            }

            /// Stub: the network has errors.
            #vis fn loss_and_grad_input<#(#params),*>(&self, _x: &#x, _target: &#y) -> (T, Self, #x) {
                #stub
            }

            /// Stub: the network has errors.
            #vis fn loss_and_grad_training<#(#params,)* #r>(&self, _x: &#x, _target: &#y, _rng: &mut R) -> (T, Self) {
                #stub
            }

            /// Stub: the network has errors.
            #vis fn loss_and_grad_batch<#(#params,)* const B: usize>(&self, _xs: &#xs, _targets: &#ys) -> (T, Self) {
                #stub
            }

            /// Stub: the network has errors.
            #vis fn loss_and_grad_batch_into<#(#params,)* const B: usize>(&self, _xs: &#xs, _targets: &#ys, _grad: &mut Self) -> T {
                #stub
            }

            /// Stub: the network has errors.
            #vis fn loss_and_grad_batch_parallel<#(#params,)* const B: usize>(&self, _xs: &#xs, _targets: &#ys) -> (T, Self) {
                #stub
            }

            /// Stub: the network has errors.
            #vis fn loss_and_grad_batch_parallel_into<#(#params,)* const B: usize>(&self, _xs: &#xs, _targets: &#ys, _grad: &mut Self, _spare: &mut Self) -> T {
                #stub
            }

            /// Stub: the network has errors.
            #vis fn loss_and_grad_batch_training<#(#params,)* const B: usize, #r>(&self, _xs: &#xs, _targets: &#ys, _rng: &mut R) -> (T, Self) {
                #stub
            }

            /// Stub: the network has errors.
            #vis fn jvp<#(#params),*>(&self, _x: &#x, _v: &#x) -> (#y, #y) {
                #stub
            }

            /// Stub: the network has errors.
            #vis fn vjp<#(#params),*>(&self, _x: &#x, _u: &#y) -> #x {
                #stub
            }
        }

        impl<T: ::nn::Float> ::nn::Network<T> for #name<T> {
            const INPUTS: usize = 0;
            const OUTPUTS: usize = 0;
            const PARAMS: usize = 0;
            const NAME: &'static str = #name_text;
            const LAYERS: &'static [::nn::LayerInfo] = &[];
            const FLOPS: usize = 0;

            fn zeros() -> Self {
                Self(::core::marker::PhantomData)
            }

            fn visit(&self, _f: &mut dyn FnMut(::nn::Param<'_, T>)) {}

            fn visit_mut(&mut self, _f: &mut dyn FnMut(::nn::ParamMut<'_, T>)) {}

            fn zip_mut(&mut self, _other: &Self, _f: &mut dyn FnMut(::nn::ParamMut<'_, T>, &[T])) {}

            fn zip_state_mut(
                &mut self,
                _grad: &Self,
                _a: &mut Self,
                _b: ::core::option::Option<&mut Self>,
                _f: &mut ::nn::StateVisitor<'_, T>,
            ) {
            }
        }

        impl<T> ::nn::architecture::Described for #name<T> {
            const ARCHITECTURE: ::nn::architecture::Architecture = ::nn::architecture::Architecture {
                name: #name_text,
                input: ::nn::architecture::Input::Vector(0),
                nodes: &[],
                loss: ::nn::architecture::Loss::Mse,
                l2: ::core::option::Option::None,
            };
        }

        impl<T: ::nn::Float, #(#params),*> ::nn::Model<T, #i, #o> for #name<T> {
            fn forward(&self, _x: &#x) -> #y {
                #stub
            }

            fn loss(&self, _x: &#x, _target: &#y) -> T {
                #stub
            }

            fn loss_and_grad_batch_training<const B: usize, #r>(
                &self,
                _xs: &#xs,
                _targets: &#ys,
                _rng: &mut R,
            ) -> (T, Self) {
                #stub
            }
        }
    }
}
