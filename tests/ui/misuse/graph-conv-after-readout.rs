nn::network! {
    pub struct Net {
        input: graph(5, 3),
        conv: graph_conv(8) -> relu,
        pool: mean_nodes,
        again: graph_conv(4) -> relu,
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {}
