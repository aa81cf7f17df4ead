//! Spectral normalization (Miyato et al. 2018): a layer's weight is divided by an estimate of
//! its largest singular value σ(W), so the discriminator is about 1-Lipschitz per layer. σ is
//! estimated by one power-iteration step a training step from a vector `u` kept between steps
//! (a variable of the network, saved in checkpoints, that no optimizer touches), as PyTorch's
//! `torch.nn.utils.spectral_norm` does.

use candle::{Tensor, Var};
use candle_nn::VarBuilder;

use super::layers::Weights;
use super::norm::Phase;
use crate::Result;

/// Name of the power-iteration vector, beside the weight it normalizes.
pub const U: &str = "weight_u";

/// Keeps `Wᵀu` and `Wv` away from a division by zero (PyTorch's `eps`).
const EPS: f64 = 1e-12;

/// The power-iteration state of one weight `[rows, …]`, read as a `[rows, cols]` matrix.
pub struct SpectralNorm {
    u: Var,
    phase: Phase,
}

impl SpectralNorm {
    /// Variable `weight_u`, `[rows]` (drawn by [`super::layers::init_weights`]).
    pub fn new(rows: usize, phase: &Phase, vb: &VarBuilder) -> Result<Self> {
        let t = vb.get_with_hints(rows, U, candle_nn::Init::Const(0.0))?;
        // The builder's variable shares storage with `t`; wrapping it keeps `set` in place.
        Ok(Self {
            u: Var::from_tensor(&t)?,
            phase: phase.clone(),
        })
    }

    /// `w / σ(w)`. While training, and when `weights` are trained (a discriminator step),
    /// `u` first takes one power-iteration step; otherwise the stored `u` is read. σ is
    /// differentiable in `w` (`u` and `v` are constants, as in Miyato et al.).
    ///
    /// # Shapes
    /// - `w`: `[rows, …]` → the same
    pub fn apply(&self, w: &Tensor, weights: Weights) -> Result<Tensor> {
        let rows = w.dim(0)?;
        let m = w.reshape((rows, ()))?; // [rows, cols]
        let m_const = m.detach();
        let u = self.u.as_tensor().reshape((rows, 1))?;
        let v = unit(&m_const.t()?.matmul(&u)?)?; // [cols, 1]
        let u = if self.phase.training() && weights == Weights::Trained {
            let u = unit(&m_const.matmul(&v)?)?;
            self.u.set(&u.reshape(rows)?)?;
            u
        } else {
            u
        };
        let sigma = u.t()?.matmul(&m.matmul(&v)?)?.reshape(())?; // uᵀ W v
        Ok(w.broadcast_div(&sigma)?)
    }
}

/// `x / max(‖x‖, ε)`.
fn unit(x: &Tensor) -> Result<Tensor> {
    let norm = x.sqr()?.sum_all()?.sqrt()?.maximum(EPS)?;
    Ok(x.broadcast_div(&norm)?)
}
