//! `d` declared before `a`, both 8 wide: compiles, and every path agrees (run by
//! `tests/paths_names.rs`).

#[path = "../differential/mod.rs"]
mod differential;

use differential::Spec;
use nn::network;

network! {
    struct DBeforeA {
        input: 8,
        d: dense(8) -> tanh,
        a: dense(8) -> relu,
        out: dense(3),
        loss: mse,
    }
}
differential::differential!(d_before_a: DBeforeA, Spec::mse());

fn main() {
    differential::check::<DBeforeA<f64>, 8, 3>("DBeforeA", Spec::mse());
}
