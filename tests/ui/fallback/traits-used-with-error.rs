use nn::data::Dataset;
use nn::prelude::*;

nn::network! {
    pub struct Net {
        input: 2,
        hidden: dense(8) -> tahn,
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

// The stub implements `Network` and `Model` too: optimizers, the trainer and the runtime's
// functions accept it, so only the mistake above is reported.
fn main() {
    let mut net = Net::<f32>::zeros();
    let grad = net.clone();
    let sgd = Sgd::new(0.1);
    sgd.step(&mut net, &grad);
    let data = Dataset::new(vec![SVector::from([0.0, 1.0])], vec![SVector::from([1.0])]).unwrap();
    let _ = Trainer::<f32, 1>::new(1).fit(&mut net, &mut Adam::new(0.01), &data, None);
    let _ = nn::io::to_safetensors_bytes(&net);
    println!("{}", Net::<f32>::summary_table());
}
