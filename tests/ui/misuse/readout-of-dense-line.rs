nn::network! {
    pub struct Net {
        input: graph(5, 3),
        conv: graph_conv(8) -> relu,
        flat: dense(4),
        pool: mean_nodes,
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {}
