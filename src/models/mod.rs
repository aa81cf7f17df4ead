//! Pure architectures: no losses, no optimizers. [`Network`] ties a config to its weights and
//! offers what every front end (CLI, wasm, evaluation) needs: sample, encode, decode; the
//! views' operations built on those live beside it (card.rs, arithmetic.rs, inpaint.rs).

pub mod arithmetic;
pub mod card;
pub mod classifier;
pub mod code_prior;
pub mod gan;
pub mod inpaint;
pub mod iwae;
pub mod layers;
pub mod norm;
pub mod spectral;
pub mod vae;
pub mod vae_gan;

use std::collections::HashMap;

use candle::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};

pub use card::ModelCard;
pub use classifier::Classifier;
pub use gan::{Discriminator, Gan, Generator};
pub use norm::Phase;
pub use vae::Vae;
pub use vae_gan::VaeGan;

use crate::budget;
use crate::config::{ModelConfig, WeightInit};
use crate::data::clusters;
use crate::latent::{self, InterpolationMode};
use crate::rng::Rng;
use crate::{Error, Result};

/// One of the model families.
pub enum Model {
    Autoencoder(Vae),
    Vae(Vae),
    Gan(Gan),
    /// Boxed: a VAE and a discriminator, the largest by far.
    VaeGan(Box<VaeGan>),
    Classifier(Classifier),
}

impl Model {
    /// `phase` is read by the model's BatchNorm layers (train or eval statistics).
    pub fn new(cfg: &ModelConfig, phase: &Phase, vb: VarBuilder) -> Result<Self> {
        Ok(match cfg {
            ModelConfig::Autoencoder(c) => Model::Autoencoder(Vae::new(c, false, phase, vb)?),
            ModelConfig::Vae(c) => Model::Vae(Vae::new(c, true, phase, vb)?),
            ModelConfig::Gan(c) => Model::Gan(Gan::new(c, phase, vb)?),
            ModelConfig::VaeGan(c) => Model::VaeGan(Box::new(VaeGan::new(c, phase, vb)?)),
            ModelConfig::Classifier(c) => Model::Classifier(Classifier::new(c, phase, vb)?),
        })
    }

    /// The encoder–decoder part, if the model has one.
    pub fn vae(&self) -> Option<&Vae> {
        match self {
            Model::Autoencoder(v) | Model::Vae(v) => Some(v),
            Model::VaeGan(m) => Some(&m.vae),
            _ => None,
        }
    }
}

fn init_of(cfg: &ModelConfig) -> WeightInit {
    match cfg {
        ModelConfig::Autoencoder(c) | ModelConfig::Vae(c) => c.init,
        ModelConfig::Gan(c) => c.init,
        ModelConfig::VaeGan(c) => c.vae.init,
        ModelConfig::Classifier(c) => c.init,
    }
}

/// A model with its config and trainable variables.
pub struct Network {
    config: ModelConfig,
    varmap: VarMap,
    model: Model,
    device: Device,
    phase: Phase,
    /// Set by [`Self::drop_discriminator`]: the discriminator's variables are gone.
    without_discriminator: bool,
}

/// The name prefix of every discriminator variable (GAN and VAE-GAN).
const DISCRIMINATOR: &str = "discriminator.";

impl Network {
    /// The model's variables as built (not yet initialized from our RNG).
    fn build(config: ModelConfig, device: &Device) -> Result<Self> {
        config.validate()?;
        crate::budget::check_model(&config)?;
        let varmap = VarMap::new();
        let phase = Phase::default();
        let model = Model::new(
            &config,
            &phase,
            VarBuilder::from_varmap(&varmap, DType::F32, device),
        )?;
        Ok(Self {
            config,
            varmap,
            model,
            device: device.clone(),
            phase,
            without_discriminator: false,
        })
    }

    /// A freshly initialized model; the weights depend on `rng`'s state alone.
    pub fn new(config: ModelConfig, device: &Device, rng: &mut Rng) -> Result<Self> {
        let net = Self::build(config, device)?;
        layers::init_weights(&net.varmap, init_of(&net.config), rng)?;
        Ok(net)
    }

    /// A model whose every variable is taken from `tensors` (converted to f32 on `device`);
    /// without `discriminator`, one exported without its discriminator
    /// ([`Self::drop_discriminator`]). A missing tensor, a wrong shape or a non-finite value is
    /// an error naming it; extra tensors are an error too unless their name starts with
    /// `optim.` (optimizer state).
    pub fn from_tensors(
        config: ModelConfig,
        tensors: &HashMap<String, Tensor>,
        device: &Device,
        discriminator: bool,
    ) -> Result<Self> {
        let mut net = Self::build(config, device)?;
        if !discriminator {
            net.drop_discriminator()?;
        }
        {
            let vars = net.varmap.data().lock().expect("varmap lock poisoned");
            let mut names: Vec<&String> = vars.keys().collect();
            names.sort();
            for name in names {
                let t = tensors.get(name).ok_or_else(|| {
                    Error::Checkpoint(format!(
                        "missing tensor `{name}` required by a {}",
                        net.config.summary()
                    ))
                })?;
                let var = &vars[name];
                if t.dims() != var.dims() {
                    return Err(Error::Checkpoint(format!(
                        "tensor `{name}` has shape {:?}, the model needs {:?}",
                        t.dims(),
                        var.dims()
                    )));
                }
                let t = t.to_dtype(DType::F32)?;
                if !all_finite(&t)? {
                    return Err(Error::Checkpoint(format!(
                        "tensor `{name}` holds values that are not finite (NaN or ±inf)"
                    )));
                }
                var.set(&t.to_device(device)?)?;
            }
            if let Some(extra) = tensors
                .keys()
                .filter(|k| !k.starts_with("optim.") && !vars.contains_key(*k))
                .min()
            {
                return Err(Error::Checkpoint(format!(
                    "unexpected tensor `{extra}`: not part of a {}",
                    net.config.summary()
                )));
            }
        }
        Ok(net)
    }

    /// The architecture this network was built from (saved in its checkpoints).
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }
    /// The model itself, by kind, for what the network's own methods do not cover.
    pub fn model(&self) -> &Model {
        &self.model
    }
    /// Where the weights live.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Training (BatchNorm uses and updates batch statistics) or not (it uses the running
    /// ones: sampling, encoding, evaluation). A network starts out not training.
    pub fn set_training(&self, training: bool) {
        self.phase.set_training(training);
    }

    /// Promises that the weights never change again (a model loaded for inference only), so
    /// that layers may keep forms of them derived once: batch-1 decoding then reads each MLP
    /// decoder layer's weight transposed, skipping the rows of the inputs that are zero. A
    /// frozen network cannot be trained ([`crate::train::trainer_for`] refuses it).
    pub fn freeze(&self) {
        self.phase.freeze();
    }

    /// Whether [`Self::freeze`] was called.
    pub fn is_frozen(&self) -> bool {
        self.phase.frozen()
    }

    /// Forgets the discriminator of a GAN or VAE-GAN for deployment: sampling, encoding and
    /// decoding need only the other networks, and the checkpoint written from here on leaves
    /// its variables out (a third of a conditional DCGAN's). Judging samples and training are
    /// errors from then on. An error for a model without a discriminator.
    pub fn drop_discriminator(&mut self) -> Result<()> {
        if !matches!(self.model, Model::Gan(_) | Model::VaeGan(_)) {
            return Err(Error::Argument(format!(
                "a {} has no discriminator to leave out",
                self.config.kind()
            )));
        }
        let mut vars = self.varmap.data().lock().expect("varmap lock poisoned");
        vars.retain(|name, _| !name.starts_with(DISCRIMINATOR));
        self.without_discriminator = true;
        Ok(())
    }

    /// Whether the model has a discriminator it can use: a GAN's or VAE-GAN's, unless dropped.
    pub fn has_discriminator(&self) -> bool {
        matches!(self.model, Model::Gan(_) | Model::VaeGan(_)) && !self.without_discriminator
    }

    /// Whether [`Self::drop_discriminator`] left the discriminator out.
    pub fn is_without_discriminator(&self) -> bool {
        self.without_discriminator
    }

    /// Every variable by name, sorted by name.
    pub fn named_tensors(&self) -> Vec<(String, Tensor)> {
        let vars = self.varmap.data().lock().expect("varmap lock poisoned");
        let mut v: Vec<(String, Tensor)> = vars
            .iter()
            .map(|(k, var)| (k.clone(), var.as_tensor().clone()))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    /// Trainable variables whose names start with one of `prefixes`, sorted by name
    /// (BatchNorm's running statistics and spectral normalization's vectors are variables no
    /// optimizer sees).
    pub fn vars_with_prefix(&self, prefixes: &[&str]) -> Vec<(String, candle::Var)> {
        let vars = self.varmap.data().lock().expect("varmap lock poisoned");
        let mut v: Vec<(String, candle::Var)> = vars
            .iter()
            .filter(|(k, _)| prefixes.iter().any(|p| k.starts_with(p)))
            .filter(|(k, _)| !norm::is_buffer(k))
            .map(|(k, var)| (k.clone(), var.clone()))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    /// The variables a forward pass updates ([`norm::is_buffer`]) with a copy of their values
    /// (to put back when a step is undone).
    pub fn buffers(&self) -> Result<Vec<(candle::Var, Tensor)>> {
        let vars = self.varmap.data().lock().expect("varmap lock poisoned");
        vars.iter()
            .filter(|(k, _)| norm::is_buffer(k))
            .map(|(_, v)| Ok((v.clone(), v.as_tensor().copy()?)))
            .collect()
    }

    /// Number of stored values: the weights and what is saved with them (BatchNorm's running
    /// statistics, spectral norm's vectors, a fitted code prior).
    pub fn parameter_count(&self) -> usize {
        self.named_tensors()
            .iter()
            .map(|(_, t)| t.elem_count())
            .sum()
    }

    /// Number of values in one sample.
    pub fn sample_len(&self) -> usize {
        self.config.sample_shape().iter().product()
    }

    fn latent_dim_or_err(&self) -> Result<usize> {
        match (&self.model, self.config.latent_dim()) {
            (Model::Classifier(_), _) | (_, None) => Err(Error::Argument(format!(
                "a {} has no latent space",
                self.config.kind()
            ))),
            (_, Some(l)) => Ok(l),
        }
    }

    /// One-hot `[B, K]` labels for a conditional model, `None` for an unconditional one.
    /// A conditional model needs exactly one label per sample, each `< K`.
    pub fn labels(&self, labels: Option<&[u32]>, batch: usize) -> Result<Option<Tensor>> {
        let k = match (&self.model, self.config.num_classes()) {
            (Model::Classifier(_), _) | (_, None) => return Ok(None),
            (_, Some(k)) => k,
        };
        let labels = labels.ok_or_else(|| {
            Error::Argument(format!(
                "this model is conditioned on {k} classes: give a label per sample"
            ))
        })?;
        one_hot(labels, k, batch, &self.device).map(Some)
    }

    /// Data-space samples from latent codes: images in `[0, 1]` (a Bernoulli decoder's
    /// probabilities, a GAN's tanh rescaled), a Gaussian decoder's means, or raw 2-D points.
    /// The result is differentiable when `z` is (a code being optimized), else detached.
    ///
    /// # Shapes
    /// - `z`: `[B, L]` → `[B, *sample_shape]`
    pub fn decode(&self, z: &Tensor, labels: Option<&[u32]>) -> Result<Tensor> {
        let l = self.latent_dim_or_err()?;
        if z.dims().len() != 2 || z.dim(1)? != l {
            return Err(Error::Argument(format!(
                "latent codes must be [B, {l}], got {:?}",
                z.dims()
            )));
        }
        if !all_finite(z)? {
            return Err(Error::Argument(
                "latent codes must be finite numbers (got NaN or ±inf)".into(),
            ));
        }
        let n = z.dim(0)?;
        let y = self.labels(labels, n)?;
        budget::check_decode("decoded samples", n, self.sample_len(), z.dim(1)?)?;
        // In chunks, so activations stay within the budget's chunk size. Codes that need no
        // gradient get each chunk's output detached: the weights are variables, and the graph a
        // chunk keeps would hold all of its activations alive to the end (GBs for a long decode).
        let keep_graph = z.track_op();
        let decode = |z: &Tensor, y: Option<&Tensor>| -> Result<Tensor> {
            let x = self.decode_rows(z, y)?;
            Ok(if keep_graph { x } else { x.detach() })
        };
        let rows = budget::chunk_rows(&self.config);
        if n <= rows {
            return decode(z, y.as_ref());
        }
        let parts = (0..n)
            .step_by(rows)
            .map(|start| {
                let len = rows.min(n - start);
                let y = y.as_ref().map(|y| y.narrow(0, start, len)).transpose()?;
                decode(&z.narrow(0, start, len)?, y.as_ref())
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Tensor::cat(&parts, 0)?)
    }

    /// # Shapes
    /// - `z`: `[B, L]`, `y`: `[B, K]` → `[B, *sample_shape]`
    fn decode_rows(&self, z: &Tensor, y: Option<&Tensor>) -> Result<Tensor> {
        match (&self.model, self.model.vae()) {
            (Model::Gan(g), _) => g.generator.to_data(&g.generator.forward(z, y)?),
            (_, Some(vae)) => vae.decode(z, y),
            (_, None) => Err(Error::Argument("this model cannot decode".into())),
        }
    }

    /// `n` random codes at `temperature`: from the fitted code prior when the model has one
    /// ([`code_prior`]), else z ~ N(0, T²·I). A prior per class draws each code from the
    /// mixture of its class in `labels`, or without them of the classes
    /// [`Self::sample_labels`] gives; other models ignore `labels`.
    ///
    /// # Shapes
    /// → `[n, L]`
    pub fn random_codes(
        &self,
        n: usize,
        rng: &mut Rng,
        temperature: f32,
        labels: Option<&[u32]>,
    ) -> Result<Tensor> {
        let l = self.latent_dim_or_err()?;
        latent::check_temperature(temperature)?;
        budget::check_rows("latent codes", n, l)?;
        // Labels given are checked as decoding will check them: one per code, each a class.
        if let (Some(y), Some(k)) = (labels, self.config.num_classes()) {
            check_labels(y, k, n)?;
        }
        match self.model.vae().and_then(Vae::code_prior) {
            Some(prior) if prior.is_per_class() => {
                let drawn = match labels {
                    Some(y) => y.to_vec(),
                    None => self.sample_labels(n, None)?.unwrap_or_default(),
                };
                prior.sample(n, rng, temperature, Some(&drawn))
            }
            Some(prior) => prior.sample(n, rng, temperature, None),
            None => rng.normal_tensor(&[n, l], temperature, &self.device),
        }
    }

    /// `n` samples from [`Self::random_codes`] at `temperature`. For a conditional model
    /// `class` fixes the class, else they come as [`Self::sample_labels`] says.
    ///
    /// # Shapes
    /// → `(samples [n, *sample_shape], z [n, L])`
    pub fn sample(
        &self,
        n: usize,
        rng: &mut Rng,
        temperature: f32,
        class: Option<u32>,
    ) -> Result<(Tensor, Tensor)> {
        let l = self.latent_dim_or_err()?;
        if n == 0 {
            return Err(Error::Argument("n must be ≥ 1".into()));
        }
        // Before the codes are drawn.
        budget::check_decode("samples", n, self.sample_len(), l)?;
        let labels = self.sample_labels(n, class)?;
        let z = self.random_codes(n, rng, temperature, labels.as_deref())?;
        let x = self.decode(&z, labels.as_deref())?;
        Ok((x, z))
    }

    /// The classes [`Self::sample`] draws `n` samples for: `class` for every one, else
    /// `0, 1, …, K−1, 0, …`, or for a self-conditioned GAN its clusters in proportion to their
    /// shares ([`clusters::stratified_labels`]); `None` for an unconditional model, which
    /// refuses a `class`.
    pub fn sample_labels(&self, n: usize, class: Option<u32>) -> Result<Option<Vec<u32>>> {
        let (Some(k), None) = (self.config.num_classes(), class) else {
            return self.fixed_labels(n, class);
        };
        Ok(Some(match self.config.cluster_prior() {
            Some(prior) => clusters::stratified_labels(n, prior),
            None => (0..n).map(|i| (i % k) as u32).collect(),
        }))
    }

    /// `n` labels of `class` (0 if none is given) for a model with classes; `None` for one
    /// without, which refuses a `class` rather than ignore it.
    pub fn fixed_labels(&self, n: usize, class: Option<u32>) -> Result<Option<Vec<u32>>> {
        match (self.config.num_classes(), class) {
            (None, Some(c)) => Err(Error::Argument(format!(
                "class {c} asked of a {} without classes: only a conditional model, an InfoGAN \
                 or a self-conditioned GAN draws a class",
                self.config.kind()
            ))),
            (None, None) => Ok(None),
            (Some(_), c) => Ok(Some(vec![c.unwrap_or(0); n])),
        }
    }

    /// Posterior mean and log-variance (the autoencoder returns its code and no log-variance).
    ///
    /// # Shapes
    /// - `x`: `[B, *sample_shape]` in data space → `([B, L], Option<[B, L]>)`
    pub fn encode(&self, x: &Tensor, labels: Option<&[u32]>) -> Result<(Tensor, Option<Tensor>)> {
        let vae = self
            .model
            .vae()
            .ok_or_else(|| Error::Argument(format!("a {} has no encoder", self.config.kind())))?;
        let mut want = vec![x.dim(0)?];
        want.extend(self.config.sample_shape());
        if x.dims() != want.as_slice() {
            return Err(Error::Argument(format!(
                "inputs must be {want:?}, got {:?}",
                x.dims()
            )));
        }
        budget::check_batch(&self.config, "encoding", x.dim(0)?)?;
        let y = self.labels(labels, x.dim(0)?)?;
        vae.encode(x, y.as_ref())
    }

    /// Decoded frames along a path from `a` to `b` in latent space, of class `class` (0 if
    /// none is given) for a model with classes.
    ///
    /// # Shapes
    /// - `a`, `b`: `[L]` → `[steps, *sample_shape]`
    pub fn interpolate(
        &self,
        a: &[f32],
        b: &[f32],
        steps: usize,
        mode: InterpolationMode,
        class: Option<u32>,
    ) -> Result<Tensor> {
        let l = self.latent_dim_or_err()?;
        if a.len() != l || b.len() != l {
            return Err(Error::Argument(format!(
                "endpoints must have {l} values, got {} and {}",
                a.len(),
                b.len()
            )));
        }
        budget::check_decode("interpolation frames", steps, self.sample_len(), l)?;
        let z = Tensor::from_vec(latent::path(a, b, steps, mode)?, (steps, l), &self.device)?;
        let labels = self.fixed_labels(steps, class)?;
        self.decode(&z, labels.as_deref())
    }

    /// The discriminator's probability that each sample is real (GANs and VAE-GANs). With
    /// PacGAN packing each sample is judged packed with copies of itself.
    ///
    /// # Shapes
    /// - `x`: `[B, *sample_shape]` in data space → `[B]`
    pub fn discriminate(&self, x: &Tensor, labels: Option<&[u32]>) -> Result<Tensor> {
        let b = x.dim(0)?;
        if self.without_discriminator {
            return Err(Error::Argument(
                "this model was exported without its discriminator".into(),
            ));
        }
        budget::check_batch(&self.config, "judging", b)?;
        let (d, x, pack) = match &self.model {
            Model::Gan(g) => (
                &g.discriminator,
                g.generator.from_data(x)?,
                g.discriminator.pack(),
            ),
            Model::VaeGan(m) => (&m.discriminator, x.clone(), 1),
            _ => {
                return Err(Error::Argument(format!(
                    "a {} has no discriminator",
                    self.config.kind()
                )))
            }
        };
        // An InfoGAN's discriminator takes no label (its codes are the generator's).
        let y = match self.config.data_classes() {
            Some(_) => self.labels(labels, b)?,
            None => None,
        };
        let repeat = |t: &Tensor| -> Result<Tensor> {
            // [B, …] → [B·pack, …], each row repeated `pack` times consecutively.
            let mut shape = vec![b * pack];
            shape.extend(&t.dims()[1..]);
            Ok(t.unsqueeze(1)?
                .repeat([&[1, pack][..], &vec![1; t.rank() - 1]].concat())?
                .reshape(shape)?)
        };
        let (logits, _) = d.forward(
            &repeat(&x)?,
            y.as_ref().map(repeat).transpose()?.as_ref(),
            layers::Weights::Frozen,
        )?;
        layers::sigmoid(&logits)
    }

    /// Builds a `[B, L]` tensor of latent codes from flat values, checking the length.
    pub fn codes_from_slice(&self, values: &[f32]) -> Result<Tensor> {
        let l = self.latent_dim_or_err()?;
        if values.is_empty() || !values.len().is_multiple_of(l) {
            return Err(Error::Argument(format!(
                "expected a multiple of {l} latent values, got {}",
                values.len()
            )));
        }
        Ok(Tensor::from_slice(
            values,
            (values.len() / l, l),
            &self.device,
        )?)
    }

    /// Builds a `[B, *sample_shape]` tensor from flat values, checking the length and that
    /// every value is finite.
    pub fn batch_from_slice(&self, values: &[f32]) -> Result<Tensor> {
        let d = self.sample_len();
        if values.is_empty() || !values.len().is_multiple_of(d) {
            return Err(Error::Argument(format!(
                "expected a multiple of {d} values (one sample is {:?}), got {}",
                self.config.sample_shape(),
                values.len()
            )));
        }
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(Error::Argument(format!(
                "data values must be finite numbers: value {i} is {}",
                values[i]
            )));
        }
        let mut shape = vec![values.len() / d];
        shape.extend(self.config.sample_shape());
        Ok(Tensor::from_slice(values, shape, &self.device)?)
    }
}

/// Whether every value of `t` (of any float dtype) is finite: no NaN or ±inf.
pub fn all_finite(t: &Tensor) -> Result<bool> {
    Ok(t.flatten_all()?
        .to_dtype(DType::F32)?
        .to_vec1::<f32>()?
        .iter()
        .all(|v| v.is_finite()))
}

/// One-hot encoding.
///
/// # Shapes
/// - `labels`: `[B]` → `[B, k]`
pub fn one_hot(labels: &[u32], k: usize, batch: usize, device: &Device) -> Result<Tensor> {
    check_labels(labels, k, batch)?;
    let mut v = vec![0f32; batch * k];
    for (i, &c) in labels.iter().enumerate() {
        v[i * k + c as usize] = 1.0;
    }
    Ok(Tensor::from_vec(v, (batch, k), device)?)
}

/// An error unless `labels` are one per sample of a batch of `batch`, each below `k`.
pub fn check_labels(labels: &[u32], k: usize, batch: usize) -> Result<()> {
    if labels.len() != batch {
        return Err(Error::Argument(format!(
            "{} labels for a batch of {batch}",
            labels.len()
        )));
    }
    match labels.iter().find(|&&c| c as usize >= k) {
        Some(c) => Err(Error::Argument(format!(
            "class {c} asked of a model with {k} classes, numbered from 0"
        ))),
        None => Ok(()),
    }
}
