// `nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))` read by PyTorch's names into a
// network of 4 inputs: the message names the file's tensor and the line it is read as.
nn::network! {
    struct Net {
        input: 4,
        hidden: dense(8) -> tanh,
        out: dense(3),
        loss: mse,
        weights: pytorch("../../fixtures/sequential_tanh.safetensors"),
    }
}

fn main() {}
