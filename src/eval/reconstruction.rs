//! Held-out reconstruction through an encoder's mean: the autoencoder's own training loss on
//! the test split, and whether a classifier still recognizes what comes back.

use candle::Tensor;
use serde::Serialize;

use super::frechet::features;
use super::test_batches::for_each_batch;
use crate::data::Dataset;
use crate::losses::reconstruction_nll;
use crate::models::Network;
use crate::rng::Rng;
use crate::{Error, Result};

/// Reconstruction of test images, in nats and pixels per image.
#[derive(Debug, Clone, Serialize)]
pub struct ReconstructionReport {
    /// −log p(x | z = μ(x)) averaged over the images: the decoder's likelihood at the
    /// encoder's mean (an autoencoder's training loss; for a VAE its reconstruction term
    /// without the sampling).
    pub nll: f64,
    /// Squared error between each pixel and the decoded mean, averaged over pixels and images.
    pub mse: f64,
    pub samples: usize,
    /// Share of reconstructions the feature classifier labels with their image's label;
    /// absent without a classifier (or labels).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_agreement: Option<f64>,
}

/// Reconstructs `data` with `net` (an autoencoder, VAE or VAE-GAN), `batch` images at a time.
/// With `binarize`, each image is binarized once with `rng` and is its own target (dynamically
/// binarized MNIST's protocol). `classifier`, when given, labels the reconstructions.
pub fn reconstruction_error(
    net: &Network,
    data: &Dataset,
    batch: usize,
    binarize: bool,
    classifier: Option<&Network>,
    rng: &mut Rng,
) -> Result<ReconstructionReport> {
    let vae = net
        .model()
        .vae()
        .ok_or_else(|| Error::Argument(format!("a {} has no encoder", net.config().kind())))?;
    let (mut sum_nll, mut sum_sq) = (0.0f64, 0.0f64);
    // Reconstructions the classifier labels right, of the `labelled` it saw.
    let (mut agreeing, mut labelled) = (0.0f64, 0usize);
    let f64_sum =
        |t: Tensor| -> Result<f64> { Ok(t.to_dtype(candle::DType::F64)?.sum_all()?.to_scalar()?) };
    for_each_batch(net, data, batch, binarize, rng, |b, y, _, _| {
        let (mu, _) = vae.encode(&b.x, y)?;
        let raw = vae.decode_raw(&mu, y)?;
        sum_nll += f64_sum(reconstruction_nll(&raw, &b.x, vae.likelihood())?)?;
        let mean = vae.link(&raw)?;
        sum_sq += f64_sum((&mean - &b.x)?.sqr()?)?;
        if let (Some(clf), Some(labels)) = (classifier, b.labels.as_deref()) {
            agreeing += features(clf, &mean, batch)?.agreement(labels) * labels.len() as f64;
            labelled += labels.len();
        }
        Ok(())
    })?;
    let n = data.len();
    let pixels = data.info.sample_shape.iter().product::<usize>().max(1);
    Ok(ReconstructionReport {
        nll: sum_nll / n as f64,
        mse: sum_sq / (n * pixels) as f64,
        samples: n,
        label_agreement: (labelled > 0).then(|| agreeing / labelled as f64),
    })
}
