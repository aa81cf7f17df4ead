//! Model and training configuration. A [`ModelConfig`] is stored as JSON in every checkpoint
//! (`latentlab.model`), so it alone rebuilds the architecture.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Backbone family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    /// Fully connected layers on the flattened sample (images or 2-D points).
    Mlp,
    /// DCGAN-style: 4×4 stride-2 convolutions down (H → H/2 → H/4) and transposed
    /// convolutions up; needs a `[C, H, W]` sample with H and W divisible by 4.
    Conv,
}

/// Hidden-layer nonlinearity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    Relu,
    Tanh,
    /// Leaky ReLU with slope 0.2 (DCGAN's discriminator).
    LeakyRelu,
}

/// Decoder likelihood p(x|z).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Likelihood {
    /// Decoder outputs logits; the mean is `sigmoid(logits)`. For data in [0, 1].
    Bernoulli,
    /// Decoder outputs the mean of a unit-variance Gaussian. For real-valued data.
    Gaussian,
}

/// Output nonlinearity of a GAN generator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GanOutput {
    /// `tanh`, with images mapped from [0, 1] to [-1, 1] for the discriminator (DCGAN).
    Tanh,
    /// No nonlinearity: real-valued data such as 2-D points.
    Linear,
}

/// Weight initialization, drawn from the run's seeded RNG.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WeightInit {
    /// PyTorch's default: weights U(−1/√fan_in, 1/√fan_in), biases 0.
    Uniform,
    /// DCGAN (Radford et al. 2016): weights N(0, 0.02), biases 0.
    Dcgan,
}

/// The layers between the data and a head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backbone {
    pub arch: Arch,
    /// MLP: hidden widths, data side first (`[400]`, `[200, 200]`).
    /// Conv: channels after the first and second stride-2 convolution (`[32, 64]`).
    pub hidden: Vec<usize>,
    pub activation: Activation,
    /// Batch normalization (Ioffe & Szegedy 2015) before the activation of every hidden layer
    /// but one reading data (Radford et al. 2016: not on a discriminator's or encoder's input
    /// layer; never on an output). The linear part of a normalized layer has no bias.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub batch_norm: bool,
    /// BatchNorm's ε when it is not PyTorch's [`BATCH_NORM_EPS`] (PacGAN's code, on blocks:
    /// 1e-4). Added to the variance before its square root; it damps a unit whose batch
    /// variance is no larger than it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_norm_eps: Option<f64>,
    /// MLP only: each hidden layer is a maxout layer (Goodfellow et al. 2013) of this many
    /// linear pieces per unit, which replaces the activation (PacGAN's discriminator: 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maxout: Option<usize>,
    /// Every layer's weight divided by its largest singular value (Miyato et al. 2018), a
    /// discriminator's option.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub spectral_norm: bool,
}

/// BatchNorm's running-statistics momentum and ε: PyTorch's defaults (DCGAN's code).
pub const BATCH_NORM_MOMENTUM: f64 = 0.1;
pub const BATCH_NORM_EPS: f64 = 1e-5;

impl Backbone {
    /// An MLP with the given hidden widths.
    pub fn mlp(hidden: &[usize], activation: Activation) -> Self {
        Self {
            arch: Arch::Mlp,
            hidden: hidden.to_vec(),
            activation,
            batch_norm: false,
            batch_norm_eps: None,
            maxout: None,
            spectral_norm: false,
        }
    }

    /// A two-stage convolutional backbone with `c1` then `c2` channels.
    pub fn conv(c1: usize, c2: usize, activation: Activation) -> Self {
        Self {
            arch: Arch::Conv,
            hidden: vec![c1, c2],
            activation,
            batch_norm: false,
            batch_norm_eps: None,
            maxout: None,
            spectral_norm: false,
        }
    }

    /// Maxout and spectral normalization are a discriminator's options: refused on other
    /// networks rather than ignored.
    fn refuse_discriminator_options(&self, what: &str) -> Result<()> {
        if self.maxout.is_some() {
            return Err(Error::Config(format!(
                "{what}: maxout units are for discriminators only"
            )));
        }
        if self.spectral_norm {
            return Err(Error::Config(format!(
                "{what}: spectral normalization is for discriminators only"
            )));
        }
        Ok(())
    }

    /// BatchNorm's ε in this backbone's normalized layers.
    pub fn batch_norm_eps(&self) -> f64 {
        self.batch_norm_eps.unwrap_or(BATCH_NORM_EPS)
    }

    fn validate(&self, what: &str, sample_shape: &[usize]) -> Result<()> {
        if self.hidden.contains(&0) {
            return Err(Error::Config(format!("{what}: hidden sizes must be > 0")));
        }
        match self.batch_norm_eps {
            Some(eps) if !(1e-12..=1.0).contains(&eps) => {
                return Err(Error::Config(format!(
                    "{what}: BatchNorm's ε must be between 1e-12 and 1, got {eps}"
                )));
            }
            Some(_) if !self.batch_norm => {
                return Err(Error::Config(format!(
                    "{what}: a BatchNorm ε without BatchNorm"
                )));
            }
            _ => {}
        }
        match self.maxout {
            Some(_) if self.arch != Arch::Mlp => {
                return Err(Error::Config(format!(
                    "{what}: maxout units are for MLP networks, this one is {:?}",
                    self.arch
                )));
            }
            Some(k) if !(2..=16).contains(&k) => {
                return Err(Error::Config(format!(
                    "{what}: maxout takes 2 to 16 pieces, got {k}"
                )));
            }
            _ => {}
        }
        match self.arch {
            Arch::Mlp if self.hidden.is_empty() => Err(Error::Config(format!(
                "{what}: an MLP needs at least one hidden layer"
            ))),
            Arch::Conv => match sample_shape {
                [_, h, w] if h % 4 == 0 && w % 4 == 0 && self.hidden.len() == 2 => Ok(()),
                [_, _, _] if self.hidden.len() != 2 => Err(Error::Config(format!(
                    "{what}: a conv backbone takes exactly two channel counts, got {:?}",
                    self.hidden
                ))),
                _ => Err(Error::Config(format!(
                    "{what}: a conv backbone needs a [C, H, W] sample with H, W divisible by 4, got {sample_shape:?}"
                ))),
            },
            Arch::Mlp => Ok(()),
        }
    }
}

/// Autoencoder and VAE (the autoencoder ignores `beta`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VaeConfig {
    /// One sample's shape: `[C, H, W]` for images, `[2]` for points.
    pub sample_shape: Vec<usize>,
    pub latent_dim: usize,
    /// `Some(K)`: class-conditional (CVAE); one-hot labels feed encoder head and decoder.
    #[serde(default)]
    pub num_classes: Option<usize>,
    pub backbone: Backbone,
    pub likelihood: Likelihood,
    /// Weight of the KL term (β-VAE, Higgins et al. 2017); 1 is the plain VAE.
    #[serde(default = "one")]
    pub beta: f64,
    pub init: WeightInit,
    /// A density over the codes fitted after training ([`crate::models::code_prior`]):
    /// random codes are drawn from it instead of N(0, I).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_prior: Option<CodePriorConfig>,
}

/// A Gaussian mixture over the latent codes, fitted to the encoder's codes of the training
/// set after training (Ghosh et al. 2020's ex-post density estimation).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CodePriorConfig {
    /// Mixture components (diagonal Gaussians), per class when `classes` is set.
    pub components: usize,
    /// A class-conditional model's prior is one mixture per class, fitted to that class's
    /// codes: `Some(C)` with C the model's classes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<usize>,
    /// Training codes it was fitted to.
    pub codes: usize,
    /// Seed of the codes' noise and of the fit's k-means start.
    pub seed: u64,
}

impl CodePriorConfig {
    /// The most components a fit may ask for.
    pub const MAX_COMPONENTS: usize = 4096;
}

/// GAN: generator and discriminator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GanConfig {
    pub sample_shape: Vec<usize>,
    pub latent_dim: usize,
    #[serde(default)]
    pub num_classes: Option<usize>,
    /// Generator layers, listed data side first like every backbone (so a generator
    /// `[128, 256]` runs z → 256 → 128 → sample).
    pub generator: Backbone,
    pub discriminator: Backbone,
    pub output: GanOutput,
    /// PacGAN packing (Lin et al. 2018): the discriminator judges `pack` samples at once.
    #[serde(default = "one_usize")]
    pub pack: usize,
    pub init: WeightInit,
    /// InfoGAN (Chen et al. 2016): the `num_classes` are latent codes, not data labels. The
    /// generator is given a code drawn uniformly, the discriminator sees no label and its
    /// `info_head` guesses the code from its features; both networks also minimize that
    /// guess's cross-entropy, so each code comes to draw its own kind of sample. Trained
    /// without labels.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub info: bool,
    /// Self-conditioned GAN (Liu et al. 2020): the `num_classes` are k-means clusters of the
    /// training samples, given to both networks as a conditional GAN's labels; this holds
    /// each cluster's share of the training set, by which sampling without a class draws
    /// them. Trained without labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_prior: Option<Vec<f32>>,
}

impl GanConfig {
    /// An InfoGAN's number of codes; `None` for any other GAN.
    pub fn info_codes(&self) -> Option<usize> {
        self.num_classes.filter(|_| self.info)
    }

    /// The classes the discriminator is told (a conditional GAN's); `None` for an InfoGAN.
    pub fn label_classes(&self) -> Option<usize> {
        self.num_classes.filter(|_| !self.info)
    }
}

/// VAE-GAN (Larsen et al. 2016).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VaeGanConfig {
    pub vae: VaeConfig,
    pub discriminator: Backbone,
    /// Weight of the feature-space reconstruction in the decoder's loss (the paper's γ).
    pub gamma: f64,
}

/// LeNet-style classifier: conv features, one hidden layer (the features used for the
/// Fréchet distance), class logits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassifierConfig {
    pub sample_shape: Vec<usize>,
    pub num_classes: usize,
    pub backbone: Backbone,
    pub feature_dim: usize,
    pub init: WeightInit,
}

/// Any model Latent Lab knows, tagged by `kind` in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ModelConfig {
    Autoencoder(VaeConfig),
    Vae(VaeConfig),
    Gan(GanConfig),
    VaeGan(VaeGanConfig),
    Classifier(ClassifierConfig),
}

fn one() -> f64 {
    1.0
}
fn one_usize() -> usize {
    1
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The kind names as they appear in JSON and on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    Autoencoder,
    Vae,
    Gan,
    VaeGan,
    Classifier,
}

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            ModelKind::Autoencoder => "autoencoder",
            ModelKind::Vae => "vae",
            ModelKind::Gan => "gan",
            ModelKind::VaeGan => "vaegan",
            ModelKind::Classifier => "classifier",
        };
        f.write_str(s)
    }
}

impl ModelConfig {
    pub fn kind(&self) -> ModelKind {
        match self {
            ModelConfig::Autoencoder(_) => ModelKind::Autoencoder,
            ModelConfig::Vae(_) => ModelKind::Vae,
            ModelConfig::Gan(_) => ModelKind::Gan,
            ModelConfig::VaeGan(_) => ModelKind::VaeGan,
            ModelConfig::Classifier(_) => ModelKind::Classifier,
        }
    }

    /// Shape of one data sample.
    pub fn sample_shape(&self) -> &[usize] {
        match self {
            ModelConfig::Autoencoder(c) | ModelConfig::Vae(c) => &c.sample_shape,
            ModelConfig::Gan(c) => &c.sample_shape,
            ModelConfig::VaeGan(c) => &c.vae.sample_shape,
            ModelConfig::Classifier(c) => &c.sample_shape,
        }
    }

    /// Latent size; `None` for the classifier.
    pub fn latent_dim(&self) -> Option<usize> {
        match self {
            ModelConfig::Autoencoder(c) | ModelConfig::Vae(c) => Some(c.latent_dim),
            ModelConfig::Gan(c) => Some(c.latent_dim),
            ModelConfig::VaeGan(c) => Some(c.vae.latent_dim),
            ModelConfig::Classifier(_) => None,
        }
    }

    /// Number of classes the model is conditioned on (or classifies into).
    pub fn num_classes(&self) -> Option<usize> {
        match self {
            ModelConfig::Autoencoder(c) | ModelConfig::Vae(c) => c.num_classes,
            ModelConfig::Gan(c) => c.num_classes,
            ModelConfig::VaeGan(c) => c.vae.num_classes,
            ModelConfig::Classifier(c) => Some(c.num_classes),
        }
    }

    /// The classes a dataset must label for this model: its `num_classes`, except for an
    /// InfoGAN, whose codes are drawn, not read from the data.
    pub fn data_classes(&self) -> Option<usize> {
        match self {
            ModelConfig::Gan(c) => c.label_classes(),
            _ => self.num_classes(),
        }
    }

    /// An InfoGAN's number of codes (its `num_classes`); `None` for every other model.
    pub fn info_codes(&self) -> Option<usize> {
        match self {
            ModelConfig::Gan(c) => c.info_codes(),
            _ => None,
        }
    }

    /// The fitted density random codes come from ([`VaeConfig::code_prior`]); `None` for a
    /// model without one, whose codes are N(0, I).
    pub fn code_prior(&self) -> Option<&CodePriorConfig> {
        match self {
            ModelConfig::Autoencoder(c) | ModelConfig::Vae(c) => c.code_prior.as_ref(),
            ModelConfig::VaeGan(c) => c.vae.code_prior.as_ref(),
            _ => None,
        }
    }

    /// This config with its code prior replaced (`None`: random codes from N(0, I)); a model
    /// without an encoder has none and comes back as it is.
    pub fn with_code_prior(mut self, prior: Option<CodePriorConfig>) -> Self {
        match &mut self {
            ModelConfig::Autoencoder(c) | ModelConfig::Vae(c) => c.code_prior = prior,
            ModelConfig::VaeGan(c) => c.vae.code_prior = prior,
            ModelConfig::Gan(_) | ModelConfig::Classifier(_) => {}
        }
        self
    }

    /// A self-conditioned GAN's cluster shares ([`GanConfig::cluster_prior`]); `None` for
    /// every other model.
    pub fn cluster_prior(&self) -> Option<&[f32]> {
        match self {
            ModelConfig::Gan(c) => c.cluster_prior.as_deref(),
            _ => None,
        }
    }

    /// Checks every field; a config read from a file must pass this before a model is built.
    pub fn validate(&self) -> Result<()> {
        let shape = self.sample_shape();
        if shape.is_empty() || shape.len() > 3 || shape.contains(&0) {
            return Err(Error::Config(format!(
                "sample_shape must be [D] or [C, H, W] with nonzero sizes, got {shape:?}"
            )));
        }
        if self.latent_dim() == Some(0) {
            return Err(Error::Config("latent_dim must be > 0".into()));
        }
        if self.num_classes() == Some(0) {
            return Err(Error::Config("num_classes must be > 0".into()));
        }
        let networks = match self {
            ModelConfig::Gan(c) => Some((&c.generator, &c.discriminator)),
            ModelConfig::VaeGan(c) => Some((&c.vae.backbone, &c.discriminator)),
            _ => None,
        };
        if let Some((g, d)) = networks.filter(|(g, d)| {
            g.batch_norm && d.batch_norm && g.batch_norm_eps() != d.batch_norm_eps()
        }) {
            return Err(Error::Config(format!(
                "one BatchNorm ε per model: the discriminator's {} differs from {}",
                d.batch_norm_eps(),
                g.batch_norm_eps()
            )));
        }
        match self {
            ModelConfig::Autoencoder(c) | ModelConfig::Vae(c) => c.validate(),
            ModelConfig::Gan(c) => {
                c.generator.validate("generator", &c.sample_shape)?;
                c.generator.refuse_discriminator_options("generator")?;
                c.discriminator.validate("discriminator", &c.sample_shape)?;
                if c.pack == 0 {
                    return Err(Error::Config("pack must be ≥ 1".into()));
                }
                if c.info && (c.num_classes.is_none() || c.pack != 1) {
                    return Err(Error::Config(
                        "an InfoGAN needs a number of codes (num_classes) and takes no packing"
                            .into(),
                    ));
                }
                if let Some(p) = &c.cluster_prior {
                    let sum: f32 = p.iter().sum();
                    if c.info
                        || c.num_classes != Some(p.len())
                        || p.iter().any(|v| !(v.is_finite() && *v >= 0.0))
                        || (sum - 1.0).abs() > 1e-3
                    {
                        return Err(Error::Config(format!(
                            "cluster_prior must hold num_classes ({:?}) shares summing to 1, \
                             without InfoGAN codes; got {} values summing to {sum}",
                            c.num_classes,
                            p.len()
                        )));
                    }
                }
                Ok(())
            }
            ModelConfig::VaeGan(c) => {
                c.vae.validate()?;
                c.discriminator
                    .validate("discriminator", &c.vae.sample_shape)?;
                if !(c.gamma.is_finite() && c.gamma >= 0.0) {
                    return Err(Error::Config(format!(
                        "gamma must be finite and ≥ 0, got {}",
                        c.gamma
                    )));
                }
                Ok(())
            }
            ModelConfig::Classifier(c) => {
                c.backbone.validate("backbone", &c.sample_shape)?;
                c.backbone.refuse_discriminator_options("classifier")?;
                if c.feature_dim == 0 {
                    return Err(Error::Config("feature_dim must be > 0".into()));
                }
                Ok(())
            }
        }
    }

    /// Short human description, e.g. `vae (conv, latent 16, 10 classes)`.
    pub fn summary(&self) -> String {
        let arch = match self {
            ModelConfig::Autoencoder(c) | ModelConfig::Vae(c) => c.backbone.arch,
            ModelConfig::Gan(c) => c.generator.arch,
            ModelConfig::VaeGan(c) => c.vae.backbone.arch,
            ModelConfig::Classifier(c) => c.backbone.arch,
        };
        let mut s = format!("{} ({arch:?}", self.kind()).to_lowercase();
        if let Some(l) = self.latent_dim() {
            s += &format!(", latent {l}");
        }
        match (self.info_codes(), self.num_classes()) {
            (Some(k), _) => s += &format!(", {k} InfoGAN codes"),
            (None, Some(k)) if self.cluster_prior().is_some() => s += &format!(", {k} clusters"),
            (None, Some(k)) => s += &format!(", {k} classes"),
            (None, None) => {}
        }
        match self.code_prior() {
            Some(p) if p.classes.is_some() => {
                s += &format!(
                    ", codes from a {}-component mixture per class",
                    p.components
                )
            }
            Some(p) => s += &format!(", codes from a {}-component mixture", p.components),
            None => {}
        }
        s + ")"
    }
}

impl VaeConfig {
    fn validate(&self) -> Result<()> {
        self.backbone.validate("backbone", &self.sample_shape)?;
        self.backbone
            .refuse_discriminator_options("encoder and decoder")?;
        if !(self.beta.is_finite() && self.beta >= 0.0) {
            return Err(Error::Config(format!(
                "beta must be finite and ≥ 0, got {}",
                self.beta
            )));
        }
        if let Some(p) = &self.code_prior {
            let blocks = p.classes.unwrap_or(1);
            if !(1..=CodePriorConfig::MAX_COMPONENTS).contains(&p.components)
                || p.components
                    .checked_mul(blocks)
                    .is_none_or(|need| p.codes < need)
            {
                return Err(Error::Config(format!(
                    "a code prior takes 1 to {} components (a class), and at least as many \
                     codes; got {} components fitted to {} codes",
                    CodePriorConfig::MAX_COMPONENTS,
                    p.components,
                    p.codes
                )));
            }
            if p.classes.is_some() && p.classes != self.num_classes {
                return Err(Error::Config(format!(
                    "a code prior per class needs the model's classes ({:?}), got {:?}",
                    self.num_classes, p.classes
                )));
            }
        }
        Ok(())
    }
}

/// Adam / AdamW hyperparameters, all written out (PyTorch's Adam: weight decay 0).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdamConfig {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    /// Decoupled weight decay (AdamW, Loshchilov & Hutter 2019); 0 gives Adam.
    pub weight_decay: f64,
}

impl Default for AdamConfig {
    /// Kingma & Ba's defaults: lr 1e-3, β = (0.9, 0.999), ε = 1e-8, no weight decay.
    fn default() -> Self {
        Self {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: crate::spec::TrainSpec::DEFAULT_WEIGHT_DECAY,
        }
    }
}

/// Whether `x` stays a finite number above 0 in f32, the precision the kernels update in (a rate
/// of 1e-46 would be 0 there: a run that never moves).
fn positive_in_f32(x: f64) -> bool {
    let x = x as f32;
    x > 0.0 && x.is_finite()
}

/// `v` as a message shows it: 1e-46, not 46 zeros.
fn shown(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-4..1e9).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

impl AdamConfig {
    /// DCGAN's Adam: lr 2e-4, β1 = 0.5.
    pub fn dcgan() -> Self {
        Self {
            lr: 2e-4,
            beta1: 0.5,
            ..Self::default()
        }
    }

    /// An error naming each setting out of its range.
    pub fn validate(&self) -> Result<()> {
        let in_f32 = "> 0 as an f32 (about 1.4e-45 to 3.4e38)";
        let bad: Vec<String> = [
            ("lr", self.lr, positive_in_f32(self.lr), in_f32),
            (
                "beta1",
                self.beta1,
                (0.0..1.0).contains(&self.beta1),
                "in [0, 1)",
            ),
            (
                "beta2",
                self.beta2,
                (0.0..1.0).contains(&self.beta2),
                "in [0, 1)",
            ),
            ("eps", self.eps, positive_in_f32(self.eps), in_f32),
            (
                "weight_decay",
                self.weight_decay,
                self.weight_decay >= 0.0 && self.weight_decay.is_finite(),
                "≥ 0",
            ),
        ]
        .into_iter()
        .filter(|&(.., ok, _)| !ok)
        .map(|(what, value, _, range)| {
            format!("{what} must be finite and {range}, got {}", shown(value))
        })
        .collect();
        if bad.is_empty() {
            Ok(())
        } else {
            Err(Error::Config(format!(
                "bad optimizer settings: {}",
                bad.join("; ")
            )))
        }
    }
}

/// How a model is trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub batch_size: usize,
    pub optimizer: AdamConfig,
    /// Draw binary pixels x ~ Bernoulli(intensity) afresh for every batch (images only).
    #[serde(default)]
    pub dynamic_binarization: bool,
    /// VAE only: train on the IWAE bound with this many importance samples (1 = ELBO).
    #[serde(default = "one_usize")]
    pub iwae_k: usize,
    /// VAE on the IWAE bound: the encoder's gradient by the doubly reparameterized estimator
    /// (DReG, Tucker et al. 2019) instead of plain backpropagation
    /// ([`crate::models::iwae::doubly_reparameterized`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dreg: bool,
    /// GAN only: discriminator steps per generator step.
    #[serde(default = "one_usize")]
    pub d_steps: usize,
    /// GAN only: how the two networks' updates are ordered.
    #[serde(default, skip_serializing_if = "GanUpdate::is_default")]
    pub gan_update: GanUpdate,
    /// GAN only: the adversarial objective.
    #[serde(default, skip_serializing_if = "GanLoss::is_default")]
    pub gan_loss: GanLoss,
    /// The learning rate over the run, as a factor of `optimizer.lr` (and of `d_lr`).
    #[serde(default, skip_serializing_if = "LrSchedule::is_default")]
    pub lr_schedule: LrSchedule,
    /// GAN, VAE-GAN: the discriminator's learning rate when it differs from `optimizer.lr`
    /// (the two time-scale update rule of Heusel et al. 2017); its other Adam settings are
    /// `optimizer`'s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub d_lr: Option<f64>,
    /// VAE only: the KL term's weight rises linearly from β/N at the first step to β at step
    /// N ("deterministic warm-up", Sønderby et al. 2016); 0 gives β from the start.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub kl_warmup: u64,
    /// Packed GAN with a BatchNorm generator: the generator makes each pack slot's samples in
    /// a pass of its own, so BatchNorm's batch statistics are over one slot's samples, as in
    /// PacGAN's code (one `decoder.apply` per slot); else one pass over the whole batch.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub generate_per_slot: bool,
    /// Packed GAN: the real packs are drawn once, as in PacGAN's code (its
    /// `GaussianPackingMixture`): each of the N packs takes `pack` points drawn with
    /// replacement from the N training points, and every epoch shuffles those N packs. Else
    /// every epoch shuffles the points and packs them in that order.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fixed_packs: bool,
    pub seed: u64,
}

/// How a GAN step orders its discriminator and generator updates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GanUpdate {
    /// `d_steps` discriminator updates, then a generator update against the updated
    /// discriminator on fresh noise (Goodfellow et al. 2014, Algorithm 1; DCGAN).
    #[default]
    Alternating,
    /// Both gradients from one forward pass on the same noise, both networks updated at once
    /// (the ALI / PacGAN code's `ali_algorithm`).
    Simultaneous,
}

impl GanUpdate {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// A GAN's adversarial objective, over the discriminator's logits `D(·)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GanLoss {
    /// Cross-entropy for the discriminator, the non-saturating `−log σ(D(G(z)))` for the
    /// generator (Goodfellow et al. 2014).
    #[default]
    Standard,
    /// `mean max(0, 1 − D(x)) + mean max(0, 1 + D(G(z)))` for the discriminator,
    /// `−mean D(G(z))` for the generator (Lim & Ye 2017; Miyato et al. 2018).
    Hinge,
}

impl GanLoss {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// The learning rate as a function of the passes over the data so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LrSchedule {
    /// `optimizer.lr` throughout.
    #[default]
    Constant,
    /// Burda et al. (2016, §5): 3^i passes at `lr · 10^(−i/7)` for i = 0 … 7 (3280 passes
    /// in all); past them the last rate stays.
    Burda,
}

impl LrSchedule {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// The factor on the base learning rate after `epochs` passes over the data.
    pub fn factor(&self, epochs: f64) -> f64 {
        match self {
            LrSchedule::Constant => 1.0,
            LrSchedule::Burda => {
                // Stage i ends after 1 + 3 + … + 3^i = (3^(i+1) − 1) / 2 passes.
                let stage = (0..7)
                    .find(|&i| epochs < (3f64.powi(i + 1) - 1.0) / 2.0)
                    .unwrap_or(7);
                10f64.powf(-f64::from(stage) / 7.0)
            }
        }
    }
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            batch_size: crate::spec::TrainSpec::DEFAULT_BATCH,
            optimizer: AdamConfig::default(),
            dynamic_binarization: false,
            iwae_k: crate::spec::TrainSpec::DEFAULT_IWAE_K,
            dreg: false,
            d_steps: crate::spec::TrainSpec::DEFAULT_D_STEPS,
            gan_update: GanUpdate::default(),
            gan_loss: GanLoss::default(),
            lr_schedule: LrSchedule::default(),
            d_lr: None,
            kl_warmup: 0,
            generate_per_slot: false,
            fixed_packs: false,
            seed: 0,
        }
    }
}

impl TrainConfig {
    /// The most discriminator updates per generator update.
    pub const MAX_D_STEPS: usize = 100;

    /// The most steps a run can count (2⁴⁰, years of training at any speed): a step count in a
    /// file or asked for beyond it is an error, not an overflow.
    pub const MAX_STEPS: u64 = 1 << 40;

    /// What a batch draws from the training set's shuffle: `batch_size` points, or with
    /// `fixed_packs` `batch_size / pack` packs.
    pub fn batch_draws(&self, model: &ModelConfig) -> usize {
        match model {
            ModelConfig::Gan(g) if self.fixed_packs => self.batch_size / g.pack,
            _ => self.batch_size,
        }
    }

    pub fn validate(&self, model: &ModelConfig) -> Result<()> {
        self.optimizer.validate()?;
        // The schedule's last stage must not take a rate to 0 in f32 halfway through a run.
        let last = self.lr_schedule.factor(f64::INFINITY);
        for (what, lr) in [("lr", Some(self.optimizer.lr)), ("d_lr", self.d_lr)] {
            if let Some(lr) = lr.filter(|&lr| positive_in_f32(lr) && !positive_in_f32(lr * last)) {
                return Err(Error::Config(format!(
                    "{what} {} falls to {} in the schedule's last stage: 0 as an f32",
                    shown(lr),
                    shown(lr * last)
                )));
            }
        }
        if self.batch_size == 0 || self.iwae_k == 0 || self.d_steps == 0 {
            return Err(Error::Config(
                "batch_size, iwae_k and d_steps must be ≥ 1".into(),
            ));
        }
        if self.d_steps > Self::MAX_D_STEPS {
            return Err(Error::Config(format!(
                "d_steps must be at most {} (WGAN's critic takes 5, 100 at its start), got {}",
                Self::MAX_D_STEPS,
                self.d_steps
            )));
        }
        if self.gan_update == GanUpdate::Simultaneous && self.d_steps != 1 {
            return Err(Error::Config(format!(
                "simultaneous GAN updates take one discriminator step, got d_steps {}",
                self.d_steps
            )));
        }
        if self.gan_loss != GanLoss::Standard && !matches!(model, ModelConfig::Gan(_)) {
            return Err(Error::Config(format!(
                "the {:?} GAN loss is for GANs; a {} trains with its own losses",
                self.gan_loss,
                model.kind()
            )));
        }
        if let Some(d_lr) = self.d_lr {
            if !matches!(model, ModelConfig::Gan(_) | ModelConfig::VaeGan(_)) {
                return Err(Error::Config(format!(
                    "d_lr is the discriminator's learning rate; a {} has no discriminator",
                    model.kind()
                )));
            }
            if !positive_in_f32(d_lr) {
                return Err(Error::Config(format!(
                    "d_lr must be > 0 as an f32 (about 1.4e-45 to 3.4e38), got {}",
                    shown(d_lr)
                )));
            }
        }
        if self.kl_warmup > 0 && !matches!(model, ModelConfig::Vae(_)) {
            return Err(Error::Config(format!(
                "a KL warm-up weighs a VAE's KL term, which a {} does not train on",
                model.kind()
            )));
        }
        if self.dreg && !(matches!(model, ModelConfig::Vae(_)) && self.iwae_k >= 2) {
            return Err(Error::Config(format!(
                "DReG is a gradient of the IWAE bound: it needs a VAE and iwae_k ≥ 2, got a {} \
                 with iwae_k {}",
                model.kind(),
                self.iwae_k
            )));
        }
        if self.dreg && matches!(model, ModelConfig::Vae(v) if v.backbone.batch_norm) {
            return Err(Error::Config(
                "DReG needs each importance weight to depend on its own code; BatchNorm in the \
                 decoder mixes a batch's codes"
                    .into(),
            ));
        }
        if self.generate_per_slot
            && !matches!(model, ModelConfig::Gan(g) if g.pack > 1 && g.generator.batch_norm)
        {
            return Err(Error::Config(
                "generating per pack slot changes only a packed GAN's generator BatchNorm \
                 statistics: it needs pack ≥ 2 and a generator with BatchNorm"
                    .into(),
            ));
        }
        if self.fixed_packs && !matches!(model, ModelConfig::Gan(g) if g.pack > 1) {
            return Err(Error::Config(
                "fixed packs are a packed GAN's real packs: they need a GAN with pack ≥ 2".into(),
            ));
        }
        if let ModelConfig::Gan(g) = model {
            if !self.batch_size.is_multiple_of(g.pack) {
                return Err(Error::Config(format!(
                    "batch_size {} must be a multiple of pack {}",
                    self.batch_size, g.pack
                )));
            }
        }
        Ok(())
    }
}
