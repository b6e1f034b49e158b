//! Graph networks (section 4.2.3 of the textbook): the adjacency matrices graph convolutions
//! read, checked, normalised, and differentiated.
//!
//! A network declared with `input: graph(N, F)` takes one vector per sample: the `F` features
//! of each of the `N` nodes, node after node, then the `N x N` adjacency matrix, column after
//! column. [`graph_input`] builds it from the two matrices and checks the adjacency.
//!
//! A graph convolution (Kipf and Welling, 2017) mixes each node's features with its
//! neighbours' through the normalised adjacency `A_hat = D^-1/2 (A + I) D^-1/2`, where `D` is
//! the diagonal of the row sums of `A + I`: [`normalize`], with its derivative
//! [`normalize_backward`] (so that a network's input gradient covers the adjacency too) and its
//! directional derivative [`normalize_jvp`].

use core::fmt;

use nalgebra::{SMatrix, SVector};

use crate::Float;

/// Why an adjacency matrix cannot be used.
#[derive(Clone, Debug, PartialEq)]
pub enum GraphError {
    /// An entry is NaN or infinite.
    NotFinite {
        /// Its row.
        row: usize,
        /// Its column.
        column: usize,
    },
    /// An entry is negative: a row sum of `A + I` could then be zero or negative.
    Negative {
        /// Its row.
        row: usize,
        /// Its column.
        column: usize,
    },
    /// `A[(i, j)] != A[(j, i)]`: graph convolutions here are for undirected graphs.
    NotSymmetric {
        /// The row of the entry found first.
        row: usize,
        /// Its column.
        column: usize,
    },
    /// The weights of a row of `A + I` sum to infinity (each is finite, but together they
    /// exceed the scalar's range): the row's scale `1 / sqrt(d_i)` would be 0 and zero the row.
    RowSumOverflow {
        /// The row.
        row: usize,
    },
    /// The network's input width is not `F * N + N * N`.
    Width {
        /// The width asked for.
        expected: usize,
        /// `F * N + N * N`.
        found: usize,
    },
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            GraphError::NotFinite { row, column } => {
                write!(f, "adjacency entry ({row}, {column}) is not a finite number")
            }
            GraphError::Negative { row, column } => {
                write!(f, "adjacency entry ({row}, {column}) is negative; weights must be 0 or more")
            }
            GraphError::NotSymmetric { row, column } => write!(
                f,
                "the adjacency is not symmetric: entries ({row}, {column}) and ({column}, {row}) differ; graph convolutions need an undirected graph"
            ),
            GraphError::RowSumOverflow { row } => write!(
                f,
                "the weights of adjacency row {row} sum to more than the scalar type holds; scale the weights down"
            ),
            GraphError::Width { expected, found } => write!(
                f,
                "the network takes {expected} values per sample, but the features and the adjacency make {found}"
            ),
        }
    }
}

impl core::error::Error for GraphError {}

/// Checks that `a` can be a graph convolution's adjacency: finite, non-negative, symmetric,
/// and each row of `A + I` with a finite sum (the degree [`normalize`] divides by).
///
/// ```
/// use nn_runtime::graph::{check_adjacency, GraphError};
/// use nalgebra::SMatrix;
///
/// let path = SMatrix::<f32, 3, 3>::new(0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0);
/// assert_eq!(check_adjacency(&path), Ok(()));
/// let mut directed = path;
/// directed[(0, 1)] = 0.0;
/// assert_eq!(check_adjacency(&directed), Err(GraphError::NotSymmetric { row: 1, column: 0 }));
/// ```
pub fn check_adjacency<T: Float, const N: usize>(a: &SMatrix<T, N, N>) -> Result<(), GraphError> {
    for column in 0..N {
        for row in 0..N {
            let v = a[(row, column)];
            if !v.is_finite() {
                return Err(GraphError::NotFinite { row, column });
            }
            if v < T::zero() {
                return Err(GraphError::Negative { row, column });
            }
            if v != a[(column, row)] {
                return Err(GraphError::NotSymmetric { row, column });
            }
        }
    }
    for row in 0..N {
        if !(a.row(row).sum() + T::one()).is_finite() {
            return Err(GraphError::RowSumOverflow { row });
        }
    }
    Ok(())
}

/// Checks an input vector of a graph network built without [`graph_input`] (by hand, or read
/// from a file): its width is `F * N + N * N`, and its adjacency, the last `N * N` values
/// column after column, passes [`check_adjacency`]. The features are not checked.
///
/// ```
/// use nn_runtime::graph::{check_input, GraphError};
/// use nalgebra::SVector;
///
/// // One feature on each of 2 nodes, then the 2 x 2 adjacency.
/// let x = SVector::<f32, 6>::from([0.5, -0.5, 0.0, 1.0, 1.0, 0.0]);
/// assert_eq!(check_input::<f32, 1, 2, 6>(&x), Ok(()));
/// let big = SVector::<f32, 6>::from([0.5, -0.5, 3e38, 3e38, 3e38, 0.0]);
/// assert_eq!(check_input::<f32, 1, 2, 6>(&big), Err(GraphError::RowSumOverflow { row: 0 }));
/// ```
pub fn check_input<T: Float, const F: usize, const N: usize, const W: usize>(
    x: &SVector<T, W>,
) -> Result<(), GraphError> {
    let found = F * N + N * N;
    if found != W {
        return Err(GraphError::Width { expected: W, found });
    }
    let adjacency = SMatrix::<T, N, N>::from_column_slice(&x.as_slice()[F * N..]);
    check_adjacency(&adjacency)
}

/// [`check_input`] on every input of a data set's `inputs`; the error comes with the index
/// of the first sample that fails.
pub fn check_inputs<T: Float, const F: usize, const N: usize, const W: usize>(
    inputs: &[SVector<T, W>],
) -> Result<(), (usize, GraphError)> {
    for (i, x) in inputs.iter().enumerate() {
        check_input::<T, F, N, W>(x).map_err(|error| (i, error))?;
    }
    Ok(())
}

/// The input vector of a graph network with `N` nodes of `F` features: the features
/// (`features.column(i)` is node `i`'s), then the adjacency, after [`check_adjacency`].
/// `W` is the network's input width, `F * N + N * N`.
pub fn graph_input<T: Float, const F: usize, const N: usize, const W: usize>(
    features: &SMatrix<T, F, N>,
    adjacency: &SMatrix<T, N, N>,
) -> Result<SVector<T, W>, GraphError> {
    check_adjacency(adjacency)?;
    let found = F * N + N * N;
    if found != W {
        return Err(GraphError::Width { expected: W, found });
    }
    let mut x = SVector::<T, W>::zeros();
    x.as_mut_slice()[..F * N].copy_from_slice(features.as_slice());
    x.as_mut_slice()[F * N..].copy_from_slice(adjacency.as_slice());
    Ok(x)
}

/// The row sums of `A + I`, raised to the power `-1/2`.
fn scales<T: Float, const N: usize>(a: &SMatrix<T, N, N>) -> SVector<T, N> {
    SVector::from_fn(|i, _| (a.row(i).sum() + T::one()).sqrt().recip())
}

/// `A_hat = D^-1/2 (A + I) D^-1/2`, `D` the diagonal of the row sums of `A + I`. An adjacency
/// with negative weights can make a row sum zero or negative, and `A_hat` then infinite or
/// NaN (never a panic); [`check_adjacency`] rules it out.
///
/// ```
/// use nn_runtime::graph::normalize;
/// use nalgebra::SMatrix;
///
/// // Two nodes joined by an edge: every row sum of A + I is 2, so every entry is 1/2.
/// let a = SMatrix::<f64, 2, 2>::new(0.0, 1.0, 1.0, 0.0);
/// assert!((normalize(&a) - SMatrix::<f64, 2, 2>::repeat(0.5)).norm() < 1e-15);
/// ```
pub fn normalize<T: Float, const N: usize>(a: &SMatrix<T, N, N>) -> SMatrix<T, N, N> {
    let s = scales(a);
    SMatrix::from_fn(|i, j| {
        let m = if i == j { a[(i, j)] + T::one() } else { a[(i, j)] };
        s[i] * m * s[j]
    })
}

/// The gradient with respect to `A` of a loss whose gradient with respect to
/// `A_hat = normalize(A)` is `g`: `S g S` for the entries themselves, plus, through the row
/// sums `d_i` (every entry of row `i` counts in `d_i`), `dL/dd_i = -1/(2 d_i) sum_j
/// (g_ij A_hat_ij + g_ji A_hat_ji)`.
pub fn normalize_backward<T: Float, const N: usize>(
    a: &SMatrix<T, N, N>,
    a_hat: &SMatrix<T, N, N>,
    g: &SMatrix<T, N, N>,
) -> SMatrix<T, N, N> {
    let s = scales(a);
    let half = T::lit(0.5);
    let d_degree = SVector::<T, N>::from_fn(|i, _| {
        let mut sum = T::zero();
        for j in 0..N {
            sum += g[(i, j)] * a_hat[(i, j)] + g[(j, i)] * a_hat[(j, i)];
        }
        // 1 / d_i = s_i^2.
        -half * sum * s[i] * s[i]
    });
    SMatrix::from_fn(|i, k| s[i] * g[(i, k)] * s[k] + d_degree[i])
}

/// The directional derivative of `normalize` at `A` along `da`: `S da S` plus, through the
/// row sums, `-1/2 (dd_i / d_i + dd_j / d_j) A_hat_ij` with `dd = da 1`.
pub fn normalize_jvp<T: Float, const N: usize>(
    a: &SMatrix<T, N, N>,
    a_hat: &SMatrix<T, N, N>,
    da: &SMatrix<T, N, N>,
) -> SMatrix<T, N, N> {
    let s = scales(a);
    let half = T::lit(0.5);
    // dd_i / d_i, with 1 / d_i = s_i^2.
    let relative = SVector::<T, N>::from_fn(|i, _| da.row(i).sum() * s[i] * s[i]);
    SMatrix::from_fn(|i, j| {
        s[i] * da[(i, j)] * s[j] - half * (relative[i] + relative[j]) * a_hat[(i, j)]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph() -> SMatrix<f64, 4, 4> {
        SMatrix::<f64, 4, 4>::from_row_slice(&[
            0.0, 1.0, 0.5, 0.0, //
            1.0, 0.0, 2.0, 1.0, //
            0.5, 2.0, 0.0, 0.0, //
            0.0, 1.0, 0.0, 0.0,
        ])
    }

    #[test]
    fn normalisation_matches_its_formula_worked_by_hand() {
        let a = graph();
        let a_hat = normalize(&a);
        // Row sums of A + I: 2.5, 5, 3.5, 2.
        let d = [2.5_f64, 5.0, 3.5, 2.0];
        assert!((a_hat[(0, 1)] - 1.0 / (d[0] * d[1]).sqrt()).abs() < 1e-15);
        assert!((a_hat[(2, 2)] - 1.0 / d[2]).abs() < 1e-15);
        assert!((a_hat[(0, 3)]).abs() < 1e-15);
    }

    /// Both derivatives against central differences of `normalize`, on a direction that
    /// keeps the perturbed matrix an adjacency (symmetric) and one that does not.
    #[test]
    fn derivatives_match_central_differences() {
        let a = graph();
        let a_hat = normalize(&a);
        let g = SMatrix::<f64, 4, 4>::from_fn(|i, j| ((3 * i + 5 * j) as f64 * 0.7).sin());
        let loss = |a: &SMatrix<f64, 4, 4>| normalize(a).component_mul(&g).sum();
        let grad = normalize_backward(&a, &a_hat, &g);
        let h = 1e-6;
        for i in 0..4 {
            for k in 0..4 {
                let (mut up, mut down) = (a, a);
                up[(i, k)] += h;
                down[(i, k)] -= h;
                let numeric = (loss(&up) - loss(&down)) / (2.0 * h);
                assert!(
                    (numeric - grad[(i, k)]).abs() < 1e-8,
                    "({i}, {k}): {numeric} vs {}",
                    grad[(i, k)]
                );
            }
        }
        let da = SMatrix::<f64, 4, 4>::from_fn(|i, j| ((7 * i + 2 * j) as f64 * 0.3).cos());
        let tangent = normalize_jvp(&a, &a_hat, &da);
        let numeric = (normalize(&(a + h * da)) - normalize(&(a - h * da))) / (2.0 * h);
        assert!((numeric - tangent).norm() < 1e-8, "{}", (numeric - tangent).norm());
    }

    #[test]
    fn bad_adjacencies_are_errors() {
        let mut a = graph();
        a[(2, 1)] = f64::NAN;
        assert_eq!(check_adjacency(&a), Err(GraphError::NotFinite { row: 2, column: 1 }));
        let mut a = graph();
        a[(0, 1)] = -1.0;
        a[(1, 0)] = -1.0;
        assert_eq!(check_adjacency(&a), Err(GraphError::Negative { row: 1, column: 0 }));
        let features = SMatrix::<f64, 2, 4>::zeros();
        let x = graph_input::<f64, 2, 4, 24>(&features, &graph()).unwrap();
        assert_eq!(&x.as_slice()[8..], graph().as_slice());
        let error = graph_input::<f64, 2, 4, 20>(&features, &graph()).unwrap_err();
        assert_eq!(error, GraphError::Width { expected: 20, found: 24 });
    }

    #[test]
    fn hand_built_inputs_get_the_checks_of_graph_input() {
        // A 3e38 weight alone is finite, but two in a row of f32 sum to infinity.
        let mut a = SMatrix::<f32, 3, 3>::zeros();
        for (i, j) in [(0, 1), (0, 2)] {
            a[(i, j)] = 3e38;
            a[(j, i)] = 3e38;
        }
        assert_eq!(check_adjacency(&a), Err(GraphError::RowSumOverflow { row: 0 }));
        let features = SMatrix::<f32, 2, 3>::zeros();
        let error = graph_input::<f32, 2, 3, 15>(&features, &a).unwrap_err();
        assert_eq!(error, GraphError::RowSumOverflow { row: 0 });
        // The same adjacency written into the vector by hand.
        let mut x = SVector::<f32, 15>::zeros();
        x.as_mut_slice()[6..].copy_from_slice(a.as_slice());
        assert_eq!(check_input::<f32, 2, 3, 15>(&x), Err(GraphError::RowSumOverflow { row: 0 }));
        let good = graph_input::<f64, 2, 4, 24>(&SMatrix::zeros(), &graph()).unwrap();
        let mut directed = good;
        directed[8 + 4] = 7.0; // entry (0, 1), column-major after the 8 features
        assert_eq!(check_inputs::<f64, 2, 4, 24>(&[good, good]), Ok(()));
        assert_eq!(
            check_inputs::<f64, 2, 4, 24>(&[good, directed]),
            Err((1, GraphError::NotSymmetric { row: 1, column: 0 }))
        );
        assert_eq!(
            check_input::<f64, 2, 4, 20>(&SVector::zeros()),
            Err(GraphError::Width { expected: 20, found: 24 })
        );
    }
}
