//! [`ModelSpec`]: a model described by the few choices a user makes (kind, backbone, latent
//! size, …), completed with documented defaults for the data it will see. The CLI's flags and
//! the browser's training form both become a `ModelSpec`.

use candle::Device;
use serde::{Deserialize, Serialize};

use crate::config::{
    Activation, AdamConfig, Arch, Backbone, ClassifierConfig, GanConfig, GanLoss, GanOutput,
    GanUpdate, Likelihood, LrSchedule, ModelConfig, ModelKind, TrainConfig, VaeConfig,
    VaeGanConfig, WeightInit, BATCH_NORM_EPS,
};
use crate::data::{Clusters, DataInfo, Dataset};
use crate::train::Session;
use crate::{Error, Result};

/// User choices; `None` means "the default for this data". An unknown key in its JSON is an
/// error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    pub kind: ModelKind,
    #[serde(default)]
    pub arch: Option<Arch>,
    #[serde(default)]
    pub latent_dim: Option<usize>,
    /// Backbone widths (MLP) or channels (conv); a GAN's discriminator uses them too unless
    /// `d_hidden` says otherwise.
    #[serde(default)]
    pub hidden: Option<Vec<usize>>,
    /// The discriminator's widths or channels (GAN, VAE-GAN), when they differ from `hidden`.
    #[serde(default)]
    pub d_hidden: Option<Vec<usize>>,
    #[serde(default)]
    pub activation: Option<Activation>,
    #[serde(default)]
    pub likelihood: Option<Likelihood>,
    #[serde(default)]
    pub beta: Option<f64>,
    #[serde(default)]
    pub gamma: Option<f64>,
    #[serde(default)]
    pub pack: Option<usize>,
    /// BatchNorm in the generative network (a GAN's generator, a VAE's encoder and decoder).
    #[serde(default)]
    pub batch_norm: Option<bool>,
    /// BatchNorm in the discriminator (GAN, VAE-GAN).
    #[serde(default)]
    pub d_batch_norm: Option<bool>,
    /// BatchNorm's ε in every normalized layer (default PyTorch's 1e-5; PacGAN's code 1e-4).
    #[serde(default)]
    pub batch_norm_eps: Option<f64>,
    /// Maxout pieces per unit in an MLP discriminator, replacing its activation.
    #[serde(default)]
    pub d_maxout: Option<usize>,
    /// Spectral normalization of every discriminator layer (GAN, VAE-GAN).
    #[serde(default)]
    pub d_spectral_norm: Option<bool>,
    #[serde(default)]
    pub init: Option<WeightInit>,
    /// Condition on the data's class labels.
    #[serde(default)]
    pub conditional: bool,
    /// InfoGAN: this many categorical latent codes, learned without labels (GANs only).
    #[serde(default)]
    pub info_codes: Option<usize>,
    /// Self-conditioned GAN: condition on this many k-means clusters of the training data,
    /// which must be clustered first ([`TrainSpec::prepare_data`]; GANs only).
    #[serde(default)]
    pub cluster_classes: Option<usize>,
}

impl ModelSpec {
    pub fn new(kind: ModelKind) -> Self {
        Self {
            kind,
            arch: None,
            latent_dim: None,
            hidden: None,
            d_hidden: None,
            activation: None,
            likelihood: None,
            beta: None,
            gamma: None,
            pack: None,
            batch_norm: None,
            d_batch_norm: None,
            batch_norm_eps: None,
            d_maxout: None,
            d_spectral_norm: None,
            init: None,
            conditional: false,
            info_codes: None,
            cluster_classes: None,
        }
    }

    /// The full config for `data`. Defaults:
    ///
    /// | | images, MLP | images, conv | 2-D points (MLP) |
    /// |---|---|---|---|
    /// | AE / VAE | 784-400-20, ReLU, Bernoulli | conv 32-64, latent 16, Bernoulli | 128-128, latent 2, Gaussian |
    /// | GAN | G, D hidden 512 and 256, latent 64, tanh | DCGAN 64-128, latent 100, tanh, N(0, 0.02) | PacGAN's networks: G 4×400 ReLU, D 3×200 LeakyReLU, latent 2; unpacked unless `pack` is set |
    /// | VAE-GAN | 784-400-32, D 400 LeakyReLU, γ = 1 | conv 32-64, latent 32, D conv 32-64 LeakyReLU, γ = 1 | (images only) |
    /// | classifier | — | conv 32-64 ReLU, 128 features | — |
    pub fn build(&self, data: &DataInfo) -> Result<ModelConfig> {
        let shape = data.sample_shape.clone();
        let images = shape.len() == 3;
        let cluster_prior = self.cluster_prior(data)?;
        let num_classes = if self.conditional || cluster_prior.is_some() {
            if data.class_names.is_empty() {
                return Err(Error::Config(format!(
                    "--conditional needs labelled data; {} has no labels",
                    data.name
                )));
            }
            Some(data.class_names.len())
        } else {
            None
        };
        if self.info_codes.is_some() && (self.conditional || self.kind != ModelKind::Gan) {
            return Err(Error::Config(
                "InfoGAN codes (--info-codes) are for unconditional GANs".into(),
            ));
        }
        let arch = self
            .arch
            .unwrap_or(if images { Arch::Conv } else { Arch::Mlp });
        let conv = arch == Arch::Conv;
        let hidden =
            |mlp_images: &[usize], mlp_points: &[usize], conv_ch: &[usize]| -> Vec<usize> {
                self.hidden.clone().unwrap_or_else(|| {
                    match (conv, images) {
                        (true, _) => conv_ch,
                        (false, true) => mlp_images,
                        (false, false) => mlp_points,
                    }
                    .to_vec()
                })
            };
        // A network's ε: the one given where it is normalized; absent when it is the default.
        let eps_where = |normalized: Option<bool>| {
            self.batch_norm_eps
                .filter(|&e| normalized == Some(true) && e != BATCH_NORM_EPS)
        };
        let backbone = |h: Vec<usize>, act: Activation| Backbone {
            arch,
            hidden: h,
            activation: self.activation.unwrap_or(act),
            batch_norm: self.batch_norm.unwrap_or(false),
            batch_norm_eps: eps_where(self.batch_norm),
            maxout: None,
            spectral_norm: false,
        };
        // Discriminators always use LeakyReLU(0.2), as DCGAN does (or maxout).
        let discriminator = |h: Vec<usize>| Backbone {
            arch,
            hidden: h,
            activation: Activation::LeakyRelu,
            batch_norm: self.d_batch_norm.unwrap_or(false),
            batch_norm_eps: eps_where(self.d_batch_norm),
            maxout: self.d_maxout,
            spectral_norm: self.d_spectral_norm.unwrap_or(false),
        };
        let vae = |latent_conv: usize, latent_mlp: usize| VaeConfig {
            sample_shape: shape.clone(),
            latent_dim: self.latent_dim.unwrap_or(if !images {
                2
            } else if conv {
                latent_conv
            } else {
                latent_mlp
            }),
            num_classes,
            backbone: backbone(hidden(&[400], &[128, 128], &[32, 64]), Activation::Relu),
            likelihood: self.likelihood.unwrap_or(if images {
                Likelihood::Bernoulli
            } else {
                Likelihood::Gaussian
            }),
            beta: self.beta.unwrap_or(1.0),
            init: self.init.unwrap_or(WeightInit::Uniform),
            code_prior: None,
        };
        let cfg = match self.kind {
            ModelKind::Autoencoder => ModelConfig::Autoencoder(vae(16, 20)),
            ModelKind::Vae => ModelConfig::Vae(vae(16, 20)),
            ModelKind::Gan => {
                let g = hidden(&[512, 256], &[400, 400, 400, 400], &[64, 128]);
                let d = self
                    .d_hidden
                    .clone()
                    .or_else(|| self.hidden.clone())
                    .unwrap_or_else(|| match (conv, images) {
                        (false, false) => vec![200, 200, 200],
                        _ => g.clone(),
                    });
                ModelConfig::Gan(GanConfig {
                    sample_shape: shape.clone(),
                    latent_dim: self.latent_dim.unwrap_or(if !images {
                        2
                    } else if conv {
                        100
                    } else {
                        64
                    }),
                    num_classes: self.info_codes.or(num_classes),
                    generator: backbone(g, Activation::Relu),
                    discriminator: discriminator(d),
                    output: if images {
                        GanOutput::Tanh
                    } else {
                        GanOutput::Linear
                    },
                    pack: self.pack.unwrap_or(1),
                    init: self.init.unwrap_or(if conv {
                        WeightInit::Dcgan
                    } else {
                        WeightInit::Uniform
                    }),
                    info: self.info_codes.is_some(),
                    cluster_prior,
                })
            }
            ModelKind::VaeGan => {
                if !images {
                    return Err(Error::Config("a VAE-GAN needs image data".into()));
                }
                let v = vae(32, 32);
                ModelConfig::VaeGan(VaeGanConfig {
                    discriminator: discriminator(
                        self.d_hidden
                            .clone()
                            .unwrap_or_else(|| v.backbone.hidden.clone()),
                    ),
                    vae: v,
                    gamma: self.gamma.unwrap_or(1.0),
                })
            }
            ModelKind::Classifier => {
                let k = data.class_names.len();
                if k == 0 {
                    return Err(Error::Config(format!(
                        "a classifier needs labelled data; {} has none",
                        data.name
                    )));
                }
                ModelConfig::Classifier(ClassifierConfig {
                    sample_shape: shape.clone(),
                    num_classes: k,
                    backbone: backbone(hidden(&[256], &[128], &[32, 64]), Activation::Relu),
                    feature_dim: 128,
                    init: self.init.unwrap_or(WeightInit::Uniform),
                })
            }
        };
        let discriminator = match &cfg {
            ModelConfig::Gan(c) => Some(&c.discriminator),
            ModelConfig::VaeGan(c) => Some(&c.discriminator),
            _ => None,
        };
        if discriminator.is_some_and(|d| d.batch_norm && d.arch == Arch::Mlp && d.hidden.len() < 2)
        {
            return Err(Error::Config(
                "--d-batch-norm normalizes every discriminator layer but the first, which reads \
                 the data, and this discriminator has one: give it two (--d-hidden) or leave \
                 the flag out"
                    .into(),
            ));
        }
        if self.batch_norm_eps.is_some()
            && !(self.batch_norm == Some(true) || discriminator.is_some_and(|d| d.batch_norm))
        {
            return Err(Error::Config(
                "--batch-norm-eps sets BatchNorm's ε: it needs BatchNorm in one of this model's \
                 networks (--batch-norm, or --d-batch-norm on a GAN or VAE-GAN)"
                    .into(),
            ));
        }
        cfg.validate()?;
        Ok(cfg)
    }

    /// With `cluster_classes`, the shares of `data`'s clusters; an error unless this is a GAN
    /// without other labels or codes and `data` is clustered into that many.
    fn cluster_prior(&self, data: &DataInfo) -> Result<Option<Vec<f32>>> {
        let Some(k) = self.cluster_classes else {
            return Ok(None);
        };
        if self.kind != ModelKind::Gan || self.conditional || self.info_codes.is_some() {
            return Err(Error::Config(
                "cluster classes (--cluster-classes) are for GANs without --conditional or \
                 --info-codes"
                    .into(),
            ));
        }
        match &data.clusters {
            Some(c) if c.k == k => Ok(Some(c.shares())),
            _ => Err(Error::Config(format!(
                "a GAN on {k} clusters needs its data clustered into {k} first \
                 (TrainSpec::prepare_data)"
            ))),
        }
    }

    /// The spec that builds `config` again (on the data it was built for): every choice the
    /// config holds made explicit. A resumed run compares the flags it is given with it.
    pub fn of(config: &ModelConfig) -> Self {
        let generative = |b: &Backbone| Self {
            arch: Some(b.arch),
            hidden: Some(b.hidden.clone()),
            activation: Some(b.activation),
            batch_norm: Some(b.batch_norm),
            batch_norm_eps: b.batch_norm.then(|| b.batch_norm_eps()),
            ..Self::new(config.kind())
        };
        let discriminator = |spec: Self, d: &Backbone| Self {
            d_hidden: Some(d.hidden.clone()),
            d_batch_norm: Some(d.batch_norm),
            batch_norm_eps: spec
                .batch_norm_eps
                .or(d.batch_norm.then(|| d.batch_norm_eps())),
            d_maxout: d.maxout,
            d_spectral_norm: Some(d.spectral_norm),
            ..spec
        };
        let vae = |c: &VaeConfig| Self {
            latent_dim: Some(c.latent_dim),
            likelihood: Some(c.likelihood),
            beta: Some(c.beta),
            init: Some(c.init),
            conditional: c.num_classes.is_some(),
            ..generative(&c.backbone)
        };
        match config {
            // An autoencoder has no KL term to weigh.
            ModelConfig::Autoencoder(c) => Self {
                beta: None,
                ..vae(c)
            },
            ModelConfig::Vae(c) => vae(c),
            ModelConfig::Gan(c) => discriminator(
                Self {
                    latent_dim: Some(c.latent_dim),
                    pack: Some(c.pack),
                    init: Some(c.init),
                    conditional: c.label_classes().is_some() && c.cluster_prior.is_none(),
                    info_codes: c.info_codes(),
                    cluster_classes: c.cluster_prior.as_ref().map(Vec::len),
                    ..generative(&c.generator)
                },
                &c.discriminator,
            ),
            ModelConfig::VaeGan(c) => discriminator(
                Self {
                    gamma: Some(c.gamma),
                    ..vae(&c.vae)
                },
                &c.discriminator,
            ),
            ModelConfig::Classifier(c) => Self {
                init: Some(c.init),
                ..generative(&c.backbone)
            },
        }
    }

    /// The optimizer a kind trains with by default: Adam(1e-3) for likelihood models and the
    /// classifier, DCGAN's Adam(2e-4, β₁ = 0.5) for adversarial ones.
    pub fn default_optimizer(&self) -> AdamConfig {
        match self.kind {
            ModelKind::Gan | ModelKind::VaeGan => AdamConfig::dcgan(),
            _ => AdamConfig::default(),
        }
    }
}

/// Everything a training run is started from: the model choices plus optimizer and data
/// options, `None` meaning the kind's default. The CLI's `train` flags and the browser's
/// trainer both build one. An unknown key in its JSON is an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainSpec {
    pub model: ModelSpec,
    #[serde(default)]
    pub batch_size: Option<usize>,
    #[serde(default)]
    pub lr: Option<f64>,
    #[serde(default)]
    pub beta1: Option<f64>,
    #[serde(default)]
    pub weight_decay: Option<f64>,
    /// Adam's ε.
    #[serde(default)]
    pub eps: Option<f64>,
    #[serde(default)]
    pub lr_schedule: Option<LrSchedule>,
    #[serde(default)]
    pub binarize: bool,
    #[serde(default)]
    pub iwae_k: Option<usize>,
    /// VAE on the IWAE bound: doubly reparameterized gradients for the encoder.
    #[serde(default)]
    pub dreg: bool,
    #[serde(default)]
    pub d_steps: Option<usize>,
    #[serde(default)]
    pub gan_update: Option<GanUpdate>,
    #[serde(default)]
    pub gan_loss: Option<GanLoss>,
    /// GAN, VAE-GAN: the discriminator's learning rate, when not `lr`.
    #[serde(default)]
    pub d_lr: Option<f64>,
    /// VAE: steps over which the KL term's weight rises to β (none by default).
    #[serde(default)]
    pub kl_warmup: Option<u64>,
    /// Packed GAN: one generator pass per pack slot (BatchNorm statistics per slot).
    #[serde(default)]
    pub generate_per_slot: bool,
    /// Packed GAN: real packs drawn once and shuffled as packs (PacGAN's code).
    #[serde(default)]
    pub fixed_packs: bool,
    #[serde(default)]
    pub seed: u64,
}

impl TrainSpec {
    /// Samples per step, for every kind.
    pub const DEFAULT_BATCH: usize = 128;
    /// Importance samples of a VAE's training bound: 1 is the ELBO.
    pub const DEFAULT_IWAE_K: usize = 1;
    /// Discriminator steps per generator step.
    pub const DEFAULT_D_STEPS: usize = 1;
    /// Decoupled weight decay: none (Adam).
    pub const DEFAULT_WEIGHT_DECAY: f64 = 0.0;

    /// A spec with every choice left to its default.
    pub fn new(model: ModelSpec) -> Self {
        Self {
            model,
            batch_size: None,
            lr: None,
            beta1: None,
            weight_decay: None,
            eps: None,
            lr_schedule: None,
            binarize: false,
            iwae_k: None,
            dreg: false,
            d_steps: None,
            gan_update: None,
            gan_loss: None,
            d_lr: None,
            kl_warmup: None,
            generate_per_slot: false,
            fixed_packs: false,
            seed: 0,
        }
    }

    /// Batch [`Self::DEFAULT_BATCH`], the kind's default optimizer with the given overrides,
    /// ELBO ([`Self::DEFAULT_IWAE_K`]), [`Self::DEFAULT_D_STEPS`] discriminator step.
    pub fn train_config(&self) -> TrainConfig {
        let mut optimizer = self.model.default_optimizer();
        optimizer.lr = self.lr.unwrap_or(optimizer.lr);
        optimizer.beta1 = self.beta1.unwrap_or(optimizer.beta1);
        optimizer.weight_decay = self.weight_decay.unwrap_or(optimizer.weight_decay);
        optimizer.eps = self.eps.unwrap_or(optimizer.eps);
        TrainConfig {
            batch_size: self.batch_size.unwrap_or(Self::DEFAULT_BATCH),
            optimizer,
            dynamic_binarization: self.binarize,
            iwae_k: self.iwae_k.unwrap_or(Self::DEFAULT_IWAE_K),
            dreg: self.dreg,
            d_steps: self.d_steps.unwrap_or(Self::DEFAULT_D_STEPS),
            gan_update: self.gan_update.unwrap_or_default(),
            gan_loss: self.gan_loss.unwrap_or_default(),
            lr_schedule: self.lr_schedule.unwrap_or_default(),
            d_lr: self.d_lr,
            kl_warmup: self.kl_warmup.unwrap_or(0),
            generate_per_slot: self.generate_per_slot,
            fixed_packs: self.fixed_packs,
            seed: self.seed,
        }
    }

    /// The spec of a run that trains `model` with `train`, every choice explicit
    /// ([`ModelSpec::of`]) but those its kind does not use (a VAE's `d_steps`, a GAN's
    /// `iwae_k`), which are `None`.
    pub fn of(model: &ModelConfig, train: &TrainConfig) -> Self {
        let adam = &train.optimizer;
        let kind = model.kind();
        let vae = kind == ModelKind::Vae;
        let gan = kind == ModelKind::Gan;
        Self {
            model: ModelSpec::of(model),
            batch_size: Some(train.batch_size),
            lr: Some(adam.lr),
            beta1: Some(adam.beta1),
            weight_decay: Some(adam.weight_decay),
            eps: Some(adam.eps),
            lr_schedule: Some(train.lr_schedule),
            binarize: train.dynamic_binarization,
            iwae_k: vae.then_some(train.iwae_k),
            dreg: train.dreg,
            d_steps: gan.then_some(train.d_steps),
            gan_update: gan.then_some(train.gan_update),
            gan_loss: gan.then_some(train.gan_loss),
            d_lr: train.d_lr,
            kl_warmup: vae.then_some(train.kl_warmup),
            generate_per_slot: train.generate_per_slot,
            fixed_packs: train.fixed_packs,
            seed: train.seed,
        }
    }

    /// The choices this spec makes (its `Some` fields, its switches that are on, its seed) that
    /// `other` makes otherwise: for a resumed run, what flags would change; against the spec
    /// of the run this spec builds ([`Self::of`]), the choices its kind does not use.
    pub fn disagreements(&self, other: &Self) -> Vec<Disagreement> {
        fn show<T: Serialize>(v: &T) -> String {
            match serde_json::to_string(v).unwrap_or_default().as_str() {
                "true" => "on".into(),
                "false" => "off".into(),
                json => json.trim_matches(['"', '[', ']']).replace('_', "-"),
            }
        }
        let mut out = Vec::new();
        let mut compare = |flag: &'static str, given: Option<String>, had: Option<String>| {
            if let Some(given) = given.filter(|g| Some(g) != had.as_ref()) {
                out.push(Disagreement {
                    flag,
                    given,
                    other: had.unwrap_or_else(|| "none".into()),
                });
            }
        };
        macro_rules! fields {
            ($($flag:literal: $($field:ident).+),* $(,)?) => {$(
                compare($flag, self.$($field).+.as_ref().map(show), other.$($field).+.as_ref().map(show));
            )*};
        }
        compare(
            "--model",
            Some(show(&self.model.kind)),
            Some(show(&other.model.kind)),
        );
        fields!(
            "--arch": model.arch, "--latent-dim": model.latent_dim, "--hidden": model.hidden,
            "--d-hidden": model.d_hidden, "--activation": model.activation,
            "--likelihood": model.likelihood, "--beta": model.beta, "--gamma": model.gamma,
            "--pack": model.pack, "--batch-norm": model.batch_norm,
            "--d-batch-norm": model.d_batch_norm, "--batch-norm-eps": model.batch_norm_eps,
            "--d-maxout": model.d_maxout,
            "--d-spectral-norm": model.d_spectral_norm, "--init": model.init,
            "--info-codes": model.info_codes, "--cluster-classes": model.cluster_classes,
            "--batch-size": batch_size, "--lr": lr, "--beta1": beta1,
            "--weight-decay": weight_decay, "--adam-eps": eps, "--lr-schedule": lr_schedule,
            "--iwae-k": iwae_k, "--d-steps": d_steps, "--gan-update": gan_update,
            "--gan-loss": gan_loss, "--d-lr": d_lr, "--kl-warmup": kl_warmup,
        );
        // A switch is a choice only where it is on; the other side's shows as on or off.
        for (flag, given, had) in [
            (
                "--conditional",
                self.model.conditional,
                other.model.conditional,
            ),
            ("--binarize", self.binarize, other.binarize),
            ("--dreg", self.dreg, other.dreg),
            (
                "--generate-per-slot",
                self.generate_per_slot,
                other.generate_per_slot,
            ),
            ("--fixed-packs", self.fixed_packs, other.fixed_packs),
        ] {
            compare(flag, given.then(|| show(&given)), Some(show(&had)));
        }
        compare("--seed", Some(show(&self.seed)), Some(show(&other.seed)));
        out
    }

    /// `data` as this spec trains on it: labelled by its k-means clusters (seeded from the
    /// run's seed) when the model asks for `cluster_classes`, else as it is.
    pub fn prepare_data(&self, data: Dataset) -> Result<Dataset> {
        match self.model.cluster_classes {
            Some(k) => data.clustered(k, Clusters::seed_for_run(self.seed)),
            None => Ok(data),
        }
    }

    /// A fresh run of this spec on `data`: the model built for the data's shape and classes,
    /// on `device`, seeded by the spec's `seed`. A choice the model does not use (β for a GAN,
    /// packing for a VAE, binarized 2-D points, a Bernoulli likelihood of values outside [0, 1])
    /// is an error rather than ignored.
    pub fn start(&self, data: &DataInfo, device: &Device) -> Result<Session> {
        if self.binarize && data.sample_shape.len() != 3 {
            return Err(Error::Config(format!(
                "--binarize draws binary pixels from images; {} is 2-D points",
                data.name
            )));
        }
        let [lo, hi] = data.value_range;
        if self.model.likelihood == Some(Likelihood::Bernoulli) && (lo < 0.0 || hi > 1.0) {
            return Err(Error::Config(format!(
                "--likelihood bernoulli models values in [0, 1]; {} has values in [{lo}, {hi}]: \
                 use gaussian",
                data.name
            )));
        }
        let mut info = data.clone();
        info.dynamic_binarization = self.binarize;
        let model = self.model.build(&info)?;
        let train = self.train_config();
        let unused = self.disagreements(&Self::of(&model, &train));
        if !unused.is_empty() {
            let list: Vec<String> = unused.iter().map(|d| d.choice()).collect();
            let kind = model.kind().to_string();
            let article = if kind.starts_with('a') { "an" } else { "a" };
            return Err(Error::Config(format!(
                "{article} {kind} does not use {}: leave {} out",
                list.join(", "),
                if list.len() == 1 { "it" } else { "them" }
            )));
        }
        Session::new(model, train, info, device)
    }
}

/// A choice two specs make differently ([`TrainSpec::disagreements`]), as the CLI's flags
/// name it.
#[derive(Debug, Clone, PartialEq)]
pub struct Disagreement {
    pub flag: &'static str,
    /// The value the spec gives (`on` for a switch).
    pub given: String,
    /// The other spec's value, `none` where it makes no such choice.
    pub other: String,
}

impl Disagreement {
    /// `--flag value`.
    pub fn choice(&self) -> String {
        format!("{} {}", self.flag, self.given)
    }
}
