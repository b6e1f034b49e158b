//! PyTorch models load as they are: the files of tests/fixtures/make_pytorch_fixtures.py, each
//! in PyTorch's own naming, load with the option their row of the table needs (and without it
//! fail with an error that names the option), reproduce the outputs the script computed with
//! numpy in float64, and save back under PyTorch's names. Files of other formats are named in
//! the error with the command that converts them.

#![deny(warnings)]

use nn::io::{
    from_safetensors_bytes, from_safetensors_bytes_with, list_safetensors, list_safetensors_bytes,
    load_safetensors, load_safetensors_with, save_safetensors_with, to_safetensors_bytes,
    to_safetensors_bytes_with, FileDtype, KeyMap, KeyRule, LoadOptions, SaveOptions,
};
use nn::nalgebra::SVector;
use nn::{network, Float, Model, Network, WeightsError};

network! {
    /// `self.hidden = nn.Linear(5, 8); self.hidden_act = nn.PReLU(8); self.out = nn.Linear(8, 3)`.
    pub struct AttrPrelu {
        input: 5,
        hidden: dense(8) -> prelu,
        out: dense(3),
        loss: mse,
    }
}

network! {
    /// `nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))`.
    pub struct SeqTanh {
        input: 5,
        hidden: dense(8) -> tanh,
        out: dense(3),
        loss: mse,
    }
}

network! {
    /// `nn.Sequential(nn.Linear(5, 8), nn.PReLU(8), nn.Dropout(0.1), nn.Linear(8, 6),
    /// nn.ReLU(), nn.Linear(6, 3))`.
    pub struct SeqPreluDropout {
        input: 5,
        a: dense(8) -> prelu -> dropout(0.1),
        b: dense(6) -> relu,
        out: dense(3),
        loss: mse,
    }
}

network! {
    /// `SeqTanh` with a third layer: the Sequential file has too few layers for it.
    pub struct Deeper {
        input: 5,
        hidden: dense(8) -> tanh,
        more: dense(8) -> tanh,
        out: dense(3),
        loss: mse,
    }
}

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

/// The inputs and outputs pytorch_forward.txt gives for the fixture `stem`.
fn recorded(stem: &str) -> Vec<(Vec<f64>, Vec<f64>)> {
    let text = std::fs::read_to_string(fixture("pytorch_forward.txt")).unwrap();
    let numbers =
        |s: &str| -> Vec<f64> { s.split_whitespace().map(|x| x.parse().unwrap()).collect() };
    let cases: Vec<_> = text
        .lines()
        .filter_map(|l| l.strip_prefix(&format!("{stem} input ")))
        .map(|l| {
            let (x, y) = l.split_once(" output ").unwrap();
            (numbers(x), numbers(y))
        })
        .collect();
    assert!(!cases.is_empty(), "no recorded outputs for {stem}");
    cases
}

/// Checks the network's outputs against the script's for the fixture `stem`, to `tol`.
fn reproduces<T: Float, M: Model<T, 5, 3>>(net: &M, stem: &str, tol: f64) {
    for (x, y) in recorded(stem) {
        let out = net.forward(&SVector::from_iterator(x.iter().map(|&v| T::lit(v))));
        for (k, (&got, &want)) in out.iter().zip(&y).enumerate() {
            let got = got.as_f64();
            assert!(
                (got - want).abs() <= tol,
                "{stem} {}, input {x:?}, output {k}: {got} vs numpy's {want}",
                T::NAME
            );
        }
    }
}

/// Loads the fixture into `N::zeros()` with `options`.
fn load<T: Float, N: Network<T>>(name: &str, options: &LoadOptions) -> Result<N, WeightsError> {
    let mut net = N::zeros();
    load_safetensors_with(&mut net, fixture(name), options)?;
    Ok(net)
}

/// The error of a default load of the fixture into `N::seeded(1)`, checking that the network
/// is unchanged.
fn strict_error<T: Float, N: Network<T> + PartialEq>(name: &str) -> String {
    let mut net = N::zeros();
    let error = load_safetensors(&mut net, fixture(name)).unwrap_err();
    assert!(net == N::zeros(), "the failed load changed the network");
    error.to_string()
}

fn pytorch() -> LoadOptions {
    LoadOptions::new().keys(KeyMap::pytorch())
}

// Row 1: `self.hidden_act = nn.PReLU(8)` beside `self.hidden = nn.Linear(5, 8)`.

#[test]
fn a_prelu_module_beside_its_layer_loads_into_the_line_it_follows() {
    assert_eq!(
        strict_error::<f32, AttrPrelu<f32>>("attr_prelu.safetensors"),
        "missing tensor \"hidden.slope\": the network has it, the weights do not; unexpected \
         tensor \"hidden_act.weight\": the weights have it, the network does not; \
         `<line>_act.weight` looks like an activation module's parameter: load with \
         `LoadOptions::new().keys(KeyMap::pytorch())` to fold it into its line"
    );
    let net: AttrPrelu<f32> = load("attr_prelu.safetensors", &pytorch()).unwrap();
    reproduces(&net, "attr_prelu", 1e-6);
    // The slopes are PyTorch's `hidden_act.weight`, not some other tensor of the file.
    let mapping =
        list_safetensors(&net, fixture("attr_prelu.safetensors"), &KeyMap::pytorch()).unwrap();
    let act = mapping.entries.iter().find(|e| e.file == "hidden_act.weight").unwrap();
    assert_eq!(act.network, "hidden.slope");
    assert_eq!(act.rule, KeyRule::ActivationModule { module: "hidden_act".to_string() });
    // The suffix is an option of its own.
    let keys = KeyMap::new().activation_modules("_act");
    let only: AttrPrelu<f32> =
        load("attr_prelu.safetensors", &LoadOptions::new().keys(keys)).unwrap();
    assert!(only == net);
}

// Row 2: `nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))`.

#[test]
fn sequential_indices_load_as_the_lines_in_order() {
    assert_eq!(
        strict_error::<f32, SeqTanh<f32>>("sequential_tanh.safetensors"),
        "missing tensors \"hidden.weight\", \"hidden.bias\", \"out.weight\", \"out.bias\": the \
         network has them, the weights do not; unexpected tensors \"0.bias\", \"0.weight\", \
         \"2.bias\", \"2.weight\": the weights have them, the network does not; these look like \
         the indices of an `nn.Sequential`: load with `LoadOptions::new().keys(KeyMap::pytorch())`, \
         or map them with `KeyMap::prefix`"
    );
    let net: SeqTanh<f32> = load("sequential_tanh.safetensors", &pytorch()).unwrap();
    reproduces(&net, "sequential_tanh", 1e-6);

    // The same with explicit prefix rules.
    let keys = KeyMap::new().prefix("0.", "hidden.").prefix("2.", "out.");
    let by_prefix: SeqTanh<f32> =
        load("sequential_tanh.safetensors", &LoadOptions::new().keys(keys)).unwrap();
    assert!(by_prefix == net);
    // And with explicit renames.
    let keys = KeyMap::new()
        .rename("0.weight", "hidden.weight")
        .rename("0.bias", "hidden.bias")
        .rename("2.weight", "out.weight")
        .rename("2.bias", "out.bias");
    let renamed: SeqTanh<f32> =
        load("sequential_tanh.safetensors", &LoadOptions::new().keys(keys)).unwrap();
    assert!(renamed == net);
}

#[test]
fn sequential_skips_parameterless_modules_and_folds_prelu_modules() {
    let net: SeqPreluDropout<f32> =
        load("sequential_prelu_dropout.safetensors", &pytorch()).unwrap();
    reproduces(&net, "sequential_prelu_dropout", 1e-6);
    let mapping =
        list_safetensors(&net, fixture("sequential_prelu_dropout.safetensors"), &KeyMap::pytorch())
            .unwrap();
    assert_eq!(
        mapping.to_string(),
        "\"0.bias\" [8] F32 -> \"a.bias\" (`nn.Sequential` index 0 is line `a`)\n\
         \"0.weight\" [8, 5] F32 -> \"a.weight\" (`nn.Sequential` index 0 is line `a`)\n\
         \"1.weight\" [8] F32 -> \"a.slope\" (`nn.Sequential` index 1 is an activation module \
         after line `a`)\n\
         \"3.bias\" [6] F32 -> \"b.bias\" (`nn.Sequential` index 3 is line `b`)\n\
         \"3.weight\" [6, 8] F32 -> \"b.weight\" (`nn.Sequential` index 3 is line `b`)\n\
         \"5.bias\" [3] F32 -> \"out.bias\" (`nn.Sequential` index 5 is line `out`)\n\
         \"5.weight\" [3, 6] F32 -> \"out.weight\" (`nn.Sequential` index 5 is line `out`)"
    );
    // Inside a wrapper module: `self.features = nn.Sequential(...)` names them `features.0...`.
    let wrapped = to_safetensors_bytes_with(
        &net,
        &SaveOptions::new().keys(KeyMap::pytorch().prefix("features.", "")),
    )
    .unwrap();
    let mut back = SeqPreluDropout::<f32>::zeros();
    from_safetensors_bytes_with(
        &mut back,
        &wrapped,
        &LoadOptions::new().keys(KeyMap::new().prefix("features.", "").sequential()),
    )
    .unwrap();
    assert!(back == net);
}

// Row 3: PyTorch's default float32 weights into a network in f64.

#[test]
fn float32_weights_load_into_f64_only_when_asked_and_exactly() {
    assert_eq!(
        load::<f64, SeqTanh<f64>>("sequential_tanh.safetensors", &pytorch())
            .unwrap_err()
            .to_string()
            .lines()
            .next()
            .unwrap(),
        "tensor \"hidden.weight\" is F32; the network is f64; to convert it, load with \
         `LoadOptions::new().cast_from(FileDtype::F32)`"
    );
    let options = pytorch().cast_from(FileDtype::F32);
    let net: SeqTanh<f64> = load("sequential_tanh.safetensors", &options).unwrap();
    // numpy's float64 forward pass from the same stored values: the same arithmetic.
    reproduces(&net, "sequential_tanh", 1e-14);
    // Widening is exact: every value is the f32 the file holds.
    let narrow: SeqTanh<f32> = load("sequential_tanh.safetensors", &pytorch()).unwrap();
    assert_eq!(net.hidden.weight, narrow.hidden.weight.map(f64::from));
    assert_eq!(net.out.bias, narrow.out.bias.map(f64::from));

    // Another fixture, another kind of module, the same option.
    let options = pytorch().cast_from(FileDtype::F32);
    let net: SeqPreluDropout<f64> = load("sequential_prelu_dropout.safetensors", &options).unwrap();
    reproduces(&net, "sequential_prelu_dropout", 1e-14);
    let net: AttrPrelu<f64> = load("attr_prelu.safetensors", &options).unwrap();
    reproduces(&net, "attr_prelu", 1e-14);
}

#[test]
fn half_precision_files_load_with_the_option_that_names_them() {
    for (stem, dtype, name) in [
        ("sequential_tanh_f16", FileDtype::F16, "F16"),
        ("sequential_tanh_bf16", FileDtype::BF16, "BF16"),
    ] {
        let file = format!("{stem}.safetensors");
        let error = load::<f32, SeqTanh<f32>>(&file, &pytorch()).unwrap_err().to_string();
        assert!(
            error.starts_with(&format!(
                "tensor \"hidden.weight\" is {name}; the network is f32; to convert it, load \
                 with `LoadOptions::new().cast_from(FileDtype::{name})`"
            )),
            "{error}"
        );
        // The option converts what it names, nothing else.
        let other = if dtype == FileDtype::F16 { FileDtype::BF16 } else { FileDtype::F16 };
        assert!(load::<f32, SeqTanh<f32>>(&file, &pytorch().cast_from(other)).is_err());

        let net32: SeqTanh<f32> = load(&file, &pytorch().cast_from(dtype)).unwrap();
        let net64: SeqTanh<f64> = load(&file, &pytorch().cast_from(dtype)).unwrap();
        // Half-precision values are exact in f32 and f64: the two networks hold the same.
        assert_eq!(net64.hidden.weight, net32.hidden.weight.map(f64::from));
        reproduces(&net64, stem, 1e-14);
        reproduces(&net32, stem, 1e-6);
    }
    // The half-precision weights are the float32 file's, rounded: close to them, not equal.
    let full: SeqTanh<f32> = load("sequential_tanh.safetensors", &pytorch()).unwrap();
    let half: SeqTanh<f32> =
        load("sequential_tanh_f16.safetensors", &pytorch().cast_from(FileDtype::F16)).unwrap();
    let diff = (full.hidden.weight - half.hidden.weight).abs().max();
    assert!(diff > 0.0 && diff < 1e-3, "{diff}");
}

#[test]
fn narrowing_rejects_values_beyond_f32() {
    let mut wide = SeqTanh::<f64>::seeded(1);
    wide.out.weight[(1, 2)] = 1e39;
    let bytes = to_safetensors_bytes(&wide);
    let mut net = SeqTanh::<f32>::seeded(2);
    let before = net.clone();
    let error =
        from_safetensors_bytes_with(&mut net, &bytes, &LoadOptions::new()).unwrap_err().to_string();
    assert_eq!(
        error,
        "tensor \"hidden.weight\" is F64; the network is f32; to convert it, load with \
         `LoadOptions::new().cast_from(FileDtype::F64)`"
    );
    let options = LoadOptions::new().cast_from(FileDtype::F64);
    let error = from_safetensors_bytes_with(&mut net, &bytes, &options).unwrap_err();
    assert!(matches!(error, WeightsError::OutOfRange { index: 10, .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "tensor \"out.weight\" holds 1e39 at index 10, beyond the range of f32; the network \
         cannot hold it"
    );
    assert!(net == before, "the failed load changed the network");

    // Values in range round to the nearest f32; infinities and NaN stay what they are.
    wide.out.weight[(1, 2)] = f64::INFINITY;
    wide.out.bias[0] = f64::NAN;
    wide.hidden.weight[(0, 0)] = 0.1;
    from_safetensors_bytes_with(&mut net, &to_safetensors_bytes(&wide), &options).unwrap();
    assert_eq!(net.hidden.weight[(0, 0)], 0.1_f32);
    assert_eq!(net.out.weight[(1, 2)], f32::INFINITY);
    assert!(net.out.bias[0].is_nan());
    assert_eq!(net.out.weight[(0, 3)], wide.out.weight[(0, 3)] as f32);
}

// Row 4: `nn.PReLU()`, one slope, on a per-unit `prelu` line.

#[test]
fn a_shared_slope_fills_a_per_unit_line_only_when_asked() {
    for stem in ["attr_prelu_shared", "sequential_shared_prelu"] {
        let file = format!("{stem}.safetensors");
        let error = load::<f32, AttrPrelu<f32>>(&file, &pytorch()).unwrap_err().to_string();
        assert_eq!(
            error.lines().next().unwrap(),
            "tensor \"hidden.slope\" has shape [1]; the network expects [8]; to give every unit \
             the file's one value, load with `LoadOptions::new().broadcast_shared_slopes(true)`",
        );
        let net: AttrPrelu<f32> = load(&file, &pytorch().broadcast_shared_slopes(true)).unwrap();
        assert!(net.hidden.activation.iter().all(|&a| a == net.hidden.activation[0]));
        assert!(net.hidden.activation[0] != 0.0);
        reproduces(&net, stem, 1e-6);
    }
}

// Row 6, and the other formats.

#[test]
fn other_formats_are_named_with_the_command_that_converts_them() {
    let torch = "in Python, save with `safetensors.torch.save_file(model.state_dict(), \
                 \"model.safetensors\")`, or convert this file with \
                 `safetensors.torch.save_file(torch.load(path, weights_only=True), \
                 \"model.safetensors\")` if it holds a state dict";
    let keras = "save each `Dense` layer's `kernel.numpy().T` as `<layer>.weight` and its \
                 `bias.numpy()` as `<layer>.bias` with `safetensors.numpy.save_file(tensors, \
                 \"model.safetensors\")` (Keras stores kernels as `[IN, OUT]`, PyTorch as \
                 `[OUT, IN]`)";
    for (file, expected) in [
        (
            "torch_save.pt",
            format!(
                "it is a PyTorch `torch.save` archive (a zip of pickles, which this crate does \
                 not run); {torch}"
            ),
        ),
        (
            "torch_save_legacy.pt",
            format!(
                "it is a PyTorch `torch.save` file (the pickle format of PyTorch before 1.6); \
                 {torch}"
            ),
        ),
        (
            "weights.npz",
            "it is a NumPy `.npz` archive; convert it with \
             `safetensors.numpy.save_file(dict(numpy.load(path)), \"model.safetensors\")`, its \
             arrays named as the network's tensors"
                .to_string(),
        ),
        (
            "model.onnx",
            "it is an ONNX model; save its initializers with \
             `safetensors.numpy.save_file({t.name: onnx.numpy_helper.to_array(t) for t in \
             onnx.load(path).graph.initializer}, \"model.safetensors\")`"
                .to_string(),
        ),
        ("model.h5", format!("it is an HDF5 file (Keras's `.h5`); {keras}")),
    ] {
        let error = strict_error::<f32, SeqTanh<f32>>(file);
        assert_eq!(error, format!("not a valid safetensors file: {expected}"), "{file}");
        // The options change nothing here.
        let with = load::<f32, SeqTanh<f32>>(file, &pytorch()).unwrap_err();
        assert!(matches!(with, WeightsError::Format { .. }));
        assert_eq!(with.to_string(), error);
    }
}

// The error of a failed load shows the mapping it tried.

#[test]
fn a_failed_mapped_load_shows_the_mapping() {
    let mut net = Deeper::<f32>::zeros();
    let error = load_safetensors_with(&mut net, fixture("sequential_tanh.safetensors"), &pytorch())
        .unwrap_err();
    let WeightsError::KeyMap { error: inner, mapping } = &error else { panic!("{error:?}") };
    assert!(matches!(**inner, WeightsError::Names { .. }));
    assert_eq!(mapping.missing, ["out.weight", "out.bias"]);
    assert_eq!(
        error.to_string(),
        "missing tensors \"out.weight\", \"out.bias\": the network has them, the weights do not\n\
         the key map read the file's names as:\n    \
         \"0.bias\" [8] F32 -> \"hidden.bias\" (`nn.Sequential` index 0 is line `hidden`)\n    \
         \"0.weight\" [8, 5] F32 -> \"hidden.weight\" (`nn.Sequential` index 0 is line `hidden`)\n    \
         \"2.bias\" [3] F32 -> \"more.bias\" (`nn.Sequential` index 2 is line `more`)\n    \
         \"2.weight\" [3, 8] F32 -> \"more.weight\" (`nn.Sequential` index 2 is line `more`)\n    \
         nothing -> \"out.weight\" (no tensor of the file maps to it)\n    \
         nothing -> \"out.bias\" (no tensor of the file maps to it)"
    );
    assert!(std::error::Error::source(&error).is_some());
    assert!(net == Deeper::<f32>::zeros(), "the failed load changed the network");

    // A file with more layers than the network: the extra index says so.
    let bytes = bytes("sequential_prelu_dropout.safetensors");
    let mapping =
        list_safetensors_bytes(&SeqTanh::<f32>::zeros(), &bytes, &KeyMap::pytorch()).unwrap();
    let last = mapping.entries.last().unwrap();
    assert_eq!(last.network, "5.weight");
    assert_eq!(last.rule, KeyRule::SequentialBeyond { index: 5, lines: 2 });
}

#[test]
fn two_tensors_mapped_to_one_name_are_an_error() {
    // The network's own names beside Sequential indices for the same line.
    let net = SeqTanh::<f32>::seeded(1);
    let own = to_safetensors_bytes(&net);
    let seq = to_safetensors_bytes_with(&net, &SaveOptions::new().keys(KeyMap::pytorch())).unwrap();
    let both = merge(&own, &seq);
    let mut loaded = SeqTanh::<f32>::zeros();
    let error = from_safetensors_bytes_with(&mut loaded, &both, &pytorch()).unwrap_err();
    let WeightsError::KeyMap { error: inner, .. } = &error else { panic!("{error:?}") };
    assert_eq!(
        inner.to_string(),
        "the key map maps both \"0.bias\" and \"hidden.bias\" to \"hidden.bias\""
    );
    // Saving: two network tensors under one file name.
    let keys = KeyMap::new().rename("w", "hidden.weight").rename("w", "out.weight");
    let error = to_safetensors_bytes_with(&net, &SaveOptions::new().keys(keys)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the key map maps both \"hidden.weight\" and \"out.weight\" to \"w\""
    );
}

/// The tensors of two safetensors files (of one dtype, `F32`) in one file.
fn merge(a: &[u8], b: &[u8]) -> Vec<u8> {
    let parts = |bytes: &[u8]| {
        let size = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        let header = std::str::from_utf8(&bytes[8..8 + size]).unwrap().trim_end().to_string();
        (header, bytes[8 + size..].to_vec())
    };
    let ((ha, da), (hb, db)) = (parts(a), parts(b));
    // Shift b's offsets past a's data.
    let shift = da.len();
    let mut shifted = String::new();
    let mut rest = hb.as_str();
    while let Some(at) = rest.find("\"data_offsets\":[") {
        let start = at + "\"data_offsets\":[".len();
        let end = start + rest[start..].find(']').unwrap();
        let offsets: Vec<usize> = rest[start..end].split(',').map(|n| n.parse().unwrap()).collect();
        shifted += &rest[..start];
        shifted += &format!("{},{}", offsets[0] + shift, offsets[1] + shift);
        rest = &rest[end..];
    }
    shifted += rest;
    let mut header = format!("{},{}", &ha[..ha.len() - 1], &shifted[1..]);
    while header.len() % 8 != 0 {
        header.push(' ');
    }
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&da);
    out.extend_from_slice(&db);
    out
}

// Saving under PyTorch's names: what `load_state_dict(strict=True)` needs.

/// The names, shapes and dtypes of a safetensors file, sorted by name.
fn layout(bytes: &[u8]) -> Vec<(String, Vec<usize>, String)> {
    let mapping = list_safetensors_bytes(&SeqTanh::<f32>::zeros(), bytes, &KeyMap::new()).unwrap();
    let mut all: Vec<_> = mapping.entries.into_iter().map(|e| (e.file, e.shape, e.dtype)).collect();
    all.sort();
    all
}

#[test]
fn saving_with_the_key_map_writes_the_pytorch_modules_names() {
    fn check<N: Network<f32> + PartialEq>(file: &str, keys: KeyMap) {
        let net: N = load(file, &LoadOptions::new().keys(keys.clone())).unwrap();
        let saved =
            to_safetensors_bytes_with(&net, &SaveOptions::new().keys(keys.clone())).unwrap();
        // The same tensors under the same names, shapes and dtype as the PyTorch module's.
        assert_eq!(layout(&saved), layout(&bytes(file)), "{file}");
        // And the same values: what the saved file loads is what the fixture loads.
        let mut back = N::zeros();
        from_safetensors_bytes_with(&mut back, &saved, &LoadOptions::new().keys(keys)).unwrap();
        assert!(back == net, "{file}");
    }
    check::<SeqTanh<f32>>("sequential_tanh.safetensors", KeyMap::pytorch());
    check::<SeqPreluDropout<f32>>("sequential_prelu_dropout.safetensors", KeyMap::pytorch());
    check::<AttrPrelu<f32>>("attr_prelu.safetensors", KeyMap::new().activation_modules("_act"));
    check::<SeqTanh<f32>>(
        "sequential_tanh.safetensors",
        KeyMap::new().prefix("0.", "hidden.").prefix("2.", "out."),
    );
}

#[test]
fn every_key_map_round_trips_bit_for_bit() {
    let net = SeqPreluDropout::<f64>::seeded(9);
    for keys in [
        KeyMap::new(),
        KeyMap::pytorch(),
        KeyMap::new().activation_modules("_act"),
        KeyMap::pytorch().prefix("model.", ""),
        KeyMap::new().prefix("net.", "").rename("final.weight", "out.weight"),
    ] {
        let path = std::env::temp_dir()
            .join(format!("nn-pytorch-{}-round-trip.safetensors", std::process::id()));
        save_safetensors_with(&net, &path, &SaveOptions::new().keys(keys.clone())).unwrap();
        let mut back = SeqPreluDropout::<f64>::zeros();
        load_safetensors_with(&mut back, &path, &LoadOptions::new().keys(keys.clone())).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert!(back == net, "{keys:?}");
    }
    // The default options are the plain functions.
    let plain = to_safetensors_bytes(&net);
    assert_eq!(to_safetensors_bytes_with(&net, &SaveOptions::new()).unwrap(), plain);
    let mut back = SeqPreluDropout::<f64>::zeros();
    from_safetensors_bytes(&mut back, &plain).unwrap();
    assert!(back == net);
}

/// Writes the files tests/fixtures/check_pytorch_load.py loads into the PyTorch modules with
/// `load_state_dict(strict=True)`: each fixture's network saved under PyTorch's names, in f32
/// and in f64. Its folder is printed; run the script on it (see tests/fixtures/README.md).
#[test]
fn writes_the_files_for_the_pytorch_check() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("pytorch-check");
    std::fs::create_dir_all(&dir).unwrap();
    let save = |name: &str, bytes: Vec<u8>| std::fs::write(dir.join(name), bytes).unwrap();
    let seq = SaveOptions::new().keys(KeyMap::pytorch());
    let attr = SaveOptions::new().keys(KeyMap::new().activation_modules("_act"));
    let cast = pytorch().cast_from(FileDtype::F32);
    let attr_load = LoadOptions::new().keys(KeyMap::pytorch()).cast_from(FileDtype::F32);

    let n: SeqTanh<f32> = load("sequential_tanh.safetensors", &pytorch()).unwrap();
    save("sequential_tanh.f32.safetensors", to_safetensors_bytes_with(&n, &seq).unwrap());
    let n: SeqTanh<f64> = load("sequential_tanh.safetensors", &cast).unwrap();
    save("sequential_tanh.f64.safetensors", to_safetensors_bytes_with(&n, &seq).unwrap());
    let n: SeqPreluDropout<f32> = load("sequential_prelu_dropout.safetensors", &pytorch()).unwrap();
    save("sequential_prelu_dropout.f32.safetensors", to_safetensors_bytes_with(&n, &seq).unwrap());
    let n: SeqPreluDropout<f64> = load("sequential_prelu_dropout.safetensors", &cast).unwrap();
    save("sequential_prelu_dropout.f64.safetensors", to_safetensors_bytes_with(&n, &seq).unwrap());
    let n: AttrPrelu<f32> = load("attr_prelu.safetensors", &pytorch()).unwrap();
    save("attr_prelu.f32.safetensors", to_safetensors_bytes_with(&n, &attr).unwrap());
    let n: AttrPrelu<f64> = load("attr_prelu.safetensors", &attr_load).unwrap();
    save("attr_prelu.f64.safetensors", to_safetensors_bytes_with(&n, &attr).unwrap());
    println!("files for tests/fixtures/check_pytorch_load.py in {}", dir.display());
}

#[test]
fn no_bytes_make_a_load_with_options_panic() {
    use nn::rand::{Rng, SeedableRng};
    use std::panic::{catch_unwind, AssertUnwindSafe};

    let options = pytorch()
        .cast_from(FileDtype::F16)
        .cast_from(FileDtype::BF16)
        .cast_from(FileDtype::F64)
        .broadcast_shared_slopes(true);
    let keys = KeyMap::pytorch().prefix("model.", "").rename("x", "a.weight");
    let options = options.keys(keys.clone());
    let sources: Vec<Vec<u8>> = [
        "sequential_prelu_dropout.safetensors",
        "sequential_shared_prelu.safetensors",
        "sequential_tanh_bf16.safetensors",
        "attr_prelu.safetensors",
        "torch_save.pt",
        "model.onnx",
        "weights.npz",
    ]
    .iter()
    .map(|f| bytes(f))
    .collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(19);
    let base = SeqPreluDropout::<f32>::seeded(1);
    let (mut loaded, mut failed) = (0, 0);
    for round in 0..20_000 {
        let mut bytes = sources[round % sources.len()].clone();
        for _ in 0..rng.random_range(0..=3) {
            let at = rng.random_range(0..bytes.len());
            match rng.random_range(0..4) {
                0 => bytes[at] ^= 1 << rng.random_range(0..8),
                1 => bytes[at] = rng.random(),
                2 => bytes.insert(at, rng.random()),
                _ => drop(bytes.remove(at)),
            }
        }
        let mut net = base.clone();
        let result = catch_unwind(AssertUnwindSafe(|| {
            let listed = list_safetensors_bytes(&net, &bytes, &keys).map(|m| m.to_string());
            (listed, from_safetensors_bytes_with(&mut net, &bytes, &options))
        }));
        let Ok((_, result)) = result else {
            panic!("loading {:?} panicked", String::from_utf8_lossy(&bytes[..bytes.len().min(300)]))
        };
        match result {
            Ok(()) => loaded += 1,
            Err(error) => {
                assert!(!error.to_string().is_empty());
                assert!(net == base, "a failed load changed the network: {error}");
                failed += 1;
            }
        }
    }
    assert!(loaded > 100 && failed > 100, "{loaded} loaded, {failed} failed");
}

// Row 5, `nn.Linear(..., bias=False)`: a line declared `dense(n, bias = false)` has no
// `<line>.bias` tensor.

network! {
    /// `nn.Sequential(nn.Linear(5, 8, bias=False), nn.Tanh(), nn.Linear(8, 3))`.
    pub struct NoBias {
        input: 5,
        hidden: dense(8, bias = false) -> tanh,
        out: dense(3),
        loss: mse,
    }
}

#[test]
fn a_line_that_visits_no_bias_loads_a_bias_false_linear() {
    let options = pytorch().cast_from(FileDtype::F32);
    let mut net = NoBias::<f64>::zeros();
    assert_eq!(<NoBias<f64> as Network<f64>>::PARAMS, 40 + 24 + 3);
    load_safetensors_with(&mut net, fixture("sequential_no_bias.safetensors"), &options).unwrap();
    assert_eq!(
        net.hidden.bias,
        SVector::<f64, 8>::zeros(),
        "a layer without bias keeps a zero bias"
    );
    for (x, y) in recorded("sequential_no_bias") {
        let out = net.forward(&SVector::from_iterator(x.iter().copied()));
        for (k, (&got, &want)) in out.iter().zip(&y).enumerate() {
            assert!((got - want).abs() <= 1e-14, "input {x:?}, output {k}: {got} vs {want}");
        }
    }
    // And it saves back under the `nn.Sequential`'s names: `0.weight`, no `0.bias`.
    let saved =
        to_safetensors_bytes_with(&net, &SaveOptions::new().keys(KeyMap::pytorch())).unwrap();
    let names: Vec<String> = layout(&saved).into_iter().map(|(name, _, _)| name).collect();
    assert_eq!(names, ["0.weight", "2.bias", "2.weight"]);
    // The network with a bias says which tensor the file lacks.
    let error = load::<f64, SeqTanh<f64>>("sequential_no_bias.safetensors", &options).unwrap_err();
    assert!(
        error.to_string().starts_with(
            "missing tensor \"hidden.bias\": the network has it, the weights do not\n"
        ),
        "{error}"
    );
}

#[test]
fn names_inside_a_wrapper_module_get_the_prefix_rule_that_loads_them() {
    // `self.model = Net()` or `self.model = nn.Sequential(...)` inside another module.
    let net = SeqPreluDropout::<f32>::seeded(4);
    for (keys, hint) in [
        (KeyMap::new(), "KeyMap::new()"),
        (KeyMap::pytorch(), "KeyMap::pytorch()"),
        (KeyMap::new().activation_modules("_act"), "KeyMap::pytorch()"),
    ] {
        let saved =
            to_safetensors_bytes_with(&net, &SaveOptions::new().keys(keys.prefix("model.", "")))
                .unwrap();
        let mut loaded = SeqPreluDropout::<f32>::zeros();
        let error = from_safetensors_bytes(&mut loaded, &saved).unwrap_err().to_string();
        let help = format!(
            "these look like the network's names inside a module's attribute `model`: load with \
             `LoadOptions::new().keys({hint}.prefix(\"model.\", \"\"))`"
        );
        assert!(error.ends_with(&format!("; {help}")), "{error}");
        // The option the error names loads the file.
        let keys = if hint == "KeyMap::new()" { KeyMap::new() } else { KeyMap::pytorch() };
        let options = LoadOptions::new().keys(keys.prefix("model.", ""));
        from_safetensors_bytes_with(&mut loaded, &saved, &options).unwrap();
        assert!(loaded == net);
    }
    // Names that are not the network's under any prefix get no hint.
    let other = to_safetensors_bytes_with(
        &SeqTanh::<f32>::seeded(1),
        &SaveOptions::new().keys(KeyMap::new().prefix("model.", "")),
    )
    .unwrap();
    let mut loaded = SeqPreluDropout::<f32>::zeros();
    let error = from_safetensors_bytes(&mut loaded, &other).unwrap_err().to_string();
    assert!(error.ends_with("the weights have them, the network does not"), "{error}");
}
