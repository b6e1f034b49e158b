//! ONNX models compiled by `onnx_network!`. The round trip: the networks of
//! tests/onnx_nets, exported by `nn::onnx` into tests/fixtures/onnx/ (kept current by
//! tests/onnx_export.rs), compile back into networks that compute the same outputs, bit for
//! bit, and list the same `network!` block.
#![cfg(feature = "onnx")]

mod onnx_nets;

use nn::architecture::Described;
use nn::nalgebra::SVector;
use nn::rand::SeedableRng;
use nn::Model;
use onnx_nets::*;
use rand_chacha::ChaCha8Rng;

/// The imported networks, under the names of the originals so that their listings compare.
mod imported {
    nn::onnx_network!("fixtures/onnx/activations1.onnx", pub struct Activations1);
    nn::onnx_network!("fixtures/onnx/activations2.onnx", pub struct Activations2);
    nn::onnx_network!("fixtures/onnx/learnable.onnx", pub struct Learnable);
    nn::onnx_network!("fixtures/onnx/graphy.onnx", pub struct Graphy);
    nn::onnx_network!("fixtures/onnx/elman.onnx", pub struct Elman);
    nn::onnx_network!("fixtures/onnx/elman_relu.onnx", pub struct ElmanRelu);
    nn::onnx_network!("fixtures/onnx/gated.onnx", pub struct Gated);
    nn::onnx_network!("fixtures/onnx/gated_gru.onnx", pub struct GatedGru);
    nn::onnx_network!("fixtures/onnx/graph.onnx", pub struct Graph);
}

/// `imported` lists the same block as `original`, and gives the same outputs bit for bit on
/// random inputs.
fn same<A, B, const I: usize, const O: usize>(
    original: &A,
    imported: &B,
    input: impl Fn(&mut ChaCha8Rng) -> SVector<f32, I>,
) where
    A: Model<f32, I, O> + Described,
    B: Model<f32, I, O> + Described,
{
    assert_eq!(B::ARCHITECTURE.listing(), A::ARCHITECTURE.listing());
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for _ in 0..8 {
        let x = input(&mut rng);
        assert_eq!(imported.forward(&x), original.forward(&x), "{}", A::ARCHITECTURE.name);
    }
}

#[test]
fn element_wise_activations_round_trip() {
    same(&activations1(), &imported::Activations1::<f32>::BAKED, uniform::<6>);
    same(&activations2(), &imported::Activations2::<f32>::BAKED, uniform::<6>);
}

#[test]
fn learnable_activations_round_trip_with_their_initial_values() {
    same(&learnable(), &imported::Learnable::<f32>::BAKED, uniform::<4>);
}

#[test]
fn sums_concatenations_maxout_and_dropout_round_trip() {
    same(&graphy(), &imported::Graphy::<f32>::BAKED, uniform::<5>);
}

#[test]
fn recurrent_layers_round_trip() {
    same(&elman(), &imported::Elman::<f32>::BAKED, uniform::<12>);
    same(&elman_relu(), &imported::ElmanRelu::<f32>::BAKED, uniform::<6>);
    same(&gated(), &imported::Gated::<f32>::BAKED, uniform::<15>);
    same(&gated_gru(), &imported::GatedGru::<f32>::BAKED, uniform::<15>);
}

#[test]
fn graph_convolutions_and_readouts_round_trip() {
    same(&graph(), &imported::Graph::<f32>::BAKED, graph_sample);
}

#[test]
fn the_settings_onnx_cannot_carry_come_back_from_the_metadata() {
    let listing = <imported::Learnable as Described>::ARCHITECTURE.listing();
    assert!(listing.contains("        l2: 0.001,\n"), "{listing}");
    assert!(listing.contains("loss: binary_cross_entropy"), "{listing}");
    assert!(
        listing.contains("prelu(0.2)") && listing.contains("swish_learnable(1.2)"),
        "{listing}"
    );
    let listing = <imported::Graphy as Described>::ARCHITECTURE.listing();
    assert!(listing.contains("        d: c -> dropout(0.5),\n"), "{listing}");
}

#[test]
fn the_f64_constant_holds_the_same_weights() {
    let x = SVector::<f64, 5>::from([0.5, -1.0, 2.0, 0.25, -0.75]);
    let y64 = imported::Graphy::<f64>::BAKED.forward(&x);
    let y32 = imported::Graphy::<f32>::BAKED.forward(&x.map(|v| v as f32));
    for (a, b) in y64.iter().zip(y32.iter()) {
        assert!((a - f64::from(*b)).abs() < 1e-5, "{a} {b}");
    }
}
