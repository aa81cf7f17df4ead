//! A small LeNet-style classifier. Its penultimate features define the Fréchet distance used to
//! compare image models (the evaluation module), so they are exposed on their own.

use candle::Tensor;
use candle_nn::VarBuilder;

use super::layers::{Dense, Encoder, Weights};
use super::norm::Phase;
use crate::config::ClassifierConfig;
use crate::kernels::Act;
use crate::Result;

/// A LeNet-style image classifier: the feature extractor of the Fréchet distance and the
/// class histograms of `latentlab eval`.
pub struct Classifier {
    encoder: Encoder,
    features: Dense,
    logits: Dense,
    act: Act,
}

impl Classifier {
    /// Parameters: `encoder.*`, `features`, `logits`.
    pub fn new(cfg: &ClassifierConfig, phase: &Phase, vb: VarBuilder) -> Result<Self> {
        let encoder = Encoder::new(&cfg.sample_shape, &cfg.backbone, phase, vb.pp("encoder"))?;
        Ok(Self {
            features: Dense::new(encoder.out_dim(), cfg.feature_dim, vb.pp("features"))?,
            logits: Dense::new(cfg.feature_dim, cfg.num_classes, vb.pp("logits"))?,
            encoder,
            act: cfg.backbone.activation.into(),
        })
    }

    /// # Shapes
    /// - `x`: `[B, *sample_shape]` → `[B, feature_dim]`
    pub fn features(&self, x: &Tensor) -> Result<Tensor> {
        let h = self.encoder.forward(x, Weights::Trained)?;
        self.features.forward(&h, self.act, Weights::Trained)
    }

    /// # Shapes
    /// - `features`: `[B, feature_dim]` → `[B, num_classes]` logits
    pub fn logits(&self, features: &Tensor) -> Result<Tensor> {
        self.logits
            .forward(features, Act::Identity, Weights::Trained)
    }

    /// # Shapes
    /// - `x`: `[B, *sample_shape]` → `[B, num_classes]` logits
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.logits(&self.features(x)?)
    }
}
