//! The importance-weighted bound on log p(x) (Burda, Grosse & Salakhutdinov 2016): the
//! estimator both IWAE training and the likelihood evaluation use, and the doubly
//! reparameterized gradient of it (Tucker et al. 2019) that IWAE training can take instead.

use candle::backprop::GradStore;
use candle::{Tensor, Var};

use super::Vae;
use crate::losses::{log_posterior, log_standard_normal, log_sum_exp, reconstruction_nll};
use crate::rng::Rng;
use crate::{Error, Result};

/// The `k`-sample importance weights `log p(x|zᵢ) + w·(log p(zᵢ) − log q(zᵢ|x))` (Burda et al.
/// 2016). `w = 1` gives `log p(x, zᵢ) − log q(zᵢ|x)`, the weights of the bound on log p(x); a
/// training step passes the KL term's weight (β, or a warm-up's ramp). `k = 1` gives the
/// ELBO's single-sample estimate.
///
/// # Shapes
/// - `x`: `[B, …]`, `labels`: `[B, K]` → `[k, B]`
pub fn log_weights(
    vae: &Vae,
    x: &Tensor,
    labels: Option<&Tensor>,
    k: usize,
    kl_weight: f64,
    rng: &mut Rng,
) -> Result<Tensor> {
    let draw = Draw::new(vae, x, labels, k, rng)?;
    let log_q = log_posterior(&draw.eps, &draw.logvar)?;
    draw.log_weights(vae, &draw.z()?, log_q, kl_weight)
}

/// The IWAE bound `log (1/k) Σᵢ wᵢ` per sample, from [`log_weights`] `[k, B]` → `[B]`.
pub fn iwae_bound(log_w: &Tensor) -> Result<Tensor> {
    let k = log_w.dim(0)? as f64;
    Ok((log_sum_exp(log_w, 0)? - k.ln())?)
}

/// The batch's mean IWAE bound and the gradients of its negative (the loss) by the doubly
/// reparameterized estimator (DReG, Tucker, Lawson, Gu & Maddison 2019): the decoder's are
/// the usual ones, the encoder's `−Σᵢ w̃ᵢ² ∂log wᵢ/∂zᵢ · ∂zᵢ/∂φ` with `w̃` the normalized
/// weights. It drops the score-function part of the encoder's gradient, whose variance grows
/// with `k` and swamps its signal (Rainforth et al. 2018), and keeps its expectation.
///
/// With a KL weight `β ≠ 1` (`--beta`, or a warm-up's ramp) the weights are tempered; the
/// same identity then gives the encoder the factor `w̃ᵢ·((1 − β) + β·w̃ᵢ)` instead of `w̃ᵢ²`,
/// still unbiased. The identity needs each weight to depend on its own code only: a decoder
/// with BatchNorm breaks it (the configuration refuses the pair).
///
/// # Shapes
/// - `x`: `[B, …]`, `labels`: `[B, K]` → a scalar
pub fn doubly_reparameterized(
    vae: &Vae,
    x: &Tensor,
    labels: Option<&Tensor>,
    k: usize,
    kl_weight: f64,
    rng: &mut Rng,
) -> Result<(Tensor, GradStore)> {
    let draw = Draw::new(vae, x, labels, k, rng)?;
    // The codes, differentiable in the encoder's weights, and the weights seen from the codes
    // alone: q's mean and variance held fixed.
    let z = draw.z()?; // [k·B, L]
    let leaf = Var::from_tensor(&z.detach())?;
    let (mu, logvar) = (draw.mu.detach(), draw.logvar.detach());
    let eps = (leaf.as_tensor() - &mu)?.mul(&(&logvar * -0.5)?.exp()?)?;
    let log_q = log_posterior(&eps, &logvar)?;
    let log_w = draw.log_weights(vae, leaf.as_tensor(), log_q, kl_weight)?;
    let bound = iwae_bound(&log_w)?.mean_all()?;
    let mut grads = bound.neg()?.backward()?;
    // ∂loss/∂zᵢ = −w̃ᵢ ∂log wᵢ/∂zᵢ / B: rescaled per sample, then carried into the encoder.
    // Detached: a variable's gradient keeps its graph (through the decoder's weights where
    // the matmul is candle's, e.g. on CUDA), and the encoder's pass must not reach them.
    let dz = grads
        .remove(leaf.as_tensor())
        .ok_or_else(|| Error::Argument("the importance weights do not depend on z".into()))?
        .detach();
    let log_w = log_w.detach();
    let normalized = log_w
        .broadcast_sub(&log_sum_exp(&log_w, 0)?.unsqueeze(0)?)?
        .exp()?;
    let factor = ((normalized * kl_weight)? + (1.0 - kl_weight))?.reshape((dz.dim(0)?, 1))?;
    let encoder_loss = (dz.broadcast_mul(&factor)? * z)?.sum_all()?;
    grads.extend(encoder_loss.backward()?)?;
    Ok((bound, grads))
}

/// One draw of `k` codes per sample: the posterior's parameters and the inputs repeated `k`
/// times, and the noise that places the codes.
struct Draw {
    /// `[k·B, L]`
    mu: Tensor,
    /// `[k·B, L]`
    logvar: Tensor,
    /// `[k·B, L]`
    eps: Tensor,
    /// `[k·B, …]`
    x: Tensor,
    /// `[k·B, K]`
    labels: Option<Tensor>,
    /// `(k, B)`
    shape: (usize, usize),
}

impl Draw {
    fn new(
        vae: &Vae,
        x: &Tensor,
        labels: Option<&Tensor>,
        k: usize,
        rng: &mut Rng,
    ) -> Result<Self> {
        let (mu, logvar) = vae.encode(x, labels)?;
        let logvar =
            logvar.ok_or_else(|| Error::Argument("an autoencoder has no posterior".into()))?;
        let (b, l) = mu.dims2()?;
        let rep = |t: &Tensor| -> Result<Tensor> {
            let mut shape = vec![k * b];
            shape.extend(&t.dims()[1..]);
            Ok(t.unsqueeze(0)?
                .broadcast_as([&[k][..], t.dims()].concat())?
                .reshape(shape)?)
        };
        Ok(Self {
            mu: rep(&mu)?,
            logvar: rep(&logvar)?,
            eps: rng.normal_tensor(&[k * b, l], 1.0, x.device())?,
            x: rep(x)?,
            labels: labels.map(rep).transpose()?,
            shape: (k, b),
        })
    }

    /// The codes `z = μ + σ·ε`. `[k·B, L]`
    fn z(&self) -> Result<Tensor> {
        Vae::reparameterize(&self.mu, &self.logvar, &self.eps)
    }

    /// `log p(x|z) + w·(log p(z) − log q)` for codes `z` `[k·B, L]` and their `log_q` `[k·B]`
    /// → `[k, B]`.
    fn log_weights(&self, vae: &Vae, z: &Tensor, log_q: Tensor, kl_weight: f64) -> Result<Tensor> {
        let raw = vae.decode_raw(z, self.labels.as_ref())?;
        let nll = reconstruction_nll(&raw, &self.x, vae.likelihood())?; // [k·B]
        let prior = log_standard_normal(z)?;
        // At w = 1 no product is formed: the weights are bit for bit the bound's.
        let (prior, log_q) = if kl_weight == 1.0 {
            (prior, log_q)
        } else {
            ((prior * kl_weight)?, (log_q * kl_weight)?)
        };
        Ok(((prior - nll)? - log_q)?.reshape(self.shape)?)
    }
}
