nn::network! {
    pub struct Graphs {
        input: 3,
        pool: mean_nodes,
        out: dense(1),
        loss: mse,
    }
}

fn main() {}
