//! Every path agrees whatever the lines are called: the networks whose names met the
//! identifiers the batched backward pass binds (`d_<line>`, `<line>_a`, `<line>_z`, the
//! temporaries `t_a`…`t_d`), each with a layer at least 8 wide both ways so that batches of 6
//! or more take the batched path. Collisions there shadowed one binding with another and
//! returned wrong gradients without an error, or failed to compile at the user's tokens.

mod differential;

use differential::{differential, Spec};
use nn::network;

network! {
    /// `d`'s gradient is `d_d`, `a`'s activation `a_a`; the batched pass also binds `d_a`.
    struct NamedAD {
        input: 8,
        a: dense(8) -> tanh,
        d: dense(1) -> sigmoid,
        loss: mse,
    }
}
differential!(named_a_and_d: NamedAD, Spec::mse());

network! {
    /// `a`, `d` and `out`, all 8 wide.
    struct NamedADOut {
        input: 8,
        a: dense(8),
        d: dense(8),
        out: dense(8),
        loss: mse,
    }
}
differential!(named_a_d_and_out: NamedADOut, Spec::mse());

network! {
    /// A line named like the batched pass's temporaries.
    struct NamedT {
        input: 8,
        t: dense(8) -> tanh,
        a: dense(8) -> relu,
        out: dense(3),
        loss: mse,
    }
}
differential!(named_t: NamedT, Spec::mse());

network! {
    /// `d` declared before `a`, both 8 wide, once failed to compile (E0502, "cannot borrow
    /// `*d_a`…", pointed at the user's tokens).
    struct DBeforeA {
        input: 8,
        d: dense(8) -> tanh,
        a: dense(8) -> relu,
        out: dense(3),
        loss: mse,
    }
}
differential!(d_declared_before_a: DBeforeA, Spec::mse());
