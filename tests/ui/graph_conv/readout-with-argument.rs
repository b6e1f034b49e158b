nn::network! {
    pub struct Graphs {
        input: graph(5, 3),
        pool: sum_nodes(2),
        out: dense(1),
        loss: mse,
    }
}

fn main() {}
