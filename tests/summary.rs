//! `summary()` and the counts behind it, checked against numbers worked out by hand.

use nn::{network, LayerInfo, Model, Network};

network! {
    /// Learns XOR.
    struct Xor {
        input: 2,
        hidden: dense(8) -> tanh,
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

network! {
    /// One line of every kind.
    struct Graph {
        input: 3,
        a: dense(4) -> prelu -> dropout(0.25),
        b: dense(4) -> relu,
        s: a + b,
        c: concat(input, s),
        m: maxout(2, 3),
        r: m -> tanh,
        drop: dropout(0.5),
        out: concat(drop, a) -> dense(3) -> softmax,
        loss: cross_entropy,
    }
}

#[test]
fn the_counts_of_a_chain_are_those_worked_by_hand() {
    // hidden: 8 x 2 weights + 8 biases; output: 1 x 8 + 1.
    assert_eq!(<Xor as Network<f32>>::PARAMS, 24 + 9);
    // hidden: 2 * 2 * 8 multiply-adds + 8 biases + 8 tanh; output: 2 * 8 + 1 + 1 sigmoid.
    assert_eq!(<Xor as Network<f32>>::FLOPS, (32 + 8 + 8) + (16 + 1 + 1));
    assert_eq!(<Xor as Network<f32>>::NAME, "Xor");
    let hidden = LayerInfo {
        name: "hidden",
        kind: "dense",
        reads: "input",
        inputs: 2,
        outputs: 8,
        params: 24,
        activation: "tanh",
        flops: 48,
    };
    assert_eq!(<Xor as Network<f32>>::LAYERS[0], hidden);
    assert_eq!(<Xor as Network<f32>>::LAYERS.len(), 2);
}

#[test]
fn every_kind_of_line_is_described() {
    let layers = <Graph<f64> as Network<f64>>::LAYERS;
    let described: Vec<(&str, &str, &str, usize, usize, &str)> = layers
        .iter()
        .map(|l| (l.name, l.kind, l.reads, l.outputs, l.params, l.activation))
        .collect();
    assert_eq!(
        described,
        [
            ("a", "dense", "input", 4, 12 + 4 + 4, "prelu(0.25), a slope per unit, dropout 0.25"),
            ("b", "dense", "a", 4, 16 + 4, "relu"),
            ("s", "add", "a + b", 4, 0, ""),
            ("c", "concat", "concat(input, s)", 7, 0, ""),
            ("m", "maxout", "c", 2, 6 * 7 + 6, "identity"),
            ("r", "activation", "m", 2, 0, "tanh"),
            ("drop", "dropout", "r", 2, 0, "dropout 0.5"),
            ("out", "dense", "concat(drop, a)", 3, 3 * 6 + 3, "softmax"),
        ]
    );
    let flops: Vec<usize> = layers.iter().map(|l| l.flops).collect();
    // a: 2*3*4 + 4 + 4 prelu; b: 2*4*4 + 4 + 4; s: one add per unit; c: copies only;
    // m: 2*7*6 + 6 + 4 comparisons; r: 2 tanh; drop: nothing in inference;
    // out: 2*6*3 + 3 + 3*3 for softmax.
    assert_eq!(flops, [32, 40, 4, 0, 94, 2, 0, 48]);
    assert_eq!(<Graph<f64> as Network<f64>>::FLOPS, flops.iter().sum::<usize>());
    assert_eq!(
        <Graph<f64> as Network<f64>>::PARAMS,
        layers.iter().map(|l| l.params).sum::<usize>()
    );
}

#[test]
fn the_table_shows_every_line_and_the_totals() {
    let table = <Graph as Network<f32>>::summary_table().to_string();
    println!("{table}");
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[0], "Graph: 3 -> 3");
    assert!(lines[1].starts_with("layer") && lines[1].contains("params"));
    assert_eq!(lines.len(), 1 + 1 + 1 + 8 + 1 + 1, "title, header, rule, 8 lines, rule, total");
    let total = lines.last().unwrap();
    assert!(total.starts_with("total"), "{total}");
    assert!(total.contains(&<Graph as Network<f32>>::PARAMS.to_string()), "{total}");
    assert!(lines[3].starts_with("a ") && lines[3].contains("dropout 0.25"), "{}", lines[3]);
}

/// Code written once against `Model` runs any network.
fn mean_loss<N: Model<f64, I, O>, const I: usize, const O: usize>(
    net: &N,
    samples: &[(nn::nalgebra::SVector<f64, I>, nn::nalgebra::SVector<f64, O>)],
) -> f64 {
    samples.iter().map(|(x, y)| net.loss(x, y)).sum::<f64>() / samples.len() as f64
}

#[test]
fn model_forwards_to_the_network_itself() {
    let net = Graph::<f64>::seeded(1);
    let x = nn::nalgebra::SVector::<f64, 3>::new(0.5, -1.0, 2.0);
    let y = nn::loss::one_hot::<f64, 3>(1).unwrap();
    assert_eq!(Model::forward(&net, &x), net.forward(&x));
    assert_eq!(mean_loss(&net, &[(x, y)]), net.loss(&x, &y));
    let xs = nn::nalgebra::SMatrix::<f64, 3, 2>::from_columns(&[x, -x]);
    let ys = nn::nalgebra::SMatrix::<f64, 3, 2>::from_columns(&[y, y]);
    let mut a = <rand_chacha::ChaCha8Rng as nn::rand::SeedableRng>::seed_from_u64(3);
    let mut b = <rand_chacha::ChaCha8Rng as nn::rand::SeedableRng>::seed_from_u64(3);
    assert_eq!(
        Model::loss_and_grad_batch_training(&net, &xs, &ys, &mut a),
        net.loss_and_grad_batch_training(&xs, &ys, &mut b)
    );
}
