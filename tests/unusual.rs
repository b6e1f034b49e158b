//! Valid networks at the edges of the language compile and run: width 1 everywhere, a
//! 30-layer chain, the widest values the size bound allows, networks declared in nested
//! modules and inside functions with every visibility, raw and non-ASCII names, widths in hex,
//! binary and with integer suffixes, sequences written `4x10`, and doc comments on lines.

use nn::nalgebra::{SMatrix, SVector};
use nn::Network;

nn::network! {
    /// One unit everywhere.
    struct Thin {
        input: 1,
        a: dense(1) -> tanh,
        b: dense(1) -> prelu_shared,
        c: a + b,
        d: concat(c, input) -> dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

#[test]
fn width_one_everywhere_runs_and_its_gradient_checks() {
    let net = Thin::<f64>::seeded(1);
    let x = SVector::from([0.3]);
    let y = SVector::from([1.0]);
    let p = net.forward(&x);
    assert!(0.0 < p[0] && p[0] < 1.0);
    let report = nn::gradcheck(&net, &net.loss_and_grad(&x, &y).1, |n: &Thin<f64>| n.loss(&x, &y));
    assert!(report.worst_relative_error < 1e-6, "{report:?}");
}

nn::network! {
    struct Deep {
        input: 3,
        l01: dense(4) -> tanh, l02: dense(4) -> tanh, l03: dense(4) -> tanh,
        l04: dense(4) -> tanh, l05: dense(4) -> tanh, l06: dense(4) -> tanh,
        l07: dense(4) -> tanh, l08: dense(4) -> tanh, l09: dense(4) -> tanh,
        l10: dense(4) -> tanh, l11: dense(4) -> tanh, l12: dense(4) -> tanh,
        l13: dense(4) -> tanh, l14: dense(4) -> tanh, l15: dense(4) -> tanh,
        l16: dense(4) -> tanh, l17: dense(4) -> tanh, l18: dense(4) -> tanh,
        l19: dense(4) -> tanh, l20: dense(4) -> tanh, l21: dense(4) -> tanh,
        l22: dense(4) -> tanh, l23: dense(4) -> tanh, l24: dense(4) -> tanh,
        l25: dense(4) -> tanh, l26: dense(4) -> tanh, l27: dense(4) -> tanh,
        l28: dense(4) -> tanh, l29: dense(4) -> tanh,
        l30: dense(2) -> softmax,
        loss: cross_entropy,
    }
}

#[test]
fn a_thirty_layer_chain_runs() {
    assert_eq!(Deep::<f32>::LAYERS.len(), 30);
    let net = Deep::<f64>::seeded(2);
    let x = SVector::from([0.1, -0.2, 0.3]);
    let p = net.forward(&x);
    assert!((p.sum() - 1.0).abs() < 1e-12);
    let y = SVector::from([1.0, 0.0]);
    let report = nn::gradcheck(&net, &net.loss_and_grad(&x, &y).1, |n: &Deep<f64>| n.loss(&x, &y));
    assert!(report.worst_relative_error < 1e-5, "{report:?}");
}

nn::network! {
    /// A value as wide as the bound allows: 8192, 64 KiB in `f64`.
    struct Wide {
        input: 4,
        wide: dense(8192) -> relu,
        out: dense(2),
        loss: mse,
    }
}

nn::network! {
    /// An input as wide as the bound allows.
    struct WideInput {
        input: 8192,
        out: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

#[test]
fn the_widest_values_the_bound_allows_run() {
    let net = Wide::<f64>::seeded(3);
    let x = SVector::from([1.0, -1.0, 0.5, 0.25]);
    let y = SVector::from([0.0, 1.0]);
    let (loss, grad) = net.loss_and_grad(&x, &y);
    assert!(loss.is_finite() && loss > 0.0);
    assert_eq!(grad.wide.weight.shape(), (8192, 4));
    let net = WideInput::<f64>::seeded(4);
    let x = SVector::<f64, 8192>::from_fn(|i, _| (i % 7) as f64 / 7.0);
    let p = net.forward(&x);
    assert!(0.0 < p[0] && p[0] < 1.0);
}

mod outer {
    pub mod inner {
        nn::network! {
            /// Visible in the crate.
            pub(crate) struct CrateWide {
                input: 2,
                out: dense(1) -> sigmoid,
                loss: binary_cross_entropy,
            }
        }

        nn::network! {
            /// Visible in `outer` only.
            pub(in crate::outer) struct OuterOnly {
                input: 2,
                out: dense(3) -> softmax,
                loss: cross_entropy,
            }
        }
    }

    pub fn outer_only_outputs() -> usize {
        inner::OuterOnly::<f32>::seeded(1).forward(&nn::nalgebra::SVector::from([1.0, 2.0])).len()
    }
}

#[test]
fn networks_in_nested_modules_and_functions_run() {
    let p = outer::inner::CrateWide::<f32>::seeded(1).forward(&SVector::from([1.0, 2.0]));
    assert!(0.0 < p[0] && p[0] < 1.0);
    assert_eq!(outer::outer_only_outputs(), 3);

    nn::network! {
        struct Local {
            input: 2,
            out: dense(2) -> softmax,
            loss: cross_entropy,
        }
    }
    fn inside() -> f32 {
        nn::network! {
            struct Inner {
                input: 1,
                out: dense(1),
                loss: mse,
            }
        }
        Inner::<f32>::zeros().forward(&SVector::from([1.0]))[0]
    }
    let p = Local::<f32>::seeded(5).forward(&SVector::from([0.5, 0.5]));
    assert!((p.sum() - 1.0).abs() < 1e-6);
    assert_eq!(inside(), 0.0);
}

nn::network! {
    /// Raw and non-ASCII names.
    struct Größe {
        input: 2,
        r#type: dense(3) -> relu,
        schicht_ä: dense(2) -> tanh,
        r#match: r#type -> dense(2) -> tanh,
        summe: schicht_ä + r#match,
        ausgabe: summe -> dense(1),
        loss: mse,
    }
}

#[test]
fn raw_and_non_ascii_names_run() {
    let net = Größe::<f64>::seeded(6);
    assert_eq!(net.r#type.weight.shape(), (3, 2));
    assert_eq!(net.schicht_ä.weight.shape(), (2, 3));
    let names: Vec<&str> = Größe::<f64>::LAYERS.iter().map(|l| l.name).collect();
    assert!(names.contains(&"type") && names.contains(&"schicht_ä"), "{names:?}");
    let x = SVector::from([0.5, -0.5]);
    let y = SVector::from([0.25]);
    let report = nn::gradcheck(&net, &net.loss_and_grad(&x, &y).1, |n: &Größe<f64>| n.loss(&x, &y));
    assert!(report.worst_relative_error < 1e-6, "{report:?}");
}

nn::network! {
    /// Widths in hex, binary, with an integer suffix that fits, and with `_`.
    struct Literals {
        input: 0x10,
        a: dense(0b100) -> relu,
        b: dense(8usize) -> leaky_relu(1u8),
        c: maxout(2_u32, 3i64),
        out: dense(1_0) -> softmax -> dropout(0),
        last: dense(2),
        loss: mse,
    }
}

nn::network! {
    struct Glued {
        input: 4x10,
        memory: rnn(3) -> tanh,
        out: dense(1),
        loss: mse,
    }
}

nn::network! {
    struct GluedSpaced {
        input: 4x 10,
        memory: rnn(3) -> tanh,
        out: dense(1),
        loss: mse,
    }
}

nn::network! {
    struct SpacedGlued {
        input: 4 x10,
        memory: rnn(3) -> tanh,
        out: dense(1),
        loss: mse,
    }
}

#[test]
fn widths_in_every_integer_notation_are_read() {
    assert_eq!(Literals::<f32>::INPUTS, 16);
    let net = Literals::<f32>::zeros();
    assert_eq!(net.a.weight.shape(), (4, 16));
    assert_eq!(net.b.weight.shape(), (8, 4));
    assert_eq!(net.c.weight.shape(), (6, 8));
    assert_eq!(net.out.weight.shape(), (10, 2));
    // `leaky_relu(1u8)` is a slope of 1: the identity.
    let mut net = Literals::<f64>::zeros();
    net.a.bias.fill(1.0);
    net.b.weight.fill(-0.5);
    let y = net.forward(&SVector::zeros());
    assert_eq!(y.len(), 2);
    // A sequence of 10 steps of 4, however the `x` is spaced.
    assert_eq!(Glued::<f32>::INPUTS, 40);
    assert_eq!(GluedSpaced::<f32>::INPUTS, 40);
    assert_eq!(SpacedGlued::<f32>::INPUTS, 40);
    assert_eq!(Glued::<f32>::seeded(1).memory.weight_ih.shape(), (3, 4));
}

nn::network! {
    /// A network whose lines carry docs.
    pub struct Documented {
        input: 2,
        /// The hidden layer: eight tanh units.
        hidden: dense(8) -> tanh,
        /// One probability.
        ///
        /// Over two lines.
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

#[test]
fn doc_comments_on_lines_are_accepted() {
    let net = Documented::<f32>::seeded(1);
    let _: SMatrix<f32, 8, 2> = net.hidden.weight;
    let _: SVector<f32, 1> = net.forward(&SVector::from([0.0, 1.0]));
}
