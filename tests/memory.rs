//! DESIGN.md's memory contract, checked:
//!
//! - a training step of a network whose parameters live inline allocates nothing on the heap
//!   (counted by a global allocator, per thread so that tests running in parallel do not
//!   disturb each other's counts);
//! - the largest layers of an MNIST-size network (784-256-128-10) live on the heap, and the
//!   network is built, trained on a batch of 64 and dropped in a thread with the default
//!   2 MiB stack of a test thread;
//! - no network struct, even in `f64`, is larger than 64 KiB.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::mem::size_of;

use nn::nalgebra::{SMatrix, SVector};
use nn::rand::SeedableRng;
use nn::{Adam, Float, Network, Optimizer, Sgd};
use rand_chacha::ChaCha8Rng;

/// Counts the allocations (and reallocations) made by the current thread.
struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count_one() {
    // `try_with`: a thread's last deallocations can run after its locals are gone. A `const`
    // local without a destructor needs no allocation to exist, so counting never recurses.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        System.realloc(ptr, layout, new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Runs `f` and returns its result with the number of heap allocations it made in this thread.
fn allocations_in<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let before = ALLOCATIONS.with(Cell::get);
    let result = black_box(f());
    (ALLOCATIONS.with(Cell::get) - before, result)
}

nn::network! {
    /// XOR-sized: 2-8-1, 33 parameters.
    pub struct Xor {
        input: 2,
        hidden: dense(8) -> tanh,
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

nn::network! {
    /// A mid-size regressor, 32-64-64-1: 6337 parameters, all inline (the limit is 8192).
    pub struct Mid {
        input: 32,
        hidden1: dense(64) -> relu,
        hidden2: dense(64) -> tanh,
        output: dense(1) -> identity,
        loss: mse,
    }
}

nn::network! {
    /// A small classifier, 16-32-4 with softmax: 676 parameters, all inline.
    pub struct Classifier {
        input: 16,
        hidden: dense(32) -> relu,
        output: dense(4) -> softmax,
        loss: cross_entropy,
    }
}

nn::network! {
    /// A graph with every kind of line: a skip connection, a sum, a concatenation, maxout,
    /// learnable activations and dropout, all inline.
    pub struct Graph {
        input: 8,
        a: dense(16) -> prelu -> dropout(0.3),
        b: dense(16) -> swish_learnable,
        s: a + b -> relu,
        m: concat(input, s) -> maxout(8, 3),
        drop: dropout(0.5),
        output: concat(drop, a) -> dense(3) -> softmax,
        loss: cross_entropy,
    }
}

nn::network! {
    /// MNIST-size, 784-256-128-10: 235,146 parameters, the two large layers on the heap.
    pub struct Mnist {
        input: 784,
        hidden1: dense(256) -> relu,
        hidden2: dense(128) -> relu,
        output: dense(10) -> softmax,
        loss: cross_entropy,
    }
}

/// A deterministic matrix with entries spread over `[-1, 1]`.
fn pattern<T: Float, const R: usize, const C: usize>(salt: usize) -> SMatrix<T, R, C> {
    SMatrix::from_fn(|i, j| T::lit(((i * 7 + j * 13 + salt * 5) % 17) as f64 / 8.0 - 1.0))
}

/// Asserts that the body allocates nothing, naming `what` if it does.
macro_rules! assert_no_allocation {
    ($what:expr, $body:expr) => {{
        let (allocations, result) = allocations_in(|| $body);
        assert_eq!(allocations, 0, "{} allocated {allocations} times", $what);
        result
    }};
}

/// Asserts that a batched call allocates at most the packing buffers of its blocked products:
/// the `gemm` crate allocates at most two per product (a vector of flags, and on some calls a
/// packing buffer: see `nn::kernels`), and a batch makes at most three products per layer
/// (forward, weight gradient, input gradient). Anything else allocating (a gradient, a
/// buffer per step) would exceed it for every network here.
macro_rules! assert_packing_only {
    ($what:expr, $layers:expr, $body:expr) => {{
        let (allocations, result) = allocations_in(|| $body);
        let allowed = 2 * 3 * $layers;
        assert!(
            allocations <= allowed,
            "{} allocated {allocations} times for {} layers (at most {allowed})",
            $what,
            $layers
        );
        result
    }};
}

/// Checks `forward`, `forward_batch`, `loss`, `loss_batch` and two training steps (one sample,
/// then a batch of 16) of an inline network for heap allocations; also that the steps moved
/// the parameters, so the measured code really ran.
macro_rules! check_inline_network {
    ($net:ident, $t:ty, $inputs:expr, $outputs:expr, $target:expr) => {{
        let what = format!("{}<{}>", stringify!($net), <$t as Float>::NAME);
        let mut net = $net::<$t>::seeded(3);
        let x: SVector<$t, $inputs> = pattern(0);
        let xs: SMatrix<$t, $inputs, 16> = pattern(1);
        let y: SVector<$t, $outputs> = $target;
        let ys: SMatrix<$t, $outputs, 16> = SMatrix::from_fn(|i, _| y[i]);
        let sgd = Sgd::new(<$t as Float>::lit(0.1));
        let before = net.clone();
        // The batched path's scratch buffer is made by a thread's first batched call; calls
        // after it, measured below, allocate at most the blocked products' packing buffers.
        let layers = <$net<$t> as Network<$t>>::LAYERS.iter().filter(|l| l.params > 0).count();
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        black_box(net.forward_batch(&xs));
        black_box(net.loss_and_grad_batch_training::<16, _>(&xs, &ys, &mut rng));

        assert_no_allocation!(format!("{what}::forward"), net.forward(&x));
        assert_packing_only!(format!("{what}::forward_batch"), layers, net.forward_batch(&xs));
        assert_no_allocation!(format!("{what}::loss"), net.loss(&x, &y));
        assert_no_allocation!(format!("{what}::loss_batch"), net.loss_batch(&xs, &ys));
        assert_no_allocation!(format!("{what}: loss_and_grad + Sgd::step"), {
            let (loss, grad) = net.loss_and_grad(&x, &y);
            sgd.step(&mut net, &grad);
            loss
        });
        assert_packing_only!(format!("{what}: loss_and_grad_batch::<16> + Sgd::step"), layers, {
            let (loss, grad) = net.loss_and_grad_batch::<16>(&xs, &ys);
            sgd.step(&mut net, &grad);
            loss
        });
        // On two threads (with the `parallel` feature) the products are split: no more
        // allocations than on one.
        black_box(net.loss_and_grad_batch_parallel::<16>(&xs, &ys));
        assert_packing_only!(format!("{what}: loss_and_grad_batch_parallel::<16>"), layers, {
            net.loss_and_grad_batch_parallel::<16>(&xs, &ys)
        });
        // Optimizer state is made once, beside the network; a step allocates nothing.
        let mut adam = Adam::new(<$t as Float>::lit(1e-3));
        assert_no_allocation!(format!("{what}: loss_and_grad + Adam::step"), {
            let (loss, grad) = net.loss_and_grad(&x, &y);
            Optimizer::step(&mut adam, &mut net, &grad);
            loss
        });
        assert_no_allocation!(format!("{what}::loss_and_grad_input"), {
            net.loss_and_grad_input(&x, &y)
        });
        assert_no_allocation!(format!("{what}::forward_training"), {
            net.forward_training(&x, &mut rng)
        });
        assert_packing_only!(
            format!("{what}: loss_and_grad_batch_training::<16> + Sgd::step"),
            layers,
            {
                let (loss, grad) = net.loss_and_grad_batch_training::<16, _>(&xs, &ys, &mut rng);
                sgd.step(&mut net, &grad);
                loss
            }
        );
        assert_ne!(net, before, "{what}: the steps left the parameters unchanged");
    }};
}

#[test]
fn the_counter_counts() {
    let (allocations, v) = allocations_in(|| Vec::<u8>::with_capacity(1));
    assert_eq!(allocations, 1);
    drop(v);
    let (allocations, _) = allocations_in(|| Box::new(black_box(1_u64)));
    assert_eq!(allocations, 1);
}

#[test]
fn inline_networks_train_without_allocating() {
    check_inline_network!(Xor, f32, 2, 1, SVector::from([1.0]));
    check_inline_network!(Xor, f64, 2, 1, SVector::from([1.0]));
    check_inline_network!(Mid, f32, 32, 1, SVector::from([0.5]));
    check_inline_network!(Mid, f64, 32, 1, SVector::from([0.5]));
    check_inline_network!(Classifier, f32, 16, 4, nn::loss::one_hot(2).unwrap());
    check_inline_network!(Classifier, f64, 16, 4, nn::loss::one_hot(2).unwrap());
    check_inline_network!(Graph, f32, 8, 3, nn::loss::one_hot(1).unwrap());
    check_inline_network!(Graph, f64, 8, 3, nn::loss::one_hot(1).unwrap());
}

nn::network! {
    /// A memory network on the batched path: `rnn(16)` over 12 steps of 8, then `dense(2)`.
    pub struct Memory {
        input: 8 x 12,
        memory: rnn(16) -> tanh,
        output: dense(2),
        loss: mse,
    }
}

/// The batched passes of an `rnn` advance the whole batch a step at a time: `S` products
/// forward (the input's share of every step at once, then `W_hh H_{t-1}` for each step after
/// the first) and `S + 1` backward (`W_hh^T D_t` for each step after the first, then `dW_ih`
/// and `dW_hh` over all steps), beside the dense head's three. After a thread's first batched
/// call has made its scratch buffer, a step allocates at most what those kernel calls allocate
/// (the `gemm` crate's flags and packing buffer: see `nn::kernels`), measured here on one
/// call of each shape: a buffer per step, a gradient or a trace would exceed it.
#[test]
fn recurrent_batches_allocate_only_in_the_products() {
    fn check<T: Float>() {
        const STEPS: usize = 12;
        let what = format!("Memory<{}>", T::NAME);
        let mut net = Memory::<T>::seeded(3);
        let before = net.clone();
        let xs: SMatrix<T, 96, 16> = pattern(1);
        let ys: SMatrix<T, 2, 16> = pattern(2);
        let (x, y): (SVector<T, 96>, SVector<T, 2>) = (pattern(3), pattern(4));
        let sgd = Sgd::new(T::lit(0.1));
        let mut grad = <Memory<T> as Network<T>>::zeros();

        // What one kernel call of each shape the passes make allocates.
        let (n, steps) = (16, STEPS);
        let product = |rows: usize, cols: usize, columns: usize| {
            let w = vec![T::lit(0.5); rows * cols];
            let x = vec![T::lit(0.25); cols * columns];
            let mut z = vec![T::zero(); rows * columns];
            let mut dw = vec![T::zero(); rows * cols];
            let mut dx = vec![T::zero(); cols * columns];
            let (forward, _) = allocations_in(|| {
                nn::kernels::linear(&w, &x, &mut z, rows, cols, columns);
            });
            let (params, _) = allocations_in(|| {
                nn::kernels::linear_backward_params(
                    &z,
                    &x,
                    &mut dw,
                    &mut [],
                    rows,
                    cols,
                    columns,
                    T::one(),
                );
            });
            let (input, _) = allocations_in(|| {
                nn::kernels::linear_backward_input(&w, &z, &mut dx, rows, cols, columns, T::zero());
            });
            forward.max(params).max(input)
        };
        let per_product = [
            product(16, 8, steps * n),
            product(16, 16, n),
            product(16, 16, (steps - 1) * n),
            product(2, 16, n),
        ]
        .into_iter()
        .max()
        .unwrap_or(0);
        let forward_products = steps + 1;
        let backward_products = steps + 1 + 2;

        // The thread's first batched call makes the scratch buffer.
        black_box(net.loss_and_grad_batch_into::<16>(&xs, &ys, &mut grad));
        let (count, _) = allocations_in(|| net.forward_batch::<16>(&xs));
        assert!(
            count <= forward_products * per_product,
            "{what}::forward_batch::<16> allocated {count} times, more than its {forward_products} products' {per_product} each"
        );
        let (count, _) = allocations_in(|| {
            let loss = net.loss_and_grad_batch_into::<16>(&xs, &ys, &mut grad);
            sgd.step(&mut net, &grad);
            loss
        });
        let products = forward_products + backward_products;
        assert!(
            count <= products * per_product,
            "{what}: loss_and_grad_batch_into::<16> + Sgd::step allocated {count} times, more than its {products} products' {per_product} each"
        );
        // One sample at a time: no allocation at all.
        assert_no_allocation!(format!("{what}::forward"), net.forward(&x));
        assert_no_allocation!(format!("{what}: loss_and_grad_into + Sgd::step"), {
            let loss = net.loss_and_grad_into(&x, &y, &mut grad);
            sgd.step(&mut net, &grad);
            loss
        });
        assert_ne!(net, before, "{what}: the steps left the parameters unchanged");
    }
    check::<f32>();
    check::<f64>();
}

nn::network! {
    /// Streams: two stacked gated layers and an Elman one, one sample at a time.
    pub struct Streaming {
        input: 1 x 64,
        first: gru_sequence(16),
        second: lstm(32),
        third: first -> rnn(8) -> tanh,
        output: concat(second, third) -> dense(1),
        loss: mse,
        stream: StreamingState,
    }
}

/// `step` and `reset` allocate nothing, in either scalar, however many steps run.
#[test]
fn streaming_allocates_nothing() {
    fn check<T: Float>() {
        let net = Streaming::<T>::seeded(1);
        let mut state = StreamingState::<T>::new();
        let (count, y) = allocations_in(|| {
            let mut y = SVector::<T, 1>::zeros();
            for t in 0..1000 {
                y = net.step(&mut state, &SVector::from([T::lit((t as f64 * 0.1).sin())]));
                if t == 500 {
                    state.reset();
                }
            }
            y
        });
        assert_eq!(count, 0, "{} allocations in 1000 steps ({})", count, T::NAME);
        assert!(y[0].is_finite());
    }
    check::<f32>();
    check::<f64>();
}

/// The counter sees allocations made inside the library too: the gradient of a network with
/// boxed layers has boxed layers of its own.
#[test]
fn predicting_into_a_buffer_allocates_nothing() {
    let net = Mid::<f32>::seeded(1);
    let inputs: Vec<SVector<f32, 32>> = (0..37).map(pattern).collect();
    let mut outputs = vec![SVector::<f32, 1>::zeros(); 37];
    let (count, result) = allocations_in(|| {
        nn::predict::predict_into::<f32, Mid<f32>, 32, 1, 8>(&net, &inputs, &mut outputs)
    });
    assert_eq!((count, result), (0, Ok(())));
    let (count, n) = allocations_in(|| {
        nn::predict::Predictions::<_, _, _, 32, 1, 8>::new(&net, inputs.iter().copied()).count()
    });
    assert_eq!((count, n), (0, 37));
}

#[test]
fn boxed_networks_allocate_their_gradient() {
    let net = Mnist::<f32>::seeded(1);
    let x: SVector<f32, 784> = pattern(0);
    let y = nn::loss::one_hot::<f32, 10>(4).unwrap();
    let (allocations, _) = allocations_in(|| net.loss_and_grad(&x, &y));
    assert!(allocations > 0, "a gradient with boxed layers was made without allocating");
    // A gradient kept between steps: the single-sample step allocates nothing.
    let mut grad = <Mnist as Network<f32>>::zeros();
    let (allocations, _) = allocations_in(|| net.loss_and_grad_into(&x, &y, &mut grad));
    assert_eq!(allocations, 0, "loss_and_grad_into allocated");
    assert_eq!(grad, net.loss_and_grad(&x, &y).1);
}

/// Compiles only if `matrix` is a `Box` (an inline matrix does not coerce to `&Box`).
#[allow(clippy::borrowed_box)]
fn boxed<T: Float, const R: usize, const C: usize>(matrix: &Box<SMatrix<T, R, C>>) -> *const T {
    matrix.as_ptr()
}

/// Whether `data` points inside the bytes of `value` itself (not behind a pointer it holds).
fn inside<V, T>(value: &V, data: *const T) -> bool {
    let start = value as *const V as usize;
    (start..start + size_of::<V>()).contains(&(data as usize))
}

#[test]
fn the_large_layers_of_mnist_are_boxed() {
    let net = Mnist::<f32>::seeded(1);
    assert_eq!(<Mnist as Network<f32>>::PARAMS, 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10);
    assert!(!inside(&net, boxed::<f32, 256, 784>(&net.hidden1.weight)));
    assert!(!inside(&net, net.hidden1.bias.as_ptr()));
    assert!(!inside(&net, boxed::<f32, 128, 256>(&net.hidden2.weight)));
    assert!(!inside(&net, net.hidden2.bias.as_ptr()));
    // The small output layer (1290 parameters) stays inline.
    assert!(inside(&net, net.output.weight.as_ptr()));
    assert!(inside(&net, net.output.bias.as_ptr()));
    // The inline networks hold all their parameters in place.
    let mid = Mid::<f64>::seeded(1);
    for data in [mid.hidden1.weight.as_ptr(), mid.hidden2.weight.as_ptr(), mid.output.bias.as_ptr()]
    {
        assert!(inside(&mid, data));
    }
}

#[test]
fn every_network_struct_fits_in_64_kib() {
    const LIMIT: usize = 64 * 1024;
    let sizes = [
        ("Xor<f64>", size_of::<Xor<f64>>()),
        ("Mid<f64>", size_of::<Mid<f64>>()),
        ("Classifier<f64>", size_of::<Classifier<f64>>()),
        ("Mnist<f64>", size_of::<Mnist<f64>>()),
    ];
    for (name, size) in sizes {
        assert!(size <= LIMIT, "{name} takes {size} bytes, more than 64 KiB");
    }
    // Mid is inline: its f64 parameters alone take 6337 * 8 bytes.
    assert!(size_of::<Mid<f64>>() >= <Mid<f64> as Network<f64>>::PARAMS * 8);
}

/// Builds an MNIST-size network, trains it for five SGD steps on a batch of 64 and drops it.
/// Returns the loss before each step and after the last, and how many of the 64 samples the
/// trained network classifies correctly.
fn train_mnist<T: Float>() -> (Vec<f64>, usize) {
    let mut net = Mnist::<T>::seeded(7);
    // Four classes of distinct patterns: class `c` lights the `c`-th quarter of the image
    // with varying intensities and leaves the rest dark.
    let mut xs = nn::zeroed_box::<T, 784, 64>();
    let mut ys = nn::zeroed_box::<T, 10, 64>();
    for j in 0..64 {
        let class = j % 4;
        for i in class * 196..(class + 1) * 196 {
            xs[(i, j)] = T::lit(0.5 + ((i * 7 + j * 3) % 11) as f64 / 20.0);
        }
        ys[(class, j)] = T::one();
    }
    let sgd = Sgd::new(T::lit(0.05));
    let mut losses = Vec::new();
    for _ in 0..5 {
        let (loss, grad) = net.loss_and_grad_batch::<64>(&xs, &ys);
        sgd.step(&mut net, &grad);
        losses.push(loss.as_f64());
    }
    losses.push(net.loss_batch::<64>(&xs, &ys).as_f64());
    let outputs = net.forward_batch::<64>(&xs);
    let correct = (0..64).filter(|&j| outputs.column(j).argmax().0 == j % 4).count();
    drop(net);
    (losses, correct)
}

/// Runs `train_mnist::<T>` in a fresh thread of `stack` bytes and checks that it learned.
/// A stack overflow aborts the whole test binary, which fails the test as well.
fn train_mnist_in_thread<T: Float>(stack: usize) {
    let name = format!("mnist-{}-{}kib", T::NAME, stack / 1024);
    let worker = std::thread::Builder::new()
        .name(name.clone())
        .stack_size(stack)
        .spawn(train_mnist::<T>)
        .expect("spawning a thread");
    let (losses, correct) = worker.join().unwrap_or_else(|_| panic!("thread `{name}` panicked"));
    println!("{name}: losses over 5 SGD steps {losses:.4?}, {correct} of 64 right");
    assert!(losses.iter().all(|l| l.is_finite()), "{name}: {losses:?}");
    assert!(
        losses.windows(2).all(|w| w[1] < w[0]),
        "{name}: the loss did not decrease at every step: {losses:?}"
    );
    assert!(losses[5] < 0.5 * losses[0], "{name}: the loss did not halve: {losses:?}");
    assert_eq!(correct, 64, "{name}");
}

/// The MNIST-size network in `f32` and `f64`, each in a thread with a test thread's default
/// 2 MiB stack: the network, its gradients and the batch keep their large matrices on the heap.
#[test]
fn mnist_size_network_trains_in_a_2_mib_thread() {
    train_mnist_in_thread::<f32>(2 * 1024 * 1024);
    train_mnist_in_thread::<f64>(2 * 1024 * 1024);
}

/// The same in 256 KiB, a sharper test of "nothing larger than 64 KiB on the stack": one
/// weight matrix of the first layer takes 784 KiB in `f32` (1.5 MiB in `f64`, which a 2 MiB
/// stack can still hold), and a copy of it, or of its gradient, overflows here. Training needs
/// under 64 KiB of stack today, so the bound leaves room for other temporaries.
#[test]
fn mnist_size_network_trains_in_a_256_kib_thread() {
    train_mnist_in_thread::<f32>(256 * 1024);
    train_mnist_in_thread::<f64>(256 * 1024);
}
