//! Tests of the whole pipeline through `expand::network`, outside any proc macro: what valid
//! blocks expand to, and that no input, however malformed, makes the macro panic.

use std::panic::{self, AssertUnwindSafe};

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use quote::ToTokens;

use crate::expand;

const XOR: &str = "
    /// Learns XOR.
    pub struct Xor {
        input: 2,
        hidden: dense(8) -> tanh,
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
";

/// Valid blocks covering every kind of line, the activations with a parameter, attributes,
/// visibilities and settings in any order.
const VALID: &[&str] = &[
    XOR,
    "
    #[allow(dead_code)]
    pub(crate) struct Iris {
        input: 4,
        l2: 1e-4,
        hidden: dense(16) -> relu,
        output: dense(3) -> softmax,
        loss: cross_entropy,
    }
    ",
    "
    /// Every activation with a parameter.
    struct Deep {
        loss: mse,
        input: 3,
        a: dense(4) -> leaky_relu(0.1),
        b: dense(5) -> elu(-1.5),
        c: dense(6) -> swish(2),
        d: dense(5) -> gelu_tanh,
        e: dense(2),
        l2: 0,
    }
    ",
    "struct M { input: 1, out: dense(1) -> identity, loss: mse }",
    "
    /// A graph: named sources, a sum, concatenations, maxout, learnable activations, dropout.
    pub struct Skip {
        input: 3,
        a: dense(4) -> prelu,
        b: dense(4) -> tanh -> dropout(0.2),
        s: a + b -> relu,
        c: concat(input, s),
        drop: dropout(0.5),
        m: c -> maxout(3, 2) -> swish_learnable(0.5),
        h: a -> dense(4) -> prelu_shared(0.1),
        out: concat(m, a, h, drop) -> dense(2) -> sigmoid,
        loss: binary_cross_entropy,
    }
    ",
    "
    struct Memory {
        input: 3 x 10,
        first: rnn_sequence(4) -> tanh,
        second: rnn(5) -> sigmoid -> dropout(0.1),
        out: concat(second, first) -> dense(2) -> softmax,
        loss: cross_entropy,
    }
    ",
    "
    struct Gated {
        input: 3 x 10,
        first: lstm_sequence(4) -> dropout(0.1),
        second: gru_sequence(5),
        third: lstm(3),
        fourth: first -> gru(2),
        out: concat(third, fourth) -> dense(2) -> softmax,
        loss: cross_entropy,
        stream: GatedState,
    }
    ",
    "
    struct Nodes {
        input: graph(5, 3),
        first: graph_conv(4) -> relu -> dropout(0.2),
        pool: mean_nodes,
        out: first -> graph_conv(1) -> sigmoid,
        both: concat(pool, out) -> dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
    ",
    "
    /// Every kind of line, each wide enough for the batched path.
    struct Wide {
        input: 6,
        a: dense(12) -> prelu,
        b: dense(12) -> tanh -> dropout(0.3),
        s: a + b -> relu,
        c: concat(input, s),
        m: c -> maxout(9, 2) -> swish_learnable,
        h: a -> dense(9) -> prelu_shared,
        g: m + h -> gelu,
        out: concat(g, a) -> dense(7) -> softmax,
        loss: cross_entropy,
        l2: 0.01,
    }
    ",
    "
    /// Memory networks wide enough for the batched path.
    struct WideMemory {
        input: 8 x 6,
        first: rnn_sequence(8) -> tanh -> dropout(0.1),
        second: rnn(9) -> relu,
        out: dense(2),
        loss: mse,
    }
    ",
    "
    /// Graph networks wide enough for the batched path.
    struct WideNodes {
        input: graph(4, 8),
        first: graph_conv(8) -> relu -> dropout(0.2),
        pool: mean_nodes,
        total: first -> sum_nodes,
        out: concat(pool, total) -> dense(2) -> sigmoid,
        loss: binary_cross_entropy,
    }
    ",
    "
    /// Gated memory networks wide enough for the batched path.
    struct WideGated {
        input: 8 x 5,
        first: lstm_sequence(8) -> dropout(0.1),
        second: gru_sequence(9),
        third: first -> lstm(8),
        fourth: second -> gru(10),
        out: concat(third, fourth) -> dense(2),
        loss: mse,
    }
    ",
    "
    struct Conventions {
        input: 2,
        torch: dense(3) -> hard_sigmoid_pytorch,
        onnx: dense(3) -> hard_sigmoid_onnx,
        sum: torch + onnx + torch -> softmax,
        loss: cross_entropy,
    }
    ",
];

fn expand(src: &str) -> TokenStream {
    expand::network(src.parse().expect("the test's block lexes"))
}

fn expand_file(src: &str) -> syn::File {
    let out = expand(src);
    syn::parse2(out.clone()).unwrap_or_else(|e| panic!("expansion is not a Rust file: {e}\n{out}"))
}

fn has_compile_error(tokens: &TokenStream) -> bool {
    tokens.to_string().contains("compile_error")
}

/// A token of a flattened stream: a group's delimiters are tokens of their own.
enum Flat {
    Delimiter(char),
    Token(TokenTree),
}

impl Flat {
    fn text(&self) -> String {
        match self {
            Flat::Delimiter(c) => c.to_string(),
            Flat::Token(tree) => tree.to_string(),
        }
    }
}

/// Every token in order, groups entered.
fn flatten(tokens: TokenStream, out: &mut Vec<Flat>) {
    for tree in tokens {
        match tree {
            TokenTree::Group(group) => {
                let (open, close) = delimiters(group.delimiter());
                out.push(Flat::Delimiter(open));
                flatten(group.stream(), out);
                out.push(Flat::Delimiter(close));
            }
            other => out.push(Flat::Token(other)),
        }
    }
}

fn delimiters(delimiter: Delimiter) -> (char, char) {
    match delimiter {
        Delimiter::Parenthesis => ('(', ')'),
        Delimiter::Brace => ('{', '}'),
        Delimiter::Bracket => ('[', ']'),
        // Not produced by lexing a string.
        Delimiter::None => (' ', ' '),
    }
}

fn token_count(tokens: TokenStream) -> usize {
    let mut flat = Vec::new();
    flatten(tokens, &mut flat);
    flat.len()
}

fn error_messages(src: &str) -> Vec<String> {
    let out = expand(src);
    assert!(has_compile_error(&out), "expected errors from\n{src}");
    let file: syn::File = syn::parse2(out).expect("errors and stub are a Rust file");
    file.items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Macro(m) if m.mac.path.segments.last().unwrap().ident == "compile_error" => {
                let message: syn::LitStr = m.mac.parse_body().expect("a message literal");
                Some(message.value())
            }
            _ => None,
        })
        .collect()
}

#[test]
fn xor_expands_to_a_struct_with_one_field_per_layer_and_a_network_impl() {
    let file = expand_file(XOR);
    let structs: Vec<&syn::ItemStruct> = file
        .items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(s) if s.ident == "Xor" => Some(s),
            _ => None,
        })
        .collect();
    let [xor] = structs.as_slice() else { panic!("one `struct Xor` expected") };
    let fields: Vec<String> =
        xor.fields.iter().map(|f| f.ident.as_ref().unwrap().to_string()).collect();
    assert_eq!(fields, ["hidden", "output"]);
    assert!(xor.attrs.iter().any(|a| a.path().is_ident("doc")), "the doc comment is kept");

    // The impls sit inside the expansion's anonymous `const _: () = { ... };`.
    let inner: Vec<&syn::Item> = file
        .items
        .iter()
        .flat_map(|item| match item {
            syn::Item::Const(c) => match &*c.expr {
                syn::Expr::Block(block) => block
                    .block
                    .stmts
                    .iter()
                    .filter_map(|s| match s {
                        syn::Stmt::Item(item) => Some(item),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            },
            item => vec![item],
        })
        .collect();
    let network_impl = inner.iter().any(|item| match item {
        syn::Item::Impl(imp) => {
            let for_xor = imp.self_ty.to_token_stream().to_string().starts_with("Xor");
            let trait_name =
                imp.trait_.as_ref().map(|t| t.1.segments.last().unwrap().ident.to_string());
            for_xor && trait_name.as_deref() == Some("Network")
        }
        _ => false,
    });
    assert!(network_impl, "`impl ... Network<T> for Xor<T>` expected");

    let text = file.to_token_stream().to_string();
    assert!(!text.contains("compile_error"));
    for method in [
        "seeded",
        "new",
        "forward",
        "forward_batch",
        "loss",
        "loss_and_grad",
        "loss_and_grad_batch",
    ] {
        assert!(text.contains(&format!("fn {method}")), "missing `fn {method}`");
    }
}

#[test]
fn every_valid_block_expands_without_errors() {
    for src in VALID {
        let out = expand(src);
        assert!(!has_compile_error(&out), "errors from a valid block:\n{src}\n{out}");
        syn::parse2::<syn::File>(out).unwrap();
    }
}

#[test]
fn lint_attributes_are_put_on_the_struct() {
    let file = expand_file(VALID[1]);
    let iris = file.items.iter().find_map(|item| match item {
        syn::Item::Struct(s) if s.ident == "Iris" => Some(s),
        _ => None,
    });
    assert!(iris.unwrap().attrs.iter().any(|a| a.path().is_ident("allow")));
}

/// The element loops live in nalgebra: widths only change literals (and, past 64 KiB of
/// parameters, `Dense` to `BoxedDense`), while every layer adds the same code.
#[test]
fn generated_code_grows_with_layers_not_neurons() {
    let block = |widths: &[usize]| {
        let layers: String =
            widths.iter().enumerate().map(|(i, w)| format!("h{i}: dense({w}) -> relu,")).collect();
        format!("struct Net {{ input: 8, {layers} loss: mse }}")
    };
    // Both wide enough for the kernels (the layout the generator picks per layer; the
    // tiniest layers stay inline), so they differ in their widths alone.
    let mut narrow = Vec::new();
    flatten(expand(&block(&[16, 16])), &mut narrow);
    let mut wide = Vec::new();
    flatten(expand(&block(&[800, 800])), &mut wide);
    assert_eq!(narrow.len(), wide.len());
    for (a, b) in narrow.iter().zip(&wide) {
        match (a, b) {
            (Flat::Token(TokenTree::Literal(_)), Flat::Token(TokenTree::Literal(_))) => {}
            (Flat::Token(TokenTree::Ident(a)), Flat::Token(TokenTree::Ident(b)))
                if a == "Dense" && b == "BoxedDense" => {}
            _ => assert_eq!(a.text(), b.text()),
        }
    }

    let sizes: Vec<usize> =
        (1..=4).map(|layers| token_count(expand(&block(&vec![8; layers])))).collect();
    let added: Vec<usize> = sizes.windows(2).map(|w| w[1].saturating_sub(w[0])).collect();
    assert!(added[0] > 0, "a layer adds code: {sizes:?}");
    assert_eq!(added[1], added[2], "every hidden layer adds the same code: {sizes:?}");
}

/// A recurrent layer is a loop with static bounds: ten steps or a thousand, the same code.
#[test]
fn generated_code_does_not_grow_with_the_steps() {
    let block = |steps: usize| {
        format!(
            "struct Seq {{ input: 3 x {steps}, r: rnn_sequence(4) -> tanh, s: rnn(5) -> tanh, out: dense(2), loss: mse }}"
        )
    };
    let mut short = Vec::new();
    flatten(expand(&block(10)), &mut short);
    let mut long = Vec::new();
    flatten(expand(&block(1000)), &mut long);
    assert_eq!(short.len(), long.len());
    for (a, b) in short.iter().zip(&long) {
        match (a, b) {
            (Flat::Token(TokenTree::Literal(_)), Flat::Token(TokenTree::Literal(_))) => {}
            _ => assert_eq!(a.text(), b.text()),
        }
    }
}

/// Batches of every layer take the batched path: recurrent layers a step at a time over the
/// batch, graph convolutions one product over every node of every sample.
#[test]
fn which_layers_take_the_batched_path() {
    let batched = |src: &str| expand(src).to_string().contains("fn backprop_batched");
    let net = |lines: &str| format!("struct N {{ {lines} out: dense(2), loss: mse }}");
    for layer in ["rnn(9) -> tanh", "rnn_sequence(9)", "lstm(9)", "lstm_sequence(9)", "gru(9)"] {
        assert!(batched(&net(&format!("input: 8 x 6, r: {layer},"))), "{layer}");
    }
    let text = expand(&net("input: 8 x 6, r: rnn_sequence(9), s: rnn(8) -> relu,")).to_string();
    for call in ["take_rows", "add_to_rows", "add_column_sums", "linear_backward_params"] {
        assert!(text.contains(call), "the batched rnn calls `{call}`");
    }
    let text = expand(&net("input: 8 x 6, r: gru_sequence(9), s: lstm(8),")).to_string();
    for call in ["gru_cells", "gru_cells_backward", "lstm_cells", "lstm_cells_backward"] {
        assert!(text.contains(call), "the batched gated layers call `{call}`");
    }
    for lines in [
        "input: graph(8, 8), g: graph_conv(8) -> tanh, p: mean_nodes,",
        "input: graph(8, 8), g: graph_conv(8) -> tanh, h: g -> sum_nodes, k: dense(8),",
    ] {
        assert!(batched(&net(lines)), "{lines}");
    }
}

#[test]
fn errors_come_with_a_stub_of_the_struct() {
    let file = expand_file(&XOR.replace("tanh", "tahn"));
    let stub = file.items.iter().find_map(|item| match item {
        syn::Item::Struct(s) if s.ident == "Xor" => Some(s),
        _ => None,
    });
    assert!(stub.is_some(), "the stub declares `struct Xor`");
    let text = file.to_token_stream().to_string();
    for method in ["fn seeded", "fn new", "fn forward", "fn loss_and_grad_batch_training", "fn vjp"]
    {
        assert!(text.contains(method), "the stub lacks `{method}`");
    }
    assert!(text.contains(":: nn :: Network < T > for Xor < T >"), "{text}");
    // The widths the block shows are kept: 2 inputs, 1 output.
    assert!(text.contains("fn forward (& self , _x : & :: nn :: __private :: SVector < T , 2 >) -> :: nn :: __private :: SVector < T , 1 >"), "{text}");
}

/// A width the block does not show becomes a const parameter of the stub's methods, so that
/// any call type-checks; even a block that does not parse declares its struct.
#[test]
fn a_stub_leaves_unknown_widths_open() {
    let text = expand(&XOR.replace("input: 2", "input: 0")).to_string();
    assert!(text.contains("fn forward < const I : usize > (& self , _x : & :: nn :: __private :: SVector < T , I >) -> :: nn :: __private :: SVector < T , 1 >"), "{text}");
    // A missing comma loses the two lines it joins; the lines that parse keep their widths.
    let text = expand(&XOR.replace("tanh,", "tanh")).to_string();
    assert!(text.contains("compile_error"), "{text}");
    assert!(text.contains("fn forward < const O : usize > (& self , _x : & :: nn :: __private :: SVector < T , 2 >)"), "{text}");
    let text = expand(&XOR.replace("input: 2,", "input: 2")).to_string();
    assert!(text.contains("compile_error"), "{text}");
    assert!(text.contains("fn forward < const I : usize > (& self , _x : & :: nn :: __private :: SVector < T , I >) -> :: nn :: __private :: SVector < T , 1 >"), "{text}");
}

#[test]
fn all_errors_are_reported_together() {
    let messages = error_messages(
        "struct Xor { input: 0, hidden: dense(8) -> rellu, hidden: dens(4), loss: mes, l2: -1 }",
    );
    assert_eq!(
        messages,
        [
            "`input` needs a width of at least 1",
            "unknown activation `rellu`; did you mean `relu`?",
            "a layer named `hidden` is already defined above; layer names must be unique",
            "unknown layer kind `dens`; did you mean `dense`?",
            "unknown loss `mes`; did you mean `mse`?",
            "the `l2` coefficient must be zero or positive",
        ]
    );
}

#[test]
fn a_misspelt_setting_is_suggested_and_not_also_missing() {
    let messages = error_messages(&XOR.replace("input:", "inptu:"));
    assert_eq!(messages, ["unknown setting `inptu`; did you mean `input`?"]);
    let messages = error_messages(&XOR.replace("loss:", "los:"));
    assert_eq!(messages, ["unknown setting `los`; did you mean `loss`?"]);
}

#[test]
fn a_duplicate_of_a_broken_layer_is_still_a_duplicate() {
    let messages =
        error_messages("struct N { input: 2, a: dense(0), a: dense(1) -> sigmoid, loss: mse }");
    assert_eq!(messages.len(), 2, "{messages:#?}");
    assert!(messages[1].contains("already defined"), "{messages:#?}");
}

#[test]
fn widths_too_large_for_memory_are_errors() {
    for block in [
        "struct N { input: 18446744073709551615, out: dense(2), loss: mse }",
        "struct N { input: 2, out: dense(18446744073709551615), loss: mse }",
        "struct N { input: 2, a: dense(4294967296), b: dense(4294967296), loss: mse }",
    ] {
        let messages = error_messages(block);
        assert_eq!(messages.len(), 1, "{messages:#?}");
        assert!(messages[0].contains("at most 8192 wide"), "{messages:#?}");
    }
}

#[test]
fn graph_errors_name_what_is_wrong() {
    let messages = error_messages(
        "struct N { input: 2, a: dense(3), b: dense(4), s: a + b, t: c -> dense(2), u: hiden, c: dense(2), loss: mse }",
    );
    assert_eq!(
        messages,
        [
            "cannot add `b` of width 4 to `a` of width 3; the terms of a sum need the same width",
            "`c` is defined below line `t`; a line reads from the input and the lines above it, so that the network has no cycles: move `c` above `t`",
            "unknown layer kind `hiden`; expected one of `dense`, `maxout`, `rnn`, `rnn_sequence`, `lstm`, `lstm_sequence`, `gru`, `gru_sequence`, `graph_conv`",
        ]
    );
    let messages = error_messages(
        "struct N { input: 2, hidden: dense(3), out: hiden -> dense(1), loss: mse }",
    );
    assert_eq!(messages, ["no node named `hiden` above line `out`; did you mean `hidden`?"]);
}

/// The node that nothing reads is reported through a deprecated constant at its name.
#[test]
fn an_unread_node_expands_to_a_warning() {
    let text =
        expand("struct N { input: 2, a: dense(3), unread: dense(3), b: a -> dense(1), loss: mse }")
            .to_string();
    assert!(!text.contains("compile_error"), "{text}");
    assert!(text.contains("node `unread` is computed but never read"), "{text}");
    assert_eq!(text.matches("deprecated").count(), 1, "{text}");
}

/// A node read by several lines gets one accumulator, added to by each reader.
#[test]
fn gradients_meet_where_a_node_feeds_several_others() {
    let text = expand(
        "struct N { input: 2, a: dense(3), b: dense(3), c: a + b, d: concat(a, c) -> dense(1), loss: mse }",
    )
    .to_string();
    // Once in the loss's backward pass, once in `vjp`'s.
    assert_eq!(text.matches("let mut a_d").count(), 2, "{text}");
    assert_eq!(text.matches("a_d +=").count(), 2 * 3, "b, c and d read `a`: {text}");
}

// The macro never panics.

/// A small deterministic generator (xorshift64*): the same variants on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Tokens substituted into valid blocks: numbers out of range or of the wrong kind, words of
/// the language in the wrong places, and punctuation that unbalances or reshapes a line.
const REPLACEMENTS: &[&str] = &[
    "0",
    "-1",
    "1",
    "2",
    "8",
    "1e400",
    "-1e400",
    "18446744073709551616",
    "18446744073709551615",
    "0.5",
    "-0.0",
    "1u8",
    "0x10",
    "1_000",
    "\"8\"",
    "'c'",
    "b\"x\"",
    "true",
    "dense",
    "relu",
    "leaky_relu",
    "softmax",
    "sigmoid",
    "swish",
    "input",
    "loss",
    "l2",
    "mse",
    "cross_entropy",
    "binary_cross_entropy",
    "hidden",
    "output",
    "struct",
    "pub",
    "Xor",
    "self",
    "r#type",
    "_",
    "->",
    ",",
    ":",
    "::",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "<",
    ">",
    "#",
    "=",
    "-",
    "+",
    "'a",
    "()",
    "{}",
    "(8)",
    "(8, 8)",
    "(a)",
    "-> relu",
    "-> dense(2)",
    "maxout",
    "(2, 1)",
    "dropout",
    "(1.0)",
    "concat",
    "(a, b)",
    "prelu",
    "+ a",
    "a",
    "s",
    "m",
    "rnn",
    "rnn_sequence",
    "x",
    "4 x 10",
    "graph",
    "graph_conv",
    "(5, 3)",
    "mean_nodes",
];

/// A block as a list of source fragments: every token, with the two sides of a group as
/// tokens of their own and multi-character operators (`->`, `::`) kept whole.
fn atoms(src: &str) -> Vec<String> {
    let mut flat = Vec::new();
    flatten(src.parse().unwrap(), &mut flat);
    let mut atoms: Vec<String> = Vec::new();
    let mut joint = false;
    for flat in flat {
        let text = flat.text();
        match &flat {
            Flat::Token(TokenTree::Punct(p)) => {
                if joint {
                    atoms.last_mut().unwrap().push_str(&text);
                } else {
                    atoms.push(text);
                }
                joint = p.spacing() == Spacing::Joint;
            }
            _ => {
                atoms.push(text);
                joint = false;
            }
        }
    }
    atoms
}

/// The source of a prefix of `atoms`, with the groups it leaves open closed.
fn balanced_prefix(atoms: &[String]) -> String {
    let mut open = Vec::new();
    for atom in atoms {
        match atom.as_str() {
            "(" => open.push(")"),
            "[" => open.push("]"),
            "{" => open.push("}"),
            ")" | "]" | "}" => {
                open.pop();
            }
            _ => {}
        }
    }
    let mut src = atoms.join(" ");
    for close in open.iter().rev() {
        src.push(' ');
        src.push_str(close);
    }
    src
}

/// The lines of the body (between the outer braces), as ranges of atoms without their comma.
fn body_lines(atoms: &[String]) -> Vec<std::ops::Range<usize>> {
    let start = atoms.iter().position(|a| a == "{").unwrap() + 1;
    let mut lines = Vec::new();
    let (mut depth, mut line_start) = (0usize, start);
    for (i, atom) in atoms.iter().enumerate().skip(start) {
        match atom.as_str() {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" if depth > 0 => depth -= 1,
            "}" if depth == 0 => {
                if line_start < i {
                    lines.push(line_start..i);
                }
                break;
            }
            "}" => depth -= 1,
            "," if depth == 0 => {
                lines.push(line_start..i);
                line_start = i + 1;
            }
            _ => {}
        }
    }
    lines
}

/// What a variant must expand to.
#[derive(Clone, Copy, PartialEq)]
enum Expect {
    /// Errors: the variant is known to be wrong.
    Errors,
    /// Either errors or a complete network: the variant may happen to be valid.
    Anything,
}

struct Findings {
    tried: usize,
    failures: Vec<String>,
}

impl Findings {
    /// Expands `src` (skipped if it does not lex) and records what went wrong, if anything.
    fn check(&mut self, src: &str, expect: Expect) {
        let Ok(tokens) = src.parse::<TokenStream>() else { return };
        self.tried += 1;
        let out = match panic::catch_unwind(AssertUnwindSafe(|| expand::network(tokens))) {
            Ok(out) => out,
            Err(payload) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                self.failures.push(format!("panicked ({message}) on: {src}"));
                return;
            }
        };
        let errors = has_compile_error(&out);
        if expect == Expect::Errors && !errors {
            self.failures.push(format!("no error for: {src}"));
        }
        if let Err(e) = syn::parse2::<syn::File>(out) {
            self.failures.push(format!("expansion is not a Rust file ({e}) for: {src}"));
        }
    }
}

#[test]
fn the_macro_never_panics() {
    let mut findings = Findings { tried: 0, failures: Vec::new() };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);

    for src in VALID {
        let atoms = atoms(src);
        let lines = body_lines(&atoms);
        let loss_name = lines
            .iter()
            .find(|l| atoms[l.start] == "loss")
            .map(|l| l.start + 2)
            .expect("every valid block has a loss");

        // Every truncation, as is (most do not lex) and with its open groups closed. A
        // prefix that stops before the loss's name has no complete `loss:` line.
        for len in 0..atoms.len() {
            let expect = if len <= loss_name { Expect::Errors } else { Expect::Anything };
            findings.check(&atoms[..len].join(" "), expect);
            findings.check(&balanced_prefix(&atoms[..len]), expect);
        }

        // A line twice: a duplicate layer name or a setting given twice.
        for line in &lines {
            let mut variant = atoms[..line.end].to_vec();
            variant.push(",".into());
            variant.extend_from_slice(&atoms[line.clone()]);
            variant.extend_from_slice(&atoms[line.end..]);
            findings.check(&variant.join(" "), Expect::Errors);
        }

        // Without its `input:` or `loss:` line.
        for line in lines.iter().filter(|l| ["input", "loss"].contains(&atoms[l.start].as_str())) {
            let end = (line.end + 1).min(atoms.len());
            let variant = [&atoms[..line.start], &atoms[end..]].concat();
            findings.check(&variant.join(" "), Expect::Errors);
        }

        // Every width replaced by something that is not a width.
        let widths: Vec<usize> = (2..atoms.len())
            .filter(|&i| {
                (atoms[i - 2] == "dense" && atoms[i - 1] == "(")
                    || (atoms[i - 2] == "input" && atoms[i - 1] == ":")
            })
            .collect();
        for &i in &widths {
            for bad in [
                "0",
                "-1",
                "1e400",
                "0.5",
                "18446744073709551616",
                "18446744073709551615",
                "x",
                "\"8\"",
                "-",
            ] {
                let mut variant = atoms.clone();
                variant[i] = bad.into();
                findings.check(&variant.join(" "), Expect::Errors);
            }
        }

        // Random damage: shuffles, deletions, duplications and replacements of tokens.
        for round in 0..1500 {
            let mut variant = atoms.clone();
            match round % 4 {
                0 => {
                    // Swap a few pairs, or shuffle everything.
                    let swaps = if round % 16 == 0 { variant.len() } else { 1 + rng.below(3) };
                    for _ in 0..swaps {
                        let (i, j) = (rng.below(variant.len()), rng.below(variant.len()));
                        variant.swap(i, j);
                    }
                }
                1 => {
                    for _ in 0..1 + rng.below(3) {
                        variant.remove(rng.below(variant.len()));
                    }
                }
                2 => {
                    for _ in 0..1 + rng.below(3) {
                        let i = rng.below(variant.len());
                        let n = 1 + rng.below(4).min(variant.len() - i - 1);
                        let copy = variant[i..i + n].to_vec();
                        variant.splice(i..i, copy);
                    }
                }
                _ => {
                    for _ in 0..1 + rng.below(3) {
                        let i = rng.below(variant.len());
                        variant[i] = (*rng.pick(REPLACEMENTS)).into();
                    }
                }
            }
            findings.check(&variant.join(" "), Expect::Anything);
            findings.check(&balanced_prefix(&variant), Expect::Anything);
        }
    }

    assert!(findings.tried > 5000, "only {} variants lexed", findings.tried);
    assert!(
        findings.failures.is_empty(),
        "{} of {} variants failed; the first:\n{}",
        findings.failures.len(),
        findings.tried,
        findings.failures.iter().take(10).cloned().collect::<Vec<_>>().join("\n")
    );
}

// The generator's vocabulary.

/// Every identifier the expansions of `VALID` contain other than the network's name (and the
/// `__<Net>Trace` and `__<Net>Passes` items named after it), the state type `stream:` names,
/// its lines' names and their
/// `<line>_<role>` intermediates: the generator's own words (keywords,
/// paths, methods, locals). It is committed in `generate/vocabulary.txt`, which the name
/// torture test (tests/names.rs of `nn`) reads: a new word fails here until it is listed, and
/// there until a network of the torture test uses it as a line name.
#[test]
fn the_generators_vocabulary_is_the_committed_list() {
    use std::collections::BTreeSet;

    fn idents(tokens: TokenStream, out: &mut BTreeSet<String>) {
        for tree in tokens {
            match tree {
                TokenTree::Ident(ident) => {
                    out.insert(ident.to_string());
                }
                TokenTree::Group(group) => idents(group.stream(), out),
                TokenTree::Punct(_) | TokenTree::Literal(_) => {}
            }
        }
    }

    let mut words = BTreeSet::new();
    for src in VALID {
        let def: crate::parse::NetworkDef = syn::parse_str(src).expect("a valid block");
        let lines: Vec<String> = def.lines.iter().map(|l| l.key.to_string()).collect();
        let mut found = BTreeSet::new();
        idents(expand(src), &mut found);
        for word in found {
            let derived = word.rsplit_once('_').is_some_and(|(line, role)| {
                lines.iter().any(|l| l == line) && crate::generate::ROLES.contains(&role)
            });
            // The network's name, and the items named after it inside the anonymous `const`.
            let name = def.name.to_string();
            let items = [format!("__{name}Trace"), format!("__{name}Passes")];
            // The state type `stream:` names.
            let state = def.lines.iter().any(|l| {
                l.key == "stream"
                    && matches!(&l.stages[..], [crate::parse::Stage::Call { name, .. }] if *name == word)
            });
            let user = word == name || items.contains(&word) || lines.contains(&word) || state;
            if !derived && !user {
                words.insert(word);
            }
        }
    }
    let listed: BTreeSet<String> = include_str!("generate/vocabulary.txt")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    let new: Vec<&String> = words.difference(&listed).collect();
    let gone: Vec<&String> = listed.difference(&words).collect();
    assert!(
        new.is_empty() && gone.is_empty(),
        "generate/vocabulary.txt is out of date: add {new:?}, remove {gone:?}; its whole list:\n{}",
        words.iter().cloned().collect::<Vec<_>>().join("\n")
    );
}

/// A doc comment above a line documents its field, before the generated description.
#[test]
fn doc_comments_on_lines_document_their_fields() {
    let file = expand_file(
        "struct N { input: 2, /// The hidden layer.\n hidden: dense(3), out: dense(1), loss: mse }",
    );
    let fields = file.items.iter().find_map(|item| match item {
        syn::Item::Struct(s) if s.ident == "N" => Some(s.fields.clone()),
        _ => None,
    });
    let hidden = fields.iter().flatten().find(|f| f.ident.as_ref().is_some_and(|i| i == "hidden"));
    let docs: Vec<String> = hidden
        .expect("a field `hidden`")
        .attrs
        .iter()
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => Some(nv.value.to_token_stream().to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(docs[..2], ["\" The hidden layer.\"", "\"\""], "{docs:#?}");
    assert!(docs[2].contains("Layer `hidden`: dense 2 -> 3"), "{docs:#?}");
}

/// An integer literal may carry an integer type's suffix its value fits, and no other suffix;
/// `4x10` and its spacings are the sequence `4 x 10`.
#[test]
fn literal_suffixes_follow_one_rule() {
    let block = |width: &str| format!("struct N {{ input: 2, out: dense({width}), loss: mse }}");
    for accepted in ["8usize", "255u8", "127i8", "8u16", "8u32", "8u64", "8u128", "8isize", "0x10"]
    {
        assert!(!has_compile_error(&expand(&block(accepted))), "`{accepted}`");
    }
    for (rejected, message) in [
        ("256u8", "`256u8` does not fit in `u8`, whose largest value is 255; write `256`"),
        ("128i8", "`128i8` does not fit in `i8`, whose largest value is 127; write `128`"),
        ("8abc", "invalid suffix `abc` on `8abc`; write the number alone, `8` (an integer literal may carry an integer type's suffix, like `8usize`)"),
        ("8f32", "invalid suffix `f32` on `8f32`; write the number alone, `8` (an integer literal may carry an integer type's suffix, like `8usize`)"),
        ("8x2", "invalid suffix `x2` on `8x2`; write the number alone, `8` (an integer literal may carry an integer type's suffix, like `8usize`)"),
    ] {
        assert_eq!(error_messages(&block(rejected)), [message], "`{rejected}`");
    }
    for sequence in ["4x10", "4x 10", "4 x10", "4 x 10"] {
        let src = format!("struct N {{ input: {sequence}, m: rnn(3), out: dense(1), loss: mse }}");
        assert!(!has_compile_error(&expand(&src)), "`{sequence}`");
    }
    let messages =
        error_messages("struct N { input: 2, out: dense(1) -> leaky_relu(1e999), loss: mse }");
    assert_eq!(messages, ["`1e999` is not a finite number; the slope of `leaky_relu` may be any finite number, like `leaky_relu(0.01)`"]);
}
