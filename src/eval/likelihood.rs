//! Test-set ELBO and the IWAE-k bound on log p(x) (Burda, Grosse & Salakhutdinov 2016), and
//! the number of active latent units.

use candle::Tensor;
use serde::Serialize;

use super::test_batches::for_each_batch;
use crate::config::ModelConfig;
use crate::data::Dataset;
use crate::losses::log_sum_exp;
use crate::models::iwae::log_weights;
use crate::models::Network;
use crate::rng::Rng;
use crate::{Error, Result};

/// Likelihood results, in nats per sample (lower NLL is better).
#[derive(Debug, Clone, Serialize)]
pub struct LikelihoodReport {
    /// −ELBO averaged over the test set: the mean of the `k` log-weights log p(x, zᵢ) −
    /// log q(zᵢ|x) the IWAE bound draws (a k-sample estimate: the same draws, so never above
    /// the bound, and without the spread of a one-sample estimate).
    pub neg_elbo: f64,
    /// −log p(x) estimated by the IWAE bound with `k` importance samples.
    pub nll: f64,
    pub k: usize,
    pub samples: usize,
    /// Dimensions u with `Cov_x(E_q[z_u])` > 0.01.
    pub active_units: usize,
    pub latent_dim: usize,
}

/// The most importance samples a bound draws per image: 20 times the papers' 5000.
pub const MAX_K: usize = 100_000;

/// Evaluates `net` (a VAE or VAE-GAN) on `data`, `batch` images at a time, with `k`
/// importance samples (drawn in chunks sized to the memory budget). With `binarize`, each
/// test image is binarized once, with `rng` (dynamically binarized MNIST's protocol).
/// `progress` is called with the number of images done.
pub fn likelihood_bounds(
    net: &Network,
    data: &Dataset,
    k: usize,
    batch: usize,
    binarize: bool,
    rng: &mut Rng,
    mut progress: impl FnMut(usize),
) -> Result<LikelihoodReport> {
    let vae = net
        .model()
        .vae()
        .filter(|v| v.is_variational())
        .ok_or_else(|| {
            Error::Argument(format!("a {} has no likelihood bound", net.config().kind()))
        })?;
    if k == 0 || batch == 0 {
        return Err(Error::Argument("k and batch must be ≥ 1".into()));
    }
    if k > MAX_K {
        return Err(Error::Argument(format!(
            "k = {k} importance samples: at most {MAX_K} (the papers' measure is k = 5000)"
        )));
    }
    // About 10k decoded samples at a time (bounded memory even for convolutional decoders),
    // fewer where the memory budget asks: halved until it fits, down to one sample an image.
    // The pass runs the encoder and decoder only (a VAE-GAN's discriminator is not budgeted).
    let n = data.len();
    let cfg = match net.config() {
        ModelConfig::VaeGan(c) => ModelConfig::Vae(c.vae.clone()),
        other => other.clone(),
    };
    let what = match net.config() {
        ModelConfig::VaeGan(_) => "a VAE-GAN's evaluation pass (its encoder and decoder)",
        _ => "an evaluation pass",
    };
    let pass = |k_chunk: usize| {
        let rows = batch.min(n).saturating_mul(k_chunk);
        crate::budget::check_batch(&cfg, what, rows)
    };
    let mut k_chunk = (10_000 / batch).clamp(1, k);
    while k_chunk > 1 && pass(k_chunk).is_err() {
        k_chunk = k_chunk.div_ceil(2);
    }
    pass(k_chunk)?;
    let (mut sum_elbo, mut sum_nll) = (0.0f64, 0.0f64);
    let mut mus: Vec<f32> = Vec::new();
    for_each_batch(net, data, batch, binarize, rng, |b, y, rng, done| {
        let (mu, _) = vae.encode(&b.x, y)?;
        mus.extend(mu.flatten_all()?.to_vec1::<f32>()?);

        // log mean_i w_i over k samples, accumulated chunk by chunk as a running log-sum-exp;
        // the ELBO is the mean of the same log-weights.
        let mut acc: Option<Tensor> = None;
        let mut left = k;
        while left > 0 {
            let kc = left.min(k_chunk);
            // Detached: a chain of one graph node a chunk would keep every chunk alive and
            // recurse as deep as it is long when dropped (a stack overflow in wasm at k ≈ 1000).
            let lw = log_weights(vae, &b.x, y, kc, 1.0, rng)?.detach(); // [kc, B]
            sum_elbo -= lw
                .to_dtype(candle::DType::F64)?
                .sum_all()?
                .to_scalar::<f64>()?
                / k as f64;
            let lse = log_sum_exp(&lw, 0)?; // [B]
            acc = Some(match acc {
                None => lse,
                Some(a) => log_sum_exp(&Tensor::stack(&[&a, &lse], 0)?, 0)?,
            });
            left -= kc;
        }
        let bound = (acc.expect("k ≥ 1") - (k as f64).ln())?;
        sum_nll -= bound
            .to_dtype(candle::DType::F64)?
            .sum_all()?
            .to_scalar::<f64>()?;
        progress(done);
        Ok(())
    })?;
    let l = net.config().latent_dim().unwrap_or(0);
    Ok(LikelihoodReport {
        neg_elbo: sum_elbo / n as f64,
        nll: sum_nll / n as f64,
        k,
        samples: n,
        active_units: active_units(&mus, l, 0.01),
        latent_dim: l,
    })
}

/// Counts dimensions whose posterior mean varies across inputs: Var over `n` rows of
/// `mus` (`n × dim`) above `threshold` (Burda et al. use 0.01).
pub fn active_units(mus: &[f32], dim: usize, threshold: f64) -> usize {
    if dim == 0 || mus.len() < 2 * dim {
        return 0;
    }
    let n = (mus.len() / dim) as f64;
    (0..dim)
        .filter(|&u| {
            let col = mus.iter().skip(u).step_by(dim).map(|&v| v as f64);
            let mean = col.clone().sum::<f64>() / n;
            let var = col.map(|v| (v - mean).powi(2)).sum::<f64>() / n;
            var > threshold
        })
        .count()
}
