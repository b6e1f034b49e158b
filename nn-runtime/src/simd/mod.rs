//! The vector units: which instruction set the kernels of generated code run on.
//!
//! Generated code is compiled for the target's baseline (SSE2 on x86-64), as every crate is
//! without build flags. Its products and element-wise passes call the kernels of this module,
//! which are compiled once for each instruction-set [`Level`] and choose one at run time:
//!
//! | level | what | `f32` lanes |
//! |---|---|---:|
//! | [`Level::Baseline`] | the target's baseline (x86-64: SSE2; aarch64: NEON) | 4 (autovectorised) |
//! | [`Level::Avx2`] | AVX2 and FMA (x86-64-v3) | 8 |
//! | [`Level::Avx512`] | AVX-512 F/BW/CD/DQ/VL (x86-64-v4) | 16 |
//!
//! The process uses AVX2 where the CPU has it, the baseline elsewhere ([`default_level`] says
//! why not AVX-512), or the level the environment variable `NN_SIMD` names (`baseline`,
//! `avx2`, `avx512`) when the CPU has it; a name the CPU lacks, or an unknown one, is ignored
//! ([`process_level`] tells which is in use). [`with_level`] runs a closure at another level on
//! the calling thread only, which is how one test process checks every level.
//!
//! # What changes with the level
//!
//! - **`f64`**: nothing. Its kernels perform the same operations in the same order at every
//!   level (wider levels only run more of the independent ones at once), so results are
//!   identical bit for bit.
//! - **`f32`**: at [`Level::Avx2`] and above, products accumulate with fused multiply-adds and
//!   `tanh`, the logistic function and `exp` are computed lane-parallel (see [`math`]). Results
//!   agree with the baseline to within a few units in the last place of each product's terms:
//!   the crate's differential tests hold every level to a relative `1e-5` of the baseline on
//!   whole networks' outputs, losses and gradients.
//!
//! The kernels are dispatched per call: one thread-local and one atomic load, a few
//! nanoseconds, and no allocation. The crate `pulp` provides the detection and the typed
//! vector operations; no user crate needs a dependency or a build flag.
//!
//! ```
//! use nn_runtime::simd::{self, Level};
//! let best = simd::process_level();
//! assert!(best.is_available());
//! // Baseline is always available, and a closure sees the level it asked for.
//! let inside = simd::with_level(Level::Baseline, simd::level).unwrap();
//! assert_eq!(inside, Level::Baseline);
//! ```

pub(crate) mod gemm;
pub(crate) mod kernels;
pub mod math;

use core::fmt;
#[cfg(feature = "std")]
use std::cell::Cell;
#[cfg(feature = "std")]
use std::sync::OnceLock;

pub(crate) use pulp::{Simd, WithSimd};

use crate::activation::Elementwise;

/// The kernels for one scalar type, as function pointers to their instances in this crate
/// (see [`Float::kernels`](crate::Float)): the dispatch to a level happens inside each.
#[doc(hidden)]
#[allow(clippy::type_complexity)]
pub struct Kernels<T: 'static> {
    pub(crate) dense: fn(&[T], &[T], &[T], &mut [T], &mut [T], Elementwise<T>),
    pub(crate) gemv_t: fn(&[T], &[T], &mut [T]),
    pub(crate) ger: fn(T, &[T], &[T], &mut [T], &mut [T]),
    pub(crate) activate: fn(&[T], &mut [T], Elementwise<T>),
    pub(crate) dropout_mask: fn(u64, u32, T, &mut [T]),
    pub(crate) product: fn(gemm::Product<'_, T>),
    #[cfg(feature = "std")]
    pub(crate) sgd: fn(T, T, &mut [T], &[T]),
}

/// An instruction-set level the kernels are compiled for. Ordered from the narrowest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Level {
    /// The target's baseline: SSE2 on x86-64, NEON on aarch64, scalar code elsewhere.
    Baseline,
    /// x86-64 with AVX2 and FMA (x86-64-v3): 8 `f32` lanes.
    Avx2,
    /// x86-64 with AVX-512 F, BW, CD, DQ and VL (x86-64-v4): 16 `f32` lanes.
    Avx512,
}

impl Level {
    /// Every level, from the narrowest.
    pub const ALL: [Level; 3] = [Level::Baseline, Level::Avx2, Level::Avx512];

    /// The level's name, as `NN_SIMD` takes it: `baseline`, `avx2` or `avx512`.
    pub fn name(self) -> &'static str {
        match self {
            Level::Baseline => "baseline",
            Level::Avx2 => "avx2",
            Level::Avx512 => "avx512",
        }
    }

    /// The level named `name` (as [`Level::name`] gives it, in any case), if any.
    pub fn from_name(name: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Whether this CPU can run the level.
    pub fn is_available(self) -> bool {
        #[cfg(feature = "std")]
        return match self {
            Level::Baseline => true,
            Level::Avx2 => tokens().avx2,
            Level::Avx512 => tokens().avx512,
        };
        #[cfg(not(feature = "std"))]
        return self == Level::Baseline;
    }

    /// The widest level this CPU has.
    pub fn best() -> Level {
        Level::ALL.into_iter().rev().find(|l| l.is_available()).unwrap_or(Level::Baseline)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The levels this CPU has, from the narrowest: always [`Level::Baseline`], then the wider
/// ones it supports. (Without the `std` feature, which detects them, only the baseline.)
pub fn available() -> impl Iterator<Item = Level> {
    Level::ALL.into_iter().filter(|l| l.is_available())
}

/// The level this process runs kernels at: `NN_SIMD`'s when set to a level the CPU has,
/// otherwise [`default_level`]. Read once, at the first kernel call.
pub fn process_level() -> Level {
    #[cfg(feature = "std")]
    return tokens().process;
    #[cfg(not(feature = "std"))]
    Level::Baseline
}

/// The level used when `NN_SIMD` does not name one: [`Level::Avx2`] where the CPU has it,
/// else [`Level::Baseline`].
///
/// Not [`Level::Avx512`], even where the CPU has it: on the Xeon the crate's benchmarks ran
/// on, the kernels at 16 lanes were no faster than at 8 on 64- to 128-unit layers and about
/// 30% slower on 32-unit ones (a training step of 16 `dense(32)` layers), the wider
/// registers' reductions and the core's lower clock under 512-bit arithmetic outweighing the
/// doubled width at these sizes. `NN_SIMD=avx512` or [`with_level`] selects it.
pub fn default_level() -> Level {
    if Level::Avx2.is_available() {
        Level::Avx2
    } else {
        Level::Baseline
    }
}

/// The level kernels run at on this thread now: [`with_level`]'s inside its closure, else
/// [`process_level`].
pub fn level() -> Level {
    #[cfg(feature = "std")]
    return OVERRIDE.with(Cell::get).unwrap_or_else(process_level);
    #[cfg(not(feature = "std"))]
    Level::Baseline
}

/// The error of [`with_level`] when the CPU lacks the level asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnavailableLevel(pub Level);

impl fmt::Display for UnavailableLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "this CPU cannot run the `{}` level (it has: ", self.0)?;
        for (i, level) in available().enumerate() {
            write!(f, "{}{level}", if i == 0 { "" } else { ", " })?;
        }
        write!(f, ")")
    }
}

impl core::error::Error for UnavailableLevel {}

/// Runs `f` with every kernel on this thread at `level`, then restores the level before
/// (also when `f` panics). Other threads are unaffected, so tests of different levels can
/// run side by side in one process.
///
/// # Errors
///
/// [`UnavailableLevel`] if the CPU lacks `level`; `f` is not run.
pub fn with_level<R>(level: Level, f: impl FnOnce() -> R) -> Result<R, UnavailableLevel> {
    if !level.is_available() {
        return Err(UnavailableLevel(level));
    }
    #[cfg(not(feature = "std"))]
    return Ok(f());
    #[cfg(feature = "std")]
    Ok(with_override(Some(level), f))
}

/// This thread's [`with_level`] override, if any: what work handed to another thread takes
/// with it ([`with_override`]).
#[cfg(feature = "parallel")]
pub(crate) fn current_override() -> Option<Level> {
    OVERRIDE.with(Cell::get)
}

/// Runs `f` with this thread's override set to `level` ([`with_level`] checked it, or
/// [`current_override`] returned it), then restores the one before.
#[cfg(feature = "std")]
pub(crate) fn with_override<R>(level: Option<Level>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Level>);
    impl Drop for Restore {
        fn drop(&mut self) {
            OVERRIDE.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(OVERRIDE.with(|c| c.replace(level)));
    f()
}

#[cfg(feature = "std")]
thread_local! {
    static OVERRIDE: Cell<Option<Level>> = const { Cell::new(None) };
}

/// What detection found, once per process.
#[cfg(feature = "std")]
struct Tokens {
    avx2: bool,
    avx512: bool,
    process: Level,
    #[cfg(target_arch = "x86_64")]
    v3: Option<pulp::x86::V3>,
    #[cfg(target_arch = "x86_64")]
    v4: Option<pulp::x86::V4>,
}

#[cfg(feature = "std")]
fn tokens() -> &'static Tokens {
    static TOKENS: OnceLock<Tokens> = OnceLock::new();
    TOKENS.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        let (v3, v4) = (pulp::x86::V3::try_new(), pulp::x86::V4::try_new());
        #[cfg(target_arch = "x86_64")]
        let (avx2, avx512) = (v3.is_some(), v4.is_some());
        #[cfg(not(target_arch = "x86_64"))]
        let (avx2, avx512) = (false, false);
        let default = if avx2 { Level::Avx2 } else { Level::Baseline };
        let asked = std::env::var("NN_SIMD").ok().and_then(|v| Level::from_name(&v));
        let process = match asked {
            Some(Level::Avx512) if avx512 => Level::Avx512,
            Some(Level::Avx2) if avx2 => Level::Avx2,
            Some(Level::Baseline) => Level::Baseline,
            _ => default,
        };

        Tokens {
            avx2,
            avx512,
            process,
            #[cfg(target_arch = "x86_64")]
            v3,
            #[cfg(target_arch = "x86_64")]
            v4,
        }
    })
}

/// Runs `op` at this thread's [`level`]: its `with_simd` body is inlined into a function
/// compiled for the level's instruction set.
#[inline]
pub(crate) fn dispatch<Op: WithSimd>(op: Op) -> Op::Output {
    #[cfg(feature = "std")]
    {
        let tokens = tokens();
        let level = OVERRIDE.with(Cell::get).unwrap_or(tokens.process);
        #[cfg(target_arch = "x86_64")]
        match (level, tokens.v4, tokens.v3) {
            (Level::Avx512, Some(v4), _) => return Simd::vectorize(v4, op),
            (Level::Avx2 | Level::Avx512, _, Some(v3)) => return Simd::vectorize(v3, op),
            _ => {}
        }
        #[cfg(target_arch = "aarch64")]
        if let Some(neon) = pulp::aarch64::Neon::try_new() {
            return Simd::vectorize(neon, op);
        }
        let _ = level;
    }
    // Without `std` there is no detection: the baseline's scalar stand-in.
    Simd::vectorize(pulp::Scalar::new(), op)
}

/// Whether kernels at `S` take the plain path: the scalar stand-in, whose `f32` loops are
/// left to the compiler's autovectorisation (and whose results match the wider levels'
/// `f64`).
#[inline(always)]
pub(crate) fn is_scalar<S: Simd>() -> bool {
    core::mem::size_of::<S::f32s>() == core::mem::size_of::<f32>()
}

/// `f32` lanes in one of `S`'s vectors.
#[inline(always)]
pub(crate) fn lanes<S: Simd>() -> usize {
    core::mem::size_of::<S::f32s>() / core::mem::size_of::<f32>()
}
