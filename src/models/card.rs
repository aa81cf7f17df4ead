//! What a network can do, as plain data for front ends ([`ModelCard`]), and the two
//! operations the page's views build on it: [`Network::reconstruct`] and
//! [`Network::latent_grid`].

use candle::Tensor;
use serde::Serialize;

use super::Network;
use crate::config::{Arch, ModelConfig, ModelKind};
use crate::data::{DataInfo, Toy};
use crate::latent;
use crate::{Error, Result};

/// A network's capabilities: which views apply to it and how to draw its data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelCard {
    pub kind: ModelKind,
    pub has_encoder: bool,
    pub has_discriminator: bool,
    /// Samples are `[C, H, W]` images in `[0, 1]`.
    pub is_image: bool,
    /// Samples are 2-D points.
    pub is_points: bool,
    pub latent_dim: Option<usize>,
    pub num_classes: Option<usize>,
    /// The `num_classes` are InfoGAN codes the model learned, not the data's labels.
    pub info_codes: bool,
    /// The `num_classes` are k-means clusters of the training data (a self-conditioned GAN),
    /// which sampling without a class draws by their shares.
    pub clusters: bool,
    pub sample_shape: Vec<usize>,
    /// For 2-D points: a square view `[x0, x1, y0, y1]` around the data.
    pub view_bounds: Option<[f32; 4]>,
    /// Samples per encode or decode call that keep a browser responsive (convolutional
    /// models are about five times slower per sample).
    pub batch_hint: usize,
    /// Its evaluation on `data` is the classifier Fréchet distance alone (an image GAN:
    /// [`crate::eval::Protocol::frechet_only`]), so a live metric needs the feature classifier.
    pub frechet_only: bool,
}

impl Network {
    /// The capabilities of this network trained on `data`.
    pub fn capabilities(&self, data: &DataInfo) -> ModelCard {
        let cfg = self.config();
        let shape = cfg.sample_shape().to_vec();
        let is_points = shape == [2];
        let view_bounds = is_points.then(|| match data.name.parse::<Toy>() {
            Ok(toy) => toy.view_bounds(),
            Err(_) => {
                let [lo, hi] = data.value_range;
                let m = lo.abs().max(hi.abs()) * 1.3;
                let m = if m > 0.0 { m } else { 2.0 };
                [-m, m, -m, m]
            }
        });
        let conv = match cfg {
            ModelConfig::Autoencoder(c) | ModelConfig::Vae(c) => c.backbone.arch == Arch::Conv,
            ModelConfig::Gan(c) => c.generator.arch == Arch::Conv,
            ModelConfig::VaeGan(c) => c.vae.backbone.arch == Arch::Conv,
            ModelConfig::Classifier(c) => c.backbone.arch == Arch::Conv,
        };
        ModelCard {
            kind: cfg.kind(),
            has_encoder: self.model().vae().is_some(),
            has_discriminator: self.has_discriminator(),
            is_image: shape.len() == 3,
            is_points,
            latent_dim: cfg.latent_dim(),
            num_classes: cfg.num_classes(),
            info_codes: cfg.info_codes().is_some(),
            clusters: cfg.cluster_prior().is_some(),
            sample_shape: shape,
            view_bounds,
            batch_hint: if conv { 100 } else { 500 },
            frechet_only: crate::eval::Protocol::of(self, &data.name)
                .is_ok_and(|p| p.frechet_only()),
        }
    }

    /// Inputs encoded to their posterior mean (the autoencoder's code) and decoded.
    ///
    /// # Shapes
    /// - `x`: `[B, *sample_shape]` → `[B, *sample_shape]`
    pub fn reconstruct(&self, x: &Tensor, labels: Option<&[u32]>) -> Result<Tensor> {
        let (mu, _) = self.encode(x, labels)?;
        self.decode(&mu, labels)
    }

    /// The decoded [`latent::grid_2d`] of a 2-D latent space: `side × side` codes covering
    /// `[-extent, extent]²`, row 0 at the top; a conditional model decodes them all as `class`
    /// (default 0).
    ///
    /// # Shapes
    /// → `[side², *sample_shape]`
    pub fn latent_grid(&self, side: usize, extent: f32, class: Option<u32>) -> Result<Tensor> {
        if self.config().latent_dim() != Some(2) {
            return Err(Error::Argument(format!(
                "the latent map needs a 2-D latent space; this {} has {}",
                self.config().kind(),
                match self.config().latent_dim() {
                    Some(l) => format!("{l} latent dimensions"),
                    None => "no latent space".into(),
                }
            )));
        }
        crate::budget::check_decode(
            "latent grid",
            side.saturating_mul(side),
            self.sample_len(),
            2,
        )?;
        let z = Tensor::from_vec(
            latent::grid_2d(side, extent)?,
            (side * side, 2),
            self.device(),
        )?;
        let labels = self.fixed_labels(side * side, class)?;
        self.decode(&z, labels.as_deref())
    }
}
