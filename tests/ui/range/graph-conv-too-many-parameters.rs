nn::network! {
    pub struct Net {
        input: graph(2, 1000),
        conv: graph_conv(9) -> relu,
        pool: mean_nodes,
        output: dense(1),
        loss: mse,
    }
}

fn main() {}
