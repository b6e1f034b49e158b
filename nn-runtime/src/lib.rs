//! Runtime of the `nn` crate: what generated networks and their users call.
//!
//! Everything here is written once, generically, against the scalar trait [`Float`] and the
//! [`Network`] trait that `network!` implements for every network.
//!
//! # Features
//!
//! - `std` (default): training, optimizers, data, weight files, progress, gradient checking,
//!   heap-allocated layers ([`BoxedDense`]) and the batched kernels' per-thread scratch
//!   buffers. Without it the crate is `#![no_std]` and needs no allocator: what remains is
//!   the inference core (layers held inline, activations through `libm`, losses, dropout's
//!   masks, the [`Network`] trait), and the generated batch calls run sample by sample.
//! - `parallel`, `serde`, `onnx`: see the `nn` crate; all imply `std`.

#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

pub mod activation;
pub mod architecture;
#[cfg(feature = "std")]
pub mod data;
pub mod dropout;
#[cfg(feature = "std")]
pub mod gradcheck;
pub mod graph;
mod init;
#[cfg(feature = "std")]
pub mod io;
pub mod kernels;
mod layer;
pub mod loss;
#[cfg(feature = "std")]
pub mod metrics;
mod network;
#[cfg(feature = "onnx")]
pub mod onnx;
#[cfg(feature = "std")]
pub mod optim;
#[cfg(feature = "std")]
pub mod predict;
pub mod recurrent;
mod scalar;
pub mod simd;
pub mod summary;
#[cfg(feature = "std")]
pub mod train;

#[cfg(feature = "std")]
pub use data::{Csv, DataError, Dataset, Labels, Missing, Split, Standardizer};
#[cfg(feature = "std")]
pub use gradcheck::{gradcheck, gradcheck_with, GradCheck, GradCheckConfig};
pub use init::Init;
#[cfg(feature = "std")]
pub use io::WeightsError;
#[cfg(feature = "std")]
pub use layer::{zeroed_box, BoxedDense};
pub use layer::{Dense, Recurrent};
#[cfg(feature = "std")]
pub use metrics::ConfusionMatrix;
pub use network::{axpy, norm_squared, Model, Network, Param, ParamKind, ParamMut, StateVisitor};
#[cfg(feature = "std")]
pub use optim::{
    clip_grad_norm, Adam, AdamW, Momentum, Optimizer, RmsProp, Schedule, SettingError, Sgd,
};
#[cfg(feature = "std")]
pub use predict::{predict, predict_into, Predictions};
pub use recurrent::{Gru, Lstm};
pub use scalar::Float;
pub use summary::{LayerInfo, Summary};
#[cfg(feature = "std")]
pub use train::{load_checkpoint, Checkpoint, TrainError, TrainState, Trainer};

/// Re-exported: every network's parameters and inputs are nalgebra matrices. (Linked, not
/// inlined, in these docs: nalgebra's own documentation is where its items are described.)
#[doc(no_inline)]
pub use nalgebra;
/// Re-exported so that users can name the generator types `Net::new` takes.
#[doc(no_inline)]
pub use rand;
