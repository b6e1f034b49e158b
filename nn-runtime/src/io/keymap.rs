//! How a weight file's tensor names map to a network's, both ways: explicit renames, prefix
//! rules, and PyTorch's two naming conventions that differ from the network's (the indices of
//! an `nn.Sequential`, and activation modules with parameters of their own).

use std::collections::BTreeMap;
use std::fmt;

use crate::{Float, LayerInfo, Network, ParamKind};

/// A mapping between the tensor names of a weight file and the network's, used by
/// [`LoadOptions`](super::LoadOptions) (file to network) and [`SaveOptions`](super::SaveOptions)
/// (network to file, the same rules read backwards).
///
/// The default, [`KeyMap::new`], keeps every name as it is. Loading applies the rules to each
/// name of the file in this order:
///
/// 1. an explicit [`rename`](KeyMap::rename) of the whole name, which ends the mapping of that
///    name;
/// 2. the first [`prefix`](KeyMap::prefix) rule whose file prefix starts the name, replaced by
///    the network's prefix;
/// 3. with [`activation_modules`](KeyMap::activation_modules)`("_act")`, `<line>_act.weight`
///    becomes the activation parameter of line `<line>` (`<line>.slope` for a PReLU), the
///    tensor of an `nn.PReLU` kept as the attribute `<line>_act` beside the `nn.Linear`
///    `<line>`;
/// 4. with [`sequential`](KeyMap::sequential), the names `<index>.<tensor>` of an
///    `nn.Sequential` are read as the network's lines in order: the indices in increasing
///    order, those without tensors (`nn.Tanh`, `nn.Dropout`, ...) absent from the file and so
///    skipped; an index with a two-dimensional `weight` is the next line with parameters
///    (`<index>.weight` becomes `<line>.weight`, `<index>.bias` becomes `<line>.bias`); an
///    index holding only a one-dimensional `weight`, an `nn.PReLU`, is the activation of the
///    line before it (`<line>.slope`).
///
/// Saving reads the same rules backwards: a renamed network name gets its file name; otherwise
/// the conventions apply (with [`sequential`](KeyMap::sequential), each line's index is counted
/// as `nn.Sequential` numbers the modules of the network's chain: one for each layer, one for
/// each activation other than `identity`, one for each dropout; a learnable activation's
/// parameter is the `weight` of the index after its layer's), then the first prefix rule whose
/// network prefix starts the name.
///
/// ```
/// use nn_runtime::io::KeyMap;
///
/// // An `nn.Sequential` inside a module's attribute `features`, and a final layer PyTorch
/// // calls `classifier` where the network says `out`.
/// let keys = KeyMap::new()
///     .rename("classifier.weight", "out.weight")
///     .rename("classifier.bias", "out.bias")
///     .prefix("features.", "")
///     .sequential();
/// # let _ = keys;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyMap {
    renames: Vec<(String, String)>,
    prefixes: Vec<(String, String)>,
    sequential: bool,
    activation_suffix: Option<String>,
}

impl KeyMap {
    /// The identity: every name as it is (the default).
    pub fn new() -> Self {
        Self::default()
    }

    /// PyTorch's conventions: [`sequential`](KeyMap::sequential) and
    /// [`activation_modules`](KeyMap::activation_modules)`("_act")`. Names that already are
    /// the network's are left as they are, so this also loads files named like the network.
    pub fn pytorch() -> Self {
        Self::new().sequential().activation_modules("_act")
    }

    /// Maps the file's tensor `file` to the network's tensor `network` (and back on saving).
    /// Renames are applied before any other rule, and end the mapping of that name.
    pub fn rename(mut self, file: impl Into<String>, network: impl Into<String>) -> Self {
        self.renames.push((file.into(), network.into()));
        self
    }

    /// Replaces the prefix `file` of the file's names with `network` (and back on saving):
    /// `prefix("0.", "hidden.")` reads `0.weight` as `hidden.weight`, `prefix("model.", "")`
    /// strips a wrapper module's attribute name. The first rule that matches applies.
    pub fn prefix(mut self, file: impl Into<String>, network: impl Into<String>) -> Self {
        self.prefixes.push((file.into(), network.into()));
        self
    }

    /// Reads `nn.Sequential` indices as the network's lines in order (see [`KeyMap`]).
    pub fn sequential(mut self) -> Self {
        self.sequential = true;
        self
    }

    /// Reads `<line><suffix>.weight` as the parameter of line `<line>`'s learnable activation:
    /// an `nn.PReLU` kept as a module of its own beside the layer it follows.
    pub fn activation_modules(mut self, suffix: impl Into<String>) -> Self {
        self.activation_suffix = Some(suffix.into());
        self
    }

    /// Whether the map keeps every name as it is.
    pub fn is_identity(&self) -> bool {
        self.renames.is_empty()
            && self.prefixes.is_empty()
            && !self.sequential
            && self.activation_suffix.is_none()
    }

    /// Each of the file's tensors (name and shape) with the network name it loads into.
    pub(crate) fn map_file<T: Float, N: Network<T>>(
        &self,
        file: &[(String, Vec<usize>, String)],
        net: &N,
    ) -> KeyMapping {
        let lines = Lines::of(net);
        let mut entries: Vec<MappedName> = Vec::with_capacity(file.len());
        for (name, shape, dtype) in file {
            let (network, rule) = self.map_one_load(name, &lines);
            entries.push(MappedName {
                file: name.clone(),
                network,
                rule,
                shape: shape.clone(),
                dtype: dtype.clone(),
            });
        }
        if self.sequential {
            sequential_load(&mut entries, &lines);
        }
        entries.sort_by(|a, b| natural_key(&a.file).cmp(&natural_key(&b.file)));
        let found: Vec<&str> = entries.iter().map(|e| e.network.as_str()).collect();
        let missing = lines
            .params
            .iter()
            .filter(|p| !found.contains(&p.0))
            .map(|p| p.0.to_string())
            .collect();
        KeyMapping { entries, missing }
    }

    /// The rules before the sequential one, for one of the file's names.
    fn map_one_load(&self, name: &str, lines: &Lines) -> (String, KeyRule) {
        if let Some((_, network)) = self.renames.iter().find(|(file, _)| file == name) {
            return (network.clone(), KeyRule::Renamed);
        }
        let (mut mapped, mut rule) = (name.to_string(), KeyRule::Unchanged);
        if let Some((file, network)) = self.prefixes.iter().find(|(file, _)| name.starts_with(file))
        {
            mapped = format!("{network}{}", &name[file.len()..]);
            rule = KeyRule::Prefix { file: file.clone(), network: network.clone() };
        }
        if let Some(suffix) = &self.activation_suffix {
            let line = mapped.strip_suffix(".weight").and_then(|m| m.strip_suffix(suffix.as_str()));
            if let Some(line) = line.filter(|line| lines.index(line).is_some()) {
                rule = KeyRule::ActivationModule { module: format!("{line}{suffix}") };
                mapped = lines.activation_param(line);
            }
        }
        (mapped, rule)
    }

    /// The file name the network's tensor `name` is saved under.
    pub(crate) fn map_save(&self, name: &str, layers: &[LayerInfo], kind: ParamKind) -> String {
        if let Some((file, _)) = self.renames.iter().find(|(_, network)| network == name) {
            return file.clone();
        }
        let mut mapped = name.to_string();
        let (line, tensor) = name.split_once('.').unwrap_or((name, ""));
        if self.sequential {
            if let Some((layer, activation)) = sequential_indices(layers, line) {
                mapped = match (kind, activation) {
                    (ParamKind::Activation, Some(index)) => format!("{index}.weight"),
                    _ => format!("{layer}.{tensor}"),
                };
            }
        } else if let (Some(suffix), ParamKind::Activation) = (&self.activation_suffix, kind) {
            mapped = format!("{line}{suffix}.weight");
        }
        if let Some((file, network)) =
            self.prefixes.iter().find(|(_, network)| mapped.starts_with(network.as_str()))
        {
            mapped = format!("{file}{}", &mapped[network.len()..]);
        }
        mapped
    }
}

/// The `nn.Sequential` index of line `line`'s layer and, if its activation is a module, of
/// that module: modules counted one per layer, per activation other than `identity` and per
/// dropout, over the lines in order. `None` for a line without parameters or not found.
fn sequential_indices(layers: &[LayerInfo], line: &str) -> Option<(usize, Option<usize>)> {
    let mut index = 0;
    for layer in layers {
        let stages = layer.activation;
        let activation =
            !(stages.is_empty() || stages.starts_with("identity") || stages.starts_with("dropout"));
        let dropout = stages.contains("dropout ");
        let has_layer = layer.params > 0;
        if layer.name == line {
            return has_layer.then_some((index, activation.then_some(index + 1)));
        }
        index += usize::from(has_layer) + usize::from(activation) + usize::from(dropout);
    }
    None
}

/// Applies the `nn.Sequential` convention to the entries whose name (after the earlier rules)
/// starts with an index.
fn sequential_load(entries: &mut [MappedName], lines: &Lines) {
    // index -> the entries under it, by position.
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (k, entry) in entries.iter().enumerate() {
        if matches!(entry.rule, KeyRule::Renamed) {
            continue;
        }
        if let Some((index, _)) = split_index(&entry.network) {
            groups.entry(index).or_default().push(k);
        }
    }
    let mut next_line = 0;
    let mut previous: Option<usize> = None;
    for (index, members) in groups {
        let tensors: Vec<String> = members
            .iter()
            .map(|&k| split_index(&entries[k].network).map_or("", |(_, t)| t).to_string())
            .collect();
        let only_vector_weight =
            members.len() == 1 && tensors[0] == "weight" && entries[members[0]].shape.len() == 1;
        if let (true, Some(line)) = (only_vector_weight, previous) {
            let k = members[0];
            entries[k].network = lines.activation_param(lines.names[line]);
            entries[k].rule = KeyRule::SequentialActivation { index, line: lines.names[line] };
            continue;
        }
        let Some(&line) = lines.names.get(next_line) else {
            for k in members {
                entries[k].rule = KeyRule::SequentialBeyond { index, lines: lines.names.len() };
            }
            continue;
        };
        for (k, tensor) in members.into_iter().zip(tensors) {
            entries[k].network = format!("{line}.{tensor}");
            entries[k].rule = KeyRule::Sequential { index, line };
        }
        previous = Some(next_line);
        next_line += 1;
    }
}

/// `("12", "weight")` of `"12.weight"` as `(12, "weight")`.
fn split_index(name: &str) -> Option<(usize, &str)> {
    let (index, tensor) = name.split_once('.')?;
    if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((index.parse().ok()?, tensor))
}

/// A sort key that orders `"2.weight"` before `"10.weight"`.
fn natural_key(name: &str) -> (usize, usize, &str) {
    match split_index(name) {
        Some((index, _)) => (0, index, name),
        None => (1, 0, name),
    }
}

/// The network's lines with parameters and their tensors, in the visitor's order.
struct Lines {
    /// The lines with parameters, in order.
    names: Vec<&'static str>,
    /// Every tensor: name, kind.
    params: Vec<(&'static str, ParamKind)>,
}

impl Lines {
    fn of<T: Float, N: Network<T>>(net: &N) -> Self {
        let mut lines = Self { names: Vec::new(), params: Vec::new() };
        net.visit(&mut |p| {
            let line = p.name.split_once('.').map_or(p.name, |(line, _)| line);
            if lines.names.last() != Some(&line) {
                lines.names.push(line);
            }
            lines.params.push((p.name, p.kind));
        });
        lines
    }

    fn index(&self, line: &str) -> Option<usize> {
        self.names.iter().position(|&l| l == line)
    }

    /// The name of line `line`'s activation parameter, or `<line>.slope` (a PReLU's, what
    /// PyTorch's activation modules with parameters hold) if it has none.
    fn activation_param(&self, line: &str) -> String {
        self.params
            .iter()
            .find(|(name, kind)| {
                *kind == ParamKind::Activation
                    && name.split_once('.').is_some_and(|(l, _)| l == line)
            })
            .map_or_else(|| format!("{line}.slope"), |(name, _)| name.to_string())
    }
}

/// Which rule gave a file's tensor its network name.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyRule {
    /// No rule applied: the name is the same in the file and the network.
    Unchanged,
    /// An explicit [`KeyMap::rename`].
    Renamed,
    /// A [`KeyMap::prefix`] rule.
    Prefix {
        /// The prefix in the file.
        file: String,
        /// The prefix in the network.
        network: String,
    },
    /// [`KeyMap::activation_modules`]: the tensor of the activation module `module`.
    ActivationModule {
        /// The module's name in the file, `<line><suffix>`.
        module: String,
    },
    /// [`KeyMap::sequential`]: index `index` of the `nn.Sequential` is the line `line`.
    Sequential {
        /// The index in the file.
        index: usize,
        /// The network's line.
        line: &'static str,
    },
    /// [`KeyMap::sequential`]: index `index` is an activation module with one parameter
    /// (`nn.PReLU`) after the layer of line `line`.
    SequentialActivation {
        /// The index in the file.
        index: usize,
        /// The network's line whose activation it is.
        line: &'static str,
    },
    /// [`KeyMap::sequential`]: index `index` is a layer past the network's last line with
    /// parameters; its name is left as it is.
    SequentialBeyond {
        /// The index in the file.
        index: usize,
        /// How many lines with parameters the network has.
        lines: usize,
    },
}

impl fmt::Display for KeyRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unchanged => f.write_str("unchanged"),
            Self::Renamed => f.write_str("renamed"),
            Self::Prefix { file, network } => write!(f, "prefix \"{file}\" -> \"{network}\""),
            Self::ActivationModule { module } => {
                write!(f, "activation module `{module}` folded into its layer")
            }
            Self::Sequential { index, line } => {
                write!(f, "`nn.Sequential` index {index} is line `{line}`")
            }
            Self::SequentialActivation { index, line } => write!(
                f,
                "`nn.Sequential` index {index} is an activation module after line `{line}`"
            ),
            Self::SequentialBeyond { index, lines } => write!(
                f,
                "`nn.Sequential` index {index} is a layer past the network's {lines} lines with \
                 parameters"
            ),
        }
    }
}

/// One tensor of a weight file and the network tensor it loads into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MappedName {
    /// The tensor's name in the file.
    pub file: String,
    /// The name it loads into (the same as `file` if no rule applied).
    pub network: String,
    /// The rule that gave it.
    pub rule: KeyRule,
    /// Its shape in the file.
    pub shape: Vec<usize>,
    /// Its scalar type in the file, as safetensors names it (`"F32"`, `"BF16"`, ...).
    pub dtype: String,
}

/// `"0.weight" [8, 5] F32 -> "hidden.weight" (`nn.Sequential` index 0 is line `hidden`)`.
impl fmt::Display for MappedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self { file, network, rule, shape, dtype } = self;
        write!(f, "\"{file}\" {shape:?} {dtype} -> \"{network}\" ({rule})")
    }
}

/// How each tensor of a weight file maps to the network's: what
/// [`list_safetensors`](super::list_safetensors) returns, and what a failed load with a key
/// map shows. Its `Display` prints one line per tensor,
/// `"0.weight" [8, 5] F32 -> "hidden.weight" (`nn.Sequential` index 0 is line `hidden`)`,
/// then the network's tensors that no name of the file maps to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyMapping {
    /// The file's tensors, indices in numeric order, then the other names in byte order.
    pub entries: Vec<MappedName>,
    /// The network's tensors that no tensor of the file maps to, in the network's order.
    pub missing: Vec<String>,
}

impl KeyMapping {
    /// Whether some rule changed a name.
    pub fn renames_any(&self) -> bool {
        self.entries.iter().any(|e| e.rule != KeyRule::Unchanged)
    }
}

impl fmt::Display for KeyMapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, entry) in self.entries.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{entry}")?;
        }
        for name in &self.missing {
            write!(f, "\nnothing -> \"{name}\" (no tensor of the file maps to it)")?;
        }
        Ok(())
    }
}
