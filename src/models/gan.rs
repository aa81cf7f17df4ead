//! GAN generator and discriminator (Goodfellow et al. 2014), DCGAN-style when the backbone is
//! convolutional (Radford et al. 2016), with optional class conditioning (cGAN, Mirza &
//! Osindero 2014), InfoGAN's latent codes (Chen et al. 2016) and PacGAN packing (Lin et al.
//! 2018).

use candle::Tensor;
use candle_nn::VarBuilder;

use super::layers::{with_labels, Decoder, Dense, Encoder, Weights};
use super::norm::Phase;
use crate::config::{Backbone, GanConfig, GanOutput};
use crate::kernels::Act;
use crate::{Error, Result};

/// z (and a label) → a sample in model space (`[-1, 1]` for a tanh output).
pub struct Generator {
    decoder: Decoder,
    output: GanOutput,
}

impl Generator {
    pub fn new(cfg: &GanConfig, phase: &Phase, vb: VarBuilder) -> Result<Self> {
        let k = cfg.num_classes.unwrap_or(0);
        let decoder = Decoder::new(
            cfg.latent_dim + k,
            &cfg.sample_shape,
            &cfg.generator,
            phase,
            vb,
        )?;
        Ok(Self {
            decoder,
            output: cfg.output,
        })
    }

    /// # Shapes
    /// - `z`: `[B, L]`, `labels`: `[B, K]` → `[B, *sample_shape]` in model space
    pub fn forward(&self, z: &Tensor, labels: Option<&Tensor>) -> Result<Tensor> {
        let output = match self.output {
            GanOutput::Tanh => Act::Tanh,
            GanOutput::Linear => Act::Identity,
        };
        self.decoder.forward(&with_labels(z, labels)?, output)
    }

    /// Model space → data space (`[-1, 1]` → `[0, 1]` for tanh).
    ///
    /// # Shapes
    /// - `x`: any → the same
    pub fn to_data(&self, x: &Tensor) -> Result<Tensor> {
        Ok(match self.output {
            GanOutput::Tanh => ((x + 1.0)? * 0.5)?,
            GanOutput::Linear => x.clone(),
        })
    }

    /// Data space → model space, for real batches shown to the discriminator.
    ///
    /// # Shapes
    /// - `x`: any → the same
    pub fn from_data(&self, x: &Tensor) -> Result<Tensor> {
        Ok(match self.output {
            GanOutput::Tanh => ((x * 2.0)? - 1.0)?,
            GanOutput::Linear => x.clone(),
        })
    }
}

/// Samples (packed `pack` at a time) → one real/fake logit per pack, plus the features the
/// logit is read from (VAE-GAN's learned similarity uses them).
///
/// With spectral normalization every layer's weight is normalized but the class embedding's.
///
/// A class-conditional discriminator is a projection discriminator (Miyato & Koyama 2018):
/// `logit = head(φ(x)) + ⟨V·y, φ(x)⟩`, so the label weighs the features themselves. (Labels
/// appended to φ(x) before `head` would only add a bias per class, which cannot tell whether
/// an image shows its label, and the generator then learns to ignore the label.)
pub struct Discriminator {
    encoder: Encoder,
    head: Dense,
    /// `V`, `[pack·K, F]`: row `k` embeds (packed) class `k` in feature space; conditional only.
    /// (Laid out so its initial scale, from the fan-in `F`, matches `head`'s.)
    class_embedding: Option<Tensor>,
    /// InfoGAN's head: the features → `K` logits guessing the generator's code.
    info_head: Option<Dense>,
    pack: usize,
}

impl Discriminator {
    /// Parameters under `vb`: the backbone, `head` and, when conditional, `class_embedding`.
    pub fn new(
        sample_shape: &[usize],
        backbone: &Backbone,
        num_classes: Option<usize>,
        pack: usize,
        phase: &Phase,
        vb: VarBuilder,
    ) -> Result<Self> {
        let mut packed = sample_shape.to_vec();
        packed[0] *= pack;
        let encoder = Encoder::new(&packed, backbone, phase, vb.clone())?;
        let vb_head = vb.pp("head");
        let head = Dense::new(encoder.out_dim(), 1, vb_head.clone())?.spectral(
            backbone.spectral_norm,
            phase,
            &vb_head,
        )?;
        let class_embedding = num_classes
            .map(|k| {
                vb.get_with_hints(
                    (pack * k, encoder.out_dim()),
                    "class_embedding",
                    candle_nn::Init::Const(0.0),
                )
            })
            .transpose()?;
        Ok(Self {
            encoder,
            head,
            class_embedding,
            info_head: None,
            pack,
        })
    }

    /// Adds InfoGAN's head (`info_head`, under `vb`) for `codes` codes.
    pub fn with_info_head(mut self, codes: usize, vb: VarBuilder) -> Result<Self> {
        self.info_head = Some(Dense::new(
            self.encoder.out_dim(),
            codes,
            vb.pp("info_head"),
        )?);
        Ok(self)
    }

    /// InfoGAN's guess of the code behind each sample, from [`Self::forward`]'s features.
    ///
    /// # Shapes
    /// - `features`: `[B, F]` → `[B, K]` logits
    pub fn info_logits(&self, features: &Tensor, weights: Weights) -> Result<Tensor> {
        let head = self
            .info_head
            .as_ref()
            .ok_or_else(|| Error::Argument("this discriminator has no InfoGAN head".into()))?;
        head.forward(features, Act::Identity, weights)
    }

    /// Samples judged together.
    pub fn pack(&self) -> usize {
        self.pack
    }

    /// `weights` is [`Weights::Frozen`] when only the input's gradient is wanted (a generator
    /// step).
    ///
    /// # Shapes
    /// - `x`: `[B, *sample_shape]`, `labels`: `[B, K]`, `B` a multiple of `pack`
    /// - → `logits`: `[B / pack]`, `features`: `[B / pack, F]`
    pub fn forward(
        &self,
        x: &Tensor,
        labels: Option<&Tensor>,
        weights: Weights,
    ) -> Result<(Tensor, Tensor)> {
        let dims = x.dims();
        let b = dims[0];
        if !b.is_multiple_of(self.pack) {
            return Err(Error::Argument(format!(
                "batch {b} is not a multiple of the pack size {}",
                self.pack
            )));
        }
        // m consecutive samples become one sample with m× the channels (or features).
        let mut packed = vec![b / self.pack, dims[1] * self.pack];
        packed.extend(&dims[2..]);
        let features = self.encoder.forward(&x.reshape(packed)?, weights)?;
        let logits = self
            .head
            .forward(&features, Act::Identity, weights)?
            .squeeze(1)?;
        let logits = match (&self.class_embedding, labels) {
            (Some(v), Some(y)) => {
                // [B/pack, pack·K] · V → [B/pack, F], then a dot product with each row.
                let y = y.reshape((b / self.pack, ()))?;
                let projected = y.matmul(&weights.read(v))?;
                (logits + (projected * &features)?.sum(1)?)?
            }
            (None, None) => logits,
            _ => {
                return Err(Error::Argument(
                    "labels are given exactly when the discriminator is conditional".into(),
                ))
            }
        };
        Ok((logits, features))
    }
}

/// A GAN (Goodfellow et al. 2014): a generator from latent codes, and a discriminator that
/// may see `pack` samples at once (PacGAN, Lin et al. 2018).
pub struct Gan {
    pub generator: Generator,
    pub discriminator: Discriminator,
}

impl Gan {
    /// Parameters: `generator.*`, `discriminator.*`. An InfoGAN's discriminator sees no
    /// label and has the code-guessing head instead.
    pub fn new(cfg: &GanConfig, phase: &Phase, vb: VarBuilder) -> Result<Self> {
        let vb_d = vb.pp("discriminator");
        let mut discriminator = Discriminator::new(
            &cfg.sample_shape,
            &cfg.discriminator,
            cfg.label_classes(),
            cfg.pack,
            phase,
            vb_d.clone(),
        )?;
        if let Some(codes) = cfg.info_codes() {
            discriminator = discriminator.with_info_head(codes, vb_d)?;
        }
        Ok(Self {
            generator: Generator::new(cfg, phase, vb.pp("generator"))?,
            discriminator,
        })
    }
}
