//! nn
pub use nn_macros::network;
pub use nn_runtime::*;

#[doc(hidden)]
pub mod __private {
    pub use nalgebra::{SMatrix, SVector};
    pub use rand::SeedableRng;
    pub use rand_chacha::ChaCha8Rng;
}
