//! Every path agrees: for networks of every shape the language has, the batched, parallel,
//! `_into`, input-gradient, forward- and reverse-mode and training-mode calls give what the
//! per-sample code gives, in `f64`, to 1e-12 (see `differential/mod.rs` for the list).
//!
//! The batched path (blocked products over the whole batch) runs for batches of 6 or more
//! when some layer is at least 8 wide both ways; each shape comes narrow (below that width,
//! so every batch runs sample by sample) and wide, and the harness runs batches on both sides
//! of 6. Line names here avoid the generator's own: `paths_names.rs` holds the names that
//! have collided with them.

mod differential;

use differential::{differential, Spec};
use nn::network;

// Dense chains, each loss with its output activation, with and without `l2`. `NarrowMse`'s
// layers sit just below the width threshold (8 x 7), `WideMse`'s exactly on it (8 x 8).

network! {
    struct NarrowMse {
        input: 7,
        hidden: dense(8) -> tanh,
        out: dense(3),
        loss: mse,
    }
}
differential!(narrow_mse: NarrowMse, Spec::mse());

network! {
    struct NarrowMseL2 {
        input: 7,
        hidden: dense(8) -> tanh,
        out: dense(3),
        loss: mse,
        l2: 0.01,
    }
}
differential!(narrow_mse_l2: NarrowMseL2, Spec::mse());

network! {
    struct NarrowBinary {
        input: 5,
        hidden: dense(6) -> elu,
        out: dense(2) -> sigmoid,
        loss: binary_cross_entropy,
    }
}
differential!(narrow_binary: NarrowBinary, Spec::binary());

network! {
    struct NarrowBinaryL2 {
        input: 5,
        hidden: dense(6) -> elu,
        out: dense(2) -> sigmoid,
        loss: binary_cross_entropy,
        l2: 0.01,
    }
}
differential!(narrow_binary_l2: NarrowBinaryL2, Spec::binary());

network! {
    struct NarrowMulticlass {
        input: 4,
        hidden: dense(7) -> relu,
        out: dense(3) -> softmax,
        loss: cross_entropy,
    }
}
differential!(narrow_multiclass: NarrowMulticlass, Spec::multiclass());

network! {
    struct NarrowMulticlassL2 {
        input: 4,
        hidden: dense(7) -> relu,
        out: dense(3) -> softmax,
        loss: cross_entropy,
        l2: 0.01,
    }
}
differential!(narrow_multiclass_l2: NarrowMulticlassL2, Spec::multiclass());

network! {
    struct WideMse {
        input: 8,
        hidden: dense(8) -> tanh,
        out: dense(8),
        loss: mse,
    }
}
differential!(wide_mse: WideMse, Spec::mse());

network! {
    struct WideMseL2 {
        input: 12,
        first: dense(16) -> softplus,
        second: dense(10) -> sigmoid,
        out: dense(4),
        loss: mse,
        l2: 0.01,
    }
}
differential!(wide_mse_l2: WideMseL2, Spec::mse());

network! {
    struct WideBinary {
        input: 9,
        hidden: dense(24) -> sigmoid,
        out: dense(3) -> sigmoid,
        loss: binary_cross_entropy,
    }
}
differential!(wide_binary: WideBinary, Spec::binary());

network! {
    struct WideBinaryL2 {
        input: 9,
        hidden: dense(24) -> sigmoid,
        out: dense(3) -> sigmoid,
        loss: binary_cross_entropy,
        l2: 0.01,
    }
}
differential!(wide_binary_l2: WideBinaryL2, Spec::binary());

network! {
    struct WideMulticlass {
        input: 10,
        hidden: dense(16) -> relu,
        out: dense(5) -> softmax,
        loss: cross_entropy,
    }
}
differential!(wide_multiclass: WideMulticlass, Spec::multiclass());

network! {
    struct WideMulticlassL2 {
        input: 10,
        hidden: dense(16) -> relu,
        out: dense(5) -> softmax,
        loss: cross_entropy,
        l2: 0.01,
    }
}
differential!(wide_multiclass_l2: WideMulticlassL2, Spec::multiclass());

// Every kind of line: named sources, sums (one followed by an activation), a concatenation
// with the input, maxout, the learnable activations, an activation on a line of its own.

network! {
    struct LinesNarrow {
        input: 5,
        left: dense(6) -> prelu,
        right: dense(6) -> tanh,
        both: left + right -> relu,
        wider: concat(input, both),
        pieces: wider -> maxout(4, 3) -> swish_learnable,
        skip: left -> dense(4) -> prelu_shared,
        joined: pieces + skip,
        smooth: joined -> gelu,
        out: concat(smooth, left) -> dense(3),
        loss: mse,
    }
}
differential!(lines_narrow: LinesNarrow, Spec::mse());

network! {
    struct LinesWide {
        input: 6,
        left: dense(12) -> prelu,
        right: dense(12) -> tanh,
        both: left + right -> relu,
        wider: concat(input, both),
        pieces: wider -> maxout(9, 2) -> swish_learnable,
        skip: left -> dense(9) -> prelu_shared,
        joined: pieces + skip -> gelu,
        smooth: joined -> softplus,
        out: concat(smooth, left) -> dense(7) -> softmax,
        loss: cross_entropy,
        l2: 0.01,
    }
}
differential!(lines_wide: LinesWide, Spec::multiclass());

// Every activation, softmax among the hidden layers included, each on a branch from the
// input to the output's concatenation, so that every layer's gradient is of the output's
// order (in a chain of twenty the first layers' gradients vanish to 1e-7, below what an
// absolute 1e-12 resolves well).

network! {
    struct ActivationsNarrow {
        input: 3,
        plain: input -> dense(4) -> identity,
        sig: input -> dense(4) -> sigmoid,
        logi: input -> dense(4) -> logistic,
        th: input -> dense(4) -> tanh,
        hard_logi: input -> dense(4) -> hard_logistic,
        hard_torch: input -> dense(4) -> hard_sigmoid_pytorch,
        hard_onnx: input -> dense(4) -> hard_sigmoid_onnx,
        hard_th: input -> dense(4) -> hard_tanh,
        rectified: input -> dense(4) -> relu,
        leaky: input -> dense(4) -> leaky_relu(0.1),
        slopes: input -> dense(4) -> prelu(0.2),
        slope: input -> dense(4) -> prelu_shared(0.3),
        exponential: input -> dense(4) -> elu(0.8),
        soft: input -> dense(4) -> softplus,
        swished: input -> dense(4) -> swish(1.5),
        learned: input -> dense(4) -> swish_learnable(0.7),
        gaussian: input -> dense(4) -> gelu,
        gaussian_tanh: input -> dense(4) -> gelu_tanh,
        gaussian_sig: input -> dense(4) -> gelu_sigmoid,
        normalised: input -> dense(4) -> softmax,
        out: concat(
            plain, sig, logi, th, hard_logi, hard_torch, hard_onnx, hard_th, rectified, leaky,
            slopes, slope, exponential, soft, swished, learned, gaussian, gaussian_tanh,
            gaussian_sig, normalised
        ) -> dense(3) -> sigmoid,
        loss: binary_cross_entropy,
    }
}
differential!(activations_narrow: ActivationsNarrow, Spec::binary());

network! {
    struct ActivationsWide {
        input: 8,
        plain: input -> dense(8) -> identity,
        sig: input -> dense(8) -> sigmoid,
        logi: input -> dense(8) -> logistic,
        th: input -> dense(8) -> tanh,
        hard_logi: input -> dense(8) -> hard_logistic,
        hard_torch: input -> dense(8) -> hard_sigmoid_pytorch,
        hard_onnx: input -> dense(8) -> hard_sigmoid_onnx,
        hard_th: input -> dense(8) -> hard_tanh,
        rectified: input -> dense(8) -> relu,
        leaky: input -> dense(8) -> leaky_relu(0.1),
        slopes: input -> dense(8) -> prelu(0.2),
        slope: input -> dense(8) -> prelu_shared(0.3),
        exponential: input -> dense(8) -> elu(0.8),
        soft: input -> dense(8) -> softplus,
        swished: input -> dense(8) -> swish(1.5),
        learned: input -> dense(8) -> swish_learnable(0.7),
        gaussian: input -> dense(8) -> gelu,
        gaussian_tanh: input -> dense(8) -> gelu_tanh,
        gaussian_sig: input -> dense(8) -> gelu_sigmoid,
        normalised: input -> dense(8) -> softmax,
        out: concat(
            plain, sig, logi, th, hard_logi, hard_torch, hard_onnx, hard_th, rectified, leaky,
            slopes, slope, exponential, soft, swished, learned, gaussian, gaussian_tanh,
            gaussian_sig, normalised
        ) -> dense(4) -> softmax,
        loss: cross_entropy,
    }
}
differential!(activations_wide: ActivationsWide, Spec::multiclass());

// Dropout after an activation, on a line of its own and after a sum. In training mode the
// batch must draw each sample's masks in turn, as the per-sample calls do.

network! {
    struct DropoutNarrow {
        input: 4,
        first: dense(6) -> tanh -> dropout(0.3),
        second: dense(5) -> relu,
        dropped: dropout(0.5),
        out: dense(2),
        loss: mse,
    }
}
differential!(dropout_narrow: DropoutNarrow, Spec::mse().dropout());

network! {
    struct DropoutWide {
        input: 8,
        left: dense(12) -> tanh -> dropout(0.3),
        right: dense(12) -> softplus -> dropout(0.5),
        both: left + right,
        out: both -> dense(6),
        loss: mse,
    }
}
differential!(dropout_wide: DropoutWide, Spec::mse().dropout());

network! {
    struct DropoutWideMulticlass {
        input: 10,
        hidden: dense(16) -> relu -> dropout(0.5),
        pieces: maxout(8, 2),
        dropped: dropout(0.2),
        out: dense(4) -> softmax,
        loss: cross_entropy,
        l2: 0.01,
    }
}
differential!(
    dropout_wide_multiclass: DropoutWideMulticlass,
    Spec::multiclass().dropout()
);

// Memory networks: stacked recurrent layers, every state of the first read by the second.

network! {
    struct RecurrentNarrow {
        input: 3 x 5,
        states: rnn_sequence(4) -> tanh,
        last: rnn(6) -> tanh,
        out: dense(2),
        loss: mse,
        l2: 0.01,
    }
}
differential!(recurrent_narrow: RecurrentNarrow, Spec::mse());

network! {
    struct RecurrentWide {
        input: 8 x 3,
        states: rnn_sequence(8) -> tanh,
        last: rnn(8) -> sigmoid -> dropout(0.2),
        both: concat(last, states) -> dense(8) -> relu,
        out: dense(3) -> softmax,
        loss: cross_entropy,
    }
}
differential!(recurrent_wide: RecurrentWide, Spec::multiclass().dropout());

// Recurrent layers wide enough for the batched path on their own (9 and 11 units): the
// batch advances a step at a time, `rnn_sequence`'s every state read by `rnn`, odd widths
// and an odd number of steps.

network! {
    struct RnnWide {
        input: 5 x 7,
        states: rnn_sequence(9) -> tanh,
        last: rnn(11) -> relu,
        out: dense(3),
        loss: mse,
        l2: 0.01,
    }
}
differential!(rnn_wide: RnnWide, Spec::mse());

network! {
    struct RnnSequenceWide {
        input: 8 x 4,
        states: rnn_sequence(12) -> sigmoid -> dropout(0.25),
        more: rnn_sequence(8),
        out: concat(states, more) -> dense(2) -> sigmoid,
        loss: binary_cross_entropy,
    }
}
differential!(rnn_sequence_wide: RnnSequenceWide, Spec::binary().dropout());

network! {
    /// One step: no recurrent product at all.
    struct RnnOneStep {
        input: 9 x 1,
        state: rnn(10) -> tanh,
        out: dense(2),
        loss: mse,
    }
}
differential!(rnn_one_step: RnnOneStep, Spec::mse());

// Gated memory networks: LSTM and GRU layers, stacked and with dropout between them.

network! {
    struct GatedNarrow {
        input: 3 x 5,
        states: lstm_sequence(4),
        last: gru(6),
        out: dense(2),
        loss: mse,
        l2: 0.01,
    }
}
differential!(gated_narrow: GatedNarrow, Spec::mse());

network! {
    struct GatedWide {
        input: 8 x 3,
        states: gru_sequence(8) -> dropout(0.2),
        last: lstm(8) -> dropout(0.2),
        both: concat(last, states) -> dense(8) -> relu,
        out: dense(3) -> softmax,
        loss: cross_entropy,
    }
}
differential!(gated_wide: GatedWide, Spec::multiclass().dropout());

// Gated layers wide enough for the batched path on their own: each cell kind stacked on its
// own `_sequence` form, odd widths and steps, and one step alone.

network! {
    struct LstmWide {
        input: 5 x 7,
        states: lstm_sequence(9),
        last: lstm(11),
        out: dense(3),
        loss: mse,
        l2: 0.01,
    }
}
differential!(lstm_wide: LstmWide, Spec::mse());

network! {
    struct GruWide {
        input: 9 x 4,
        states: gru_sequence(10) -> dropout(0.25),
        last: gru(8),
        out: concat(last, states) -> dense(2) -> sigmoid,
        loss: binary_cross_entropy,
    }
}
differential!(gru_wide: GruWide, Spec::binary().dropout());

network! {
    struct GatedOneStep {
        input: 9 x 1,
        long: lstm(10),
        gated: input -> gru(9),
        out: concat(long, gated) -> dense(2),
        loss: mse,
    }
}
differential!(gated_one_step: GatedOneStep, Spec::mse());

// Graph networks: convolutions and both readouts.

network! {
    struct GraphNarrow {
        input: graph(4, 3),
        conv: graph_conv(5) -> relu,
        conv2: graph_conv(4) -> tanh,
        mean: conv2 -> mean_nodes,
        total: conv -> sum_nodes,
        out: concat(mean, total) -> dense(2) -> softmax,
        loss: cross_entropy,
        l2: 0.01,
    }
}
differential!(graph_narrow: GraphNarrow, Spec::multiclass().graph(4));

network! {
    struct GraphWide {
        input: graph(8, 8),
        conv: graph_conv(8) -> tanh,
        conv2: graph_conv(8) -> relu -> dropout(0.3),
        mean: conv2 -> mean_nodes,
        hidden: dense(8) -> tanh,
        out: dense(3) -> sigmoid,
        loss: binary_cross_entropy,
    }
}
differential!(graph_wide: GraphWide, Spec::binary().dropout().graph(8));

network! {
    /// Both readouts, one of a convolution that reads another, over graphs of 5 nodes.
    struct GraphWideReadouts {
        input: graph(5, 9),
        conv: graph_conv(10) -> relu,
        conv2: graph_conv(8) -> sigmoid -> dropout(0.2),
        total: conv2 -> sum_nodes,
        mean: conv -> mean_nodes,
        out: concat(total, mean) -> dense(3) -> softmax,
        loss: cross_entropy,
        l2: 0.01,
    }
}
differential!(graph_wide_readouts: GraphWideReadouts, Spec::multiclass().dropout().graph(5));

// A layer above 8192 parameters lives on the heap.

network! {
    struct Boxed {
        input: 100,
        big: dense(100) -> relu,
        mid: dense(16) -> tanh,
        out: dense(4) -> softmax,
        loss: cross_entropy,
    }
}
differential!(boxed: Boxed, Spec::multiclass());

// Layers without a bias (`dense(n, bias = false)`), narrow and wide: no bias gradient on any
// path, and the bias fields stay zero.

network! {
    struct NoBiasNarrow {
        input: 5,
        hidden: dense(7, bias = false) -> tanh,
        skip: concat(input, hidden) -> dense(4, bias = false) -> relu,
        out: dense(2) -> sigmoid,
        loss: binary_cross_entropy,
    }
}
differential!(no_bias_narrow: NoBiasNarrow, Spec::binary());

network! {
    struct NoBiasWide {
        input: 9,
        hidden: dense(12, bias = false) -> tanh,
        more: dense(10, bias = false) -> softplus -> dropout(0.2),
        out: concat(more, hidden) -> dense(3, bias = false) -> softmax,
        loss: cross_entropy,
        l2: 0.01,
    }
}
differential!(no_bias_wide: NoBiasWide, Spec::multiclass().dropout());

/// A layer without a bias has no `bias` tensor, and its gradient's bias is zero on every path.
#[test]
fn a_layer_without_bias_has_no_bias_parameter() {
    use nn::Network;
    let mut names = Vec::new();
    NoBiasWide::<f64>::zeros().visit(&mut |p| names.push(p.name));
    assert_eq!(names, ["hidden.weight", "more.weight", "out.weight"]);
    assert_eq!(<NoBiasWide<f64> as Network<f64>>::PARAMS, 12 * 9 + 10 * 12 + 3 * 22);
    let net = NoBiasWide::<f64>::seeded(1);
    let xs = nn::nalgebra::SMatrix::<f64, 9, 16>::from_fn(|i, j| ((i * 16 + j) as f64).sin());
    let ys =
        nn::nalgebra::SMatrix::<f64, 3, 16>::from_fn(|i, j| if i == j % 3 { 1.0 } else { 0.0 });
    for grad in [
        net.loss_and_grad_batch(&xs, &ys).1,
        net.loss_and_grad(&xs.column(0).into(), &ys.column(0).into()).1,
    ] {
        assert!(grad
            .hidden
            .bias
            .iter()
            .chain(grad.more.bias.iter())
            .chain(grad.out.bias.iter())
            .all(|&b| b == 0.0));
        assert!(grad.hidden.weight.norm() > 0.0);
    }
}

network! {
    /// Every layer wide enough for the kernels (`nn::kernels`), with every activation they
    /// compute a vector at a time, widths that leave a partial vector at 8 and 16 lanes, and
    /// a odd number of columns.
    struct Kernels {
        input: 21,
        t: dense(37) -> tanh,
        s: dense(19) -> sigmoid,
        r: dense(16) -> relu,
        l: dense(24) -> leaky_relu(0.1),
        i: dense(17),
        p: dense(18) -> prelu,
        out: dense(5) -> softmax,
        loss: cross_entropy,
        l2: 0.01,
    }
}
differential!(kernels: Kernels, Spec::multiclass());

network! {
    struct KernelsDropout {
        input: 21,
        t: dense(37) -> tanh -> dropout(0.3),
        s: dense(19) -> sigmoid,
        joined: concat(t, s) -> dropout(0.2),
        out: dense(16) -> sigmoid,
        loss: binary_cross_entropy,
    }
}
differential!(kernels_dropout: KernelsDropout, Spec::binary().dropout());
