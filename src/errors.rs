//! Every compile error of `network!`, one entry per rule: the mistake, a block that makes it
//! (a `compile_fail` doctest), the message the macro gives, and the fix.
//!
//! Each entry is built from a case of the repository's `tests/ui`: its code is the case's
//! file and its message the case's `.stderr`, which the `ui` test checks against the macro's
//! output, so an entry cannot drift from what the macro says. All the errors of a block are
//! reported together, each at the tokens it is about (`tests/ui/multiple`); after them the
//! macro still declares the struct, with every method and trait of the API, so that code
//! using a network with a mistake sees only that mistake.
//!
//! The entries, by what they are about: the struct and its punctuation; the settings
//! (`input:`, `loss:`, `l2:`); literals and the size bound; layers; activations; dropout;
//! lines that read other lines (sums, concatenations); memory networks; graph networks;
//! weights baked in at compile time; ONNX models compiled by `onnx_network!`; and the calls
//! made on a network.

/// One entry: the mistake and the fix as docs, the case's code and message in between.
macro_rules! entry {
    ($(#[doc = $mistake:literal])* $name:ident = $case:literal, fix: $fix:literal) => {
        $(#[doc = $mistake])*
        ///
        #[doc = concat!("```compile_fail\n", include_str!(concat!("../tests/ui/", $case, ".rs")), "```")]
        ///
        /// The message:
        ///
        #[doc = concat!("```text\n", include_str!(concat!("../tests/ui/", $case, ".stderr")), "```")]
        ///
        #[doc = concat!("**Fix:** ", $fix)]
        ///
        #[doc = concat!("Case: `tests/ui/", $case, ".rs`.")]
        pub mod $name {}
    };
}

// The struct and its punctuation.

entry! {
    /// An attribute other than a doc comment or a lint level on the network: the struct derives
    /// `Clone`, `Debug` and `PartialEq` itself.
    derive_attribute = "struct/derive-attribute",
    fix: "remove the attribute; doc comments and `allow`, `expect`, `warn`, `deny` are passed on."
}

entry! {
    /// Generic parameters on the network: the macro adds the scalar parameter `T` itself.
    generic_parameters = "struct/generics",
    fix: "write `struct Net` and name the scalar where the network is used: `Net<f64>`."
}

entry! {
    /// A network named `T`, `R` or `B`: generated code names its generic parameters so (the
    /// scalar, a generator, a batch's size), and would take the network's name for one of them.
    named_like_a_generic_parameter = "struct/named-like-a-generic-parameter",
    fix: "give the network a longer name, like `Net`."
}

entry! {
    /// A line without its comma, so that it runs into the next.
    missing_comma = "syntax/missing-comma",
    fix: "end every line with `,`."
}

entry! {
    /// A line without the colon between its name and what it is.
    missing_colon = "syntax/missing-colon",
    fix: "write `name: dense(8) -> relu`."
}

entry! {
    /// Two commas in a row.
    doubled_comma = "punctuation/doubled-comma",
    fix: "remove one."
}

entry! {
    /// Two colons after a line's name.
    doubled_colon = "punctuation/doubled-colon",
    fix: "write one colon."
}

entry! {
    /// A semicolon at the end of a line.
    semicolon_for_comma = "punctuation/semicolon-for-comma",
    fix: "end lines with commas."
}

entry! {
    /// Two stages without the arrow between them.
    missing_arrow = "punctuation/missing-arrow",
    fix: "join the stages with `->`."
}

entry! {
    /// An arrow with nothing after it, or two arrows in a row.
    stage_missing_after_arrow = "punctuation/doubled-arrow",
    fix: "write one `->` between two stages."
}

entry! {
    /// `=>` for `->`.
    fat_arrow = "punctuation/fat-arrow",
    fix: "write `->`."
}

entry! {
    /// A `+` with no node after it.
    stage_missing_after_plus = "punctuation/trailing-plus",
    fix: "add a node's name, or remove the `+`."
}

entry! {
    /// A layer's argument without parentheses.
    arguments_without_parentheses = "punctuation/width-without-parentheses",
    fix: "write `dense(8)`."
}

entry! {
    /// A sequence written with `*`.
    sequence_with_star = "typo/sequence-by",
    fix: "write `4 x 10` (or `4x10`)."
}

entry! {
    /// Tokens after the network's closing brace.
    tokens_after_brace = "punctuation/tokens-after-brace",
    fix: "remove them; one `network!` declares one network."
}

entry! {
    /// Attributes other than doc comments on a line.
    attribute_on_line = "layer/attribute-on-line",
    fix: "keep doc comments (`/// ...`), which document the layer's field; put lint attributes on the struct."
}

// Settings.

entry! {
    /// No `input:` line: the width of a sample is unknown.
    missing_input = "settings/missing-input",
    fix: "add `input: N,` above the layers."
}

entry! {
    /// No `loss:` line.
    missing_loss = "loss/missing-loss",
    fix: "add `loss: mse,`, `loss: binary_cross_entropy,` or `loss: cross_entropy,`."
}

entry! {
    /// A block with settings only.
    no_layers = "layer/no-layers",
    fix: "add a layer, like `output: dense(1) -> sigmoid,`."
}

entry! {
    /// A network whose lines have no parameters: sums, concatenations, activations alone.
    nothing_to_learn = "graph/no-parameters",
    fix: "add a line with a layer kind, `dense`, `maxout`, `rnn` or `graph_conv`."
}

entry! {
    /// A setting given twice.
    setting_given_twice = "settings/given-twice",
    fix: "keep one of the lines."
}

entry! {
    /// A misspelt setting, `los: mse`.
    misspelt_setting = "settings/misspelt-loss",
    fix: "spell it as suggested; the settings are `input`, `loss` and `l2`."
}

entry! {
    /// The `input:` line below the layers, which read from it.
    input_after_layers = "settings/input-after-layers",
    fix: "move `input:` above the layers."
}

entry! {
    /// A layer named like a setting: `input`, `loss` and `l2` are the settings' keys.
    layer_named_like_a_setting = "settings/layer-named-l2",
    fix: "give the layer another name."
}

entry! {
    /// A setting written as a stage of a line.
    setting_as_a_stage = "settings/l2-as-a-stage",
    fix: "give the setting a line of its own: `l2: 0.1,`."
}

entry! {
    /// A loss written as a stage of a line, after the output's activation.
    loss_as_a_stage = "settings/loss-as-a-stage",
    fix: "give the loss a line of its own: `loss: binary_cross_entropy,`."
}

entry! {
    /// A stage written as a setting, `dropout: 0.5`.
    stage_as_a_setting = "misuse/dropout-as-a-setting",
    fix: "write it after a layer: `hidden: dense(8) -> relu -> dropout(0.5)`."
}

entry! {
    /// A line named after a loss.
    loss_as_a_line_name = "misuse/loss-named-as-a-line",
    fix: "write `loss: binary_cross_entropy,`."
}

entry! {
    /// An activation given as the loss.
    activation_as_a_loss = "misuse/loss-is-an-activation",
    fix: "end the output line with the activation and name a loss."
}

entry! {
    /// An unknown input shape, `grpah(5, 3)`.
    unknown_input_shape = "typo/graph",
    fix: "write `graph(nodes, features)`, a width or a sequence."
}

entry! {
    /// A setting with more than one stage.
    setting_with_stages = "settings/two-stages",
    fix: "give the setting its value alone: `loss: binary_cross_entropy`."
}

entry! {
    /// An input of width 0.
    input_zero = "settings/input-zero",
    fix: "give the width of one sample, 1 or more."
}

entry! {
    /// An input width that is not an integer literal.
    input_not_an_integer = "settings/input-not-an-integer",
    fix: "write the width as an integer, `input: 4`, or a sequence, `input: 4 x 10`."
}

entry! {
    /// A negative `l2` coefficient.
    l2_negative = "settings/l2-negative",
    fix: "use a coefficient of 0 or more, like `l2: 1e-4`."
}

entry! {
    /// An `l2` coefficient that is not a number literal.
    l2_not_a_literal = "settings/l2-not-a-literal",
    fix: "write the number, like `l2: 1e-4`."
}

entry! {
    /// An `l2` coefficient too large to be a finite `f64`.
    l2_not_finite = "settings/l2-not-finite",
    fix: "use a finite coefficient, like `l2: 1e-4`."
}

// Literals and the size bound.

entry! {
    /// A literal with a suffix that is not an integer type's, like `8abc` (an integer may
    /// carry an integer type's suffix its value fits, `8usize`; floats carry none, the scalar
    /// type being chosen by `Net<f64>`).
    invalid_suffix = "literal/width-with-letters",
    fix: "write the number alone, `8`."
}

entry! {
    /// A literal whose value does not fit the integer type of its suffix.
    suffix_too_small = "literal/width-does-not-fit-suffix",
    fix: "write the number alone, `300`, or with a suffix it fits, `300u16`."
}

entry! {
    /// A layer wider than the size bound: no value of a network, its input, a line's output or
    /// a maxout layer's pieces, is wider than 8192 (64 KiB in `f64`, the most `nn` puts on the
    /// stack).
    value_too_wide = "size/dense-wider-than-the-bound",
    fix: "use a narrower layer; for large models, burn or candle."
}

entry! {
    /// An input wider than the size bound (8192 values).
    input_too_wide = "size/input-wider-than-the-bound",
    fix: "use a narrower input; for large models, burn or candle."
}

entry! {
    /// A network of more than 2^28 parameters (1 GiB in `f32`, 2 GiB in `f64`).
    too_many_parameters = "size/too-many-parameters",
    fix: "use fewer or narrower layers."
}

// Losses.

entry! {
    /// An unknown loss.
    unknown_loss = "loss/unknown-loss",
    fix: "use `mse`, `binary_cross_entropy` or `cross_entropy`."
}

entry! {
    /// A loss with arguments.
    loss_with_arguments = "loss/loss-with-arguments",
    fix: "write the loss's name alone."
}

entry! {
    /// `binary_cross_entropy` after an output that does not end in `sigmoid`.
    binary_cross_entropy_without_sigmoid = "loss/binary-cross-entropy-without-sigmoid",
    fix: "end the output line with `-> sigmoid`."
}

entry! {
    /// `cross_entropy` after an output that does not end in `softmax`.
    cross_entropy_without_softmax = "loss/cross-entropy-without-softmax",
    fix: "end the output line with `-> softmax`."
}

entry! {
    /// `cross_entropy` over one output.
    cross_entropy_one_output = "loss/cross-entropy-one-output",
    fix: "for one output, use `sigmoid` and `binary_cross_entropy`; for classes, one output per class."
}

// Layers.

entry! {
    /// An unknown layer kind.
    unknown_layer_kind = "layer/unknown-layer-kind",
    fix: "use `dense`, `maxout`, `rnn`, `rnn_sequence` or `graph_conv`."
}

entry! {
    /// `dense` with a second argument that is not an option.
    dense_arguments = "layer/dense-two-arguments",
    fix: "give the number of units, `dense(8)`, and at most the option `bias = false`."
}

entry! {
    /// `dense` with more than its width and one option.
    dense_too_many_arguments = "layer/dense-three-arguments",
    fix: "give the number of units and at most the option `bias = false`: `dense(8, bias = false)`."
}

entry! {
    /// An option of `dense` other than `bias`.
    dense_unknown_option = "layer/dense-unknown-option",
    fix: "the one option is `bias`: `dense(8, bias = false)`."
}

entry! {
    /// `bias =` something other than `true` or `false`.
    dense_bias_not_a_bool = "layer/dense-bias-not-a-bool",
    fix: "write `bias = false` for a layer without a bias (like PyTorch's `bias=False`); `true` is the default."
}

entry! {
    /// A layer of no units.
    zero_width = "layer/zero-width",
    fix: "give the layer 1 unit or more."
}

entry! {
    /// A negative width.
    negative_width = "layer/negative-width",
    fix: "give the layer 1 unit or more."
}

entry! {
    /// A width that is not an integer literal.
    width_not_an_integer = "layer/width-not-an-integer",
    fix: "write the number of units, like `dense(8)`."
}

entry! {
    /// A width that does not fit in `usize`.
    width_beyond_usize = "layer/width-too-large",
    fix: "use a narrower layer."
}

entry! {
    /// Two lines of the same name.
    duplicate_name = "layer/duplicate-name",
    fix: "rename one of the lines: each name is a field of the struct."
}

entry! {
    /// A line that starts with an activation instead of a layer kind.
    starts_with_activation = "layer/starts-with-activation",
    fix: "put the layer first, `dense(8) -> relu`."
}

entry! {
    /// A line that starts with a literal.
    starts_with_literal = "layer/starts-with-literal",
    fix: "write the layer, `dense(8)`."
}

entry! {
    /// `maxout` with other than two arguments.
    maxout_arguments = "maxout/one-argument",
    fix: "give the units and the pieces per unit, `maxout(8, 3)`."
}

entry! {
    /// `maxout` with one piece per unit, which is a linear layer.
    maxout_one_piece = "maxout/one-piece",
    fix: "use 2 pieces or more, or `dense`."
}

// Activations.

entry! {
    /// An unknown activation.
    unknown_activation = "activation/unknown-activation",
    fix: "spell it as suggested, or pick one from the list in the crate docs."
}

entry! {
    /// Two activations on one line.
    two_activations = "activation/two-activations",
    fix: "keep one, or give the second its own line with a layer."
}

entry! {
    /// A layer kind after `->`: each line holds one layer.
    layer_kind_after_arrow = "activation/layer-kind-after-arrow",
    fix: "put the second layer on a line of its own."
}

entry! {
    /// A literal after `->`.
    literal_after_arrow = "activation/literal-after-arrow",
    fix: "write an activation, like `-> relu`."
}

entry! {
    /// A parameter given to an activation that has none.
    parameter_on_parameterless = "activation/parameter-on-parameterless",
    fix: "write the activation alone."
}

entry! {
    /// More than one parameter to an activation.
    too_many_activation_parameters = "activation/too-many-parameters",
    fix: "give the one parameter."
}

entry! {
    /// An activation parameter that is not a number literal.
    activation_parameter_not_a_literal = "activation/parameter-not-a-literal",
    fix: "write the number, like `leaky_relu(0.01)`."
}

entry! {
    /// An activation parameter too large to be a finite `f64`.
    activation_parameter_not_finite = "activation/parameter-not-finite",
    fix: "use a finite number."
}

entry! {
    /// A softmax over one value, which is always 1.
    softmax_of_one = "loss/softmax-of-one-unit",
    fix: "for one output, `sigmoid`; or widen the layer."
}

entry! {
    /// A learnable activation on a line without a layer to learn it with.
    learnable_without_layer = "graph/learnable-activation-without-layer",
    fix: "put it after `dense(N)` or `maxout(N, K)` on the same line."
}

// Dropout.

entry! {
    /// A dropout probability outside `[0, 1)`.
    dropout_out_of_range = "dropout/probability-as-percent",
    fix: "give the probability as a fraction, `dropout(0.5)`."
}

entry! {
    /// A dropout probability that is not a number literal.
    dropout_not_a_literal = "dropout/probability-not-a-literal",
    fix: "write the number, `dropout(0.5)`."
}

entry! {
    /// `dropout` without its probability.
    dropout_without_probability = "dropout/without-probability",
    fix: "give the probability, `dropout(0.5)`."
}

entry! {
    /// Dropout twice on one line.
    dropout_twice = "dropout/twice",
    fix: "keep one."
}

entry! {
    /// An activation after dropout.
    activation_after_dropout = "dropout/activation-after-dropout",
    fix: "put the activation before `dropout`."
}

entry! {
    /// Dropout on the output line, whose values the loss reads.
    dropout_on_output = "dropout/on-output",
    fix: "put `dropout` on a line above the output."
}

// Lines that read other lines.

entry! {
    /// A line reading a name that no line above has.
    unknown_node = "graph/unknown-node",
    fix: "read `input` or a line above, spelt as suggested."
}

entry! {
    /// A line that reads itself.
    reads_itself = "graph/reads-itself",
    fix: "read `input` or a line above."
}

entry! {
    /// A line that reads a line below it, which would make a cycle.
    reads_later_line = "graph/reads-later-line",
    fix: "move the line it reads above it."
}

entry! {
    /// A node that no line reads (an error here because the case denies the warning).
    unused_node = "graph/unused-node",
    fix: "remove the line, or read it from a line below."
}

entry! {
    /// A sum of nodes of different widths.
    sum_of_different_widths = "graph/sum-of-different-widths",
    fix: "give the terms the same width."
}

entry! {
    /// A sum after `->`.
    sum_after_arrow = "graph/sum-after-arrow",
    fix: "add the nodes on a line of their own, `s: a + b`, and read `s`."
}

entry! {
    /// A literal in a sum.
    sum_of_literals = "graph/sum-literal",
    fix: "add nodes, by name."
}

entry! {
    /// `concat` after `->`.
    concat_after_arrow = "graph/concat-after-arrow",
    fix: "join the nodes on a line of their own, `c: concat(a, b)`, and read `c`."
}

entry! {
    /// `concat` of one node.
    concat_of_one = "graph/concat-one-node",
    fix: "join two or more nodes, or read the one node, `c: a -> ...`."
}

entry! {
    /// `concat` of something other than names.
    concat_of_literals = "graph/concat-literal",
    fix: "join nodes, by name."
}

// Memory networks.

entry! {
    /// A recurrent layer reading something other than a sequence.
    recurrent_without_sequence = "rnn/reads-no-sequence",
    fix: "declare the input as a sequence, `input: 4 x 10`, or read an `rnn_sequence` line."
}

entry! {
    /// A recurrent layer reading an `rnn`, which gives its last state only.
    recurrent_reads_last_state = "rnn/reads-last-state",
    fix: "make the line it reads `rnn_sequence`."
}

entry! {
    /// A recurrent output line.
    recurrent_output = "rnn/recurrent-output",
    fix: "read its state with a `dense` line after it."
}

entry! {
    /// A gated layer with more parameters than a layer keeps inline: an LSTM has four blocks of
    /// PyTorch's tensors, a GRU three.
    gated_too_large = "gated/too-large",
    fix: "use fewer units or narrower steps: an LSTM of `n` units on steps of `w` values has `4n(w + n + 2)` parameters, a GRU `3n(w + n + 2)`."
}

entry! {
    /// `stream:` on a network whose input is not a sequence.
    stream_without_sequence = "stream/input-not-a-sequence",
    fix: "declare the input as a sequence, `input: 1 x 64`, read by recurrent layers; or remove `stream:`."
}

entry! {
    /// `stream:` on a network where a line other than a recurrent layer reads every state of
    /// an `_sequence` layer, so that its weights depend on the number of steps.
    stream_reads_every_state = "stream/dense-reads-every-state",
    fix: "read the last state instead (`lstm` for `lstm_sequence`), or remove `stream:`."
}

entry! {
    /// `stream:` on a network where a line other than a recurrent layer reads the input
    /// sequence whole.
    stream_reads_the_input = "stream/dense-reads-the-input",
    fix: "read the sequence with a recurrent layer only, or remove `stream:`."
}

entry! {
    /// `stream:` with something other than the name of the state type to generate.
    stream_not_a_name = "stream/not-a-type-name",
    fix: "name the state type, like `stream: NetState`."
}

entry! {
    /// A gated recurrent layer as the output line.
    gated_output = "gated/gru-output",
    fix: "read its state with a `dense` line after it."
}

entry! {
    /// An activation after `lstm` or `gru`, whose gates have activations of their own.
    activation_after_gated = "gated/activation-after-lstm",
    fix: "remove the activation, or put it on a `dense` line after the layer."
}

entry! {
    /// A gated layer with more than its number of units.
    gated_arguments = "gated/lstm-two-arguments",
    fix: "give the number of units alone, like `lstm(16)`."
}

entry! {
    /// A recurrent layer reading a `gru` (or `lstm`), which gives its last state only.
    gated_reads_last_state = "gated/reads-last-state-of-gru",
    fix: "make the line it reads `gru_sequence` (or `lstm_sequence`)."
}

entry! {
    /// Softmax or a learnable activation after a recurrent layer or a graph convolution,
    /// whose activation applies element by element inside the layer.
    activation_inside_layer = "rnn/softmax-after-rnn",
    fix: "put the activation on a `dense` line after it."
}

entry! {
    /// `rnn` with other than one argument.
    rnn_arguments = "rnn/two-arguments",
    fix: "give the number of units, `rnn(16)`."
}

entry! {
    /// A sequence of no steps.
    zero_steps = "rnn/zero-steps",
    fix: "give the sequence 1 step or more."
}

entry! {
    /// A recurrent layer or graph convolution of more than 8192 parameters, which these
    /// layers keep inline.
    recurrent_too_large = "rnn/too-large",
    fix: "use fewer units."
}

// Graph networks.

entry! {
    /// `graph` with other than two arguments.
    graph_arguments = "graph_conv/graph-one-argument",
    fix: "give the node count and the features per node, `input: graph(5, 3)`."
}

entry! {
    /// A graph of no nodes.
    zero_nodes = "graph_conv/zero-nodes",
    fix: "give the graph 1 node or more."
}

entry! {
    /// `graph_conv` with other than one argument.
    graph_conv_arguments = "misuse/graph-conv-two-arguments",
    fix: "give the units per node, `graph_conv(8)`."
}

entry! {
    /// A readout after `->`.
    readout_after_arrow = "misuse/readout-after-arrow",
    fix: "start a line with it, `pool: conv -> mean_nodes`."
}

entry! {
    /// A readout with arguments.
    readout_with_arguments = "graph_conv/readout-with-argument",
    fix: "write `mean_nodes` or `sum_nodes` alone."
}

entry! {
    /// A graph convolution or readout reading something other than node features.
    reads_no_node_features = "graph_conv/without-graph-input",
    fix: "declare the input as a graph, `input: graph(5, 3)`, or read a `graph_conv` line."
}

// Weights baked in at compile time (`weights: "file.safetensors"`).

entry! {
    /// A tensor the network holds that the file lacks (here PReLU's slopes).
    baked_tensor_missing = "bake/missing-tensor",
    fix: "bake a file saved from this network's architecture (`nn::io::save_safetensors`), or change the network to the file's."
}

entry! {
    /// A tensor in the file that the network does not hold (here the bias of a layer
    /// declared without one).
    baked_tensor_unexpected = "bake/unexpected-tensor",
    fix: "declare the layer the file was saved from (`dense(2)`, with its bias), or remove the tensor from the file."
}

entry! {
    /// A tensor whose shape is not the layer's (here a layer reading 3 inputs where the
    /// network has 5).
    baked_tensor_shape = "bake/wrong-shape",
    fix: "give the network the widths of the network the file was saved from."
}

entry! {
    /// The same read by PyTorch's names (`weights: pytorch("..")`): the message names the
    /// file's tensor and the network's tensor it is read as.
    baked_tensor_shape_pytorch = "bake/pytorch-wrong-shape",
    fix: "give the network the widths of the PyTorch module the file was saved from."
}

entry! {
    /// A tensor of integers: baked weights are floats, `F16`, `BF16`, `F32` or `F64`, each
    /// converted to the constant's scalar.
    baked_tensor_dtype = "bake/wrong-dtype",
    fix: "save the tensor as floats."
}

entry! {
    /// A weight file that cannot be read; the path is relative to the source file naming it.
    baked_file_unreadable = "bake/unreadable-file",
    fix: "write the path relative to the file that holds the `network!` block."
}

entry! {
    /// A file that is not in the safetensors format.
    baked_file_not_safetensors = "bake/not-safetensors",
    fix: "name a `.safetensors` file, as `nn::io::save_safetensors` writes."
}

entry! {
    /// Two `weights:` lines.
    baked_file_twice = "bake/given-twice",
    fix: "keep one."
}

// ONNX models compiled by `onnx_network!` (feature `onnx`).

entry! {
    /// An ONNX operator that no line of `network!` computes; the error names the node and its
    /// operator.
    onnx_unsupported_operator = "onnx/unsupported-operator",
    fix: "export the model without it, or with the operators of the coverage table in `nn::onnx`."
}

entry! {
    /// An input whose width is a symbol rather than a number: a network's widths are fixed.
    onnx_dynamic_shape = "onnx/dynamic-shape",
    fix: "export the model with a fixed feature width (only the batch may be dynamic)."
}

entry! {
    /// A tensor of a dtype the import does not read (integers of 8 or 16 bits, strings, ...).
    onnx_unknown_dtype = "onnx/unknown-dtype",
    fix: "export the weights as float32 (or float64)."
}

entry! {
    /// An ONNX file that cannot be read; the path is relative to the source file naming it.
    onnx_unreadable_file = "onnx/unreadable-file",
    fix: "write the path relative to the file that holds the `onnx_network!` call."
}

// Calls on a network.

entry! {
    /// A call with a vector of the wrong width: widths are types, so this is rustc's error.
    call_with_wrong_width = "types/forward-wrong-width",
    fix: "pass a vector of the input's width."
}

entry! {
    /// A scalar other than `f32` or `f64`.
    unsupported_scalar = "types/unsupported-scalar-turbofish",
    fix: "use `f32` (the default) or `f64`."
}
