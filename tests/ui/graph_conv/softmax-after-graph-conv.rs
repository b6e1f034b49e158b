nn::network! {
    pub struct Nodes {
        input: graph(5, 3),
        conv: graph_conv(4) -> softmax,
        out: graph_conv(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {}
