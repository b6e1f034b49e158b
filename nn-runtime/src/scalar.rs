//! The scalar types a network computes in.

use nalgebra::RealField;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A floating-point scalar a network can be instantiated with: `f32` or `f64`.
///
/// Every generated network is generic over its scalar, `Net<T: Float = f32>`, so the same
/// definition runs fast in `f32` and is checked against numerical gradients in `f64`.
/// The trait is sealed: the activations, losses and initialisers are written and tested for
/// these two types only.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a scalar type a network can compute in",
    label = "networks are generic over `f32` or `f64` only",
    note = "use `f32` (the default) for speed, or `f64` for gradient checks"
)]
pub trait Float: RealField + Copy + Default + bytemuck::Pod + Send + Sync + sealed::Sealed {
    /// The type's name, as written in Rust (`"f32"` or `"f64"`).
    const NAME: &'static str;

    /// Converts an `f64` constant, rounding to nearest for `f32`.
    fn lit(x: f64) -> Self;

    /// Widens (or, for `f64`, copies) the value to `f64`.
    fn as_f64(self) -> f64;

    /// The error function, `erf(x) = 2/sqrt(pi) * integral from 0 to x of exp(-t^2) dt`.
    fn erf(self) -> Self;

    /// `tanh(x)` as the [`Tanh`](crate::activation::Tanh) activation computes it: libm's in
    /// `f64`; in `f32` a rational approximation without branches, which compilers vectorise
    /// (see [`activation::tanh_f32`](crate::activation::tanh_f32) for its error).
    fn tanh_activation(self) -> Self;

    /// Calls `f` with this thread's scratch buffer of at least `len` scalars (contents
    /// unspecified), kept between calls so that batched passes allocate only when a thread
    /// first needs more. A call made from inside `f` gets a buffer of its own.
    ///
    /// Without the `std` feature there is no heap to keep it in: the generated code then
    /// never takes the batched path (see [`kernels::BATCHED`](crate::kernels::BATCHED)), and
    /// this is never called.
    #[doc(hidden)]
    fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [Self]) -> R) -> R;

    /// The vector-unit kernels of [`simd`](crate::simd), one non-generic function per scalar
    /// type: compiled once, in this crate, for every level, instead of in every crate that
    /// declares a network (which would compile each level's code again).
    #[doc(hidden)]
    fn kernels() -> &'static crate::simd::Kernels<Self>;
}

macro_rules! kernels_of {
    ($t:ty) => {{
        use crate::simd::kernels as k;
        static KERNELS: crate::simd::Kernels<$t> = crate::simd::Kernels {
            dense: k::dense::<$t>,
            gemv_t: k::gemv_t::<$t>,
            ger: k::ger::<$t>,
            activate: k::activate::<$t>,
            dropout_mask: k::dropout_mask::<$t>,
            product: crate::simd::gemm::product::<$t>,
            #[cfg(feature = "std")]
            sgd: k::sgd::<$t>,
        };
        &KERNELS
    }};
}

/// A scratch buffer per thread and scalar type (see [`Float::with_scratch`]).
#[cfg(feature = "std")]
macro_rules! scratch {
    ($cell:ident, $name:ident, $t:ty) => {
        thread_local! {
            static $cell: std::cell::Cell<Vec<$t>> = const { std::cell::Cell::new(Vec::new()) };
        }

        fn $name<R>(len: usize, f: impl FnOnce(&mut [$t]) -> R) -> R {
            // Taken out of the cell while in use: a nested call finds it empty.
            let mut buffer = $cell.take();
            if buffer.len() < len {
                buffer.resize(len, 0.0);
            }
            let result = f(&mut buffer[..len]);
            $cell.set(buffer);
            result
        }
    };
}

#[cfg(feature = "std")]
scratch!(SCRATCH_F32, scratch_f32, f32);
#[cfg(feature = "std")]
scratch!(SCRATCH_F64, scratch_f64, f64);

/// Without `std`: the batched path that asks for scratch is compiled out of every call
/// (`kernels::BATCHED` is false), so no caller reaches this.
#[cfg(not(feature = "std"))]
fn no_scratch<T, R>(_len: usize, _f: impl FnOnce(&mut [T]) -> R) -> R {
    unreachable!("batched passes are not taken without the `std` feature")
}

#[cfg(not(feature = "std"))]
use no_scratch as scratch_f32;
#[cfg(not(feature = "std"))]
use no_scratch as scratch_f64;

impl Float for f32 {
    const NAME: &'static str = "f32";

    #[inline(always)]
    fn lit(x: f64) -> Self {
        x as f32
    }

    #[inline(always)]
    fn as_f64(self) -> f64 {
        f64::from(self)
    }

    #[inline]
    fn erf(self) -> Self {
        libm::erff(self)
    }

    fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [Self]) -> R) -> R {
        scratch_f32(len, f)
    }

    #[inline(always)]
    fn tanh_activation(self) -> Self {
        crate::activation::tanh_f32(self)
    }

    #[inline(always)]
    fn kernels() -> &'static crate::simd::Kernels<Self> {
        kernels_of!(f32)
    }
}

impl Float for f64 {
    const NAME: &'static str = "f64";

    #[inline(always)]
    fn lit(x: f64) -> Self {
        x
    }

    #[inline(always)]
    fn as_f64(self) -> f64 {
        self
    }

    #[inline]
    fn erf(self) -> Self {
        libm::erf(self)
    }

    fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [Self]) -> R) -> R {
        scratch_f64(len, f)
    }

    #[inline]
    fn tanh_activation(self) -> Self {
        nalgebra::ComplexField::tanh(self)
    }

    #[inline(always)]
    fn kernels() -> &'static crate::simd::Kernels<Self> {
        kernels_of!(f64)
    }
}
