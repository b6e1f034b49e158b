nn::network! {
    pub struct Nodes {
        input: 3,
        conv: graph_conv(4) -> relu,
        out: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {}
