//! The kernels of one sample's dense layer: `z = W x + b` fused with an element-wise
//! activation, `W^T d`, and `dW += s d x^T`, `db += s d`. Every matrix is column-major,
//! `rows x cols` with `rows` the length of `z` (or `d`) and `cols` that of `x`.
//!
//! Two forms of each: the plain one, loops the compiler vectorises by itself (`f64` at every
//! level, `f32` at the baseline and where the rows fill less than one vector: the same
//! operations in the same order whatever the level),
//! and the vector one for `f32` at the wider levels, which keeps a panel of up to
//! [`PANEL`] vectors of `z` (or `d`) in registers while it streams the columns of `W`, and
//! accumulates with fused multiply-adds.
//!
//! Every function processes what fits in its slices and never panics on mismatched lengths:
//! generated code always passes matching ones.

use core::any::TypeId;

use pulp::Simd;

use super::{dispatch, is_scalar, lanes, math};
use crate::activation::{Activation, Elementwise, Relu, Sigmoid, Tanh};
use crate::Float;

/// Vectors of `z` held in registers at once by the vector kernels.
const PANEL: usize = 4;

/// `z = W x + b`, then `a = f(z)` (for [`Elementwise::Other`], `a` is left to the caller).
pub(crate) fn dense<T: Float>(
    w: &[T],
    b: &[T],
    x: &[T],
    z: &mut [T],
    a: &mut [T],
    f: Elementwise<T>,
) {
    struct Op<'a, T>(&'a [T], &'a [T], &'a [T], &'a mut [T], &'a mut [T], Elementwise<T>);
    impl<T: Float> pulp::WithSimd for Op<'_, T> {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: Simd>(self, s: S) {
            let Op(w, b, x, z, a, f) = self;
            if vector::<T, S>() && z.len() >= lanes::<S>() {
                let z = cast_mut(z);
                affine_vector(s, cast(w), cast(b), cast(x), z);
                activate_vector(s, z, cast_mut(a), f.map(|v| v.as_f64() as f32));
            } else {
                affine_plain(w, b, x, z);
                activate_plain(z, a, f);
            }
        }
    }
    dispatch(Op(w, b, x, z, a, f));
}

/// `out = W^T d`.
pub(crate) fn gemv_t<T: Float>(w: &[T], d: &[T], out: &mut [T]) {
    struct Op<'a, T>(&'a [T], &'a [T], &'a mut [T]);
    impl<T: Float> pulp::WithSimd for Op<'_, T> {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: Simd>(self, s: S) {
            let Op(w, d, out) = self;
            if vector::<T, S>() && d.len() >= lanes::<S>() {
                gemv_t_vector(s, cast(w), cast(d), cast_mut(out));
            } else {
                gemv_t_plain(w, d, out);
            }
        }
    }
    dispatch(Op(w, d, out));
}

/// `gw += scale d x^T` and, given `gb`, `gb += scale d`.
pub(crate) fn ger<T: Float>(scale: T, d: &[T], x: &[T], gw: &mut [T], gb: &mut [T]) {
    struct Op<'a, T>(T, &'a [T], &'a [T], &'a mut [T], &'a mut [T]);
    impl<T: Float> pulp::WithSimd for Op<'_, T> {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: Simd>(self, s: S) {
            let Op(scale, d, x, gw, gb) = self;
            if vector::<T, S>() && d.len() >= lanes::<S>() {
                let scale = scale.as_f64() as f32;
                ger_vector(s, scale, cast(d), cast(x), cast_mut(gw), cast_mut(gb));
            } else {
                ger_plain(scale, d, x, gw, gb);
            }
        }
    }
    dispatch(Op(scale, d, x, gw, gb));
}

/// Whether `T` at `S` takes the vector forms: `f32` at a level wider than the scalar stand-in
/// (and, where the kernels say so, for at least one whole vector of rows: below that, the
/// plain forms compiled for the level cost fewer instructions).
#[inline(always)]
fn vector<T: Float, S: Simd>() -> bool {
    TypeId::of::<T>() == TypeId::of::<f32>() && !is_scalar::<S>()
}

/// `v` as the `f32` slice it is where [`vector`] holds (the same type: nothing converts).
#[inline(always)]
fn cast<T: Float>(v: &[T]) -> &[f32] {
    bytemuck::cast_slice(v)
}

/// [`cast`], mutably.
#[inline(always)]
fn cast_mut<T: Float>(v: &mut [T]) -> &mut [f32] {
    bytemuck::cast_slice_mut(v)
}

/// `a = f(z)` for a kind with a vector form.
pub(crate) fn activate<T: Float>(z: &[T], a: &mut [T], f: Elementwise<T>) {
    struct Op<'a, T>(&'a [T], &'a mut [T], Elementwise<T>);
    impl<T: Float> pulp::WithSimd for Op<'_, T> {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: Simd>(self, s: S) {
            let Op(z, a, f) = self;
            if vector::<T, S>() {
                activate_vector(s, cast(z), cast_mut(a), f.map(|v| v.as_f64() as f32));
            } else {
                activate_plain(z, a, f);
            }
        }
    }
    dispatch(Op(z, a, f));
}

/// One step of gradient descent on one tensor: `w -= lr (g + decay w)`.
#[cfg(feature = "std")]
pub(crate) fn sgd<T: Float>(lr: T, decay: T, w: &mut [T], g: &[T]) {
    struct Op<'a, T>(T, T, &'a mut [T], &'a [T]);
    impl<T: Float> pulp::WithSimd for Op<'_, T> {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: Simd>(self, s: S) {
            let Op(lr, decay, w, g) = self;
            let n = w.len().min(g.len());
            let (w, g) = (&mut w[..n], &g[..n]);
            if vector::<T, S>() {
                let (lr, decay) =
                    (s.splat_f32s(lr.as_f64() as f32), s.splat_f32s(decay.as_f64() as f32));
                let (wv, wt) = S::as_mut_simd_f32s(cast_mut(w));
                let (gv, gt) = S::as_simd_f32s(cast(g));
                for (w, &g) in wv.iter_mut().zip(gv) {
                    *w = sgd_lanes(s, lr, decay, *w, g);
                }
                if !wt.is_empty() {
                    let (w, g) = (s.partial_load_f32s(wt), s.partial_load_f32s(gt));
                    s.partial_store_f32s(wt, sgd_lanes(s, lr, decay, w, g));
                }
            } else {
                for i in 0..n {
                    w[i] -= lr * (g[i] + decay * w[i]);
                }
            }
        }
    }
    dispatch(Op(lr, decay, w, g));
}

/// The `i`th word of the counter-based stream keyed by `key`: a keyed integer hash of the
/// counter (two rounds of the `lowbias32` mixer of Chris Wellons' hash prospector, the key's
/// halves mixed in before each), the same in every lane width and in scalar code.
#[inline(always)]
pub(crate) fn word(key: u64, i: u32) -> u32 {
    let mix = |mut x: u32| {
        x ^= x >> 16;
        x = x.wrapping_mul(0x21f0_aaad);
        x ^= x >> 15;
        x = x.wrapping_mul(0x735a_2d97);
        x ^ (x >> 15)
    };
    mix(mix(i.wrapping_mul(0x9e37_79b9) ^ key as u32) ^ (key >> 32) as u32)
}

/// `lowbias32` in every lane. (The SIMD code here uses functions, never closures: a closure
/// is a function of its own, compiled without the level's instruction set.)
#[inline(always)]
fn mix<S: Simd>(s: S, x: S::u32s) -> S::u32s {
    let x = s.xor_u32s(x, s.wrapping_dyn_shr_u32s(x, s.splat_u32s(16)));
    let x = s.mul_u32s(x, s.splat_u32s(0x21f0_aaad));
    let x = s.xor_u32s(x, s.wrapping_dyn_shr_u32s(x, s.splat_u32s(15)));
    let x = s.mul_u32s(x, s.splat_u32s(0x735a_2d97));
    s.xor_u32s(x, s.wrapping_dyn_shr_u32s(x, s.splat_u32s(15)))
}

/// [`word`] in every lane, for the counters in `i`.
#[inline(always)]
fn words<S: Simd>(s: S, key: u64, i: S::u32s) -> S::u32s {
    let first = s.xor_u32s(s.mul_u32s(i, s.splat_u32s(0x9e37_79b9)), s.splat_u32s(key as u32));
    mix(s, s.xor_u32s(mix(s, first), s.splat_u32s((key >> 32) as u32)))
}

/// One vector of a dropout mask: `0` where the word is below `threshold`, else `keep`.
#[inline(always)]
fn mask_lanes<S: Simd>(s: S, key: u64, i: S::u32s, threshold: S::u32s, keep: S::f32s) -> S::f32s {
    s.select_f32s(s.less_than_u32s(words(s, key, i), threshold), s.splat_f32s(0.0), keep)
}

/// One vector of a gradient-descent step: `w - lr (g + decay w)`.
#[cfg(feature = "std")]
#[inline(always)]
fn sgd_lanes<S: Simd>(s: S, lr: S::f32s, decay: S::f32s, w: S::f32s, g: S::f32s) -> S::f32s {
    s.negate_mul_add_e_f32s(lr, s.mul_add_e_f32s(decay, w, g), w)
}

/// An inverted-dropout mask from the stream keyed by `key`: entry `i` is `0` where
/// `word(key, i) < threshold`, else `keep`.
pub(crate) fn dropout_mask<T: Float>(key: u64, threshold: u32, keep: T, mask: &mut [T]) {
    struct Op<'a, T>(u64, u32, T, &'a mut [T]);
    impl<T: Float> pulp::WithSimd for Op<'_, T> {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: Simd>(self, s: S) {
            let Op(key, threshold, keep, mask) = self;
            if vector::<T, S>() {
                let lanes = lanes::<S>();
                const IOTA: [u32; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
                let mut i = s.partial_load_u32s(&IOTA[..lanes.min(16)]);
                let step = s.splat_u32s(lanes as u32);
                let (threshold, keep) =
                    (s.splat_u32s(threshold), s.splat_f32s(keep.as_f64() as f32));
                let (mv, mt) = S::as_mut_simd_f32s(cast_mut(mask));
                for m in mv.iter_mut() {
                    *m = mask_lanes(s, key, i, threshold, keep);
                    i = s.add_u32s(i, step);
                }
                if !mt.is_empty() {
                    s.partial_store_f32s(mt, mask_lanes(s, key, i, threshold, keep));
                }
            } else {
                for (i, m) in mask.iter_mut().enumerate() {
                    *m = if word(key, i as u32) < threshold { T::zero() } else { keep };
                }
            }
        }
    }
    dispatch(Op(key, threshold, keep, mask));
}

// ---- plain forms ----

#[inline(always)]
fn affine_plain<T: Float>(w: &[T], b: &[T], x: &[T], z: &mut [T]) {
    let rows = z.len();
    if rows == 0 || b.len() < rows {
        return;
    }
    // `W x`, then `+ b`: nalgebra's order for `w * x + b`, so that inline and kernel layers
    // give the same numbers.
    z.fill(T::zero());
    let cols = x.len().min(w.len() / rows);
    let (w, x) = (&w[..cols * rows], &x[..cols]);
    // Four columns per pass over `z`, added in column order: the sums of one column at a
    // time, with a quarter of the loads and stores of `z`.
    for (cols, x) in w.chunks_exact(4 * rows).zip(x.chunks_exact(4)) {
        let (c0, rest) = cols.split_at(rows);
        let (c1, rest) = rest.split_at(rows);
        let (c2, c3) = rest.split_at(rows);
        for i in 0..rows {
            z[i] = (((z[i] + c0[i] * x[0]) + c1[i] * x[1]) + c2[i] * x[2]) + c3[i] * x[3];
        }
    }
    let done = cols / 4 * 4;
    for (col, &x) in w[done * rows..].chunks_exact(rows).zip(&x[done..]) {
        axpy(x, col, z);
    }
    for (z, &b) in z.iter_mut().zip(b) {
        *z += b;
    }
}

/// `y += a x`, over equal lengths, so that the loop vectorises without checks.
#[inline(always)]
fn axpy<T: Float>(a: T, x: &[T], y: &mut [T]) {
    let n = x.len().min(y.len());
    let (x, y) = (&x[..n], &mut y[..n]);
    for i in 0..n {
        y[i] += x[i] * a;
    }
}

#[inline(always)]
fn activate_plain<T: Float>(z: &[T], a: &mut [T], f: Elementwise<T>) {
    fn each<T: Float>(z: &[T], a: &mut [T], f: impl Activation<T>) {
        for (a, &z) in a.iter_mut().zip(z) {
            *a = f.f(z);
        }
    }
    match f {
        Elementwise::Identity => each(z, a, crate::activation::Identity),
        Elementwise::Relu => each(z, a, Relu),
        Elementwise::LeakyRelu(gamma) => each(z, a, crate::activation::LeakyRelu { gamma }),
        Elementwise::Tanh => each(z, a, Tanh),
        Elementwise::Sigmoid => each(z, a, Sigmoid),
        Elementwise::Other => {}
    }
}

#[inline(always)]
fn gemv_t_plain<T: Float>(w: &[T], d: &[T], out: &mut [T]) {
    let rows = d.len();
    if rows == 0 {
        out.fill(T::zero());
        return;
    }
    for (out, col) in out.iter_mut().zip(w.chunks_exact(rows)) {
        let mut sum = T::zero();
        for (&w, &d) in col.iter().zip(d) {
            sum += w * d;
        }
        *out = sum;
    }
}

#[inline(always)]
fn ger_plain<T: Float>(scale: T, d: &[T], x: &[T], gw: &mut [T], gb: &mut [T]) {
    let rows = d.len();
    if rows == 0 {
        return;
    }
    for (col, &x) in gw.chunks_exact_mut(rows).zip(x) {
        axpy(scale * x, d, col);
    }
    axpy(scale, d, gb);
}

// ---- vector forms (f32) ----

/// `rows` split into whole vectors and a tail shorter than one.
#[inline(always)]
fn split<S: Simd>(rows: usize) -> (usize, usize) {
    let lanes = lanes::<S>();
    (rows / lanes, rows % lanes)
}

#[inline(always)]
fn affine_vector<S: Simd>(s: S, w: &[f32], b: &[f32], x: &[f32], z: &mut [f32]) {
    let rows = z.len();
    if rows == 0 || w.len() < rows * x.len() || b.len() < rows {
        return;
    }
    let (whole, tail) = split::<S>(rows);
    let lanes = lanes::<S>();
    let mut start = 0;
    while start < whole {
        let n = (whole - start).min(PANEL);
        match n {
            1 => affine_panel::<S, 1>(s, w, b, x, z, start * lanes),
            2 => affine_panel::<S, 2>(s, w, b, x, z, start * lanes),
            3 => affine_panel::<S, 3>(s, w, b, x, z, start * lanes),
            _ => affine_panel::<S, PANEL>(s, w, b, x, z, start * lanes),
        }
        start += n;
    }
    if tail > 0 {
        let lo = whole * lanes;
        let mut acc = [s.partial_load_f32s(&b[lo..rows]), s.splat_f32s(0.0)];
        for (k, (col, &x)) in w.chunks_exact(rows).zip(x).enumerate() {
            let w = s.partial_load_f32s(&col[lo..]);
            acc[k % 2] = s.mul_add_e_f32s(w, s.splat_f32s(x), acc[k % 2]);
        }
        s.partial_store_f32s(&mut z[lo..], s.add_f32s(acc[0], acc[1]));
    }
}

/// `N` whole vectors of `z` from row `lo`, accumulated in registers over the columns of `W`,
/// even and odd columns apart so that consecutive multiply-adds do not wait on each other.
#[inline(always)]
fn affine_panel<S: Simd, const N: usize>(
    s: S,
    w: &[f32],
    b: &[f32],
    x: &[f32],
    z: &mut [f32],
    lo: usize,
) {
    let (rows, lanes) = (z.len(), lanes::<S>());
    let hi = lo + N * lanes;
    let bias = S::as_simd_f32s(&b[lo..hi]).0;
    let mut even: [S::f32s; N] = core::array::from_fn(|j| bias[j]);
    let mut odd = [s.splat_f32s(0.0); N];
    let mut pairs = w.chunks_exact(2 * rows).zip(x.chunks_exact(2));
    for (cols, x) in pairs.by_ref() {
        let (c0, c1) =
            (S::as_simd_f32s(&cols[lo..hi]).0, S::as_simd_f32s(&cols[rows + lo..rows + hi]).0);
        let (x0, x1) = (s.splat_f32s(x[0]), s.splat_f32s(x[1]));
        for j in 0..N {
            even[j] = s.mul_add_e_f32s(c0[j], x0, even[j]);
            odd[j] = s.mul_add_e_f32s(c1[j], x1, odd[j]);
        }
    }
    if x.len() % 2 == 1 {
        let k = x.len() - 1;
        if let (Some(col), Some(&x)) = (w.get(k * rows + lo..k * rows + hi), x.get(k)) {
            let (col, x) = (S::as_simd_f32s(col).0, s.splat_f32s(x));
            for (even, &w) in even.iter_mut().zip(col) {
                *even = s.mul_add_e_f32s(w, x, *even);
            }
        }
    }
    let out = S::as_mut_simd_f32s(&mut z[lo..hi]).0;
    for ((out, even), odd) in out.iter_mut().zip(even).zip(odd) {
        *out = s.add_f32s(even, odd);
    }
}

#[inline(always)]
fn activate_vector<S: Simd>(s: S, z: &[f32], a: &mut [f32], f: Elementwise<f32>) {
    match f {
        Elementwise::Identity => {
            let len = z.len().min(a.len());
            a[..len].copy_from_slice(&z[..len]);
        }
        Elementwise::Relu => math::map(s, z, a, ReluLanes),
        Elementwise::LeakyRelu(gamma) => math::map(s, z, a, LeakyReluLanes(gamma)),
        Elementwise::Tanh => math::map(s, z, a, math::Tanh),
        Elementwise::Sigmoid => math::map(s, z, a, math::Sigmoid),
        Elementwise::Other => {}
    }
}

/// [`Relu`], a NaN kept a NaN as there.
#[derive(Clone, Copy)]
struct ReluLanes;

impl math::Lanewise for ReluLanes {
    #[inline(always)]
    fn apply<S: Simd>(self, s: S, v: S::f32s) -> S::f32s {
        s.select_f32s(s.less_than_f32s(v, s.splat_f32s(0.0)), s.splat_f32s(0.0), v)
    }
}

/// [`LeakyRelu`](crate::activation::LeakyRelu) of slope `.0`.
#[derive(Clone, Copy)]
struct LeakyReluLanes(f32);

impl math::Lanewise for LeakyReluLanes {
    #[inline(always)]
    fn apply<S: Simd>(self, s: S, v: S::f32s) -> S::f32s {
        let leak = s.mul_f32s(s.splat_f32s(self.0), v);
        s.select_f32s(s.greater_than_f32s(v, s.splat_f32s(0.0)), v, leak)
    }
}

#[inline(always)]
fn gemv_t_vector<S: Simd>(s: S, w: &[f32], d: &[f32], out: &mut [f32]) {
    let rows = d.len();
    if rows == 0 {
        out.fill(0.0);
        return;
    }
    let (whole, _) = split::<S>(rows);
    let lo = whole * lanes::<S>();
    let (dv, dt) = (S::as_simd_f32s(&d[..lo]).0, s.partial_load_f32s(&d[lo..]));
    let tail = lo < rows;
    // Four columns at a time: four independent sums.
    let mut quads = out.chunks_exact_mut(4).zip(w.chunks_exact(4 * rows));
    for (out, cols) in quads.by_ref() {
        let mut acc = [s.splat_f32s(0.0); 4];
        for (c, acc) in acc.iter_mut().enumerate() {
            let col = &cols[c * rows..(c + 1) * rows];
            let cv = S::as_simd_f32s(&col[..lo]).0;
            for (j, &dj) in dv.iter().enumerate() {
                *acc = s.mul_add_e_f32s(cv[j], dj, *acc);
            }
            if tail {
                *acc = s.mul_add_e_f32s(s.partial_load_f32s(&col[lo..]), dt, *acc);
            }
        }
        for (out, acc) in out.iter_mut().zip(acc) {
            *out = s.reduce_sum_f32s(acc);
        }
    }
    let done = out.len() / 4 * 4;
    for (out, col) in out[done..].iter_mut().zip(w[done * rows..].chunks_exact(rows)) {
        let cv = S::as_simd_f32s(&col[..lo]).0;
        let mut acc = s.splat_f32s(0.0);
        for (j, &dj) in dv.iter().enumerate() {
            acc = s.mul_add_e_f32s(cv[j], dj, acc);
        }
        if tail {
            acc = s.mul_add_e_f32s(s.partial_load_f32s(&col[lo..]), dt, acc);
        }
        *out = s.reduce_sum_f32s(acc);
    }
}

#[inline(always)]
fn ger_vector<S: Simd>(s: S, scale: f32, d: &[f32], x: &[f32], gw: &mut [f32], gb: &mut [f32]) {
    let rows = d.len();
    if rows == 0 {
        return;
    }
    let (whole, _) = split::<S>(rows);
    let lanes = lanes::<S>();
    let mut start = 0;
    while start < whole {
        let n = (whole - start).min(PANEL);
        match n {
            1 => ger_panel::<S, 1>(s, scale, d, x, gw, start * lanes),
            2 => ger_panel::<S, 2>(s, scale, d, x, gw, start * lanes),
            3 => ger_panel::<S, 3>(s, scale, d, x, gw, start * lanes),
            _ => ger_panel::<S, PANEL>(s, scale, d, x, gw, start * lanes),
        }
        start += n;
    }
    let lo = whole * lanes;
    if lo < rows {
        let dt = s.partial_load_f32s(&d[lo..]);
        for (col, &x) in gw.chunks_exact_mut(rows).zip(x) {
            let g = &mut col[lo..];
            let sum = s.mul_add_e_f32s(dt, s.splat_f32s(scale * x), s.partial_load_f32s(g));
            s.partial_store_f32s(g, sum);
        }
    }
    let scale_v = s.splat_f32s(scale);
    for (g, d) in gb.chunks_mut(lanes).zip(d.chunks(lanes)) {
        let sum = s.mul_add_e_f32s(scale_v, s.partial_load_f32s(d), s.partial_load_f32s(g));
        s.partial_store_f32s(g, sum);
    }
}

/// `N` whole vectors of `d` from row `lo`, held in registers while every column of `gw` takes
/// its multiple of them.
#[inline(always)]
fn ger_panel<S: Simd, const N: usize>(
    s: S,
    scale: f32,
    d: &[f32],
    x: &[f32],
    gw: &mut [f32],
    lo: usize,
) {
    let (rows, lanes) = (d.len(), lanes::<S>());
    let hi = lo + N * lanes;
    let dv = S::as_simd_f32s(&d[lo..hi]).0;
    let dv: [S::f32s; N] = core::array::from_fn(|j| dv[j]);
    for (col, &x) in gw.chunks_exact_mut(rows).zip(x) {
        let sx = s.splat_f32s(scale * x);
        let g = S::as_mut_simd_f32s(&mut col[lo..hi]).0;
        for j in 0..N {
            g[j] = s.mul_add_e_f32s(dv[j], sx, g[j]);
        }
    }
}
