//! The trainer's progress bar is drawn in a terminal and absent from pipes and CI logs, where
//! each epoch is one plain line instead.
//!
//! The test runs this test binary again as a child that trains a small network with the
//! progress bar on: once under `script`, which gives the child a pseudo-terminal, and once
//! with its output piped, as in a CI log.

use std::process::Command;

use nn::data::Dataset;
use nn::nalgebra::SVector;
use nn::train::Trainer;
use nn::{network, Sgd};

/// Set in the child's environment: train and print, rather than spawn.
const CHILD: &str = "NN_PROGRESS_CHILD";

network! {
    struct Xor {
        input: 2,
        hidden: dense(8) -> tanh,
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

/// In the child: trains with the progress bar on; in a normal test run, does nothing.
#[test]
fn child_trains_with_progress() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let x = |a: f32, b: f32| SVector::from([a, b]);
    let y = |c: f32| SVector::from([c]);
    let inputs = [x(0.0, 0.0), x(0.0, 1.0), x(1.0, 0.0), x(1.0, 1.0)].repeat(64);
    let targets = [y(0.0), y(1.0), y(1.0), y(0.0)].repeat(64);
    let data = Dataset::new(inputs, targets).unwrap();
    let mut net = Xor::<f32>::seeded(1);
    let history = Trainer::<f32, 4>::new(40)
        .progress(true)
        .fit(&mut net, &mut Sgd::new(0.5), &data, Some(&data))
        .unwrap();
    println!("trained {} epochs", history.epochs.len());
}

/// Runs the child test, under a pseudo-terminal if `terminal`; returns all it printed.
fn run_child(terminal: bool) -> String {
    let exe = std::env::current_exe().unwrap();
    let args = ["child_trains_with_progress", "--exact", "--nocapture", "--test-threads", "1"];
    let output = if terminal {
        let command = format!("{} {}", exe.display(), args.join(" "));
        Command::new("script").args(["-qec", &command, "/dev/null"]).env(CHILD, "1").output()
    } else {
        Command::new(exe).args(args).env(CHILD, "1").output()
    }
    .expect("the child runs");
    assert!(output.status.success(), "the child failed: {output:?}");
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text += &String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("trained 40 epochs"), "the child did not train:\n{text}");
    text
}

#[test]
fn the_progress_bar_shows_in_a_terminal() {
    let text = run_child(true);
    // The bar's message and the epoch lines printed above it.
    assert!(text.contains("samples/s"), "no progress bar in a terminal:\n{text}");
    assert!(text.contains("epoch  40/40") || text.contains("epoch 40/40"), "{text}");
    assert!(text.contains("epoch   1  loss"), "no epoch line in a terminal:\n{text}");
}

#[test]
fn the_progress_bar_is_absent_from_pipes() {
    let text = run_child(false);
    // The bar's message names the batch; the epoch lines do not.
    assert!(!text.contains(" batch "), "a progress bar in a pipe:\n{text}");
    assert!(!text.contains('\u{1b}'), "escape codes in a pipe:\n{text:?}");
}

#[test]
fn pipes_get_one_plain_line_per_epoch() {
    let text = run_child(false);
    let epochs: Vec<&str> = text.lines().filter(|l| l.starts_with("epoch ")).collect();
    assert_eq!(epochs.len(), 40, "{text}");
    for (i, line) in epochs.iter().enumerate() {
        let expected = format!("epoch {:>3}  loss ", i + 1);
        assert!(line.starts_with(&expected), "line {i}: {line}");
        assert!(line.contains("validation loss") && line.contains("accuracy"), "{line}");
    }
}
