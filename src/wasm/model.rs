//! A loaded checkpoint, for sampling, encoding, decoding, interpolating, inpainting and latent
//! arithmetic.

use candle::{Device, Tensor};
use wasm_bindgen::prelude::*;

use crate::checkpoint::{self, Checkpoint};
use crate::latent::InterpolationMode;
use crate::rng::Rng;

use super::args::{self, size, text, whole};

/// A model loaded from checkpoint bytes (native- or browser-trained).
#[wasm_bindgen]
pub struct LatentModel {
    ckpt: Checkpoint,
}

fn values(t: &Tensor) -> Result<Vec<f32>, JsError> {
    Ok(t.flatten_all()?.to_vec1::<f32>()?)
}

#[wasm_bindgen]
impl LatentModel {
    /// Parses and checks a `.safetensors` checkpoint. The model is for inference only, so its
    /// network is frozen (batch-1 decoding then reads transposed weights, made once).
    pub fn load(bytes: &[u8]) -> Result<LatentModel, JsError> {
        args::file(bytes, "the checkpoint")?;
        let ckpt = checkpoint::from_bytes(bytes, &Device::Cpu)?;
        ckpt.network.freeze();
        Ok(Self { ckpt })
    }

    /// Drops the model's fitted code prior, if it has one: random codes (`randomLatents`,
    /// `sample`, `interpolate`'s endpoints) then come from N(0, I), as it was trained.
    #[wasm_bindgen(js_name = dropCodePrior)]
    pub fn drop_code_prior(&mut self) -> Result<(), JsError> {
        if self.ckpt.network.config().code_prior().is_some() {
            let net = self.ckpt.network.without_code_prior()?;
            net.freeze();
            self.ckpt.network = net;
        }
        Ok(())
    }

    /// JSON: config, data, training record, parameter count, tensor list.
    pub fn info(&self) -> Result<String, JsError> {
        super::describe(
            &self.ckpt.network,
            &self.ckpt.data,
            self.ckpt.train.as_ref(),
        )
    }

    /// `n × latent_dim` random codes at `temperature`, from `seed`: from the model's fitted
    /// code prior when it has one (a prior per class: each code from its class in `labels`,
    /// or the model's own mix of classes without them), else standard-normal values scaled
    /// by `temperature` (`Network::random_codes`).
    #[wasm_bindgen(js_name = randomLatents)]
    pub fn random_latents(
        &self,
        n: f64,
        seed: f64,
        temperature: f32,
        labels: Option<Vec<u32>>,
    ) -> Result<Vec<f32>, JsError> {
        let net = &self.ckpt.network;
        if net.config().latent_dim().is_none() {
            return Err(JsError::new("this model has no latent space"));
        }
        let n = size(n, "n", 1)?;
        let mut rng = Rng::new(whole(seed, "seed", 0, u32::MAX.into())?);
        let labels = self.labels(labels, net.config().num_classes())?;
        let z = net.random_codes(n, &mut rng, temperature, labels.as_deref())?;
        Ok(z.flatten_all()?.to_vec1::<f32>()?)
    }

    /// `n` samples in data space, flattened (`n × sample_len` values). Same seed, same
    /// samples as `latentlab sample --seed`. `class` only for a model with classes (an
    /// error otherwise).
    pub fn sample(
        &self,
        n: f64,
        seed: f64,
        temperature: f32,
        class: Option<f64>,
    ) -> Result<Vec<f32>, JsError> {
        super::sample_values(&self.ckpt.network, n, seed, temperature, class)
    }

    /// The labels [`Self::sample`] gives `n` samples: `class` for each, else the model's own
    /// mix (classes in turn; a self-conditioned GAN's clusters by their shares); `undefined`
    /// for an unconditional model.
    #[wasm_bindgen(js_name = sampleLabels)]
    pub fn sample_labels(&self, n: f64, class: Option<f64>) -> Result<Option<Vec<u32>>, JsError> {
        let n = size(n, "n", 0)?;
        crate::budget::check_rows("labels", n, 1)?;
        Ok(self.ckpt.network.sample_labels(n, args::class(class)?)?)
    }

    /// Latent codes (`B × latent_dim`) → data-space samples. `labels` (one per code) for
    /// conditional models.
    pub fn decode(&self, z: &[f32], labels: Option<Vec<u32>>) -> Result<Vec<f32>, JsError> {
        let net = &self.ckpt.network;
        let labels = self.labels(labels, net.config().num_classes())?;
        values(&net.decode(&net.codes_from_slice(z)?, labels.as_deref())?)
    }

    /// Data-space samples → `{mu, logvar}` (`Float32Array`s of `B × latent_dim`; `logvar` is
    /// null for an autoencoder).
    pub fn encode(&self, x: &[f32], labels: Option<Vec<u32>>) -> Result<JsValue, JsError> {
        let net = &self.ckpt.network;
        let labels = self.labels(labels, net.config().num_classes())?;
        let (mu, logvar) = net.encode(&net.batch_from_slice(x)?, labels.as_deref())?;
        let array = |t: &Tensor| -> Result<JsValue, JsError> {
            Ok(js_sys::Float32Array::from(values(t)?.as_slice()).into())
        };
        let post = js_sys::Object::new();
        let set = |key: &str, value: JsValue| {
            js_sys::Reflect::set(&post, &key.into(), &value)
                .map(|_| ())
                .map_err(|_| JsError::new("cannot build the posterior object"))
        };
        set("mu", array(&mu)?)?;
        set(
            "logvar",
            logvar
                .as_ref()
                .map(array)
                .transpose()?
                .unwrap_or(JsValue::NULL),
        )?;
        Ok(post.into())
    }

    /// Decoded frames from `a` to `b` (`steps × sample_len` values); `mode` is "lerp" or "slerp".
    pub fn interpolate(
        &self,
        a: &[f32],
        b: &[f32],
        steps: f64,
        #[wasm_bindgen(unchecked_param_type = "string")] mode: JsValue,
        class: Option<f64>,
    ) -> Result<Vec<f32>, JsError> {
        let steps = size(steps, "steps", 0)?;
        let mode: InterpolationMode = text(&mode, "mode (\"lerp\" or \"slerp\")")?.parse()?;
        let class = args::class(class)?;
        values(&self.ckpt.network.interpolate(a, b, steps, mode, class)?)
    }

    /// Data-space samples encoded to their posterior mean and decoded (`B × sample_len`).
    pub fn reconstruct(&self, x: &[f32], labels: Option<Vec<u32>>) -> Result<Vec<f32>, JsError> {
        let net = &self.ckpt.network;
        let labels = self.labels(labels, net.config().num_classes())?;
        values(&net.reconstruct(&net.batch_from_slice(x)?, labels.as_deref())?)
    }

    /// The decoded `side × side` grid of a 2-D latent space over `[-extent, extent]²`, row 0
    /// at the top (the points are `latentGridPoints(side, extent)`); `class` for conditional
    /// models (an error for others).
    #[wasm_bindgen(js_name = latentGrid)]
    pub fn latent_grid(
        &self,
        side: f64,
        extent: f32,
        class: Option<f64>,
    ) -> Result<Vec<f32>, JsError> {
        let side = size(side, "side", 0)?;
        values(
            &self
                .ckpt
                .network
                .latent_grid(side, extent, args::class(class)?)?,
        )
    }

    /// Probability of "real" for each data-space sample (GAN and VAE-GAN).
    pub fn discriminate(&self, x: &[f32], labels: Option<Vec<u32>>) -> Result<Vec<f32>, JsError> {
        let net = &self.ckpt.network;
        // An InfoGAN's discriminator takes no label: its codes are the generator's.
        let labels = self.labels(labels, net.config().data_classes())?;
        values(&net.discriminate(&net.batch_from_slice(x)?, labels.as_deref())?)
    }

    /// Inpainting: data-space samples with the values where `known` is 0 filled in by
    /// iterating encode → decode (`Network::inpaint`); `known` has one 0 or 1 per value.
    /// `iterations` defaults to the library's.
    pub fn inpaint(
        &self,
        x: &[f32],
        known: &[u8],
        labels: Option<Vec<u32>>,
        iterations: Option<f64>,
    ) -> Result<Vec<f32>, JsError> {
        let iterations = iterations.map(|i| size(i, "iterations", 0)).transpose()?;
        let net = &self.ckpt.network;
        let labels = self.labels(labels, net.config().num_classes())?;
        let x = net.batch_from_slice(x)?;
        values(&net.inpaint(&x, known, labels.as_deref(), iterations)?)
    }

    /// The mean code of the samples `a` minus that of the samples `b` (`latent_dim` values).
    #[wasm_bindgen(js_name = attributeVector)]
    pub fn attribute_vector(
        &self,
        a: &[f32],
        labels_a: Option<Vec<u32>>,
        b: &[f32],
        labels_b: Option<Vec<u32>>,
    ) -> Result<Vec<f32>, JsError> {
        let net = &self.ckpt.network;
        let labels_a = self.labels(labels_a, net.config().num_classes())?;
        let labels_b = self.labels(labels_b, net.config().num_classes())?;
        Ok(net.attribute_vector(
            &net.batch_from_slice(a)?,
            labels_a.as_deref(),
            &net.batch_from_slice(b)?,
            labels_b.as_deref(),
        )?)
    }

    /// Data-space samples encoded, moved by `alpha · v` in latent space and decoded.
    #[wasm_bindgen(js_name = shiftDecode)]
    pub fn shift_decode(
        &self,
        x: &[f32],
        labels: Option<Vec<u32>>,
        v: &[f32],
        alpha: f32,
    ) -> Result<Vec<f32>, JsError> {
        let net = &self.ckpt.network;
        let labels = self.labels(labels, net.config().num_classes())?;
        values(&net.shift_decode(&net.batch_from_slice(x)?, labels.as_deref(), v, alpha)?)
    }

    /// Codes (`N × latent_dim`) each decoded as every class of a conditional model
    /// (`N·K × sample_len`, code after code).
    #[wasm_bindgen(js_name = decodeAcrossClasses)]
    pub fn decode_across_classes(&self, z: &[f32]) -> Result<Vec<f32>, JsError> {
        let net = &self.ckpt.network;
        values(&net.decode_across_classes(&net.codes_from_slice(z)?)?)
    }
}

impl LatentModel {
    /// `labels` as given, or an error when the network they would go to takes none
    /// (`classes` is `None`) rather than dropping them.
    fn labels(
        &self,
        labels: Option<Vec<u32>>,
        classes: Option<usize>,
    ) -> Result<Option<Vec<u32>>, JsError> {
        match (labels, classes) {
            (Some(_), None) => Err(JsError::new(&format!(
                "labels given to a {} network that takes none",
                self.ckpt.network.config().kind()
            ))),
            (labels, _) => Ok(labels),
        }
    }
}
