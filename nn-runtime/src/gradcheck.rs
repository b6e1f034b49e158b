//! Numerical differentiation (section 4.5.1 of the textbook), used to check the generated
//! backward pass.
//!
//! Each parameter `w` is moved by `±h` and the loss re-evaluated; the central difference
//! `(L(w + h) - L(w - h)) / 2h` has a truncation error of order `h^2` and a rounding error of
//! order `eps * |L| / h`. In `f64` with the default `h = 1e-5` both are about `1e-11`.

use crate::{Float, Network};

/// Settings of [`gradcheck_with`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradCheckConfig {
    /// The finite-difference step `h`. Default `1e-5`.
    pub step: f64,
    /// Gradient components smaller than this in magnitude are compared absolutely: the
    /// relative error of a component is `|analytic - numeric| / max(|analytic|, |numeric|,
    /// floor)`. Default `1e-5`, well above the difference's own error of about `1e-11`,
    /// so that a component of `1e-12` is not reported as 100% wrong.
    pub floor: f64,
}

impl Default for GradCheckConfig {
    fn default() -> Self {
        Self { step: 1e-5, floor: 1e-5 }
    }
}

/// The outcome of a gradient check: the worst component and where it is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradCheck {
    /// The largest relative error over all components.
    pub worst_relative_error: f64,
    /// The parameter tensor holding the worst component, e.g. `"hidden.weight"`.
    pub worst_param: &'static str,
    /// The worst component's `(row, col)` in that tensor.
    pub worst_index: (usize, usize),
    /// The analytic (back-propagated) value of the worst component.
    pub analytic: f64,
    /// The numerical (central-difference) value of the worst component.
    pub numeric: f64,
    /// How many components were checked.
    pub checked: usize,
}

impl std::fmt::Display for GradCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (r, c) = self.worst_index;
        write!(
            f,
            "worst relative error {:.3e} at {}[({r}, {c})]: analytic {:.12e}, numeric {:.12e} ({} components)",
            self.worst_relative_error, self.worst_param, self.analytic, self.numeric, self.checked
        )
    }
}

/// Compares `grad`, the gradient of `loss` at `net`, with central differences over every
/// parameter, with the default [`GradCheckConfig`].
///
/// `loss` is usually a closure over one sample or a batch: `|n| n.loss(&x, &y)`.
pub fn gradcheck<T: Float, N: Network<T>>(net: &N, grad: &N, loss: impl Fn(&N) -> T) -> GradCheck {
    gradcheck_with(net, grad, loss, GradCheckConfig::default())
}

/// [`gradcheck`] with explicit settings.
pub fn gradcheck_with<T: Float, N: Network<T>>(
    net: &N,
    grad: &N,
    loss: impl Fn(&N) -> T,
    config: GradCheckConfig,
) -> GradCheck {
    let mut analytic = Vec::new();
    grad.visit(&mut |p| analytic.extend(p.values.iter().map(|v| v.as_f64())));

    let mut shapes = Vec::new();
    net.visit(&mut |p| shapes.push((p.name, p.shape, p.values.len())));

    let mut probe = net.clone();
    let mut report = GradCheck {
        worst_relative_error: 0.0,
        worst_param: "",
        worst_index: (0, 0),
        analytic: 0.0,
        numeric: 0.0,
        checked: 0,
    };
    let mut flat = 0;
    for (tensor, &(name, (rows, _), len)) in shapes.iter().enumerate() {
        for i in 0..len {
            let original = component(&probe, tensor, i);
            let h = T::lit(config.step);
            set_component(&mut probe, tensor, i, original + h);
            let up = loss(&probe).as_f64();
            set_component(&mut probe, tensor, i, original - h);
            let down = loss(&probe).as_f64();
            set_component(&mut probe, tensor, i, original);
            // The step actually taken, after rounding `original ± h` to `T`.
            let taken = ((original + h) - (original - h)).as_f64();
            let numeric = (up - down) / taken;
            let exact = analytic.get(flat).copied().unwrap_or(f64::NAN);
            let scale = exact.abs().max(numeric.abs()).max(config.floor);
            let error = (exact - numeric).abs() / scale;
            if error > report.worst_relative_error || error.is_nan() || report.checked == 0 {
                report.worst_relative_error = error;
                report.worst_param = name;
                report.worst_index = (i % rows, i / rows);
                report.analytic = exact;
                report.numeric = numeric;
            }
            report.checked += 1;
            flat += 1;
        }
    }
    report
}

fn component<T: Float, N: Network<T>>(net: &N, tensor: usize, i: usize) -> T {
    let (mut seen, mut value) = (0, T::zero());
    net.visit(&mut |p| {
        if seen == tensor {
            value = p.values[i];
        }
        seen += 1;
    });
    value
}

fn set_component<T: Float, N: Network<T>>(net: &mut N, tensor: usize, i: usize, value: T) {
    let mut seen = 0;
    net.visit_mut(&mut |p| {
        if seen == tensor {
            p.values[i] = value;
        }
        seen += 1;
    });
}
