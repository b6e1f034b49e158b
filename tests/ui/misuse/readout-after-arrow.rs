nn::network! {
    pub struct Net {
        input: graph(5, 3),
        conv: graph_conv(8) -> relu,
        pool: conv -> relu -> mean_nodes,
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {}
