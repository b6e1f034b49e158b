//! How each layer's arithmetic is laid out, chosen at compile time from its widths.
//!
//! - **Inline**: nalgebra's statically sized products written into the pass, compiled for the
//!   target's baseline with the rest of the user's crate. No call, no dispatch: the fastest
//!   form for layers so small that a call costs more than the arithmetic (a 2-8-1 network's
//!   whole step is a few hundred instructions).
//! - **Kernel**: a call into `nn::kernels` (`dense`, `affine`, `tr_mul`, `outer`, `activate`),
//!   compiled once for every vector-unit level and dispatched at run time
//!   (`nn::simd`): fused multiply-adds over whole columns, 8 or 16 `f32` lanes, and
//!   lane-parallel `tanh`, logistic and `exp`.
//!
//! The thresholds are where the kernel's fixed cost, a dispatch of a few nanoseconds, falls
//! below what the wider units save (measured with callgrind on the AVX2 and baseline paths of
//! 2-8-1, 32-32 and 64-128 layers).

/// Weight entries from which a dense layer's products go through the kernels.
const KERNEL_WEIGHTS: usize = 128;

/// Elements from which an element-wise activation goes through the kernels.
const KERNEL_ACTIVATION: usize = 16;

/// Whether a dense layer of `rows x cols` weights runs its products in the kernels.
pub(super) fn kernel_layer(rows: usize, cols: usize) -> bool {
    rows * cols >= KERNEL_WEIGHTS && rows >= 4
}

/// Whether an element-wise activation over `len` values runs in the kernels.
pub(super) fn kernel_activation(len: usize) -> bool {
    len >= KERNEL_ACTIVATION
}
