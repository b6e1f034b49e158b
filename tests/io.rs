//! Saving and loading weights: safetensors round trips bit for bit, a file written by Python's
//! safetensors package (tests/fixtures) loads with the values its script intended, every
//! mismatch gives its precise error and leaves the network unchanged, no bytes at all make
//! loading panic, and the MNIST-size network saves and loads in a 2 MiB thread. With the
//! `serde` feature, the same for JSON state dicts.

#![deny(warnings)]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use nn::io::{from_safetensors_bytes, load_safetensors, save_safetensors, to_safetensors_bytes};
use nn::nalgebra::SVector;
use nn::rand::{Rng, SeedableRng};
use nn::{network, Float, Network, ParamKind, WeightsError};
use rand_chacha::ChaCha8Rng;

network! {
    /// Every kind of tensor: per-unit and shared learnable activations, and a maxout layer.
    pub struct Learn {
        input: 3,
        a: dense(4) -> prelu,
        b: dense(5) -> swish_learnable(0.5),
        m: maxout(3, 2),
        output: dense(2) -> prelu_shared,
        loss: mse,
    }
}

network! {
    /// The architecture of tests/fixtures/tanh_3_4_2_f32.safetensors.
    pub struct TanhFixture {
        input: 3,
        hidden: dense(4) -> tanh,
        output: dense(2),
        loss: mse,
    }
}

network! {
    /// The architecture of tests/fixtures/prelu_3_4_2_f64.safetensors.
    pub struct PreluFixture {
        input: 3,
        hidden: dense(4) -> prelu,
        output: dense(2),
        loss: mse,
    }
}

network! {
    /// The network the mismatched files below are loaded into.
    pub struct Small {
        input: 2,
        hidden: dense(8) -> tanh,
        output: dense(3) -> softmax,
        loss: cross_entropy,
    }
}

network! {
    /// `Small` with three inputs: `hidden.weight` is [8, 3].
    pub struct Wide {
        input: 3,
        hidden: dense(8) -> tanh,
        output: dense(3) -> softmax,
        loss: cross_entropy,
    }
}

network! {
    /// `Small` with four outputs: its first two tensors fit `Small`, the last two do not.
    pub struct MoreOutputs {
        input: 2,
        hidden: dense(8) -> tanh,
        output: dense(4) -> softmax,
        loss: cross_entropy,
    }
}

network! {
    /// `Small` with PReLU: one tensor more, `hidden.slope`.
    pub struct SmallPrelu {
        input: 2,
        hidden: dense(8) -> prelu,
        output: dense(3) -> softmax,
        loss: cross_entropy,
    }
}

network! {
    /// `Small` with its last layer called `out`.
    pub struct Renamed {
        input: 2,
        hidden: dense(8) -> tanh,
        out: dense(3) -> softmax,
        loss: cross_entropy,
    }
}

network! {
    /// MNIST-size, 784-256-128-10: its two large layers are boxed.
    pub struct Mnist {
        input: 784,
        hidden1: dense(256) -> relu,
        hidden2: dense(128) -> relu,
        output: dense(10) -> softmax,
        loss: cross_entropy,
    }
}

/// The scalar types, bit for bit.
trait Bits: Float {
    /// The value's bits, widened to 64.
    fn bits(self) -> u64;
    /// A value of random bits: NaNs with any payload, infinities, subnormals, zeros of
    /// either sign, and everything between.
    fn random_bits(rng: &mut ChaCha8Rng) -> Self;
}

impl Bits for f32 {
    fn bits(self) -> u64 {
        u64::from(self.to_bits())
    }
    fn random_bits(rng: &mut ChaCha8Rng) -> Self {
        f32::from_bits(rng.random())
    }
}

impl Bits for f64 {
    fn bits(self) -> u64 {
        self.to_bits()
    }
    fn random_bits(rng: &mut ChaCha8Rng) -> Self {
        f64::from_bits(rng.random())
    }
}

/// Every parameter's name and bits, in the visitor's order.
fn bits<T: Bits, N: Network<T>>(net: &N) -> Vec<(&'static str, Vec<u64>)> {
    let mut all = Vec::new();
    net.visit(&mut |p| all.push((p.name, p.values.iter().map(|v| v.bits()).collect())));
    all
}

/// Sets every parameter to random bits, or to random finite values if `finite`.
fn randomize<T: Bits, N: Network<T>>(net: &mut N, seed: u64, finite: bool) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    net.visit_mut(&mut |p| {
        for v in p.values.iter_mut() {
            *v = loop {
                let x = T::random_bits(&mut rng);
                if !finite || x.is_finite() {
                    break x;
                }
            };
        }
    });
}

/// The JSON header of a safetensors file, its padding included.
fn header(bytes: &[u8]) -> &str {
    let size = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    std::str::from_utf8(&bytes[8..8 + size]).unwrap()
}

/// A fresh path in the temporary directory.
fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("nn-io-{}-{name}.safetensors", std::process::id()))
}

/// The error loading `bytes` into a `N::zeros()` gives, after checking that the failed load
/// left the network unchanged.
fn load_error<T: Bits, N: Network<T>>(bytes: &[u8]) -> String {
    let mut net = N::zeros();
    randomize(&mut net, 99, false);
    let before = bits(&net);
    let error = from_safetensors_bytes(&mut net, bytes).expect_err("the load succeeded");
    assert_eq!(bits(&net), before, "the failed load changed the network: {error}");
    error.to_string()
}

#[test]
fn round_trip_is_bit_exact_for_every_kind_of_tensor() {
    fn check<T: Bits>() {
        let mut net = Learn::<T>::zeros();
        randomize(&mut net, 1, false);
        let bytes = to_safetensors_bytes(&net);
        let mut loaded = Learn::<T>::zeros();
        from_safetensors_bytes(&mut loaded, &bytes).unwrap();
        assert_eq!(bits(&loaded), bits(&net), "{}", T::NAME);
        // Saving the loaded network writes the same bytes.
        assert_eq!(to_safetensors_bytes(&loaded), bytes);
    }
    check::<f32>();
    check::<f64>();
}

#[test]
fn files_have_pytorch_names_shapes_and_dtypes() {
    let net = Learn::<f32>::seeded(3);
    let bytes = to_safetensors_bytes(&net);
    let header = header(&bytes);
    let mut offset = 0;
    let mut tensors = Vec::new();
    for (name, shape, count) in [
        ("a.weight", "[4,3]", 12),
        ("a.bias", "[4]", 4),
        ("a.slope", "[4]", 4),
        ("b.weight", "[5,4]", 20),
        ("b.bias", "[5]", 5),
        ("b.beta", "[5]", 5),
        ("m.weight", "[6,5]", 30),
        ("m.bias", "[6]", 6),
        ("output.weight", "[2,3]", 6),
        ("output.bias", "[2]", 2),
        ("output.slope", "[1]", 1),
    ] {
        let end = offset + 4 * count;
        tensors.push(format!(
            "\"{name}\":{{\"dtype\":\"F32\",\"shape\":{shape},\"data_offsets\":[{offset},{end}]}}"
        ));
        offset = end;
    }
    assert_eq!(header.trim_end(), format!("{{{}}}", tensors.join(",")));
    assert_eq!((8 + header.len()) % 8, 0, "the data starts 8-byte aligned");
    assert_eq!(bytes.len(), 8 + header.len() + offset);

    // Weights are row-major: a.weight[0, 1] is the second scalar of the data.
    let data = &bytes[8 + header.len()..];
    let scalar = |k: usize| f32::from_le_bytes(data[4 * k..4 * k + 4].try_into().unwrap());
    assert_eq!(scalar(0), net.a.weight[(0, 0)]);
    assert_eq!(scalar(1), net.a.weight[(0, 1)]);
    assert_eq!(scalar(3), net.a.weight[(1, 0)]);

    let f64_bytes = to_safetensors_bytes(&Learn::<f64>::seeded(3));
    let f64_header = self::header(&f64_bytes);
    assert!(f64_header.starts_with("{\"a.weight\":{\"dtype\":\"F64\",\"shape\":[4,3],"));
}

#[test]
fn files_round_trip_through_the_file_system() {
    let path = temp_path("round-trip");
    let mut net = Learn::<f64>::zeros();
    randomize(&mut net, 2, false);
    save_safetensors(&net, &path).unwrap();
    let mut loaded = Learn::<f64>::zeros();
    load_safetensors(&mut loaded, &path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(bits(&loaded), bits(&net));
}

#[test]
fn missing_and_unwritable_files_are_errors_naming_them() {
    let path = temp_path("does-not-exist");
    let error = load_safetensors(&mut Small::<f32>::zeros(), &path).unwrap_err();
    assert!(matches!(error, WeightsError::Read { .. }));
    let prefix = format!("cannot read weights from \"{}\": ", path.display());
    assert!(error.to_string().starts_with(&prefix), "{error}");
    assert!(std::error::Error::source(&error).is_some());

    let path = Path::new("/nonexistent-directory/weights.safetensors");
    let error = save_safetensors(&Small::<f32>::zeros(), path).unwrap_err();
    let prefix = "cannot write weights to \"/nonexistent-directory/weights.safetensors\": ";
    assert!(error.to_string().starts_with(prefix), "{error}");
}

// The fixtures: written by tests/fixtures/make_fixture.py with Python's safetensors package.

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// The script's formulas, computed in `f64` exactly as Python computes them.
fn formula(name: &str, o: usize, i: usize) -> f64 {
    let (o, i) = (o as f64, i as f64);
    match name {
        "hidden.weight" => 0.1 * (o + 1.0) - 0.01 * i,
        "hidden.bias" => 0.3 - 0.2 * o,
        "hidden.slope" => 0.25 + 0.01 * o,
        "output.weight" => -0.2 * (o + 1.0) + 0.03 * i,
        "output.bias" => -0.07 * (o + 1.0),
        _ => panic!("no formula for {name}"),
    }
}

/// Checks every parameter of `net` against the script's formulas, rounded once to `T`.
fn check_formulas<T: Bits, N: Network<T>>(net: &N, expected_names: &[&str]) {
    let mut names = Vec::new();
    net.visit(&mut |p| {
        names.push(p.name);
        let (rows, cols) = p.shape;
        for o in 0..rows {
            for i in 0..cols {
                let value = p.values[i * rows + o];
                let expected = T::lit(formula(p.name, o, i));
                assert_eq!(value.bits(), expected.bits(), "{}[{o}, {i}]", p.name);
            }
        }
    });
    assert_eq!(names, expected_names);
}

/// The input and output that forward.txt gives for the fixture `stem`.
fn expected_forward(stem: &str) -> (Vec<f64>, Vec<f64>) {
    let text = std::fs::read_to_string(format!("{FIXTURES}/forward.txt")).unwrap();
    let line = text.lines().find(|l| l.starts_with(&format!("{stem} "))).unwrap();
    let (input, output) = line.split_once(" output ").unwrap();
    let numbers =
        |s: &str| -> Vec<f64> { s.split_whitespace().map(|x| x.parse().unwrap()).collect() };
    (numbers(input.split_once(" input ").unwrap().1), numbers(output))
}

#[test]
fn a_float32_file_written_by_python_loads_with_the_intended_values() {
    let mut net = TanhFixture::<f32>::zeros();
    load_safetensors(&mut net, format!("{FIXTURES}/tanh_3_4_2_f32.safetensors")).unwrap();
    check_formulas(&net, &["hidden.weight", "hidden.bias", "output.weight", "output.bias"]);
    // A value by its indices: PyTorch's weight[1, 2] is the network's weight[(1, 2)].
    assert_eq!(net.hidden.weight[(1, 2)], (0.1 * 2.0 - 0.01 * 2.0) as f32);

    let (x, y) = expected_forward("tanh_3_4_2_f32");
    let out = net.forward(&SVector::from_iterator(x.iter().map(|&v| v as f32)));
    for (k, (&got, &want)) in out.iter().zip(&y).enumerate() {
        assert!((f64::from(got) - want).abs() < 1e-6, "output {k}: {got} vs numpy's {want}");
    }
}

#[test]
fn a_float64_file_with_prelu_slopes_written_by_python_loads_with_the_intended_values() {
    let mut net = PreluFixture::<f64>::zeros();
    load_safetensors(&mut net, format!("{FIXTURES}/prelu_3_4_2_f64.safetensors")).unwrap();
    check_formulas(
        &net,
        &["hidden.weight", "hidden.bias", "hidden.slope", "output.weight", "output.bias"],
    );
    let (x, y) = expected_forward("prelu_3_4_2_f64");
    let out = net.forward(&SVector::from_iterator(x));
    for (k, (&got, &want)) in out.iter().zip(&y).enumerate() {
        assert!((got - want).abs() < 1e-14, "output {k}: {got} vs numpy's {want}");
    }
}

#[test]
fn the_python_files_do_not_load_into_other_types_or_architectures() {
    let f32_file = std::fs::read(format!("{FIXTURES}/tanh_3_4_2_f32.safetensors")).unwrap();
    let f64_file = std::fs::read(format!("{FIXTURES}/prelu_3_4_2_f64.safetensors")).unwrap();
    assert_eq!(
        load_error::<f64, TanhFixture<f64>>(&f32_file),
        "tensor \"hidden.weight\" is F32; the network is f64; to convert it, load with \
         `LoadOptions::new().cast_from(FileDtype::F32)`"
    );
    assert_eq!(
        load_error::<f64, TanhFixture<f64>>(&f64_file),
        "unexpected tensor \"hidden.slope\": the weights have it, the network does not"
    );
    assert_eq!(
        load_error::<f32, PreluFixture<f32>>(&f32_file),
        "missing tensor \"hidden.slope\": the network has it, the weights do not"
    );
}

#[test]
fn the_writer_lays_out_the_python_values_as_pytorch_does() {
    // Load the file Python wrote, write it again: the header names PyTorch's shapes and the
    // data holds each weight row by row, as numpy's C order does.
    let mut net = TanhFixture::<f32>::zeros();
    load_safetensors(&mut net, format!("{FIXTURES}/tanh_3_4_2_f32.safetensors")).unwrap();
    let bytes = to_safetensors_bytes(&net);
    let header = header(&bytes);
    assert_eq!(
        header.trim_end(),
        "{\"hidden.weight\":{\"dtype\":\"F32\",\"shape\":[4,3],\"data_offsets\":[0,48]},\
         \"hidden.bias\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[48,64]},\
         \"output.weight\":{\"dtype\":\"F32\",\"shape\":[2,4],\"data_offsets\":[64,96]},\
         \"output.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[96,104]}}"
    );
    let data = &bytes[8 + header.len()..];
    let row_major: Vec<f32> =
        (0..4).flat_map(|o| (0..3).map(move |i| formula("hidden.weight", o, i) as f32)).collect();
    let written: Vec<f32> =
        data[..48].chunks(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
    assert_eq!(written, row_major);
}

// Mismatches: each error's exact text, and the network unchanged after it.

#[test]
fn a_wrong_shape_names_the_tensor_and_both_shapes() {
    let bytes = to_safetensors_bytes(&Wide::<f32>::seeded(1));
    assert_eq!(
        load_error::<f32, Small<f32>>(&bytes),
        "tensor \"hidden.weight\" has shape [8, 3]; the network expects [8, 2]"
    );
    // Later tensors are checked before anything is written: the hidden layer of this file
    // fits, its output layer does not, and the network is left as it was (`load_error`).
    let bytes = to_safetensors_bytes(&MoreOutputs::<f32>::seeded(1));
    assert_eq!(
        load_error::<f32, Small<f32>>(&bytes),
        "tensor \"output.weight\" has shape [4, 8]; the network expects [3, 8]"
    );
}

#[test]
fn a_wrong_dtype_names_the_tensor_and_both_types() {
    let bytes = to_safetensors_bytes(&Small::<f64>::seeded(1));
    assert_eq!(
        load_error::<f32, Small<f32>>(&bytes),
        "tensor \"hidden.weight\" is F64; the network is f32; to convert it, load with \
         `LoadOptions::new().cast_from(FileDtype::F64)`"
    );
    let bytes = to_safetensors_bytes(&Small::<f32>::seeded(1));
    let error = load_error::<f64, Small<f64>>(&bytes);
    assert_eq!(
        error,
        "tensor \"hidden.weight\" is F32; the network is f64; to convert it, load with \
         `LoadOptions::new().cast_from(FileDtype::F32)`"
    );
}

#[test]
fn missing_and_unexpected_tensors_are_all_named() {
    let small = to_safetensors_bytes(&Small::<f32>::seeded(1));
    let prelu = to_safetensors_bytes(&SmallPrelu::<f32>::seeded(1));
    let renamed = to_safetensors_bytes(&Renamed::<f32>::seeded(1));
    assert_eq!(
        load_error::<f32, SmallPrelu<f32>>(&small),
        "missing tensor \"hidden.slope\": the network has it, the weights do not"
    );
    assert_eq!(
        load_error::<f32, Small<f32>>(&prelu),
        "unexpected tensor \"hidden.slope\": the weights have it, the network does not"
    );
    assert_eq!(
        load_error::<f32, Small<f32>>(&renamed),
        "missing tensors \"output.weight\", \"output.bias\": the network has them, the weights \
         do not; unexpected tensors \"out.bias\", \"out.weight\": the weights have them, the \
         network does not"
    );
    let mut net = Small::<f32>::zeros();
    match from_safetensors_bytes(&mut net, &renamed) {
        Err(WeightsError::Names { missing, unexpected }) => {
            assert_eq!(missing, ["output.weight", "output.bias"]);
            assert_eq!(unexpected, ["out.bias", "out.weight"]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn truncated_and_corrupted_files_say_what_is_wrong() {
    let bytes = to_safetensors_bytes(&Small::<f32>::seeded(1));
    let header_size = header(&bytes).len();
    let error = |b: &[u8]| load_error::<f32, Small<f32>>(b);
    assert_eq!(
        error(&bytes[..5]),
        "not a valid safetensors file: it is 5 bytes long, shorter than the 8-byte header size \
         that starts the format"
    );
    assert_eq!(
        error(&bytes[..100]),
        format!(
            "not a valid safetensors file: its header size, {header_size} bytes, runs past its \
             end (92 bytes follow the size); is it truncated?"
        )
    );
    let truncated_data = &bytes[..bytes.len() - 1];
    let appended = [&bytes[..], &[0]].concat();
    for b in [truncated_data, &appended] {
        assert_eq!(
            error(b),
            "not a valid safetensors file: the tensors its header describes do not end where the \
             file does; is it truncated, or were bytes appended?"
        );
    }
    let mut corrupted = bytes.clone();
    corrupted[8] = b'[';
    assert!(error(&corrupted).starts_with("not a valid safetensors file: invalid JSON in header"));
    let mut too_large = bytes.clone();
    too_large[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    assert_eq!(
        error(&too_large),
        "not a valid safetensors file: its header size, 18446744073709551615 bytes, is over the \
         format's limit of 100 MB"
    );
}

/// A file with the given header and `data` bytes of data.
fn file(header: &str, data: usize) -> Vec<u8> {
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.resize(bytes.len() + data, 0);
    bytes
}

#[test]
fn offsets_that_would_overflow_are_an_error_not_a_panic() {
    // safetensors 0.8 adds the last data offset to the header size unchecked, which overflows
    // (a panic with overflow checks) for offsets near `usize::MAX`; they are rejected first.
    let big = (1_u64 << 61) - 1;
    let mut tensors = Vec::new();
    let mut start = 0_u64;
    while u64::MAX - start >= big {
        let n = tensors.len();
        let end = start + big;
        tensors.push(format!(
            "\"t{n}\":{{\"dtype\":\"U8\",\"shape\":[{big}],\"data_offsets\":[{start},{end}]}}"
        ));
        start = end;
    }
    let rest = u64::MAX - start;
    tensors.push(format!(
        "\"last\":{{\"dtype\":\"U8\",\"shape\":[{rest}],\"data_offsets\":[{start},{}]}}",
        u64::MAX
    ));
    let bytes = file(&format!("{{{}}}", tensors.join(",")), 0);
    assert_eq!(
        load_error::<f32, Small<f32>>(&bytes),
        "not a valid safetensors file: its header holds a number larger than any shape or offset \
         can be"
    );
    // Large numbers inside strings are names, not offsets, and pass this check.
    let bytes = file(
        "{\"18446744073709551615\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}",
        4,
    );
    assert_eq!(
        load_error::<f32, Small<f32>>(&bytes).split(':').next(),
        Some("missing tensors \"hidden.weight\", \"hidden.bias\", \"output.weight\", \"output.bias\"")
    );
}

#[test]
fn metadata_is_ignored() {
    // `safetensors.torch.save_file(sd, path, metadata={"format": "pt"})` writes this, as
    // Hugging Face's libraries do.
    let net = Small::<f32>::seeded(1);
    let bytes = edit_header(&to_safetensors_bytes(&net), |header| {
        header.replacen('{', "{\"__metadata__\":{\"format\":\"pt\"},", 1)
    });
    let mut loaded = Small::<f32>::zeros();
    from_safetensors_bytes(&mut loaded, &bytes).unwrap();
    assert_eq!(bits(&loaded), bits(&net));
}

#[test]
fn nan_and_infinities_load_as_they_are() {
    let mut net = Small::<f32>::seeded(1);
    net.hidden.weight[(0, 0)] = f32::NAN;
    net.hidden.weight[(1, 1)] = f32::from_bits(0x7f80_0001); // a signalling NaN
    net.output.bias[2] = f32::NEG_INFINITY;
    let mut loaded = Small::<f32>::zeros();
    from_safetensors_bytes(&mut loaded, &to_safetensors_bytes(&net)).unwrap();
    assert_eq!(bits(&loaded), bits(&net));
    assert_eq!(loaded.hidden.weight[(1, 1)].to_bits(), 0x7f80_0001);
}

// Fuzzing: random and mutated bytes never make loading panic.

/// How each fuzzed input ended.
#[derive(Default, Debug)]
struct Outcomes {
    loaded: usize,
    format: usize,
    names: usize,
    shape: usize,
    dtype: usize,
}

/// Loads `bytes` into a copy of `base`, failing the test with the input if that panics;
/// checks that an error leaves the network unchanged and explains itself.
fn fuzz_one(base: &Learn<f32>, bytes: &[u8], outcomes: &mut Outcomes) {
    let mut net = base.clone();
    let result = catch_unwind(AssertUnwindSafe(|| from_safetensors_bytes(&mut net, bytes)));
    let Ok(result) = result else {
        let shown: String = bytes.iter().take(400).map(|&b| char::from(b)).collect();
        panic!("loading {} bytes panicked: {shown:?}", bytes.len());
    };
    match result {
        Ok(()) => outcomes.loaded += 1,
        Err(error) => {
            assert_eq!(bits(&net), bits(base), "a failed load changed the network: {error}");
            assert!(!error.to_string().is_empty());
            match error {
                WeightsError::Format { .. } => outcomes.format += 1,
                WeightsError::Names { .. } => outcomes.names += 1,
                WeightsError::Shape { .. } => outcomes.shape += 1,
                WeightsError::Dtype { .. } => outcomes.dtype += 1,
                other => panic!("unexpected error {other:?}"),
            }
        }
    }
}

/// `valid` with its JSON header edited by `edit` and the header size rewritten to match.
fn edit_header(valid: &[u8], edit: impl FnOnce(&str) -> String) -> Vec<u8> {
    let header = header(valid);
    let data = &valid[8 + header.len()..];
    let header = edit(header);
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(data);
    bytes
}

#[test]
fn no_bytes_make_loading_panic() {
    let mut rng = ChaCha8Rng::seed_from_u64(2024);
    let base = Learn::<f32>::seeded(5);
    let valid = to_safetensors_bytes(&Learn::<f32>::seeded(6));
    let valid_f64 = to_safetensors_bytes(&Learn::<f64>::seeded(6));
    let mut outcomes = Outcomes::default();
    let mut inputs = 0;
    let mut run = |bytes: &[u8], outcomes: &mut Outcomes| {
        fuzz_one(&base, bytes, outcomes);
        inputs += 1;
    };

    // Random bytes, and random bytes after a header size that fits them.
    for _ in 0..10_000 {
        let len = rng.random_range(0..300);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        run(&bytes, &mut outcomes);
        if len >= 8 {
            let size = rng.random_range(0..=len as u64 - 8);
            bytes[..8].copy_from_slice(&size.to_le_bytes());
            run(&bytes, &mut outcomes);
        }
    }
    // Every truncation of valid files.
    for len in 0..valid.len() {
        run(&valid[..len], &mut outcomes);
    }
    for len in 0..valid_f64.len() {
        run(&valid_f64[..len], &mut outcomes);
    }
    // Random mutations of a valid file: flipped bits, overwritten, inserted, deleted and
    // duplicated bytes, anywhere.
    for _ in 0..20_000 {
        let mut bytes = if rng.random() { valid.clone() } else { valid_f64.clone() };
        for _ in 0..rng.random_range(1..=4) {
            let at = rng.random_range(0..bytes.len());
            match rng.random_range(0..5) {
                0 => bytes[at] ^= 1 << rng.random_range(0..8),
                1 => bytes[at] = rng.random(),
                2 => bytes.insert(at, rng.random()),
                3 => drop(bytes.remove(at)),
                _ => {
                    let end = (at + rng.random_range(1..16)).min(bytes.len());
                    let chunk = bytes[at..end].to_vec();
                    bytes.splice(at..at, chunk);
                }
            }
        }
        run(&bytes, &mut outcomes);
    }
    // Edits of the header that keep it well-formed, so that the checks past parsing run:
    // a digit changed (shapes, offsets), a dtype changed, a name changed, a tensor dropped.
    for _ in 0..10_000 {
        let source = if rng.random() { &valid } else { &valid_f64 };
        let bytes = edit_header(source, |header| {
            let mut header = header.to_string();
            match rng.random_range(0..5) {
                0 => {
                    let digits: Vec<usize> = header
                        .char_indices()
                        .filter(|(_, c)| c.is_ascii_digit())
                        .map(|(i, _)| i)
                        .collect();
                    let at = digits[rng.random_range(0..digits.len())];
                    let digit = char::from(b'0' + rng.random_range(0..10));
                    header.replace_range(at..at + 1, &digit.to_string());
                }
                1 => {
                    let dtype = ["F64", "F32", "F16", "BF16", "I32", "U8", "BOOL", "F4", "Q8"]
                        [rng.random_range(0..9)];
                    let from = if header.contains("F32") { "F32" } else { "F64" };
                    header = header.replacen(from, dtype, rng.random_range(1..=3));
                }
                2 => header = header.replacen(".weight", ".weights", 1),
                3 => {
                    // Reshape a weight with as many scalars: [4,3] to [3,4] or [12].
                    let start = header.find("\"shape\":[").unwrap() + 9;
                    let end = start + header[start..].find(']').unwrap();
                    let dims: Vec<usize> =
                        header[start..end].split(',').map(|d| d.parse().unwrap()).collect();
                    let reshaped = if rng.random() {
                        format!("{},{}", dims[1], dims[0])
                    } else {
                        format!("{}", dims[0] * dims[1])
                    };
                    header.replace_range(start..end, &reshaped);
                }
                _ => {
                    // Drop the first tensor's entry; its data stays, so offsets no longer
                    // start at 0 unless the data is cut to match.
                    let end = header.find("]},").unwrap() + 3;
                    header.replace_range(1..end, "");
                }
            }
            header
        });
        run(&bytes, &mut outcomes);
    }
    // Data mutated under a valid header loads (the values are any bits).
    for _ in 0..500 {
        let mut bytes = valid.clone();
        let data_start = 8 + header(&valid).len();
        let at = rng.random_range(data_start..bytes.len());
        bytes[at] = rng.random();
        run(&bytes, &mut outcomes);
    }

    println!("{inputs} inputs: {outcomes:?}");
    assert!(inputs > 50_000, "{inputs}");
    let Outcomes { loaded, format, names, shape, dtype } = outcomes;
    for (what, count) in [
        ("loaded", loaded),
        ("format", format),
        ("names", names),
        ("shape", shape),
        ("dtype", dtype),
    ] {
        assert!(count > 0, "no input ended in `{what}`: {outcomes:?}");
    }
}

// The MNIST-size network in a thread with a test thread's default stack.

/// Saves an MNIST-size network to bytes and a file, and loads both into fresh networks.
fn mnist_round_trip<T: Bits>() {
    let mut net = Mnist::<T>::seeded(7);
    net.visit_mut(&mut |p| {
        if p.kind != ParamKind::Weight {
            for (k, v) in p.values.iter_mut().enumerate() {
                *v = T::lit(k as f64 * 1e-3 - 0.05);
            }
        }
    });
    let bytes = to_safetensors_bytes(&net);
    assert_eq!(bytes.len(), 8 + header(&bytes).len() + 235_146 * std::mem::size_of::<T>());
    let mut loaded = Mnist::<T>::zeros();
    from_safetensors_bytes(&mut loaded, &bytes).unwrap();
    assert!(bits(&loaded) == bits(&net), "{}: the loaded network differs", T::NAME);

    let path = temp_path(&format!("mnist-{}", T::NAME));
    save_safetensors(&net, &path).unwrap();
    let mut from_file = Mnist::<T>::zeros();
    load_safetensors(&mut from_file, &path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(bits(&from_file) == bits(&net), "{}: the network loaded from a file differs", T::NAME);
}

#[test]
fn mnist_size_network_saves_and_loads_in_a_2_mib_thread() {
    let worker = std::thread::Builder::new()
        .name("mnist-io".to_string())
        .stack_size(2 * 1024 * 1024)
        .spawn(|| {
            mnist_round_trip::<f32>();
            mnist_round_trip::<f64>();
        })
        .unwrap();
    worker.join().expect("the save and load panicked");
}

// JSON state dicts.

#[cfg(feature = "serde")]
mod json {
    use nn::io::StateDict;

    use super::*;

    #[test]
    fn json_round_trip_is_exact() {
        fn check<T: Bits>() {
            let mut net = Learn::<T>::zeros();
            randomize(&mut net, 7, true);
            let json = StateDict::from_network(&net).to_json().unwrap();
            let mut loaded = Learn::<T>::zeros();
            StateDict::from_json(&json).unwrap().load_into(&mut loaded).unwrap();
            assert_eq!(bits(&loaded), bits(&net), "{}", T::NAME);
        }
        check::<f32>();
        check::<f64>();
    }

    #[test]
    fn zeros_and_subnormals_round_trip_exactly() {
        let mut net = Small::<f64>::zeros();
        net.hidden.weight[(0, 0)] = -0.0;
        net.hidden.weight[(1, 0)] = f64::from_bits(1);
        net.hidden.weight[(2, 0)] = f64::MIN_POSITIVE;
        net.hidden.weight[(3, 0)] = f64::MAX;
        net.hidden.weight[(4, 0)] = 0.1;
        let json = StateDict::from_network(&net).to_json().unwrap();
        let mut loaded = Small::<f64>::seeded(1);
        StateDict::from_json(&json).unwrap().load_into(&mut loaded).unwrap();
        assert_eq!(bits(&loaded), bits(&net));
    }

    #[test]
    fn the_state_dict_has_the_safetensors_layout() {
        let net = Small::<f32>::seeded(3);
        let dict = StateDict::from_network(&net);
        let names: Vec<&str> = dict.tensors.keys().map(String::as_str).collect();
        assert_eq!(names, ["hidden.bias", "hidden.weight", "output.bias", "output.weight"]);
        let weight = &dict.tensors["hidden.weight"];
        assert_eq!(weight.shape, [8, 2]);
        assert_eq!(weight.data[3], f64::from(net.hidden.weight[(1, 1)]));
        assert_eq!(weight.data[4], f64::from(net.hidden.weight[(2, 0)]));
        assert_eq!(dict.tensors["output.bias"].shape, [3]);
        let json = dict.to_json().unwrap();
        assert!(json.starts_with("{\"hidden.bias\":{\"shape\":[8],\"data\":[0.0,"), "{json}");
    }

    #[test]
    fn json_mismatches_give_the_same_errors() {
        let mut net = Small::<f32>::seeded(1);
        let before = bits(&net);
        let load = |dict: &StateDict, net: &mut Small<f32>| dict.load_into(net).unwrap_err();

        let wide = StateDict::from_network(&Wide::<f32>::seeded(1));
        assert_eq!(
            load(&wide, &mut net).to_string(),
            "tensor \"hidden.weight\" has shape [8, 3]; the network expects [8, 2]"
        );
        let renamed = StateDict::from_network(&Renamed::<f32>::seeded(1));
        assert!(matches!(load(&renamed, &mut net), WeightsError::Names { .. }));

        let mut short = StateDict::from_network(&Small::<f32>::seeded(2));
        short.tensors.get_mut("output.weight").unwrap().data.pop();
        assert_eq!(
            load(&short, &mut net).to_string(),
            "tensor \"output.weight\" has 23 values, but its shape [3, 8] holds 24"
        );
        assert_eq!(bits(&net), before, "a failed load changed the network");

        // JSON numbers have no dtype: an f64 network's state dict loads into an f32 network,
        // each value rounded to the nearest f32.
        let wider = Small::<f64>::seeded(4);
        StateDict::from_network(&wider).load_into(&mut net).unwrap();
        assert_eq!(net.hidden.weight[(5, 1)], wider.hidden.weight[(5, 1)] as f32);
    }

    #[test]
    fn json_errors_explain_themselves() {
        let mut net = Small::<f64>::seeded(1);
        net.output.weight[(1, 2)] = f64::NAN;
        assert_eq!(
            StateDict::from_network(&net).to_json().unwrap_err().to_string(),
            "tensor \"output.weight\" holds NaN at index 10; JSON has no NaN or infinity"
        );
        let error = StateDict::from_json("{\"hidden.weight\": {\"shape\": [8, 2]}}").unwrap_err();
        assert_eq!(
            error.to_string(),
            "not the JSON of a state dict: missing field `data` at line 1 column 35"
        );
        assert!(std::error::Error::source(&error).is_some());
    }

    #[test]
    fn json_rejects_out_of_range_values_duplicate_names_and_unknown_fields() {
        let mut net = Small::<f32>::seeded(1);
        let before = bits(&net);
        let mut dict = StateDict::from_network(&Small::<f32>::seeded(2));
        dict.tensors.get_mut("output.bias").unwrap().data[2] = 1e39;
        let json = dict.to_json().unwrap();
        let error = StateDict::from_json(&json).unwrap().load_into(&mut net).unwrap_err();
        assert_eq!(
            error.to_string(),
            "tensor \"output.bias\" holds 1e39 at index 2, beyond the range of f32; the network \
             cannot hold it"
        );
        assert_eq!(bits(&net), before, "a failed load changed the network");
        // In f64 the same value is in range.
        let mut wide = Small::<f64>::seeded(1);
        StateDict::from_json(&json).unwrap().load_into(&mut wide).unwrap();
        assert_eq!(wide.output.bias[2], 1e39);

        let twice =
            r#"{"a.bias": {"shape": [1], "data": [1.0]}, "a.bias": {"shape": [1], "data": [2.0]}}"#;
        assert_eq!(
            StateDict::from_json(twice).unwrap_err().to_string(),
            "not the JSON of a state dict: tensor \"a.bias\" appears twice at line 1 column 82"
        );
        let extra = r#"{"a.bias": {"shape": [1], "data": [1.0], "dtype": "F32"}}"#;
        let error = StateDict::from_json(extra).unwrap_err().to_string();
        assert!(
            error.starts_with("not the JSON of a state dict: unknown field `dtype`"),
            "{error}"
        );
        let field_twice = r#"{"a.bias": {"shape": [1], "data": [1.0], "data": [2.0]}}"#;
        let error = StateDict::from_json(field_twice).unwrap_err().to_string();
        assert!(error.contains("duplicate field `data`"), "{error}");
    }
}

/// A classifier's class labels travel in the weights file's metadata: the weights load as
/// before, by this loader and by any other, and the labels read back as saved.
#[test]
fn class_labels_travel_with_the_weights() {
    use nn::data::Labels;
    use nn::io::{labels_of_safetensors, labels_of_safetensors_bytes, SaveOptions};

    let net = Small::<f32>::seeded(3);
    let labels =
        Labels { names: vec!["cat".into(), "dog \"the best\", really".into(), "émeu".into()] };
    let options = SaveOptions::new().labels(labels.clone());
    let bytes = nn::io::to_safetensors_bytes_with(&net, &options).unwrap();
    assert!(header(&bytes).contains("\"__metadata__\":{\"nn.labels\":"), "{}", header(&bytes));
    let mut loaded = Small::<f32>::zeros();
    from_safetensors_bytes(&mut loaded, &bytes).unwrap();
    assert_eq!(bits(&loaded), bits(&net));
    // safetensors' own reader takes the file and its metadata.
    let (_, metadata) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    assert_eq!(metadata.metadata().as_ref().unwrap()["nn.labels"], labels.to_text());
    assert_eq!(labels_of_safetensors_bytes(&bytes).unwrap(), Some(labels.clone()));
    // Through a file, and none where none were saved.
    let path = temp_path("labels.safetensors");
    nn::io::save_safetensors_with(&net, &path, &options).unwrap();
    assert_eq!(labels_of_safetensors(&path).unwrap(), Some(labels));
    assert_eq!(labels_of_safetensors_bytes(&to_safetensors_bytes(&net)).unwrap(), None);
}
