//! The batched passes' matrix products: `C = alpha A B + beta C` over a whole batch, with the
//! bias and the activation fused into the pass that writes `C`.
//!
//! Two forms, chosen per call like the other kernels:
//!
//! - **Vector** (`f32` at AVX2 and AVX-512). A register tile of `C`, `MV` vectors of rows by
//!   `NR` columns (`2 x 12` of 16 lanes at AVX-512, `2 x 6` of 8 at AVX2), accumulates with
//!   fused multiply-adds while `A`'s columns stream through it. `A` (a layer's weights, or
//!   the error terms for a weight gradient) is read where it lies, never copied: its columns
//!   are contiguous. `B` (the batch) is copied once per block of `KC` rows by `NR` columns
//!   into a panel on the stack, the order the tile reads it in. The bias and the activation
//!   are applied to the tile in registers before it is stored. Nothing allocates.
//! - **Plain** (`f64` at every level, `f32` at the baseline, and any `A` whose rows are not
//!   contiguous): nalgebra's `gemm` on strided views, which hands products whose every
//!   dimension exceeds 5 to `matrixmultiply`'s blocked kernels and runs smaller ones as its
//!   own loops; then one pass for the bias and one for the activation.
//!
//! Every function here does nothing if a slice is too short for the shapes it is given:
//! generated code always passes matching ones.

use core::any::TypeId;

use nalgebra::{DMatrixView, DMatrixViewMut, Dyn};
use pulp::Simd;

use super::kernels::{activate_lanes, vector};
use super::{dispatch_products, lanes};
use crate::activation::Elementwise;
use crate::Float;

/// Rows of `B` (the reduction) per panel: `KC x NR` scalars on the stack, at most 12 KiB.
const KC: usize = 256;

/// A read-only matrix: element `(i, j)` at `data[i * rs + j * cs]`.
#[derive(Clone, Copy)]
pub(crate) struct View<'a, T> {
    pub data: &'a [T],
    pub rs: usize,
    pub cs: usize,
}

impl<'a, T> View<'a, T> {
    /// The column-major `rows x cols` matrix stored in `data`.
    pub fn columns(data: &'a [T], rows: usize) -> Self {
        Self { data, rs: 1, cs: rows }
    }

    /// The transpose of the column-major matrix with `rows` rows stored in `data`.
    pub fn transposed(data: &'a [T], rows: usize) -> Self {
        Self { data, rs: rows, cs: 1 }
    }

    /// Whether `data` holds every element of a `rows x cols` matrix.
    fn covers(&self, rows: usize, cols: usize) -> bool {
        if rows == 0 || cols == 0 {
            return true;
        }
        let last = (rows - 1).checked_mul(self.rs).zip((cols - 1).checked_mul(self.cs));
        last.and_then(|(r, c)| r.checked_add(c)).is_some_and(|last| last < self.data.len())
    }

    /// The `rows x cols` matrix as nalgebra's view (`data` must cover it).
    fn view(self, rows: usize, cols: usize) -> DMatrixView<'a, T, Dyn, Dyn>
    where
        T: Float,
    {
        let len = if rows == 0 || cols == 0 {
            0
        } else {
            (rows - 1) * self.rs + (cols - 1) * self.cs + 1
        };
        DMatrixView::from_slice_with_strides_generic(
            &self.data[..len],
            Dyn(rows),
            Dyn(cols),
            Dyn(self.rs),
            Dyn(self.cs),
        )
    }

    /// The matrix from column `j` on.
    #[cfg(feature = "parallel")]
    pub fn skip_columns(self, j: usize) -> Self {
        let start = j.saturating_mul(self.cs).min(self.data.len());
        Self { data: &self.data[start..], ..self }
    }
}

/// One product `c = alpha a b + beta c` (`beta` is 0 or 1), `a` being `m x k`, `b` `k x n`
/// and `c` the column-major `m x n` matrix; then, given a bias (length `m`), `c += bias` in
/// every column, and, given `act` (`m x n`, empty for none), `act = f(c)` for an `f` with a
/// vector form (never [`Elementwise::Other`]).
pub(crate) struct Product<'a, T> {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    /// `a` itself, or (if `packed`) its copy by [`pack_a`].
    pub a: View<'a, T>,
    pub packed: bool,
    pub b: View<'a, T>,
    pub alpha: T,
    pub beta: T,
    pub c: &'a mut [T],
    pub bias: &'a [T],
    pub act: &'a mut [T],
    pub f: Elementwise<T>,
}

impl<T: Float> Product<'_, T> {
    /// Whether every slice holds what the shapes say.
    fn fits(&self) -> bool {
        let Some(len) = self.m.checked_mul(self.n) else { return false };
        let a = if self.packed {
            self.a.data.len() >= packed_len(self.m, self.k)
        } else {
            self.a.covers(self.m, self.k)
        };
        a && self.b.covers(self.k, self.n)
            && self.c.len() >= len
            && (self.bias.is_empty() || self.bias.len() >= self.m)
            && (self.act.is_empty() || self.act.len() >= len)
            && (self.f != Elementwise::Other || self.act.is_empty())
    }
}

/// Whether a product of `T`s at this thread's product level takes the vector form, which reads `A`
/// packed by [`pack_a`].
pub(crate) fn packs<T: Float>() -> bool {
    struct Op<T>(core::marker::PhantomData<T>);
    impl<T: Float> pulp::WithSimd for Op<T> {
        type Output = bool;
        #[inline(always)]
        fn with_simd<S: Simd>(self, _: S) -> bool {
            vector::<T, S>()
        }
    }
    dispatch_products(Op::<T>(core::marker::PhantomData))
}

/// Runs `p` at the thread's [`product_level`](super::product_level), the vector form using
/// `panels` ([`panels_len`] scalars; the plain form needs none).
pub(crate) fn product<T: Float>(p: Product<'_, T>, panels: &mut [T]) {
    struct Op<'a, T>(Product<'a, T>, &'a mut [T]);
    impl<T: Float> pulp::WithSimd for Op<'_, T> {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: Simd>(self, s: S) {
            let Op(p, panels) = self;
            if !p.fits() {
                return;
            }
            if p.packed != vector::<T, S>() {
                // Packed for another level than this thread's: not reached by the crate's
                // callers, which pack exactly when `packs` says so.
                return;
            }
            if p.packed {
                let p = Product {
                    m: p.m,
                    n: p.n,
                    k: p.k,
                    a: View { data: cast(p.a.data), rs: p.a.rs, cs: p.a.cs },
                    packed: true,
                    b: View { data: cast(p.b.data), rs: p.b.rs, cs: p.b.cs },
                    alpha: p.alpha.as_f64() as f32,
                    beta: p.beta.as_f64() as f32,
                    c: bytemuck::cast_slice_mut(p.c),
                    bias: cast(p.bias),
                    act: bytemuck::cast_slice_mut(p.act),
                    f: p.f.map(|v| v.as_f64() as f32),
                };
                let panels = bytemuck::cast_slice_mut(panels);
                match lanes::<S>() {
                    16 => product_vector::<S, 2, 12>(s, p, panels),
                    _ => product_vector::<S, 4, 3>(s, p, panels),
                }
            } else {
                product_plain(p);
            }
        }
    }
    dispatch_products(Op(p, panels));
}

/// Scalars the vector form needs for the panels of `B` of a product with `n` columns.
pub(crate) fn panels_len(n: usize) -> usize {
    // Room for the widest tile's (12 columns) last, partly empty, panel.
    n.saturating_add(12).saturating_mul(KC)
}

#[inline(always)]
fn cast<T: Float>(v: &[T]) -> &[f32] {
    bytemuck::cast_slice(v)
}

/// The plain form: nalgebra's `gemm` (or loops, for small products), then the bias and the
/// activation.
fn product_plain<T: Float>(p: Product<'_, T>) {
    let Product { m, n, k, a, b, alpha, beta, c, bias, act, f, .. } = p;
    let c = &mut c[..m * n];
    if m > 5 && n > 5 && k > 5 {
        let mut out = DMatrixViewMut::from_slice(c, m, n);
        out.gemm(alpha, &a.view(m, k), &b.view(k, n), beta);
    } else {
        if beta == T::zero() {
            c.fill(T::zero());
        }
        for (j, c) in c.chunks_exact_mut(m.max(1)).enumerate() {
            for p in 0..k {
                let scale = alpha * b.data[p * b.rs + j * b.cs];
                for (i, c) in c.iter_mut().enumerate() {
                    *c += scale * a.data[i * a.rs + p * a.cs];
                }
            }
        }
    }
    if !bias.is_empty() {
        crate::kernels::add_bias(&bias[..m], c);
    }
    if !act.is_empty() {
        (T::kernels().activate)(c, &mut act[..m * n], f);
    }
}

/// The vector form for `f32`, `a` packed by [`pack_a`].
#[inline(always)]
fn product_vector<S: Simd, const MV: usize, const NR: usize>(
    s: S,
    p: Product<'_, f32>,
    panels: &mut [f32],
) {
    let Product { m, n, k, a, b, alpha, beta, c, bias, act, f, .. } = p;
    let padded = m.div_ceil(MR) * MR;
    let Some(panels) = panels.get_mut(..KC * NR * n.div_ceil(NR)) else { return };
    // `k == 0` still runs one (empty) block: `c = beta c`, then the bias and activation.
    let mut k0 = 0;
    loop {
        let kc = (k - k0).min(KC);
        let last = k0 + kc == k;
        let epilogue = Epilogue {
            alpha,
            // After the first block, each block adds to what the ones before it stored.
            accumulate: k0 > 0 || beta != 0.0,
            bias: if last { bias } else { &[] },
            f: if last && !act.is_empty() { Some(f) } else { None },
        };
        let block = &a.data[k0 * padded..k0 * padded + kc * padded];
        for (q, panel) in panels.chunks_exact_mut(KC * NR).enumerate() {
            let j0 = q * NR;
            pack_b(panel, b, k0, kc, j0, (n - j0).min(NR), NR);
        }
        // Each panel of `A` (in the first-level cache after its first tile) meets every panel
        // of `B` (streamed from the second level) before the next.
        for i0 in (0..m).step_by(MR) {
            let rows = &block[i0 * kc..(i0 + MR) * kc];
            for (q, panel) in panels.chunks_exact(KC * NR).enumerate() {
                let j0 = q * NR;
                let acc = accumulate::<S, MV, NR>(s, rows, &panel[..kc * NR]);
                let c = &mut c[j0 * m..];
                let act: &mut [f32] = if act.is_empty() { &mut [] } else { &mut act[j0 * m..] };
                epilogue.store(s, &acc, c, act, m, i0, (m - i0).min(MR), (n - j0).min(NR));
            }
        }
        k0 += kc;
        if k0 >= k {
            break;
        }
    }
}

/// Rows of `A` per packed panel: two vectors of AVX-512's 16 lanes, four of AVX2's 8.
pub(crate) const MR: usize = 32;

/// Scalars [`pack_a`] writes for an `m x k` matrix.
pub(crate) fn packed_len(m: usize, k: usize) -> usize {
    m.div_ceil(MR) * MR * k
}

/// Copies `a` (`m x k`) into `out` in the order the vector form reads it: blocks of `KC`
/// columns, each a run of panels of [`MR`] rows (the last padded with zeros), each panel
/// column after column. Does nothing if `out` is shorter than [`packed_len`].
pub(crate) fn pack_a<T: Float>(a: View<'_, T>, m: usize, k: usize, out: &mut [T]) {
    // Compiled for the products' level like them: its copies of a panel's column are then a
    // few vector moves, not calls to `memmove`.
    struct Op<'a, T>(View<'a, T>, usize, usize, &'a mut [T]);
    impl<T: Float> pulp::WithSimd for Op<'_, T> {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: Simd>(self, _: S) {
            let Op(a, m, k, out) = self;
            if TypeId::of::<T>() == TypeId::of::<f32>() {
                let a = View { data: cast(a.data), rs: a.rs, cs: a.cs };
                pack_a_columns::<S>(a, m, k, bytemuck::cast_slice_mut(out));
            } else {
                // Only `f32` is packed (`packs`).
            }
        }
    }
    dispatch_products(Op(a, m, k, out));
}

/// [`pack_a`]'s work, inlined into the function compiled for the level.
#[inline(always)]
fn pack_a_columns<S: Simd>(a: View<'_, f32>, m: usize, k: usize, out: &mut [f32]) {
    let padded = m.div_ceil(MR) * MR;
    if out.len() < padded * k || !a.covers(m, k) {
        return;
    }
    let mut k0 = 0;
    while k0 < k {
        let kc = (k - k0).min(KC);
        let block = &mut out[k0 * padded..(k0 + kc) * padded];
        for (i, panel) in block.chunks_exact_mut(kc * MR).enumerate() {
            let i0 = i * MR;
            let rows = (m - i0).min(MR);
            if a.rs == 1 {
                // Columns contiguous: one copy of `rows` scalars per column.
                for (p, column) in panel.chunks_exact_mut(MR).enumerate() {
                    let start = (k0 + p) * a.cs + i0;
                    if rows == MR {
                        // Whole vectors moved: not a call to `memmove`.
                        let to = S::as_mut_simd_f32s(column).0;
                        for (to, &from) in
                            to.iter_mut().zip(S::as_simd_f32s(&a.data[start..start + MR]).0)
                        {
                            *to = from;
                        }
                    } else {
                        column[..rows].copy_from_slice(&a.data[start..start + rows]);
                        column[rows..].fill(0.0);
                    }
                }
            } else {
                // Rows contiguous (a transpose): each row read in one sweep, written every
                // `MR` scalars of the panel, which stays in the first-level cache.
                if rows < MR {
                    panel.fill(0.0);
                }
                for r in 0..rows {
                    let start = (i0 + r) * a.rs + k0 * a.cs;
                    let row = a.data[start..].iter().step_by(a.cs).take(kc);
                    for (x, &v) in panel[r..].iter_mut().step_by(MR).zip(row) {
                        *x = v;
                    }
                }
            }
        }
        k0 += kc;
    }
}

/// Copies `B`'s rows `k0..k0 + kc` and columns `j0..j0 + cols` into `panel`, row `p` at
/// `p * nr`, the columns past `cols` zero.
#[inline(always)]
fn pack_b(
    panel: &mut [f32],
    b: View<'_, f32>,
    k0: usize,
    kc: usize,
    j0: usize,
    cols: usize,
    nr: usize,
) {
    let panel = &mut panel[..kc * nr];
    if kc == 0 {
        return;
    }
    if cols < nr {
        panel.fill(0.0);
    }
    // Row by row of the panel (contiguous writes; the compiler would otherwise turn the
    // column-wise order into scatters, slower than these loads).
    for (p, row) in panel.chunks_exact_mut(nr).enumerate() {
        let start = (k0 + p) * b.rs + j0 * b.cs;
        for (j, x) in row[..cols].iter_mut().enumerate() {
            *x = b.data[start + j * b.cs];
        }
    }
}

/// One tile of `MR` rows by `NR` columns: the sum over `p` of the packed panel's column `p`
/// (`a`, `MR` scalars per column) times row `p` of `B`'s panel.
#[inline(always)]
fn accumulate<S: Simd, const MV: usize, const NR: usize>(
    s: S,
    a: &[f32],
    panel: &[f32],
) -> [[S::f32s; MV]; NR] {
    let mut acc = [[s.splat_f32s(0.0); MV]; NR];
    for (column, b) in a.chunks_exact(MR).zip(panel.chunks_exact(NR)) {
        let column = S::as_simd_f32s(column).0;
        for (acc, &b) in acc.iter_mut().zip(b) {
            let b = s.splat_f32s(b);
            for (acc, &a) in acc.iter_mut().zip(column) {
                *acc = s.mul_add_e_f32s(a, b, *acc);
            }
        }
    }
    acc
}

/// What happens to a finished tile.
struct Epilogue<'a> {
    alpha: f32,
    /// Whether the tile is added to `c` (else it overwrites it).
    accumulate: bool,
    /// The bias to add (empty: none).
    bias: &'a [f32],
    /// The activation to write into `act`, if any.
    f: Option<Elementwise<f32>>,
}

impl Epilogue<'_> {
    /// Stores `rows` rows from `i0` (whole vectors, or fewer than one) of the first `cols`
    /// columns of `acc` into `c` (and `act`), both column-major with `m` rows.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn store<S: Simd, const MV: usize, const NR: usize>(
        &self,
        s: S,
        acc: &[[S::f32s; MV]; NR],
        c: &mut [f32],
        act: &mut [f32],
        m: usize,
        i0: usize,
        rows: usize,
        cols: usize,
    ) {
        let lanes = lanes::<S>();
        let alpha = s.splat_f32s(self.alpha);
        for (j, acc) in acc.iter().enumerate().take(cols) {
            for (v, &acc) in acc.iter().enumerate().take(rows.div_ceil(lanes)) {
                let lo = j * m + i0 + v * lanes;
                let len = (rows - v * lanes).min(lanes);
                let b = i0 + v * lanes;
                let mut z = if self.alpha == 1.0 { acc } else { s.mul_f32s(acc, alpha) };
                if len == lanes {
                    // Whole vectors: plain loads and stores, inlined.
                    let c = &mut S::as_mut_simd_f32s(&mut c[lo..lo + lanes]).0[0];
                    if self.accumulate {
                        z = s.add_f32s(*c, z);
                    }
                    if !self.bias.is_empty() {
                        z = s.add_f32s(z, S::as_simd_f32s(&self.bias[b..b + lanes]).0[0]);
                    }
                    *c = z;
                    if let Some(f) = self.f {
                        S::as_mut_simd_f32s(&mut act[lo..lo + lanes]).0[0] =
                            activate_lanes(s, f, z);
                    }
                } else {
                    let range = lo..lo + len;
                    if self.accumulate {
                        z = s.add_f32s(s.partial_load_f32s(&c[range.clone()]), z);
                    }
                    if !self.bias.is_empty() {
                        z = s.add_f32s(z, s.partial_load_f32s(&self.bias[b..b + len]));
                    }
                    s.partial_store_f32s(&mut c[range.clone()], z);
                    if let Some(f) = self.f {
                        s.partial_store_f32s(&mut act[range], activate_lanes(s, f, z));
                    }
                }
            }
        }
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::activation::{Activation, LeakyRelu, Relu, Sigmoid, Tanh};
    use crate::simd::{with_level, Level};

    /// A deterministic value in [-1, 1) for index `i` and a salt.
    fn value(i: usize, salt: usize) -> f32 {
        let x = (i.wrapping_mul(2654435761).wrapping_add(salt.wrapping_mul(40503)) % 2001) as f32;
        x / 1000.0 - 1.0
    }

    fn f64_of(f: Elementwise<f32>, z: f64) -> f64 {
        match f {
            Elementwise::Identity | Elementwise::Other => z,
            Elementwise::Relu => Relu.f(z),
            Elementwise::LeakyRelu(g) => LeakyRelu { gamma: f64::from(g) }.f(z),
            Elementwise::Tanh => Tanh.f(z),
            Elementwise::Sigmoid => Sigmoid.f(z),
        }
    }

    /// Runs one product at `level` and checks it against the same sums in `f64`.
    #[allow(clippy::too_many_arguments)]
    fn check(
        level: Level,
        m: usize,
        n: usize,
        k: usize,
        b_transposed: bool,
        beta: f32,
        bias: bool,
        f: Elementwise<f32>,
    ) {
        let a: Vec<f32> = (0..m * k).map(|i| value(i, 1)).collect();
        let b: Vec<f32> = (0..k * n).map(|i| value(i, 2)).collect();
        let c0: Vec<f32> = (0..m * n).map(|i| value(i, 3)).collect();
        let bias_v: Vec<f32> =
            if bias { (0..m).map(|i| value(i, 4)).collect() } else { Vec::new() };
        let alpha = 0.75_f32;
        let b_at = |r: usize, j: usize| if b_transposed { b[j + r * n] } else { b[r + j * k] };
        let mut c = c0.clone();
        let mut act = vec![f32::NAN; if bias { m * n } else { 0 }];
        let view_b = if b_transposed { View::transposed(&b, n) } else { View::columns(&b, k) };
        with_level(level, || {
            // As the crate's callers do: packed where the level's form reads it packed.
            let packed = packs::<f32>();
            let mut copy = vec![f32::NAN; packed_len(m, k)];
            pack_a(View::columns(&a, m), m, k, &mut copy);
            let mut panels = vec![f32::NAN; panels_len(n)];
            product(
                Product {
                    m,
                    n,
                    k,
                    a: if packed { View::columns(&copy, m) } else { View::columns(&a, m) },
                    packed,
                    b: view_b,
                    alpha,
                    beta,
                    c: &mut c,
                    bias: &bias_v,
                    act: &mut act,
                    f,
                },
                &mut panels,
            )
        })
        .unwrap();
        for j in 0..n {
            for i in 0..m {
                let mut sum = 0.0_f64;
                let mut size = 0.0_f64;
                for p in 0..k {
                    let t = f64::from(a[i + p * m]) * f64::from(b_at(p, j));
                    sum += t;
                    size += t.abs();
                }
                let mut z = f64::from(alpha) * sum + f64::from(beta) * f64::from(c0[i + j * m]);
                if bias {
                    z += f64::from(bias_v[i]);
                }
                let tol = 1e-6 * (size + 2.0);
                let got = f64::from(c[i + j * m]);
                assert!(
                    (got - z).abs() <= tol,
                    "{level:?} m {m} n {n} k {k} t {b_transposed} beta {beta}: c[{i},{j}] = {got}, expected {z}"
                );
                if bias {
                    let got = f64::from(act[i + j * m]);
                    let expected = f64_of(f, f64::from(c[i + j * m]));
                    assert!(
                        (got - expected).abs() <= 1e-6 * (1.0 + expected.abs()),
                        "{level:?} {f:?}: act {got} vs {expected}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_level_computes_the_products_of_every_shape() {
        for level in Level::ALL.into_iter().filter(|l| l.is_available()) {
            for &m in &[1, 3, 8, 15, 16, 17, 31, 32, 33, 47, 70] {
                for &n in &[1, 5, 6, 12, 13, 25] {
                    for &k in &[0, 1, 7, 64, 255, 256, 257, 530] {
                        for t in [false, true] {
                            check(level, m, n, k, t, 0.0, false, Elementwise::Identity);
                            check(level, m, n, k, t, 1.0, false, Elementwise::Identity);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_bias_and_activation_are_fused_at_every_level() {
        let kinds = [
            Elementwise::Identity,
            Elementwise::Relu,
            Elementwise::LeakyRelu(0.1),
            Elementwise::Tanh,
            Elementwise::Sigmoid,
        ];
        for level in Level::ALL.into_iter().filter(|l| l.is_available()) {
            for f in kinds {
                for &(m, n, k) in &[(37, 13, 300), (16, 12, 9), (5, 3, 4), (64, 25, 0)] {
                    check(level, m, n, k, false, 0.0, true, f);
                }
            }
        }
    }

    #[test]
    fn products_with_short_slices_do_nothing() {
        let a = [1.0_f32; 6];
        let mut c = [7.0_f32; 4];
        product(
            Product {
                m: 2,
                n: 2,
                k: 4,
                a: View::columns(&a, 2),
                packed: packs::<f32>(),
                b: View::columns(&a, 4),
                alpha: 1.0,
                beta: 0.0,
                c: &mut c,
                bias: &[],
                act: &mut [],
                f: Elementwise::Identity,
            },
            &mut vec![0.0; panels_len(2)],
        );
        assert_eq!(c, [7.0; 4]);
    }
}
