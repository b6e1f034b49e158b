use nn::nalgebra::SVector;

nn::network! {
    pub struct Net {
        input: 2 x 10,
        states: lstm_sequence(4),
        output: dense(1),
        loss: mse,
        stream: NetState,
    }
}

fn main() {
    // The one error is the network's; code that streams it adds none of its own.
    let net = Net::<f32>::seeded(1);
    let mut state = NetState::new();
    let y: SVector<f32, 1> = net.step(&mut state, &SVector::<f32, 2>::zeros());
    state.reset();
    let _ = (y, NetState::<f64>::default());
}
