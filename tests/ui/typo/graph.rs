nn::network! {
    pub struct Net {
        input: grpah(5, 3),
        conv: graph_conv(8) -> relu,
        pool: mean_nodes,
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {}
