//! [`evaluate`]: the protocol of each model kind in one call — likelihood bounds for VAEs,
//! held-out reconstruction for models with an encoder, mode coverage for 2-D models, the
//! classifier Fréchet distance (with its train-vs-test floor and class histogram) for image
//! generators, test accuracy for classifiers. Front ends load files through [`EvalData`] and
//! print the [`EvalReport`].

use std::rc::Rc;

use candle::Tensor;
use serde::{Deserialize, Serialize};

use super::frechet::{class_histogram, features, ClassHistogram, Features, Gaussian, Reference};
use super::likelihood::{likelihood_bounds, LikelihoodReport};
use super::modes::{mode_coverage, ModeReport};
use super::reconstruction::{reconstruction_error, ReconstructionReport};
use crate::config::ModelKind;
use crate::data::{DataInfo, Dataset, Split, Toy, IMAGE_DATASETS};
use crate::models::Network;
use crate::rng::Rng;
use crate::{Error, Result};

/// The classifier probability from which a sample counts as recognizable.
const CONFIDENT: f32 = 0.9;

/// How to evaluate; every field has the papers' default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EvalOptions {
    /// Importance samples for the IWAE bound (Burda et al. report 5000); 0 skips the likelihood.
    pub k: usize,
    /// Evaluate on the first N test images (`None`: all).
    pub test_size: Option<usize>,
    /// Images per forward pass.
    pub batch_size: usize,
    /// Generated samples for mode coverage and the Fréchet distance, and the training images
    /// of the Fréchet floor (`None`: [`Self::DEFAULT_MODE_SAMPLES`] or
    /// [`Self::DEFAULT_FRECHET_SAMPLES`]).
    pub samples: Option<usize>,
    pub seed: u64,
}

impl EvalOptions {
    pub const DEFAULT_K: usize = 5000;
    pub const DEFAULT_BATCH: usize = 100;
    /// PacGAN's sample count for mode coverage.
    pub const DEFAULT_MODE_SAMPLES: usize = 2500;
    /// FID's usual sample count.
    pub const DEFAULT_FRECHET_SAMPLES: usize = 10_000;
}

impl Default for EvalOptions {
    fn default() -> Self {
        Self {
            k: Self::DEFAULT_K,
            test_size: None,
            batch_size: Self::DEFAULT_BATCH,
            samples: None,
            seed: 0,
        }
    }
}

/// The classifier whose features define the Fréchet distance.
pub enum FeatureClassifier {
    Found {
        /// Shared: the page keeps one for every evaluation of a run.
        network: Rc<Network>,
        /// Where it came from (a path), for the report.
        source: String,
    },
    /// None: the distance is skipped, and the report says `why` (where the front end looked,
    /// what to do).
    Missing { why: String },
}

impl FeatureClassifier {
    /// The classifier `network`, trained on `classifies` and loaded from `source`, for a model
    /// of the image dataset `name`: an error unless it is a classifier of that dataset (another
    /// dataset's features give a distance that means nothing).
    pub fn found(
        network: Rc<Network>,
        classifies: &str,
        source: String,
        name: &str,
    ) -> Result<Self> {
        let kind = network.config().kind();
        if kind != ModelKind::Classifier {
            return Err(Error::Argument(format!(
                "the feature classifier {source} is a {kind}, not a classifier"
            )));
        }
        if classifies != name {
            return Err(Error::Argument(format!(
                "the feature classifier {source} classifies {classifies}, this model makes {name}"
            )));
        }
        Ok(Self::Found { network, source })
    }
}

/// Where [`evaluate`] gets its data: the front end's files (or the page's fetches).
pub trait EvalData {
    /// `split` of the image dataset `name`, its first `size` samples when given.
    fn images(&mut self, name: &str, split: Split, size: Option<usize>) -> Result<Dataset>;
    /// The feature classifier for the image dataset `name`.
    fn classifier(&mut self, name: &str) -> Result<FeatureClassifier>;
    /// Called with `(done, total)` test images while the likelihood is estimated.
    fn progress(&mut self, _done: usize, _total: usize) {}
    /// The baseline given to [`Self::keep_baseline`] under `key`, if the front end keeps
    /// them. The key holds the sizes alone: a front end that keeps baselines drops them when
    /// its images or its classifier change.
    fn kept_baseline(&self, _key: BaselineKey) -> Option<Rc<FrechetBaseline>> {
        None
    }
    /// Offered each baseline measured. The page keeps the last one: it evaluates one run
    /// again and again on the same images with the same classifier.
    fn keep_baseline(&mut self, _key: BaselineKey, _baseline: Rc<FrechetBaseline>) {}
}

/// What the Fréchet distance measures samples against: the test images' features, and the
/// floor (the training images' distance to them). It depends on the data, the classifier and
/// its [`BaselineKey`] alone; measuring it (the classifier reads both sets of images) is half
/// or more of an evaluation of 500 samples against 500 test images.
#[derive(Debug)]
pub struct FrechetBaseline {
    test: Reference,
    floor: f64,
}

/// The sizes a [`FrechetBaseline`] was measured with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BaselineKey {
    pub test_images: usize,
    pub train_images: usize,
    pub batch_size: usize,
}

/// The Fréchet distance, or why it was not measured.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum FrechetReport {
    Measured {
        classifier: String,
        generated_vs_test: f64,
        /// The distance of real training images to the test set: the best a model can do.
        floor_train_vs_test: f64,
        samples: usize,
        class_histogram: ClassHistogram,
        /// Share of the samples the classifier labels with probability ≥ 0.9 (recognizable
        /// as one class).
        confident_share: f64,
        /// For a class-conditional model: share of the samples the classifier labels with
        /// the class they were drawn for (each class equally often).
        #[serde(skip_serializing_if = "Option::is_none")]
        class_agreement: Option<f64>,
        /// For an InfoGAN or a self-conditioned GAN: share of the samples labelled with
        /// their code's (cluster's) most frequent class.
        #[serde(skip_serializing_if = "Option::is_none")]
        code_purity: Option<f64>,
    },
    Skipped {
        skipped: String,
    },
}

/// What [`evaluate`] measured; the fields a protocol does not apply to are absent.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub model: String,
    pub dataset: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modes: Option<ModeReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub likelihood: Option<LikelihoodReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reconstruction: Option<ReconstructionReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_accuracy: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frechet: Option<FrechetReport>,
}

/// What [`evaluate`] measures of a model, by its kind and the data it was trained on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Protocol {
    /// 2-D points: the mode coverage of generated samples, and nothing else.
    pub modes: Option<Toy>,
    /// VAEs on images: the likelihood bounds on the test split.
    pub likelihood: bool,
    /// Models with an encoder (autoencoders, VAEs, VAE-GANs) on images: the test split's
    /// reconstruction.
    pub reconstruction: bool,
    /// Generative image models: the classifier Fréchet distance to the test split.
    pub frechet: bool,
    /// Classifiers: the accuracy on the test split.
    pub accuracy: bool,
}

impl Protocol {
    /// The protocol of `net` trained on the data named `data`; an error for data without one.
    pub fn of(net: &Network, data: &str) -> Result<Self> {
        if let Ok(toy) = data.parse::<Toy>() {
            return Ok(Self {
                modes: Some(toy),
                likelihood: false,
                reconstruction: false,
                frechet: false,
                accuracy: false,
            });
        }
        if !IMAGE_DATASETS.contains(&data) {
            return Err(Error::Argument(format!(
                "no evaluation protocol for data {data:?}"
            )));
        }
        let kind = net.config().kind();
        Ok(Self {
            modes: None,
            likelihood: net.model().vae().is_some_and(|v| v.is_variational()),
            reconstruction: net.model().vae().is_some(),
            // An autoencoder samples once a code prior is fitted to its codes.
            frechet: match kind {
                ModelKind::Classifier => false,
                ModelKind::Autoencoder => net.config().code_prior().is_some(),
                _ => true,
            },
            accuracy: kind == ModelKind::Classifier,
        })
    }

    /// Whether it reads the test split (and so uses a test size and a batch size).
    pub fn reads_test_split(&self) -> bool {
        self.likelihood || self.reconstruction || self.frechet || self.accuracy
    }

    /// Whether it looks for the feature classifier: the Fréchet distance, and the labels of
    /// reconstructions.
    pub fn uses_classifier(&self) -> bool {
        self.frechet || self.reconstruction
    }

    /// Whether the classifier Fréchet distance is all it measures (an image GAN): without the
    /// feature classifier it measures nothing.
    pub fn frechet_only(&self) -> bool {
        self.frechet && !(self.likelihood || self.reconstruction || self.accuracy)
    }

    /// Whether it draws samples from the model (and so uses a sample count).
    pub fn generates(&self) -> bool {
        self.modes.is_some() || self.frechet
    }
}

/// Evaluates `net`, trained on `trained_on`, on its [`Protocol`].
pub fn evaluate(
    net: &Network,
    trained_on: &DataInfo,
    opts: &EvalOptions,
    data: &mut dyn EvalData,
) -> Result<EvalReport> {
    if opts.batch_size == 0 {
        return Err(Error::Argument(
            "the evaluation batch (batch_size) must be ≥ 1".into(),
        ));
    }
    let name = trained_on.name.as_str();
    let protocol = Protocol::of(net, name)?;
    let mut report = EvalReport {
        model: net.config().summary(),
        dataset: name.to_string(),
        modes: None,
        likelihood: None,
        reconstruction: None,
        test_accuracy: None,
        frechet: None,
    };
    let mut rng = Rng::new(opts.seed);
    if let Some(toy) = protocol.modes {
        let n = opts.samples.unwrap_or(EvalOptions::DEFAULT_MODE_SAMPLES);
        let (x, _) = net.sample(n, &mut rng, 1.0, None)?;
        report.modes = Some(mode_coverage(&x.flatten_all()?.to_vec1::<f32>()?, toy)?);
    }
    if !protocol.reads_test_split() {
        return Ok(report);
    }
    let test = data.images(name, Split::Test, opts.test_size)?;
    let binarize = trained_on.dynamic_binarization;
    if protocol.likelihood && opts.k > 0 {
        let total = test.len();
        report.likelihood = Some(likelihood_bounds(
            net,
            &test,
            opts.k,
            opts.batch_size,
            binarize,
            &mut rng,
            |done| data.progress(done, total),
        )?);
    }
    if protocol.accuracy {
        let (x, labels) = all_samples(&test, net)?;
        let preds = features(net, &x, opts.batch_size)?.preds;
        let hits = preds.iter().zip(&labels).filter(|(p, l)| p == l).count();
        report.test_accuracy = Some(hits as f64 / labels.len() as f64);
    }
    let classifier = protocol
        .uses_classifier()
        .then(|| data.classifier(name))
        .transpose()?;
    if protocol.reconstruction {
        let clf = match &classifier {
            Some(FeatureClassifier::Found { network, .. }) => Some(network.as_ref()),
            _ => None,
        };
        // Its own stream: the likelihood's and the Fréchet distance's draws stay as they were.
        let mut rng = Rng::new(opts.seed);
        report.reconstruction = Some(reconstruction_error(
            net,
            &test,
            opts.batch_size,
            binarize,
            clf,
            &mut rng,
        )?);
    }
    if let (true, Some(clf)) = (protocol.frechet, &classifier) {
        report.frechet = Some(frechet(net, &test, opts, clf, data, &mut rng)?);
    }
    Ok(report)
}

/// The Fréchet distance of `net`'s samples to `test` in `classifier`'s feature space.
fn frechet(
    net: &Network,
    test: &Dataset,
    opts: &EvalOptions,
    classifier: &FeatureClassifier,
    data: &mut dyn EvalData,
    rng: &mut Rng,
) -> Result<FrechetReport> {
    let name = test.info.name.as_str();
    let (clf, source) = match classifier {
        FeatureClassifier::Found { network, source } => (network, source),
        FeatureClassifier::Missing { why } => {
            return Ok(FrechetReport::Skipped {
                skipped: why.clone(),
            })
        }
    };
    let n = opts.samples.unwrap_or(EvalOptions::DEFAULT_FRECHET_SAMPLES);
    if n < 2 || test.len() < 2 {
        return Err(Error::Argument(format!(
            "the Fréchet distance fits a covariance to each set: it needs at least 2 samples and \
             2 test images, got {n} and {}",
            test.len()
        )));
    }
    let fit = |x: &Tensor, what: &str| -> Result<(Gaussian, Features)> {
        let f = features(clf, x, opts.batch_size)?;
        if f.values.iter().any(|v| !v.is_finite()) {
            return Err(Error::Data(format!(
                "the classifier's features of {what} are not finite"
            )));
        }
        let dim = f.values.len() / x.dim(0)?;
        Ok((Gaussian::fit(&f.values, dim)?, f))
    };
    let key = BaselineKey {
        test_images: test.len(),
        train_images: n,
        batch_size: opts.batch_size,
    };
    let baseline = match data.kept_baseline(key) {
        Some(kept) => kept,
        None => {
            let train = data.images(name, Split::Train, Some(n))?;
            let test = Reference::new(fit(&all_samples(test, net)?.0, "the test images")?.0)?;
            let floor =
                test.distance(&fit(&all_samples(&train, net)?.0, "the training images")?.0)?;
            let measured = Rc::new(FrechetBaseline { test, floor });
            data.keep_baseline(key, Rc::clone(&measured));
            measured
        }
    };
    let mut generated = Vec::with_capacity(n);
    let mut labels = Vec::new();
    for chunk in (0..n).step_by(500) {
        let len = (n - chunk).min(500);
        let (x, _) = net.sample(len, rng, 1.0, None)?;
        generated.push(x);
        labels.extend(net.sample_labels(len, None)?.unwrap_or_default());
    }
    let (gen_g, gen) = fit(&Tensor::cat(&generated, 0)?, "the model's samples")?;
    let k = clf.config().num_classes().unwrap_or(0);
    // An InfoGAN's labels are its codes, a self-conditioned GAN's its clusters: they name
    // no class.
    let info = net.config().info_codes().is_some() || net.config().cluster_prior().is_some();
    Ok(FrechetReport::Measured {
        classifier: source.clone(),
        generated_vs_test: baseline.test.distance(&gen_g)?,
        floor_train_vs_test: baseline.floor,
        samples: n,
        class_histogram: class_histogram(&gen.preds, k),
        confident_share: gen.confident_share(CONFIDENT),
        class_agreement: (!labels.is_empty() && !info).then(|| gen.agreement(&labels)),
        code_purity: (!labels.is_empty() && info).then(|| gen.code_purity(&labels, k)),
    })
}

/// A whole dataset as one `[N, *sample_shape]` tensor on `net`'s device, and its labels.
fn all_samples(data: &Dataset, net: &Network) -> Result<(Tensor, Vec<u32>)> {
    let idx: Vec<usize> = (0..data.len()).collect();
    let b = data.batch(&idx, false, &mut Rng::new(0), net.device())?;
    Ok((b.x, b.labels.unwrap_or_default()))
}
