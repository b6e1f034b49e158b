//! Weights baked in at compile time: the `weights: "file.safetensors"` line.
//!
//! The line names a safetensors file, relative to the source file that names it (as
//! `include_bytes!` resolves paths). The macro reads it while it expands and writes each
//! tensor into a constant of the network's type, `Net::<f32>::BAKED` and `Net::<f64>::BAKED`,
//! so that the weights sit in the program's read-only data (flash on a microcontroller) and
//! cost no start-up and no heap. The tensors are those `nn::io` saves and loads, under the
//! network's own names (`hidden.weight`, `hidden.bias`, `hidden.slope`, ...) in PyTorch's
//! shapes, or, with `weights: pytorch("model.safetensors")`, under the names PyTorch gives
//! them, read as `nn::io::KeyMap::pytorch()` reads them at run time; any dtype the run-time loader can cast (`F16`, `BF16`, `F32`, `F64`) is converted
//! to the constant's scalar, rounding to nearest.
//!
//! Every mismatch is a compile error at the path, naming the tensor: a missing tensor, an
//! unexpected one, a wrong shape, a dtype that is not a float, a value beyond `f32`'s range,
//! a file that cannot be read. The expansion includes the file's bytes in an unused constant,
//! so that editing the file rebuilds the crate.
//!
//! Expands to
//! `const _: &[u8] = include_bytes!("/abs/sine.safetensors");
//! impl Sine<f32> { pub const BAKED: Self = Sine { hidden: ::nn::Dense { weight: .., .. }, .. }; }`
//! and the same for `f64`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use proc_macro2::{Literal, TokenStream};
use quote::quote;
use safetensors::{Dtype, SafeTensors};
use syn::ext::IdentExt;
use syn::{Expr, ExprLit, Lit, LitStr};

use crate::ctxt::Ctxt;
use crate::ir::{Network, Node};
use crate::parse::{Line, Stage};
use crate::suggest::did_you_mean;

/// The key of the line naming the weight file.
pub const KEY: &str = "weights";

/// A `weights:` line: the file it names, and whether the file's tensor names follow
/// PyTorch's conventions (`weights: pytorch("model.safetensors")`).
pub struct Weights<'a> {
    pub path: &'a LitStr,
    pub pytorch: bool,
}

/// The file of a `weights: "file.safetensors"` or `weights: pytorch("file.safetensors")`
/// line, if `line` is one. Any other line keyed `weights` (a layer named so,
/// `weights: dense(8)`) is an ordinary line.
pub fn weights_of(line: &Line) -> Option<Weights<'_>> {
    if line.key != KEY {
        return None;
    }
    match line.stages.as_slice() {
        [Stage::Lit { minus: None, lit: Lit::Str(path) }] => Some(Weights { path, pytorch: false }),
        [Stage::Call { name, args: Some((_, args)) }] if name == PYTORCH && args.len() == 1 => {
            match &args[0] {
                Expr::Lit(ExprLit { lit: Lit::Str(path), .. }) => {
                    Some(Weights { path, pytorch: true })
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The word that reads a file's names by PyTorch's conventions.
const PYTORCH: &str = "pytorch";

/// Rejects a second `weights:` line: `weights: "a.safetensors", weights: "b.safetensors"`.
pub fn check_once(cx: &mut Ctxt, weights: &[Weights]) {
    for w in weights.iter().skip(1) {
        cx.error_spanned_by(w.path, "`weights` is given twice; keep one");
    }
}

/// One tensor the network holds: its name in files, its PyTorch shape, and where it goes.
struct Tensor {
    name: String,
    shape: Vec<usize>,
    /// Rows and columns of the nalgebra matrix it fills (column-major); a vector is `(n, 1)`.
    rows: usize,
    cols: usize,
}

/// The tensors of one layer, in the order the network visits them.
fn tensors(node: &Node) -> Vec<Tensor> {
    let field = node.name.unraw().to_string();
    let rows = node.linear.as_ref().map_or(0, |l| l.rows);
    let cols = match (node.recurrence(), node.graph()) {
        (Some(r), _) => r.width,
        (None, Some((_, features))) => features,
        (None, None) => node.inputs,
    };
    let matrix = |suffix: &str, rows: usize, cols: usize| Tensor {
        name: format!("{field}.{suffix}"),
        shape: vec![rows, cols],
        rows,
        cols,
    };
    let vector = |suffix: &str, len: usize| Tensor {
        name: format!("{field}.{suffix}"),
        shape: vec![len],
        rows: len,
        cols: 1,
    };
    if let Some(r) = node.recurrence() {
        // PyTorch's four tensors, the gates' blocks stacked: `weight_ih_l0`, `weight_hh_l0`,
        // `bias_ih_l0`, `bias_hh_l0`.
        let g = r.cell.gates() * rows;
        return vec![
            matrix("weight_ih_l0", g, r.width),
            matrix("weight_hh_l0", g, rows),
            vector("bias_ih_l0", g),
            vector("bias_hh_l0", g),
        ];
    }
    let mut tensors = vec![matrix("weight", rows, cols)];
    if node.linear.as_ref().is_some_and(|l| l.bias) {
        tensors.push(vector("bias", rows));
    }
    if let Some(learnable) = node.activation.learnable() {
        tensors.push(vector(learnable.param, node.activation_params()));
    }
    tensors
}

/// A tensor's values read from the file, widened to `f64` (exact for every float dtype).
pub(crate) type Values = BTreeMap<String, Vec<f64>>;

/// The constants, or the errors at the path; on errors the constants are still emitted, all
/// zeros, so that code using `BAKED` sees only the mistake in the file.
pub fn baked(net: &Network, weights: &Weights) -> (TokenStream, syn::Result<()>) {
    let Weights { path, pytorch } = *weights;
    let mut cx = Ctxt::default();
    let file = resolve(path);
    let shown = path.value();
    let (tracked, values) = match std::fs::read(&file) {
        Ok(bytes) => {
            let tracked = file.to_string_lossy().into_owned();
            (Some(tracked), read(&mut cx, net, path, pytorch, &bytes))
        }
        Err(error) => {
            cx.error_spanned_by(path, format!("cannot read the weight file `{shown}`: {error}"));
            (None, Values::new())
        }
    };
    let ok = cx.check();
    let values = if ok.is_ok() { values } else { Values::new() };
    let track = tracked.map(|file| {
        quote!(
            const _: &[u8] = ::core::include_bytes!(#file);
        )
    });
    let f32_const = constant(net, &values, &shown, true);
    let f64_const = constant(net, &values, &shown, false);
    (quote! { #track #f32_const #f64_const }, ok)
}

/// The file a path names: relative to the source file whose tokens name it, else (outside a
/// compiler, or for tokens without a file) to the crate's manifest directory.
pub(crate) fn resolve(path: &LitStr) -> PathBuf {
    let named = PathBuf::from(path.value());
    if named.is_absolute() {
        return named;
    }
    let source = if proc_macro::is_available() { path.span().unwrap().local_file() } else { None };
    let base = match source.as_ref().and_then(|f| f.parent()) {
        Some(dir) => dir.to_path_buf(),
        None => PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default()),
    };
    // The compiler names source files relative to its working directory; made absolute, the
    // path means the same to `include_bytes!`, which resolves relative to the source file.
    match std::env::current_dir() {
        Ok(cwd) => cwd.join(base).join(named),
        Err(_) => base.join(named),
    }
}

/// Reads and checks every tensor of the file against the network's, the file's names read
/// by PyTorch's conventions if `pytorch`.
fn read(cx: &mut Ctxt, net: &Network, path: &LitStr, pytorch: bool, bytes: &[u8]) -> Values {
    let shown = path.value();
    let mut values = Values::new();
    let file = match SafeTensors::deserialize(bytes) {
        Ok(file) => file,
        Err(error) => {
            cx.error_spanned_by(path, format!("cannot read `{shown}` as safetensors: {error}"));
            return values;
        }
    };
    let layers: Vec<&Node> = net.nodes.iter().filter(|n| n.linear.is_some()).collect();
    let expected: Vec<(Tensor, &Node)> =
        layers.iter().flat_map(|&node| tensors(node).into_iter().map(move |t| (t, node))).collect();
    for node in layers.iter().filter(|n| n.linear.as_ref().is_some_and(|l| l.boxed)) {
        cx.error_spanned_by(
            path,
            format!(
                "layer `{}` keeps its parameters on the heap, which baked weights cannot fill; bake networks whose layers are inline (8192 parameters or fewer each)",
                node.name.unraw()
            ),
        );
    }
    let mut in_file: Vec<(String, Vec<usize>)> =
        file.iter().map(|(name, view)| (name.to_string(), view.shape().to_vec())).collect();
    in_file.sort_by(|a, b| natural_key(&a.0).cmp(&natural_key(&b.0)));
    let read_as: Vec<String> = if pytorch {
        pytorch_names(&in_file, &layers)
    } else {
        in_file.iter().map(|(name, _)| name.clone()).collect()
    };
    // `0.weight` (read as `hidden.weight`), or `hidden.weight` when the names agree.
    let label = |k: usize| match (&in_file[k].0, &read_as[k]) {
        (file, network) if file == network => format!("`{file}`"),
        (file, network) => format!("`{file}` (read as `{network}`)"),
    };
    for (k, network) in read_as.iter().enumerate() {
        if !expected.iter().any(|(t, _)| &t.name == network) {
            let hint = did_you_mean(network, expected.iter().map(|(t, _)| t.name.as_str()));
            cx.error_spanned_by(
                path,
                format!(
                    "unexpected tensor {} in `{shown}`: network `{}` has no such parameter{hint}",
                    label(k),
                    net.name.unraw()
                ),
            );
        }
    }
    for (tensor, node) in &expected {
        let sources: Vec<usize> =
            (0..read_as.len()).filter(|&k| read_as[k] == tensor.name).collect();
        let k = match sources.as_slice() {
            [k] => *k,
            [] => {
                cx.error_spanned_by(
                    path,
                    format!(
                        "tensor `{}` of layer `{}` is missing from `{shown}`",
                        tensor.name,
                        node.name.unraw()
                    ),
                );
                continue;
            }
            [first, second, ..] => {
                cx.error_spanned_by(
                    path,
                    format!(
                        "tensors `{}` and `{}` of `{shown}` both hold `{}`; keep one",
                        in_file[*first].0, in_file[*second].0, tensor.name
                    ),
                );
                continue;
            }
        };
        let Ok(view) = file.tensor(&in_file[k].0) else { continue };
        if view.shape() != tensor.shape.as_slice() {
            cx.error_spanned_by(
                path,
                format!(
                    "tensor {} has shape {:?} in `{shown}`, but layer `{}` needs {:?}",
                    label(k),
                    view.shape(),
                    node.name.unraw(),
                    tensor.shape
                ),
            );
            continue;
        }
        let Some(read) = widen(view.dtype(), view.data()) else {
            cx.error_spanned_by(
                path,
                format!(
                    "tensor {} is `{:?}` in `{shown}`; baked weights are floats: `F16`, `BF16`, `F32` or `F64`",
                    label(k),
                    view.dtype()
                ),
            );
            continue;
        };
        if let Some(v) = read.iter().find(|v| v.is_finite() && v.abs() > f64::from(f32::MAX)) {
            cx.error_spanned_by(
                path,
                format!(
                    "tensor {} holds {v:e}, beyond the range of `f32`, so `{}::<f32>::BAKED` cannot hold it",
                    label(k),
                    net.name.unraw()
                ),
            );
            continue;
        }
        values.insert(tensor.name.clone(), read);
    }
    values
}

/// The network's name of each of the file's tensors (in the order given) under PyTorch's
/// conventions, as `nn::io::KeyMap::pytorch()` reads them at run time:
///
/// 1. an activation module kept beside its layer, `<line>_act.weight` (an `nn.PReLU`), is the
///    activation parameter of line `<line>`;
/// 2. the indices of an `nn.Sequential`, `<index>.<tensor>`, in increasing order, are the
///    network's lines with parameters in order; an index holding only a one-dimensional
///    `weight` (an `nn.PReLU`) is the activation parameter of the line before it.
///
/// Other names are kept as they are.
fn pytorch_names(in_file: &[(String, Vec<usize>)], layers: &[&Node]) -> Vec<String> {
    // Each line with parameters and the name of its activation parameter (PReLU's `slope`
    // when the line has none, so that a misplaced module is reported under that name).
    let lines: Vec<(String, String)> = layers
        .iter()
        .map(|node| {
            let line = node.name.unraw().to_string();
            let param = node.activation.learnable().map_or("slope", |l| l.param);
            let activation = format!("{line}.{param}");
            (line, activation)
        })
        .collect();
    let mut names: Vec<String> = in_file.iter().map(|(name, _)| name.clone()).collect();
    for name in &mut names {
        let line = name.strip_suffix(".weight").and_then(|n| n.strip_suffix("_act"));
        if let Some((_, activation)) = line.and_then(|line| lines.iter().find(|(l, _)| l == line)) {
            *name = activation.clone();
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (k, name) in names.iter().enumerate() {
        if let Some((index, _)) = split_index(name) {
            groups.entry(index).or_default().push(k);
        }
    }
    let (mut next, mut previous) = (0, None);
    for members in groups.into_values() {
        let tensors: Vec<String> = members
            .iter()
            .map(|&k| split_index(&names[k]).map_or("", |(_, t)| t).to_string())
            .collect();
        let only_vector_weight =
            members.len() == 1 && tensors[0] == "weight" && in_file[members[0]].1.len() == 1;
        if let (true, Some(line)) = (only_vector_weight, previous) {
            let (_, activation): &(String, String) = &lines[line];
            names[members[0]] = activation.clone();
            continue;
        }
        let Some((line, _)) = lines.get(next) else { continue };
        for (&k, tensor) in members.iter().zip(&tensors) {
            names[k] = format!("{line}.{tensor}");
        }
        previous = Some(next);
        next += 1;
    }
    names
}

/// `("12", "weight")` of `"12.weight"` as `(12, "weight")`.
fn split_index(name: &str) -> Option<(usize, &str)> {
    let (index, tensor) = name.split_once('.')?;
    if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((index.parse().ok()?, tensor))
}

/// A sort key that orders `"2.weight"` before `"10.weight"`, then other names by name.
fn natural_key(name: &str) -> (usize, usize, &str) {
    match split_index(name) {
        Some((index, _)) => (0, index, name),
        None => (1, 0, name),
    }
}

/// Little-endian values of a float dtype, widened exactly to `f64`; `None` for other dtypes.
fn widen(dtype: Dtype, data: &[u8]) -> Option<Vec<f64>> {
    let values = match dtype {
        Dtype::F64 => data
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect(),
        Dtype::F32 => data
            .chunks_exact(4)
            .map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
            .collect(),
        Dtype::BF16 => data
            .chunks_exact(2)
            .map(|c| f64::from(f32::from_bits(u32::from(u16::from_le_bytes([c[0], c[1]])) << 16)))
            .collect(),
        Dtype::F16 => {
            data.chunks_exact(2).map(|c| f16_to_f64(u16::from_le_bytes([c[0], c[1]]))).collect()
        }
        _ => return None,
    };
    Some(values)
}

/// IEEE half precision to `f64`, exactly.
fn f16_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 == 0 { 1.0 } else { -1.0 };
    let exponent = i32::from((bits >> 10) & 0x1f);
    let fraction = f64::from(bits & 0x3ff);
    match exponent {
        0 => sign * fraction * 2f64.powi(-24),
        0x1f if fraction == 0.0 => sign * f64::INFINITY,
        0x1f => f64::NAN,
        _ => sign * (1.0 + fraction / 1024.0) * 2f64.powi(exponent - 15),
    }
}

/// `impl Net<f32> { pub const BAKED: Self = Self { .. }; }`.
pub(crate) fn constant(net: &Network, values: &Values, shown: &str, is_f32: bool) -> TokenStream {
    let name = &net.name;
    let scalar = if is_f32 { quote!(f32) } else { quote!(f64) };
    let fields = net.nodes.iter().filter(|n| n.linear.is_some()).map(|node| {
        let field = &node.name;
        let tensors = tensors(node);
        let find = |suffix: &str| {
            let name = format!("{}.{suffix}", node.name.unraw());
            tensors.iter().find(|t| t.name == name).map(|t| matrix(t, values.get(&t.name), is_f32))
        };
        let rows = node.linear.as_ref().map_or(0, |l| l.rows);
        let zeros = |rows: usize, cols: usize| {
            let zero = Tensor { name: String::new(), shape: Vec::new(), rows, cols };
            matrix(&zero, None, is_f32)
        };
        let weight = find("weight").unwrap_or_else(|| zeros(rows, 0));
        let bias = find("bias").unwrap_or_else(|| zeros(rows, 1));
        if let Some(r) = node.recurrence() {
            let g = r.cell.gates() * rows;
            let ty = match r.cell {
                crate::ir::Cell::Elman => quote!(::nn::Recurrent),
                crate::ir::Cell::Lstm => quote!(::nn::Lstm),
                crate::ir::Cell::Gru => quote!(::nn::Gru),
            };
            let weight_ih = find("weight_ih_l0").unwrap_or_else(|| zeros(g, r.width));
            let weight_hh = find("weight_hh_l0").unwrap_or_else(|| zeros(g, rows));
            let bias_ih = find("bias_ih_l0").unwrap_or_else(|| zeros(g, 1));
            let bias_hh = find("bias_hh_l0").unwrap_or_else(|| zeros(g, 1));
            return quote!(#field: #ty { weight_ih: #weight_ih, weight_hh: #weight_hh, bias_ih: #bias_ih, bias_hh: #bias_hh });
        }
        let activation = node
            .activation
            .learnable()
            .and_then(|l| find(l.param))
            .unwrap_or_else(|| zeros(0, 1));
        quote!(#field: ::nn::Dense { weight: #weight, bias: #bias, activation: #activation })
    });
    let doc = format!(
        " The weights of `{shown}`, baked in at compile time: a constant in read-only memory."
    );
    quote! {
        impl #name<#scalar> {
            #[doc = #doc]
            pub const BAKED: Self = #name { #(#fields,)* };
        }
    }
}

/// `SMatrix::<f32, 2, 3>::from_array_storage(ArrayStorage([[..column..], ..]))` from a
/// row-major tensor (PyTorch's layout); zeros without values.
fn matrix(tensor: &Tensor, values: Option<&Vec<f64>>, is_f32: bool) -> TokenStream {
    let (rows, cols) = (tensor.rows, tensor.cols);
    let scalar = if is_f32 { quote!(f32) } else { quote!(f64) };
    let columns = (0..cols).map(|c| {
        let entries = (0..rows).map(|r| {
            let v = values.and_then(|v| v.get(r * cols + c)).copied().unwrap_or(0.0);
            literal(v, is_f32)
        });
        quote!([#(#entries),*])
    });
    let (r, c) = (Literal::usize_unsuffixed(rows), Literal::usize_unsuffixed(cols));
    quote! {
        ::nn::__private::SMatrix::<#scalar, #r, #c>::from_array_storage(
            ::nn::__private::ArrayStorage([#(#columns),*])
        )
    }
}

/// A value as a literal of the scalar, rounded to nearest for `f32` (a minus sign apart, as
/// Rust writes negative numbers); the constants for the values no literal writes.
fn literal(v: f64, is_f32: bool) -> TokenStream {
    let scalar = if is_f32 { quote!(f32) } else { quote!(f64) };
    if v.is_nan() {
        return quote!(#scalar::NAN);
    }
    if v.is_infinite() {
        return if v > 0.0 { quote!(#scalar::INFINITY) } else { quote!(#scalar::NEG_INFINITY) };
    }
    let magnitude = v.abs();
    let lit = if is_f32 {
        Literal::f32_suffixed(magnitude as f32)
    } else {
        Literal::f64_suffixed(magnitude)
    };
    if v.is_sign_negative() {
        quote!(-#lit)
    } else {
        quote!(#lit)
    }
}
