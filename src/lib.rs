//! Neural networks compiled by the Rust compiler.
//!
//! The [`network!`] macro reads a declarative description of a network, checks every width
//! at compile time and writes plain Rust: a struct whose fields are statically sized
//! [nalgebra](https://nalgebra.org) matrices, a forward pass and a backward pass written out
//! layer by layer, and an implementation of [`Network`] through which the runtime's
//! optimizers and gradient checking work on any network. What the network computes is fixed
//! when `cargo build` ends.
//!
//! `nn` is for small and medium networks of a fixed architecture inside Rust programs. For
//! large models, run-time shapes or GPUs, use burn or candle.
//!
//! # Quick start
//!
//! ```
//! use nn::prelude::*;
//!
//! network! {
//!     /// Learns XOR.
//!     pub struct Xor {
//!         input: 2,
//!         hidden: dense(8) -> tanh,
//!         output: dense(1) -> sigmoid,
//!         loss: binary_cross_entropy,
//!     }
//! }
//!
//! // The four cases as the columns of one batch.
//! let xs = SMatrix::<f32, 2, 4>::from_columns(&[
//!     SVector::from([0.0, 0.0]),
//!     SVector::from([0.0, 1.0]),
//!     SVector::from([1.0, 0.0]),
//!     SVector::from([1.0, 1.0]),
//! ]);
//! let ys = SMatrix::<f32, 1, 4>::from([[0.0], [1.0], [1.0], [0.0]]);
//!
//! let mut net = Xor::<f32>::seeded(1);
//! let sgd = Sgd::new(0.5);
//! for _ in 0..2000 {
//!     let (_loss, grad) = net.loss_and_grad_batch(&xs, &ys);
//!     sgd.step(&mut net, &grad);
//! }
//! let p = net.forward_batch(&xs);
//! assert!(p[0] < 0.5 && p[1] > 0.5 && p[2] > 0.5 && p[3] < 0.5);
//! ```
//!
//! # Build settings: optimise the dependencies
//!
//! A debug build of nalgebra is about 80 times slower than a release build, which makes
//! `cargo run` and `cargo test` of a training program painfully slow. Cargo lets a crate's
//! own profile settings apply only to itself, so `nn` cannot set this for you: put these
//! lines in your program's `Cargo.toml` to build the dependencies optimised and keep your own
//! code quick to compile and easy to debug:
//!
//! ```toml
//! [profile.dev.package."*"]
//! opt-level = 3
//! ```
//!
//! # The language
//!
//! ```text
//! network! {
//!     /// Doc comments and lint attributes are passed on to the struct.
//!     pub struct Name {
//!         input: N,                          // the width of one sample
//!         layer: dense(N) -> activation,     // a layer reading from the line above
//!         other: layer -> dense(N) -> relu,  // a layer reading a named line (or `input`)
//!         sum: layer + other,                // nodes of equal width, added
//!         both: concat(input, sum),          // nodes stacked into one vector
//!         ...
//!         loss: mse | binary_cross_entropy | cross_entropy,
//!         l2: 1e-4,                          // optional: L2 weight decay in the risk
//!         stream: NameState,                 // optional: a memory network's `step` call
//!     }
//! }
//! ```
//!
//! Each line names a node of the network; a line with a layer kind names a layer, and the name
//! becomes the struct field holding its parameters, documented by the doc comments written
//! above the line (`/// the hidden layer`), the only attributes a line takes (on a line
//! without parameters, which has no field, they document the block only). `input`, `loss` and `l2` are the
//! settings' keys, so they cannot name lines. A line reads the line above unless it
//! starts with what it reads: a name (`input` or a line above it), a sum `a + b + ...` of
//! nodes of equal width, or `concat(a, b, ...)`. The network is then a graph (section 4.2 of
//! the textbook: a directed acyclic graph of layers, with skip connections); reading only
//! lines above keeps it acyclic, and the backward pass sums the gradients of a node that
//! several lines read. The last line is the output. A node that no line reads is a warning.
//!
//! After what it reads, a line has up to three stages, in this order:
//!
//! 1. a layer: `dense(n)`, the affine map `W x + b` to `n` units (`dense(n, bias = false)`:
//!    `W x`, like PyTorch's `Linear(bias=False)`; its `bias` field stays zero and is no
//!    parameter: not visited, trained, saved or loaded), or `maxout(n, k)`, `n` units
//!    each the maximum of `k >= 2` affine maps of the input (stored as one `dense(n * k)`:
//!    row `u * k + j` is piece `j` of unit `u`, the layout of PyTorch's `Linear(in, n * k)`
//!    followed by `view(n, k).max(-1)`), or a recurrent layer (`rnn`, `lstm`, `gru`,
//!    below);
//! 2. an activation; a line without one is linear (`identity`);
//! 3. `dropout(p)`, inverted dropout: in the training calls each unit is silenced with
//!    probability `p` and the others scaled by `1 / (1 - p)`; inference calls leave the values
//!    as they are. `p` is in `[0, 1)`; the output line cannot drop units. A line may be
//!    dropout alone: `drop: dropout(0.5)`.
//!
//! Widths and counts are integer literals, in any base (`0x10`, `0b100`); they may carry the
//! suffix of an integer type their value fits (`8usize`, not `300u8`) and no other suffix.
//! Hyper-parameters are finite number literals without suffix (`0.01`, `-1.5`, `2`): the
//! scalar type is chosen where the network is used, `Net<f64>`.
//!
//! ## The size bound
//!
//! A network is small or medium by construction, and the macro checks it: no vector of a
//! sample is wider than 8192 values (64 KiB in `f64`, the most `nn` puts on the stack), which
//! bounds the input, every line's output (an `rnn_sequence`'s every state, a `graph_conv`'s
//! every node, a `concat`) and a maxout layer's pieces; and the parameters total at most
//! 2^28 = 268,435,456 (1 GiB in `f32`, 2 GiB in `f64`). A line beyond either is a compile
//! error naming the line and its size, so that a network that compiles can be built.
//!
//! ## Memory networks
//!
//! Section 4.2.2's memory networks: `input: 4 x 10` (or `4x10`) declares a sequence of 10
//! steps of width 4, given to the network as one vector of the steps one after the other (40 values, step `t`
//! at rows `4t..4t + 4`). A recurrent layer reads it:
//!
//! ```text
//! memory: rnn(16) -> tanh,          // h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), h_0 = 0; gives h_10
//! states: rnn_sequence(16) -> tanh, // the same, giving every state h_1 ... h_10 (160 values)
//! cells: lstm(16),                   // PyTorch's nn.LSTM: gates i, f, g, o and a cell state
//! gated: gru_sequence(16),           // PyTorch's nn.GRU: gates r, z, n; every state
//! ```
//!
//! An `rnn`, `lstm` or `gru` gives its last state; the `_sequence` forms give every state as
//! a sequence that another recurrent layer can read. An `rnn`'s activation, element-wise,
//! applies at every step; `lstm` and `gru` take none (their gates apply their own sigmoid
//! and tanh, with PyTorch's equations, given in [`recurrent`]). The backward pass is
//! backpropagation through time, a loop over the steps with static bounds (generated code
//! does not grow with the number of steps). The parameters are PyTorch's, under PyTorch's
//! names: a [`Recurrent`], [`Lstm`] or [`Gru`] with `weight_ih` (`gates * n x step width`),
//! `weight_hh` (`gates * n x n`), `bias_ih` and `bias_hh`, saved as `<line>.weight_ih_l0`,
//! `<line>.weight_hh_l0`, `<line>.bias_ih_l0` and `<line>.bias_hh_l0`, the gates stacked in
//! PyTorch's order (LSTM `i, f, g, o`; GRU `r, z, n`). `rnn` starts like a dense layer (Glorot
//! or He weights, zero biases); `lstm` and `gru` start like PyTorch's, every tensor uniform in
//! `[-1/sqrt(n), 1/sqrt(n)]`. Dropout after a recurrent line drops its states, between layers.
//! A recurrent layer cannot be the output line: read its state with a `dense` line.
//!
//! ```
//! nn::network! {
//!     /// Counts the ones in ten bits.
//!     struct Counter {
//!         input: 1 x 10,
//!         memory: rnn(16) -> tanh,
//!         count: dense(11) -> softmax,
//!         loss: cross_entropy,
//!     }
//! }
//! let net = Counter::<f64>::seeded(1);
//! let bits = nn::nalgebra::SVector::<f64, 10>::from([1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0]);
//! let p = net.forward(&bits);
//! assert!((p.sum() - 1.0).abs() < 1e-12);
//! assert_eq!(net.memory.weight_hh.shape(), (16, 16));
//! ```
//!
//! ## Streaming: one step at a time
//!
//! A memory network that runs inside a real-time loop (an audio effect, a controller, a
//! sensor filter) reads its sequence one step at a time. `stream: NetState` asks for it: the
//! macro then declares `NetState<T>`, the state each recurrent line carries between steps
//! (public fields named after the lines, each an [`recurrent::State`] with `h` and, for an
//! LSTM, `c`), with `NetState::new()`, `reset()` and `Default`, and the call
//!
//! ```text
//! net.step(&mut state, &x_t) -> y_t
//! ```
//!
//! taking one step of the input (`SVector<T, 4>` for `input: 4 x 10`). After steps
//! `x_1 ... x_t`, `y_t` is what `forward` returns for the same network declared over `t` steps
//! (`input: 4 x t`) with the same weights; `step` runs any number of steps (the declared
//! length bounds `forward` and training only). It is inference mode (dropout off), allocates
//! nothing, takes no lock and cannot panic.
//!
//! A network can stream when its output after step `t` depends on the steps so far through
//! state of a fixed size: its input is a sequence, only recurrent layers read that sequence
//! or the states of an `_sequence` layer, and every other line reads the last state of a
//! recurrent layer (`rnn`, `lstm`, `gru`) or lines that do. `stream:` on any other network is a
//! compile error naming the line that reads a whole sequence (see [`errors`]).
//!
//! ```
//! nn::network! {
//!     /// A saturating filter with memory, sample by sample.
//!     struct Amp {
//!         input: 1 x 64,      // trained on windows of 64 samples
//!         memory: lstm(8),
//!         out: dense(1),
//!         loss: mse,
//!         stream: AmpState,   // declares `AmpState` and `Amp::step`
//!     }
//! }
//! use nn::nalgebra::SVector;
//! let net = Amp::<f64>::seeded(1);
//! let window = SVector::<f64, 64>::from_fn(|t, _| (t as f64 * 0.3).sin());
//! let mut state = AmpState::new();
//! let mut y = SVector::zeros();
//! for t in 0..64 {
//!     y = net.step(&mut state, &SVector::from([window[t]]));
//! }
//! assert!((y - net.forward(&window)).norm() < 1e-12);
//! state.reset(); // a new signal starts from h = c = 0
//! assert_eq!(state.memory.h, SVector::<f64, 8>::zeros());
//! ```
//!
//! ## Graph networks
//!
//! Section 4.2.3's graph networks: `input: graph(5, 3)` declares a graph of 5 nodes with 3
//! features each. A sample is one vector: the features node after node, then the 5 x 5
//! adjacency matrix column after column ([`graph::graph_input`] builds it and checks the
//! adjacency: finite, non-negative, symmetric), so every sample may be a different graph of
//! 5 nodes. A graph convolution (Kipf and Welling) reads the node features:
//!
//! ```text
//! conv: graph_conv(8) -> relu,   // H' = f(A_hat H W^T + b), A_hat = D^-1/2 (A + I) D^-1/2
//! ```
//!
//! `H` has a row per node; each node's output is `8` units, the line's value the nodes'
//! outputs node after node (40 values), which another `graph_conv` can read. `A_hat`
//! normalises the adjacency of the sample ([`graph::normalize`]); the input gradient covers
//! the adjacency too. The parameters are a [`Dense`] of `W` (`8 x 3`) and `b`. A node-level
//! output is a `graph_conv` line: `out: graph_conv(1) -> sigmoid` with
//! `binary_cross_entropy` classifies every node. A graph-level output reads a readout of the
//! node features, `pool: conv -> mean_nodes` (or `sum_nodes`): one vector of each node's
//! width, their mean (sum) over the nodes, which `dense` lines can follow.
//!
//! ```
//! use nn::nalgebra::SMatrix;
//!
//! nn::network! {
//!     /// One probability per node of a 4-node graph.
//!     struct Nodes {
//!         input: graph(4, 2),
//!         conv: graph_conv(8) -> relu,
//!         out: graph_conv(1) -> sigmoid,
//!         loss: binary_cross_entropy,
//!     }
//! }
//! let features = SMatrix::<f64, 2, 4>::from_fn(|i, j| (i + j) as f64 / 4.0);
//! // A path 0 - 1 - 2 - 3.
//! let mut adjacency = SMatrix::<f64, 4, 4>::zeros();
//! for i in 0..3 {
//!     adjacency[(i, i + 1)] = 1.0;
//!     adjacency[(i + 1, i)] = 1.0;
//! }
//! let x = nn::graph::graph_input(&features, &adjacency).unwrap();
//! let p = Nodes::<f64>::seeded(1).forward(&x);
//! assert!(p.iter().all(|&p| 0.0 < p && p < 1.0));
//! ```
//!
//! Activations (section 4.1 of the textbook; formulas and derivatives in [`activation`]):
//!
//! | written | function |
//! |---|---|
//! | `identity` | `x` |
//! | `sigmoid`, `logistic` | `1 / (1 + e^-x)` |
//! | `tanh` | `tanh x` |
//! | `hard_logistic` | `clip(0.25 x + 0.5, 0, 1)`, the textbook's convention |
//! | `hard_sigmoid_pytorch` | `clip(x / 6 + 0.5, 0, 1)`, PyTorch's `Hardsigmoid` (and Keras 3) |
//! | `hard_sigmoid_onnx` | `clip(0.2 x + 0.5, 0, 1)`, ONNX's `HardSigmoid` defaults (and Keras 2) |
//! | `hard_tanh` | `clip(x, -1, 1)` |
//! | `relu` | `max(x, 0)` |
//! | `leaky_relu(slope)` | `x` or `slope * x`; slope 0.01 if omitted |
//! | `prelu(init)` | `x` or `a_i * x` with a learnable slope `a_i` per unit, starting at `init` (0.25 if omitted) |
//! | `prelu_shared(init)` | the same with one learnable slope for the whole layer |
//! | `elu(scale)` | `x` or `scale * (e^x - 1)`; scale 1 if omitted |
//! | `softplus` | `ln(1 + e^x)` |
//! | `swish(beta)` | `x * sigmoid(beta x)`; beta 1 if omitted |
//! | `swish_learnable(init)` | `x * sigmoid(b_i x)` with a learnable `b_i` per unit, starting at `init` (1 if omitted) |
//! | `gelu` | `x * Phi(x)`, exact, through `erf` |
//! | `gelu_tanh` | the tanh approximation of gelu |
//! | `gelu_sigmoid` | `x * sigmoid(1.702 x)` |
//! | `softmax` | `e^z_i / sum_j e^z_j` over the layer |
//!
//! The three hard sigmoids are the same function with the slopes different frameworks chose,
//! so that weights trained elsewhere run with the function they were trained with. Learnable
//! activations follow a `dense` or `maxout` layer on the same line and keep their parameters
//! in that layer's `activation` field; the visitor names them `<layer>.slope` or
//! `<layer>.beta`, of kind [`ParamKind::Activation`], and optimizers, gradients and saving
//! treat them like any parameter (weight decay excepted).
//!
//! Losses, per sample (a batch takes the mean over its samples):
//!
//! | written | loss | target |
//! |---|---|---|
//! | `mse` | mean over outputs of `(a - y)^2` (PyTorch's `MSELoss`) | any vector |
//! | `binary_cross_entropy` | mean over outputs, computed from the logits; the last layer must end in `sigmoid` | 0/1 per output |
//! | `cross_entropy` | `-sum y_i ln softmax(z)_i` from the logits; the last layer must end in `softmax` and have two or more outputs | one-hot ([`loss::one_hot`]) or a distribution |
//!
//! `l2: lambda` makes the risk `loss + lambda / 2 * sum ||W||^2` over the weights (not the
//! biases), in `loss`, `loss_and_grad` and their batch forms.
//!
//! # The generated API
//!
//! For a network `Net` with input width `I` and output width `O`:
//!
//! | item | meaning |
//! |---|---|
//! | `Net::<T>::seeded(seed: u64)` | deterministic initialisation from a ChaCha8 stream |
//! | `Net::new(rng)` | the same from a caller's generator (Glorot uniform before sigmoid/tanh-like activations, He uniform before ReLU-like ones, zero biases) |
//! | `net.forward(&SVector<T, I>) -> SVector<T, O>` | inference on one sample |
//! | `net.forward_batch(&SMatrix<T, I, B>) -> SMatrix<T, O, B>` | `B` samples as columns |
//! | `net.loss(&x, &target) -> T`, `net.loss_batch(&xs, &targets) -> T` | the risk |
//! | `net.loss_and_grad(&x, &target) -> (T, Net<T>)` | risk and gradient, of the network's own type |
//! | `net.loss_and_grad_batch(&xs, &targets) -> (T, Net<T>)` | mean over a batch |
//! | `net.loss_and_grad_into(&x, &target, &mut grad) -> T`, `net.loss_and_grad_batch_into(..)` | the same into a gradient kept between steps (no allocation for networks with layers on the heap) |
//! | `net.loss_and_grad_input(&x, &target) -> (T, Net<T>, SVector<T, I>)` | also the gradient with respect to the input `x` |
//! | `net.jvp(&x, &v) -> (SVector<T, O>, SVector<T, O>)` | the output and its directional derivative `J v` along `v`, by forward-mode differentiation (section 4.5.3) |
//! | `net.vjp(&x, &u) -> SVector<T, I>` | `J^T u`, by the reverse pass from a cotangent `u` of the output |
//! | `net.loss_and_grad_batch_parallel(&xs, &targets) -> (T, Net<T>)` | `loss_and_grad_batch` with every batched product split between two threads (with the `parallel` feature; see [`kernels::with_threads`]); the same numbers bit for bit |
//! | `net.forward_training(&x, rng)`, `net.loss_training(&x, &target, rng)` | training mode: dropout on, its masks drawn from `rng` |
//! | `net.loss_and_grad_training(&x, &target, rng)`, `net.loss_and_grad_batch_training(&xs, &targets, rng)` | risk and gradient in training mode, each sample with masks of its own |
//! | `net.step(&mut state, &x_t) -> SVector<T, O>` | with `stream: NetState`: one step of a memory network's sequence in, the output after it (see [Streaming](#streaming-one-step-at-a-time)) |
//! | `net.<layer>.weight`, `net.<layer>.bias` | `SMatrix<T, OUT, IN>` and `SVector<T, OUT>`, PyTorch's layout |
//! | `net.<layer>.weight_ih`, `.weight_hh`, `.bias_ih`, `.bias_hh` | a recurrent layer's (`rnn`, `lstm`, `gru`), PyTorch's layout, the gates stacked |
//! | `net.<layer>.activation` | `SVector<T, A>`, a learnable activation's parameters (empty for the others) |
//! | `impl Network<T> for Net<T>` | `INPUTS`, `OUTPUTS`, `PARAMS` and a visitor over named parameter slices |
//!
//! Calls without `training` in their name are inference mode: dropout is off, and they are
//! deterministic. Training with dropout goes through the `*_training` calls; for a network
//! without dropout they equal their inference siblings and do not use `rng`.
//!
//! Masks are drawn in one order on every path: sample after sample (the columns of a batch in
//! order), for each sample its dropout lines from the top, each line's units in order, one
//! 32-bit word per unit ([`dropout::mask`]). So `loss_and_grad_batch_training(&xs, &ys, rng)`
//! gives the mean of `loss_and_grad_training(&x_j, &y_j, rng)` over the columns `j` in order,
//! with the same generator, whichever path the batch takes.
//!
//! Every path gives the same numbers: the per-sample calls, the batch calls below and above
//! the batched path's threshold (see [Memory](#memory)), the parallel and `_into` forms and
//! the training-mode calls agree to rounding (1e-12 in `f64`; tests/paths.rs and
//! tests/names.rs in the repository check it for every kind of line).
//!
//! `T` is `f32` (the default) or `f64`; any other type is a compile error naming the two.
//!
//! # Training
//!
//! Everything around the generated calls is written once in the runtime, against the
//! [`Network`] and [`Model`] traits:
//!
//! - [`optim`]: [`Sgd`], [`Momentum`] (with Nesterov), [`Adam`], [`AdamW`], [`RmsProp`], each
//!   holding its state as values of the network's own type; learning-rate [`Schedule`]s and
//!   [`clip_grad_norm`];
//! - [`data`]: CSV files into fixed-width [`Dataset`]s ([`Csv`]), splits by seed, a
//!   [`Standardizer`] fitted on the training part; [`metrics`]: accuracy, confusion matrices,
//!   precision and recall;
//! - [`train`]: a [`Trainer`] of const-size mini-batches with validation, early stopping and
//!   a progress bar, returning the history of the run;
//! - [`io`]: weights to and from safetensors files with PyTorch's names and layouts (and JSON
//!   with the `serde` feature); models saved by PyTorch under its own conventions load with
//!   options (see [From PyTorch](#from-pytorch));
//! - [`Network::summary`]: a table of the layers, like Keras's.
//!
//!
//! ```
//! use nn::prelude::*;
//! use nn::data::Dataset;
//! use nn::train::Trainer;
//!
//! network! {
//!     struct Xor {
//!         input: 2,
//!         hidden: dense(8) -> tanh,
//!         output: dense(1) -> sigmoid,
//!         loss: binary_cross_entropy,
//!     }
//! }
//!
//! let x = |a: f32, b: f32| SVector::from([a, b]);
//! let y = |c: f32| SVector::from([c]);
//! let data = Dataset::new(
//!     vec![x(0.0, 0.0), x(0.0, 1.0), x(1.0, 0.0), x(1.0, 1.0)],
//!     vec![y(0.0), y(1.0), y(1.0), y(0.0)],
//! )
//! .unwrap();
//!
//! let mut net = Xor::<f32>::seeded(1);
//! let mut sgd = Sgd::new(0.5);
//! let history = Trainer::<f32, 4>::new(2000)
//!     .progress(false)
//!     .fit(&mut net, &mut sgd, &data, Some(&data))
//!     .unwrap();
//! let last = history.epochs.last().unwrap();
//! assert!(last.train_loss < 0.05);
//! assert_eq!(last.validation_accuracy, Some(1.0));
//!
//! // The layers as a table: names, kinds, widths, parameters, FLOPs.
//! assert!(Xor::<f32>::summary_table().to_string().contains("hidden"));
//!
//! // Weights move to PyTorch and back as safetensors.
//! let bytes = nn::io::to_safetensors_bytes(&net);
//! let mut copy = Xor::<f32>::zeros();
//! nn::io::from_safetensors_bytes(&mut copy, &bytes).unwrap();
//! assert_eq!(copy, net);
//! ```
//!
//! To load a CSV file, split it and standardise it:
//!
//! ```no_run
//! use nn::data::Csv;
//!
//! let iris = Csv::new("data/iris.csv").header(true).classes::<f32, 4, 3>()?;
//! let mut split = iris.split_stratified(0.2, 0.2, 1);
//! split.standardize(); // statistics of the training part only
//! # Ok::<(), nn::data::DataError>(())
//! ```
//!
//! Around the trainer:
//!
//! - Settings that cannot work (a NaN learning rate, Adam with `beta1 = 1`, a patience of 0)
//!   and data that cannot be trained on (NaN, a missing target) are errors before the first
//!   step: the optimizers' `try_new`, [`Optimizer::check`], [`train::Trainer::check`],
//!   [`Dataset::new`].
//! - With early stopping, a run that diverges gives the best network back and the history
//!   inside the error ([`train::TrainError::Diverged`]).
//! - [`train::Trainer::fit_from`] resumes a run where it stopped, bit for bit, from a
//!   [`train::Checkpoint`] its callback saved ([`train::load_checkpoint`]).
//! - Saves are atomic: a failed or killed save leaves the old file ([`io::write_atomic`]).
//! - [`predict::predict`] and [`predict::predict_into`] run any number of samples through a
//!   network in compile-time batches; [`data::Csv::labels`] reads text class labels and
//!   returns their [`data::Labels`], saved with the weights by [`io::SaveOptions::labels`].
//! - Without a terminal (a pipe, a CI log) the trainer prints one line per epoch.
//!
//! # Reading the generated code
//!
//! What `network!` writes is ordinary Rust, and reading it is the best way to see what a
//! network computes. Install `cargo-expand` (`cargo install cargo-expand`) and run
//! `cargo expand --example backprop` (or `--lib`, `--test NAME`): each network appears as its
//! struct of layers (one field per line of the block, holding `weight`, `bias` and
//! `activation`), an inherent `impl` with the calls of the table above, the forward pass
//! written out line by line, the backward pass walking the same lines in reverse, and the
//! `Network` and `Model` impls that the runtime uses. The `backprop` example works the error
//! terms of a tiny network by hand beside what that code computes. A layer's products are
//! nalgebra's (`w * x + b`, `tr_mul`, `ger`) or, for layers wide enough, calls of
//! [`kernels`] (`dense`, `affine`, `tr_mul`, `outer`, `activate`): see "Vector units".
//!
//! In detail: the struct as declared comes first, then an anonymous `const _: () = { ... };`
//! holding a private trace struct (`__NetTrace`, the forward pass's intermediates), a private
//! trait of the passes (`__NetPasses`: `trace`, `backprop`, `backprop_batch`, `vjp`, the
//! penalty, and the batched path's `forward_batched` and `backprop_batched`), the inherent API
//! above, and the `Network` and `Model` impls.
//!
//! A line `hidden` has its intermediates named `hidden_<role>`: `hidden_z` (pre-activation),
//! `hidden_a` (activation), `hidden_in` (a gathered sum or concatenation), `hidden_h` (maxout's
//! pieces), `hidden_m` and `hidden_y` (dropout's mask and output), `hidden_sz` and `hidden_sa`
//! (a recurrent layer's steps), `hidden_sg` and `hidden_sc` (a gated layer's gates and memory,
//! a column per step), `hidden_ahat` and `hidden_xa` (a graph convolution's),
//! `hidden_d` (the gradient with respect to its output) and `hidden_t` (its tangent in `jvp`).
//! Every other local is the generator's own (`x`, `d`, `grad`, `scale`, `trace`, ...).
//!
//! No name you give a line can meet a name of the generator's, whatever it is: the generator's
//! own locals are written at `Span::mixed_site()`, the hygiene of `macro_rules!` macros, so
//! they resolve only among themselves; a line's intermediates are `<line>_<role>` with roles
//! that contain no `_`, so two lines or two roles never give the same name; and the items the
//! generator adds live inside the anonymous `const`, named after the network so that they
//! cannot be the network's own name, and are called by their full paths. A line may be called
//! `d`, `t`, `grad`, `trace`, `x`, `Some` or `r#fn`.
//!
//! # From PyTorch
//!
//! A network's weights are a PyTorch `state_dict` saved as safetensors
//! (`safetensors.torch.save_file(model.state_dict(), path)`): the same tensors, shapes and
//! row-major layout, `weight` as `[OUT, IN]`. What differs is only naming, and a model's
//! modules correspond to a network's lines like this:
//!
//! | PyTorch | line | tensors in the file -> in the network |
//! |---|---|---|
//! | `nn.Linear(IN, N)` | `dense(N)` | `<m>.weight` `[N, IN]`, `<m>.bias` `[N]` -> `<line>.weight`, `<line>.bias` |
//! | `nn.Linear(IN, N * K)`, then `.view(-1, N, K).amax(-1)` | `maxout(N, K)` | as `nn.Linear`; row `u * K + j` is piece `j` of unit `u` |
//! | `nn.RNN(IN, N, batch_first=True)`, its last state | `rnn(N) -> tanh` (`rnn_sequence` for every state) | `<m>.weight_ih_l0`, `.weight_hh_l0`, `.bias_ih_l0`, `.bias_hh_l0` -> the same names under `<line>` |
//! | `nn.LSTM(IN, N, batch_first=True)`, its last state | `lstm(N)` (`lstm_sequence` for every state) | as `nn.RNN`, `[4N, IN]`, `[4N, N]`, `[4N]`, `[4N]` |
//! | `nn.GRU(IN, N, batch_first=True)`, its last state | `gru(N)` (`gru_sequence` for every state) | as `nn.RNN`, `[3N, IN]`, `[3N, N]`, `[3N]`, `[3N]` |
//! | PyTorch Geometric's `GCNConv(IN, N)` | `graph_conv(N)` | `<m>.lin.weight` -> `<line>.weight` (a rename), `<m>.bias` -> `<line>.bias` |
//! | `nn.PReLU(N)` after the layer, as an attribute `<line>_act` or the next `nn.Sequential` index | `-> prelu` | `<line>_act.weight` or `<i>.weight` `[N]` -> `<line>.slope`, with [`KeyMap::pytorch`](io::KeyMap::pytorch) |
//! | `nn.PReLU()` (one slope) | `-> prelu_shared`, or `-> prelu` with `broadcast_shared_slopes` | `[1]` -> `<line>.slope` |
//! | `nn.Tanh`, `nn.Sigmoid`, `nn.ReLU`, `nn.LeakyReLU(g)`, `nn.ELU(a)`, `nn.Softplus()`, `nn.SiLU`, `nn.GELU()`, `nn.GELU(approximate="tanh")`, `nn.Hardtanh()`, `nn.Hardsigmoid`, `nn.Softmax(-1)` | `tanh`, `sigmoid`, `relu`, `leaky_relu(g)`, `elu(a)`, `softplus`, `swish`, `gelu`, `gelu_tanh`, `hard_tanh`, `hard_sigmoid_pytorch`, `softmax` | none: an `nn.Sequential` index without tensors, skipped |
//! | `nn.Dropout(p)` | `-> dropout(p)` | none |
//! | `nn.Linear(IN, N, bias=False)` | `dense(N, bias = false)` | `<m>.weight` `[N, IN]` -> `<line>.weight`; no bias |
//!
//! A last `nn.Linear` trained with `nn.CrossEntropyLoss` (or `nn.BCEWithLogitsLoss`) is the
//! line `dense(N) -> softmax` with `loss: cross_entropy` (`-> sigmoid` with
//! `binary_cross_entropy`): those losses apply the softmax (sigmoid) themselves, so the weights
//! are the same.
//!
//! The plain [`io::load_safetensors`] is strict, like `load_state_dict(strict=True)`, and its
//! errors name the option that would load a file of PyTorch's conventions.
//! [`io::load_safetensors_with`] takes [`io::LoadOptions`], each option named and off by
//! default:
//!
//! - `keys`: an [`io::KeyMap`] from the file's names to the network's: explicit
//!   [`rename`](io::KeyMap::rename)s, [`prefix`](io::KeyMap::prefix) rules (`"0."` ->
//!   `"hidden."`, `"model."` -> `""`), [`sequential`](io::KeyMap::sequential) (an
//!   `nn.Sequential`'s indices as the network's lines in order, parameterless modules skipped,
//!   an `nn.PReLU` index folded into the line before it) and
//!   [`activation_modules`](io::KeyMap::activation_modules)`("_act")`;
//!   [`KeyMap::pytorch`](io::KeyMap::pytorch) is the last two;
//! - `cast_from`: the file's scalar types to convert, each named ([`io::FileDtype`]): `F32`
//!   into `f64` (PyTorch's default `float32` weights into a network in `f64`, exactly),
//!   `F64` into `f32` (rounded; a value beyond `f32`'s range is an error), `F16` and `BF16`
//!   into either (exactly);
//! - `broadcast_shared_slopes`: `nn.PReLU()`'s one slope for every unit of a `prelu` line.
//!
//! [`io::list_safetensors`] shows how each name of a file will map before loading, and a
//! failed load through a key map lists the mapping it tried. [`io::save_safetensors_with`]
//! writes the names the same key map gives, so that `load_state_dict(strict=True)` takes the
//! file; PyTorch converts the scalars to the module's type as it copies them. A
//! `torch.save` file, NumPy's `.npy`/`.npz`, ONNX and Keras's `.h5` are named as such in the
//! error, with the command that converts them.
//!
//! A model trained in PyTorch, saved as `nn.Sequential(nn.Linear(5, 8), nn.Tanh(),
//! nn.Linear(8, 3))` in `float32`, into a network in `f64`:
//!
//! ```
//! use nn::io::{FileDtype, KeyMap, LoadOptions, SaveOptions};
//! use nn::nalgebra::SVector;
//! use nn::Network;
//!
//! nn::network! {
//!     struct Net {
//!         input: 5,
//!         hidden: dense(8) -> tanh,
//!         out: dense(3),
//!         loss: mse,
//!     }
//! }
//!
//! // In Python: safetensors.torch.save_file(model.state_dict(), "model.safetensors")
//! # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sequential_tanh.safetensors");
//! # /*
//! let path = "model.safetensors";
//! # */
//! let mut net = Net::<f64>::zeros();
//!
//! // Strict by default: the names are `0.weight`, `0.bias`, `2.weight`, `2.bias`.
//! let error = nn::io::load_safetensors(&mut net, path).unwrap_err();
//! assert!(error.to_string().ends_with(
//!     "these look like the indices of an `nn.Sequential`: load with \
//!      `LoadOptions::new().keys(KeyMap::pytorch())`, or map them with `KeyMap::prefix`"
//! ));
//!
//! // How each name will map.
//! let mapping = nn::io::list_safetensors(&net, path, &KeyMap::pytorch())?;
//! assert_eq!(
//!     mapping.entries[1].to_string(),
//!     "\"0.weight\" [8, 5] F32 -> \"hidden.weight\" (`nn.Sequential` index 0 is line `hidden`)"
//! );
//!
//! // Index 1, the `nn.Tanh`, holds nothing; float32 is widened, exactly, on request.
//! let options = LoadOptions::new().keys(KeyMap::pytorch()).cast_from(FileDtype::F32);
//! nn::io::load_safetensors_with(&mut net, path, &options)?;
//!
//! // PyTorch's output for this input, computed in float64 from the same weights.
//! let y = net.forward(&SVector::from([0.5, -1.0, 0.25, 2.0, -0.75]));
//! let pytorch = [0.3384443857215898, 0.39145400465426033, 0.5986706279104088];
//! for (a, b) in y.iter().zip(pytorch) {
//!     assert!((a - b).abs() < 1e-14);
//! }
//!
//! // And back, under the `nn.Sequential`'s names for `load_state_dict(strict=True)`.
//! let bytes = nn::io::to_safetensors_bytes_with(&net, &SaveOptions::new().keys(KeyMap::pytorch()))?;
//! let names = nn::io::list_safetensors_bytes(&net, &bytes, &KeyMap::new())?;
//! let names: Vec<&str> = names.entries.iter().map(|e| e.file.as_str()).collect();
//! assert_eq!(names, ["0.bias", "0.weight", "2.bias", "2.weight"]);
//! # Ok::<(), nn::WeightsError>(())
//! ```
//!
//! # ONNX, both ways (feature `onnx`)
//!
//! With the `onnx` feature, `nn::onnx::save_onnx(&net, "model.onnx")` writes any network as a
//! standard ONNX model (opset 17, float32) with its weights, for ONNX Runtime, tract, browsers
//! and phones; and `nn::onnx_network!("model.onnx", pub struct Name)` compiles an ONNX model
//! into the equivalent `network!` while the program compiles, its weights baked into
//! `Name::<f32>::BAKED` (and `f64`). The path is relative to the source file that names it;
//! editing the file rebuilds the crate. `Name::<f32>::ARCHITECTURE.listing()` (trait
//! `nn::architecture::Described`, implemented by every network) prints the `network!` block a
//! model reads as, to copy into a program and train further.
//!
//! ```text
//! nn::onnx_network!("model.onnx", pub struct Imported);
//! let y = Imported::<f32>::BAKED.forward(&x);   // x: SVector<f32, I>, I read from the file
//! ```
//!
//! What each line of `network!` becomes, and what the import reads back:
//!
//! | `network!` | ONNX operators |
//! |---|---|
//! | `dense(n)`, `dense(n, bias = false)` | `Gemm` (`transB = 1`); `MatMul` by the transposed weight. Import also reads `MatMul` then `Add` of a bias, and `Gemm` with `transB = 0` |
//! | `maxout(units, pieces)` | `Gemm`, `Reshape` to `[batch, units, pieces]`, `ReduceMax` |
//! | `a + b`, `concat(a, b)` | `Sum` (import: `Add` too), `Concat` along the features |
//! | `dropout(p)` | `Identity` (inference), `p` in the metadata; import drops `Dropout` operators likewise |
//! | `sigmoid`, `tanh`, `relu`, `softplus`, `softmax` | `Sigmoid`, `Tanh`, `Relu`, `Softplus`, `Softmax` |
//! | `leaky_relu(g)`, `elu(g)` | `LeakyRelu`, `Elu` with `alpha = g` |
//! | `hard_logistic`, `hard_sigmoid_onnx`, `hard_sigmoid_pytorch` | `HardSigmoid` with `alpha` 1/4, 0.2 (ONNX's and Keras's default), 1/6 (PyTorch's `Hardsigmoid`), `beta = 1/2`: each convention exact |
//! | `hard_tanh` | `Clip` to `[-1, 1]` |
//! | `prelu`, `prelu_shared` | `PRelu` with a slope per unit or one |
//! | `swish(b)`, `gelu_sigmoid`, `swish_learnable` | `x * Sigmoid(b * x)` (`b` = 1.702; a learnable `b` per unit); import also reads PyTorch's `SiLU`, `x * Sigmoid(x)` |
//! | `gelu`, `gelu_tanh` | `Erf` and `Tanh` formulas of tensor operators; import also reads opset 20's `Gelu` |
//! | `rnn`, `lstm`, `gru` (and `_sequence`) | `RNN`, `LSTM`, `GRU` (PyTorch's cell: `linear_before_reset = 1`), framed by `Reshape`, `Transpose`, `Squeeze` |
//! | `graph_conv(n)` | the normalised adjacency and the products as tensor operators (`Slice`, `Reshape`, `Transpose`, `Add`, `ReduceSum`, `Sqrt`, `Reciprocal`, `Mul`, `MatMul`) |
//! | `mean_nodes`, `sum_nodes` | `Reshape`, `ReduceMean` or `ReduceSum` over the nodes |
//!
//! ONNX has no place for training settings, so the export writes them in the model's
//! `metadata_props`: `nn.loss`, `nn.l2`, `nn.dropout.<line>` and `nn.init.<line>` (the
//! initial slope or beta of a learnable activation), and the whole block as `nn.network`; the
//! import reads them back. **A model without `nn.loss`** (from PyTorch, Keras, ...) is given
//! `cross_entropy` when its output is a `softmax`, `binary_cross_entropy` when it is a
//! `sigmoid`, and `mse` otherwise; an initial slope or beta without metadata is PyTorch's
//! (0.25 for PReLU, 1 for swish).
//!
//! Not supported, and why:
//!
//! - Convolutions and pooling over images, attention, normalisation layers, embeddings:
//!   `network!` has no such layers (it computes fixed-width vectors); an import names the node
//!   and its operator in a compile error (see [`errors`]).
//! - Dynamic shapes: every width of a network is a type; only the batch dimension may be a
//!   symbol. Non-float weights (`INT8` and other quantised models): the layers compute in
//!   `f32` or `f64`.
//! - An `rnn` whose activation ONNX's `RNN` has no name for (`gelu`, `swish`, `prelu`, ...):
//!   the export is an error naming the line rather than a loop unrolled over the steps.
//! - Bidirectional recurrent operators, initial states and sequence lengths: `network!`'s
//!   recurrent layers read forwards from a zero state over every step.
//! - The import recognises the operators of this table, one at a time or in the groups the
//!   export writes (PyTorch's exports of the same modules are the same groups); a model that
//!   computes the same function with other operators is an error at its first unknown node.
//!
//! Tract (in `cargo test`) runs every layer kind's export and matches `forward` to 1e-5;
//! tests/fixtures/check_onnx_exports.py runs the ONNX checker and ONNX Runtime on them.
//!
//! # Memory
//!
//! A network keeps its parameters inline while they total at most 8192 scalars (64 KiB in
//! `f64`); beyond that its largest layers become [`BoxedDense`], whose matrices are allocated
//! zeroed directly on the heap, so nothing larger than 64 KiB is built on the stack. A
//! training step of an inline network allocates nothing on the heap.
//!
//! Batches of 6 or more samples through a network with a layer at least 8 units wide in
//! both dimensions take a batched path: every layer's product with the whole batch is one
//! blocked matrix product ([`kernels`]), its intermediates in a scratch buffer of the thread.
//! A thread's first batched call allocates that buffer (and a call with a larger batch grows
//! it); after that, the only allocations are the `gemm` crate's, which the blocked products
//! make (at most two per product: see [`kernels`] for which; at most three products per dense
//! layer and step, and a recurrent layer over `S` steps makes `2 S + 1`, one more when it
//! reads another line). Other batches run the per-sample code one column at a time,
//! accumulating the gradient in place, and allocate nothing.
//!
//! Which layers take the batched path:
//!
//! | layer | batch calls |
//! |---|---|
//! | `dense`, `maxout`, sums, `concat`, `dropout`, every activation | batched |
//! | `rnn`, `lstm`, `gru` and their `_sequence` forms | batched, the whole batch one step at a time: the input's share of every step in one product, then `W_hh H_{t-1}` per step over the batch and the cells column by column; backpropagation through time with the weight gradients one product over all steps |
//! | `graph_conv`, `mean_nodes`, `sum_nodes` | batched: each sample's adjacency normalised and its features mixed by it, then one product with the weights over every node of every sample |
//!
//! **Two threads.** Inside [`kernels::with_threads(2, ..)`](kernels::with_threads) (with the
//! `parallel` feature), in the `_parallel` calls, and in a [`Trainer`] given
//! [`threads(2)`](Trainer::threads), every batched product of at least 524,288 multiply-adds
//! is split between the calling thread and a helper thread by the columns it writes: a layer's outputs
//! by samples, its weight gradient by inputs. Neither thread writes what the other must add,
//! there is no second gradient, and the results are those of one thread, bit for bit. On the
//! two-vCPU machine of BENCHMARKS.md this is not yet faster than one thread (the handover
//! per product costs more than half a product saves there; see "Large batches").
//!
//! # Vector units
//!
//! No build flag is needed for the machine's speed: the products and activations of every
//! layer wide enough run in kernels ([`kernels`]) compiled for each instruction-set level and
//! chosen at run time, once per process, by [`simd`]:
//!
//! | level | where | `f32` lanes |
//! |---|---|---:|
//! | `baseline` | every x86-64 CPU (SSE2); aarch64 (NEON) | 4 |
//! | `avx2` | x86-64 with AVX2 and FMA | 8 |
//! | `avx512` | x86-64 with AVX-512 F, BW, CD, DQ, VL | 16 |
//!
//! - **Which layers.** The generator decides per layer, from its widths: a dense layer with at
//!   least 128 weights and 4 units calls the kernels (`z = W x + b` and an element-wise
//!   activation fused in one call, `W^T d`, `dW += s d x^T`); smaller ones keep nalgebra's
//!   products inline, where a call would cost more than the arithmetic. An element-wise
//!   activation over 16 or more values runs in the kernels too, as does [`Sgd`]'s update of a
//!   tensor of 64 or more values, and the batched path's bias and activation pass. The
//!   batched path's products are the `gemm` crate's, which chooses AVX-512, AVX2 or SSE code
//!   itself ([`kernels`]).
//! - **Which level.** AVX2 where the CPU has it (AVX-512 measured no faster on these layer
//!   sizes: see [`simd::default_level`]), or the one the environment variable `NN_SIMD`
//!   names (`baseline`, `avx2`, `avx512`) if the CPU has it. [`simd::with_level`] runs a
//!   closure at another level on the calling thread only; [`simd::level`] tells which is in
//!   effect. Each kernel call dispatches (a few nanoseconds); nothing allocates. The kernels
//!   are compiled once, in the runtime, for every level: a crate that declares networks
//!   compiles none of them.
//! - **What changes.** In `f64`, nothing: each level performs the same operations in the same
//!   order, and results are identical bit for bit. In `f32`, the wider levels accumulate with
//!   fused multiply-adds and compute `tanh`, the logistic function and `exp` lane-parallel
//!   (error bounds in [`simd::math`]); results agree with the baseline's to within about
//!   `2e-5` relative on whole networks (the crate's tests hold every level to it). Dropout
//!   masks are the same at every level: each mask takes one 64-bit key from the generator and
//!   hashes the entries' indices ([`dropout::mask`]).
//!
//! # Embedded and real-time
//!
//! A network whose layers are inline (every network of at most 8192 parameters per layer,
//! see [Memory](#memory)) runs without the standard library and without an allocator.
//!
//! **Features to turn off.** Depend on `nn` without its default `std` feature:
//!
//! ```toml
//! [dependencies]
//! nn = { version = "0.1", default-features = false }
//! ```
//!
//! `nn` is then `#![no_std]`: the macro, the layers, the activations (through `libm`),
//! losses, dropout's masks, the [`Network`] and [`Model`] traits and every generated call of
//! an inline network remain (`forward`, `forward_batch`, `jvp`, `vjp`, `loss`, the gradients
//! and `seeded`); training loops, optimizers, data, weight files, progress bars, gradient
//! checking, [`BoxedDense`] layers, summaries' printing and the `parallel` and `serde`
//! features need `std`. Without `std`, batch calls run the per-sample code column by column
//! (the batched kernels keep their scratch buffers per thread, on the heap).
//! `embedded/no-std-check` in the repository builds every kind of line for
//! `thumbv7m-none-eabi`.
//!
//! **Baking weights in.** A line `weights: "file.safetensors"` in the block makes the
//! macro read the file while it compiles and write its tensors into two constants,
//! `Net::<f32>::BAKED` and `Net::<f64>::BAKED`:
//!
//! ```text
//! nn::network! {
//!     pub struct Sine {
//!         input: 1,
//!         hidden1: dense(16) -> tanh,
//!         hidden2: dense(16) -> tanh,
//!         output: dense(1),
//!         loss: mse,
//!         weights: "../sine.safetensors",   // relative to this source file
//!     }
//! }
//!
//! static NET: Sine<f32> = Sine::<f32>::BAKED;   // in flash: no start-up, no heap
//! ```
//!
//! The file is one [`io::save_safetensors`] wrote (or any safetensors file with the network's
//! tensor names and PyTorch's shapes, `hidden1.weight` `[16, 1]`, `hidden1.bias` `[16]`, ...).
//! Its dtype may be `F32`, `F64`, `F16` or `BF16`, converted to each constant's scalar
//! (rounded to nearest, as [`io::LoadOptions::cast_from`] converts at run time). A file
//! saved by PyTorch is read by PyTorch's names with `weights: pytorch("model.safetensors")`:
//! the conventions of [`io::KeyMap::pytorch`] (an `nn.Sequential`'s indices, `nn.PReLU`
//! modules beside their layers). Renames and prefixes of a [`io::KeyMap`] are run-time
//! only: load such a file once with its key map and save it under the network's own names
//! ([`io::save_safetensors`]) to bake it. A missing or
//! unexpected tensor, a wrong shape, a tensor of integers or an unreadable file is a compile
//! error at the path, naming the tensor ([`errors`]); editing the file rebuilds the crate.
//! The network's own constructors and training calls are unchanged, so a host program can
//! train the same architecture declared without the `weights:` line and save the file.
//! `tests/bake.rs` checks the constants against the run-time loader, and
//! `embedded/lm3s6965-sine` is a whole firmware for a Cortex-M3 built this way, run under
//! QEMU in CI (7.7 kB of flash, 0.7 kB of RAM: see BENCHMARKS.md).
//!
//! **What a real-time caller can rely on.** For a network whose layers are inline,
//! `forward`, `forward_batch` without `std`, `jvp`, `loss` and the gradient calls into a
//! gradient the caller keeps (`loss_and_grad_into`):
//!
//! - allocate nothing: every value is a statically sized nalgebra matrix on the stack, and
//!   the stack they need is fixed at compile time (no recursion, no sizes chosen at run
//!   time);
//! - take no lock and make no system call; they touch no global state (with `std`, only
//!   the batched path's per-thread scratch buffer, which a thread's first large batch
//!   allocates, and the vector-unit level: the process's first kernel call detects the CPU
//!   and reads `NN_SIMD`, under the standard library's environment lock, once; after that
//!   each call reads it without a lock);
//! - do not panic: every width is checked at compile time through the types, and
//!   non-finite inputs give non-finite outputs, not a panic.
//!
//! With `std` on, batches of 6 or more through a network with a layer at least 8 wide take the
//! batched path (see [Memory](#memory)), whose first call on a thread allocates: call
//! `forward` per sample, or make one warm-up call, where that matters.
//!
//! # Compile errors
//!
//! Every rule the macro enforces is an error at the tokens it is about, and all errors of a
//! block are reported together; after them the macro still declares the struct with the
//! whole API, so that code using a network with a mistake sees that mistake alone. The
//! [`errors`] module lists every error: the mistake, a block that makes it, the message and
//! the fix.

#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

pub use nn_macros::network;
#[cfg(feature = "onnx")]
pub use nn_macros::onnx_network;
// The runtime's modules and items, named one by one rather than through a glob: rustdoc
// inlines everything a glob re-exports, nalgebra's and rand's two thousand items included
// (even with `doc(no_inline)` or `doc(hidden)` on them). A module or item added to the root of
// nn-runtime, and anything generated code names as `::nn::...`, must be added here too.
/// Re-exported: every network's parameters and inputs are nalgebra matrices (see nalgebra's
/// own documentation for its items).
#[doc(no_inline)]
pub use nn_runtime::nalgebra;
/// Re-exported so that users can name the generator types `Net::new` takes.
#[doc(no_inline)]
pub use nn_runtime::rand;
// The inference core, with or without `std`.
pub use nn_runtime::{
    activation, architecture, dropout, graph, kernels, loss, recurrent, simd, summary,
};
pub use nn_runtime::{
    axpy, norm_squared, Dense, Float, Gru, Init, LayerInfo, Lstm, Model, Network, Param, ParamKind,
    ParamMut, Recurrent, StateVisitor, Summary,
};
// Training, files, data and heap layers: the `std` feature.
#[cfg(feature = "std")]
pub use nn_runtime::{
    clip_grad_norm, gradcheck_with, load_checkpoint, predict_into, zeroed_box, Adam, AdamW,
    BoxedDense, Checkpoint, ConfusionMatrix, Csv, DataError, Dataset, GradCheck, GradCheckConfig,
    Labels, Missing, Momentum, Optimizer, Predictions, RmsProp, Schedule, SettingError, Sgd, Split,
    Standardizer, TrainError, TrainState, Trainer, WeightsError,
};
#[cfg(feature = "std")]
pub use nn_runtime::{data, gradcheck, io, metrics, optim, predict, train};

#[cfg(feature = "onnx")]
pub use nn_runtime::onnx;

#[cfg(feature = "std")]
pub mod errors;

/// The names most programs need: the macro, the matrix types, the traits (so that
/// `Net::zeros()` and the trait methods resolve), the optimizers, the trainer, the loaders,
/// and the `io` and `metrics` modules.
pub mod prelude {
    pub use crate::network;
    pub use crate::Model;
    #[cfg(feature = "std")]
    pub use crate::{
        clip_grad_norm, gradcheck, io, metrics, Adam, AdamW, Momentum, Optimizer, RmsProp,
        Schedule, Sgd,
    };
    #[cfg(feature = "std")]
    pub use crate::{
        data::{Csv, Dataset, Labels, Missing, Standardizer},
        predict::{predict, predict_into},
        train::{load_checkpoint, Monitor, Trainer},
    };
    pub use crate::{Float, Network};
    pub use nalgebra::{SMatrix, SVector};
}

/// What generated code names; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use nalgebra::{ArrayStorage, SMatrix, SVector};
    pub use rand::SeedableRng;
    pub use rand_chacha::ChaCha8Rng;
}

/// The README's code, compiled and run as a doctest so that it cannot drift.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
