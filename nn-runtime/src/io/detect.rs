//! Recognising the weight formats that are not safetensors, so that the error names the format
//! and the command that converts it.
//!
//! Each format is recognised by what starts it (and for zip archives, by the name of the first
//! entry), strictly enough that no safetensors file, valid or damaged, is taken for one: a
//! safetensors file starts with the size of its JSON header, eight little-endian bytes whose
//! high bytes are zero.

/// What the bytes are, and how to make a safetensors file of them, if they are a format this
/// module knows.
pub(super) fn other_format(bytes: &[u8]) -> Option<String> {
    let (what, convert) = if bytes.starts_with(b"PK\x03\x04") {
        zip(bytes)
    } else if bytes.starts_with(TORCH_LEGACY_MAGIC) {
        ("a PyTorch `torch.save` file (the pickle format of PyTorch before 1.6)", TORCH_CONVERT)
    } else if bytes.starts_with(b"\x93NUMPY") {
        (
            "a NumPy `.npy` array (one tensor without a name)",
            "save the tensors under their names with \
             `safetensors.numpy.save_file({\"hidden.weight\": array, ...}, \"model.safetensors\")`",
        )
    } else if bytes.starts_with(b"\x89HDF\r\n\x1a\n") {
        (
            "an HDF5 file (Keras's `.h5`)",
            "save each `Dense` layer's `kernel.numpy().T` as `<layer>.weight` and its \
             `bias.numpy()` as `<layer>.bias` with `safetensors.numpy.save_file(tensors, \
             \"model.safetensors\")` (Keras stores kernels as `[IN, OUT]`, PyTorch as \
             `[OUT, IN]`)",
        )
    } else if bytes.starts_with(b"GGUF") {
        (
            "a GGUF file",
            "export the model's tensors with `safetensors.numpy.save_file(tensors, \
             \"model.safetensors\")`",
        )
    } else if onnx(bytes) {
        (
            "an ONNX model",
            "save its initializers with `safetensors.numpy.save_file({t.name: \
             onnx.numpy_helper.to_array(t) for t in onnx.load(path).graph.initializer}, \
             \"model.safetensors\")`",
        )
    } else if bytes.first() == Some(&0x80) && bytes.get(1).is_some_and(|p| (2..=5).contains(p)) {
        // A pickle of protocol 2 to 5 (its first opcode, PROTO) ending with STOP.
        if bytes.last() != Some(&b'.') {
            return None;
        }
        ("a Python pickle", TORCH_CONVERT)
    } else {
        return None;
    };
    Some(format!("it is {what}; {convert}"))
}

/// The first pickle of every legacy `torch.save` file: protocol 2, the magic number
/// `0x1950a86a20f9469cfc6c` as a LONG1 of 10 bytes, STOP.
const TORCH_LEGACY_MAGIC: &[u8] = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19\x2e";

const TORCH_CONVERT: &str = "in Python, save with \
     `safetensors.torch.save_file(model.state_dict(), \"model.safetensors\")`, or convert this \
     file with `safetensors.torch.save_file(torch.load(path, weights_only=True), \
     \"model.safetensors\")` if it holds a state dict";

/// A zip archive, told apart by its entries' names: PyTorch's (`<name>/data.pkl`), NumPy's
/// `.npz` (`<array>.npy`), Keras 3's `.keras` (`config.json`, `model.weights.h5`).
fn zip(bytes: &[u8]) -> (&'static str, &'static str) {
    let names = zip_names(bytes);
    let any = |f: &dyn Fn(&str) -> bool| names.iter().any(|n| f(n));
    if any(&|n| n == "data.pkl" || n.ends_with("/data.pkl")) {
        (
            "a PyTorch `torch.save` archive (a zip of pickles, which this crate does not run)",
            TORCH_CONVERT,
        )
    } else if !names.is_empty() && names.iter().all(|n| n.ends_with(".npy")) {
        (
            "a NumPy `.npz` archive",
            "convert it with `safetensors.numpy.save_file(dict(numpy.load(path)), \
             \"model.safetensors\")`, its arrays named as the network's tensors",
        )
    } else if any(&|n| n == "model.weights.h5" || n == "config.json") {
        (
            "a Keras `.keras` archive",
            "save each `Dense` layer's `kernel.numpy().T` as `<layer>.weight` and its \
             `bias.numpy()` as `<layer>.bias` with `safetensors.numpy.save_file(tensors, \
             \"model.safetensors\")` (Keras stores kernels as `[IN, OUT]`, PyTorch as \
             `[OUT, IN]`)",
        )
    } else {
        ("a zip archive", "a weight file here is one safetensors file, not an archive")
    }
}

/// The names of the entries of a zip archive, read from the local file headers one after the
/// other (as many as can be read; stored and compressed entries alike, since each header gives
/// its entry's compressed size unless a data descriptor follows, where reading stops).
fn zip_names(bytes: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    let mut at = 0_usize;
    let u16_at =
        |at: usize| bytes.get(at..at + 2).map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])));
    let u32_at = |at: usize| {
        bytes.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    while bytes.get(at..at + 4) == Some(b"PK\x03\x04") && names.len() < 64 {
        let (Some(flags), Some(size), Some(name_len), Some(extra_len)) =
            (u16_at(at + 6), u32_at(at + 18), u16_at(at + 26), u16_at(at + 28))
        else {
            break;
        };
        let Some(name) = bytes.get(at + 30..at + 30 + name_len) else { break };
        names.push(String::from_utf8_lossy(name).into_owned());
        if flags & 0x8 != 0 {
            break;
        }
        at += 30 + name_len + extra_len + size;
    }
    names
}

/// Whether the bytes are an ONNX `ModelProto`: a protobuf message whose top-level fields are
/// all fields of `ModelProto` with their wire types, tiling the bytes exactly, among them the
/// IR version (field 1) and the graph (field 7).
fn onnx(bytes: &[u8]) -> bool {
    let mut at = 0;
    let (mut ir_version, mut graph) = (false, false);
    while at < bytes.len() {
        let Some((key, next)) = varint(bytes, at) else { return false };
        at = next;
        let (field, wire) = (key >> 3, key & 7);
        match (field, wire) {
            // ir_version, model_version
            (1 | 5, 0) => {
                let Some((_, next)) = varint(bytes, at) else { return false };
                at = next;
                ir_version |= field == 1;
            }
            // producer_name, producer_version, domain, doc_string, graph, opset_import,
            // metadata_props, training_info, functions, configuration
            (2 | 3 | 4 | 6 | 7 | 8 | 14 | 20 | 25 | 26, 2) => {
                let Some((len, next)) = varint(bytes, at) else { return false };
                let Some(end) = usize::try_from(len).ok().and_then(|len| next.checked_add(len))
                else {
                    return false;
                };
                if end > bytes.len() {
                    return false;
                }
                at = end;
                graph |= field == 7;
            }
            _ => return false,
        }
    }
    ir_version && graph
}

/// The varint at `at` and the position after it.
fn varint(bytes: &[u8], mut at: usize) -> Option<(u64, usize)> {
    let mut value = 0_u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(at)?;
        at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some((value, at));
        }
    }
    None
}
