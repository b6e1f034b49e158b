//! Gated recurrent layers: the long short-term memory (LSTM) and the gated recurrent unit (GRU),
//! with PyTorch's equations, gate order, layout and initialisation.
//!
//! Both hold PyTorch's four tensors under PyTorch's names, the gates stacked row-wise:
//! `weight_ih` (`G x IN`), `weight_hh` (`G x H`), `bias_ih` and `bias_hh` (`G`), where `G` is
//! `4 H` for the LSTM (gates `i, f, g, o`) and `3 H` for the GRU (gates `r, z, n`). `G` is a
//! parameter of its own because stable Rust cannot compute `4 * H` in a type; a layer whose
//! `G` is not its gates times `H` does not compile (the check is a `const` assertion).
//!
//! **LSTM** (`torch.nn.LSTM`), with `sigma` the logistic function, `h_0 = c_0 = 0`:
//!
//! ```text
//! a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh          (4H: the blocks i, f, g, o)
//! i = sigma(a_i)   f = sigma(a_f)   g = tanh(a_g)   o = sigma(a_o)
//! c_t = f * c_{t-1} + i * g
//! h_t = o * tanh(c_t)
//! ```
//!
//! **GRU** (`torch.nn.GRU`), the reset gate applied to `W_hn h + b_hn`, `h_0 = 0`:
//!
//! ```text
//! r = sigma(W_ir x + b_ir + W_hr h_{t-1} + b_hr)
//! z = sigma(W_iz x + b_iz + W_hz h_{t-1} + b_hz)
//! n = tanh(W_in x + b_in + r * (W_hn h_{t-1} + b_hn))
//! h_t = (1 - z) * n + z * h_{t-1}
//! ```
//!
//! Every tensor starts uniform in `[-1/sqrt(H), 1/sqrt(H)]`, biases included, as in PyTorch.
//!
//! The generated passes call each cell one step at a time through the same three methods,
//! `step`, `step_backward` and `step_jvp`, over a per-step *memory* `c` of `H` values beside
//! the state `h`: the LSTM's cell state, and for the GRU (which has no cell state) the value
//! `W_hn h_{t-1} + b_hn` that its backward pass needs; a GRU ignores the memory it is given.

use nalgebra::SVector;
use rand::Rng;

use crate::activation::sigmoid;
use crate::Float;

/// One step of a gated layer, as its backward and forward-mode passes need it: the gates
/// after their activations (`G` values, in PyTorch's order), the memory `c` (see the module
/// docs) and the new state `h`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step<T: Float, const H: usize, const G: usize> {
    /// The gates after their activations: LSTM `i, f, g, o`; GRU `r, z, n`.
    pub gates: SVector<T, G>,
    /// The LSTM's cell state `c_t`; for the GRU, `W_hn h_{t-1} + b_hn`.
    pub c: SVector<T, H>,
    /// The state `h_t`, the layer's output at this step.
    pub h: SVector<T, H>,
}

/// The gradients a step of a gated layer passes back: to the previous state and memory, and
/// `d_ih`, the gradient with respect to `W_ih x_t` (the step's input gradient is
/// `W_ih^T d_ih`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepGrad<T: Float, const H: usize, const G: usize> {
    /// `dL/dh_{t-1}` through this step.
    pub h: SVector<T, H>,
    /// `dL/dc_{t-1}` through this step (always zero for the GRU).
    pub c: SVector<T, H>,
    /// `dL/d(W_ih x_t)`, one value per gate row.
    pub d_ih: SVector<T, G>,
}

/// What a recurrent layer carries from one step to the next when a network streams
/// (`stream: NetState` in `network!`): its state `h` and, for an LSTM, its cell state `c`
/// (zero and unused for `rnn` and `gru`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct State<T: Float, const H: usize> {
    /// `h_t`, the state after the last step (the layer's output there).
    pub h: SVector<T, H>,
    /// `c_t`, an LSTM's cell state after the last step; for the GRU the memory of its last
    /// step (see the module docs), which the next step ignores; zero for `rnn`.
    pub c: SVector<T, H>,
}

impl<T: Float, const H: usize> State<T, H> {
    /// The state before the first step: `h_0 = c_0 = 0`.
    pub fn zeros() -> Self {
        Self { h: SVector::zeros(), c: SVector::zeros() }
    }
}

impl<T: Float, const H: usize> Default for State<T, H> {
    fn default() -> Self {
        Self::zeros()
    }
}

macro_rules! gated_layer {
    ($(#[$doc:meta])* $name:ident, $gates:literal, $torch:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $name<T: Float, const H: usize, const IN: usize, const G: usize> {
            #[doc = concat!("`W_ih`, the input weights of the ", stringify!($gates), " gates stacked (PyTorch's `weight_ih_l0`, `G x IN`).")]
            pub weight_ih: nalgebra::SMatrix<T, G, IN>,
            #[doc = concat!("`W_hh`, the state weights of the ", stringify!($gates), " gates stacked (PyTorch's `weight_hh_l0`, `G x H`).")]
            pub weight_hh: nalgebra::SMatrix<T, G, H>,
            /// `b_ih`, the input biases (PyTorch's `bias_ih_l0`).
            pub bias_ih: SVector<T, G>,
            /// `b_hh`, the state biases (PyTorch's `bias_hh_l0`).
            pub bias_hh: SVector<T, G>,
        }

        impl<T: Float, const H: usize, const IN: usize, const G: usize> $name<T, H, IN, G> {
            /// `G` is the gates times `H`: checked when the layer is built or a step is taken,
            /// at compile time, so that no step indexes past its gates.
            const CHECK: () = assert!(G == $gates * H, concat!("`G` must be ", stringify!($gates), " times `H`"));

            /// A layer whose parameters are all zero.
            pub fn zeros() -> Self {
                let () = Self::CHECK;
                Self {
                    weight_ih: nalgebra::SMatrix::zeros(),
                    weight_hh: nalgebra::SMatrix::zeros(),
                    bias_ih: SVector::zeros(),
                    bias_hh: SVector::zeros(),
                }
            }

            #[doc = concat!("A layer initialised as `", $torch, "` is: every tensor, biases included, uniform in `[-1/sqrt(H), 1/sqrt(H)]`, drawn in the order `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`, each in storage (column-major) order.")]
            pub fn new<R: Rng + ?Sized>(rng: &mut R) -> Self {
                let mut layer = Self::zeros();
                let k = 1.0 / libm::sqrt(H as f64);
                let slices = [
                    layer.weight_ih.as_mut_slice(),
                    layer.weight_hh.as_mut_slice(),
                    layer.bias_ih.as_mut_slice(),
                    layer.bias_hh.as_mut_slice(),
                ];
                for slice in slices {
                    for v in slice {
                        *v = T::lit(rng.random_range(-k..=k));
                    }
                }
                layer
            }
        }
    };
}

gated_layer! {
    /// The parameters of an LSTM layer of `H` units reading steps of `IN` values, `G = 4 H`
    /// (see the [module docs](self) for its equations).
    Lstm, 4, "torch.nn.LSTM"
}

gated_layer! {
    /// The parameters of a GRU layer of `H` units reading steps of `IN` values, `G = 3 H`
    /// (see the [module docs](self) for its equations).
    Gru, 3, "torch.nn.GRU"
}

/// `1 - t^2`, the derivative of `tanh` at the point where it is `t`.
#[inline]
fn dtanh<T: Float>(t: T) -> T {
    T::one() - t * t
}

/// `s (1 - s)`, the derivative of the logistic function at the point where it is `s`.
#[inline]
fn dsigmoid<T: Float>(s: T) -> T {
    s * (T::one() - s)
}

impl<T: Float, const H: usize, const IN: usize, const G: usize> Lstm<T, H, IN, G> {
    /// One step from the state `h` and cell state `c`: the gates, `c_t` and `h_t`.
    ///
    /// ```
    /// use nn_runtime::nalgebra::SVector;
    /// use nn_runtime::recurrent::Lstm;
    /// // Zero weights, and the forget gate's input bias 2: i = f = o = sigma(0) = 1/2 except
    /// // f = sigma(2); g = tanh(0) = 0, so the cell decays by f and h = o tanh(c).
    /// let mut lstm = Lstm::<f64, 1, 1, 4>::zeros();
    /// lstm.bias_ih[1] = 2.0;
    /// let step = lstm.step(&SVector::from([5.0]), &SVector::from([0.0]), &SVector::from([1.0]));
    /// let f = 1.0 / (1.0 + (-2.0f64).exp());
    /// assert!((step.c[0] - f).abs() < 1e-15);
    /// assert!((step.h[0] - 0.5 * f.tanh()).abs() < 1e-15);
    /// ```
    #[inline]
    pub fn step(&self, x: &SVector<T, IN>, h: &SVector<T, H>, c: &SVector<T, H>) -> Step<T, H, G> {
        let () = Self::CHECK;
        let mut gates: SVector<T, G> = self.bias_ih + self.bias_hh;
        gates.gemv(T::one(), &self.weight_ih, x, T::one());
        gates.gemv(T::one(), &self.weight_hh, h, T::one());
        let (c_new, h_new) = self.activate(&mut gates, c);
        Step { gates, c: c_new, h: h_new }
    }

    /// The gates' activations in place over their pre-activations, and the new cell state and
    /// state.
    #[inline]
    fn activate(
        &self,
        gates: &mut SVector<T, G>,
        c: &SVector<T, H>,
    ) -> (SVector<T, H>, SVector<T, H>) {
        let mut c_new = SVector::<T, H>::zeros();
        let mut h_new = SVector::<T, H>::zeros();
        for j in 0..H {
            let i = sigmoid(gates[j]);
            let f = sigmoid(gates[H + j]);
            let g = gates[2 * H + j].tanh_activation();
            let o = sigmoid(gates[3 * H + j]);
            gates[j] = i;
            gates[H + j] = f;
            gates[2 * H + j] = g;
            gates[3 * H + j] = o;
            c_new[j] = f * c[j] + i * g;
            h_new[j] = o * c_new[j].tanh_activation();
        }
        (c_new, h_new)
    }

    /// Backpropagation through one step: from `dh` and `dc`, the gradients with respect to
    /// the step's `h_t` and `c_t` (from the layer's output and from the step after), adds
    /// `scale` times the parameters' gradients to `grad`, and returns the gradients passed
    /// back. `x`, `h` and `c` are what the step read, `step` what it computed.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn step_backward(
        &self,
        grad: &mut Self,
        scale: T,
        x: &SVector<T, IN>,
        h: &SVector<T, H>,
        c: &SVector<T, H>,
        step: (&SVector<T, G>, &SVector<T, H>),
        dh: &SVector<T, H>,
        dc: &SVector<T, H>,
    ) -> StepGrad<T, H, G> {
        let () = Self::CHECK;
        let (gates, c_t) = step;
        let mut d = SVector::<T, G>::zeros();
        let mut dc_prev = SVector::<T, H>::zeros();
        for j in 0..H {
            let (i, f, g, o) = (gates[j], gates[H + j], gates[2 * H + j], gates[3 * H + j]);
            let tc = c_t[j].tanh_activation();
            let dc_total = dc[j] + dh[j] * o * dtanh(tc);
            d[j] = dc_total * g * dsigmoid(i);
            d[H + j] = dc_total * c[j] * dsigmoid(f);
            d[2 * H + j] = dc_total * i * dtanh(g);
            d[3 * H + j] = dh[j] * tc * dsigmoid(o);
            dc_prev[j] = dc_total * f;
        }
        grad.weight_ih.ger(scale, &d, x, T::one());
        grad.weight_hh.ger(scale, &d, h, T::one());
        grad.bias_ih.axpy(scale, &d, T::one());
        grad.bias_hh.axpy(scale, &d, T::one());
        StepGrad { h: self.weight_hh.tr_mul(&d), c: dc_prev, d_ih: d }
    }

    /// Forward-mode differentiation through one step: from the tangents `tx`, `th` and `tc`
    /// of its input, state and cell state, the tangents of `h_t` and `c_t`. `h` and `c` are
    /// the state and cell state the step read, `step` what it computed.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn step_jvp(
        &self,
        tx: &SVector<T, IN>,
        th: &SVector<T, H>,
        tc: &SVector<T, H>,
        h: &SVector<T, H>,
        c: &SVector<T, H>,
        step: (&SVector<T, G>, &SVector<T, H>),
    ) -> (SVector<T, H>, SVector<T, H>) {
        let () = Self::CHECK;
        let _ = h;
        let (gates, c_t) = step;
        let mut ta = SVector::<T, G>::zeros();
        ta.gemv(T::one(), &self.weight_ih, tx, T::zero());
        ta.gemv(T::one(), &self.weight_hh, th, T::one());
        let mut th_new = SVector::<T, H>::zeros();
        let mut tc_new = SVector::<T, H>::zeros();
        for j in 0..H {
            let (i, f, g, o) = (gates[j], gates[H + j], gates[2 * H + j], gates[3 * H + j]);
            let ti = ta[j] * dsigmoid(i);
            let tf = ta[H + j] * dsigmoid(f);
            let tg = ta[2 * H + j] * dtanh(g);
            let to = ta[3 * H + j] * dsigmoid(o);
            tc_new[j] = tf * c[j] + f * tc[j] + ti * g + i * tg;
            let t = c_t[j].tanh_activation();
            th_new[j] = to * t + o * dtanh(t) * tc_new[j];
        }
        (th_new, tc_new)
    }
}

impl<T: Float, const H: usize, const IN: usize, const G: usize> Gru<T, H, IN, G> {
    /// One step from the state `h` (the memory `c` is ignored): the gates `r, z, n`,
    /// `W_hn h + b_hn` as the step's memory, and `h_t`.
    ///
    /// ```
    /// use nn_runtime::nalgebra::SVector;
    /// use nn_runtime::recurrent::Gru;
    /// // Zero weights and biases: r = z = 1/2, n = 0, so h_t = h / 2.
    /// let gru = Gru::<f64, 1, 1, 3>::zeros();
    /// let step = gru.step(&SVector::from([5.0]), &SVector::from([0.8]), &SVector::zeros());
    /// assert_eq!(step.h[0], 0.4);
    /// ```
    #[inline]
    pub fn step(&self, x: &SVector<T, IN>, h: &SVector<T, H>, c: &SVector<T, H>) -> Step<T, H, G> {
        let () = Self::CHECK;
        let _ = c;
        let mut gates: SVector<T, G> = self.bias_ih;
        gates.gemv(T::one(), &self.weight_ih, x, T::one());
        let mut hidden: SVector<T, G> = self.bias_hh;
        hidden.gemv(T::one(), &self.weight_hh, h, T::one());
        let mut hn = SVector::<T, H>::zeros();
        let mut h_new = SVector::<T, H>::zeros();
        for j in 0..H {
            let r = sigmoid(gates[j] + hidden[j]);
            let z = sigmoid(gates[H + j] + hidden[H + j]);
            hn[j] = hidden[2 * H + j];
            let n = (gates[2 * H + j] + r * hn[j]).tanh_activation();
            gates[j] = r;
            gates[H + j] = z;
            gates[2 * H + j] = n;
            h_new[j] = (T::one() - z) * n + z * h[j];
        }
        Step { gates, c: hn, h: h_new }
    }

    /// Backpropagation through one step: from `dh`, the gradient with respect to the step's
    /// `h_t`, adds `scale` times the parameters' gradients to `grad`, and returns the
    /// gradients passed back (`dc` and the memory `c` are ignored). `x` and `h` are what the
    /// step read, `step` what it computed.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn step_backward(
        &self,
        grad: &mut Self,
        scale: T,
        x: &SVector<T, IN>,
        h: &SVector<T, H>,
        c: &SVector<T, H>,
        step: (&SVector<T, G>, &SVector<T, H>),
        dh: &SVector<T, H>,
        dc: &SVector<T, H>,
    ) -> StepGrad<T, H, G> {
        let () = Self::CHECK;
        let _ = (c, dc);
        let (gates, hn) = step;
        let mut d_ih = SVector::<T, G>::zeros();
        let mut d_hh = SVector::<T, G>::zeros();
        let mut dh_prev = SVector::<T, H>::zeros();
        for j in 0..H {
            let (r, z, n) = (gates[j], gates[H + j], gates[2 * H + j]);
            let dn = dh[j] * (T::one() - z) * dtanh(n);
            let dz = dh[j] * (h[j] - n) * dsigmoid(z);
            let dr = dn * hn[j] * dsigmoid(r);
            d_ih[j] = dr;
            d_ih[H + j] = dz;
            d_ih[2 * H + j] = dn;
            d_hh[j] = dr;
            d_hh[H + j] = dz;
            d_hh[2 * H + j] = dn * r;
            dh_prev[j] = dh[j] * z;
        }
        grad.weight_ih.ger(scale, &d_ih, x, T::one());
        grad.weight_hh.ger(scale, &d_hh, h, T::one());
        grad.bias_ih.axpy(scale, &d_ih, T::one());
        grad.bias_hh.axpy(scale, &d_hh, T::one());
        dh_prev.gemv_tr(T::one(), &self.weight_hh, &d_hh, T::one());
        StepGrad { h: dh_prev, c: SVector::zeros(), d_ih }
    }

    /// Forward-mode differentiation through one step: from the tangents `tx` and `th` of its
    /// input and state, the tangent of `h_t` (and a zero memory tangent; `tc` and `c` are
    /// ignored). `h` is the state the step read, `step` what it computed.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn step_jvp(
        &self,
        tx: &SVector<T, IN>,
        th: &SVector<T, H>,
        tc: &SVector<T, H>,
        h: &SVector<T, H>,
        c: &SVector<T, H>,
        step: (&SVector<T, G>, &SVector<T, H>),
    ) -> (SVector<T, H>, SVector<T, H>) {
        let () = Self::CHECK;
        let _ = (tc, c);
        let (gates, hn) = step;
        let mut ti = SVector::<T, G>::zeros();
        ti.gemv(T::one(), &self.weight_ih, tx, T::zero());
        let mut thh = SVector::<T, G>::zeros();
        thh.gemv(T::one(), &self.weight_hh, th, T::zero());
        let mut th_new = SVector::<T, H>::zeros();
        for j in 0..H {
            let (r, z, n) = (gates[j], gates[H + j], gates[2 * H + j]);
            let tr = (ti[j] + thh[j]) * dsigmoid(r);
            let tz = (ti[H + j] + thh[H + j]) * dsigmoid(z);
            let tn = (ti[2 * H + j] + tr * hn[j] + r * thh[2 * H + j]) * dtanh(n);
            th_new[j] = (T::one() - z) * tn - tz * n + tz * h[j] + z * th[j];
        }
        (th_new, SVector::zeros())
    }
}

/// The LSTM cells of one step over a batch of `n` samples (the batched passes' form of
/// [`Lstm::step`]): `gates` (`4H x n`, a column per sample) holds the step's pre-activations
/// `a_t` and receives the gates after their activations, `i, f, g, o`; `c` is the previous
/// cell state (`H x n`; empty for the first step, whose cell state is zero); `c_new` and
/// `h_new` (`H x n`) receive `c_t` and `h_t`. Does nothing if a slice is too short.
///
/// ```
/// use nn_runtime::recurrent::lstm_cells;
/// // One unit, one sample, every pre-activation zero: i = f = o = 1/2, g = 0, so c_t = c / 2.
/// let mut gates = [0.0_f64; 4];
/// let (mut c, mut h) = ([0.0], [0.0]);
/// lstm_cells(&mut gates, &[0.8], &mut c, &mut h, 1);
/// assert_eq!(gates, [0.5, 0.5, 0.0, 0.5]);
/// assert_eq!(c, [0.4]);
/// assert_eq!(h, [0.5 * 0.4_f64.tanh()]);
/// ```
pub fn lstm_cells<T: Float>(gates: &mut [T], c: &[T], c_new: &mut [T], h_new: &mut [T], h: usize) {
    let g = 4 * h;
    let n = gates.len() / g.max(1);
    let short = |len: usize| len < h * n;
    if h == 0 || short(c_new.len()) || short(h_new.len()) || (!c.is_empty() && short(c.len())) {
        return;
    }
    for j in 0..n {
        let gates = &mut gates[j * g..(j + 1) * g];
        for k in 0..h {
            let i = sigmoid(gates[k]);
            let f = sigmoid(gates[h + k]);
            let g = gates[2 * h + k].tanh_activation();
            let o = sigmoid(gates[3 * h + k]);
            gates[k] = i;
            gates[h + k] = f;
            gates[2 * h + k] = g;
            gates[3 * h + k] = o;
            let previous = if c.is_empty() { T::zero() } else { c[j * h + k] };
            let c_t = f * previous + i * g;
            c_new[j * h + k] = c_t;
            h_new[j * h + k] = o * c_t.tanh_activation();
        }
    }
}

/// Backpropagation through the LSTM cells of one step over a batch (the batched passes' form
/// of [`Lstm::step_backward`] without the products): from `gates` and `c_t` (what
/// [`lstm_cells`] computed), `c` (the previous cell state, empty for the first step), `dh`
/// (`H x n`, the gradient with respect to `h_t`) and `dc` (`H x n`, with respect to `c_t`,
/// overwritten with the gradient with respect to `c_{t-1}`), writes `d` (`4H x n`), the
/// gradient with respect to the step's pre-activations. Does nothing if a slice is too short.
#[allow(clippy::too_many_arguments)]
pub fn lstm_cells_backward<T: Float>(
    gates: &[T],
    c: &[T],
    c_t: &[T],
    dh: &[T],
    dc: &mut [T],
    d: &mut [T],
    h: usize,
) {
    let g = 4 * h;
    let n = gates.len() / g.max(1);
    let short = |len: usize| len < h * n;
    if h == 0
        || short(c_t.len())
        || short(dh.len())
        || short(dc.len())
        || d.len() < g * n
        || (!c.is_empty() && short(c.len()))
    {
        return;
    }
    for j in 0..n {
        let (gates, d) = (&gates[j * g..(j + 1) * g], &mut d[j * g..(j + 1) * g]);
        for k in 0..h {
            let at = j * h + k;
            let (i, f, g, o) = (gates[k], gates[h + k], gates[2 * h + k], gates[3 * h + k]);
            let previous = if c.is_empty() { T::zero() } else { c[at] };
            let tc = c_t[at].tanh_activation();
            let dc_total = dc[at] + dh[at] * o * dtanh(tc);
            d[k] = dc_total * g * dsigmoid(i);
            d[h + k] = dc_total * previous * dsigmoid(f);
            d[2 * h + k] = dc_total * i * dtanh(g);
            d[3 * h + k] = dh[at] * tc * dsigmoid(o);
            dc[at] = dc_total * f;
        }
    }
}

/// The GRU cells of one step over a batch of `n` samples (the batched passes' form of
/// [`Gru::step`]): `gates` (`3H x n`) holds `W_ih x_t + b_ih` and receives the gates `r, z, n`
/// after their activations; `hidden` (`3H x n`) is `W_hh h_{t-1} + b_hh`; `state` the
/// previous state (`H x n`; empty for the first step: zero); `hn` and `h_new` (`H x n`)
/// receive the memory `W_hn h_{t-1} + b_hn` and `h_t`. Does nothing if a slice is too short.
pub fn gru_cells<T: Float>(
    gates: &mut [T],
    hidden: &[T],
    state: &[T],
    hn: &mut [T],
    h_new: &mut [T],
    h: usize,
) {
    let g = 3 * h;
    let n = gates.len() / g.max(1);
    let short = |len: usize| len < h * n;
    if h == 0
        || hidden.len() < g * n
        || short(hn.len())
        || short(h_new.len())
        || (!state.is_empty() && short(state.len()))
    {
        return;
    }
    for j in 0..n {
        let (gates, hidden) = (&mut gates[j * g..(j + 1) * g], &hidden[j * g..(j + 1) * g]);
        for k in 0..h {
            let at = j * h + k;
            let r = sigmoid(gates[k] + hidden[k]);
            let z = sigmoid(gates[h + k] + hidden[h + k]);
            hn[at] = hidden[2 * h + k];
            let candidate = (gates[2 * h + k] + r * hn[at]).tanh_activation();
            gates[k] = r;
            gates[h + k] = z;
            gates[2 * h + k] = candidate;
            let previous = if state.is_empty() { T::zero() } else { state[at] };
            h_new[at] = (T::one() - z) * candidate + z * previous;
        }
    }
}

/// Backpropagation through the GRU cells of one step over a batch (the batched passes' form
/// of [`Gru::step_backward`] without the products): from `gates` and `hn` (what
/// [`gru_cells`] computed), `state` (the previous state, empty for the first step) and `dh`
/// (`H x n`, the gradient with respect to `h_t`), writes `d_ih` and `d_hh` (`3H x n`, the
/// gradients with respect to `W_ih x_t` and `W_hh h_{t-1}`, which differ in the `n` block by
/// the reset gate) and `dh_prev` (`H x n`), the share of `dL/dh_{t-1}` that does not go through
/// `W_hh`: `z dh`. Does nothing if a slice is too short.
#[allow(clippy::too_many_arguments)]
pub fn gru_cells_backward<T: Float>(
    gates: &[T],
    hn: &[T],
    state: &[T],
    dh: &[T],
    d_ih: &mut [T],
    d_hh: &mut [T],
    dh_prev: &mut [T],
    h: usize,
) {
    let g = 3 * h;
    let n = gates.len() / g.max(1);
    let short = |len: usize| len < h * n;
    if h == 0
        || short(hn.len())
        || short(dh.len())
        || short(dh_prev.len())
        || d_ih.len() < g * n
        || d_hh.len() < g * n
        || (!state.is_empty() && short(state.len()))
    {
        return;
    }
    for j in 0..n {
        let gates = &gates[j * g..(j + 1) * g];
        for k in 0..h {
            let at = j * h + k;
            let (r, z, candidate) = (gates[k], gates[h + k], gates[2 * h + k]);
            let previous = if state.is_empty() { T::zero() } else { state[at] };
            let dn = dh[at] * (T::one() - z) * dtanh(candidate);
            let dz = dh[at] * (previous - candidate) * dsigmoid(z);
            let dr = dn * hn[at] * dsigmoid(r);
            let column = j * g;
            d_ih[column + k] = dr;
            d_ih[column + h + k] = dz;
            d_ih[column + 2 * h + k] = dn;
            d_hh[column + k] = dr;
            d_hh[column + h + k] = dz;
            d_hh[column + 2 * h + k] = dn * r;
            dh_prev[at] = dh[at] * z;
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn initialisation_is_pytorchs_bound_for_every_tensor() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let lstm = Lstm::<f64, 4, 2, 16>::new(&mut rng);
        let k = 0.5;
        for values in [
            lstm.weight_ih.as_slice(),
            lstm.weight_hh.as_slice(),
            lstm.bias_ih.as_slice(),
            lstm.bias_hh.as_slice(),
        ] {
            assert!(values.iter().all(|v| v.abs() <= k && *v != 0.0));
        }
        let gru = Gru::<f32, 16, 1, 48>::new(&mut rng);
        assert!(gru.bias_hh.iter().all(|v| v.abs() <= 0.25));
        assert!(gru.bias_hh.iter().any(|v| v.abs() > 0.2));
    }

    /// A batch of three samples, column by column: its step's input, state and cell state.
    fn batch<const W: usize>(salt: f64) -> [SVector<f64, W>; 3] {
        core::array::from_fn(|j| {
            SVector::from_fn(|i, _| ((i * 5 + j * 11) as f64 * 0.37 + salt).sin())
        })
    }

    /// The batched cells give, column by column, what one sample's step and its backward step
    /// give; the products around them are the caller's, done here with nalgebra.
    #[test]
    fn the_batched_lstm_cells_are_the_step_column_by_column() {
        let lstm = Lstm::<f64, 3, 2, 12>::new(&mut ChaCha8Rng::seed_from_u64(5));
        let (x, h, c) = (batch::<2>(0.1), batch::<3>(0.2), batch::<3>(0.3));
        let (dh, dc) = (batch::<3>(0.4), batch::<3>(0.5));
        for first in [false, true] {
            let mut gates = [0.0; 36];
            let (mut c_new, mut h_new) = ([0.0; 9], [0.0; 9]);
            let mut previous = [0.0; 9];
            for j in 0..3 {
                let h_j = if first { SVector::zeros() } else { h[j] };
                let a = lstm.weight_ih * x[j] + lstm.bias_ih + lstm.bias_hh + lstm.weight_hh * h_j;
                gates[j * 12..(j + 1) * 12].copy_from_slice(a.as_slice());
                previous[j * 3..(j + 1) * 3].copy_from_slice(c[j].as_slice());
            }
            let c_prev: &[f64] = if first { &[] } else { &previous };
            lstm_cells(&mut gates, c_prev, &mut c_new, &mut h_new, 3);
            let mut d = [0.0; 36];
            let mut dc_prev: Vec<f64> = dc.iter().flat_map(|v| v.iter().copied()).collect();
            let dh_all: Vec<f64> = dh.iter().flat_map(|v| v.iter().copied()).collect();
            lstm_cells_backward(&gates, c_prev, &c_new, &dh_all, &mut dc_prev, &mut d, 3);
            for j in 0..3 {
                let (h_j, c_j) =
                    if first { (SVector::zeros(), SVector::zeros()) } else { (h[j], c[j]) };
                let step = lstm.step(&x[j], &h_j, &c_j);
                let close =
                    |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(a, b)| (a - b).abs() < 1e-14);
                assert!(close(&gates[j * 12..(j + 1) * 12], step.gates.as_slice()));
                assert!(close(&c_new[j * 3..(j + 1) * 3], step.c.as_slice()));
                assert!(close(&h_new[j * 3..(j + 1) * 3], step.h.as_slice()));
                let mut grad = Lstm::zeros();
                let back = lstm.step_backward(
                    &mut grad,
                    1.0,
                    &x[j],
                    &h_j,
                    &c_j,
                    (&step.gates, &step.c),
                    &dh[j],
                    &dc[j],
                );
                assert!(close(&d[j * 12..(j + 1) * 12], back.d_ih.as_slice()));
                assert!(close(&dc_prev[j * 3..(j + 1) * 3], back.c.as_slice()));
            }
        }
    }

    #[test]
    fn the_batched_gru_cells_are_the_step_column_by_column() {
        let gru = Gru::<f64, 3, 2, 9>::new(&mut ChaCha8Rng::seed_from_u64(6));
        let (x, h, dh) = (batch::<2>(0.1), batch::<3>(0.2), batch::<3>(0.4));
        for first in [false, true] {
            let (mut gates, mut hidden) = ([0.0; 27], [0.0; 27]);
            let (mut hn, mut h_new, mut states) = ([0.0; 9], [0.0; 9], [0.0; 9]);
            for j in 0..3 {
                let h_j = if first { SVector::zeros() } else { h[j] };
                let input = gru.weight_ih * x[j] + gru.bias_ih;
                let recurrent = gru.weight_hh * h_j + gru.bias_hh;
                gates[j * 9..(j + 1) * 9].copy_from_slice(input.as_slice());
                hidden[j * 9..(j + 1) * 9].copy_from_slice(recurrent.as_slice());
                states[j * 3..(j + 1) * 3].copy_from_slice(h[j].as_slice());
            }
            let state: &[f64] = if first { &[] } else { &states };
            gru_cells(&mut gates, &hidden, state, &mut hn, &mut h_new, 3);
            let dh_all: Vec<f64> = dh.iter().flat_map(|v| v.iter().copied()).collect();
            let (mut d_ih, mut d_hh, mut dh_prev) = ([0.0; 27], [0.0; 27], [0.0; 9]);
            gru_cells_backward(&gates, &hn, state, &dh_all, &mut d_ih, &mut d_hh, &mut dh_prev, 3);
            for j in 0..3 {
                let h_j = if first { SVector::zeros() } else { h[j] };
                let step = gru.step(&x[j], &h_j, &SVector::zeros());
                let close =
                    |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(a, b)| (a - b).abs() < 1e-14);
                assert!(close(&gates[j * 9..(j + 1) * 9], step.gates.as_slice()));
                assert!(close(&hn[j * 3..(j + 1) * 3], step.c.as_slice()));
                assert!(close(&h_new[j * 3..(j + 1) * 3], step.h.as_slice()));
                let mut grad = Gru::zeros();
                let back = gru.step_backward(
                    &mut grad,
                    1.0,
                    &x[j],
                    &h_j,
                    &SVector::zeros(),
                    (&step.gates, &step.c),
                    &dh[j],
                    &SVector::zeros(),
                );
                assert!(close(&d_ih[j * 9..(j + 1) * 9], back.d_ih.as_slice()));
                // The state's gradient: `z dh` here, plus `W_hh^T d_hh` by the caller.
                let d_hh_j = SVector::<f64, 9>::from_column_slice(&d_hh[j * 9..(j + 1) * 9]);
                let total = SVector::<f64, 3>::from_column_slice(&dh_prev[j * 3..(j + 1) * 3])
                    + gru.weight_hh.tr_mul(&d_hh_j);
                assert!(close(total.as_slice(), back.h.as_slice()));
                // Only the reset gate's block differs between the two products' terms.
                assert_eq!(d_ih[j * 9..j * 9 + 6], d_hh[j * 9..j * 9 + 6]);
            }
        }
    }
}
