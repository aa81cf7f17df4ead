//! Autoencoder and VAE (Kingma & Welling 2014), optionally class-conditional (CVAE,
//! Sohn et al. 2015). One struct serves both: the autoencoder has no `logvar` head and its
//! code is deterministic.

use candle::Tensor;
use candle_nn::VarBuilder;

use super::code_prior::CodePrior;
use super::layers::{with_labels, Decoder, Dense, Encoder, Weights};
use super::norm::Phase;
use crate::config::{Likelihood, VaeConfig};
use crate::kernels::Act;
use crate::Result;

/// A VAE (Kingma & Welling 2014) or, with no sampling in the code, an autoencoder: an encoder
/// to a diagonal Gaussian posterior, a decoder to a Bernoulli or Gaussian likelihood, and
/// optionally a fitted code prior to sample from.
pub struct Vae {
    encoder: Encoder,
    mu: Dense,
    logvar: Option<Dense>,
    decoder: Decoder,
    likelihood: Likelihood,
    /// Where random codes come from when it was fitted; N(0, I) otherwise.
    prior: Option<CodePrior>,
}

impl Vae {
    /// `variational = false` builds the plain autoencoder (no `encoder.logvar`).
    /// Parameters: `encoder.*`, `encoder.mu` (`encoder.logvar`), `decoder.*`, and with a
    /// fitted code prior `prior.*`.
    pub fn new(cfg: &VaeConfig, variational: bool, phase: &Phase, vb: VarBuilder) -> Result<Self> {
        let venc = vb.pp("encoder");
        let encoder = Encoder::new(&cfg.sample_shape, &cfg.backbone, phase, venc.clone())?;
        let k = cfg.num_classes.unwrap_or(0);
        let f = encoder.out_dim() + k;
        let mu = Dense::new(f, cfg.latent_dim, venc.pp("mu"))?;
        let logvar = if variational {
            Some(Dense::new(f, cfg.latent_dim, venc.pp("logvar"))?)
        } else {
            None
        };
        let decoder = Decoder::new(
            cfg.latent_dim + k,
            &cfg.sample_shape,
            &cfg.backbone,
            phase,
            vb.pp("decoder"),
        )?;
        let prior = cfg
            .code_prior
            .as_ref()
            .map(|p| CodePrior::new(p, cfg.latent_dim, vb.pp("prior")))
            .transpose()?;
        Ok(Self {
            encoder,
            mu,
            logvar,
            decoder,
            likelihood: cfg.likelihood,
            prior,
        })
    }

    /// Posterior parameters (VAE) or the code (autoencoder, `logvar = None`).
    ///
    /// # Shapes
    /// - `x`: `[B, *sample_shape]`, `labels`: `[B, K]` one-hot → `mu`, `logvar`: `[B, L]`
    pub fn encode(&self, x: &Tensor, labels: Option<&Tensor>) -> Result<(Tensor, Option<Tensor>)> {
        let h = with_labels(&self.encoder.forward(x, Weights::Trained)?, labels)?;
        let mu = self.mu.forward(&h, Act::Identity, Weights::Trained)?;
        let logvar = self
            .logvar
            .as_ref()
            .map(|l| l.forward(&h, Act::Identity, Weights::Trained))
            .transpose()?;
        Ok((mu, logvar))
    }

    /// `z = mu + σ·ε`, `σ = exp(logvar / 2)`, with the caller's noise `eps` (seeded).
    ///
    /// # Shapes
    /// - `mu`, `logvar`, `eps`: `[B, L]` → `[B, L]`
    pub fn reparameterize(mu: &Tensor, logvar: &Tensor, eps: &Tensor) -> Result<Tensor> {
        Ok((mu + (logvar * 0.5)?.exp()?.mul(eps)?)?)
    }

    /// Decoder output before the likelihood's link: logits (Bernoulli) or mean (Gaussian).
    ///
    /// # Shapes
    /// - `z`: `[B, L]`, `labels`: `[B, K]` → `[B, *sample_shape]`
    pub fn decode_raw(&self, z: &Tensor, labels: Option<&Tensor>) -> Result<Tensor> {
        self.decoder
            .forward(&with_labels(z, labels)?, Act::Identity)
    }

    /// Mean of p(x|z) in data space.
    ///
    /// # Shapes
    /// - `z`: `[B, L]`, `labels`: `[B, K]` → `[B, *sample_shape]`
    pub fn decode(&self, z: &Tensor, labels: Option<&Tensor>) -> Result<Tensor> {
        self.link(&self.decode_raw(z, labels)?)
    }

    /// The likelihood's link from a [`Self::decode_raw`] output to the mean of p(x|z).
    ///
    /// # Shapes
    /// - `raw`: any → the same
    pub fn link(&self, raw: &Tensor) -> Result<Tensor> {
        Ok(match self.likelihood {
            Likelihood::Bernoulli => super::layers::sigmoid(raw)?,
            Likelihood::Gaussian => raw.clone(),
        })
    }

    pub fn likelihood(&self) -> Likelihood {
        self.likelihood
    }

    /// The fitted density random codes come from, if any.
    pub fn code_prior(&self) -> Option<&CodePrior> {
        self.prior.as_ref()
    }

    pub fn is_variational(&self) -> bool {
        self.logvar.is_some()
    }
}
