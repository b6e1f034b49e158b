//! Runtime of the `nn` crate: what generated networks and their users call.
//!
//! Everything here is written once, generically, against the scalar trait [`Float`] and the
//! [`Network`] trait that `network!` implements for every network.

#![warn(missing_docs)]

pub mod activation;
pub mod data;
pub mod dropout;
pub mod gradcheck;
pub mod graph;
mod init;
pub mod io;
pub mod kernels;
mod layer;
pub mod loss;
pub mod metrics;
mod network;
pub mod optim;
pub mod predict;
pub mod recurrent;
mod scalar;
pub mod summary;
pub mod train;

pub use data::{Csv, DataError, Dataset, Labels, Missing, Split, Standardizer};
pub use gradcheck::{gradcheck, gradcheck_with, GradCheck, GradCheckConfig};
pub use init::Init;
pub use io::WeightsError;
pub use layer::{zeroed_box, BoxedDense, Dense, Recurrent};
pub use metrics::ConfusionMatrix;
pub use network::{axpy, norm_squared, Model, Network, Param, ParamKind, ParamMut, StateVisitor};
pub use optim::{
    clip_grad_norm, Adam, AdamW, Momentum, Optimizer, RmsProp, Schedule, SettingError, Sgd,
};
pub use predict::{predict, predict_into, Predictions};
pub use recurrent::{Gru, Lstm};
pub use scalar::Float;
pub use summary::{LayerInfo, Summary};
pub use train::{load_checkpoint, Checkpoint, TrainError, TrainState, Trainer};

/// Re-exported: every network's parameters and inputs are nalgebra matrices. (Linked, not
/// inlined, in these docs: nalgebra's own documentation is where its items are described.)
#[doc(no_inline)]
pub use nalgebra;
/// Re-exported so that users can name the generator types `Net::new` takes.
#[doc(no_inline)]
pub use rand;
