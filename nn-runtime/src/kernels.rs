//! The kernels generated code calls: one sample's dense layer ([`dense`], [`affine`],
//! [`tr_mul`], [`outer`]), and the batched passes' kernels, on a batch of `n` samples, each
//! quantity a column-major `rows x n` slice (one column per sample).
//!
//! One sample's kernels run at the thread's [`simd`](crate::simd) level: see that module for what changes
//! with it.
//!
//! Products of a layer with a whole batch ([`linear`], [`dense_batch`],
//! [`linear_backward_params`], [`linear_backward_input`]) are the `gemm` crate's blocked
//! kernels (with its own run-time choice of AVX-512, AVX2 or SSE code), on the static storage
//! as it lies: the weights are not copied by this crate, and `gemm` packs what its blocking
//! needs. It keeps one packing buffer per thread, and allocates on every call a small vector
//! of flags and, on a call that packs its right operand or pre-packs its left one (for
//! example a layer whose width is not a multiple of the vector width, or an input gradient,
//! whose left operand is the transposed weights), a second packing buffer: at most two
//! allocations per product. The bias and the activation follow in one
//! pass over the result ([`dense_batch`]).
//!
//! [`with_threads`] splits every large product between this thread and a helper thread (with the
//! `parallel` feature), each writing its own columns of the result.
//!
//! Every function here processes what fits in its slices and never panics on mismatched
//! lengths: generated code always passes matching ones.

use nalgebra::{SMatrix, SVector};

use crate::activation::{self, Activation, Elementwise, Learnable};
use crate::simd::gemm::{Product, View};
use crate::Float;

/// Whether the generated batch calls may take the batched path through these kernels: with
/// the `std` feature, which keeps their scratch buffers per thread; without it (`no_std`, no
/// heap) every batch call runs the per-sample code, one column after another, and the
/// batched helpers are compiled out as dead code.
#[doc(hidden)]
pub const BATCHED: bool = cfg!(feature = "std");

/// One sample through a dense layer: `(z, a)` with `z = W x + b` and `a = f(z)`.
#[inline]
pub fn dense<T: Float, A: Activation<T>, const R: usize, const C: usize>(
    w: &SMatrix<T, R, C>,
    b: &SVector<T, R>,
    x: &SVector<T, C>,
    f: &A,
) -> (SVector<T, R>, SVector<T, R>) {
    let (mut z, mut a) = (SVector::<T, R>::zeros(), SVector::<T, R>::zeros());
    let kind = f.elementwise();
    (T::kernels().dense)(
        w.as_slice(),
        b.as_slice(),
        x.as_slice(),
        z.as_mut_slice(),
        a.as_mut_slice(),
        kind,
    );
    if kind == Elementwise::Other {
        for (a, &z) in a.iter_mut().zip(z.iter()) {
            *a = f.f(z);
        }
    }
    (z, a)
}

/// `z = W x + b` for one sample.
#[inline]
pub fn affine<T: Float, const R: usize, const C: usize>(
    w: &SMatrix<T, R, C>,
    b: &SVector<T, R>,
    x: &SVector<T, C>,
) -> SVector<T, R> {
    let mut z = SVector::<T, R>::zeros();
    (T::kernels().dense)(
        w.as_slice(),
        b.as_slice(),
        x.as_slice(),
        z.as_mut_slice(),
        &mut [],
        Elementwise::Other,
    );
    z
}

/// `W^T d` for one sample.
#[inline]
pub fn tr_mul<T: Float, const R: usize, const C: usize>(
    w: &SMatrix<T, R, C>,
    d: &SVector<T, R>,
) -> SVector<T, C> {
    let mut out = SVector::<T, C>::zeros();
    (T::kernels().gemv_t)(w.as_slice(), d.as_slice(), out.as_mut_slice());
    out
}

/// A dense layer's gradient from one sample: `gw += scale d x^T` and, given a bias gradient,
/// `gb += scale d`.
#[inline]
pub fn outer<T: Float, const R: usize, const C: usize>(
    scale: T,
    d: &SVector<T, R>,
    x: &SVector<T, C>,
    gw: &mut SMatrix<T, R, C>,
    gb: Option<&mut SVector<T, R>>,
) {
    let gb = gb.map_or(&mut [][..], |gb| gb.as_mut_slice());
    (T::kernels().ger)(scale, d.as_slice(), x.as_slice(), gw.as_mut_slice(), gb);
}

/// Runs one batched product, split between two threads when the thread asked for them
/// ([`with_threads`]) and the product is large enough to pay for the handover: each thread
/// writes its own columns of `c`, so nobody adds up what another wrote.
fn run<T: Float>(p: Product<'_, T>) {
    let product = T::kernels().product;
    #[cfg(feature = "parallel")]
    if threads() >= 2 && p.m.saturating_mul(p.n).saturating_mul(p.k) >= MIN_SPLIT && p.n >= 2 {
        let mid = p.n.div_ceil(2);
        let Product { m, n, k, a, b, alpha, beta, c, bias, act, f } = p;
        let Some(at) = m.checked_mul(mid).filter(|&at| at <= c.len()) else { return };
        let (c0, c1) = c.split_at_mut(at);
        let (act0, act1) = if act.is_empty() {
            (&mut [][..], &mut [][..])
        } else {
            act.split_at_mut(at.min(act.len()))
        };
        let (b0, b1) = (b, b.skip_columns(mid));
        let left = Product { m, n: mid, k, a, b: b0, alpha, beta, c: c0, bias, act: act0, f };
        let right = Product { m, n: n - mid, k, a, b: b1, alpha, beta, c: c1, bias, act: act1, f };
        // This thread computes the left half while the helper thread takes the right (at this
        // thread's vector level, for the activation pass): one handover and one wait per
        // product.
        let level = crate::simd::current_override();
        match helper() {
            Some(pool) => pool.in_place_scope(|scope| {
                scope.spawn(move |_| crate::simd::with_override(level, || product(right)));
                product(left);
            }),
            None => {
                product(left);
                product(right);
            }
        }
        return;
    }
    product(p);
}

/// The one thread that takes the second half of split products: a pool of its own, not
/// rayon's global one, whose idle threads (one per core) spin while they look for work and
/// would take the core from the thread computing the first half. `None` if the thread could
/// not be started: products then run on the calling thread alone.
#[cfg(feature = "parallel")]
fn helper() -> Option<&'static rayon::ThreadPool> {
    static HELPER: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    HELPER
        .get_or_init(|| {
            let builder = rayon::ThreadPoolBuilder::new().num_threads(1);
            builder.thread_name(|_| "nn-kernels".to_owned()).build().ok()
        })
        .as_ref()
}

/// Products of fewer multiply-adds than this stay on one thread: below it, waking another
/// thread and waiting for it costs about as much as it saves (measured: W2's products at a
/// batch of 32, 0.3 million multiply-adds each, ran slower on two threads).
#[cfg(feature = "parallel")]
const MIN_SPLIT: usize = 1 << 19;

#[cfg(feature = "std")]
std::thread_local! {
    static THREADS: core::cell::Cell<usize> = const { core::cell::Cell::new(1) };
}

/// Runs `f` with the batched products it makes on this thread split between this thread and
/// a helper thread (with the `parallel` feature; without it, or for `threads < 2`, on this
/// thread alone). Every product is split by the columns of what it writes (a
/// batch's outputs by samples, a weight gradient by inputs), so each thread writes its own
/// part of every result and nothing is summed afterwards; the threads meet once per product.
/// Results are the same as on one thread, bit for bit.
///
/// Two threads are all the split uses today; more are treated as two.
pub fn with_threads<R>(threads: usize, f: impl FnOnce() -> R) -> R {
    #[cfg(feature = "std")]
    {
        struct Restore(usize);
        impl Drop for Restore {
            fn drop(&mut self) {
                THREADS.with(|t| t.set(self.0));
            }
        }
        let _restore = Restore(THREADS.with(|t| t.replace(threads.max(1))));
        f()
    }
    #[cfg(not(feature = "std"))]
    {
        let _ = threads;
        f()
    }
}

/// The threads this thread's batched products may use (see [`with_threads`]): 1 unless set.
pub fn threads() -> usize {
    #[cfg(feature = "std")]
    return THREADS.with(core::cell::Cell::get);
    #[cfg(not(feature = "std"))]
    return 1;
}

/// `z = W x` for a batch: `W` is `rows x cols`, `x` is `cols x n`, `z` is `rows x n`.
pub fn linear<T: Float>(w: &[T], x: &[T], z: &mut [T], rows: usize, cols: usize, n: usize) {
    run(Product {
        m: rows,
        n,
        k: cols,
        a: View::columns(w, rows),
        b: View::columns(x, cols),
        alpha: T::one(),
        beta: T::zero(),
        c: z,
        bias: &[],
        act: &mut [],
        f: Elementwise::Identity,
    });
}

/// A dense layer over a batch: `z = W x + b` (the bias added to every column) and
/// `a = f(z)`: the product, then one pass for the bias and the activation.
#[allow(clippy::too_many_arguments)]
pub fn dense_batch<T: Float, A: Activation<T>>(
    f: A,
    w: &[T],
    b: &[T],
    x: &[T],
    z: &mut [T],
    a: &mut [T],
    rows: usize,
    cols: usize,
    n: usize,
) {
    let kind = f.elementwise();
    if kind == Elementwise::Other {
        linear(w, x, z, rows, cols, n);
        bias_activation(f, b, z, a);
        return;
    }
    // The activation with a vector form runs inside the product's call, so that each
    // thread applies it to the columns it computed.
    run(Product {
        m: rows,
        n,
        k: cols,
        a: View::columns(w, rows),
        b: View::columns(x, cols),
        alpha: T::one(),
        beta: T::zero(),
        c: z,
        bias: b,
        act: a,
        f: kind,
    });
}

/// Adds the bias `b` (length `rows`) to every column of `z` and sets `a = f(z)`.
pub fn bias_activation<T: Float, A: Activation<T>>(f: A, b: &[T], z: &mut [T], a: &mut [T]) {
    add_bias(b, z);
    activate(f, z, a);
}

/// Adds the bias `b` (length `rows`) to every column of `z`.
pub fn add_bias<T: Float>(b: &[T], z: &mut [T]) {
    for z in z.chunks_exact_mut(b.len().max(1)) {
        for (z, &b) in z.iter_mut().zip(b) {
            *z += b;
        }
    }
}

/// `a = f(z)`, element by element, a vector of lanes at a time where `f` has a vector form
/// ([`Activation::elementwise`]).
pub fn activate<T: Float, A: Activation<T>>(f: A, z: &[T], a: &mut [T]) {
    match f.elementwise() {
        Elementwise::Other => {
            for (a, &z) in a.iter_mut().zip(z) {
                *a = f.f(z);
            }
        }
        kind => (T::kernels().activate)(z, a, kind),
    }
}

/// `d = f'(z) d` in place, element by element, given `a = f(z)`.
pub fn activate_backward<T: Float, A: Activation<T>>(f: A, z: &[T], a: &[T], d: &mut [T]) {
    for ((d, &z), &a) in d.iter_mut().zip(z).zip(a) {
        *d *= f.df(z, a);
    }
}

/// The rows of a learnable activation's matrix: one parameter per row, or, for a shared
/// parameter, the whole slice as one column (every element uses `params[0]`).
fn rows_of<T>(params: &[T], len: usize) -> usize {
    if params.len() == 1 {
        len.max(1)
    } else {
        params.len().max(1)
    }
}

/// A learnable activation over `rows x n`: row `r` uses `params[r]`, or `params[0]` for all
/// rows when the layer shares one parameter.
pub fn learnable_forward<T: Float, A: Learnable<T>>(z: &[T], params: &[T], a: &mut [T]) {
    let rows = rows_of(params, z.len());
    for (z, a) in z.chunks(rows).zip(a.chunks_mut(rows)) {
        activation::learnable_forward::<T, A>(z, params, a);
    }
}

/// The backward pass of [`learnable_forward`]: overwrites `d_z` with `f'(z) d_a` and adds
/// `scale` times the parameters' gradient to `d_params`.
pub fn learnable_backward<T: Float, A: Learnable<T>>(
    z: &[T],
    a: &[T],
    params: &[T],
    d_a: &[T],
    d_z: &mut [T],
    d_params: &mut [T],
    scale: T,
) {
    let rows = rows_of(params, z.len());
    let columns =
        z.chunks(rows).zip(a.chunks(rows)).zip(d_a.chunks(rows)).zip(d_z.chunks_mut(rows));
    for (((z, a), d_a), d_z) in columns {
        activation::learnable_backward::<T, A>(z, a, params, d_a, d_z, d_params, scale);
    }
}

/// Softmax of every column of the `rows x n` matrix `z`.
pub fn softmax<T: Float>(z: &[T], a: &mut [T], rows: usize) {
    for (z, a) in z.chunks(rows.max(1)).zip(a.chunks_mut(rows.max(1))) {
        activation::softmax(z, a);
    }
}

/// Softmax's vector-Jacobian product, column by column.
pub fn softmax_backward<T: Float>(a: &[T], d_a: &[T], d_z: &mut [T], rows: usize) {
    let rows = rows.max(1);
    for ((a, d_a), d_z) in a.chunks(rows).zip(d_a.chunks(rows)).zip(d_z.chunks_mut(rows)) {
        activation::softmax_backward(a, d_a, d_z);
    }
}

/// Maxout of every column: `h` is `units * pieces x n`, `out` is `units x n`.
pub fn maxout<T: Float>(h: &[T], pieces: usize, out: &mut [T], units: usize) {
    let (rows, units) = (units.saturating_mul(pieces).max(1), units.max(1));
    for (h, out) in h.chunks(rows).zip(out.chunks_mut(units)) {
        activation::maxout(h, pieces, out);
    }
}

/// Maxout's backward pass, column by column: overwrites `d_h`.
pub fn maxout_backward<T: Float>(h: &[T], pieces: usize, d_out: &[T], d_h: &mut [T], units: usize) {
    let (rows, units) = (units.saturating_mul(pieces).max(1), units.max(1));
    let columns = h.chunks(rows).zip(d_out.chunks(units)).zip(d_h.chunks_mut(rows));
    for ((h, d_out), d_h) in columns {
        activation::maxout_backward(h, pieces, d_out, d_h);
    }
}

/// `dW += alpha d x^T` and `db += alpha d 1`: the gradient of a layer's parameters from the
/// error terms `d` (`rows x n`) of a batch whose inputs are `x` (`cols x n`).
#[allow(clippy::too_many_arguments)]
pub fn linear_backward_params<T: Float>(
    d: &[T],
    x: &[T],
    dw: &mut [T],
    db: &mut [T],
    rows: usize,
    cols: usize,
    n: usize,
    alpha: T,
) {
    run(Product {
        m: rows,
        n: cols,
        k: n,
        a: View::columns(d, rows),
        b: View::transposed(x, cols),
        alpha,
        beta: T::one(),
        c: dw,
        bias: &[],
        act: &mut [],
        f: Elementwise::Identity,
    });
    // The bias gradient, if the layer has a bias (`db` then has `rows` entries, else none).
    if db.len() == rows {
        add_column_sums(d, db, alpha);
    }
}

/// `dx = W^T d + beta dx`: the gradient with respect to a layer's inputs (`cols x n`),
/// overwritten (`beta = 0`) or accumulated (`beta = 1`).
#[allow(clippy::too_many_arguments)]
pub fn linear_backward_input<T: Float>(
    w: &[T],
    d: &[T],
    dx: &mut [T],
    rows: usize,
    cols: usize,
    n: usize,
    beta: T,
) {
    run(Product {
        m: cols,
        n,
        k: rows,
        a: View::transposed(w, rows),
        b: View::columns(d, rows),
        alpha: T::one(),
        beta,
        c: dx,
        bias: &[],
        act: &mut [],
        f: Elementwise::Identity,
    });
}

/// `dst += src`, element by element.
pub fn add_assign<T: Float>(dst: &mut [T], src: &[T]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d += s;
    }
}

/// Copies the `src_rows x n` matrix `src` into rows `offset..offset + src_rows` of the
/// `dst_rows x n` matrix `dst`: one part of a concatenation.
pub fn copy_rows<T: Float>(
    src: &[T],
    src_rows: usize,
    dst: &mut [T],
    dst_rows: usize,
    offset: usize,
) {
    into_rows(src, src_rows, dst, dst_rows, offset, <[T]>::copy_from_slice);
}

/// Adds the `src_rows x n` matrix `src` to rows `offset..offset + src_rows` of the
/// `dst_rows x n` matrix `dst`: the gradient of one step of a batch of sequences.
pub fn add_to_rows<T: Float>(
    src: &[T],
    src_rows: usize,
    dst: &mut [T],
    dst_rows: usize,
    offset: usize,
) {
    into_rows(src, src_rows, dst, dst_rows, offset, add_assign);
}

/// Adds rows `offset..offset + dst_rows` of the `src_rows x n` matrix `src` to the
/// `dst_rows x n` matrix `dst`: the gradient of one part of a concatenation.
pub fn add_rows<T: Float>(
    src: &[T],
    src_rows: usize,
    offset: usize,
    dst: &mut [T],
    dst_rows: usize,
) {
    from_rows(src, src_rows, offset, dst, dst_rows, add_assign);
}

/// Copies rows `offset..offset + dst_rows` of the `src_rows x n` matrix `src` into the
/// `dst_rows x n` matrix `dst`: one step of a batch of sequences, each column holding its
/// sample's steps one after the other.
pub fn take_rows<T: Float>(
    src: &[T],
    src_rows: usize,
    offset: usize,
    dst: &mut [T],
    dst_rows: usize,
) {
    from_rows(src, src_rows, offset, dst, dst_rows, <[T]>::copy_from_slice);
}

/// `f(rows offset.. of dst's column, src's column)` for every column.
fn into_rows<T: Float>(
    src: &[T],
    src_rows: usize,
    dst: &mut [T],
    dst_rows: usize,
    offset: usize,
    f: impl Fn(&mut [T], &[T]),
) {
    let columns = src.chunks(src_rows.max(1)).zip(dst.chunks_mut(dst_rows.max(1)));
    for (src, dst) in columns {
        // An offset near `usize::MAX` reaches past every slice: nothing to do, no overflow.
        let Some(end) = offset.checked_add(src.len()) else { return };
        if let Some(dst) = dst.get_mut(offset..end) {
            f(dst, src);
        }
    }
}

/// `f(dst's column, rows offset.. of src's column)` for every column.
fn from_rows<T: Float>(
    src: &[T],
    src_rows: usize,
    offset: usize,
    dst: &mut [T],
    dst_rows: usize,
    f: impl Fn(&mut [T], &[T]),
) {
    let columns = src.chunks(src_rows.max(1)).zip(dst.chunks_mut(dst_rows.max(1)));
    for (src, dst) in columns {
        let Some(end) = offset.checked_add(dst.len()) else { return };
        if let Some(src) = src.get(offset..end) {
            f(dst, src);
        }
    }
}

/// `db += alpha d 1`: the sums of the columns of the `rows x n` matrix `d`, where `rows` is
/// the length of `db`; a bias's gradient from the error terms of a batch.
pub fn add_column_sums<T: Float>(d: &[T], db: &mut [T], alpha: T) {
    for d in d.chunks_exact(db.len().max(1)) {
        for (db, &d) in db.iter_mut().zip(d) {
            *db += alpha * d;
        }
    }
}

#[cfg(test)]
mod sequence_tests {
    use super::*;

    /// Two samples of three steps of two values: step `t` of sample `j` holds `10 j + t`
    /// (and `-` that in its second row).
    fn sequences() -> [f64; 12] {
        [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 10.0, -10.0, 11.0, -11.0, 12.0, -12.0]
    }

    #[test]
    fn steps_are_taken_out_and_added_back_by_row_offset() {
        let mut step = [f64::NAN; 4];
        take_rows(&sequences(), 6, 2, &mut step, 2);
        assert_eq!(step, [1.0, -1.0, 11.0, -11.0]);
        let mut back = [1.0_f64; 12];
        add_to_rows(&step, 2, &mut back, 6, 4);
        assert_eq!(back, [1.0, 1.0, 1.0, 1.0, 2.0, 0.0, 1.0, 1.0, 1.0, 1.0, 12.0, -10.0]);
        // Offsets past the rows touch nothing.
        for offset in [5, usize::MAX] {
            take_rows(&sequences(), 6, offset, &mut step, 2);
            add_to_rows(&step, 2, &mut back, 6, offset);
        }
        assert_eq!(step, [1.0, -1.0, 11.0, -11.0]);
        assert_eq!(back[4..6], [2.0, 0.0]);
    }

    #[test]
    fn column_sums_are_scaled_and_added() {
        let mut db = [1.0_f64, 2.0];
        add_column_sums(&sequences()[..6], &mut db, 0.5);
        assert_eq!(db, [1.0 + 1.5, 2.0 - 1.5]);
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{SMatrix, SVector};

    use super::*;
    use crate::activation::{Prelu, Tanh};

    #[test]
    fn row_copies_with_huge_offsets_do_nothing_and_do_not_overflow() {
        let src = [1.0_f64, 2.0, 3.0, 4.0];
        let mut dst = [0.0_f64; 6];
        for offset in [usize::MAX, usize::MAX - 1, 7] {
            copy_rows(&src, 2, &mut dst, 3, offset);
            assert_eq!(dst, [0.0; 6]);
            add_rows(&src, 2, offset, &mut dst, 1);
            assert_eq!(dst, [0.0; 6]);
        }
        copy_rows(&src, 2, &mut dst, 3, 1);
        assert_eq!(dst, [0.0, 1.0, 2.0, 0.0, 3.0, 4.0]);
        let mut part = [0.0_f64; 2];
        add_rows(&dst, 3, 2, &mut part, 1);
        assert_eq!(part, [2.0, 4.0]);
    }

    /// A deterministic matrix with distinct entries.
    fn pattern<const R: usize, const C: usize>(salt: f64) -> SMatrix<f64, R, C> {
        SMatrix::from_fn(|i, j| ((i * 7 + j * 13) as f64 * 0.37 + salt).sin())
    }

    #[test]
    fn the_batched_affine_map_matches_one_column_at_a_time() {
        let w: SMatrix<f64, 9, 7> = pattern(0.1);
        let b: SVector<f64, 9> = pattern(0.2);
        let x: SMatrix<f64, 7, 6> = pattern(0.3);
        let mut z = SMatrix::<f64, 9, 6>::zeros();
        let mut a = SMatrix::<f64, 9, 6>::zeros();
        linear(w.as_slice(), x.as_slice(), z.as_mut_slice(), 9, 7, 6);
        bias_activation(Tanh, b.as_slice(), z.as_mut_slice(), a.as_mut_slice());
        for j in 0..6 {
            let expected = w * x.column(j) + b;
            for i in 0..9 {
                assert!((z[(i, j)] - expected[i]).abs() < 1e-14);
                assert!((a[(i, j)] - expected[i].tanh()).abs() < 1e-14);
            }
        }
    }

    #[test]
    fn the_batched_gradients_match_sums_of_outer_products() {
        let w: SMatrix<f64, 9, 7> = pattern(0.4);
        let d: SMatrix<f64, 9, 6> = pattern(0.5);
        let x: SMatrix<f64, 7, 6> = pattern(0.6);
        let mut dw: SMatrix<f64, 9, 7> = pattern(0.7);
        let mut db: SVector<f64, 9> = pattern(0.8);
        let (dw0, db0) = (dw, db);
        linear_backward_params(
            d.as_slice(),
            x.as_slice(),
            dw.as_mut_slice(),
            db.as_mut_slice(),
            9,
            7,
            6,
            0.5,
        );
        let expected_dw = dw0 + 0.5 * d * x.transpose();
        let expected_db = db0 + 0.5 * d.column_sum();
        assert!((dw - expected_dw).norm() < 1e-13);
        assert!((db - expected_db).norm() < 1e-13);
        let mut dx = SMatrix::<f64, 7, 6>::repeat(f64::NAN);
        linear_backward_input(w.as_slice(), d.as_slice(), dx.as_mut_slice(), 9, 7, 6, 0.0);
        assert!((dx - w.transpose() * d).norm() < 1e-13);
    }

    /// Products with a dimension of 5 or less take the plain loops rather than nalgebra's
    /// `gemm`; both must agree with nalgebra's static products.
    #[test]
    fn small_products_take_the_loops_and_agree() {
        let w: SMatrix<f64, 3, 4> = pattern(0.9);
        let x: SMatrix<f64, 4, 2> = pattern(1.0);
        let d: SMatrix<f64, 3, 2> = pattern(1.1);
        let mut z = SMatrix::<f64, 3, 2>::repeat(f64::NAN);
        linear(w.as_slice(), x.as_slice(), z.as_mut_slice(), 3, 4, 2);
        assert!((z - w * x).norm() < 1e-14);
        let mut dw = SMatrix::<f64, 3, 4>::zeros();
        let mut db = SVector::<f64, 3>::zeros();
        linear_backward_params(
            d.as_slice(),
            x.as_slice(),
            dw.as_mut_slice(),
            db.as_mut_slice(),
            3,
            4,
            2,
            2.0,
        );
        assert!((dw - 2.0 * d * x.transpose()).norm() < 1e-14);
        let mut dx: SMatrix<f64, 4, 2> = pattern(1.2);
        let dx0 = dx;
        linear_backward_input(w.as_slice(), d.as_slice(), dx.as_mut_slice(), 3, 4, 2, 1.0);
        assert!((dx - (dx0 + w.transpose() * d)).norm() < 1e-14);
    }

    #[test]
    fn rows_are_gathered_and_scattered_by_offset() {
        let a = SMatrix::<f64, 2, 3>::from_fn(|i, j| (10 * j + i) as f64);
        let b = SMatrix::<f64, 3, 3>::from_fn(|i, j| (100 + 10 * j + i) as f64);
        let mut c = SMatrix::<f64, 5, 3>::zeros();
        copy_rows(a.as_slice(), 2, c.as_mut_slice(), 5, 0);
        copy_rows(b.as_slice(), 3, c.as_mut_slice(), 5, 2);
        assert_eq!(c.fixed_rows::<2>(0), a);
        assert_eq!(c.fixed_rows::<3>(2), b);
        let mut back = SMatrix::<f64, 3, 3>::repeat(1.0);
        add_rows(c.as_slice(), 5, 2, back.as_mut_slice(), 3);
        assert_eq!(back, b.add_scalar(1.0));
    }

    #[test]
    fn learnable_parameters_go_by_row() {
        let z = SMatrix::<f64, 2, 2>::new(-1.0, -2.0, -3.0, 4.0);
        let slopes = [0.1, 0.5];
        let mut a = SMatrix::<f64, 2, 2>::zeros();
        learnable_forward::<f64, Prelu<f64>>(z.as_slice(), &slopes, a.as_mut_slice());
        // Row 0 has slope 0.1, row 1 slope 0.5; column 1 row 1 is positive.
        assert_eq!(a, SMatrix::<f64, 2, 2>::new(-0.1, -0.2, -1.5, 4.0));
        let mut d_z = SMatrix::<f64, 2, 2>::zeros();
        let mut d_slopes = [0.0, 0.0];
        let ones = SMatrix::<f64, 2, 2>::repeat(1.0);
        learnable_backward::<f64, Prelu<f64>>(
            z.as_slice(),
            a.as_slice(),
            &slopes,
            ones.as_slice(),
            d_z.as_mut_slice(),
            &mut d_slopes,
            1.0,
        );
        assert_eq!(d_z, SMatrix::<f64, 2, 2>::new(0.1, 0.1, 0.5, 1.0));
        // d/d slope_r = sum of the negative inputs of row r.
        assert_eq!(d_slopes, [-1.0 - 2.0, -3.0]);
    }
}
