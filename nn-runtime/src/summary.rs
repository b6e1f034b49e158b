//! A network's layers as a table, like Keras's `model.summary()`.
//!
//! `network!` writes what it knows of every line into [`Network::LAYERS`](crate::Network);
//! this module only formats it, once for every network.

#[cfg(feature = "std")]
use core::fmt;

/// One line of a network, as `network!` checked it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerInfo {
    /// The line's name: the struct field of a layer with parameters.
    pub name: &'static str,
    /// What the line computes: `"dense"`, `"maxout"` (a layer), `"add"`, `"concat"` (a
    /// combination of other lines), `"dropout"` or `"activation"` (a line without a layer).
    pub kind: &'static str,
    /// What the line reads: `"input"`, another line's name, `"a + b"` or `"concat(a, b)"`.
    pub reads: &'static str,
    /// The width of what the line reads.
    pub inputs: usize,
    /// The width of the line's output.
    pub outputs: usize,
    /// The trainable scalars of the line: weights, biases and activation parameters.
    pub params: usize,
    /// The activation, then dropout if any: `"tanh"`, `"relu, dropout 0.5"`.
    pub activation: &'static str,
    /// Approximate floating-point operations of one sample's forward pass through the line:
    /// `2 * inputs * rows` for an affine map with `rows` outputs (a multiply and an add per
    /// weight) plus `rows` for the bias, `rows - outputs` comparisons for maxout,
    /// `(terms - 1) * outputs` for a sum, and one per output for an activation (a
    /// transcendental function counts as one; softmax as three). Dropout costs nothing in
    /// inference.
    pub flops: usize,
}

/// The table of a network's layers, with totals; its `Display` prints it.
///
/// ```
/// use nn_runtime::summary::{LayerInfo, Summary};
///
/// const LAYERS: &[LayerInfo] = &[LayerInfo {
///     name: "hidden",
///     kind: "dense",
///     reads: "input",
///     inputs: 2,
///     outputs: 8,
///     params: 24,
///     activation: "tanh",
///     flops: 48,
/// }];
/// let table = Summary::new("Tiny", 2, LAYERS).to_string();
/// assert!(table.contains("hidden"));
/// assert!(table.contains("total"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    name: &'static str,
    inputs: usize,
    layers: &'static [LayerInfo],
}

impl Summary {
    /// The summary of the network `name` with `inputs` inputs and these lines.
    pub fn new(name: &'static str, inputs: usize, layers: &'static [LayerInfo]) -> Self {
        Self { name, inputs, layers }
    }

    /// The lines, in order.
    pub fn layers(&self) -> &'static [LayerInfo] {
        self.layers
    }

    /// The trainable scalars of all lines.
    pub fn params(&self) -> usize {
        self.layers.iter().map(|l| l.params).sum()
    }

    /// The approximate floating-point operations of one sample's forward pass.
    pub fn flops(&self) -> usize {
        self.layers.iter().map(|l| l.flops).sum()
    }
}

/// The table as text (with `std`: formatting it needs the heap).
#[cfg(feature = "std")]
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let outputs = self.layers.last().map_or(self.inputs, |l| l.outputs);
        writeln!(f, "{}: {} -> {}", self.name, self.inputs, outputs)?;
        let header = ["layer", "kind", "reads", "output", "params", "FLOPs", "activation"];
        let mut rows: Vec<[String; 7]> = self
            .layers
            .iter()
            .map(|l| {
                [
                    l.name.to_string(),
                    l.kind.to_string(),
                    l.reads.to_string(),
                    l.outputs.to_string(),
                    grouped(l.params),
                    grouped(l.flops),
                    l.activation.to_string(),
                ]
            })
            .collect();
        let total = [
            "total".to_string(),
            String::new(),
            String::new(),
            String::new(),
            grouped(self.params()),
            grouped(self.flops()),
            String::new(),
        ];
        let mut widths = header.map(str::len);
        for row in rows.iter().chain([&total]) {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let rule: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
        let header = header.map(String::from);
        rows.insert(0, header);
        for (i, row) in rows.iter().chain([&total]).enumerate() {
            if i == 1 || i == self.layers.len() + 1 {
                writeln!(f, "{}", "-".repeat(rule))?;
            }
            let mut line = String::new();
            for (column, (cell, &w)) in row.iter().zip(&widths).enumerate() {
                // Numbers are right-aligned, words left-aligned; the last column is not padded.
                let numeric = (3..=5).contains(&column);
                let cell = match (numeric, column == row.len() - 1) {
                    (true, _) => format!("{cell:>w$}"),
                    (false, true) => cell.clone(),
                    (false, false) => format!("{cell:<w$}"),
                };
                if column > 0 {
                    line.push_str("  ");
                }
                line.push_str(&cell);
            }
            writeln!(f, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

/// `1234567` as `1,234,567`.
#[cfg(feature = "std")]
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAYERS: &[LayerInfo] = &[
        LayerInfo {
            name: "hidden",
            kind: "dense",
            reads: "input",
            inputs: 2,
            outputs: 8,
            params: 24,
            activation: "tanh",
            flops: 48,
        },
        LayerInfo {
            name: "output",
            kind: "dense",
            reads: "hidden",
            inputs: 8,
            outputs: 1,
            params: 9,
            activation: "sigmoid",
            flops: 18,
        },
    ];

    #[test]
    fn the_table_lists_every_line_and_the_totals() {
        let table = Summary::new("Xor", 2, LAYERS).to_string();
        let expected = "\
Xor: 2 -> 1
layer   kind   reads   output  params  FLOPs  activation
--------------------------------------------------------
hidden  dense  input        8      24     48  tanh
output  dense  hidden       1       9     18  sigmoid
--------------------------------------------------------
total                              33     66
";
        assert_eq!(table, expected);
    }

    #[test]
    fn large_counts_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(235_146), "235,146");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }
}
