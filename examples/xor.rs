//! XOR, the function no single neuron can compute.
//!
//! A 2-8-1 network learns the exclusive or of two bits. `network!` checks every width at
//! compile time and writes the forward and backward passes as plain Rust over statically
//! sized nalgebra matrices; training here is full-batch gradient descent on the four cases.
//!
//! Look for the loss falling by orders of magnitude in the printed table, then the four
//! predictions, each on the right side of 0.5.
//!
//! ```text
//! cargo run --release --example xor
//! ```

use nn::nalgebra::{SMatrix, SVector};
use nn::{network, Sgd};

network! {
    /// Learns XOR.
    pub struct Xor {
        input: 2,
        hidden: dense(8) -> tanh,
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

fn main() {
    // The four cases as the columns of one batch: inputs 2 x 4, targets 1 x 4.
    let xs = SMatrix::<f32, 2, 4>::from_columns(&[
        SVector::from([0.0, 0.0]),
        SVector::from([0.0, 1.0]),
        SVector::from([1.0, 0.0]),
        SVector::from([1.0, 1.0]),
    ]);
    let ys = SMatrix::<f32, 1, 4>::from([[0.0], [1.0], [1.0], [0.0]]);

    let mut net = Xor::<f32>::seeded(1);
    let sgd = Sgd::new(0.5);
    println!("{:>6}  {:>10}", "epoch", "loss");
    for epoch in 0..=2000 {
        let (loss, grad) = net.loss_and_grad_batch(&xs, &ys);
        if epoch % 250 == 0 {
            println!("{epoch:>6}  {loss:>10.6}");
        }
        sgd.step(&mut net, &grad);
    }

    let predictions = net.forward_batch(&xs);
    let mut correct = 0;
    for (j, x) in xs.column_iter().enumerate() {
        let p = predictions[j];
        let hit = (p > 0.5) == (ys[j] > 0.5);
        correct += usize::from(hit);
        println!("{} xor {} -> {p:.4}  {}", x[0], x[1], if hit { "ok" } else { "wrong" });
    }
    println!("accuracy: {correct}/4");
    assert_eq!(correct, 4, "XOR was not learnt");
}

#[cfg(test)]
mod tests {
    /// `cargo test` runs the example, so a change that breaks it fails the tests.
    #[test]
    fn runs() {
        super::main()
    }
}
