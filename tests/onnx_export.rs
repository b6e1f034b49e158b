//! The ONNX export run by an independent engine: every layer kind and activation written by
//! `nn::onnx`, read and run by tract (a pure-Rust ONNX runtime), and compared with the
//! network's own `forward`, sample by sample, to 1e-5 in f32.
#![cfg(feature = "onnx")]

mod onnx_nets;

use nn::architecture::Described;
use nn::nalgebra::SVector;
use nn::onnx::{self, proto};
use nn::rand::SeedableRng;
use nn::{network, Model};
use onnx_nets::*;
use prost::Message;
use rand_chacha::ChaCha8Rng;
use tract_onnx::prelude::*;

const BATCH: usize = 5;

fn run_tract(bytes: &[u8], inputs: usize, xs: &[Vec<f32>]) -> Vec<Vec<f32>> {
    let model = tract_onnx::onnx()
        .model_for_read(&mut &bytes[..])
        .expect("tract reads the model")
        .with_input_fact(0, f32::fact([xs.len(), inputs]).into())
        .expect("input fact")
        .into_optimized()
        .expect("tract optimises the model")
        .into_runnable()
        .expect("tract plans the model");
    let flat: Vec<f32> = xs.iter().flatten().copied().collect();
    let input = tract_ndarray::Array2::from_shape_vec((xs.len(), inputs), flat).unwrap();
    let out = model.run(tvec!(Tensor::from(input).into())).expect("tract runs the model");
    let out = out[0].to_plain_array_view::<f32>().expect("float output");
    out.outer_iter().map(|row| row.iter().copied().collect()).collect()
}

/// Exports `net`, runs it in tract on random inputs (from `input`), and checks every output
/// against `forward` to 1e-5.
fn agrees<N, const I: usize, const O: usize>(
    net: &N,
    input: impl Fn(&mut ChaCha8Rng) -> SVector<f32, I>,
) where
    N: Model<f32, I, O> + Described,
{
    let bytes = onnx::to_onnx_bytes(net).expect("the network exports");
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let xs: Vec<SVector<f32, I>> = (0..BATCH).map(|_| input(&mut rng)).collect();
    let rows: Vec<Vec<f32>> = xs.iter().map(|x| x.as_slice().to_vec()).collect();
    let got = run_tract(&bytes, I, &rows);
    assert_eq!(got.len(), BATCH);
    for (x, row) in xs.iter().zip(&got) {
        let want = net.forward(x);
        assert_eq!(row.len(), O, "{}: output width", N::NAME);
        for (k, (&g, &w)) in row.iter().zip(want.iter()).enumerate() {
            let tolerance = 1e-5 * (1.0 + w.abs());
            assert!((g - w).abs() <= tolerance, "{}: output {k}: tract {g}, forward {w}", N::NAME);
        }
    }
}

#[test]
fn every_element_wise_activation_agrees_with_tract() {
    agrees(&activations1(), uniform::<6>);
    agrees(&activations2(), uniform::<6>);
}

#[test]
fn learnable_slopes_and_betas_travel_as_initializers() {
    let net = learnable();
    agrees(&net, uniform::<4>);
    let model = onnx::to_model(&net).unwrap();
    let graph = model.graph.unwrap();
    let names: Vec<&str> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
    for name in ["a.slope", "b.slope", "c.beta", "out.weight_t"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    let shared = graph.initializer.iter().find(|t| t.name == "b.slope").unwrap();
    assert_eq!(shared.dims, [1]);
}

#[test]
fn sums_concatenations_maxout_dropout_and_softmax_agree_with_tract() {
    agrees(&graphy(), uniform::<5>);
}

#[test]
fn recurrent_layers_agree_with_tract() {
    agrees(&elman(), uniform::<12>);
    agrees(&gated(), uniform::<15>);
    agrees(&gated_gru(), uniform::<15>);
}

#[test]
fn graph_convolutions_and_readouts_agree_with_tract() {
    agrees(&graph(), graph_sample);
}

#[test]
fn the_graph_reads_like_the_block() {
    let model = onnx::to_model(&Graphy::<f32>::seeded(1)).unwrap();
    assert_eq!(model.opset_import[0].version, onnx::OPSET);
    let graph = model.graph.as_ref().unwrap();
    assert_eq!(graph.input[0].name, "input");
    assert_eq!(graph.output[0].name, "out");
    // Every line's value is named after the line, every operator after its line.
    for line in ["a", "b", "s", "t", "c", "d", "copy", "out"] {
        assert!(graph.node.iter().any(|n| n.output.contains(&line.to_string())), "{line}");
    }
    assert!(graph.node.iter().all(|n| n.name.contains('/')));
    let meta: Vec<(&str, &str)> =
        model.metadata_props.iter().map(|p| (p.key.as_str(), p.value.as_str())).collect();
    assert!(meta.contains(&("nn.loss", "cross_entropy")));
    assert!(meta.contains(&("nn.dropout.a", "0.3")));
    assert!(meta.contains(&("nn.dropout.d", "0.5")));
    let listing = meta.iter().find(|(k, _)| *k == "nn.network").unwrap().1;
    assert!(listing.contains("        b: input -> maxout(4, 3),\n"), "{listing}");
    // The bytes decode back into the same model.
    let bytes = onnx::to_onnx_bytes(&Graphy::<f32>::seeded(1)).unwrap();
    assert_eq!(proto::ModelProto::decode(&bytes[..]).unwrap(), model);
}

#[test]
fn learnable_initial_values_and_l2_are_in_the_metadata() {
    let model = onnx::to_model(&Learnable::<f32>::seeded(1)).unwrap();
    let meta: Vec<(&str, &str)> =
        model.metadata_props.iter().map(|p| (p.key.as_str(), p.value.as_str())).collect();
    for entry in
        [("nn.l2", "0.001"), ("nn.init.a", "0.2"), ("nn.init.b", "0.25"), ("nn.init.c", "1.2")]
    {
        assert!(meta.contains(&entry), "{entry:?} in {meta:?}");
    }
}

network! {
    struct GeluRnn {
        input: 2 x 3,
        r: rnn(3) -> gelu,
        out: dense(1),
        loss: mse,
    }
}

#[test]
fn an_rnn_activation_onnx_cannot_name_is_an_error_naming_the_line() {
    let error = onnx::to_onnx_bytes(&GeluRnn::<f32>::seeded(1)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "line `r` cannot be written as ONNX: ONNX's `RNN` has no activation `gelu`; use `tanh`, `relu`, `sigmoid`, `softplus`, `leaky_relu` or `elu`"
    );
}

#[test]
fn saving_writes_the_bytes_atomically() {
    let dir = std::env::temp_dir().join(format!("nn-onnx-save-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("graphy.onnx");
    let net = Graphy::<f32>::seeded(2);
    onnx::save_onnx(&net, &path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), onnx::to_onnx_bytes(&net).unwrap());
    let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().filter_map(Result::ok).collect();
    assert_eq!(leftovers.len(), 1, "only the model, no temporary file");
    let missing = dir.join("no/such/dir/x.onnx");
    let error = onnx::save_onnx(&net, &missing).unwrap_err();
    assert!(error.to_string().starts_with("cannot write the ONNX model `"), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The committed exports that tests/onnx_import.rs compiles are what the export writes now;
/// `NN_BLESS=1 cargo test --features onnx --test onnx_export` rewrites them after a change.
#[test]
fn the_committed_round_trip_fixtures_are_current() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/onnx");
    let bless = std::env::var_os("NN_BLESS").is_some();
    for fixture in fixtures() {
        let model = dir.join(format!("{}.onnx", fixture.name));
        let outputs = dir.join(format!("{}_nn_outputs.txt", fixture.name));
        if bless {
            nn::io::write_atomic(&model, &fixture.bytes).unwrap();
            nn::io::write_atomic(&outputs, fixture.outputs.as_bytes()).unwrap();
        }
        let committed = std::fs::read(&model).unwrap_or_default();
        assert!(
            committed == fixture.bytes,
            "{} is out of date: run with NN_BLESS=1 to rewrite it",
            model.display()
        );
        // The outputs, to 1e-6: f32 kernels may round differently on other vector units.
        let numbers = |text: &str| -> Vec<f32> {
            text.lines()
                .filter(|l| !l.starts_with('#'))
                .flat_map(|l| l.split(' ').map(|v| v.parse::<f32>().unwrap()))
                .collect()
        };
        let written = std::fs::read_to_string(&outputs).unwrap_or_default();
        let (a, b) = (numbers(&written), numbers(&fixture.outputs));
        assert_eq!(a.len(), b.len(), "{} is out of date", outputs.display());
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() <= 1e-6 * (1.0 + y.abs()), "{}: {x} vs {y}", outputs.display());
        }
    }
}
