nn::network! {
    pub struct Net {
        input: graph(100, 3),
        conv: graph_conv(8) -> relu,
        pool: mean_nodes,
        output: dense(1),
        loss: mse,
    }
}

fn main() {}
