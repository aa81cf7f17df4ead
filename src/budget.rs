//! Memory budgets: every call that allocates in proportion to a config or a request estimates
//! the bytes it needs first and refuses past the process's limit with [`Error::Budget`], so an
//! absurd width, sample shape or sample count is an error instead of an aborted process (or a
//! dead wasm module). The estimates are upper bounds from the config alone (nothing is built
//! to count), computed in `f64` so no size overflows. Long requests run in chunks of at most
//! [`CHUNK_BYTES`] of activations.
//!
//! Limits: [`BROWSER_LIMIT`] in wasm, [`WORKSTATION_LIMIT`] natively; [`set_limit`] changes it
//! (the CLI's `--memory-limit-mib`, the page's `setMemoryLimit`).

use std::sync::atomic::{AtomicU64, Ordering};

use crate::config::{Arch, Backbone, ModelConfig, TrainConfig};
use crate::{Error, Result};

/// The default limit in a browser tab: 1 GiB (wasm32 addresses 4 GiB at most).
pub const BROWSER_LIMIT: u64 = 1 << 30;
/// The default limit natively: 8 GiB.
pub const WORKSTATION_LIMIT: u64 = 8 << 30;
/// Activations per chunk of a long request (sampling, decoding): 64 MiB.
pub const CHUNK_BYTES: u64 = 64 << 20;

/// Bytes per stored value (f32).
const VALUE: f64 = 4.0;
/// Training holds weights, gradients, two Adam moments and the GAN's pre-step snapshot of the
/// discriminator (three more copies): at most 7 copies of the parameters.
const TRAIN_PARAM_COPIES: f64 = 7.0;
/// Training keeps every activation for the backward pass and its gradient; the GAN's
/// discriminator sees real and fake batches: 4 copies.
const TRAIN_ACTIVATION_COPIES: f64 = 4.0;
/// Inference holds a layer's input and output: 2 copies.
const INFER_ACTIVATION_COPIES: f64 = 2.0;

/// 0: the default of the target.
static LIMIT: AtomicU64 = AtomicU64::new(0);

/// The current limit in bytes.
pub fn limit() -> u64 {
    match LIMIT.load(Ordering::Relaxed) {
        0 if cfg!(target_arch = "wasm32") => BROWSER_LIMIT,
        0 => WORKSTATION_LIMIT,
        l => l,
    }
}

/// Sets the process-wide limit (bytes, > 0).
pub fn set_limit(bytes: u64) -> Result<()> {
    if bytes == 0 {
        return Err(Error::Argument("the memory limit must be > 0 bytes".into()));
    }
    LIMIT.store(bytes, Ordering::Relaxed);
    Ok(())
}

/// An error unless `bytes` fit the limit; `what` names the request.
pub fn check(what: &str, bytes: f64) -> Result<()> {
    let limit = limit();
    if bytes.is_finite() && bytes <= limit as f64 {
        return Ok(());
    }
    Err(Error::Budget {
        what: what.to_string(),
        bytes: if bytes.is_finite() {
            bytes as u64
        } else {
            u64::MAX
        },
        limit,
    })
}

/// Parameters and per-sample activation values of one network, upper bounds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Estimate {
    pub parameters: f64,
    /// Values one sample produces in one forward pass of every network (with convolution
    /// patch buffers).
    pub activations: f64,
}

impl std::ops::Add for Estimate {
    type Output = Estimate;
    fn add(self, o: Estimate) -> Estimate {
        Estimate {
            parameters: self.parameters + o.parameters,
            activations: self.activations + o.activations,
        }
    }
}

/// A backbone from a `shape` sample (plus `extra` one-hot inputs) to `head` outputs; a decoder
/// mirrors it with the same counts.
fn backbone(shape: &[usize], b: &Backbone, extra: f64, head: f64) -> Estimate {
    let dims: Vec<f64> = shape.iter().map(|&d| d as f64).collect();
    let d: f64 = dims.iter().product();
    let hidden: Vec<f64> = b.hidden.iter().map(|&h| h as f64).collect();
    // Either direction (an encoder's `a → b` or a decoder's `b → a`), with biases.
    let dense = |a: f64, b: f64| (a + extra + 1.0) * (b + extra + 1.0);
    match (b.arch, dims.as_slice(), hidden.as_slice()) {
        (Arch::Conv, [c, h, w], [c1, c2]) => {
            let k = 16.0; // 4×4 kernels
            let (hw2, hw4) = (h * w / 4.0, h * w / 16.0);
            let flat = c2 * hw4;
            Estimate {
                parameters: (c + extra) * c1 * k
                    + c1
                    + c1 * c2 * k
                    + c2
                    + dense(flat, head)
                    + if b.batch_norm {
                        4.0 * (c1 + c2 + flat)
                    } else {
                        0.0
                    },
                activations: d + c1 * hw2 + flat + (c + extra) * k * hw2 + c1 * k * hw4 + head,
            }
        }
        _ => {
            let mut widths = vec![d];
            widths.extend(&hidden);
            widths.push(head);
            // Maxout: every layer at most `pieces` times as wide; BatchNorm: 4 values a unit.
            let pieces = b.maxout.unwrap_or(1) as f64;
            let norm = if b.batch_norm { 4.0 * pieces } else { 0.0 };
            Estimate {
                parameters: pieces * widths.windows(2).map(|w| dense(w[0], w[1])).sum::<f64>()
                    + norm * hidden.iter().sum::<f64>(),
                activations: pieces * widths.iter().sum::<f64>(),
            }
        }
    }
}

/// Upper bounds for `cfg`, from the config alone.
pub fn estimate(cfg: &ModelConfig) -> Estimate {
    let k = cfg.num_classes().unwrap_or(0) as f64;
    let vae = |c: &crate::config::VaeConfig| {
        let l = c.latent_dim as f64;
        let e = backbone(&c.sample_shape, &c.backbone, k, 2.0 * l);
        e + e
    };
    match cfg {
        ModelConfig::Autoencoder(c) | ModelConfig::Vae(c) => vae(c),
        ModelConfig::Gan(c) => {
            let l = c.latent_dim as f64;
            let mut packed = c.sample_shape.clone();
            packed[0] = packed[0].saturating_mul(c.pack);
            backbone(&c.sample_shape, &c.generator, k, l)
                + backbone(&packed, &c.discriminator, k * c.pack as f64, 1.0)
        }
        ModelConfig::VaeGan(c) => {
            vae(&c.vae) + backbone(&c.vae.sample_shape, &c.discriminator, k, 1.0)
        }
        ModelConfig::Classifier(c) => {
            let f = c.feature_dim as f64;
            backbone(&c.sample_shape, &c.backbone, 0.0, f)
                + Estimate {
                    parameters: (f + 1.0) * k,
                    activations: k,
                }
        }
    }
}

/// The weights of `cfg` and one sample's pass fit (checked before a network is built or
/// loaded; it also bounds every size derived from the config, such as a sample's length).
pub fn check_model(cfg: &ModelConfig) -> Result<()> {
    check(
        &format!("a {}'s parameters", cfg.summary()),
        estimate(cfg).parameters * VALUE,
    )?;
    check_batch(cfg, "a pass", 1)
}

/// Training `cfg` with `train` fits: parameter copies plus one batch's activations.
pub fn check_training(cfg: &ModelConfig, train: &TrainConfig) -> Result<()> {
    let e = estimate(cfg);
    let batch = train.batch_size as f64 * train.iwae_k.max(1) as f64;
    check(
        &format!(
            "training a {} on batches of {}",
            cfg.summary(),
            train.batch_size
        ),
        (e.parameters * TRAIN_PARAM_COPIES + e.activations * batch * TRAIN_ACTIVATION_COPIES)
            * VALUE,
    )
}

/// A request producing or taking `n` rows of `row_values` values each fits; `what` names it.
pub fn check_rows(what: &str, n: usize, row_values: usize) -> Result<()> {
    check(
        &format!("{what} ({n} × {row_values} values)"),
        n as f64 * row_values as f64 * VALUE,
    )
}

/// A decoding request of `n` codes fits: the codes (`latent` values each) and the samples
/// (`sample_len` values each) counted twice, as chunks and as their concatenation.
pub fn check_decode(what: &str, n: usize, sample_len: usize, latent: usize) -> Result<()> {
    check(
        &format!("{what} ({n} × {sample_len} values)"),
        n as f64 * (2.0 * sample_len as f64 + latent as f64) * VALUE,
    )
}

/// A forward pass of `n` samples through `cfg` in one piece fits.
pub fn check_batch(cfg: &ModelConfig, what: &str, n: usize) -> Result<()> {
    check(
        &format!("{what} of {n} samples with a {}", cfg.summary()),
        estimate(cfg).activations * n as f64 * INFER_ACTIVATION_COPIES * VALUE,
    )
}

/// Samples per chunk of a long forward pass through `cfg` (≥ 1): activations of at most
/// [`CHUNK_BYTES`] (or a quarter of the limit, if smaller) per chunk.
pub fn chunk_rows(cfg: &ModelConfig) -> usize {
    let per_sample = estimate(cfg).activations * INFER_ACTIVATION_COPIES * VALUE;
    let room = CHUNK_BYTES.min(limit() / 4) as f64;
    (room / per_sample.max(1.0)).floor().clamp(1.0, 1e9) as usize
}
