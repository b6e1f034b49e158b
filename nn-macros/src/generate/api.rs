//! The inherent API of DESIGN.md's table, its training-mode and input-gradient siblings, and
//! the private helpers they share.
//!
//! The helpers (the forward pass keeping its trace, the backward passes, the penalty) are the
//! methods of a private trait, `__<Net>Passes`, defined inside the expansion's anonymous
//! `const` and always called by its full path, `<Self as __XorPasses<T>>::trace(self, ..)`:
//! no method a user adds to the network can be called in their place, nor clash with them.

use proc_macro2::{Literal, TokenStream};

use super::activation::init;
use super::backward::{backward, l2_penalty, Start};
use super::batch;
use super::forward::{loss_value, trace_body};
use super::names::{
    layer_type, layers, matrix_b, n, output_of, passes, passes_name, q, scalar_bound, tangent_name,
    trace_name, vector,
};
use super::tangent::tangents;
use crate::ir::Network;

/// A private helper of the passes: its attributes, its signature (with plain parameter names,
/// so that it declares the trait's method as it is) and its body.
pub(super) struct Helper {
    pub attrs: TokenStream,
    pub sig: TokenStream,
    pub body: TokenStream,
}

/// The tokens every part of the API is written with.
struct Types {
    /// One sample's input and output, `SVector<T, I>` and `SVector<T, O>`.
    x: TokenStream,
    y: TokenStream,
    /// `B` of them, one per column.
    xs: TokenStream,
    ys: TokenStream,
    /// `<Self as __XorPasses<T>>`, the path of the helpers.
    passes: TokenStream,
    /// `None` as the generator of a call in inference mode.
    no_rng: TokenStream,
    /// The generator's bound, `R: ::nn::rand::Rng + ?Sized`.
    r: TokenStream,
    /// The docs' sentence on dropout in inference mode, and in training mode.
    inference_doc: &'static str,
    training_doc: &'static str,
}

impl Types {
    fn of(net: &Network) -> Types {
        let (inference_doc, training_doc) = if net.has_dropout() {
            (
                "Dropout is off: this is inference mode.",
                "Dropout is on, its masks drawn from `rng`.",
            )
        } else {
            (
                "The network has no dropout, so this is the same as training mode.",
                "The network has no dropout, so `rng` is not used and this equals the inference-mode call.",
            )
        };
        Types {
            x: vector(net.inputs),
            y: vector(net.outputs()),
            xs: matrix_b(net.inputs),
            ys: matrix_b(net.outputs()),
            passes: passes(net),
            no_rng: q!(::core::option::Option::None::<&mut ::nn::__private::ChaCha8Rng>),
            r: q!(R: ::nn::rand::Rng + ?Sized),
            inference_doc,
            training_doc,
        }
    }
}

/// The inherent API and the helper trait.
pub(super) fn api(net: &Network) -> TokenStream {
    let name = &net.name;
    let bound = scalar_bound(net);
    let types = Types::of(net);
    let mut helpers = helpers(net, &types);
    if batch::worthwhile(net) {
        helpers.extend(batch::helpers(net));
    }
    let passes = passes_name(net);
    let declarations = helpers.iter().map(|Helper { sig, .. }| q!(#sig;));
    let definitions = helpers.iter().map(|Helper { attrs, sig, body }| {
        q! {
            #attrs
            #sig {
                #body
            }
        }
    });
    let constructors = constructors(net, &types);
    let inference = inference(net, &types);
    let gradients = gradients(&types);
    let batches = batches(&types);
    let training = training(net, &types);
    let derivatives = derivatives(net, &types);
    q! {
        trait #passes<T: ::nn::Float> {
            #(#declarations)*
        }

        #[allow(unused_variables, unused_mut)]
        impl<#bound> #passes<T> for #name<T> {
            #(#definitions)*
        }

        impl<#bound> #name<T> {
            #constructors
            #inference
            #gradients
            #batches
            #training
            #derivatives
        }
    }
}

/// `seeded`, `new` and `zeros`.
fn constructors(net: &Network, types: &Types) -> TokenStream {
    let r = &types.r;
    let fields = layers(net).map(|node| {
        let field = &node.name;
        let ty = layer_type(node);
        let init = init(node);
        let learnable = node.activation.learnable().map(|l| {
            let v = Literal::f64_suffixed(l.init);
            q!(.with_activation(<T as ::nn::Float>::lit(#v)))
        });
        if node.recurrence().is_some_and(|r| r.cell.gated()) {
            // PyTorch's initialisation, every tensor uniform in `[-1/sqrt(H), 1/sqrt(H)]`.
            return q!(#field: <#ty>::new(rng));
        }
        q!(#field: <#ty>::new(rng, ::nn::Init::#init) #learnable)
    });
    q! {
        /// A network initialised from a ChaCha8 generator seeded with `seed`: the same seed
        /// gives bit-identical parameters on every run and platform.
        pub fn seeded(seed: u64) -> Self {
            let mut rng = <::nn::__private::ChaCha8Rng as ::nn::__private::SeedableRng>::seed_from_u64(seed);
            Self::new(&mut rng)
        }

        /// A network with weights drawn from `rng` (Glorot uniform before sigmoid- and
        /// tanh-like activations, He uniform before ReLU-like ones and maxout), zero
        /// biases, and learnable activations at their initial values.
        pub fn new<#r>(rng: &mut R) -> Self {
            Self { #(#fields,)* }
        }

        /// A network of zeros, with learnable activations' parameters zero too: the shape of
        /// a gradient, or a buffer to load weights into. The same as
        /// [`Network::zeros`](::nn::Network::zeros), without importing the trait.
        pub fn zeros() -> Self {
            <Self as ::nn::Network<T>>::zeros()
        }
    }
}

/// `forward`, `forward_batch`, `loss` and `loss_batch`.
fn inference(net: &Network, types: &Types) -> TokenStream {
    let Types { x, y, xs, ys, passes, no_rng, inference_doc, .. } = types;
    let output = output_of(net.output());
    let loss_value = loss_value(net);
    let batched = batch::worthwhile(net).then(|| {
        let min_batch = n(batch::MIN_BATCH);
        q! {
            if ::nn::kernels::BATCHED && B >= #min_batch {
                return #passes::forward_batch_batched(self, xs);
            }
        }
    });
    q! {
        /// The output for one sample.
        #[doc = #inference_doc]
        pub fn forward(&self, x: &#x) -> #y {
            #passes::trace(self, x, #no_rng).#output
        }

        /// The outputs for `B` samples, one per column.
        #[doc = #inference_doc]
        pub fn forward_batch<const B: usize>(&self, xs: &#xs) -> #ys {
            #batched
            let mut ys = <#ys>::zeros();
            for j in 0..B {
                let x: #x = xs.fixed_columns::<1>(j).into_owned();
                ys.set_column(j, &self.forward(&x));
            }
            ys
        }

        /// The risk of one sample: its loss, plus the L2 penalty if the network has one.
        #[doc = #inference_doc]
        pub fn loss(&self, x: &#x, target: &#y) -> T {
            let trace = #passes::trace(self, x, #no_rng);
            #loss_value + #passes::penalty(self)
        }

        /// The mean loss over `B` samples (one per column), plus the L2 penalty if any.
        #[doc = #inference_doc]
        pub fn loss_batch<const B: usize>(&self, xs: &#xs, targets: &#ys) -> T {
            const { ::core::assert!(B > 0, "a batch needs at least one sample") };
            let mut total = T::zero();
            for j in 0..B {
                let x: #x = xs.fixed_columns::<1>(j).into_owned();
                let target: #y = targets.fixed_columns::<1>(j).into_owned();
                let trace = #passes::trace(self, &x, #no_rng);
                total += #loss_value;
            }
            total / <T as ::nn::Float>::lit(B as f64) + #passes::penalty(self)
        }
    }
}

/// `loss_and_grad`, its `_into` form, and `loss_and_grad_input`.
fn gradients(types: &Types) -> TokenStream {
    let Types { x, y, passes, no_rng, inference_doc, .. } = types;
    q! {
        /// The risk of one sample and its gradient, a value of the network's own type.
        #[doc = #inference_doc]
        pub fn loss_and_grad(&self, x: &#x, target: &#y) -> (T, Self) {
            let mut grad = <Self as ::nn::Network<T>>::zeros();
            let loss = #passes::backprop(self, x, target, &mut grad, T::one(), #no_rng, ::core::option::Option::None);
            #passes::penalty_grad(self, &mut grad);
            (loss + #passes::penalty(self), grad)
        }

        /// [`loss_and_grad`](Self::loss_and_grad) into a gradient the caller keeps between
        /// steps (its values are overwritten), so that a network whose layers live on the
        /// heap does not allocate a gradient per step.
        #[doc = #inference_doc]
        pub fn loss_and_grad_into(&self, x: &#x, target: &#y, grad: &mut Self) -> T {
            ::nn::Network::visit_mut(grad, &mut |p| p.values.fill(T::zero()));
            let loss = #passes::backprop(self, x, target, grad, T::one(), #no_rng, ::core::option::Option::None);
            #passes::penalty_grad(self, grad);
            loss + #passes::penalty(self)
        }

        /// The risk of one sample, its gradient, and its gradient with respect to the input
        /// `x` (for sensitivity analysis, adversarial examples, physics-informed losses).
        #[doc = #inference_doc]
        pub fn loss_and_grad_input(&self, x: &#x, target: &#y) -> (T, Self, #x) {
            let mut grad = <Self as ::nn::Network<T>>::zeros();
            let mut d_x = <#x>::zeros();
            let loss = #passes::backprop(self, x, target, &mut grad, T::one(), #no_rng, ::core::option::Option::Some(&mut d_x));
            #passes::penalty_grad(self, &mut grad);
            (loss + #passes::penalty(self), grad, d_x)
        }
    }
}

/// `loss_and_grad_batch` and its `_into` and `_parallel` forms.
fn batches(types: &Types) -> TokenStream {
    let Types { xs, ys, passes, no_rng, inference_doc, .. } = types;
    q! {
        /// The mean risk over `B` samples (one per column) and its gradient.
        #[doc = #inference_doc]
        pub fn loss_and_grad_batch<const B: usize>(&self, xs: &#xs, targets: &#ys) -> (T, Self) {
            let mut grad = <Self as ::nn::Network<T>>::zeros();
            (#passes::backprop_batch(self, xs, targets, &mut grad, #no_rng), grad)
        }

        /// [`loss_and_grad_batch`](Self::loss_and_grad_batch) into a gradient the caller
        /// keeps between steps (its values are overwritten), so that a network whose layers
        /// live on the heap does not allocate a gradient per step.
        #[doc = #inference_doc]
        pub fn loss_and_grad_batch_into<const B: usize>(&self, xs: &#xs, targets: &#ys, grad: &mut Self) -> T {
            #passes::backprop_batch(self, xs, targets, grad, #no_rng)
        }

        /// [`loss_and_grad_batch`](Self::loss_and_grad_batch) on two threads (with the
        /// `parallel` feature of `nn`; without it, on this one): every batched product is
        /// split between them by the columns it writes (see `nn::kernels::with_threads`), so
        /// the result is the same, bit for bit. Dropout is off.
        pub fn loss_and_grad_batch_parallel<const B: usize>(&self, xs: &#xs, targets: &#ys) -> (T, Self) {
            let mut grad = <Self as ::nn::Network<T>>::zeros();
            let loss = ::nn::kernels::with_threads(2, || self.loss_and_grad_batch_into(xs, targets, &mut grad));
            (loss, grad)
        }

        /// [`loss_and_grad_batch_parallel`](Self::loss_and_grad_batch_parallel) into a
        /// gradient the caller keeps between steps (overwritten). `spare` is not used: the
        /// threads no longer need a second gradient, and the parameter stays so that code
        /// written for earlier versions compiles.
        pub fn loss_and_grad_batch_parallel_into<const B: usize>(&self, xs: &#xs, targets: &#ys, grad: &mut Self, spare: &mut Self) -> T {
            let _ = spare;
            ::nn::kernels::with_threads(2, || self.loss_and_grad_batch_into(xs, targets, grad))
        }
    }
}

/// The training-mode calls, dropout's masks drawn from the caller's generator.
fn training(net: &Network, types: &Types) -> TokenStream {
    let Types { x, y, xs, ys, passes, r, training_doc, .. } = types;
    let output = output_of(net.output());
    let loss_value = loss_value(net);
    q! {
        /// The output for one sample in training mode.
        #[doc = #training_doc]
        pub fn forward_training<#r>(&self, x: &#x, rng: &mut R) -> #y {
            #passes::trace(self, x, ::core::option::Option::Some(rng)).#output
        }

        /// The risk of one sample in training mode.
        #[doc = #training_doc]
        pub fn loss_training<#r>(&self, x: &#x, target: &#y, rng: &mut R) -> T {
            let trace = #passes::trace(self, x, ::core::option::Option::Some(rng));
            #loss_value + #passes::penalty(self)
        }

        /// The risk of one sample and its gradient in training mode.
        #[doc = #training_doc]
        pub fn loss_and_grad_training<#r>(&self, x: &#x, target: &#y, rng: &mut R) -> (T, Self) {
            let mut grad = <Self as ::nn::Network<T>>::zeros();
            let loss = #passes::backprop(self, x, target, &mut grad, T::one(), ::core::option::Option::Some(rng), ::core::option::Option::None);
            #passes::penalty_grad(self, &mut grad);
            (loss + #passes::penalty(self), grad)
        }

        /// The mean risk over `B` samples (one per column) and its gradient in training
        /// mode, each sample with masks of its own, drawn sample after sample.
        #[doc = #training_doc]
        pub fn loss_and_grad_batch_training<const B: usize, #r>(&self, xs: &#xs, targets: &#ys, rng: &mut R) -> (T, Self) {
            let mut grad = <Self as ::nn::Network<T>>::zeros();
            (#passes::backprop_batch(self, xs, targets, &mut grad, ::core::option::Option::Some(rng)), grad)
        }
    }
}

/// `jvp` and `vjp`.
fn derivatives(net: &Network, types: &Types) -> TokenStream {
    let Types { x, y, passes, no_rng, .. } = types;
    let output = output_of(net.output());
    let tangents = tangents(net);
    let output_tangent = tangent_name(net.output());
    q! {
        /// The output for one sample and its directional derivative along `v`: `(f(x), J v)`
        /// with `J` the Jacobian of the output with respect to the input, computed in one
        /// forward pass (forward-mode differentiation) in inference mode.
        #[allow(unused_variables)] // the tangent of a node nothing reads
        pub fn jvp(&self, x: &#x, v: &#x) -> (#y, #y) {
            let trace = #passes::trace(self, x, #no_rng);
            #tangents
            (trace.#output, #output_tangent)
        }

        /// The vector-Jacobian product `J^T u` for one sample: the gradient with respect to
        /// the input of `<u, f(x)>`, by the reverse pass, in inference mode.
        pub fn vjp(&self, x: &#x, u: &#y) -> #x {
            let mut grad = <Self as ::nn::Network<T>>::zeros();
            let mut d_x = <#x>::zeros();
            #passes::vjp(self, x, u, &mut grad, ::core::option::Option::Some(&mut d_x));
            d_x
        }
    }
}

/// The helpers of the per-sample passes.
fn helpers(net: &Network, types: &Types) -> Vec<Helper> {
    let Types { x, y, xs, ys, passes, no_rng, r, .. } = types;
    let trace = trace_name(net);
    let trace_body = trace_body(net);
    let loss_value = loss_value(net);
    let backward_from_loss = backward(net, Start::Loss);
    let backward_from_cotangent = backward(net, Start::Cotangent);
    let (penalty, penalty_grad) = l2_penalty(net);
    let batched = batch::worthwhile(net).then(|| {
        let min_batch = n(batch::MIN_BATCH);
        q! {
            if ::nn::kernels::BATCHED && B >= #min_batch {
                total = #passes::backprop_batched(self, xs.as_slice(), targets.as_slice(), B, grad, scale, rng);
                #passes::penalty_grad(self, grad);
                return total * scale + #passes::penalty(self);
            }
        }
    });
    let option = q!(::core::option::Option);
    vec![
        Helper {
            // The forward pass of one sample, keeping every node's intermediates; dropout is on
            // when a generator is given, its masks drawn line after line.
            attrs: q!(#[inline]),
            sig: q!(fn trace<#r>(&self, x: &#x, rng: #option<&mut R>) -> #trace<T>),
            body: q! {
                let mut rng = rng;
                #trace_body
            },
        },
        Helper {
            // Overwrites `grad` with the gradient of the mean risk over `B` samples; returns
            // the risk. Samples draw their masks in column order, each line after line, on
            // either path, so that the batched path equals the per-sample one.
            attrs: q!(),
            sig: q!(fn backprop_batch<const B: usize, #r>(&self, xs: &#xs, targets: &#ys, grad: &mut Self, rng: #option<&mut R>) -> T),
            body: q! {
                const { ::core::assert!(B > 0, "a batch needs at least one sample") };
                let mut rng = rng;
                ::nn::Network::visit_mut(grad, &mut |p| p.values.fill(T::zero()));
                let scale = T::one() / <T as ::nn::Float>::lit(B as f64);
                let mut total = T::zero();
                #batched
                for j in 0..B {
                    let x: #x = xs.fixed_columns::<1>(j).into_owned();
                    let target: #y = targets.fixed_columns::<1>(j).into_owned();
                    total += #passes::backprop(self, &x, &target, grad, scale, rng.as_deref_mut(), #option::None);
                }
                #passes::penalty_grad(self, grad);
                total * scale + #passes::penalty(self)
            },
        },
        Helper {
            // Adds `scale` times the gradient of one sample's loss to `grad`, and the gradient
            // with respect to `x` to `d_input` if given; returns the loss.
            attrs: q!(),
            sig: q! {
                fn backprop<#r>(
                    &self,
                    x: &#x,
                    target: &#y,
                    grad: &mut Self,
                    scale: T,
                    rng: #option<&mut R>,
                    d_input: #option<&mut #x>,
                ) -> T
            },
            body: q! {
                let mut d_input = d_input;
                let trace = #passes::trace(self, x, rng);
                let loss = #loss_value;
                #backward_from_loss
                loss
            },
        },
        Helper {
            // Adds `J^T cotangent` to `d_input` (and the parameters' share to `grad`).
            attrs: q!(),
            sig: q!(fn vjp(&self, x: &#x, cotangent: &#y, grad: &mut Self, d_input: #option<&mut #x>)),
            body: q! {
                let mut d_input = d_input;
                let trace = #passes::trace(self, x, #no_rng);
                let scale = T::one();
                #backward_from_cotangent
            },
        },
        Helper {
            // `lambda / 2 * sum ||W||^2`, the structured risk's penalty.
            attrs: q!(#[inline]),
            sig: q!(fn penalty(&self) -> T),
            body: penalty,
        },
        Helper {
            // Adds the penalty's gradient `lambda * W` to `grad`.
            attrs: q!(#[inline]),
            sig: q!(fn penalty_grad(&self, grad: &mut Self)),
            body: penalty_grad,
        },
    ]
}
