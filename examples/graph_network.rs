//! A graph network: graph convolutions find communities (section 4.2.3, graph networks).
//!
//! Each sample is a different graph of 24 nodes: two communities of 12, densely joined inside
//! (each pair with probability 0.7) and by a couple of edges across. Every node has two noisy
//! features: the first is +0.5 or -0.5 by its community plus standard normal noise, the second
//! pure noise, so a node's own features tell its community only about 69% of the time. A
//! graph convolution (Kipf and Welling), `H' = f(A_hat H W^T + b)` with `A_hat` the
//! normalised adjacency, mixes each node's features with its neighbours'; three of them, then
//! `graph_conv(1) -> sigmoid`, give every node a probability of belonging to community A. The
//! samples are built by `nn::graph::graph_input` (features, then adjacency). Beside it, a
//! dense baseline sees the same 48 features without the graph.
//!
//! Look for the node accuracies on test graphs: the graph network above 95%; the dense
//! baseline about 63%, below even the sign of a node's own first feature (69% in
//! expectation): without the graph it must also learn which of 48 inputs belong to which
//! node, from 600 graphs. The plot draws the first test graph twice, laid out by a spring
//! layout of its edges: nodes colored by the predicted probability, circles and squares for
//! their true communities, crosses on the misclassified ones. On the left (features alone)
//! the colors are mixed within each community; on the right (graph convolutions) each
//! community takes one color.
//!
//! ```text
//! cargo run --release --example graph_network
//! ```
//!
//! The plot goes to `target/plots/graph_network/graph.png` (or `$NN_PLOTS/graph_network`).

#[path = "common/mod.rs"]
mod common;

use nn::graph::graph_input;
use nn::nalgebra::{SMatrix, SVector};
use nn::rand::{Rng, SeedableRng};
use nn::train::{Monitor, Trainer};
use nn::{network, Adam};
use plotters::coord::Shift;
use plotters::prelude::*;
use rand_chacha::ChaCha8Rng;

/// Nodes per graph, and features per node.
const NODES: usize = 24;
const FEATURES: usize = 2;

network! {
    /// Three graph convolutions, then one probability per node of belonging to community A.
    pub struct Communities {
        input: graph(24, 2),
        first: graph_conv(8) -> relu,
        second: graph_conv(8) -> relu,
        third: graph_conv(8) -> relu,
        out: graph_conv(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

network! {
    /// The baseline: the same outputs from the node features alone, without the graph.
    pub struct FeaturesOnly {
        input: 48,
        hidden: dense(48) -> relu,
        out: dense(24) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

type Features = SMatrix<f32, FEATURES, NODES>;
type Adjacency = SMatrix<f32, NODES, NODES>;
type Labels = SVector<f32, NODES>;

/// A standard normal number, by Box-Muller from two uniforms.
fn normal(rng: &mut impl Rng) -> f32 {
    let (u, v): (f32, f32) = (rng.random::<f32>().max(1e-7), rng.random());
    (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
}

/// One graph of two communities of 12 nodes, in a random order (label 1 is community A).
fn community_graph(rng: &mut impl Rng) -> (Features, Adjacency, Labels) {
    let mut order: Vec<usize> = (0..NODES).collect();
    nn::rand::seq::SliceRandom::shuffle(order.as_mut_slice(), rng);
    let labels = Labels::from_fn(|i, _| if order[i] < NODES / 2 { 1.0 } else { 0.0 });
    let mut a = Adjacency::zeros();
    for i in 0..NODES {
        for j in 0..i {
            if labels[i] == labels[j] && rng.random_bool(0.7) {
                a[(i, j)] = 1.0;
                a[(j, i)] = 1.0;
            }
        }
    }
    // Two edges across, between random members of the two communities (if they differ).
    for _ in 0..2 {
        let (i, j) = (rng.random_range(0..NODES), rng.random_range(0..NODES));
        if labels[i] != labels[j] {
            a[(i, j)] = 1.0;
            a[(j, i)] = 1.0;
        }
    }
    let features = Features::from_fn(|f, node| {
        let signal = match (f, labels[node] == 1.0) {
            (0, true) => 0.5,
            (0, false) => -0.5,
            _ => 0.0,
        };
        signal + normal(rng)
    });
    (features, a, labels)
}

type Graphs =
    (nn::data::Dataset<f32, 624, NODES>, nn::data::Dataset<f32, 48, NODES>, Vec<Adjacency>);

/// `n` graphs, as graph-network samples, as feature-only samples, and their adjacencies.
fn graphs(n: usize, rng: &mut impl Rng) -> Graphs {
    let made: Vec<_> = (0..n).map(|_| community_graph(rng)).collect();
    let inputs = made.iter().map(|(f, a, _)| graph_input(f, a).unwrap()).collect();
    let features = made.iter().map(|(f, _, _)| SVector::from_column_slice(f.as_slice())).collect();
    let labels: Vec<Labels> = made.iter().map(|g| g.2).collect();
    (
        nn::data::Dataset::new(inputs, labels.clone()).unwrap(),
        nn::data::Dataset::new(features, labels).unwrap(),
        made.into_iter().map(|g| g.1).collect(),
    )
}

/// How many nodes of one graph are on the right side of 1/2.
fn right(p: &Labels, y: &Labels) -> usize {
    p.iter().zip(y.iter()).filter(|(p, y)| (**p > 0.5) == (**y == 1.0)).count()
}

/// The fraction of all nodes classified right.
fn node_accuracy(predictions: &[Labels], labels: &[Labels]) -> f64 {
    let total: usize = predictions.iter().zip(labels).map(|(p, y)| right(p, y)).sum();
    total as f64 / (NODES * labels.len()) as f64
}

/// Positions by Fruchterman and Reingold's spring layout: edges pull, near pairs push, from a
/// circle, with a cooling step size; scaled into [-1, 1]^2.
fn spring_layout(a: &Adjacency) -> Vec<(f64, f64)> {
    let n = NODES;
    let mut pos: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let angle = std::f64::consts::TAU * i as f64 / n as f64;
            (angle.cos(), angle.sin())
        })
        .collect();
    let k = (4.0 / n as f64).sqrt(); // the ideal edge length for an area of 4
    let iterations = 300;
    for it in 0..iterations {
        let mut shift = vec![(0.0, 0.0); n];
        for i in 0..n {
            for j in 0..n {
                if i == j {
                    continue;
                }
                let (dx, dy) = (pos[i].0 - pos[j].0, pos[i].1 - pos[j].1);
                let d = (dx * dx + dy * dy).sqrt().max(1e-3);
                // Repulsion between nearby nodes (all pairs would push the communities far
                // apart and crowd each one), attraction along the edges.
                let mut force = if d < 2.0 * k { k * k / d } else { 0.0 };
                if a[(i, j)] > 0.0 {
                    force -= d * d / k;
                }
                shift[i].0 += dx / d * force;
                shift[i].1 += dy / d * force;
            }
        }
        let temperature = 0.1 * (1.0 - it as f64 / iterations as f64) + 0.002;
        for (p, s) in pos.iter_mut().zip(&shift) {
            let length = (s.0 * s.0 + s.1 * s.1).sqrt().max(1e-9);
            let step = length.min(temperature);
            p.0 += s.0 / length * step;
            p.1 += s.1 / length * step;
        }
    }
    let extent = |f: fn(&(f64, f64)) -> f64| {
        pos.iter().map(f).fold((f64::MAX, f64::MIN), |r, v| (r.0.min(v), r.1.max(v)))
    };
    let (x, y) = (extent(|p| p.0), extent(|p| p.1));
    let scale = 2.0 / (x.1 - x.0).max(y.1 - y.0);
    pos.iter()
        .map(|p| ((p.0 - (x.0 + x.1) / 2.0) * scale, (p.1 - (y.0 + y.1) / 2.0) * scale))
        .collect()
}

/// Blue (0) through light grey (0.5) to red (1).
fn probability_color(p: f32) -> RGBColor {
    let (blue, grey, red) = ((33.0, 102.0, 172.0), (230.0, 230.0, 230.0), (178.0, 24.0, 43.0));
    let (a, b, f) = if p < 0.5 { (blue, grey, 2.0 * p) } else { (grey, red, 2.0 * p - 1.0) };
    let mix = |x: f32, y: f32| (x + f * (y - x)).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// One panel: the graph at `pos`, nodes colored by `p`, shaped by `y`.
fn panel(
    area: &DrawingArea<BitMapBackend, Shift>,
    title: &str,
    scale: f64,
    (a, pos, p, y): (&Adjacency, &[(f64, f64)], &Labels, &Labels),
) -> Result<(), Box<dyn std::error::Error>> {
    let font = |s: f64| ("sans-serif", (s * scale).round() as u32);
    let mut chart = ChartBuilder::on(area)
        .caption(title, font(16.0))
        .margin((8.0 * scale) as u32)
        .build_cartesian_2d(-1.15..1.15, -1.3..1.15)?;
    let edge = ShapeStyle::from(RGBColor(150, 150, 150)).stroke_width(1);
    for i in 0..NODES {
        for j in 0..i {
            if a[(i, j)] > 0.0 {
                chart.draw_series(LineSeries::new([pos[i], pos[j]], edge))?;
            }
        }
    }
    let size = (7.0 * scale).round() as i32;
    let outline = ShapeStyle::from(BLACK).stroke_width(1);
    let corners = [(-size, -size), (size, size)];
    for community in [1.0, 0.0] {
        let members = (0..NODES).filter(|&i| y[i] == community);
        if community == 1.0 {
            chart
                .draw_series(
                    members
                        .clone()
                        .map(|i| Circle::new(pos[i], size, probability_color(p[i]).filled())),
                )?
                .label("community A (true)")
                .legend(move |c| Circle::new(c, size, outline));
            chart.draw_series(members.map(|i| Circle::new(pos[i], size, outline)))?;
        } else {
            chart
                .draw_series(members.clone().map(|i| {
                    EmptyElement::at(pos[i])
                        + Rectangle::new(corners, probability_color(p[i]).filled())
                }))?
                .label("community B (true)")
                .legend(move |c| EmptyElement::at(c) + Rectangle::new(corners, outline));
            chart.draw_series(
                members.map(|i| EmptyElement::at(pos[i]) + Rectangle::new(corners, outline)),
            )?;
        }
    }
    let wrong: Vec<usize> = (0..NODES).filter(|&i| (p[i] > 0.5) != (y[i] == 1.0)).collect();
    let cross = ShapeStyle::from(BLACK).stroke_width((2.0 * scale).max(1.0) as u32);
    chart
        .draw_series(wrong.iter().map(|&i| Cross::new(pos[i], size + 3, cross)))?
        .label(format!("misclassified ({} of {NODES})", wrong.len()))
        .legend(move |c| Cross::new(c, size, cross));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerLeft)
        .label_font(font(12.0))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// The graph twice, colored by the baseline's and the graph network's probabilities, with a
/// color bar below.
fn draw(
    path: &std::path::Path,
    size: (u32, u32),
    graph: (&Adjacency, &[(f64, f64)], &Labels),
    baseline: (&Labels, usize),
    convolved: (&Labels, usize),
) -> Result<(), Box<dyn std::error::Error>> {
    let scale = size.0 as f64 / 1000.0;
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE)?;
    let (top, bar) = root.split_vertically(size.1 - (60.0 * scale) as u32);
    let (left, right) = top.split_horizontally(size.0 / 2);
    let (a, pos, y) = graph;
    let title = |what: &str, n: usize| format!("{what}: {n} of {NODES} nodes right");
    panel(&left, &title("features alone (dense)", baseline.1), scale, (a, pos, baseline.0, y))?;
    panel(&right, &title("graph convolutions", convolved.1), scale, (a, pos, convolved.0, y))?;

    let font = |s: f64| ("sans-serif", (s * scale).round() as u32);
    let mut legend = ChartBuilder::on(&bar)
        .margin_left(size.0 / 4)
        .margin_right(size.0 / 4)
        .margin_bottom((8.0 * scale) as u32)
        .x_label_area_size((35.0 * scale) as u32)
        .build_cartesian_2d(0.0..1.0, 0.0..1.0)?;
    legend
        .configure_mesh()
        .disable_mesh()
        .disable_y_axis()
        .x_labels(5)
        .x_desc("predicted probability of community A")
        .label_style(font(12.0))
        .axis_desc_style(font(13.0))
        .draw()?;
    legend.draw_series((0..100).map(|i| {
        let (from, to) = (i as f64 / 100.0, (i + 1) as f64 / 100.0);
        Rectangle::new([(from, 0.0), (to, 1.0)], probability_color(from as f32).filled())
    }))?;
    root.present()?;
    Ok(())
}

fn main() {
    let quick = common::quick();
    let mut rng = ChaCha8Rng::seed_from_u64(43);
    // Training takes a fraction of a second either way; a quick run tests on fewer graphs.
    let (n_train, n_validation, n_test) = if quick { (600, 100, 100) } else { (600, 100, 200) };
    let (train, train_features, _) = graphs(n_train, &mut rng);
    let (validation, validation_features, _) = graphs(n_validation, &mut rng);
    let (test, test_features, test_adjacency) = graphs(n_test, &mut rng);
    let epochs = 60;

    // The architecture and Adam's rate are those of tests/graph_conv.rs, chosen there on
    // validation graphs; the baseline uses the same rate.
    let started = std::time::Instant::now();
    let mut gcn = Communities::<f32>::seeded(1);
    let history = Trainer::<f32, 16>::new(epochs)
        .seed(1)
        .progress(false)
        .early_stopping(Monitor::ValidationLoss, 8, 0.0)
        .fit(&mut gcn, &mut Adam::new(0.01), &train, Some(&validation))
        .expect("training diverged");
    println!(
        "graph network: {} epochs on {n_train} graphs in {:.1} s",
        history.epochs.len(),
        started.elapsed().as_secs_f64()
    );
    let started = std::time::Instant::now();
    let mut dense = FeaturesOnly::<f32>::seeded(1);
    let history = Trainer::<f32, 16>::new(epochs)
        .seed(1)
        .progress(false)
        .early_stopping(Monitor::ValidationLoss, 8, 0.0)
        .fit(&mut dense, &mut Adam::new(0.01), &train_features, Some(&validation_features))
        .expect("training diverged");
    println!(
        "dense baseline: {} epochs on the same graphs' features in {:.1} s",
        history.epochs.len(),
        started.elapsed().as_secs_f64()
    );

    let with_graph: Vec<Labels> = test.inputs.iter().map(|x| gcn.forward(x)).collect();
    let without: Vec<Labels> = test_features.inputs.iter().map(|x| dense.forward(x)).collect();
    let (graph_accuracy, baseline_accuracy) =
        (node_accuracy(&with_graph, &test.targets), node_accuracy(&without, &test.targets));
    // What a node's own first feature gives by its sign, the best single-node rule.
    let by_sign = test_features
        .inputs
        .iter()
        .zip(&test.targets)
        .flat_map(|(f, y)| (0..NODES).map(move |i| (f[FEATURES * i] > 0.0) == (y[i] == 1.0)))
        .filter(|&r| r)
        .count() as f64
        / (NODES * n_test) as f64;
    println!("node accuracy on {n_test} test graphs ({} nodes):", NODES * n_test);
    println!("  graph convolutions        {:.1}%", 100.0 * graph_accuracy);
    println!("  dense on features alone   {:.1}%", 100.0 * baseline_accuracy);
    println!(
        "  sign of the first feature {:.1}% (expected 69.1%, the best rule for one node)",
        100.0 * by_sign
    );

    // The first test graph, as the two networks see it.
    let (a, y) = (&test_adjacency[0], &test.targets[0]);
    let pos = spring_layout(a);
    let baseline = (&without[0], right(&without[0], y));
    let convolved = (&with_graph[0], right(&with_graph[0], y));
    println!(
        "first test graph: graph convolutions {} of {NODES} nodes right, features alone {}",
        convolved.1, baseline.1
    );
    common::use_font();
    let dir = common::plot_dir("graph_network");
    let main_plot = dir.join("graph.png");
    draw(&main_plot, (1000, 560), (a, &pos, y), baseline, convolved).expect("cannot draw");
    let small = dir.join("graph_small.png");
    draw(&small, (720, 400), (a, &pos, y), baseline, convolved).expect("cannot draw");
    println!("plots: {} and {}", main_plot.display(), small.display());

    assert!(graph_accuracy >= 0.95, "graph convolutions: {graph_accuracy}");
    assert!(graph_accuracy > baseline_accuracy, "the graph did not help");
}

#[cfg(test)]
mod tests {
    #[test]
    fn runs_briefly() {
        super::main()
    }
}
