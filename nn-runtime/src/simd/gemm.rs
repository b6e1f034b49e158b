//! The batched passes' matrix products: `C = alpha A B + beta C` over a whole batch, then
//! the bias and the activation.
//!
//! With `std`, the products are the [`gemm`](https://docs.rs/gemm) crate's (the kernels of
//! `faer`): blocked, packed, with its own run-time choice of AVX-512, AVX2 or SSE code for
//! `f32` and `f64`. Side by side on the products W2 to W4 make (`bench/gemm-compare`,
//! BENCHMARKS.md "Large batches") it was the fastest on every one: 0.3 to 0.9 of the time of
//! `matrixmultiply` (nalgebra's, used before) and 0.5 to 0.75 of the time of a blocked kernel
//! of this crate's own with the bias and activation fused into its register tile. Its one
//! entry point takes raw pointers: [`product`] calls it only after [`Product::fits`] has
//! checked that every element the shapes and strides address lies inside its slice, the
//! invariant that makes the call sound.
//!
//! Without `std` (where no batched pass runs, see `kernels::BATCHED`), nalgebra's `gemm` on
//! strided views stands in.
//!
//! The bias and an element-wise activation follow in one pass over the result, in the
//! vector kernels of the thread's level.
//!
//! Every function here does nothing if a slice is too short for the shapes it is given:
//! generated code always passes matching ones.

use nalgebra::{DMatrixView, DMatrixViewMut, Dyn};

use crate::activation::Elementwise;
use crate::Float;

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
    pub a: View<'a, T>,
    pub b: View<'a, T>,
    pub alpha: T,
    pub beta: T,
    pub c: &'a mut [T],
    pub bias: &'a [T],
    pub act: &'a mut [T],
    pub f: Elementwise<T>,
}

impl<T: Float> Product<'_, T> {
    /// Whether every slice holds what the shapes say: every element `(i, p)` of `a`
    /// (`i < m`, `p < k`), `(p, j)` of `b` and `(i, j)` of `c` (column-major, `m` rows) and of
    /// `act` lies inside its slice.
    fn fits(&self) -> bool {
        let Some(len) = self.m.checked_mul(self.n) else { return false };
        self.a.covers(self.m, self.k)
            && self.b.covers(self.k, self.n)
            && self.c.len() >= len
            && (self.bias.is_empty() || self.bias.len() >= self.m)
            && (self.act.is_empty() || self.act.len() >= len)
            && (self.f != Elementwise::Other || self.act.is_empty())
    }
}

/// Runs `p`: the product, then the bias and the activation.
pub(crate) fn product<T: Float>(p: Product<'_, T>) {
    if !p.fits() {
        return;
    }
    let Product { m, n, k, a, b, alpha, beta, c, bias, act, f } = p;
    let c = &mut c[..m * n];
    multiply(m, n, k, a, b, alpha, beta, c);
    if !bias.is_empty() {
        crate::kernels::add_bias(&bias[..m], c);
    }
    if !act.is_empty() {
        (T::kernels().activate)(c, &mut act[..m * n], f);
    }
}

/// `c = alpha a b + beta c` (`beta` 0 or 1), the shapes checked by [`Product::fits`].
#[allow(clippy::too_many_arguments)]
fn multiply<T: Float>(
    m: usize,
    n: usize,
    k: usize,
    a: View<'_, T>,
    b: View<'_, T>,
    alpha: T,
    beta: T,
    c: &mut [T],
) {
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if beta == T::zero() {
            c.fill(T::zero());
        }
        return;
    }
    #[cfg(feature = "std")]
    {
        let stride = |s: usize| isize::try_from(s).ok();
        let strides = (stride(m), stride(a.rs), stride(a.cs), stride(b.rs), stride(b.cs));
        if let (Some(ldc), Some(a_rs), Some(a_cs), Some(b_rs), Some(b_cs)) = strides {
            // SAFETY: `gemm` reads `a` at `i * a.rs + p * a.cs` for `i < m`, `p < k`, `b` at
            // `p * b.rs + j * b.cs` for `j < n`, and reads and writes `c` at `i + j * m`; the
            // caller checked with `Product::fits` that each of these lies inside its slice
            // (and the strides fit in `isize`, checked here). The slices are live for the
            // call and `c`, borrowed mutably, overlaps neither of the others.
            unsafe {
                gemm::gemm(
                    m,
                    n,
                    k,
                    c.as_mut_ptr(),
                    ldc,
                    1,
                    beta != T::zero(),
                    a.data.as_ptr(),
                    a_cs,
                    a_rs,
                    b.data.as_ptr(),
                    b_cs,
                    b_rs,
                    // `gemm`'s `alpha` scales the destination, its `beta` the product.
                    T::one(),
                    alpha,
                    false,
                    false,
                    false,
                    gemm::Parallelism::None,
                );
            }
            return;
        }
    }
    let mut out = DMatrixViewMut::from_slice(c, m, n);
    out.gemm(alpha, &a.view(m, k), &b.view(k, n), beta);
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
            product(Product {
                m,
                n,
                k,
                a: View::columns(&a, m),
                b: view_b,
                alpha,
                beta,
                c: &mut c,
                bias: &bias_v,
                act: &mut act,
                f,
            })
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
        product(Product {
            m: 2,
            n: 2,
            k: 4,
            a: View::columns(&a, 2),
            b: View::columns(&a, 4),
            alpha: 1.0,
            beta: 0.0,
            c: &mut c,
            bias: &[],
            act: &mut [],
            f: Elementwise::Identity,
        });
        assert_eq!(c, [7.0; 4]);
    }
}
