//! What the examples share: where they write their plots, the font the plots use, and how a
//! test runs an example briefly.

#![allow(dead_code)] // each example uses part of it

use std::path::PathBuf;

use plotters::style::{register_font, FontStyle};

/// DejaVu Sans, shipped with the examples (licence beside it in `examples/assets/`), so that
/// plots render the same on every machine without system fonts.
const FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Makes `"sans-serif"` in plotters' text styles DejaVu Sans. Call before drawing.
pub fn use_font() {
    // Registering twice (several plots in one process) is harmless: the first stays.
    let _ = register_font("sans-serif", FontStyle::Normal, FONT);
}

/// The folder an example writes its plots to: `$NN_PLOTS/<example>` if that variable is set,
/// else `target/plots/<example>` in the repository. Created if missing.
pub fn plot_dir(example: &str) -> PathBuf {
    let base = std::env::var_os("NN_PLOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("plots"));
    let dir = base.join(example);
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// Whether the example runs with a short setting: in its test (`cargo test` runs every
/// example briefly) or when `NN_EXAMPLE_QUICK` is set.
pub fn quick() -> bool {
    cfg!(test) || std::env::var_os("NN_EXAMPLE_QUICK").is_some()
}
