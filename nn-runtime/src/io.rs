//! Saving and loading weights: [safetensors] files with PyTorch's names and layouts, and, with
//! the `serde` feature, a `StateDict` for JSON and any other serde format.
//!
//! Everything here is written once against [`Network`], so it works for every network that
//! `network!` generates, in `f32` or `f64`.
//!
//! # The layout
//!
//! Each parameter tensor is stored under the name the visitor gives it, with PyTorch's shape
//! and row-major order (the last index varies fastest), as a PyTorch `state_dict` holds it:
//!
//! | tensor of layer `hidden` | name | shape | PyTorch's counterpart |
//! |---|---|---|---|
//! | weight `W` | `hidden.weight` | `[OUT, IN]` | `nn.Linear(IN, OUT).weight` |
//! | bias `b` | `hidden.bias` | `[OUT]` | `nn.Linear(IN, OUT).bias` |
//! | PReLU slopes | `hidden.slope` | `[A]` | `nn.PReLU(A).weight` |
//! | swish betas | `hidden.beta` | `[A]` | none built in |
//!
//! `A` is the layer's width for a per-unit activation (`prelu`, `swish_learnable`) and 1 for
//! a shared one (`prelu_shared`). A `maxout(n, k)` layer is stored as the `dense(n * k)` layer
//! it is (row `u * k + j` is piece `j` of unit `u`). The scalars are `F32` for a network in
//! `f32` and `F64` for one in `f64`, little-endian as the format requires. No `__metadata__`
//! is written.
//!
//! A network's weight matrix lives in nalgebra's column-major order; saving transposes it to
//! row-major and loading transposes it back, so `net.hidden.weight[(j, i)]` is
//! `state_dict["hidden.weight"][j, i]` in PyTorch.
//!
//! # From and to PyTorch
//!
//! A PyTorch module with the same layers under the same attribute names has the same
//! `state_dict` keys for its `Linear` layers:
//!
//! ```python
//! import torch
//! from safetensors.torch import load_file, save_file
//!
//! class Net(torch.nn.Module):  # the network `input: 3, hidden: dense(4) -> tanh, output: dense(2)`
//!     def __init__(self):
//!         super().__init__()
//!         self.hidden = torch.nn.Linear(3, 4)
//!         self.output = torch.nn.Linear(4, 2)
//!
//!     def forward(self, x):
//!         return self.output(torch.tanh(self.hidden(x)))
//!
//! save_file(Net().state_dict(), "net.safetensors")       # loads with `load_safetensors`
//! Net().load_state_dict(load_file("saved-by-rust.safetensors"))
//! ```
//!
//! A `torch.nn.Sequential` names its layers `"0"`, `"2"`, ... and an `nn.PReLU` module keeps
//! its slopes under its own name (`"1.weight"`, `"hidden_act.weight"`): load such files with
//! [`load_safetensors_with`] and a [`KeyMap`] ([`KeyMap::pytorch`] reads both conventions), and
//! save for such modules with [`save_safetensors_with`] and the same map. [`LoadOptions`] also
//! converts scalar types on request (PyTorch's default `float32` into a network in `f64`,
//! `float16` and `bfloat16` into either) and fills a per-unit PReLU line from `nn.PReLU()`'s
//! one slope; [`list_safetensors`] shows how each name of a file will map before loading. The
//! facade crate's docs, "From PyTorch", have the whole correspondence.
//!
//! # Saving never destroys the old file
//!
//! [`save_safetensors`] writes a temporary file beside the target, flushes it to the disk and
//! renames it over the target ([`write_atomic`]): a save that fails (a full disk, a file-size
//! limit) or a program killed midway leaves the old file as it was, and it still loads.
//!
//! # What loading checks
//!
//! Loading is strict, like PyTorch's `load_state_dict(strict=True)`: every tensor of the
//! network must be in the weights, no other tensor may be, and each must have the network's
//! shape and scalar type (no silent conversion from `F64` to `f32`). Everything is checked
//! before anything is written, so a load that fails leaves the network as it was, and the
//! error ([`WeightsError`]) says what did not match. Bytes that are not a safetensors file
//! (truncated, corrupted, another format) are an error too; no contents of a file can make
//! loading panic. NaN and infinite values are valid scalars and load as they are, bit for bit,
//! as they do in PyTorch; check the network afterwards if a file may hold them. A file of
//! another format (a `torch.save` archive or pickle, NumPy's `.npy` and `.npz`, ONNX, Keras's
//! `.h5` and `.keras`) is named as such in the error, with the command that converts it.
//!
//! [`load_safetensors_with`] relaxes these checks one named option at a time
//! ([`LoadOptions`]); with the default options it is [`load_safetensors`].
//!
//! [safetensors]: https://huggingface.co/docs/safetensors

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::mem::size_of;
use std::path::{Path, PathBuf};

pub(crate) use safetensors::Dtype;
use safetensors::{SafeTensorError, SafeTensors};

use crate::{Float, Network, ParamKind};

mod detect;
mod keymap;
mod options;

pub use keymap::{KeyMap, KeyMapping, KeyRule, MappedName};
pub use options::{
    from_safetensors_bytes_with, labels_of_safetensors, labels_of_safetensors_bytes,
    list_safetensors, list_safetensors_bytes, load_safetensors_with, save_safetensors_with,
    to_safetensors_bytes_with, FileDtype, LoadOptions, SaveOptions,
};

/// Why weights could not be saved or loaded.
///
/// Each variant's message names the tensor, the shapes or the file involved, in the order
/// the checks run: the file is read, its format parsed, its tensor names compared with the
/// network's ([`WeightsError::Names`]), then each tensor's shape and type in the order the
/// network visits them.
#[derive(Debug)]
#[non_exhaustive]
pub enum WeightsError {
    /// The file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The file could not be written.
    Write {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The bytes are not a valid safetensors file: truncated, corrupted or another format.
    Format {
        /// What is wrong with them.
        reason: String,
    },
    /// The tensor names of the weights differ from the network's.
    Names {
        /// Tensors the network has and the weights lack, in the network's order.
        missing: Vec<String>,
        /// Tensors the weights have and the network lacks, sorted by name.
        unexpected: Vec<String>,
    },
    /// A tensor has another shape than the network's.
    Shape {
        /// The tensor's name.
        name: String,
        /// Its shape in the weights.
        found: Vec<usize>,
        /// Its shape in the network, PyTorch's: `[OUT, IN]` or `[N]`.
        expected: Vec<usize>,
    },
    /// A tensor holds another scalar type than the network computes in.
    Dtype {
        /// The tensor's name.
        name: String,
        /// Its type in the file, as safetensors names it (`"F64"`, `"BF16"`, `"I32"`, ...).
        found: String,
        /// The network's scalar type, `"f32"` or `"f64"`.
        expected: &'static str,
    },
    /// A value does not fit the network's scalar type: a finite value beyond the range of
    /// `f32` (`1e39`), where it would become an infinity: an `F64` tensor loaded with
    /// [`LoadOptions::cast_from`], or a number of a JSON state dict.
    OutOfRange {
        /// The tensor's name in the network.
        name: String,
        /// The index of the value, in row-major order.
        index: usize,
        /// The value.
        value: f64,
        /// The network's scalar type.
        to: &'static str,
    },
    /// A key map gives two tensors the same name.
    Collision {
        /// The name they both get.
        name: String,
        /// The two tensors' names before the mapping.
        sources: Vec<String>,
    },
    /// A load through a [`KeyMap`] that renamed tensors failed: the error, and the mapping it
    /// tried.
    KeyMap {
        /// What failed, in the network's names.
        error: Box<WeightsError>,
        /// How each tensor of the file was mapped.
        mapping: KeyMapping,
    },
    /// A tensor of a [`StateDict`] has not as many values as its shape holds.
    #[cfg(feature = "serde")]
    Length {
        /// The tensor's name.
        name: String,
        /// Its shape.
        shape: Vec<usize>,
        /// How many values it has.
        found: usize,
    },
    /// A tensor holds NaN or an infinity, which JSON cannot represent.
    #[cfg(feature = "serde")]
    NotFinite {
        /// The tensor's name.
        name: String,
        /// The index of the first such value, in row-major order.
        index: usize,
        /// The value.
        value: f64,
    },
    /// The text is not the JSON of a [`StateDict`].
    #[cfg(feature = "serde")]
    Json(serde_json::Error),
}

impl fmt::Display for WeightsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.display(f, true)
    }
}

impl WeightsError {
    /// The message, with the hint of an option that would load the names if `names_help`.
    fn display(&self, f: &mut fmt::Formatter<'_>, names_help: bool) -> fmt::Result {
        match self {
            Self::Read { path, source } => {
                write!(f, "cannot read weights from \"{}\": {source}", path.display())
            }
            Self::Write { path, source } => {
                write!(f, "cannot write weights to \"{}\": {source}", path.display())
            }
            Self::Format { reason } => write!(f, "not a valid safetensors file: {reason}"),
            Self::Names { missing, unexpected } => {
                if !missing.is_empty() {
                    let (s, them) = if missing.len() == 1 { ("", "it") } else { ("s", "them") };
                    write!(f, "missing tensor{s} ")?;
                    write_names(f, missing)?;
                    write!(f, ": the network has {them}, the weights do not")?;
                }
                if !unexpected.is_empty() {
                    if !missing.is_empty() {
                        f.write_str("; ")?;
                    }
                    let (s, them) = if unexpected.len() == 1 { ("", "it") } else { ("s", "them") };
                    write!(f, "unexpected tensor{s} ")?;
                    write_names(f, unexpected)?;
                    write!(f, ": the weights have {them}, the network does not")?;
                }
                match names_help.then(|| key_map_help(missing, unexpected)).flatten() {
                    Some(help) => write!(f, "; {help}"),
                    None => Ok(()),
                }
            }
            Self::Shape { name, found, expected } => {
                write!(
                    f,
                    "tensor \"{name}\" has shape {found:?}; the network expects {expected:?}"
                )?;
                let learnable = name.ends_with(".slope") || name.ends_with(".beta");
                if learnable && found.as_slice() == [1] && expected.len() == 1 {
                    write!(
                        f,
                        "; to give every unit the file's one value, load with \
                         `LoadOptions::new().broadcast_shared_slopes(true)`"
                    )?;
                }
                Ok(())
            }
            Self::Dtype { name, found, expected } => {
                write!(f, "tensor \"{name}\" is {found}; the network is {expected}")?;
                if ["F16", "BF16", "F32", "F64"].contains(&found.as_str()) {
                    write!(
                        f,
                        "; to convert it, load with `LoadOptions::new().cast_from(FileDtype::{found})`"
                    )?;
                }
                Ok(())
            }
            Self::OutOfRange { name, index, value, to } => write!(
                f,
                "tensor \"{name}\" holds {value:e} at index {index}, beyond the range of {to}; \
                 the network cannot hold it"
            ),
            Self::Collision { name, sources } => {
                write!(f, "the key map maps both ")?;
                for (i, source) in sources.iter().enumerate() {
                    let sep = match i {
                        0 => "",
                        i if i + 1 == sources.len() => " and ",
                        _ => ", ",
                    };
                    write!(f, "{sep}\"{source}\"")?;
                }
                write!(f, " to \"{name}\"")
            }
            Self::KeyMap { error, mapping } => {
                error.display(f, false)?;
                write!(f, "\nthe key map read the file's names as:")?;
                for line in mapping.to_string().lines() {
                    write!(f, "\n    {line}")?;
                }
                Ok(())
            }
            #[cfg(feature = "serde")]
            Self::Length { name, shape, found } => {
                let holds = shape.iter().try_fold(1_usize, |n, &d| n.checked_mul(d));
                write!(f, "tensor \"{name}\" has {found} values, but its shape {shape:?} holds ")?;
                match holds {
                    Some(n) => write!(f, "{n}"),
                    None => f.write_str("more than fit in memory"),
                }
            }
            #[cfg(feature = "serde")]
            Self::NotFinite { name, index, value } => write!(
                f,
                "tensor \"{name}\" holds {value} at index {index}; JSON has no NaN or infinity"
            ),
            #[cfg(feature = "serde")]
            Self::Json(error) => write!(f, "not the JSON of a state dict: {error}"),
        }
    }
}

/// The option that would load names of PyTorch's conventions, if the unexpected names follow
/// one: an `nn.Sequential`'s indices, an activation module's `<line>_act.weight`, or either (or
/// the network's own names) inside a wrapper module's attribute, `model.hidden.weight`.
fn key_map_help(missing: &[String], unexpected: &[String]) -> Option<String> {
    let indexed = |n: &str| {
        n.split_once('.')
            .is_some_and(|(i, _)| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()))
    };
    let pytorch = "`LoadOptions::new().keys(KeyMap::pytorch())`";
    if unexpected.iter().any(|n| indexed(n)) {
        return Some(format!(
            "these look like the indices of an `nn.Sequential`: load with {pytorch}, or map them \
             with `KeyMap::prefix`"
        ));
    }
    let activation_module =
        |n: &str| n.strip_suffix("_act.weight").is_some_and(|line| !line.contains('.'));
    if unexpected.iter().any(|n| activation_module(n)) {
        return Some(format!(
            "`<line>_act.weight` looks like an activation module's parameter: load with \
             {pytorch} to fold it into its line"
        ));
    }
    // Every unexpected name under one attribute `wrapper.`.
    let wrapper = unexpected.first()?.split_once('.')?.0;
    let inner: Option<Vec<&str>> =
        unexpected.iter().map(|n| n.strip_prefix(wrapper)?.strip_prefix('.')).collect();
    let inner = inner?;
    let keys = if inner.iter().any(|n| indexed(n) || activation_module(n)) {
        "KeyMap::pytorch()"
    } else if !missing.is_empty() && missing.iter().all(|m| inner.contains(&m.as_str())) {
        "KeyMap::new()"
    } else {
        return None;
    };
    Some(format!(
        "these look like the network's names inside a module's attribute `{wrapper}`: load \
         with `LoadOptions::new().keys({keys}.prefix(\"{wrapper}.\", \"\"))`"
    ))
}

/// Writes `"a", "b", "c"`.
fn write_names(f: &mut fmt::Formatter<'_>, names: &[String]) -> fmt::Result {
    for (i, name) in names.iter().enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        write!(f, "{sep}\"{name}\"")?;
    }
    Ok(())
}

impl std::error::Error for WeightsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Read { source, .. } | Self::Write { source, .. } => Some(source),
            Self::KeyMap { error, .. } => Some(error.as_ref()),
            #[cfg(feature = "serde")]
            Self::Json(error) => Some(error),
            _ => None,
        }
    }
}

/// Writes the network's parameters to the safetensors file at `path`, replacing it if it
/// exists. See [the module docs](self) for the layout.
///
/// The save is atomic (see [`write_atomic`]): a save that fails, or a program killed while
/// saving, leaves the file that was at `path` as it was.
pub fn save_safetensors<T: Float, N: Network<T>>(
    net: &N,
    path: impl AsRef<Path>,
) -> Result<(), WeightsError> {
    let path = path.as_ref();
    write_atomic(path, &to_safetensors_bytes(net))
        .map_err(|source| WeightsError::Write { path: path.to_path_buf(), source })
}

/// Writes `bytes` to the file at `path` so that the file is, at every moment, either the old
/// file whole or the new one whole, even if the program is killed or the machine loses power.
///
/// The bytes go to a new temporary file in the same directory, named
/// `.<file name>.<process id>.<counter>.tmp`, which is flushed to the disk (`fsync`) and then
/// renamed over `path`; the directory is flushed too, so that the rename itself is durable.
/// If anything fails the temporary file is removed and `path` is untouched; only a program
/// killed between creating and renaming the temporary file leaves it behind, beside an intact
/// `path`. The new file gets the permissions a newly created file gets, not the old file's.
///
/// Every save of this crate's files goes through it.
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::sync::atomic::{AtomicU64, Ordering};

    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let path = path.as_ref();
    let Some(name) = path.file_name() else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the path names no file (it ends in `..` or is a root)",
        ));
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
    temp_name.push(format!(".{}.{unique}.tmp", std::process::id()));
    let temp = dir.join(temp_name);

    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&temp)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    if let Err(error) = written.and_then(|()| std::fs::rename(&temp, path)) {
        // The temporary file is ours and useless; failing to remove it changes nothing.
        let _ = std::fs::remove_file(&temp);
        return Err(error);
    }
    sync_dir(dir)
}

/// Flushes a directory's entries to the disk, so that a rename into it survives a crash.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Directories cannot be opened as files here; the rename is as durable as the system makes it.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Reads the safetensors file at `path` into the network's parameters, after checking that
/// its tensors are exactly the network's (names, shapes, scalar type). On error the network
/// is unchanged. See [the module docs](self) for what is checked.
pub fn load_safetensors<T: Float, N: Network<T>>(
    net: &mut N,
    path: impl AsRef<Path>,
) -> Result<(), WeightsError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path)
        .map_err(|source| WeightsError::Read { path: path.to_path_buf(), source })?;
    from_safetensors_bytes(net, &bytes)
}

/// The network's parameters as the bytes of a safetensors file: what [`save_safetensors`]
/// writes.
pub fn to_safetensors_bytes<T: Float, N: Network<T>>(net: &N) -> Vec<u8> {
    let (tensors, data) = visited_bytes(net);
    let entries = tensors.iter().map(|t| (t.name, torch_shape(t.kind, t.shape), t.range));
    assemble(dtype_of::<T>(), entries, None, data)
}

/// A tensor as [`visited_bytes`] lays it out: the visitor's name, kind and shape, and its byte
/// range in the data.
pub(crate) struct VisitedTensor {
    pub name: &'static str,
    pub kind: ParamKind,
    pub shape: (usize, usize),
    pub range: (usize, usize),
}

/// The network's tensors in the order it visits them, each row-major (PyTorch's layout) and
/// little-endian in the returned data.
pub(crate) fn visited_bytes<T: Float, N: Network<T>>(net: &N) -> (Vec<VisitedTensor>, Vec<u8>) {
    let mut tensors = Vec::new();
    let mut data = Vec::with_capacity(N::PARAMS * size_of::<T>());
    net.visit(&mut |p| {
        let start = data.len();
        let (rows, cols) = p.shape;
        for r in 0..rows {
            for c in 0..cols {
                if let Some(value) = p.values.get(c * rows + r) {
                    push_le(value, &mut data);
                }
            }
        }
        tensors.push(VisitedTensor {
            name: p.name,
            kind: p.kind,
            shape: p.shape,
            range: (start, data.len()),
        });
    });
    (tensors, data)
}

/// A safetensors file: an 8-byte little-endian header size, a JSON header mapping each name
/// to its dtype, shape and byte range in the data (with one `__metadata__` entry if given),
/// padded with spaces to a multiple of 8 bytes as the reference implementation does, then the
/// data. It is written here rather than by `safetensors::serialize` so that saving cannot
/// fail: the header is built from names and byte counts as they are, in the order given.
pub(crate) fn assemble<'a>(
    dtype: Dtype,
    tensors: impl IntoIterator<Item = (&'a str, Vec<usize>, (usize, usize))>,
    metadata: Option<(&str, &str)>,
    data: Vec<u8>,
) -> Vec<u8> {
    let mut header = String::from("{");
    if let Some((key, value)) = metadata {
        header += "\"__metadata__\":{";
        push_json_string(key, &mut header);
        header.push(':');
        push_json_string(value, &mut header);
        header.push('}');
    }
    for (name, shape, (start, end)) in tensors {
        if header.len() > 1 {
            header.push(',');
        }
        push_json_string(name, &mut header);
        let shape: Vec<_> = shape.iter().map(usize::to_string).collect();
        header += &format!(
            ":{{\"dtype\":\"{dtype}\",\"shape\":[{}],\"data_offsets\":[{start},{end}]}}",
            shape.join(",")
        );
    }
    header.push('}');
    while header.len() % 8 != 0 {
        header.push(' ');
    }
    let mut bytes = Vec::with_capacity(8 + header.len() + data.len());
    bytes.extend_from_slice(&(header.len() as u64).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(&data);
    bytes
}

/// Reads the bytes of a safetensors file into the network's parameters: [`load_safetensors`]
/// without the file. On error the network is unchanged.
pub fn from_safetensors_bytes<T: Float, N: Network<T>>(
    net: &mut N,
    bytes: &[u8],
) -> Result<(), WeightsError> {
    if oversized_number(bytes) {
        return Err(WeightsError::Format {
            reason: "its header holds a number larger than any shape or offset can be".to_string(),
        });
    }
    let file = SafeTensors::deserialize(bytes).map_err(|e| format_error(e, bytes))?;
    let tensors: HashMap<&str, _> = file.iter().collect();

    // Check everything first, so that a failed load writes nothing.
    let expected = expected_tensors(net);
    check_names(&expected, tensors.keys().copied())?;
    for (name, shape) in &expected {
        // `check_names` found every expected name.
        let Some(tensor) = tensors.get(name) else { continue };
        if tensor.shape() != shape.as_slice() {
            return Err(WeightsError::Shape {
                name: name.to_string(),
                found: tensor.shape().to_vec(),
                expected: shape.clone(),
            });
        }
        if tensor.dtype() != dtype_of::<T>() {
            return Err(WeightsError::Dtype {
                name: name.to_string(),
                found: tensor.dtype().to_string(),
                expected: T::NAME,
            });
        }
    }

    // The crate has checked that each tensor's data is exactly as long as its shape and dtype
    // say, so every scalar below is found. The bytes are copied, not reinterpreted in place:
    // a tensor's data need not be aligned for `T`.
    let size = size_of::<T>();
    net.visit_mut(&mut |p| {
        let Some(tensor) = tensors.get(p.name) else { return };
        let (rows, cols) = p.shape;
        if rows == 0 {
            return;
        }
        for (k, value) in p.values.iter_mut().enumerate() {
            let (r, c) = (k % rows, k / rows);
            let at = (r * cols + c) * size;
            if let Some(read) = tensor.data().get(at..at + size).and_then(read_le) {
                *value = read;
            }
        }
    });
    Ok(())
}

/// A tensor to write into a safetensors file: a checkpoint's pieces.
pub(crate) struct OwnedTensor {
    /// Its name in the file.
    pub name: String,
    /// Its scalar type.
    pub dtype: Dtype,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Its values, little-endian, row-major.
    pub bytes: Vec<u8>,
}

/// Appends the tensors of `net`, named `prefix` + their own names, laid out as
/// [`to_safetensors_bytes`] lays them out.
pub(crate) fn push_network<T: Float, N: Network<T>>(
    net: &N,
    prefix: &str,
    out: &mut Vec<OwnedTensor>,
) {
    net.visit(&mut |p| {
        let (rows, cols) = p.shape;
        let mut bytes = Vec::with_capacity(std::mem::size_of_val(p.values));
        for r in 0..rows {
            for c in 0..cols {
                if let Some(value) = p.values.get(c * rows + r) {
                    push_le(value, &mut bytes);
                }
            }
        }
        let shape = torch_shape(p.kind, p.shape);
        out.push(OwnedTensor {
            name: format!("{prefix}{}", p.name),
            dtype: dtype_of::<T>(),
            shape,
            bytes,
        });
    });
}

/// The bytes of a safetensors file of `tensors` with `metadata` in its header.
pub(crate) fn serialize_tensors(
    tensors: &[OwnedTensor],
    metadata: HashMap<String, String>,
) -> Result<Vec<u8>, WeightsError> {
    let format = |e: SafeTensorError| WeightsError::Format { reason: e.to_string() };
    let mut views = Vec::with_capacity(tensors.len());
    for t in tensors {
        let view = safetensors::tensor::TensorView::new(t.dtype, t.shape.clone(), &t.bytes);
        views.push((t.name.as_str(), view.map_err(format)?));
    }
    safetensors::serialize(views, Some(metadata)).map_err(format)
}

/// Parses a safetensors file and its header's metadata.
pub(crate) fn parse_file(
    bytes: &[u8],
) -> Result<(SafeTensors<'_>, HashMap<String, String>), WeightsError> {
    if oversized_number(bytes) {
        return Err(WeightsError::Format {
            reason: "its header holds a number larger than any shape or offset can be".to_string(),
        });
    }
    let file = SafeTensors::deserialize(bytes).map_err(|e| format_error(e, bytes))?;
    let (_, metadata) = SafeTensors::read_metadata(bytes).map_err(|e| format_error(e, bytes))?;
    Ok((file, metadata.metadata().clone().unwrap_or_default()))
}

/// Reads the tensors named `prefix` + each tensor's name of `net` from `file` into `net`,
/// after checking them all (presence, shape, scalar type); on error `net` is unchanged.
/// Other tensors of the file are not looked at.
pub(crate) fn read_network<T: Float, N: Network<T>>(
    net: &mut N,
    file: &SafeTensors<'_>,
    prefix: &str,
) -> Result<(), WeightsError> {
    let mut tensors = HashMap::new();
    let mut missing = Vec::new();
    for (name, shape) in expected_tensors(net) {
        let full = format!("{prefix}{name}");
        let Ok(tensor) = file.tensor(&full) else {
            missing.push(full);
            continue;
        };
        if tensor.shape() != shape.as_slice() {
            return Err(WeightsError::Shape {
                name: full,
                found: tensor.shape().to_vec(),
                expected: shape,
            });
        }
        if tensor.dtype() != dtype_of::<T>() {
            let found = tensor.dtype().to_string();
            return Err(WeightsError::Dtype { name: full, found, expected: T::NAME });
        }
        tensors.insert(name, tensor);
    }
    if !missing.is_empty() {
        return Err(WeightsError::Names { missing, unexpected: Vec::new() });
    }
    let size = size_of::<T>();
    net.visit_mut(&mut |p| {
        let Some(tensor) = tensors.get(p.name) else { return };
        let (rows, cols) = p.shape;
        if rows == 0 {
            return;
        }
        for (k, value) in p.values.iter_mut().enumerate() {
            let (r, c) = (k % rows, k / rows);
            let at = (r * cols + c) * size;
            if let Some(read) = tensor.data().get(at..at + size).and_then(read_le) {
                *value = read;
            }
        }
    });
    Ok(())
}

/// The safetensors type of the network's scalars.
fn dtype_of<T: Float>() -> Dtype {
    if size_of::<T>() == size_of::<f32>() {
        Dtype::F32
    } else {
        Dtype::F64
    }
}

/// PyTorch's shape for a parameter of the visitor's shape `(rows, cols)`: `[OUT, IN]` for a
/// weight, a vector of length `rows` for a bias or activation parameters.
fn torch_shape(kind: ParamKind, (rows, cols): (usize, usize)) -> Vec<usize> {
    match kind {
        ParamKind::Bias | ParamKind::Activation if cols == 1 => vec![rows],
        ParamKind::Weight | ParamKind::Bias | ParamKind::Activation => vec![rows, cols],
    }
}

/// Each tensor of the network with its PyTorch shape, in the order the network visits them.
fn expected_tensors<T: Float, N: Network<T>>(net: &N) -> Vec<(&'static str, Vec<usize>)> {
    let mut expected = Vec::new();
    net.visit(&mut |p| expected.push((p.name, torch_shape(p.kind, p.shape))));
    expected
}

/// Checks that the weights hold exactly the network's tensors, reporting all that differ.
fn check_names<'a>(
    expected: &[(&'static str, Vec<usize>)],
    found: impl Iterator<Item = &'a str>,
) -> Result<(), WeightsError> {
    let found: BTreeSet<&str> = found.collect();
    let missing: Vec<String> = expected
        .iter()
        .filter(|(name, _)| !found.contains(name))
        .map(|(name, _)| name.to_string())
        .collect();
    let unexpected: Vec<String> = found
        .iter()
        .filter(|name| !expected.iter().any(|(e, _)| e == *name))
        .map(|name| name.to_string())
        .collect();
    if missing.is_empty() && unexpected.is_empty() {
        Ok(())
    } else {
        Err(WeightsError::Names { missing, unexpected })
    }
}

/// Appends the little-endian bytes of `value`.
fn push_le<T: Float>(value: &T, out: &mut Vec<u8>) {
    let bytes = bytemuck::bytes_of(value);
    if cfg!(target_endian = "big") {
        out.extend(bytes.iter().rev());
    } else {
        out.extend_from_slice(bytes);
    }
}

/// The scalar whose little-endian bytes are `bytes`, bit for bit (NaN payloads included), or
/// `None` if `bytes` is not one scalar long.
fn read_le<T: Float>(bytes: &[u8]) -> Option<T> {
    let mut value = T::zero();
    let out = bytemuck::bytes_of_mut(&mut value);
    if out.len() != bytes.len() {
        return None;
    }
    out.copy_from_slice(bytes);
    if cfg!(target_endian = "big") {
        out.reverse();
    }
    Some(value)
}

/// Appends `s` as a JSON string literal.
fn push_json_string(s: &str, out: &mut String) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ch if u32::from(ch) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(ch))),
            ch => out.push(ch),
        }
    }
    out.push('"');
}

/// Whether the header holds a number above `usize::MAX / 2`.
///
/// safetensors 0.8 adds the end of the tensor data to the header size without checking for
/// overflow (`SafeTensors::read_metadata`), so a header whose data offsets reach close to
/// `usize::MAX` makes it panic in builds with overflow checks. No valid file has such an
/// offset, nor a network such a dimension, so these headers are rejected before the crate
/// reads them. The scan skips the contents of strings (names, metadata); a header that is
/// not there in full is left to the crate, which rejects it.
fn oversized_number(bytes: &[u8]) -> bool {
    let Some(size) = bytes.get(..8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes) else {
        return false;
    };
    let Some(header) = usize::try_from(size)
        .ok()
        .and_then(|size| size.checked_add(8))
        .and_then(|end| bytes.get(8..end))
    else {
        return false;
    };
    let (mut in_string, mut escaped) = (false, false);
    // The value of the run of digits being read, `None` once it exceeds the bound.
    let mut number: Option<Option<usize>> = None;
    for &b in header.iter().chain([b' '].iter()) {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b.is_ascii_digit() {
            let digit = usize::from(b - b'0');
            let value = number.unwrap_or(Some(0));
            number = Some(value.and_then(|v| v.checked_mul(10)?.checked_add(digit)));
        } else {
            if let Some(value) = number.take() {
                if value.is_none_or(|v| v > usize::MAX / 2) {
                    return true;
                }
            }
            in_string = b == b'"';
        }
    }
    false
}

/// The crate's error, with what the file's first bytes say where that explains it better.
fn format_error(error: SafeTensorError, bytes: &[u8]) -> WeightsError {
    if let Some(reason) = detect::other_format(bytes) {
        return WeightsError::Format { reason };
    }
    let len = bytes.len();
    let header = bytes.get(..8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes);
    let reason = match (error, header) {
        (SafeTensorError::HeaderTooSmall, _) => format!(
            "it is {len} byte{} long, shorter than the 8-byte header size that starts the format",
            if len == 1 { "" } else { "s" }
        ),
        (SafeTensorError::HeaderTooLarge, Some(n)) => {
            format!("its header size, {n} bytes, is over the format's limit of 100 MB")
        }
        (SafeTensorError::InvalidHeaderLength, Some(n)) => format!(
            "its header size, {n} bytes, runs past its end ({} bytes follow the size); \
             is it truncated?",
            len - 8
        ),
        (SafeTensorError::MetadataIncompleteBuffer, _) => {
            "the tensors its header describes do not end where the file does; \
             is it truncated, or were bytes appended?"
                .to_string()
        }
        (error, _) => error.to_string(),
    };
    WeightsError::Format { reason }
}

#[cfg(feature = "serde")]
pub use state_dict::{StateDict, Tensor};

#[cfg(feature = "serde")]
mod state_dict {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Serialize};

    use super::{check_names, expected_tensors, torch_shape, WeightsError};
    use crate::{Float, Network};

    /// A network's parameters by name, for serde: JSON (through [`StateDict::to_json`] and
    /// [`StateDict::from_json`]) or any other serde format.
    ///
    /// It holds each tensor under the same name, with the same shape and row-major order, as
    /// a safetensors file written by [`to_safetensors_bytes`](super::to_safetensors_bytes)
    /// (see [the module docs](super)), and serializes as a map from name to tensor, sorted by
    /// name:
    ///
    /// ```json
    /// {
    ///   "hidden.bias": {"shape": [4], "data": [0.5, -0.25, 0.0, 1.0]},
    ///   "hidden.weight": {"shape": [4, 3], "data": [0.1, 0.2, ...]},
    ///   ...
    /// }
    /// ```
    ///
    /// From PyTorch: `{k: {"shape": list(v.shape), "data": v.flatten().tolist()} for k, v in
    /// model.state_dict().items()}`, written with `json.dump`.
    ///
    /// Values are held as `f64`. An `f32` network's values widen exactly, and loading narrows
    /// them back to the same `f32` (other values round to the nearest `f32`; values beyond its
    /// range are an error), so a network's state dict loads back bit for bit, NaN payloads
    /// aside. Reading JSON rejects a tensor name that appears twice and fields of a tensor
    /// other than `shape` and `data`. JSON itself holds only finite numbers: [`StateDict::to_json`] rejects NaN and
    /// infinities, and writes each value with the shortest decimal that reads back as the
    /// same `f64`.
    #[derive(Clone, Debug, Default, PartialEq, Serialize)]
    #[serde(transparent)]
    pub struct StateDict {
        /// The tensors, by name.
        pub tensors: BTreeMap<String, Tensor>,
    }

    /// Reads the map of tensors, rejecting a name that appears twice (a map type would keep
    /// the last one silently).
    impl<'de> Deserialize<'de> for StateDict {
        fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct Tensors;

            impl<'de> serde::de::Visitor<'de> for Tensors {
                type Value = StateDict;

                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a map from tensor names to tensors")
                }

                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<StateDict, A::Error> {
                    let mut tensors = BTreeMap::new();
                    while let Some((name, tensor)) = map.next_entry::<String, Tensor>()? {
                        if tensors.contains_key(&name) {
                            return Err(serde::de::Error::custom(format_args!(
                                "tensor \"{name}\" appears twice"
                            )));
                        }
                        tensors.insert(name, tensor);
                    }
                    Ok(StateDict { tensors })
                }
            }

            deserializer.deserialize_map(Tensors)
        }
    }

    /// One tensor of a [`StateDict`]. Reading one rejects fields other than `shape` and
    /// `data`, and either field twice.
    #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Tensor {
        /// PyTorch's shape: `[OUT, IN]` for a weight, `[N]` for a vector.
        pub shape: Vec<usize>,
        /// The values in row-major order: `data[j * IN + i]` is `weight[j, i]`.
        pub data: Vec<f64>,
    }

    impl StateDict {
        /// The network's parameters.
        pub fn from_network<T: Float, N: Network<T>>(net: &N) -> Self {
            let mut tensors = BTreeMap::new();
            net.visit(&mut |p| {
                let (rows, cols) = p.shape;
                let mut data = Vec::with_capacity(p.values.len());
                for r in 0..rows {
                    for c in 0..cols {
                        if let Some(value) = p.values.get(c * rows + r) {
                            data.push(value.as_f64());
                        }
                    }
                }
                let tensor = Tensor { shape: torch_shape(p.kind, p.shape), data };
                tensors.insert(p.name.to_string(), tensor);
            });
            Self { tensors }
        }

        /// Writes the tensors into the network's parameters, after the checks of
        /// [`from_safetensors_bytes`](super::from_safetensors_bytes) (names and shapes; JSON
        /// has no scalar types, so values are converted), a check that each tensor has as
        /// many values as its shape holds, and one that every finite value stays finite in
        /// the network's type ([`WeightsError::OutOfRange`]). On error the network is
        /// unchanged.
        pub fn load_into<T: Float, N: Network<T>>(&self, net: &mut N) -> Result<(), WeightsError> {
            let expected = expected_tensors(net);
            check_names(&expected, self.tensors.keys().map(String::as_str))?;
            for (name, shape) in &expected {
                // `check_names` found every expected name.
                let Some(tensor) = self.tensors.get(*name) else { continue };
                if &tensor.shape != shape {
                    return Err(WeightsError::Shape {
                        name: name.to_string(),
                        found: tensor.shape.clone(),
                        expected: shape.clone(),
                    });
                }
                if tensor.data.len() != shape.iter().product::<usize>() {
                    return Err(WeightsError::Length {
                        name: name.to_string(),
                        shape: shape.clone(),
                        found: tensor.data.len(),
                    });
                }
                let overflows = |&v: &f64| v.is_finite() && !T::lit(v).is_finite();
                if let Some(index) = tensor.data.iter().position(overflows) {
                    return Err(WeightsError::OutOfRange {
                        name: name.to_string(),
                        index,
                        value: tensor.data[index],
                        to: T::NAME,
                    });
                }
            }
            net.visit_mut(&mut |p| {
                let Some(tensor) = self.tensors.get(p.name) else { return };
                let (rows, cols) = p.shape;
                if rows == 0 {
                    return;
                }
                for (k, value) in p.values.iter_mut().enumerate() {
                    let (r, c) = (k % rows, k / rows);
                    if let Some(&read) = tensor.data.get(r * cols + c) {
                        *value = T::lit(read);
                    }
                }
            });
            Ok(())
        }

        /// The state dict as compact JSON, or an error naming the first tensor that holds NaN
        /// or an infinity (JSON has no such numbers).
        pub fn to_json(&self) -> Result<String, WeightsError> {
            for (name, tensor) in &self.tensors {
                if let Some(index) = tensor.data.iter().position(|v| !v.is_finite()) {
                    return Err(WeightsError::NotFinite {
                        name: name.clone(),
                        index,
                        value: tensor.data[index],
                    });
                }
            }
            serde_json::to_string(self).map_err(WeightsError::Json)
        }

        /// Reads a state dict from JSON. Its tensors are checked against a network by
        /// [`StateDict::load_into`].
        pub fn from_json(json: &str) -> Result<Self, WeightsError> {
            serde_json::from_str(json).map_err(WeightsError::Json)
        }
    }
}
