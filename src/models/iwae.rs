//! The importance-weighted bound on log p(x) (Burda, Grosse & Salakhutdinov 2016): the
//! estimator both IWAE training and the likelihood evaluation use.

use candle::Tensor;

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
    let (mu, logvar) = vae.encode(x, labels)?;
    let logvar = logvar.ok_or_else(|| Error::Argument("an autoencoder has no posterior".into()))?;
    let (b, l) = mu.dims2()?;
    let rep = |t: &Tensor| -> Result<Tensor> {
        let mut shape = vec![k * b];
        shape.extend(&t.dims()[1..]);
        Ok(t.unsqueeze(0)?
            .broadcast_as([&[k][..], t.dims()].concat())?
            .reshape(shape)?)
    };
    let (mu_k, logvar_k) = (rep(&mu)?, rep(&logvar)?); // [k·B, L]
    let eps = rng.normal_tensor(&[k * b, l], 1.0, x.device())?;
    let z = Vae::reparameterize(&mu_k, &logvar_k, &eps)?;
    let labels_k = labels.map(rep).transpose()?;
    let raw = vae.decode_raw(&z, labels_k.as_ref())?;
    let nll = reconstruction_nll(&raw, &rep(x)?, vae.likelihood())?; // [k·B]
    let (prior, posterior) = (log_standard_normal(&z)?, log_posterior(&eps, &logvar_k)?);
    // At w = 1 no product is formed: the weights are bit for bit the bound's.
    let (prior, posterior) = if kl_weight == 1.0 {
        (prior, posterior)
    } else {
        ((prior * kl_weight)?, (posterior * kl_weight)?)
    };
    let log_w = ((prior - nll)? - posterior)?;
    Ok(log_w.reshape((k, b))?)
}

/// The IWAE bound `log (1/k) Σᵢ wᵢ` per sample, from [`log_weights`] `[k, B]` → `[B]`.
pub fn iwae_bound(log_w: &Tensor) -> Result<Tensor> {
    let k = log_w.dim(0)? as f64;
    Ok((log_sum_exp(log_w, 0)? - k.ln())?)
}
