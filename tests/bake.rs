//! Weights baked in at compile time (`weights: "file.safetensors"`) are the weights the
//! run-time loader reads from the same file: bit for bit in the file's own dtype, and rounded
//! to nearest (as `LoadOptions::cast_from` rounds) in the other. Files saved by PyTorch
//! (`weights: pytorch("..")`) bake as `KeyMap::pytorch()` loads them.

use nn::io::{self, FileDtype, KeyMap, LoadOptions};
use nn::nalgebra::SVector;

nn::network! {
    /// The fixture's architecture, its weights baked from an `F32` file.
    struct Tanh {
        input: 3,
        hidden: dense(4) -> tanh,
        output: dense(2),
        loss: mse,
        weights: "fixtures/tanh_3_4_2_f32.safetensors",
    }
}

nn::network! {
    /// With PReLU slopes, baked from an `F64` file.
    struct Prelu {
        input: 3,
        hidden: dense(4) -> prelu,
        output: dense(2),
        loss: mse,
        weights: "fixtures/prelu_3_4_2_f64.safetensors",
    }
}

nn::network! {
    /// A layer may still be called `weights`: only a line whose value is a string names a
    /// file.
    struct Named {
        input: 2,
        weights: dense(3) -> relu,
        output: dense(1),
        loss: mse,
    }
}

nn::network! {
    /// `nn.Sequential(nn.Linear(5, 8), nn.PReLU(8), nn.Dropout(0.1), nn.Linear(8, 6),
    /// nn.ReLU(), nn.Linear(6, 3))`: indices with gaps, and a PReLU module of its own.
    struct SeqPreluDropout {
        input: 5,
        a: dense(8) -> prelu -> dropout(0.1),
        b: dense(6) -> relu,
        out: dense(3),
        loss: mse,
        weights: pytorch("fixtures/sequential_prelu_dropout.safetensors"),
    }
}

nn::network! {
    /// `self.hidden = nn.Linear(5, 8); self.hidden_act = nn.PReLU(8); self.out = nn.Linear(8, 3)`.
    struct AttrPrelu {
        input: 5,
        hidden: dense(8) -> prelu,
        out: dense(3),
        loss: mse,
        weights: pytorch("fixtures/attr_prelu.safetensors"),
    }
}

nn::network! {
    /// `nn.Sequential(nn.Linear(5, 8, bias=False), nn.Tanh(), nn.Linear(8, 3))`: a layer
    /// without bias, and `F32` values baked into `f64` too.
    struct SeqNoBias {
        input: 5,
        hidden: dense(8, bias = false) -> tanh,
        out: dense(3),
        loss: mse,
        weights: pytorch("fixtures/sequential_no_bias.safetensors"),
    }
}

nn::network! {
    /// `nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))` after `model.half()`.
    struct SeqTanhF16 {
        input: 5,
        hidden: dense(8) -> tanh,
        out: dense(3),
        loss: mse,
        weights: pytorch("fixtures/sequential_tanh_f16.safetensors"),
    }
}

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn loaded<N: nn::Network<T>, T: nn::Float>(file: &str, options: LoadOptions) -> N {
    let mut net = N::zeros();
    io::load_safetensors_with(&mut net, format!("{FIXTURES}/{file}"), &options)
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    net
}

#[test]
fn an_f32_file_bakes_the_values_the_loader_reads() {
    let runtime: Tanh<f32> = loaded("tanh_3_4_2_f32.safetensors", LoadOptions::new());
    assert_eq!(Tanh::<f32>::BAKED, runtime);
    // The values are the file's, not zeros: `hidden.weight[o, i] = 0.1 * (o + 1) - 0.01 * i`.
    assert_eq!(Tanh::<f32>::BAKED.hidden.weight[(1, 2)], (0.2f64 - 0.02) as f32);
    let widened: Tanh<f64> =
        loaded("tanh_3_4_2_f32.safetensors", LoadOptions::new().cast_from(FileDtype::F32));
    assert_eq!(Tanh::<f64>::BAKED, widened);
}

#[test]
fn an_f64_file_bakes_rounded_to_f32() {
    let runtime: Prelu<f64> = loaded("prelu_3_4_2_f64.safetensors", LoadOptions::new());
    assert_eq!(Prelu::<f64>::BAKED, runtime);
    let rounded: Prelu<f32> =
        loaded("prelu_3_4_2_f64.safetensors", LoadOptions::new().cast_from(FileDtype::F64));
    assert_eq!(Prelu::<f32>::BAKED, rounded);
    assert!(Prelu::<f32>::BAKED.hidden.activation.iter().all(|&s| s != 0.0));
}

/// The constant is usable where only constants are: a `static` in read-only memory.
static NET: Tanh<f32> = Tanh::<f32>::BAKED;

#[test]
fn a_baked_network_computes_in_a_static() {
    let x = SVector::from([1.0, -2.0, 0.5]);
    let runtime: Tanh<f32> = loaded("tanh_3_4_2_f32.safetensors", LoadOptions::new());
    assert_eq!(NET.forward(&x), runtime.forward(&x));
    let _ = Named::<f32>::seeded(1).forward(&SVector::from([1.0, 2.0]));
}

#[test]
fn pytorch_files_bake_as_the_pytorch_key_map_loads_them() {
    let pytorch = || LoadOptions::new().keys(KeyMap::pytorch());
    let file = "sequential_prelu_dropout.safetensors";
    let runtime: SeqPreluDropout<f32> = loaded(file, pytorch());
    assert_eq!(SeqPreluDropout::<f32>::BAKED, runtime);
    assert!(runtime.a.activation.iter().all(|&s| s != 0.0), "the PReLU module's slopes");

    let runtime: AttrPrelu<f32> = loaded("attr_prelu.safetensors", pytorch());
    assert_eq!(AttrPrelu::<f32>::BAKED, runtime);
    assert!(runtime.hidden.activation.iter().all(|&s| s != 0.0), "`hidden_act.weight`");

    let no_bias = "sequential_no_bias.safetensors";
    let runtime: SeqNoBias<f64> = loaded(no_bias, pytorch().cast_from(FileDtype::F32));
    assert_eq!(SeqNoBias::<f64>::BAKED, runtime);

    let half = "sequential_tanh_f16.safetensors";
    let runtime: SeqTanhF16<f32> = loaded(half, pytorch().cast_from(FileDtype::F16));
    assert_eq!(SeqTanhF16::<f32>::BAKED, runtime);
    assert!(runtime.out.bias.iter().all(|&b| b != 0.0));
}
