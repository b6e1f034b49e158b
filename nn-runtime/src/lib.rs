//! Runtime of the `nn` crate.

pub mod activation;
pub mod loss;
mod scalar;

pub use scalar::Float;
