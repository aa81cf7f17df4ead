//! A small LeNet-style classifier. Its penultimate features define the Fréchet distance used to
//! compare image models (the evaluation module), so they are exposed on their own.

use candle::{Module, Tensor};
use candle_nn::{Linear, VarBuilder};

use super::layers::{activate, Encoder};
use crate::config::ClassifierConfig;
use crate::Result;

pub struct Classifier {
    encoder: Encoder,
    features: Linear,
    logits: Linear,
    act: crate::config::Activation,
}

impl Classifier {
    /// Parameters: `encoder.*`, `features`, `logits`.
    pub fn new(cfg: &ClassifierConfig, vb: VarBuilder) -> Result<Self> {
        let encoder = Encoder::new(&cfg.sample_shape, &cfg.backbone, vb.pp("encoder"))?;
        Ok(Self {
            features: candle_nn::linear(encoder.out_dim(), cfg.feature_dim, vb.pp("features"))?,
            logits: candle_nn::linear(cfg.feature_dim, cfg.num_classes, vb.pp("logits"))?,
            encoder,
            act: cfg.backbone.activation,
        })
    }

    /// # Shapes
    /// - `x`: `[B, *sample_shape]` → `[B, feature_dim]`
    pub fn features(&self, x: &Tensor) -> Result<Tensor> {
        activate(&self.features.forward(&self.encoder.forward(x)?)?, self.act)
    }

    /// # Shapes
    /// - `features`: `[B, feature_dim]` → `[B, num_classes]` logits
    pub fn logits(&self, features: &Tensor) -> Result<Tensor> {
        Ok(self.logits.forward(features)?)
    }

    /// # Shapes
    /// - `x`: `[B, *sample_shape]` → `[B, num_classes]` logits
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.logits(&self.features(x)?)
    }
}
