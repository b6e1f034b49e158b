//! Activations in generated code: the runtime value of an element-wise activation, the
//! forward application and the vector-Jacobian (or Jacobian-vector) product of every kind,
//! and the initialiser each calls for.

use proc_macro2::{Literal, TokenStream};
use quote::format_ident;
use syn::Ident;

use super::layout::kernel_activation;
use super::names::{q, vector, Names};
use crate::ir::{Activation, Node, ACTIVATIONS};

/// The runtime value of an element-wise activation, `::nn::activation::LeakyRelu { gamma: .. }`;
/// `None` for softmax, which acts on the whole vector, and for learnable activations, whose
/// parameter differs from unit to unit.
pub(super) fn element_wise(act: Activation) -> Option<TokenStream> {
    let lit = |v: f64| {
        let v = Literal::f64_suffixed(v);
        q!(<T as ::nn::Float>::lit(#v))
    };
    let path = q!(::nn::activation);
    Some(match act {
        Activation::Identity => q!(#path::Identity),
        Activation::Sigmoid => q!(#path::Sigmoid),
        Activation::Tanh => q!(#path::Tanh),
        Activation::HardLogistic => q!(#path::HardLogistic),
        Activation::HardTanh => q!(#path::HardTanh),
        Activation::Relu => q!(#path::Relu),
        Activation::LeakyRelu(g) => {
            let g = lit(g);
            q!(#path::LeakyRelu { gamma: #g })
        }
        Activation::Elu(g) => {
            let g = lit(g);
            q!(#path::Elu { gamma: #g })
        }
        Activation::Softplus => q!(#path::Softplus),
        Activation::Swish(b) => {
            let b = lit(b);
            q!(#path::Swish { beta: #b })
        }
        Activation::Gelu => q!(#path::Gelu),
        Activation::GeluTanh => q!(#path::GeluTanh),
        Activation::GeluSigmoid => q!(#path::GeluSigmoid),
        Activation::HardSigmoid(slope) => {
            let slope = lit(slope);
            q!(#path::HardSigmoid { slope: #slope })
        }
        Activation::Softmax | Activation::Prelu { .. } | Activation::SwishLearnable(_) => {
            return None
        }
    })
}

/// The runtime type of a learnable activation, `::nn::activation::Prelu<T>`.
pub(super) fn learnable_type(act: Activation) -> Option<TokenStream> {
    match act {
        Activation::Prelu { .. } => Some(q!(::nn::activation::Prelu<T>)),
        Activation::SwishLearnable(_) => Some(q!(::nn::activation::Swish<T>)),
        _ => None,
    }
}

pub(super) fn activation_name(act: Activation) -> String {
    match act {
        Activation::Identity => "identity".into(),
        Activation::Sigmoid => "sigmoid".into(),
        Activation::Tanh => "tanh".into(),
        Activation::HardLogistic => "hard_logistic".into(),
        Activation::HardTanh => "hard_tanh".into(),
        Activation::Relu => "relu".into(),
        Activation::LeakyRelu(g) => format!("leaky_relu({g})"),
        Activation::Elu(g) => format!("elu({g})"),
        Activation::Softplus => "softplus".into(),
        Activation::Swish(b) => format!("swish({b})"),
        Activation::Gelu => "gelu".into(),
        Activation::GeluTanh => "gelu_tanh".into(),
        Activation::GeluSigmoid => "gelu_sigmoid".into(),
        Activation::Softmax => "softmax".into(),
        Activation::HardSigmoid(slope) => {
            let name = ACTIVATIONS.iter().find(|a| a.parameter.is_none() && (a.make)(0.0) == act);
            name.map_or_else(|| format!("hard sigmoid of slope {slope}"), |a| a.name.into())
        }
        Activation::Prelu { init, shared: false } => format!("prelu({init}), a slope per unit"),
        Activation::Prelu { init, shared: true } => format!("prelu_shared({init}), one slope"),
        Activation::SwishLearnable(init) => format!("swish_learnable({init}), a beta per unit"),
    }
}

/// He initialisation before maxout, the ReLU family and its smooth relatives, Glorot
/// otherwise.
pub(super) fn init(node: &Node) -> Ident {
    let maxout = node.linear.as_ref().is_some_and(|l| l.pieces.is_some());
    let he = maxout
        || matches!(
            node.activation,
            Activation::Relu
                | Activation::LeakyRelu(_)
                | Activation::Prelu { .. }
                | Activation::Elu(_)
                | Activation::Softplus
                | Activation::Swish(_)
                | Activation::SwishLearnable(_)
                | Activation::Gelu
                | Activation::GeluTanh
                | Activation::GeluSigmoid
        );
    format_ident!("{}", if he { "He" } else { "Glorot" })
}

/// `a = f(z)`, element-wise through the runtime's activation, with the layer's learnable
/// parameters, or softmax over the vector.
pub(super) fn apply_activation(node: &Node, z: &Ident) -> TokenStream {
    let v = vector(node.outputs);
    if node.activation == Activation::Identity {
        return q!(#z.clone());
    }
    if let Some(f) = element_wise(node.activation) {
        if !kernel_activation(node.outputs) {
            return q!(#z.map(|v| ::nn::activation::Activation::<T>::f(&#f, v)));
        }
        return q!({
            let mut a = <#v>::zeros();
            ::nn::kernels::activate(#f, #z.as_slice(), a.as_mut_slice());
            a
        });
    }
    let field = &node.name;
    match learnable_type(node.activation) {
        Some(ty) => q!({
            let mut a = <#v>::zeros();
            ::nn::activation::learnable_forward::<T, #ty>(#z.as_slice(), self.#field.activation.as_slice(), a.as_mut_slice());
            a
        }),
        None => q!({
            let mut a = <#v>::zeros();
            ::nn::activation::softmax(#z.as_slice(), a.as_mut_slice());
            a
        }),
    }
}

/// `let d = f'(z) * d;`, element-wise, softmax's vector-Jacobian product, or a learnable
/// activation's, which also adds `scale` times the gradient of its parameters to `grad` in the
/// reverse pass (`Pass::Reverse`). Forward mode (`Pass::Forward`) uses the same code for `J d`:
/// these Jacobians are diagonal (element-wise and learnable activations, whose parameters are
/// fixed there) or symmetric (softmax).
pub(super) fn activation_backward(node: &Node, pass: Pass) -> TokenStream {
    let Names { z, a, .. } = Names::of(node);
    let v = vector(node.outputs);
    if node.activation == Activation::Identity {
        return TokenStream::new();
    }
    if let Some(f) = element_wise(node.activation) {
        return q! {
            let d: #v = d.zip_zip_map(&trace.#z, &trace.#a, |g, z, a| g * ::nn::activation::Activation::<T>::df(&#f, z, a));
        };
    }
    let field = &node.name;
    let (params_grad, scale) = match pass {
        Pass::Reverse => (q!(grad.#field.activation.as_mut_slice()), q!(scale)),
        // The parameters' gradient is dropped: forward mode holds them fixed.
        Pass::Forward => (q!(self.#field.activation.clone().as_mut_slice()), q!(T::zero())),
    };
    let call = match learnable_type(node.activation) {
        Some(ty) => q! {
            ::nn::activation::learnable_backward::<T, #ty>(
                trace.#z.as_slice(),
                trace.#a.as_slice(),
                self.#field.activation.as_slice(),
                d.as_slice(),
                d_z.as_mut_slice(),
                #params_grad,
                #scale,
            );
        },
        None => q! {
            ::nn::activation::softmax_backward(trace.#a.as_slice(), d.as_slice(), d_z.as_mut_slice());
        },
    };
    q! {
        let d: #v = {
            let mut d_z = <#v>::zeros();
            #call
            d_z
        };
    }
}

/// Which pass an activation's Jacobian product is for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Pass {
    Reverse,
    Forward,
}
