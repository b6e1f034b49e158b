//! Loading and saving with options: a key map, dtype conversions, a shared slope broadcast.

use std::collections::HashMap;
use std::fmt;
use std::mem::size_of;
use std::path::Path;

use safetensors::{Dtype, SafeTensors};

use super::keymap::{KeyMap, KeyMapping};
use super::{dtype_of, format_error, oversized_number, read_le, torch_shape, WeightsError};
use crate::data::Labels;
use crate::{Float, Network, ParamKind};

/// A scalar type of a weight file that loading can convert to the network's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileDtype {
    /// IEEE half precision, safetensors' `F16` (PyTorch's `torch.float16`).
    F16,
    /// bfloat16, safetensors' `BF16` (PyTorch's `torch.bfloat16`).
    BF16,
    /// IEEE single precision, `F32` (`torch.float32`, PyTorch's default).
    F32,
    /// IEEE double precision, `F64` (`torch.float64`).
    F64,
}

impl FileDtype {
    /// The type of a safetensors tensor, if it is one of these.
    fn of(dtype: Dtype) -> Option<Self> {
        match dtype {
            Dtype::F16 => Some(Self::F16),
            Dtype::BF16 => Some(Self::BF16),
            Dtype::F32 => Some(Self::F32),
            Dtype::F64 => Some(Self::F64),
            _ => None,
        }
    }

    /// The bytes of one scalar.
    fn size(self) -> usize {
        match self {
            Self::F16 | Self::BF16 => 2,
            Self::F32 => 4,
            Self::F64 => 8,
        }
    }

    /// The value of the little-endian scalar `bytes`, exactly (every type here widens to
    /// `f64` without rounding).
    fn read(self, bytes: &[u8]) -> f64 {
        match (self, bytes) {
            (Self::F16, &[a, b]) => f16_to_f64(u16::from_le_bytes([a, b])),
            (Self::BF16, &[a, b]) => {
                f64::from(f32::from_bits(u32::from(u16::from_le_bytes([a, b])) << 16))
            }
            (Self::F32, &[a, b, c, d]) => f64::from(f32::from_le_bytes([a, b, c, d])),
            (Self::F64, &[a, b, c, d, e, f, g, h]) => f64::from_le_bytes([a, b, c, d, e, f, g, h]),
            _ => f64::NAN,
        }
    }
}

impl fmt::Display for FileDtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::F16 => "F16",
            Self::BF16 => "BF16",
            Self::F32 => "F32",
            Self::F64 => "F64",
        })
    }
}

/// The value of an IEEE half-precision number.
fn f16_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exponent = i32::from((bits >> 10) & 0x1f);
    let mantissa = f64::from(bits & 0x3ff);
    sign * match exponent {
        0 => mantissa * (2.0_f64).powi(-24),
        0x1f if mantissa == 0.0 => f64::INFINITY,
        0x1f => f64::NAN,
        e => (1.0 + mantissa / 1024.0) * (2.0_f64).powi(e - 15),
    }
}

/// How [`load_safetensors_with`] reads a file: which names map to which, which scalar types
/// it converts, which shapes it adapts. The default is [`load_safetensors`](super::load_safetensors)'s
/// strictness: names as they are, the network's scalar type only, the network's shapes only.
///
/// ```
/// use nn_runtime::io::{FileDtype, KeyMap, LoadOptions};
///
/// // A PyTorch `nn.Sequential` of float32 weights, into a network in f64.
/// let options = LoadOptions::new().keys(KeyMap::pytorch()).cast_from(FileDtype::F32);
/// assert!(options.cast_from.contains(&FileDtype::F32));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadOptions {
    /// How the file's names map to the network's. Default: [`KeyMap::new`], every name as it
    /// is.
    pub keys: KeyMap,
    /// The scalar types of the file converted to the network's, each named: `F32` into an
    /// `f64` network widens exactly, `F64` into `f32` rounds to the nearest `f32` and rejects
    /// a finite value beyond its range ([`WeightsError::OutOfRange`]), `F16` and `BF16` widen
    /// exactly into either. NaN and infinities stay what they are. A tensor of the network's
    /// own type is always read bit for bit. Default: empty, so that a tensor of another type
    /// is an error ([`WeightsError::Dtype`]).
    pub cast_from: Vec<FileDtype>,
    /// Whether a one-element tensor for a per-unit learnable activation (PyTorch's
    /// `nn.PReLU()`, one slope, for a `prelu` line) fills every unit with its value. Default:
    /// `false`, so that the shapes must be equal ([`WeightsError::Shape`]).
    pub broadcast_shared_slopes: bool,
}

impl LoadOptions {
    /// The defaults: strict.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`LoadOptions::keys`].
    pub fn keys(mut self, keys: KeyMap) -> Self {
        self.keys = keys;
        self
    }

    /// Adds `dtype` to [`LoadOptions::cast_from`].
    pub fn cast_from(mut self, dtype: FileDtype) -> Self {
        if !self.cast_from.contains(&dtype) {
            self.cast_from.push(dtype);
        }
        self
    }

    /// Sets [`LoadOptions::broadcast_shared_slopes`].
    pub fn broadcast_shared_slopes(mut self, broadcast: bool) -> Self {
        self.broadcast_shared_slopes = broadcast;
        self
    }
}

/// How [`save_safetensors_with`] names the tensors it writes. The default writes what
/// [`save_safetensors`](super::save_safetensors) writes.
///
/// The scalar type written is the network's: PyTorch's `load_state_dict` converts it to the
/// module's own as it copies.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SaveOptions {
    /// How the network's names map to the file's: the rules of a [`KeyMap`] read backwards,
    /// so that a file saved with a key map loads back with the same one. Default:
    /// [`KeyMap::new`], every name as it is.
    pub keys: KeyMap,
    /// The names of a classifier's classes ([`Csv::labels`](crate::data::Csv::labels)),
    /// written into the file's metadata (`__metadata__`, key `nn.labels`, the text of
    /// [`Labels::to_text`]) so that they travel with the weights; [`labels_of_safetensors`]
    /// reads them back. Loaders, PyTorch's among them, ignore the metadata. Default: none.
    pub labels: Option<Labels>,
}

impl SaveOptions {
    /// The defaults: the network's names.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`SaveOptions::keys`].
    pub fn keys(mut self, keys: KeyMap) -> Self {
        self.keys = keys;
        self
    }

    /// Sets [`SaveOptions::labels`].
    pub fn labels(mut self, labels: Labels) -> Self {
        self.labels = Some(labels);
        self
    }
}

/// The metadata key under which [`SaveOptions::labels`] are saved.
const LABELS_KEY: &str = "nn.labels";

/// The class labels saved in the safetensors file at `path` ([`SaveOptions::labels`]), or
/// `None` if it has none.
pub fn labels_of_safetensors(path: impl AsRef<Path>) -> Result<Option<Labels>, WeightsError> {
    labels_of_safetensors_bytes(&read(path.as_ref())?)
}

/// [`labels_of_safetensors`] from the file's bytes.
pub fn labels_of_safetensors_bytes(bytes: &[u8]) -> Result<Option<Labels>, WeightsError> {
    let (_, metadata) = super::parse_file(bytes)?;
    match metadata.get(LABELS_KEY) {
        None => Ok(None),
        Some(text) => Labels::from_text(text).map(Some).ok_or_else(|| WeightsError::Format {
            reason: format!("its metadata `{LABELS_KEY}` is not a list of class labels"),
        }),
    }
}

/// Reads the safetensors file at `path` into the network's parameters as `options` say; with
/// the default options, [`load_safetensors`](super::load_safetensors). On error the network is
/// unchanged, and if the key map renamed a tensor the error shows the whole mapping
/// ([`WeightsError::KeyMap`]).
pub fn load_safetensors_with<T: Float, N: Network<T>>(
    net: &mut N,
    path: impl AsRef<Path>,
    options: &LoadOptions,
) -> Result<(), WeightsError> {
    let bytes = read(path.as_ref())?;
    from_safetensors_bytes_with(net, &bytes, options)
}

/// [`load_safetensors_with`] on the bytes of a file.
pub fn from_safetensors_bytes_with<T: Float, N: Network<T>>(
    net: &mut N,
    bytes: &[u8],
    options: &LoadOptions,
) -> Result<(), WeightsError> {
    let file = parse(bytes)?;
    let mapping = options.keys.map_file(&listing(&file), net);
    let values = match checked_values(net, &file, &mapping, options) {
        Ok(values) => values,
        Err(error) if mapping.renames_any() => {
            return Err(WeightsError::KeyMap { error: Box::new(error), mapping })
        }
        Err(error) => return Err(error),
    };
    // Every tensor is checked and converted: write them.
    net.visit_mut(&mut |p| {
        let Some(row_major) = values.get(p.name) else { return };
        let (rows, cols) = p.shape;
        for (k, value) in p.values.iter_mut().enumerate() {
            let (r, c) = (k % rows, k / rows);
            if let Some(&read) = row_major.get(r * cols + c) {
                *value = read;
            }
        }
    });
    Ok(())
}

/// How each tensor of the safetensors file at `path` maps to the network's under `keys`,
/// without loading anything: the listing to read before a load, or to check a key map with.
///
/// ```
/// # use nn_runtime::io::{list_safetensors_bytes, KeyMap};
/// # fn f<N: nn_runtime::Network<f32>>(net: &N, bytes: &[u8]) -> Result<(), nn_runtime::WeightsError> {
/// println!("{}", list_safetensors_bytes(net, bytes, &KeyMap::pytorch())?);
/// // "0.weight" [8, 5] F32 -> "hidden.weight" (`nn.Sequential` index 0 is line `hidden`)
/// // ...
/// # Ok(()) }
/// ```
pub fn list_safetensors<T: Float, N: Network<T>>(
    net: &N,
    path: impl AsRef<Path>,
    keys: &KeyMap,
) -> Result<KeyMapping, WeightsError> {
    let bytes = read(path.as_ref())?;
    list_safetensors_bytes(net, &bytes, keys)
}

/// [`list_safetensors`] on the bytes of a file.
pub fn list_safetensors_bytes<T: Float, N: Network<T>>(
    net: &N,
    bytes: &[u8],
    keys: &KeyMap,
) -> Result<KeyMapping, WeightsError> {
    let file = parse(bytes)?;
    Ok(keys.map_file(&listing(&file), net))
}

/// Writes the network's parameters to the safetensors file at `path` as `options` say,
/// replacing it if it exists, atomically (see [`write_atomic`](super::write_atomic)). Fails
/// if the key map gives two tensors the same name.
pub fn save_safetensors_with<T: Float, N: Network<T>>(
    net: &N,
    path: impl AsRef<Path>,
    options: &SaveOptions,
) -> Result<(), WeightsError> {
    let path = path.as_ref();
    let bytes = to_safetensors_bytes_with(net, options)?;
    super::write_atomic(path, &bytes)
        .map_err(|source| WeightsError::Write { path: path.to_path_buf(), source })
}

/// The bytes [`save_safetensors_with`] writes: those of
/// [`to_safetensors_bytes`](super::to_safetensors_bytes) with the names the key map gives.
pub fn to_safetensors_bytes_with<T: Float, N: Network<T>>(
    net: &N,
    options: &SaveOptions,
) -> Result<Vec<u8>, WeightsError> {
    // The layout of `to_safetensors_bytes`, each tensor under the name the key map gives it.
    let (tensors, data) = super::visited_bytes(net);
    let files: Vec<String> =
        tensors.iter().map(|t| options.keys.map_save(t.name, N::LAYERS, t.kind)).collect();
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for (tensor, file) in tensors.iter().zip(&files) {
        if let Some(first) = seen.insert(file, tensor.name) {
            return Err(WeightsError::Collision {
                name: file.clone(),
                sources: vec![first.to_string(), tensor.name.to_string()],
            });
        }
    }
    let labels = options.labels.as_ref().map(Labels::to_text);
    let entries = tensors
        .iter()
        .zip(&files)
        .map(|(t, file)| (file.as_str(), torch_shape(t.kind, t.shape), t.range));
    Ok(super::assemble(
        dtype_of::<T>(),
        entries,
        labels.as_deref().map(|text| (LABELS_KEY, text)),
        data,
    ))
}

/// The file's bytes, or the error naming it.
fn read(path: &Path) -> Result<Vec<u8>, WeightsError> {
    std::fs::read(path).map_err(|source| WeightsError::Read { path: path.to_path_buf(), source })
}

/// The parsed file, or why the bytes are not one.
fn parse(bytes: &[u8]) -> Result<SafeTensors<'_>, WeightsError> {
    if oversized_number(bytes) {
        return Err(WeightsError::Format {
            reason: "its header holds a number larger than any shape or offset can be".to_string(),
        });
    }
    SafeTensors::deserialize(bytes).map_err(|e| format_error(e, bytes))
}

/// Each tensor of the file: name, shape, dtype.
fn listing(file: &SafeTensors<'_>) -> Vec<(String, Vec<usize>, String)> {
    file.iter()
        .map(|(name, view)| (name.to_string(), view.shape().to_vec(), view.dtype().to_string()))
        .collect()
}

/// Every tensor of the network, read from the file as the mapping and options say, in
/// row-major order; or the first mismatch, in the order [`WeightsError`] documents.
fn checked_values<T: Float, N: Network<T>>(
    net: &N,
    file: &SafeTensors<'_>,
    mapping: &KeyMapping,
    options: &LoadOptions,
) -> Result<HashMap<&'static str, Vec<T>>, WeightsError> {
    // Names: two file tensors for one network tensor, then missing and unexpected ones.
    let mut by_network: HashMap<&str, &str> = HashMap::new();
    for entry in &mapping.entries {
        if let Some(first) = by_network.insert(&entry.network, &entry.file) {
            let mut sources = vec![first.to_string(), entry.file.clone()];
            sources.sort();
            return Err(WeightsError::Collision { name: entry.network.clone(), sources });
        }
    }
    let mut expected: Vec<(&'static str, ParamKind, Vec<usize>)> = Vec::new();
    net.visit(&mut |p| expected.push((p.name, p.kind, torch_shape(p.kind, p.shape))));
    let mut unexpected: Vec<String> = mapping
        .entries
        .iter()
        .filter(|e| !expected.iter().any(|(name, _, _)| *name == e.network))
        .map(|e| e.network.clone())
        .collect();
    unexpected.sort();
    if !mapping.missing.is_empty() || !unexpected.is_empty() {
        return Err(WeightsError::Names { missing: mapping.missing.clone(), unexpected });
    }

    let mut values = HashMap::new();
    for (name, kind, shape) in expected {
        let Some(view) = by_network.get(name).and_then(|file_name| file.tensor(file_name).ok())
        else {
            continue;
        };
        let broadcast = options.broadcast_shared_slopes
            && kind == ParamKind::Activation
            && view.shape() == [1]
            && shape.len() == 1;
        if view.shape() != shape.as_slice() && !broadcast {
            return Err(WeightsError::Shape {
                name: name.to_string(),
                found: view.shape().to_vec(),
                expected: shape,
            });
        }
        let count = shape.iter().product::<usize>();
        let data = view.data();
        let mut row_major: Vec<T> = Vec::with_capacity(count);
        if view.dtype() == dtype_of::<T>() {
            // Bit for bit, as the strict load reads.
            let size = size_of::<T>();
            row_major.extend(data.chunks_exact(size).filter_map(read_le::<T>));
        } else {
            let cast = FileDtype::of(view.dtype()).filter(|d| options.cast_from.contains(d));
            let Some(dtype) = cast else {
                return Err(WeightsError::Dtype {
                    name: name.to_string(),
                    found: view.dtype().to_string(),
                    expected: T::NAME,
                });
            };
            for (index, bytes) in data.chunks_exact(dtype.size()).enumerate() {
                let wide = dtype.read(bytes);
                let value = T::lit(wide);
                if wide.is_finite() && !value.is_finite() {
                    return Err(WeightsError::OutOfRange {
                        name: name.to_string(),
                        index,
                        value: wide,
                        to: T::NAME,
                    });
                }
                row_major.push(value);
            }
        }
        if broadcast {
            let one = row_major.first().copied().unwrap_or_else(T::zero);
            row_major = vec![one; count];
        }
        values.insert(name, row_major);
    }
    Ok(values)
}
