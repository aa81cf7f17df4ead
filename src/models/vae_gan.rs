//! VAE-GAN (Larsen et al. 2016, "Autoencoding beyond pixels using a learned similarity
//! metric"): a VAE whose reconstruction error is measured on a discriminator's features.

use candle_nn::VarBuilder;

use super::gan::Discriminator;
use super::norm::Phase;
use super::vae::Vae;
use crate::config::VaeGanConfig;
use crate::Result;

/// A VAE-GAN (Larsen et al. 2016): a VAE whose reconstructions are judged in the feature
/// space of a GAN discriminator that also trains its decoder as a generator.
pub struct VaeGan {
    pub vae: Vae,
    /// Sees data-space samples (`[0, 1]` images), no packing.
    pub discriminator: Discriminator,
}

impl VaeGan {
    /// Parameters: `encoder.*`, `decoder.*` (as a VAE), `discriminator.*`.
    pub fn new(cfg: &VaeGanConfig, phase: &Phase, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            vae: Vae::new(&cfg.vae, true, phase, vb.clone())?,
            discriminator: Discriminator::new(
                &cfg.vae.sample_shape,
                &cfg.discriminator,
                cfg.vae.num_classes,
                1,
                phase,
                vb.pp("discriminator"),
            )?,
        })
    }
}
