//! Training in the browser. JavaScript owns the loop: it calls `trainSteps(k)` from a Web
//! Worker, checks its pause flag and posts progress between calls.

use std::cell::RefCell;
use std::rc::Rc;

use candle::{DType, Device, Tensor};
use wasm_bindgen::prelude::*;

use crate::checkpoint::{self, SaveOptions};
use crate::config::ModelKind;
use crate::data::{Dataset, Split};
use crate::eval::{self, BaselineKey, EvalData, EvalOptions, FeatureClassifier, FrechetBaseline};
use crate::models::Network;
use crate::presets::VIEW_LIMITS;
use crate::rng::Rng;
use crate::spec::TrainSpec;
use crate::train::Session;

use super::args::{file, idx_dataset, size, text, whole, MAX_SAFE_INTEGER};

/// A training run: created from a JSON [`TrainSpec`], fed data, stepped, saved.
#[wasm_bindgen]
pub struct LatentTrainer {
    spec: Option<TrainSpec>,
    session: Option<Session>,
    data: Option<Dataset>,
    /// Held-out images for `evaluate`'s likelihood bounds.
    test: Option<Dataset>,
    /// The feature classifier for `evaluate`'s Fréchet distance.
    classifier: Option<PageClassifier>,
    /// The last evaluation's Fréchet baseline, kept until the images or the classifier change.
    baseline: RefCell<Option<(BaselineKey, Rc<FrechetBaseline>)>>,
}

/// A feature classifier the page gave: the network, the data it classifies, where it came from.
struct PageClassifier {
    network: Rc<Network>,
    data: String,
    source: String,
}

#[wasm_bindgen]
impl LatentTrainer {
    /// `spec_json`: `{"model": {"kind": "vae", "arch": "mlp", "latent_dim": 2, …}, "lr": 1e-3,
    /// "batch_size": 64, …}` (see `TrainSpec`); `seed` drives init, noise and shuffling.
    /// The model is built when data arrives (its shape and classes come from the data).
    /// A spec outside the browser's limits (`presets::VIEW_LIMITS`) is refused, naming the limit.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "string")] spec_json: JsValue,
        seed: f64,
    ) -> Result<LatentTrainer, JsError> {
        let spec_json = text(&spec_json, "the spec (JSON text: JSON.stringify(spec))")?;
        let mut spec: TrainSpec = serde_json::from_str(&spec_json)?;
        spec.seed = whole(seed, "seed", 0, u32::MAX.into())?;
        VIEW_LIMITS.check(&spec)?;
        spec.train_config().optimizer.validate()?;
        Ok(Self {
            spec: Some(spec),
            session: None,
            data: None,
            test: None,
            classifier: None,
            baseline: RefCell::default(),
        })
    }

    /// Continues a run from checkpoint bytes (weights, optimizer moments, step, RNG);
    /// training data must still be given with `setImages` / `setPoints`.
    #[wasm_bindgen(js_name = fromCheckpoint)]
    pub fn from_checkpoint(bytes: &[u8]) -> Result<LatentTrainer, JsError> {
        file(bytes, "the checkpoint")?;
        let session = Session::from_checkpoint(checkpoint::from_bytes(bytes, &Device::Cpu)?)?;
        Ok(Self {
            spec: None,
            session: Some(session),
            data: None,
            test: None,
            classifier: None,
            baseline: RefCell::default(),
        })
    }

    /// Images as uncompressed IDX bytes (`[N, H, W]` u8) with their IDX labels.
    #[wasm_bindgen(js_name = setImages)]
    pub fn set_images(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
        images_idx: &[u8],
        labels_idx: &[u8],
    ) -> Result<(), JsError> {
        self.set_data(idx_dataset(&name, images_idx, labels_idx)?)
    }

    /// 2-D points, flattened `[x0, y0, x1, y1, …]`.
    #[wasm_bindgen(js_name = setPoints)]
    pub fn set_points(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
        points: Vec<f32>,
    ) -> Result<(), JsError> {
        let name = text(&name, "the dataset's name")?;
        self.set_data(Dataset::from_points(&name, points)?)
    }

    /// A toy mixture (`ring8`, `grid25`, `spiral`): the set the CLI trains on for the run
    /// seed `seed`, which must be the run's (the constructor's, or the checkpoint's); `count`
    /// points (`undefined`: the library's default size).
    #[wasm_bindgen(js_name = setToy)]
    pub fn set_toy(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
        count: Option<f64>,
        seed: f64,
    ) -> Result<(), JsError> {
        let toy: crate::data::Toy = text(&name, "the toy set's name")?.parse()?;
        let count = count.map(|c| size(c, "count", 1)).transpose()?;
        // A native run's seed may pass u32 (JavaScript's integers reach 2^53 - 1).
        let seed = whole(seed, "seed", 0, MAX_SAFE_INTEGER)?;
        let run_seed = match (&self.session, &self.spec) {
            (Some(s), _) => s.train_config().seed,
            (None, Some(spec)) => spec.seed,
            (None, None) => seed,
        };
        if seed != run_seed {
            return Err(JsError::new(&format!(
                "the points of a run are drawn for its seed: this run's is {run_seed}, not {seed}"
            )));
        }
        self.set_data(Dataset::toy_for_run(toy, count, seed)?)
    }

    /// Held-out images (uncompressed IDX, as `setImages`) that `evaluate` bounds the
    /// likelihood on; `name` must be the training data's.
    #[wasm_bindgen(js_name = setTestImages)]
    pub fn set_test_images(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
        images_idx: &[u8],
        labels_idx: &[u8],
    ) -> Result<(), JsError> {
        self.test = Some(idx_dataset(&name, images_idx, labels_idx)?);
        self.baseline.take();
        Ok(())
    }

    /// The feature classifier (checkpoint bytes of a `classifier`, as `latentlab eval
    /// --classifier` reads) that gives `evaluate` its Fréchet distance for image generators;
    /// `source` names it in the report. Until one is given the distance is skipped.
    #[wasm_bindgen(js_name = setFeatureClassifier)]
    pub fn set_feature_classifier(
        &mut self,
        bytes: &[u8],
        #[wasm_bindgen(unchecked_param_type = "string")] source: JsValue,
    ) -> Result<(), JsError> {
        let source = text(&source, "the classifier's source")?;
        file(bytes, &format!("the feature classifier {source}"))?;
        let ck = checkpoint::from_bytes_of_kind(bytes, ModelKind::Classifier, &Device::Cpu)
            .map_err(|e| JsError::new(&format!("the feature classifier {source}: {e}")))?;
        self.classifier = Some(PageClassifier {
            network: Rc::new(ck.network),
            data: ck.data.name,
            source,
        });
        self.baseline.take();
        Ok(())
    }

    /// The CLI's `eval` (`eval::evaluate`) on the current weights. `options_json` is
    /// `EvalOptions` (`{k, test_size, batch_size, samples, seed}`, each defaulting as the CLI's
    /// flags do); returns the `EvalReport` as JSON: `modes` for a 2-D toy (from `samples`
    /// points drawn with `seed`, the points `sample(samples, seed, 1)` returns), `likelihood`
    /// for a VAE and `reconstruction` for a model with an encoder (on the first `test_size`
    /// images given to `setTestImages`; an error if it gave fewer), and `frechet` for an image
    /// generator once `setFeatureClassifier` gave a classifier (`samples` samples against the
    /// first `test_size` test images, its floor from the first `samples` training images; both
    /// of these are measured once and kept until the images, the classifier or the sizes change).
    pub fn evaluate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] options_json: JsValue,
    ) -> Result<String, JsError> {
        let options_json = text(&options_json, "the options (JSON text)")?;
        let opts: EvalOptions = serde_json::from_str(&options_json)?;
        let s = self.session()?;
        let mut data = PageData {
            train: self.data.as_ref(),
            test: self.test.as_ref(),
            classifier: self.classifier.as_ref(),
            baseline: &self.baseline,
        };
        let report = eval::evaluate(s.network(), s.data_info(), &opts, &mut data)?;
        Ok(serde_json::to_string(&report)?)
    }

    /// Takes `data` as the run's: a fresh run starts on it (clustered first for a
    /// self-conditioned GAN, as the CLI's), a resumed one checks it is its own data (and
    /// clusters it as the run's was).
    fn set_data(&mut self, data: Dataset) -> Result<(), JsError> {
        let data = match (&self.session, &self.spec) {
            (Some(s), _) => {
                let want = s.data_info();
                if want.name != data.info.name {
                    return Err(JsError::new(&format!(
                        "this run trains on {}, the new data is {}",
                        want.name, data.info.name
                    )));
                }
                if want.sample_shape != data.info.sample_shape {
                    return Err(JsError::new(&format!(
                        "this model trains on samples of shape {:?}, the new data has {:?}",
                        want.sample_shape, data.info.sample_shape
                    )));
                }
                data.labelled_like(want)?
            }
            (None, Some(spec)) => {
                let data = spec.prepare_data(data)?;
                self.session = Some(spec.start(&data.info, &Device::Cpu)?);
                data
            }
            (None, None) => {
                return Err(JsError::new("trainer has neither a spec nor a checkpoint"))
            }
        };
        self.data = Some(data);
        self.baseline.take();
        Ok(())
    }

    fn session(&self) -> Result<&Session, JsError> {
        self.session.as_ref().ok_or_else(|| {
            JsError::new("no training data yet: call setImages, setPoints or setToy first")
        })
    }

    /// Runs `k` steps (1 to a million a call); returns JSON `{"step": n, "epochs": e,
    /// "metrics": {…means…}}`. A non-finite loss is an error naming the step; the weights stay
    /// as before it.
    #[wasm_bindgen(js_name = trainSteps)]
    pub fn train_steps(&mut self, k: f64) -> Result<String, JsError> {
        let k = whole(k, "k", 1, 1_000_000)? as usize;
        let (Some(session), Some(data)) = (self.session.as_mut(), self.data.as_ref()) else {
            return Err(JsError::new(
                "no training data yet: call setImages, setPoints or setToy first",
            ));
        };
        let m = session.train_steps(data, k)?;
        Ok(
            serde_json::json!({"step": session.steps(), "epochs": session.epochs(), "metrics": m})
                .to_string(),
        )
    }

    /// Changes the learning rate from the next step on.
    #[wasm_bindgen(js_name = setLearningRate)]
    pub fn set_learning_rate(&mut self, lr: f64) -> Result<(), JsError> {
        VIEW_LIMITS.check_lr(lr)?;
        match self.session.as_mut() {
            Some(s) => Ok(s.set_lr(lr)?),
            None => Err(JsError::new("no training data yet")),
        }
    }

    pub fn steps(&self) -> f64 {
        self.session.as_ref().map_or(0.0, |s| s.steps() as f64)
    }

    /// Samples from the current weights (a separate RNG: previews do not change training).
    pub fn sample(
        &self,
        n: f64,
        seed: f64,
        temperature: f32,
        class: Option<f64>,
    ) -> Result<Vec<f32>, JsError> {
        super::sample_values(self.session()?.network(), n, seed, temperature, class)
    }

    /// Reconstructions of the first `n` training samples (encoder mean, decoded).
    pub fn reconstruct(&self, n: f64) -> Result<Vec<f32>, JsError> {
        let s = self.session()?;
        let data = self
            .data
            .as_ref()
            .ok_or_else(|| JsError::new("no training data yet"))?;
        let n = whole(n, "n (training samples)", 1, data.len() as u64)? as usize;
        let idx: Vec<usize> = (0..n).collect();
        let batch = data.batch(&idx, false, &mut Rng::new(0), &Device::Cpu)?;
        Ok(s.network()
            .reconstruct(&batch.x, batch.labels.as_deref())?
            .flatten_all()?
            .to_vec1()?)
    }

    /// The discriminator's P(real) at each 2-D point (for the heat map of 2-D GANs).
    pub fn discriminate(&self, points: &[f32]) -> Result<Vec<f32>, JsError> {
        let net = self.session()?.network();
        let x = net.batch_from_slice(points)?;
        let p: Tensor = net.discriminate(&x, None)?;
        Ok(p.to_vec1()?)
    }

    /// JSON description (as `LatentModel.info`).
    pub fn info(&self) -> Result<String, JsError> {
        let s = self.session()?;
        let info = s.train_info("wasm", super::now_rfc3339(), 0.0);
        super::describe(s.network(), s.data_info(), Some(&info))
    }

    /// The checkpoint, byte for byte the native format; `f16` halves it (and drops the
    /// optimizer state, which only resuming needs). With `code_prior` (a number of components)
    /// the model carries a mixture fitted to its codes of the training images, as `latentlab
    /// export --fit-prior` makes one: it samples better and no longer resumes.
    pub fn checkpoint(
        &self,
        f16: bool,
        wall_s: f64,
        code_prior: Option<f64>,
    ) -> Result<Vec<u8>, JsError> {
        let code_prior = code_prior
            .map(|k| size(k, "code_prior (components)", 1))
            .transpose()?;
        let s = self.session()?;
        let info = s.train_info("wasm", super::now_rfc3339(), wall_s);
        let dtype = if f16 { DType::F16 } else { DType::F32 };
        if let Some(k) = code_prior {
            let data = self.data.as_ref().ok_or_else(|| {
                JsError::new("a code prior is fitted to the training data: none was given")
            })?;
            return Ok(s.to_bytes_with_code_prior(&info, dtype, data, k)?);
        }
        let opts = SaveOptions {
            dtype,
            include_optimizer: !f16,
        };
        Ok(s.to_bytes(&info, opts)?)
    }
}

/// What `evaluate` reads: the images and the feature classifier the page gave, and the
/// Fréchet baseline of the previous evaluation.
struct PageData<'a> {
    train: Option<&'a Dataset>,
    test: Option<&'a Dataset>,
    classifier: Option<&'a PageClassifier>,
    baseline: &'a RefCell<Option<(BaselineKey, Rc<FrechetBaseline>)>>,
}

impl EvalData for PageData<'_> {
    fn images(&mut self, name: &str, split: Split, size: Option<usize>) -> crate::Result<Dataset> {
        let (given, call) = match split {
            Split::Train => (self.train, "setImages"),
            Split::Test => (self.test, "setTestImages"),
        };
        match given {
            Some(d) if d.info.name == name => d.first(size.unwrap_or(d.len())),
            _ => Err(crate::Error::Data(format!(
                "no {split:?} images of {name} here: give them with {call} first"
            ))),
        }
    }

    fn kept_baseline(&self, key: BaselineKey) -> Option<Rc<FrechetBaseline>> {
        match &*self.baseline.borrow() {
            Some((kept, baseline)) if *kept == key => Some(Rc::clone(baseline)),
            _ => None,
        }
    }

    fn keep_baseline(&mut self, key: BaselineKey, baseline: Rc<FrechetBaseline>) {
        self.baseline.replace(Some((key, baseline)));
    }

    fn classifier(&mut self, name: &str) -> crate::Result<FeatureClassifier> {
        match self.classifier {
            None => Ok(FeatureClassifier::Missing {
                why: "no feature classifier given (setFeatureClassifier)".into(),
            }),
            Some(c) => {
                FeatureClassifier::found(Rc::clone(&c.network), &c.data, c.source.clone(), name)
            }
        }
    }
}
