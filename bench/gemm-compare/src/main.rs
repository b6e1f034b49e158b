//! The products W2-W4 make in a batched step, through three GEMMs, medians of 9 timings:
//!
//! ```text
//! taskset -c 0 cargo run --release            # every product, all three side by side
//! taskset -c 0 cargo run --release -- W3 f1   # the products whose name contains a filter
//! ONLY=nn taskset -c 0 cargo run --release    # one GEMM alone (nn, gemm or mm)
//! ```
//!
//! `NN` is `C = A B` (a layer's forward product: weights times batch), `NT` is `C += A B^T`
//! (a weight gradient: error terms times the inputs transposed), `TN` is `C = A^T B` (an
//! input gradient). The `2t` column is nn's one-thread time over its time inside
//! `with_threads(2, ..)`.
#![allow(clippy::too_many_arguments)]

use std::time::Instant;

#[derive(Clone, Copy, Debug)]
enum Op {
    NN,
    NT,
    TN,
}

struct Case {
    name: &'static str,
    m: usize,
    k: usize,
    n: usize,
    op: Op,
}

fn mm(c: &Case, a: &[f32], b: &[f32], d: &mut [f32]) {
    let (m, k, n) = (c.m, c.k, c.n);
    // column-major: A stored (rows x cols) with row stride 1, col stride rows
    unsafe {
        match c.op {
            // C(m x n) = A(m x k) B(k x n)
            Op::NN => matrixmultiply::sgemm(
                m,
                k,
                n,
                1.0,
                a.as_ptr(),
                1,
                m as isize,
                b.as_ptr(),
                1,
                k as isize,
                0.0,
                d.as_mut_ptr(),
                1,
                m as isize,
            ),
            // C(m x k) += D(m x n) X^T, X stored k x n ; here "n" is batch: A = D (m x n), B = X^T (n x k)
            Op::NT => matrixmultiply::sgemm(
                m,
                n,
                k,
                1.0,
                a.as_ptr(),
                1,
                m as isize,
                b.as_ptr(),
                k as isize,
                1,
                1.0,
                d.as_mut_ptr(),
                1,
                m as isize,
            ),
            // C(k x n) = W^T (k x m) D (m x n); W stored m x k
            Op::TN => matrixmultiply::sgemm(
                k,
                m,
                n,
                1.0,
                a.as_ptr(),
                m as isize,
                1,
                b.as_ptr(),
                1,
                m as isize,
                0.0,
                d.as_mut_ptr(),
                1,
                k as isize,
            ),
        }
    }
}

fn gm(c: &Case, a: &[f32], b: &[f32], d: &mut [f32]) {
    let (m, k, n) = (c.m, c.k, c.n);
    use gemm::Parallelism::None as P;
    unsafe {
        match c.op {
            Op::NN => gemm::gemm(
                m,
                n,
                k,
                d.as_mut_ptr(),
                m as isize,
                1,
                false,
                a.as_ptr(),
                m as isize,
                1,
                b.as_ptr(),
                k as isize,
                1,
                0.0f32,
                1.0f32,
                false,
                false,
                false,
                P,
            ),
            Op::NT => gemm::gemm(
                m,
                k,
                n,
                d.as_mut_ptr(),
                m as isize,
                1,
                true,
                a.as_ptr(),
                m as isize,
                1,
                b.as_ptr(),
                1,
                k as isize,
                1.0f32,
                1.0f32,
                false,
                false,
                false,
                P,
            ),
            Op::TN => gemm::gemm(
                k,
                n,
                m,
                d.as_mut_ptr(),
                k as isize,
                1,
                false,
                a.as_ptr(),
                1,
                m as isize,
                b.as_ptr(),
                m as isize,
                1,
                0.0f32,
                1.0f32,
                false,
                false,
                false,
                P,
            ),
        }
    }
}

fn nk(c: &Case, a: &[f32], b: &[f32], d: &mut [f32]) {
    let (m, k, n) = (c.m, c.k, c.n);
    use nn_runtime::kernels as K;
    match c.op {
        Op::NN => K::linear(&a[..m * k], &b[..k * n], &mut d[..m * n], m, k, n),
        Op::NT => K::linear_backward_params(
            &a[..m * n],
            &b[..k * n],
            &mut d[..m * k],
            &mut [],
            m,
            k,
            n,
            1.0,
        ),
        Op::TN => K::linear_backward_input(&a[..m * k], &b[..m * n], &mut d[..k * n], m, k, n, 0.0),
    }
}

fn time(f: &mut dyn FnMut()) -> f64 {
    for _ in 0..20 {
        f();
    }
    let mut reps = 1usize;
    loop {
        let t = Instant::now();
        for _ in 0..reps {
            f();
        }
        let e = t.elapsed().as_secs_f64();
        if e > 0.02 {
            break;
        }
        reps *= 2;
    }
    let mut v = Vec::new();
    for _ in 0..9 {
        let t = Instant::now();
        for _ in 0..reps {
            f();
        }
        v.push(t.elapsed().as_secs_f64() / reps as f64);
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[4]
}

fn main() {
    let cases = [
        Case { name: "W2 f1 b256", m: 128, k: 64, n: 256, op: Op::NN },
        Case { name: "W2 f2 b256", m: 64, k: 128, n: 256, op: Op::NN },
        Case { name: "W2 f3 b256", m: 10, k: 64, n: 256, op: Op::NN },
        Case { name: "W2 f1 b32", m: 128, k: 64, n: 32, op: Op::NN },
        Case { name: "W2 f2 b32", m: 64, k: 128, n: 32, op: Op::NN },
        Case { name: "W2 dW1 b32", m: 128, k: 64, n: 32, op: Op::NT },
        Case { name: "W2 dW2 b32", m: 64, k: 128, n: 32, op: Op::NT },
        Case { name: "W2 dX2 b32", m: 64, k: 128, n: 32, op: Op::TN },
        Case { name: "W3 f1 b256", m: 256, k: 784, n: 256, op: Op::NN },
        Case { name: "W3 f2 b256", m: 128, k: 256, n: 256, op: Op::NN },
        Case { name: "W3 f1 b64", m: 256, k: 784, n: 64, op: Op::NN },
        Case { name: "W3 f2 b64", m: 128, k: 256, n: 64, op: Op::NN },
        Case { name: "W3 dW1 b64", m: 256, k: 784, n: 64, op: Op::NT },
        Case { name: "W3 dW2 b64", m: 128, k: 256, n: 64, op: Op::NT },
        Case { name: "W3 dX2 b64", m: 128, k: 256, n: 64, op: Op::TN },
        Case { name: "W4 f b32", m: 32, k: 32, n: 32, op: Op::NN },
        Case { name: "W4 dW b32", m: 32, k: 32, n: 32, op: Op::NT },
        Case { name: "W4 dX b32", m: 32, k: 32, n: 32, op: Op::TN },
    ];
    let filter: Vec<String> = std::env::args().skip(1).collect();
    if let Ok(which) = std::env::var("ONLY") {
        for c in &cases {
            if !filter.iter().any(|f| c.name.contains(f.as_str())) {
                continue;
            }
            let a: Vec<f32> =
                (0..c.m * c.k.max(c.n)).map(|i| ((i * 7 % 13) as f32) * 0.01).collect();
            let b: Vec<f32> =
                (0..c.k * c.n.max(c.m)).map(|i| ((i * 5 % 11) as f32) * 0.01).collect();
            let mut d = vec![0f32; c.m * c.k.max(c.n) + c.k * c.n];
            let t = match which.as_str() {
                "nn" => time(&mut || nk(c, &a, &b, &mut d)),
                "gemm" => time(&mut || gm(c, &a, &b, &mut d)),
                _ => time(&mut || mm(c, &a, &b, &mut d)),
            };
            let fl = 2.0 * (c.m * c.k * c.n) as f64;
            println!("{} {which} {:.0} ns {:.1} GF", c.name, t * 1e9, fl / t * 1e-9);
        }
        return;
    }
    println!(
        "{:<12} {:>6} {:>10} {:>10} {:>7} {:>8} {:>8}",
        "case", "op", "mm ns", "gemm ns", "g/mm", "mm GF", "gemm GF"
    );
    println!("(columns: mm gemm nn | gemm/mm nn/mm | GF mm gemm nn)");
    for c in &cases {
        if !filter.is_empty() && !filter.iter().any(|f| c.name.contains(f.as_str())) {
            continue;
        }
        let a: Vec<f32> = (0..c.m * c.k.max(c.n)).map(|i| ((i * 7 % 13) as f32) * 0.01).collect();
        let b: Vec<f32> = (0..c.k * c.n.max(c.m)).map(|i| ((i * 5 % 11) as f32) * 0.01).collect();
        let mut d1 = vec![0f32; c.m * c.k.max(c.n) + c.k * c.n];
        let mut d2 = d1.clone();
        mm(c, &a, &b, &mut d1);
        gm(c, &a, &b, &mut d2);
        let err = d1.iter().zip(&d2).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
        assert!(err < 1e-2, "{} err {err}", c.name);
        let mut d3 = d1.clone();
        nk(c, &a, &b, &mut d3);
        let t3 = time(&mut || nk(c, &a, &b, &mut d3));
        let t3b = time(&mut || nk(c, &a, &b, &mut d3));
        let t3 = t3.min(t3b);
        let t3t = nn_runtime::kernels::with_threads(2, || time(&mut || nk(c, &a, &b, &mut d3)));
        let t1 = time(&mut || mm(c, &a, &b, &mut d1));
        let t2 = time(&mut || gm(c, &a, &b, &mut d2));
        let t1b = time(&mut || mm(c, &a, &b, &mut d1));
        let t2b = time(&mut || gm(c, &a, &b, &mut d2));
        let (t1, t2) = (t1.min(t1b), t2.min(t2b));
        let fl = 2.0 * (c.m * c.k * c.n) as f64;
        println!("{:<12} {:>6?} {:>10.0} {:>10.0} {:>10.0} {:>7.2} {:>7.2} {:>8.1} {:>8.1} {:>8.1} 2t {:>5.2}x", c.name, c.op, t1 * 1e9, t2 * 1e9, t3 * 1e9, t2 / t1, t3 / t1, fl / t1 * 1e-9, fl / t2 * 1e-9, fl / t3 * 1e-9, t3 / t3t);
    }
}
