//! Losses and log-densities shared by training and evaluation, each per sample (`[B]`) unless
//! it says otherwise, in nats.

use candle::{Tensor, D};

use crate::config::{GanLoss, Likelihood};
use crate::Result;

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// `log(1 + eˣ)`, computed stably as `max(x, 0) + log(1 + e^−|x|)`.
pub fn softplus(x: &Tensor) -> Result<Tensor> {
    Ok((x.relu()? + (x.abs()?.neg()?.exp()? + 1.0)?.log()?)?)
}

/// Binary cross-entropy between targets `y ∈ [0, 1]` and `sigmoid(logits)`, summed over all
/// but the batch axis: `Σ softplus(x) − x·y`, the Bernoulli negative log-likelihood.
///
/// # Shapes
/// - `logits`, `y`: `[B, …]` → `[B]`
pub fn bce_with_logits(logits: &Tensor, y: &Tensor) -> Result<Tensor> {
    if crate::kernels::applies(logits) && crate::kernels::applies(y) {
        return Ok(crate::kernels::loss::bce_with_logits(logits, y)?);
    }
    let per = (softplus(logits)? - (logits * y)?)?;
    Ok(per.flatten_from(1)?.sum(1)?)
}

/// Negative log-likelihood of `x` under `N(mean, I)`: `½ Σ (x − mean)² + (D/2)·ln 2π`.
///
/// # Shapes
/// - `mean`, `x`: `[B, …]` → `[B]`
pub fn gaussian_nll(mean: &Tensor, x: &Tensor) -> Result<Tensor> {
    let d: usize = x.dims().iter().skip(1).product();
    let sq = (mean - x)?.sqr()?.flatten_from(1)?.sum(1)?;
    Ok(((sq * 0.5)? + 0.5 * d as f64 * LN_2PI)?)
}

/// `−log p(x|z)` for a decoder output (logits or mean) under `likelihood`.
pub fn reconstruction_nll(raw: &Tensor, x: &Tensor, likelihood: Likelihood) -> Result<Tensor> {
    match likelihood {
        Likelihood::Bernoulli => bce_with_logits(raw, x),
        Likelihood::Gaussian => gaussian_nll(raw, x),
    }
}

/// KL(N(mu, e^logvar) ‖ N(0, I)) = −½ Σ (1 + logvar − mu² − e^logvar), Kingma & Welling
/// (2014), appendix B.
///
/// # Shapes
/// - `mu`, `logvar`: `[B, L]` → `[B]`
pub fn kl_standard_normal(mu: &Tensor, logvar: &Tensor) -> Result<Tensor> {
    let inner = ((logvar + 1.0)? - mu.sqr()? - logvar.exp()?)?;
    Ok((inner.sum(D::Minus1)? * -0.5)?)
}

/// `log N(z; 0, I)` summed over the last axis.
///
/// # Shapes
/// - `z`: `[N, L]` → `[N]`
pub fn log_standard_normal(z: &Tensor) -> Result<Tensor> {
    let l = z.dim(D::Minus1)? as f64;
    Ok(((z.sqr()?.sum(D::Minus1)? * -0.5)? - 0.5 * l * LN_2PI)?)
}

/// `log q(z|x)` for `z = mu + σ·ε`: `−½ Σ (ε² + logvar) − (L/2)·ln 2π`.
///
/// # Shapes
/// - `eps`, `logvar`: `[N, L]` → `[N]`
pub fn log_posterior(eps: &Tensor, logvar: &Tensor) -> Result<Tensor> {
    let l = eps.dim(D::Minus1)? as f64;
    Ok((((eps.sqr()? + logvar)?.sum(D::Minus1)? * -0.5)? - 0.5 * l * LN_2PI)?)
}

/// `log Σᵢ exp(xᵢ)` along `dim`, shifted by the maximum for stability.
pub fn log_sum_exp(x: &Tensor, dim: usize) -> Result<Tensor> {
    let m = x.max_keepdim(dim)?.detach();
    Ok((x.broadcast_sub(&m)?.exp()?.sum_keepdim(dim)?.log()? + m)?.squeeze(dim)?)
}

/// The discriminator's loss under `objective`, on its logits for real and generated samples:
/// for [`GanLoss::Standard`] (Goodfellow et al. 2014) `mean softplus(−D(x)) + mean
/// softplus(D(G(z)))`, i.e. BCE with targets 1 for real and 0 for fake; for
/// [`GanLoss::Hinge`] `mean relu(1 − D(x)) + mean relu(1 + D(G(z)))`.
///
/// # Shapes
/// - `real`, `fake`: logits `[N]` → scalar
pub fn discriminator_loss(real: &Tensor, fake: &Tensor, objective: GanLoss) -> Result<Tensor> {
    Ok(match objective {
        GanLoss::Standard => (softplus(&real.neg()?)?.mean_all()? + softplus(fake)?.mean_all()?)?,
        GanLoss::Hinge => {
            ((1.0 - real)?.relu()?.mean_all()? + (fake + 1.0)?.relu()?.mean_all()?)?
        }
    })
}

/// The generator's loss under `objective`: the non-saturating `mean softplus(−D(G(z)))` =
/// BCE(D(G(z)), 1) for [`GanLoss::Standard`], `−mean D(G(z))` for [`GanLoss::Hinge`].
///
/// # Shapes
/// - `fake`: logits `[N]` → scalar
pub fn generator_loss(fake: &Tensor, objective: GanLoss) -> Result<Tensor> {
    Ok(match objective {
        GanLoss::Standard => softplus(&fake.neg()?)?.mean_all()?,
        GanLoss::Hinge => fake.mean_all()?.neg()?,
    })
}

/// Mean cross-entropy of `logits` `[B, K]` against class indices.
pub fn cross_entropy(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    Ok(candle_nn::loss::cross_entropy(logits, targets)?)
}
