//! What the examples share: where they write their plots, the font the plots use, and how a
//! test runs an example briefly.

#![allow(dead_code)] // each example uses part of it

use std::path::PathBuf;

use nn::train::History;
use plotters::coord::Shift;
use plotters::prelude::*;
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

/// Draws one panel: the training and validation loss (`loss` names it) of each epoch on a
/// logarithmic axis, the epoch early stopping kept marked.
pub fn draw_losses(
    area: &DrawingArea<BitMapBackend, Shift>,
    title: &str,
    loss: &str,
    history: &History,
) {
    let train: Vec<(f64, f64)> =
        history.epochs.iter().map(|e| (e.epoch as f64, e.train_loss)).collect();
    let validation: Vec<(f64, f64)> =
        history.epochs.iter().filter_map(|e| Some((e.epoch as f64, e.validation_loss?))).collect();
    // A logarithmic loss axis: the training loss falls by orders of magnitude.
    let losses = train.iter().chain(&validation).map(|p| p.1);
    let top = losses.clone().fold(0.0, f64::max) * 3.0;
    let bottom = losses.fold(f64::INFINITY, f64::min) / 1.5;
    let last = history.epochs.len() as f64;
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 17))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..last + 1.0, (bottom..top).log_scale())
        .unwrap();
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc(format!("{loss} (log scale)"))
        .x_label_formatter(&|x| format!("{x:.0}"))
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .unwrap();
    chart
        .draw_series(LineSeries::new(train, BLUE.stroke_width(2)))
        .unwrap()
        .label("training")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    chart
        .draw_series(LineSeries::new(validation, RED.stroke_width(2)))
        .unwrap()
        .label("validation")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2)));
    if let Some(best) = history.best.map(|i| &history.epochs[i]) {
        let loss = best.validation_loss.unwrap_or(0.0);
        chart
            .draw_series(std::iter::once(Circle::new((best.epoch as f64, loss), 6, BLACK.filled())))
            .unwrap()
            .label(format!("kept: epoch {}", best.epoch))
            .legend(|(x, y)| Circle::new((x + 10, y), 5, BLACK.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(("sans-serif", 15))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .unwrap();
}
