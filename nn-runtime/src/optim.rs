//! Optimizers, written once against [`Network`].

use crate::{Float, Network, ParamKind};

/// Plain stochastic gradient descent with optional weight decay.
///
/// One step updates every weight `w <- w - lr * (g + weight_decay * w)` and every other
/// parameter (biases, learnable activation parameters) `b <- b - lr * g`. For plain SGD this
/// is exactly gradient descent on the structured risk `R = loss + weight_decay / 2 *
/// sum ||W||^2` (section 4.3.3 of the textbook); biases and activation parameters are not
/// decayed, as is usual (a decayed PReLU slope would be pulled toward a plain ReLU).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sgd<T> {
    /// The step size `lr`. No default: it depends on the problem.
    pub learning_rate: T,
    /// The L2 coefficient applied to weights. Default 0 (no decay).
    pub weight_decay: T,
}

impl<T: Float> Sgd<T> {
    /// SGD with the given learning rate and no weight decay.
    pub fn new(learning_rate: T) -> Self {
        Self { learning_rate, weight_decay: T::zero() }
    }

    /// The same optimizer with weight decay `weight_decay` on the weights.
    pub fn with_weight_decay(self, weight_decay: T) -> Self {
        Self { weight_decay, ..self }
    }

    /// Moves `net` one step against `grad`, the gradient of its loss.
    pub fn step<N: Network<T>>(&self, net: &mut N, grad: &N) {
        let (lr, decay) = (self.learning_rate, self.weight_decay);
        net.zip_mut(grad, &mut |p, g| {
            let decay = if p.kind == ParamKind::Weight { decay } else { T::zero() };
            for (w, &g) in p.values.iter_mut().zip(g) {
                *w -= lr * (g + decay * *w);
            }
        });
    }
}
